"""The Alembic revisions and the typed models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from keyconsole import KeyStore
from keyconsole.models import Base
from keyconsole.service.key_query import KeyQuery
from keyconsole.store.migrations import HEAD, SCRIPT_LOCATION, VERSION_TABLE
from keyconsole.store.orm import Database, name_index


def test_head_names_the_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_a_migrated_store_matches_the_models(store_url: str) -> None:
    database = Database(store_url)
    with database.engine.connect() as conn:
        # The name index (FTS5 and its shadow tables) lives outside the models on purpose.
        def outside_the_index(name: str | None, type_: str, _parent: object) -> bool:
            return not (type_ == "table" and name is not None and name.startswith(name_index.TABLE))

        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": False, "include_name": outside_the_index}
        )
        # Unique constraints and indexes show up with backend-specific names; compare
        # tables and columns strictly, and leave index naming aside.
        strict = [
            d for d in compare_metadata(context, Base.metadata)
            if d[0] in ("add_table", "remove_table", "add_column", "remove_column")
        ]
        assert strict == []
        assert context.get_current_revision() == HEAD
    database.dispose()


def _set_back(store: KeyStore, revision: str, *statements: str) -> None:
    """Make ``store`` look as ``revision`` left it: run ``statements``, then record it."""
    with store.database.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '{revision}'"))


# What revision 0002 stored for the full-width name: case folding alone.
_FOLDED_BY_0002 = "UPDATE api_keys SET name_folded = 'ａｐｉ' WHERE name = 'ＡＰＩ'"


def test_0003_refolds_names_of_an_older_store(store_url: str) -> None:
    with KeyStore(store_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("ＡＰＩ", ["users:read"])
        ks.keys.create("plain", ["users:read"])
        _set_back(ks, "0002", _FOLDED_BY_0002)
    with KeyStore(store_url, actor="t") as ks:
        assert ks.keys.get("api").name == "ＡＰＩ"
        assert ks.keys.get("plain").name == "plain"


def test_0003_leaves_names_that_would_clash_and_the_store_opens(store_url: str) -> None:
    with KeyStore(store_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("ＡＰＩ", ["users:read"])
        _set_back(ks, "0002", _FOLDED_BY_0002)
        ks.keys.create("api", ["users:read"])  # possible before 0003
    with KeyStore(store_url, actor="t") as ks:
        assert sorted(key.name for key in ks.keys.list()) == ["api", "ＡＰＩ"]
        assert ks.keys.get("api").name == "api"


def test_0004_indexes_the_names_already_in_a_sqlite_store(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("billing exporter", ["users:read"])
        drops = [f"DROP TRIGGER {name_index.TABLE}_{trigger}" for trigger in ("insert", "delete", "rename")]
        _set_back(ks, "0003", *drops, f"DROP TABLE {name_index.TABLE}")
    with KeyStore(sqlite_url, actor="t") as ks:
        assert ks.database.has_name_index
        assert [key.name for key in ks.keys.list(KeyQuery(search="exporter"))] == ["billing exporter"]
        ks.keys.create("later key", ["users:read"])
        assert [key.name for key in ks.keys.list(KeyQuery(search="later"))] == ["later key"]


def test_0007_gives_keys_of_an_older_store_an_empty_owner_and_note(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("older", ["users:read"])
        _set_back(
            ks, "0006",
            "DROP INDEX ix_api_keys_owner_folded",
            "ALTER TABLE api_keys DROP COLUMN note",
            "ALTER TABLE api_keys DROP COLUMN owner_folded",
            "ALTER TABLE api_keys DROP COLUMN owner",
        )
    with KeyStore(sqlite_url, actor="t") as ks:
        older = ks.keys.get("older")
        assert older.owner is None and older.note is None
        ks.keys.edit("older", owner="alice")
        assert [key.name for key in ks.keys.list(KeyQuery(owner="ALICE"))] == ["older"]


def test_the_grants_name_every_table_and_every_serial_sequence() -> None:
    """Issue 25.2: a table added by a migration must not be left out of the roles' rights."""
    from keyconsole.models import Base
    from keyconsole.store.direct import grants

    tables = set(Base.metadata.tables)
    assert tables | {VERSION_TABLE} == set(grants._ALL_TABLES)  # noqa: SLF001 - the list under test
    # A numbering key (id, or the change feed's seq) is a serial column with a sequence.
    serial = {
        f"{name}_{key.name}_seq"
        for name, table in Base.metadata.tables.items()
        for key in table.primary_key.columns
        if key.name in ("id", "seq") and key.autoincrement in (True, "auto")
    }
    # Single-row tables keep a fixed id and need no sequence; every other serial id does.
    single_rows = {"audit_head_id_seq", "keyconsole_policy_id_seq"}
    assert serial - single_rows == set(grants._SEQUENCES)  # noqa: SLF001


def test_the_model_maps_every_column_the_raw_sql_reads_and_the_rows_follow_its_order() -> None:
    """Issue 25.2: a key's columns are listed once (store/direct/key_columns.py)."""
    from keyconsole.models import ApiKey
    from keyconsole.store.direct.key_columns import ELSEWHERE, LISTED, LOOKED_UP
    from keyconsole.store.direct.key_lookup import KeyState
    from keyconsole.store.direct.listing import KeyRow

    mapped = set(ApiKey.__mapper__.all_orm_descriptors.keys())
    assert set(LISTED) | set(LOOKED_UP) <= mapped
    assert set(ELSEWHERE) <= set(LISTED) and not set(ELSEWHERE) & set(ApiKey.__table__.c.keys())
    assert KeyRow._fields[: len(LISTED)] == LISTED
    assert KeyState._fields[: len(LOOKED_UP)] == ("key_id", *LOOKED_UP[1:])


def test_the_usage_models_count_the_outcomes_the_raw_writes_add() -> None:
    from keyconsole.models import KeyUsageDay, KeyUsageHour
    from keyconsole.store.direct.key_columns import USAGE_COUNTS

    for model, period in ((KeyUsageHour, "hour"), (KeyUsageDay, "day")):
        assert tuple(model.__table__.c.keys()) == (period, "key_id", *USAGE_COUNTS)  # type: ignore[attr-defined]
        summed = str(model.calls())
        assert all(f".{count}" in summed for count in USAGE_COUNTS), f"calls() leaves out an outcome: {summed}"

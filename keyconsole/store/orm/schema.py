"""Bring a store's schema up to date when it is opened, and refuse what is not a store."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from keyconsole.errors import StoreUnavailable
from keyconsole.store.direct import grants
from keyconsole.store.migrations import HEAD, SCRIPT_LOCATION, VERSION_TABLE
from keyconsole.store.orm.engine import WRITE_OPTION

# Any constant: PostgreSQL processes opening a new store at once take turns migrating it.
_PG_MIGRATION_LOCK = 0x6B63_0001


def ensure_schema(engine: Engine, display_name: str) -> None:
    with engine.connect() as conn:
        if _current_revision(conn) == HEAD:
            return
    # Slow path, taken once per store and version: migrate under the write lock, after
    # looking again, since another process may have migrated it meanwhile.
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            current = _current_revision(conn)
            if current == HEAD:
                return
            if current is None:
                others = sorted(inspect(conn).get_table_names())
                if others:
                    shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
                    raise StoreUnavailable(
                        f"{display_name} is not a keyconsole store (it holds other tables: {shown});"
                        " point --db at a new file or an empty database"
                    )
            _upgrade(conn, current)
            if conn.dialect.name == "postgresql":
                # A migration may have made tables anew: the roles keyconsole granted
                # rights to get them on what is there now.
                grants.reapply_all(conn)


def _current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    except DBAPIError:
        return None
    return None if row is None else row[0]


def _upgrade(conn: Connection, current: str | None) -> None:
    from alembic.command import upgrade
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if current is not None and not _is_known(ScriptDirectory.from_config(config), current):
        raise StoreUnavailable(
            f"the store was written by a newer keyconsole (schema {current}); upgrade keyconsole"
        )
    config.attributes["connection"] = conn
    upgrade(config, "head")


def _is_known(scripts: object, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts.get_revision(revision) is not None  # type: ignore[attr-defined]
    except CommandError:
        return False

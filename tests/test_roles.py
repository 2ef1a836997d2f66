"""Least privilege on a shared PostgreSQL store: real roles, each logging in with its own
password (scram, tests/pg_server.py), refused by PostgreSQL itself where they may not go."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from keyconsole import KeyStore
from keyconsole.integrations.starlette import KeyconsoleBackend
from keyconsole.service.records import IssuedKey
from keyconsole.store.direct import grants
from keyconsole.store.migrations import VERSION_TABLE
from keyconsole.tui.app import make_app
from keyconsole.tui.screens.key_details import KeyDetailsScreen
from keyconsole.tui.screens.keys import KeysScreen
from keyconsole.tui.store_client import READ_ONLY
from keyconsole.tui.widgets.key_bar import KeyBar
from tests.pg_server import PASSWORD_ROLES, PostgresServer
from tests.serve_process import ServeProcess
from tests.test_cli import kc
from tests.tui_helpers import row_of, settle

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Role:
    name: str
    password: str
    store_url: str

    @property
    def url(self) -> str:
        """The store's URL, logging in as this role with its password."""
        return self.store_url.replace("postgres@", f"{self.name}:{self.password}@", 1)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True)


@dataclass(frozen=True)
class Shared:
    """A store its owner (the superuser here) set up, and one role of each kind."""

    owner: KeyStore
    issued: IssuedKey
    roles: dict[str, Role]


def _superuser(pg_server: PostgresServer, database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(pg_server.url(database).replace("+psycopg", ""), autocommit=True)


def _new_role(pg_server: PostgresServer, store_url: str, kind: str) -> Role:
    name = f"kc_{kind}_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    with _superuser(pg_server) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_ROLES,)).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {PASSWORD_ROLES} NOLOGIN")
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE {PASSWORD_ROLES}")
    return Role(name, password, store_url)


@pytest.fixture
def shared(pg_server: PostgresServer) -> Iterator[Shared]:
    store_url = pg_server.new_database()
    owner = KeyStore(store_url, actor="owner")
    owner.scopes.add("users:read")
    owner.scopes.add("users:write")
    issued = owner.keys.create("svc", ["users:read"])
    roles = {kind: _new_role(pg_server, store_url, kind) for kind in grants.KINDS}
    for kind, role in roles.items():
        owner.access.grant(kind, role.name)
    yield Shared(owner, issued, roles)
    owner.close()


def _refused(conn: psycopg.Connection, sql: str) -> bool:
    try:
        conn.execute(sql)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_a_wrong_password_is_refused(shared: Shared) -> None:
    role = shared.roles["viewer"]
    wrong = Role(role.name, "not-the-password", role.store_url)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        wrong.connect()


def test_a_verifier_verifies_and_touches_last_used_but_cannot_change_anything(shared: Shared) -> None:
    verifier = shared.roles["verifier"]
    with KeyStore(verifier.url) as store:
        assert store.verify(shared.issued.key, scope="users:read")
        assert not store.access.may_change()
    assert shared.owner.keys.get("svc").last_used_at is not None, "last used was written"

    done = kc(verifier.url, "verify", "--scope", "users:read", stdin=shared.issued.key)
    assert done.returncode == 0, done.stderr

    with verifier.connect() as conn:
        assert _refused(
            conn,
            "INSERT INTO api_keys (public_id, name, name_folded, secret_hash, active, created_at, updated_at,"
            " created_by, version) VALUES ('kc_MINTEDMINTED', 'mine', 'mine', 'x', true, now(), now(), 'me', 1)",
        )
        assert _refused(conn, "INSERT INTO key_scopes (key_id, scope_id) SELECT 1, id FROM scopes")
        assert _refused(conn, "UPDATE scopes SET description = 'changed'")
        assert _refused(conn, "UPDATE api_keys SET active = false")
        assert _refused(conn, "UPDATE audit_events SET action = 'forged'")
        assert _refused(conn, "DELETE FROM audit_events")
        assert _refused(conn, "SELECT * FROM audit_events"), "a verifier does not read the audit"
        # Nor may it lock a key's row, which would hold up its deactivation (issue 23.4).
        for lock in ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE"):
            assert _refused(conn, f"SELECT id FROM api_keys {lock}"), lock
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("LOCK TABLE api_keys IN SHARE MODE")
        assert _refused(conn, "UPDATE api_keys SET name = name")


def test_a_verifier_holding_its_own_rows_cannot_hold_up_a_deactivation(shared: Shared) -> None:
    """Issue 23.4: what a verifier may write (key_uses), held locked in an open transaction,
    does not keep `keys deactivate` waiting; the key is refused at once afterwards."""
    verifier = shared.roles["verifier"]
    with KeyStore(verifier.url) as store:
        assert store.verify(shared.issued.key)  # writes its key_uses row
    holder = verifier.connect()
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT * FROM key_uses FOR UPDATE").fetchall()
        holder.execute("UPDATE key_uses SET last_used_at = last_used_at")
        started = time.monotonic()
        done = kc(shared.roles["admin"].url, "keys", "deactivate", "svc")
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 4
        with KeyStore(verifier.url) as store:
            assert store.verify(shared.issued.key).reason == "inactive"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_the_framework_guards_verify_as_a_verifier(shared: Shared) -> None:
    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse({"scopes": sorted(request.auth.scopes)})

    backend = KeyconsoleBackend(shared.roles["verifier"].url)
    app = Starlette(
        routes=[Route("/", whoami)], middleware=[Middleware(AuthenticationMiddleware, backend=backend)]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://guarded") as client:
        answer = await client.get("/", headers={"Authorization": f"Bearer {shared.issued.key}"})
    assert answer.status_code == 200 and "users:read" in answer.json()["scopes"]


def test_keyconsole_serve_runs_as_a_verifier(shared: Shared) -> None:
    server = ServeProcess(shared.roles["verifier"].url)
    try:
        server.wait_ready()
        answer = server.client.post("/v1/verify", json={"key": shared.issued.key, "scopes": ["users:read"]})
        assert answer.status_code == 200 and answer.json()["valid"] is True
        assert server.client.get("/readyz").status_code == 200
    finally:
        assert server.stop() == 0


def test_a_viewer_reads_and_every_cli_change_command_refuses_in_one_line(shared: Shared) -> None:
    viewer = shared.roles["viewer"]
    listed = kc(viewer.url, "keys", "list", "--json")
    assert listed.returncode == 0 and [key["name"] for key in json.loads(listed.stdout)] == ["svc"]
    audited = kc(viewer.url, "audit", "--json")
    assert audited.returncode == 0 and json.loads(audited.stdout)

    changes = [
        ("keys", "create", "--name", "mine", "--scope", "users:read"),
        ("keys", "edit", "svc", "--name", "renamed"),
        ("keys", "deactivate", "svc"),
        ("keys", "activate", "svc"),
        ("keys", "rotate", "svc"),
        ("keys", "deactivate", "--unused-for", "1d"),
        ("scopes", "add", "reports:read"),
        ("scopes", "remove", "users:write"),
    ]
    for command in changes:
        done = kc(viewer.url, *command)
        assert done.returncode == 1, (command, done.stderr)
        assert done.stderr.count("\n") == 1 and "this role may not change keys" in done.stderr, (command, done.stderr)
        assert "Traceback" not in done.stderr
    assert [key.name for key in shared.owner.keys.list()] == ["svc"]
    assert shared.owner.keys.get("svc").active


def test_an_admin_does_everything_but_rewrite_the_audit(shared: Shared) -> None:
    admin = shared.roles["admin"]
    with KeyStore(admin.url, actor="alice") as store:
        assert store.access.may_change()
        store.keys.create("by admin", ["users:read", "users:write"])
        store.keys.edit("by admin", scopes=["users:read"])
        rotated = store.keys.rotate("by admin")
        assert store.verify(rotated.key, scope="users:read")
        store.keys.set_active("by admin", False)
        store.scopes.add("reports:read")
        assert store.verify(rotated.key).reason == "inactive"
        assert store.audit.verify_chain().intact
    with admin.connect() as conn:
        assert _refused(conn, "UPDATE audit_events SET action = 'forged'")
        assert _refused(conn, "DELETE FROM audit_events")
        assert _refused(conn, "UPDATE audit_events SET db_role = 'someone else'")
    done = kc(admin.url, "grant", "admin", shared.roles["viewer"].name)
    assert done.returncode == 1 and "only the owner" in done.stderr


def test_the_audit_names_the_database_role_even_when_the_environment_lies(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = shared.roles["admin"]
    monkeypatch.setenv("USER", "root")
    monkeypatch.setenv("SUDO_USER", "the-ceo")
    with KeyStore(admin.url) as store:
        store.keys.create("who made me", ["users:read"])
        newest = store.audit.query(limit=1)[0]
        assert newest.db_role == admin.name
        assert newest.actor == "the-ceo", "the OS user stays, as self-reported detail"
        assert newest.to_json()["db_role"] == admin.name and newest.to_json()["os_user"] == "the-ceo"
        assert store.audit.verify_chain().intact
    shown = kc(admin.url, "audit", "--limit", "1")
    assert f"{admin.name} (os user the-ceo, self-reported)" in shown.stdout
    verified = kc(shared.roles["viewer"].url, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stderr + verified.stdout

    with admin.connect() as conn:
        # A client that writes the column itself is overruled by PostgreSQL's trigger.
        conn.execute(
            "INSERT INTO audit_events (at, actor, action, details, prev_hash, hash, db_role)"
            " VALUES (now(), 'x', 'forged', '{}', '', '', 'postgres')"
        )
        forged = conn.execute("SELECT db_role FROM audit_events WHERE action = 'forged'").fetchone()
    assert forged == (admin.name,)


def _privileges(owner_url: str, pg_server: PostgresServer, role: str) -> set[tuple[str, ...]]:
    database = owner_url.rsplit("/", 1)[1]
    with _superuser(pg_server, database) as conn:
        tables = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = %s", (role,)
        ).fetchall()
        columns = conn.execute(
            "SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges"
            " WHERE grantee = %s", (role,)
        ).fetchall()
        sequences = conn.execute(
            # OFFSET 0 keeps the planner from asking has_sequence_privilege about non-sequences.
            "SELECT relname FROM (SELECT oid, relname FROM pg_class WHERE relkind = 'S' OFFSET 0) s"
            " WHERE has_sequence_privilege(%s, s.oid, 'USAGE')",
            (role,),
        ).fetchall()
    return {("table", *row) for row in tables} | {("column", *row) for row in columns} | {("seq", *r) for r in sequences}


@pytest.mark.parametrize("kind", grants.KINDS)
def test_the_sql_print_shows_is_the_sql_grant_runs(shared: Shared, pg_server: PostgresServer, kind: str) -> None:
    store_url = shared.roles[kind].store_url
    by_hand, by_command = (_new_role(pg_server, store_url, kind) for _ in range(2))
    printed = kc(store_url, "grant", kind, by_hand.name, "--print")
    assert printed.returncode == 0
    database = store_url.rsplit("/", 1)[1]
    with _superuser(pg_server, database) as conn:
        for statement in printed.stdout.strip().rstrip(";").split(";\n"):
            conn.execute(statement)
    ran = kc(store_url, "grant", kind, by_command.name, "--json")
    assert ran.returncode == 0, ran.stderr
    printed_sql = printed.stdout.strip().rstrip(";").split(";\n")
    assert json.loads(ran.stdout)["sql"] == [line.replace(by_hand.name, by_command.name) for line in printed_sql]
    mine = _privileges(store_url, pg_server, by_hand.name)
    theirs = _privileges(store_url, pg_server, by_command.name)
    assert mine == theirs and mine


def test_revoke_takes_every_right_back(shared: Shared, pg_server: PostgresServer) -> None:
    verifier = shared.roles["verifier"]
    done = kc(verifier.store_url, "grant", "verifier", verifier.name, "--revoke")
    assert done.returncode == 0, done.stderr
    assert _privileges(verifier.store_url, pg_server, verifier.name) == set()
    with verifier.connect() as conn:
        assert _refused(conn, "SELECT id FROM api_keys")


def test_grants_hold_after_a_migration(shared: Shared, pg_server: PostgresServer) -> None:
    verifier = shared.roles["verifier"]
    database = verifier.store_url.rsplit("/", 1)[1]
    with _superuser(pg_server, database) as conn:
        # As if the newest migration had made api_keys anew (its grants gone), not yet run.
        conn.execute(f"REVOKE ALL ON api_keys FROM {verifier.name}")
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '0005'")
    with verifier.connect() as conn:
        assert _refused(conn, "SELECT id FROM api_keys")
    KeyStore(verifier.store_url, actor="owner").close()  # the owner opens it: it migrates
    with KeyStore(verifier.url) as store:
        assert store.verify(shared.issued.key, scope="users:read")


def test_grant_on_sqlite_says_what_stands_for_roles_there(sqlite_url: str) -> None:
    done = kc(sqlite_url, "grant", "viewer", "someone")
    assert done.returncode == 2 and "file's permissions" in done.stderr


async def test_the_console_under_a_viewer_shows_the_keys_and_refuses_changes_politely(shared: Shared) -> None:
    with KeyStore(shared.roles["viewer"].url) as store:
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert "ACTIVE" in row_of(app, "svc")
            assert "read-only" in str(app.keys_screen.query_one("#store-info").render())
            bar = app.keys_screen.query_one(KeyBar).render_line(0).text
            assert " a Add " not in bar and " d On/off " not in bar and " r Rotate " not in bar
            for key in ("a", "d", "r", "x"):
                await pilot.press(key)
                await settle(pilot)
                assert isinstance(app.screen, KeysScreen), key
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, KeyDetailsScreen), "enter shows the key, never the form that edits it"
            await pilot.press("escape")
            told = [str(n.message) for n in app._notifications]
            assert told.count(READ_ONLY) >= 1
    assert shared.owner.keys.get("svc").active


def test_a_change_held_up_by_a_locked_key_row_gives_up_naming_the_holder(shared: Shared) -> None:
    """Issue 23.4: a session holding a key's row locked (here the owner's, as any role with
    a write grant could) must not make `keys deactivate` wait for ever with no word."""
    holder = psycopg.connect(shared.owner.database.location.url.render_as_string(hide_password=False)
                             .replace("+psycopg", ""))
    try:
        holder.execute("SELECT id FROM api_keys WHERE name = 'svc' FOR UPDATE").fetchall()
        holder_pid = holder.info.backend_pid
        started = time.monotonic()
        done = kc(shared.roles["admin"].url, "keys", "deactivate", "svc")
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 1 and waited < 30
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"pid {holder_pid}" in line and "role postgres" in line and "since" in line
    assert shared.owner.keys.get("svc").active, "nothing was changed"
    assert kc(shared.roles["admin"].url, "keys", "deactivate", "svc").returncode == 0

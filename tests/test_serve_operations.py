"""Running `keyconsole serve`: what it refuses to start on, an unreachable store, several
processes and workers on one store, shutdown, and the caller check."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from keyconsole import KeyStore, tokens
from keyconsole.store.migrations import VERSION_TABLE
from tests.pg_server import PostgresServer, free_port
from tests.serve_process import ServeProcess, run_serve

pytestmark = pytest.mark.slow


def _one_line_refusal(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_what_is_not_a_keyconsole_store(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    before = foreign.read_bytes()
    _one_line_refusal(run_serve(str(foreign)), 1, "is not a keyconsole store")
    assert foreign.read_bytes() == before
    _one_line_refusal(run_serve(str(tmp_path / "none.db")), 1, "there is no store at")
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(("revision", "words"), [("0004", "needs migrating"), ("9999", "newer keyconsole")])
def test_serve_refuses_a_store_at_another_schema(store_url: str, revision: str, words: str) -> None:
    with KeyStore(store_url, actor="t") as ks, ks.database.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '{revision}'"))
    _one_line_refusal(run_serve(store_url), 1, words)


def test_serve_refuses_bad_usage_in_one_line(sqlite_url: str) -> None:
    KeyStore(sqlite_url, actor="t").close()
    _one_line_refusal(run_serve(sqlite_url, "--listen", "192.0.2.10:8787"), 2, "--caller-scope")
    _one_line_refusal(run_serve(sqlite_url, "--caller-scope", "a:b", "--no-caller-check"), 2, "choose one")
    _one_line_refusal(run_serve(sqlite_url, "--listen", "localhost:http"), 2, "HOST:PORT")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_line_refusal(run_serve(sqlite_url, "--listen", f"127.0.0.1:{port}"), 1, "cannot listen on 127.0.0.1")


@pytest.mark.postgres
def test_serve_starts_without_its_store_and_recovers_when_it_returns(own_server: PostgresServer) -> None:
    url = own_server.new_database()
    with KeyStore(url, actor="t") as ks:
        ks.scopes.add("users:read")
        key = ks.keys.create("svc", ["users:read"]).key
    own_server.stop()
    server = ServeProcess(url)
    try:
        server.wait_ready()
        assert "cannot be reached" in server.output()
        assert server.client.get("/readyz").status_code == 503
        down = server.client.post("/v1/verify", json={"key": key})
        assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
        assert server.client.get("/v1/forward-auth", headers={"X-API-Key": key}).status_code == 503
        own_server.start_server()
        deadline = time.monotonic() + 30
        while server.client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.client.get("/v1/forward-auth", headers={"X-API-Key": key}).status_code == 200
        assert 'keyconsole_store_errors_total 2.0' in server.client.get("/metrics").text.splitlines()
    finally:
        server.stop()


@pytest.mark.postgres
def test_two_serve_processes_on_one_store_both_refuse_the_next_request(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    with KeyStore(url, actor="t") as ks:
        ks.scopes.add("users:read")
        key = ks.keys.create("svc", ["users:read"]).key
    servers = [ServeProcess(url), ServeProcess(url)]
    try:
        for server in servers:
            server.wait_ready()
            assert server.client.get("/v1/forward-auth", headers={"X-API-Key": key}).status_code == 200
        subprocess.run([sys.executable, "-m", "keyconsole", "keys", "deactivate", "svc", "--db", url],
                       check=True, capture_output=True, timeout=60)
        for server in servers:
            answer = server.client.get("/v1/forward-auth", headers={"X-API-Key": key})
            assert (answer.status_code, answer.text) == (401, "inactive")
    finally:
        for server in servers:
            server.stop()


def test_every_worker_refuses_the_next_request_and_metrics_sum_them(ks: KeyStore, store_url: str) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    server = ServeProcess(store_url, "--workers", "2")
    try:
        server.wait_ready()
        # A new connection each: the two workers share the listening socket and take turns.
        for _ in range(20):
            assert httpx.get(f"{server.base_url}/v1/forward-auth", headers={"X-API-Key": key}).status_code == 200
        subprocess.run([sys.executable, "-m", "keyconsole", "keys", "deactivate", "svc", "--db", store_url],
                       check=True, capture_output=True, timeout=60)
        for _ in range(20):
            assert httpx.get(f"{server.base_url}/v1/forward-auth", headers={"X-API-Key": key}).text == "inactive"
        metrics = httpx.get(f"{server.base_url}/metrics").text.splitlines()
        assert 'keyconsole_verifications_total{endpoint="forward_auth",reason="ok"} 20.0' in metrics
        assert 'keyconsole_verifications_total{endpoint="forward_auth",reason="inactive"} 20.0' in metrics
    finally:
        assert server.stop() == 0


def test_sigterm_lets_the_request_in_flight_finish(ks: KeyStore, store_url: str) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    server = ServeProcess(store_url)
    server.wait_ready()
    body = json.dumps({"key": key}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as client:
        # The request is under way (its body half sent) when SIGTERM arrives.
        client.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 10 + body[:10] + b"\r\n")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        rest = body[10:]
        client.sendall(b"%x\r\n" % len(rest) + rest + b"\r\n0\r\n\r\n")
        answer = b""
        while chunk := client.recv(65536):  # the server closes the connection as it stops
            answer += chunk
    started = time.monotonic()
    assert server.process.wait(timeout=20) == 0
    assert time.monotonic() - started < 10
    assert answer.startswith(b"HTTP/1.1 200") and b'"valid":true' in answer
    server.stop()


def test_with_a_caller_scope_every_request_carries_a_caller_key(ks: KeyStore, store_url: str) -> None:
    ks.scopes.add("keyconsole:verify")
    caller = ks.keys.create("gateway", ["keyconsole:verify"]).key
    not_a_caller = ks.keys.create("api client", ["users:read"]).key
    server = ServeProcess(store_url, "--caller-scope", "keyconsole:verify")
    try:
        server.wait_ready()
        client = server.client
        asked = {"X-API-Key": not_a_caller}
        missing = client.get("/v1/forward-auth", headers=asked)
        assert (missing.status_code, missing.text) == (401, "caller_refused")
        assert 'realm="keyconsole-caller"' in missing.headers["www-authenticate"]
        passed = client.get("/v1/forward-auth", headers={**asked, "X-Keyconsole-Caller": caller})
        assert passed.status_code == 200 and passed.headers["x-keyconsole-key-id"] in not_a_caller
        assert client.post("/v1/verify", json={"key": not_a_caller}).status_code == 401
        verdict = client.post("/v1/verify", json={"key": not_a_caller}, headers={"X-Keyconsole-Caller": caller})
        assert verdict.json()["valid"] is True
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-Keyconsole-Caller": caller}).status_code == 200
        # The probes say only up or down, and load balancers call them without keys.
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    finally:
        server.stop()


def test_every_refused_caller_gets_the_same_answer(ks: KeyStore, store_url: str) -> None:
    """No caller-key oracle (issue 23.3): without a key of one's own, the answer must not
    tell whether a stolen key is good, inactive, expired or lacks the scope."""
    ks.scopes.add("keyconsole:verify")
    caller = ks.keys.create("gateway", ["keyconsole:verify"]).key
    lacks_scope = ks.keys.create("api client", ["users:read"]).key
    inactive = ks.keys.create("off", ["keyconsole:verify"], active=False).key
    parsed = tokens.parse(caller)
    assert parsed is not None
    wrong_secret = tokens.assemble(parsed.public_id, "x" * tokens.SECRET_CHARS)
    unknown = ks.keys.create("gone", ["keyconsole:verify"]).key
    ks.keys.set_active("gone", False)
    ks.keys.delete_many(["gone"])
    server = ServeProcess(store_url, "--caller-scope", "keyconsole:verify")
    try:
        server.wait_ready()
        answers = {}
        for name, presented in {
            "none": None, "malformed": "kc_nope", "unknown": unknown, "invalid": wrong_secret,
            "inactive": inactive, "missing_scope": lacks_scope,
        }.items():
            headers = {} if presented is None else {"X-Keyconsole-Caller": presented}
            answer = server.client.get("/v1/forward-auth", headers=headers)
            answers[name] = (answer.status_code, answer.text, sorted(
                (k, v) for k, v in answer.headers.items() if k != "date"
            ))
        assert len(set(map(repr, answers.values()))) == 1, answers
        assert answers["none"][:2] == (401, "caller_refused")
    finally:
        server.stop()
    log = server.output()
    for reason in ("missing_key", "malformed", "unknown", "invalid", "inactive", "missing_scope"):
        assert f"caller refused ({reason})" in log, (reason, log[-3000:])


def test_serve_is_ready_quickly_and_imports_no_console(sqlite_url: str) -> None:
    KeyStore(sqlite_url, actor="t").close()
    server = ServeProcess(sqlite_url, port=free_port())
    try:
        assert server.wait_ready() < 10  # the benchmark measures it; here only that it comes up
    finally:
        server.stop()
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, keyconsole.serve.app; print(sorted(m for m in sys.modules "
         "if m.split('.')[0] in ('textual', 'sqlalchemy', 'rich')))"],
        capture_output=True, text=True, check=True,
    )
    assert probe.stdout.strip() == "[]"


def test_forward_auth_refuses_two_different_keys_and_believes_no_proxy_by_default(ks: KeyStore, store_url: str) -> None:
    """Issue 23.10: an ambiguous request is refused as the guards refuse it, and a local
    client cannot write an address of its choosing into the access log."""
    first, second = (ks.keys.create(name, ["users:read"]).key for name in ("a", "b"))
    default, trusting = ServeProcess(store_url), ServeProcess(store_url, "--trusted-proxy", "127.0.0.1")
    try:
        for server in (default, trusting):
            server.wait_ready()
        client = default.client
        for headers in (
            [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")],
            [("Authorization", f"Bearer {first}"), ("X-API-Key", second)],
        ):
            refused = client.get("/v1/forward-auth", headers=headers)
            assert (refused.status_code, refused.text) == (401, "ambiguous_key")
        assert client.get("/v1/forward-auth", headers=[("Authorization", f"Bearer {first}"), ("X-API-Key", first)]).status_code == 200
        for server in (default, trusting):
            server.client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    finally:
        default.stop()
        trusting.stop()
    assert "203.0.113.9" not in default.output()
    assert "203.0.113.9" in trusting.output()
    bad = run_serve(store_url, "--trusted-proxy", "not-an-address")
    assert bad.returncode == 2 and "--trusted-proxy" in bad.stderr

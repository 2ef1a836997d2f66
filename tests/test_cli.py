"""The command line as scripts use it: real processes, stdout, stderr and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keyconsole import KeyStore


def kc(
    db: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keyconsole", *args, "--db", db],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def test_the_whole_life_of_a_key_through_the_cli(store_url: str) -> None:
    ok(kc(store_url, "scopes", "add", "users:read", "--description", "Read users"))
    ok(kc(store_url, "scopes", "add", "users:write"))
    created = ok(kc(store_url, "keys", "create", "--name", "billing [prod]", "--scope", "users:read", "--scope", "users:write"))
    key = created.stdout.strip()
    assert key.startswith("kc_") and "\n" not in key
    assert "shown" in created.stderr and key not in created.stderr

    listed = json.loads(ok(kc(store_url, "keys", "list", "--json")).stdout)
    assert [(k["name"], k["status"], k["scopes"]) for k in listed] == [("billing [prod]", "ACTIVE", ["users:read", "users:write"])]
    assert set(listed[0]) >= {"id", "name", "scopes", "active", "status", "created_at", "expires_at", "last_used_at"}
    public_id = listed[0]["id"]
    assert key.startswith(public_id + "_")

    assert ok(kc(store_url, "verify", "--scope", "users:read", stdin=key + "\n")).stdout.startswith("valid")
    ok(kc(store_url, "keys", "edit", public_id, "--remove-scope", "users:write", "--expires", "2099-12-31"))
    refused = kc(store_url, "verify", "--scope", "users:write", stdin=key)
    assert refused.returncode == 1 and "missing_scope" in refused.stderr

    ok(kc(store_url, "keys", "deactivate", "billing [prod]"))
    shown = json.loads(ok(kc(store_url, "keys", "show", "billing [prod]", "--json")).stdout)
    assert shown["status"] == "INACTIVE" and shown["expires_at"].startswith("2100-01-01")
    assert kc(store_url, "verify", stdin=key).returncode == 1
    ok(kc(store_url, "keys", "activate", public_id))

    rotated = json.loads(ok(kc(store_url, "keys", "rotate", public_id, "--grace", "1h", "--json")).stdout)
    assert rotated["key"] != key and rotated["rotation_grace_until"]
    assert kc(store_url, "verify", stdin=key).returncode == 0
    assert kc(store_url, "verify", stdin=rotated["key"]).returncode == 0

    audit = json.loads(ok(kc(store_url, "audit", "--json", "--key", "billing [prod]")).stdout)
    assert [e["action"] for e in audit] == ["key.rotate", "key.activate", "key.deactivate", "key.edit", "key.create"]
    assert ok(kc(store_url, "audit", "verify")).returncode == 0
    scopes = json.loads(ok(kc(store_url, "scopes", "list", "--json")).stdout)
    assert [(s["name"], s["key_count"]) for s in scopes] == [("users:read", 1), ("users:write", 0)]


def test_demo_seed_fills_a_fresh_store_and_refuses_one_with_real_keys(store_url: str) -> None:
    seeded = ok(kc(store_url, "demo", "seed", "--keys", "300", "--json"))
    assert json.loads(seeded.stdout)["keys"] == 300
    keys = json.loads(ok(kc(store_url, "keys", "list", "--json")).stdout)
    assert len(keys) == 300 and {k["status"] for k in keys} <= {"ACTIVE", "INACTIVE", "EXPIRED"}
    key = ok(kc(store_url, "keys", "create", "--name", "real one", "--scope", "users:read")).stdout.strip()
    assert key
    refused = kc(store_url, "demo", "seed", "--keys", "10")
    assert refused.returncode == 1 and "real key" in refused.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["keys", "create", "--name", "x", "--scope", "nope"], 2, "unknown scope"),
        (["keys", "create", "--name", "bad\x1bname", "--scope", "users:read"], 2, "control character"),
        (["keys", "create", "--name", "x", "--scope", "users:read", "--expires", "2001-01-01"], 2, "past"),
        (["keys", "create", "--name", "x", "--scope", "users:read", "--expires", "someday"], 2, "cannot read the date"),
        (["keys", "show", "ghost"], 1, "no key"),
        (["keys", "deactivate", "ghost"], 1, "no key"),
        (["keys", "rotate", "ghost", "--grace", "forever"], 2, "duration"),
        (["keys", "edit", "ghost"], 2, "nothing to change"),
        (["keys", "list", "--status", "weird"], 2, "Invalid value"),
        (["scopes", "add", "Bad Scope"], 2, "bad scope name"),
        (["scopes", "remove", "ghost"], 1, "no scope"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_the_contract_exit_code(
    sqlite_url: str, args: list[str], code: int, message: str
) -> None:
    ok(kc(sqlite_url, "scopes", "add", "users:read"))
    result = kc(sqlite_url, *args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert json.loads(ok(kc(sqlite_url, "keys", "list", "--json")).stdout) == []


def test_a_duplicate_name_is_a_conflict(sqlite_url: str) -> None:
    ok(kc(sqlite_url, "scopes", "add", "users:read"))
    ok(kc(sqlite_url, "keys", "create", "--name", "svc", "--scope", "users:read"))
    result = kc(sqlite_url, "keys", "create", "--name", "SVC", "--scope", "users:read")
    assert result.returncode == 1 and "already exists" in result.stderr


def test_verify_reads_stdin_and_refuses_garbage_with_exit_1(sqlite_url: str) -> None:
    for garbage in ("", "not a key", "kc_" + "A" * 51, "\x00\xff" * 10):
        result = kc(sqlite_url, "verify", "--json", stdin=garbage)
        assert result.returncode == 1
        assert json.loads(result.stdout) == {"valid": False, "reason": "malformed", "key_id": None, "scopes": []}


def test_the_store_comes_from_the_environment_then_the_default_file(tmp_path: Path) -> None:
    env_db = tmp_path / "env.db"
    result = subprocess.run(
        [sys.executable, "-m", "keyconsole", "scopes", "add", "env:scope"],
        capture_output=True, text=True, env={**os.environ, "KEYCONSOLE_DB": f"sqlite:///{env_db}"},
    )
    assert result.returncode == 0, result.stderr
    assert env_db.exists()
    result = subprocess.run([sys.executable, "-m", "keyconsole", "scopes", "add", "default:scope"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    default = Path(os.environ["XDG_DATA_HOME"]) / "keyconsole" / "keys.db"
    assert default.exists()
    assert oct(default.stat().st_mode & 0o777) == "0o600"
    assert oct(default.parent.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize(
    ("db", "code", "message"),
    [
        ("mysql://x@localhost/db", 2, "unsupported store"),
        ("postgresql+psycopg2://x@localhost/db", 2, "psycopg driver"),
        ("postgresql+psycopg://u:hunter2@127.0.0.1:1/db", 1, "cannot use the store"),
    ],
)
def test_bad_and_unreachable_stores_get_a_clear_message(db: str, code: int, message: str) -> None:
    result = kc(db, "keys", "list")
    assert result.returncode == code
    assert message in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_a_reader_that_goes_away_stops_the_listing_quietly(sqlite_url: str) -> None:
    ok(kc(sqlite_url, "demo", "seed", "--keys", "3000"))
    process = subprocess.Popen([sys.executable, "-m", "keyconsole", "keys", "list", "--db", sqlite_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().startswith(b"NAME")
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 141 and err == b""


def test_keys_list_as_csv_is_a_credential_report_that_round_trips(ks: KeyStore, store_url: str) -> None:
    ks.keys.create('billing, "prod" backend', ["users:read", "billing:read"])
    ks.keys.create("plain", ["users:read"], active=False)
    raw = subprocess.run([sys.executable, "-m", "keyconsole", "keys", "list", "--format", "csv", "--db", store_url],
                         capture_output=True, check=True, timeout=60).stdout
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 3  # RFC 4180 line ends: a header and two rows
    report = raw.decode()
    rows = list(csv.DictReader(io.StringIO(report, newline="")))
    as_json = json.loads(ok(kc(store_url, "keys", "list", "--json")).stdout)
    assert [list(row) for row in rows][0] == list(as_json[0])  # every --json column, same order
    assert [row["name"] for row in rows] == [item["name"] for item in as_json]
    assert rows[0]["name"] == 'billing, "prod" backend'
    assert rows[0]["scopes"] == "billing:read users:read"
    assert (rows[0]["active"], rows[1]["active"]) == ("true", "false")
    assert rows[0]["expires_at"] == ""


def test_keys_list_narrows_to_stale_and_expiring_keys(ks: KeyStore, store_url: str) -> None:
    ks.keys.create("fresh", ["users:read"], expires_at=datetime.now(UTC) + timedelta(days=3))
    ks.keys.create("later", ["users:read"], expires_at=datetime.now(UTC) + timedelta(days=60))
    assert json.loads(ok(kc(store_url, "keys", "list", "--unused-for", "90d", "--json")).stdout) == []
    stale_now = json.loads(ok(kc(store_url, "keys", "list", "--unused-for", "0", "--json")).stdout)
    assert [key["name"] for key in stale_now] == ["fresh", "later"]
    soon = json.loads(ok(kc(store_url, "keys", "list", "--expiring-within", "14d", "--json")).stdout)
    assert [key["name"] for key in soon] == ["fresh"]
    refused = kc(store_url, "keys", "list", "--expiring-within", "soon")
    assert refused.returncode == 2 and "cannot read the duration" in refused.stderr


def test_several_keys_are_switched_off_together_or_not_at_all(ks: KeyStore, store_url: str) -> None:
    for name in ("a", "b", "c"):
        ks.keys.create(name, ["users:read"])
    events_before = len(ks.audit.query(limit=1000))
    refused = kc(store_url, "keys", "deactivate", "a", "b", "nosuch")
    assert refused.returncode == 1 and "nosuch" in refused.stderr
    assert all(key.active for key in ks.keys.list())  # all or nothing: nothing
    done = json.loads(ok(kc(store_url, "keys", "deactivate", "a", "b", "--json")).stdout)
    assert sorted(key["name"] for key in done) == ["a", "b"]
    assert {key.name: key.active for key in ks.keys.list()} == {"a": False, "b": False, "c": True}
    events = ks.audit.query(limit=1000)
    assert len(events) == events_before + 2  # one event per key
    assert {event.action for event in events[:2]} == {"key.deactivate"}
    again = ok(kc(store_url, "keys", "activate", "a", "b", "c"))
    assert "already active" in again.stderr and all(key.active for key in ks.keys.list())


def test_a_sweep_switches_off_keys_unused_for_long_and_a_dry_run_changes_nothing(ks: KeyStore, store_url: str) -> None:
    for name in ("old one", "old two"):
        ks.keys.create(name, ["users:read"])
    dry = ok(kc(store_url, "keys", "deactivate", "--unused-for", "0", "--dry-run"))
    assert "would be inactive" in dry.stderr and "nothing was changed" in dry.stderr
    assert all(key.active for key in ks.keys.list())
    assert json.loads(ok(kc(store_url, "keys", "deactivate", "--unused-for", "90d", "--json")).stdout) == []
    swept = json.loads(ok(kc(store_url, "keys", "deactivate", "--unused-for", "0", "--json")).stdout)
    assert sorted(key["name"] for key in swept) == ["old one", "old two"]
    assert not any(key.active for key in ks.keys.list())
    both = kc(store_url, "keys", "deactivate", "old one", "--unused-for", "1d")
    assert both.returncode == 2 and "not both" in both.stderr
    assert kc(store_url, "keys", "deactivate").returncode == 2


def test_inactive_keys_are_deleted_together_or_not_at_all_and_the_audit_keeps_them(ks: KeyStore, store_url: str) -> None:
    gone = ks.keys.create("old partner", ["users:read"], active=False)
    also = ks.keys.create("old batch", ["users:read"])
    live = ks.keys.create("live", ["users:read"])
    ks.keys.set_active("old batch", False)

    refused = kc(store_url, "keys", "delete", "old partner", "live", "--yes")
    assert refused.returncode == 1 and "'live'" in refused.stderr and "deactivate it first" in refused.stderr
    assert ks.keys.count() == 3, "all or nothing"

    unasked = kc(store_url, "keys", "delete", "old partner")  # stdin is not a terminal
    assert unasked.returncode == 2 and "--yes" in unasked.stderr
    assert ks.keys.count() == 3

    deleted = ok(kc(store_url, "keys", "delete", "old partner", also.info.public_id, "--yes", "--json"))
    assert sorted(info["name"] for info in json.loads(deleted.stdout)) == ["old batch", "old partner"]
    assert [info.name for info in ks.keys.list()] == ["live"]
    assert ks.verify(gone.key).reason == "unknown"
    assert ks.verify(live.key)
    events = [(e.action, e.key_name) for e in ks.audit.query(limit=2)]
    assert sorted(events) == [("key.delete", "old batch"), ("key.delete", "old partner")]
    assert ks.audit.verify_chain().intact
    missing = kc(store_url, "keys", "delete", "old partner", "--yes")
    assert missing.returncode == 1 and "no key" in missing.stderr


def test_owner_and_note_are_kept_listed_filtered_and_audited(ks: KeyStore, store_url: str) -> None:
    made = ok(kc(store_url, "keys", "create", "--name", "billing", "--scope", "users:read",
                 "--owner", "Alice Ørsted", "--note", "invoices export, ticket OPS-12", "--json"))
    assert json.loads(made.stdout)["owner"] == "Alice Ørsted"
    ok(kc(store_url, "keys", "create", "--name", "other", "--scope", "users:read", "--owner", "bob"))
    ok(kc(store_url, "keys", "create", "--name", "nobody's", "--scope", "users:read"))

    mine = json.loads(ok(kc(store_url, "keys", "list", "--owner", "alice ørsted", "--json")).stdout)
    assert [(k["name"], k["owner"], k["note"]) for k in mine] == [("billing", "Alice Ørsted", "invoices export, ticket OPS-12")]
    found = json.loads(ok(kc(store_url, "keys", "list", "--search", "ALI", "--json")).stdout)
    assert [k["name"] for k in found] == ["billing"], "the filter matches the start of an owner"
    assert "Owner:" in ok(kc(store_url, "keys", "show", "billing")).stdout

    ok(kc(store_url, "keys", "edit", "billing", "--owner", "", "--note", "moved to team B"))
    info = ks.keys.get("billing")
    assert info.owner is None and info.note == "moved to team B"
    edit = ks.audit.query(limit=1)[0]
    assert edit.details["owner"] == ["Alice Ørsted", None] and edit.details["note"][1] == "moved to team B"

    hostile = kc(store_url, "keys", "edit", "other", "--owner", "bob\x1b[2J")
    assert hostile.returncode == 2 and "owner" in hostile.stderr
    too_long = kc(store_url, "keys", "edit", "other", "--note", "x" * 501)
    assert too_long.returncode == 2 and "at most 500" in too_long.stderr
    assert ks.keys.get("other").owner == "bob"


def test_a_lifetime_policy_gives_new_and_rotated_keys_their_expiry_and_refuses_later_ones(
    ks: KeyStore, store_url: str
) -> None:
    assert json.loads(ok(kc(store_url, "policy", "show", "--json")).stdout) == {
        "max_lifetime_days": None, "require_expiry": False,
    }
    ok(kc(store_url, "keys", "create", "--name", "before", "--scope", "users:read"))
    ok(kc(store_url, "policy", "set", "--max-lifetime", "365d"))
    assert "at most 365 days" in ok(kc(store_url, "policy", "show")).stdout

    now = datetime.now(UTC)
    made = json.loads(ok(kc(store_url, "keys", "create", "--name", "new", "--scope", "users:read", "--json")).stdout)
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=364) < expires - now <= timedelta(days=365, minutes=1)
    later = kc(store_url, "keys", "create", "--name", "too long", "--scope", "users:read", "--expires", "400d")
    assert later.returncode == 2 and "at most 365 days" in later.stderr
    never = kc(store_url, "keys", "edit", "new", "--expires", "never")
    assert never.returncode == 2 and "requires an expiry" in never.stderr
    ok(kc(store_url, "keys", "edit", "new", "--expires", "30d"))

    assert ks.keys.get("before").expires_at is None, "existing keys keep theirs until rotated"
    ok(kc(store_url, "keys", "rotate", "before"))
    assert ks.keys.get("before").expires_at is not None

    ok(kc(store_url, "policy", "set", "--max-lifetime", "none", "--require-expiry", "yes"))
    refused = kc(store_url, "keys", "create", "--name", "forever", "--scope", "users:read")
    assert refused.returncode == 2 and "requires an expiry" in refused.stderr
    assert [e.action for e in ks.audit.query(limit=8)].count("policy.set") == 2
    bad = kc(store_url, "policy", "set", "--max-lifetime", "12h")
    assert bad.returncode == 2 and "at least one day" in bad.stderr

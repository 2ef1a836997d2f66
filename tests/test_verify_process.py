"""`keyconsole verify` as a process: a ready store is read without importing SQLAlchemy,
anything else takes the normal path, and both give the same answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from keyconsole import KeyStore
from keyconsole.store.direct.driver import open_lookup

PROBE = (
    "import sys\n"
    "from keyconsole.cli.main import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as done:\n"
    "    code = done.code\n"
    "print('sqlalchemy' in sys.modules, code, file=sys.stderr)\n"
)


def verify_process(db: str, key: str, *scopes: str) -> tuple[str, bool, int]:
    """stdout, whether SQLAlchemy was imported, and the exit code."""
    args = ["verify", "--db", db] + [arg for scope in scopes for arg in ("--scope", scope)]
    result = subprocess.run([sys.executable, "-c", PROBE, *args], input=key, capture_output=True, text=True, timeout=60)
    imported, code = result.stderr.strip().splitlines()[-1].split()
    return result.stdout, imported == "True", int(code or 0)


def test_a_ready_store_is_verified_without_sqlalchemy(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as store:
        store.scopes.add("users:read")
        issued = store.keys.create("svc", ["users:read"])

    out, imported, code = verify_process(store_url, issued.key, "users:read")
    assert (code, imported) == (0, False)
    assert f"valid: {issued.info.public_id}" in out

    with KeyStore(store_url, actor="tester") as store:
        assert store.keys.get("svc").last_used_at is not None
        store.keys.set_active("svc", False)
    _, imported, code = verify_process(store_url, issued.key)
    assert (code, imported) == (1, False)

    _, _, code = verify_process(store_url, issued.key[:-1] + "x")
    assert code == 1


def test_a_store_that_is_not_ready_takes_the_normal_path(tmp_path: Path) -> None:
    fresh = tmp_path / "new.db"
    assert open_lookup(str(fresh)) is None
    _, imported, code = verify_process(str(fresh), "kc_nope")
    assert (code, imported) == (1, True)
    # The normal path created the store; from now on the direct one serves it.
    assert fresh.is_file() and open_lookup(str(fresh)) is not None

    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database")
    assert open_lookup(str(foreign)) is None
    result = subprocess.run([sys.executable, "-m", "keyconsole", "verify", "--db", str(foreign)],
                            input="kc_nope", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "not a keyconsole store" in result.stderr
    assert "Traceback" not in result.stderr

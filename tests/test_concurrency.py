"""Several admins at once: nothing lost, nothing locked, no edit silently overwritten."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keyconsole import KeyStore
from keyconsole.errors import StaleEdit

pytestmark = pytest.mark.slow


def test_concurrent_creates_from_several_processes_lose_nothing(ks: KeyStore, store_url: str) -> None:
    workers, per_worker = 4, 15
    script = str(Path(__file__).with_name("creator_process.py"))
    processes = [
        subprocess.Popen([sys.executable, script, store_url, str(w), str(per_worker)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(workers)
    ]
    reported = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        assert "locked" not in err
        reported += out.split()
    stored = {k.public_id for k in ks.keys.list()}
    assert len(reported) == workers * per_worker
    assert stored == set(reported)
    creates = [e for e in ks.audit.query(limit=1000) if e.action == "key.create"]
    assert len(creates) == workers * per_worker
    assert ks.audit.verify_chain().intact


def test_an_edit_based_on_an_old_read_is_refused_as_a_conflict(ks: KeyStore, store_url: str) -> None:
    read_by_admin_a = ks.keys.create("svc", ["users:read"]).info
    with KeyStore(store_url, actor="admin b") as admin_b:
        admin_b.keys.edit("svc", add_scopes=["users:write"])
    with pytest.raises(StaleEdit, match="changed by someone else"):
        ks.keys.edit("svc", scopes=["billing:read"], expected_version=read_by_admin_a.version)
    with pytest.raises(StaleEdit):
        ks.keys.set_active("svc", False, expected_version=read_by_admin_a.version)
    current = ks.keys.get("svc")
    assert current.scopes == ("users:read", "users:write") and current.active

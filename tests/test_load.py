"""Load: 8 admins creating and editing at once while 2 verifiers run, for a bounded time.
No lost update (every conflict reported), no "database is locked", verification answers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from keyconsole import KeyStore
from tests.load_process import SHARED

pytestmark = pytest.mark.slow
ADMINS, VERIFIERS, SECONDS = 8, 2, 6.0
SCRIPT = str(Path(__file__).with_name("load_process.py"))


def test_eight_admins_and_two_verifiers_lose_nothing(ks: KeyStore, store_url: str) -> None:
    for name in SHARED:
        ks.keys.create(name, ["users:read"])
    key = ks.keys.create("verified", ["users:read"]).key
    processes = [
        subprocess.Popen([sys.executable, SCRIPT, store_url, "admin", str(n), str(SECONDS)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(ADMINS)
    ] + [
        subprocess.Popen([sys.executable, SCRIPT, store_url, "verify", str(n), str(SECONDS), key],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(VERIFIERS)
    ]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=SECONDS + 120)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    admins, verifiers = reports[:ADMINS], reports[ADMINS:]

    assert [error for report in reports for error in report["errors"]] == []
    assert all(report["ops"] > 0 for report in reports)
    assert sum(report["refused"] for report in verifiers) == 0

    # No lost update: every successful edit of a shared key made a version of its own, the
    # final version counts them all, and each has its audit event.
    edits = [tuple(edit) for report in admins for edit in report["edits"]]
    assert len(edits) == len(set(edits)), "two edits claimed the same version: one overwrote the other"
    per_key = Counter(name for name, _ in edits)
    for name in SHARED:
        assert ks.keys.get(name).version == 1 + per_key[name]
    audited = Counter(e.key_name for e in ks.audit.query(limit=100_000) if e.action == "key.edit")
    assert all(audited[name] == per_key[name] for name in SHARED)
    assert ks.audit.verify_chain().intact

    admin_ops = sum(report["ops"] for report in admins)
    verify_ops = sum(report["ops"] for report in verifiers)
    conflicts = sum(report["conflicts"] for report in admins)
    print(
        f"\n{store_url.split(':')[0]}: admins {admin_ops / SECONDS:.0f} ops/s ({conflicts} conflicts reported),"
        f" worst {max(r['worst_s'] for r in admins) * 1000:.0f} ms; verifiers {verify_ops / SECONDS:.0f} calls/s,"
        f" worst {max(r['worst_s'] for r in verifiers) * 1000:.0f} ms"
    )

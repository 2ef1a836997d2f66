"""Keys for every verdict, shared by the framework guard tests."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from keyconsole import KeyStore, tokens


def keys_for_every_verdict(ks: KeyStore) -> dict[str, str]:
    """ok, inactive, expired, invalid, unknown, malformed (``ks`` has users:read and billing:read)."""
    made = {
        "ok": ks.keys.create("svc", ["users:read", "billing:read"]).key,
        "inactive": ks.keys.create("off", ["users:read"], active=False).key,
        "expired": ks.keys.create("old", ["users:read"], expires_at=datetime.now(UTC) + timedelta(seconds=1)).key,
    }
    ok_id = tokens.parse(made["ok"]).public_id  # type: ignore[union-attr]
    made["invalid"] = tokens.assemble(ok_id, tokens.new_secret())
    made["unknown"] = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    made["malformed"] = made["ok"][:-1] + ("A" if made["ok"][-1] != "A" else "B")
    time.sleep(1.1)  # "old" has expired
    return made


REFUSED_401 = ("malformed", "unknown", "invalid", "inactive", "expired")


def deactivate_with_the_cli(store_url: str, name: str) -> None:
    """As an admin would, from another process, while the guarded app runs."""
    subprocess.run([sys.executable, "-m", "keyconsole", "keys", "deactivate", name, "--db", store_url],
                   check=True, capture_output=True, timeout=60)

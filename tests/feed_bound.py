"""Waiting out the bound within which a change reaches every other process: none on SQLite
(its very next call), the change feed's 100 ms on PostgreSQL (docs/deploying.md)."""

from __future__ import annotations

import time

from keyconsole import KeyStore
from keyconsole.store.direct.change_feed import BOUND_S


def settled(ks: KeyStore) -> None:
    """Wait out the bound a change takes to reach every process (none on SQLite)."""
    if not ks.database.dialect.embedded:
        time.sleep(BOUND_S)

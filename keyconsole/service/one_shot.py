"""One verification in a short-lived process (`keyconsole verify`).

Such a process spends most of its life importing: it first tries the store through a
direct driver connection (store/direct/driver.py, no SQLAlchemy), and opens a full KeyStore only
when the store needs creating, migrating or explaining.
"""

from __future__ import annotations

from collections.abc import Sequence

from keyconsole.service.verify import Verifier, VerifyResult
from keyconsole.store.direct.driver import open_lookup


def verify_once(db: str | None, presented: str, required: Sequence[str]) -> VerifyResult:
    lookup = open_lookup(db)
    if lookup is None:
        from keyconsole.service.api import KeyStore

        with KeyStore(db) as store:
            return store.verify(presented, scopes=required)
    try:
        return Verifier(lookup).verify(presented, required)
    finally:
        lookup.close()

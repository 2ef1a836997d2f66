"""What the console shows while its store is still opening.

Opening a KeyStore means importing SQLAlchemy, about 0.3 s on a 2-core machine, as long
again as an empty Textual app takes to start. The console's first screen needs only the
first page of keys, which a direct read (store/direct.py) gives in milliseconds; the store
opens in the background meanwhile (tui/key_store_opening.py). Imports no SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass

from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.records import KeyInfo, key_info
from keyconsole.store.direct import open_direct
from keyconsole.store.first_page import has_scopes, read_first_page


@dataclass(frozen=True)
class KeysPreview:
    """The keys table's first page in the default order (service/key_query.py's KeyQuery())."""

    display_name: str
    first_page: list[KeyInfo]
    has_scopes: bool


def preview_keys(db: str | None, limit: int, clock: Clock = utc_now) -> KeysPreview | None:
    """The first ``limit`` keys of the store at ``db`` (as ``--db`` takes it), or None when
    the store is not plainly ready: then the normal open creates, migrates or explains."""
    store = open_direct(db)
    if store is None:
        return None
    try:
        rows = read_first_page(store, limit)
        any_scope = bool(rows) or has_scopes(store)
    except store.driver_error:
        return None
    finally:
        store.connection.close()
    now = clock()
    return KeysPreview(
        store.display_name,
        [key_info(row, row.scopes, row.grace_until, now) for row in rows],
        any_scope,
    )

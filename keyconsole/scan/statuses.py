"""What the store says of a found key: live, inactive, expired, rotated or unknown.

Unlike verification, judging a found key writes no "last used" (finding a leaked key is not
a use of it) and skips the flood bound (the scan, not a client, chose these secrets).
Each distinct key is judged once, however often it was found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from keyconsole import tokens
from keyconsole.errors import StoreUnavailable
from keyconsole.hashing import secret_matches
from keyconsole.scan.findings import EXPIRED, INACTIVE, LIVE, ROTATED, UNKNOWN, Finding
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.key_state import Status, in_grace, status_at
from keyconsole.store.direct.address import without_password
from keyconsole.store.direct.connectors import error_line
from keyconsole.store.direct.driver import find_driver, ready_lookup
from keyconsole.store.direct.key_lookup import KeyLookup, KeyState

# A found key's status in scan's words: "live" rather than ACTIVE (docs/scan.md).
_FINDING_STATUS = {Status.ACTIVE: LIVE, Status.INACTIVE: INACTIVE, Status.EXPIRED: EXPIRED}


class StatusCheck:
    def __init__(self, lookup: KeyLookup, clock: Clock = utc_now) -> None:
        self._lookup = lookup
        self._now = clock

    def judge(self, findings: Sequence[Finding], progress: Callable[[int, int], None] | None = None) -> None:
        """Set each finding's status (raises StoreUnavailable when the store cannot be read).
        Distinct keys are judged on every core at once: each costs an argon2 run, which
        releases the interpreter lock. ``progress`` hears (keys judged, distinct keys)."""
        keys = list(dict.fromkeys(finding.key for finding in findings))
        statuses: list[str] = []
        with ThreadPoolExecutor(max_workers=min(len(keys), os.cpu_count() or 1) or 1) as pool:
            for status in pool.map(self.status, keys):
                statuses.append(status)
                if progress is not None:
                    progress(len(statuses), len(keys))
        judged = dict(zip(keys, statuses, strict=True))
        for finding in findings:
            finding.status = judged[finding.key]

    def status(self, key: tokens.ParsedKey) -> str:
        state = self._lookup.find(key.public_id)
        if state is None:
            return UNKNOWN
        if secret_matches(state.secret_hash, key.secret):
            return self._current_status(state)
        if (
            state.previous_hash is not None
            and in_grace(state.previous_hash_until, self._now())
            and secret_matches(state.previous_hash, key.secret)
        ):
            return self._current_status(state)
        # The key exists but no longer takes this secret: one from before a rotation (only
        # the last one's hash is kept, and none after a rotation without grace). A key
        # that only looks like one of ours would need its public id, chosen on purpose.
        return ROTATED

    def _current_status(self, state: KeyState) -> str:
        return _FINDING_STATUS[status_at(state.active, state.expires_at, self._now())]


def judge_in_store(
    db: str | None, findings: list[Finding], progress: Callable[[int, int], None] | None = None
) -> str | None:
    """Set the findings' statuses from the store ``db``; when it cannot be read, leave them
    unchecked and return why in one line. Never creates or migrates a store."""
    driver = find_driver(db)
    if driver is None:
        return f"cannot read the store {without_password(str(db))!r} directly: give a SQLite file or a PostgreSQL URL"
    try:
        # Each key found is asked about once: reading the store every time is as fast, and
        # as current as it gets.
        lookup = ready_lookup(driver, remember=False)
    except driver.driver_error as error:
        return f"cannot use the store {driver.display_name}: {error_line(error)}"
    if isinstance(lookup, str):
        return lookup
    try:
        StatusCheck(lookup).judge(findings, progress)
    except StoreUnavailable as error:
        return str(error)  # judge sets no status until every key is judged
    finally:
        lookup.close()
    return None

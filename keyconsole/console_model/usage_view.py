"""How a key's usage reads in the console: a dense series per period for a plot, counts in
words (``1.2k``), and its refusals by reason. Textual-free."""

from __future__ import annotations

from datetime import datetime, timedelta

from keyconsole import moments
from keyconsole.service.usage import USAGE_COUNTS, KeyUsage

_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# The refusals' words, in USAGE_COUNTS order after "accepted".
_REFUSED_AS = {"inactive": "inactive or expired", "missing_scope": "missing scope", "wrong_secret": "wrong secret",
               "throttled": "throttled"}


def series(usage: KeyUsage, periods: int, now: datetime) -> list[int]:
    """Calls in each of the last ``periods`` hours or days up to ``now``'s, oldest first
    (a period without a verify is 0)."""
    step = _STEP[usage.by]
    last = moments.start_of_period(now, usage.by)
    calls = {period.start: period.calls for period in usage.periods}
    return [calls.get(last - step * back, 0) for back in range(periods - 1, -1, -1)]


def in_words(count: int) -> str:
    """A count as a column shows it: 950, 1.2k, 34k, 5.6M."""
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if count >= size:
            scaled = count / size
            return f"{scaled:.1f}{unit}" if scaled < 10 else f"{scaled:.0f}{unit}"
    return str(count)


def summary(usage: KeyUsage) -> str:
    """``1,234 calls, 12 refused (10 inactive or expired, 2 missing scope)``."""
    totals = dict(zip(USAGE_COUNTS, usage.totals, strict=True))
    calls = sum(totals.values())
    refused = {reason: totals[reason] for reason in _REFUSED_AS if totals[reason]}
    words = f"{calls:,} call{'' if calls == 1 else 's'}"
    if refused:
        reasons = ", ".join(f"{count:,} {_REFUSED_AS[reason]}" for reason, count in refused.items())
        words += f", {sum(refused.values()):,} refused ({reasons})"
    return words

"""How a key's usage reads in the console: a dense series per period for a plot, counts in
words (``1.2k``), the keys table's sparkline of the last day, and refusals by reason.
Textual-free."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from keyconsole import moments
from keyconsole.service.usage_window import DAY_HOURS, is_spike
from keyconsole.store.direct.key_columns import USAGE_COUNTS

if TYPE_CHECKING:
    # SQLAlchemy's: the keys table draws its first screen before that is imported.
    from keyconsole.service.usage import KeyUsage

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
    """A count as a column shows it, in four characters at most: 950, 1.2k, 34k, 5.6M."""
    if count < 1000:
        return str(count)
    for size, unit in ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "G")):
        scaled = count / size
        # Rounded as shown: 9,960 is "10k", never "10.0k"; 999,600 is "1.0M", never "1000k".
        if scaled < 9.95:
            return f"{scaled:.1f}{unit}"
        if scaled < 999.5:
            return f"{scaled:.0f}{unit}"
    return f"{count / 1_000_000_000_000:.0f}T"


# One bar per level, lowest first; an hour without a verify is blank. The plain set is for
# terminals whose font lacks the block elements (the Linux console) or that ask for no
# colour, where a blank and a low bar could not be told apart by colour either.
BARS = "▁▂▃▄▅▆▇█"
PLAIN_BARS = ".,:-=+*#"
SPIKE = "spike"
# The number's width: in_words never takes more.
WORDS_WIDTH = 4


def sparkline(series: tuple[int, ...], bars: int, *, plain: bool = False) -> str:
    """``series`` in ``bars`` characters (each the sum of as many hours; ``bars`` divides
    the series' length), scaled to its busiest bar."""
    levels = PLAIN_BARS if plain else BARS
    size = len(series) // bars
    sums = [sum(series[n * size : (n + 1) * size]) for n in range(bars)]
    top = max(sums)
    if top == 0:
        return " " * bars
    # Any verify shows as at least the lowest bar; the busiest bar is the highest.
    return "".join(" " if calls == 0 else levels[(calls * len(levels) - 1) // top] for calls in sums)


def usage_cell(series: tuple[int, ...], width: int, *, plain: bool = False) -> str:
    """The keys table's Usage cell: the day's calls in words and their sparkline, as many
    bars as ``width`` leaves room for (a divisor of the day's hours); a spike is said in words
    where the bars would not all fit beside it."""
    calls = sum(series)
    words = in_words(calls).rjust(WORDS_WIDTH)
    if calls == 0:
        return words
    room = width - WORDS_WIDTH - 1
    spike = is_spike(series)
    if spike:
        room -= len(SPIKE) + 1
    bars = max((n for n in range(1, DAY_HOURS + 1) if DAY_HOURS % n == 0 and n <= room), default=0)
    shown = [words]
    if bars >= 4:
        shown.append(sparkline(series, bars, plain=plain))
    if spike:
        shown.append(SPIKE)
    return " ".join(shown)


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

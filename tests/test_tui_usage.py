"""Usage in the console: the keys table's Usage column (words, bars, spikes, the sort) and
the details pane's plots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Sparkline

from keyconsole import KeyStore
from keyconsole.console_model.usage_view import BARS, PLAIN_BARS
from keyconsole.tui.widgets.keys_table import KeysTable
from tests.tui_helpers import opened, press, row_of, settle, table_lines
from tests.usage_rows import add_hourly_usage

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def used(tmp_path) -> KeyStore:  # type: ignore[no-untyped-def]
    """Four keys with a day behind them: steady, spiking, barely used and unused."""
    ks = KeyStore(str(tmp_path / "keys.db"), actor="tester", clock=lambda: NOW)
    ks.scopes.add("users:read")
    for name in ("steady", "spiking", "quiet", "unused"):
        ks.keys.create(name, ["users:read"])
    add_hourly_usage(ks, "steady", {ago: 50 + ago for ago in range(24)}, NOW)
    add_hourly_usage(ks, "spiking", {**{ago: 1 for ago in range(2, 24)}, 1: 40, 0: 400}, NOW)
    add_hourly_usage(ks, "quiet", {5: 3}, NOW)
    yield ks
    ks.close()


def _usage_cell(line: str) -> str:
    # Name 15, Key id 15, Scopes 13, Status 8 (each and a gap) at 80 columns.
    return line[15 + 1 + 15 + 1 + 13 + 1 + 8 + 1:][:11].rstrip()


async def test_the_usage_column_says_the_day_in_words_and_bars_and_marks_a_spike(used: KeyStore) -> None:
    async with opened(used, (80, 24), clock=lambda: NOW) as pilot:
        app = pilot.app
        assert "Usage" in table_lines(app)[0]
        steady = _usage_cell(row_of(app, "steady"))
        assert steady.startswith("1.5k ") and set(steady[5:]) <= set(BARS) and len(steady) == 11
        assert _usage_cell(row_of(app, "spiking")) == " 462 spike"
        assert _usage_cell(row_of(app, "quiet")).startswith("   3 ")
        assert _usage_cell(row_of(app, "unused")) == "   0"
        header = str(app.screen.query_one("#store-info").render())
        assert "1 spiking" in header


async def test_o_sorts_by_usage_the_busiest_first(used: KeyStore) -> None:
    async with opened(used, (80, 24), clock=lambda: NOW) as pilot:
        for _ in range(3):  # name, id, status, then usage
            await press(pilot, "o")
        lines = table_lines(pilot.app)
        assert "Usage v" in lines[0]
        assert [line.split()[0] for line in lines[1:5]] == ["steady", "spiking", "quiet", "unused"]
        await press(pilot, "O")
        lines = table_lines(pilot.app)
        assert "Usage ^" in lines[0]
        assert [line.split()[0] for line in lines[1:5]] == ["unused", "quiet", "spiking", "steady"]


async def test_bars_are_plain_characters_under_no_color(used: KeyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with opened(used, (80, 24), clock=lambda: NOW) as pilot:
        steady = _usage_cell(row_of(pilot.app, "steady"))
        assert steady.startswith("1.5k ") and set(steady[5:]) <= set(PLAIN_BARS)


async def test_a_wide_terminal_shows_two_hours_a_bar(used: KeyStore) -> None:
    async with opened(used, (140, 24), clock=lambda: NOW) as pilot:
        assert pilot.app.keys_screen.query_one(KeysTable)._widths[4] == 17  # noqa: SLF001
        line = row_of(pilot.app, "spiking")
        assert " 462 " in line and " spike" in line


async def test_the_details_pane_plots_the_last_day_and_month(ks: KeyStore) -> None:
    issued = ks.keys.create("plotted", ["users:read"])
    for _ in range(30):
        assert ks.verify(issued.key, scope="users:read")
    for _ in range(3):
        assert not ks.verify(issued.key, scope="users:write")
    assert ks._verifier.flush_usage()  # noqa: SLF001
    async with opened(ks, (80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "i")
        screen = pilot.app.screen
        for period, points in (("day", 24), ("month", 30)):
            assert str(screen.query_one(f"#usage-{period}").render()) == "33 calls, 3 refused (3 missing scope)"
            plotted = list(screen.query_one(f"#plot-{period}", Sparkline).data or [])
            assert len(plotted) == points and plotted[-1] == 33 and sum(plotted) == 33

"""How usage reads in the console's cells (console_model/usage_view.py): pure functions."""

from __future__ import annotations

from keyconsole.console_model.usage_view import BARS, PLAIN_BARS, in_words, sparkline, usage_cell


def test_a_sparkline_scales_to_its_busiest_bar_and_leaves_silent_hours_blank() -> None:
    series = (0,) * 4 + (1,) * 4 + (0,) * 8 + (1000,) * 4 + (500,) * 4
    assert sparkline(series, 6) == f" {BARS[0]}  {BARS[-1]}{BARS[3]}"
    assert sparkline(series, 6, plain=True) == f" {PLAIN_BARS[0]}  {PLAIN_BARS[-1]}{PLAIN_BARS[3]}"
    assert sparkline((0,) * 24, 12) == " " * 12
    assert len(sparkline(series, 24)) == 24 and len(sparkline(series, 12)) == 12


def test_counts_read_in_words_within_four_characters() -> None:
    counts = (0, 950, 1_234, 9_960, 34_000, 999_499, 999_999, 5_600_000, 12_000_000_000)
    assert [in_words(n) for n in counts] == ["0", "950", "1.2k", "10k", "34k", "999k", "1.0M", "5.6M", "12G"]


def test_a_cell_fits_its_width_and_says_a_spike_in_words() -> None:
    quiet = (1,) * 24
    assert usage_cell(quiet, 11) == f"  24 {BARS[-1] * 6}"
    assert usage_cell(quiet, 17) == f"  24 {BARS[-1] * 12}"
    assert usage_cell((0,) * 24, 11) == "   0"
    spiking = (1,) * 22 + (0, 400)
    assert usage_cell(spiking, 11) == " 422 spike"
    wide = usage_cell(spiking, 17)
    assert wide.endswith(" spike") and len(wide) == 17

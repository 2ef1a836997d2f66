"""The local clipboard forgets a copied key after a while, and when the console quits;
never a text the admin copied over it meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from keyconsole import KeyStore
from keyconsole.settings import CLIPBOARD_CLEAR_S as CLEAR_ENV
from keyconsole.settings import InvalidSetting, clipboard_clear_s
from keyconsole.tui.app import make_app
from keyconsole.tui.screens.reveal import RevealKeyScreen

SIZE = (80, 24)


async def _add_key_and_copy(app, pilot) -> str:  # type: ignore[no-untyped-def]
    await pilot.press("a", *"svc", "tab", "space", "ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, RevealKeyScreen)
    await pilot.press("c")
    return str(app.screen.query_one("#secret").render())


@pytest.mark.parametrize("copied_over", [None, "the admin's own text"])
async def test_a_copied_key_is_wiped_after_the_configured_time_unless_copied_over(
    ks: KeyStore, clipboard: list[str], monkeypatch: pytest.MonkeyPatch, copied_over: str | None
) -> None:
    monkeypatch.setenv(CLEAR_ENV, "0.3")
    app = make_app(ks)
    async with app.run_test(size=SIZE) as pilot:
        key = await _add_key_and_copy(app, pilot)
        assert clipboard == [key]
        assert "cleared in 0.3 s" in str(app.screen.query_one("#copy-status").render())
        if copied_over is not None:
            clipboard.append(copied_over)
        await asyncio.sleep(0.6)
        await pilot.pause()
        assert clipboard[-1] == (copied_over or "")


async def test_quitting_wipes_a_key_still_waiting(ks: KeyStore, clipboard: list[str]) -> None:
    app = make_app(ks)  # the default: 30 s
    async with app.run_test(size=SIZE) as pilot:
        key = await _add_key_and_copy(app, pilot)
        await pilot.press("enter")
        assert clipboard[-1] == key
    assert clipboard[-1] == ""


@pytest.mark.parametrize(("raw", "seconds"), [("", 30.0), ("5", 5.0), ("0", 0.0), (" 2.5 ", 2.5)])
def test_the_delay_setting(monkeypatch: pytest.MonkeyPatch, raw: str, seconds: float) -> None:
    monkeypatch.setenv(CLEAR_ENV, raw)
    assert clipboard_clear_s() == seconds


@pytest.mark.parametrize("raw", ["soon", "-3", "nan", "1e9"])
def test_a_bad_delay_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(CLEAR_ENV, raw)
    with pytest.raises(InvalidSetting, match=f"^{CLEAR_ENV} must be a number of seconds"):
        clipboard_clear_s()

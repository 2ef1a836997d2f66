"""The console never waits for the store on its UI thread: every read and write runs in a
worker, and the console keeps answering keys while one is held."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.widgets import Input

from keyconsole import KeyStore
from keyconsole.tui.app import make_app
from keyconsole.tui.screens.key_form import KeyFormScreen
from keyconsole.tui.screens.reveal import RevealKeyScreen
from keyconsole.tui.widgets.busy_note import BusyNote
from tests.tui_helpers import row_of, settle

SIZE = (80, 24)


class ThreadRecorder:
    """Stands in for one of KeyStore's services and notes which thread called what."""

    def __init__(self, service: object, calls: list[tuple[str, bool]], hold: dict[str, threading.Event]) -> None:
        self._service = service
        self._calls = calls
        self._hold = hold

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._service, name)
        if not callable(attribute):
            return attribute

        def recorded(*args: object, **kwargs: object) -> object:
            self._calls.append((name, threading.current_thread() is threading.main_thread()))
            if name in self._hold:
                assert self._hold[name].wait(30), f"the test never released {name}"
            return attribute(*args, **kwargs)

        return recorded


def recorded(ks: KeyStore, hold: dict[str, threading.Event] | None = None) -> list[tuple[str, bool]]:
    calls: list[tuple[str, bool]] = []
    for service in ("keys", "scopes", "audit"):
        setattr(ks, service, ThreadRecorder(getattr(ks, service), calls, hold or {}))
    return calls


def called(calls: list[tuple[str, bool]], since: int) -> set[str]:
    return {name for name, _ in calls[since:]}


async def test_sort_reverse_toggle_poll_and_save_reach_the_store_only_from_workers(
    ks: KeyStore, store_url: str
) -> None:
    ks.keys.create("svc", ["users:read"])
    ks.keys.create("other", ["users:read"])
    calls = recorded(ks)
    app = make_app(ks, poll_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        steps: dict[str, set[str]] = {}

        async def step(label: str, action: Callable[[], Any]) -> None:
            since = len(calls)
            await action()
            await settle(pilot)
            steps[label] = called(calls, since)

        await step("open", pilot.pause)
        await step("sort", lambda: pilot.press("o"))
        await step("reverse", lambda: pilot.press("O"))
        await step("toggle", lambda: pilot.press("d", "y"))

        async def change_elsewhere() -> None:
            with KeyStore(store_url, actor="cli") as other:
                other.keys.create("made elsewhere", ["users:read"])
            await pilot.pause(0.6)

        await step("poll", change_elsewhere)
        await step("form", lambda: pilot.press("a"))
        await step("save", lambda: pilot.press(*"saved", "tab", "space", "ctrl+s"))
        assert isinstance(app.screen, RevealKeyScreen)

    assert {"list", "change_marker"} <= steps["sort"] and {"list"} <= steps["reverse"]
    assert "set_active" in steps["toggle"] and "list" in steps["toggle"]
    assert "change_marker" in steps["poll"] and "list" in steps["poll"]
    assert "list" in steps["form"]  # the form's scopes
    assert "create" in steps["save"]
    on_ui_thread = sorted({name for name, ui in calls if ui})
    assert on_ui_thread == [], f"store calls made on the UI thread: {on_ui_thread}"
    assert ks.keys.get("saved").scopes == ("billing:read",)


async def test_a_save_held_behind_a_gate_leaves_the_console_answering_keys(ks: KeyStore) -> None:
    gate = threading.Event()
    recorded(ks, hold={"create": gate})
    app = make_app(ks)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"held", "tab", "space", "ctrl+s")
        await pilot.pause(BusyNote.SHOW_AFTER * 2)
        form = app.screen
        assert isinstance(form, KeyFormScreen)
        busy = form.query_one(BusyNote)
        assert busy.display and "saving the new key" in str(busy.render())
        # Keys are answered meanwhile: focus moves, typing lands, escape explains itself.
        await pilot.press("shift+tab")
        assert app.focused is form.query_one("#name", Input)
        await pilot.press("escape")
        assert app.screen is form, "escape must not drop a save that is under way"
        assert any("Still saving" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+s")  # a second save while the first runs is ignored
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, RevealKeyScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert "ACTIVE" in row_of(app, "held")
    assert ks.keys.count() == 1


async def test_a_toggle_held_behind_a_gate_leaves_the_table_answering_keys(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    gate = threading.Event()
    recorded(ks, hold={"set_active": gate})
    app = make_app(ks)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d", "y")
        await pilot.pause(BusyNote.SHOW_AFTER * 2)
        busy = app.keys_screen.query_one(BusyNote)
        assert busy.display and "deactivating" in str(busy.render())
        await pilot.press("slash")
        assert app.focused is app.keys_screen.query_one("#filter", Input)
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert "INACTIVE" in row_of(app, "svc")
        assert not busy.display

"""The key form's focus order does not depend on how fast the store answers, and its scope
checklist filters as one types (issue 26)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keyconsole import KeyStore
from keyconsole.tui.screens.audit import AuditTable
from keyconsole.tui.screens.key_form import KeyFormScreen
from keyconsole.tui.widgets.choice import ScopeChecklist, YesNo
from tests.tui_helpers import opened, press, settle

SIZE = (80, 24)


def _held(owner: object, method: str, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make ``owner.method`` wait until the returned event is set: a slow store."""
    release = threading.Event()
    real: Callable[..., Any] = getattr(owner, method)

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, method, slow)
    return release


@pytest.fixture
def held_scope_read(ks: KeyStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The form's read of the scopes waits until the test sets the event."""
    release = _held(ks.scopes, "list", monkeypatch)
    yield release
    release.set()


async def test_tab_tab_down_save_while_the_scopes_are_read_sets_the_key_inactive(
    ks: KeyStore, held_scope_read: threading.Event
) -> None:
    """The race an admin met over SSH: keys sent in a burst while the store was slow."""
    issued = ks.keys.create("web", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, KeyFormScreen)
        assert not form.query_one(ScopeChecklist).is_filled, "the read is still held back"
        await pilot.press("tab")
        assert isinstance(app.focused, ScopeChecklist), "Scopes takes focus in its place before its rows"
        await pilot.press("tab", "down", "ctrl+s")
        assert isinstance(app.focused, YesNo) and not app.focused.value
        assert isinstance(app.screen, KeyFormScreen), "the save waits for the scopes"
        held_scope_read.set()
        await settle(pilot)
        assert not isinstance(app.screen, KeyFormScreen)
    assert ks.verify(issued.key).reason == "inactive"
    assert ks.keys.get("web").scopes == ("users:read",)


async def _form_closed_after_keys_sent_while_scopes_are_read(
    ks: KeyStore, held_scope_read: threading.Event, *keys: str
) -> bool:
    """Open the key "web", press ``keys`` while the scope read is held back, then let it
    answer: whether the form has closed."""
    async with opened(ks, SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*keys)
        held_scope_read.set()
        await settle(pilot)
        return not isinstance(pilot.app.screen, KeyFormScreen)


async def test_keys_pressed_in_the_checklist_before_its_scopes_arrive_act_as_they_would_after(
    ks: KeyStore, held_scope_read: threading.Event
) -> None:
    ks.keys.create("web", ["users:read"])
    # Scopes are listed billing:read, users:read, users:write: down twice, then toggle.
    keys = ("tab", "down", "down", "space", "ctrl+s")
    assert await _form_closed_after_keys_sent_while_scopes_are_read(ks, held_scope_read, *keys)
    assert ks.keys.get("web").scopes == ("users:read", "users:write")


async def test_escape_while_the_scopes_are_read_closes_an_unchanged_form(
    ks: KeyStore, held_scope_read: threading.Event
) -> None:
    ks.keys.create("web", ["users:read"])
    assert await _form_closed_after_keys_sent_while_scopes_are_read(ks, held_scope_read, "tab", "escape")


@pytest.fixture
def three_hundred_scopes(ks: KeyStore) -> KeyStore:
    for n in range(1, 301):
        ks.scopes.add(f"svc{n}", f"service number {n}" if n % 3 == 0 else "")
    return ks


async def test_typing_200_reaches_svc200_among_300_scopes_and_saves_it(three_hundred_scopes: KeyStore) -> None:
    ks = three_hundred_scopes
    ks.keys.create("web", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        await press(pilot, "enter")
        checklist = pilot.app.screen.query_one(ScopeChecklist)
        await press(pilot, "tab", "2", "0", "0")
        assert checklist.option_count == 1 and checklist.filter_text == "200"
        assert "filter: 200" in str(checklist.border_title)
        await press(pilot, "space")
        assert checklist.selected == {"users:read", "svc200"}
        assert "1 hidden by the filter" in str(checklist.border_subtitle)
        await press(pilot, "backspace")
        assert checklist.filter_text == "20" and checklist.option_count == 13  # svc20, svc120, svc200-209, svc220
        await press(pilot, "escape")
        assert checklist.filter_text == "" and isinstance(pilot.app.screen, KeyFormScreen)
        await press(pilot, "ctrl+s")
        assert not isinstance(pilot.app.screen, KeyFormScreen)
    assert ks.keys.get("web").scopes == ("svc200", "users:read")


async def test_select_all_and_none_act_on_the_scopes_shown(three_hundred_scopes: KeyStore) -> None:
    ks = three_hundred_scopes
    async with opened(ks, SIZE) as pilot:
        await press(pilot, "a")
        checklist = pilot.app.screen.query_one(ScopeChecklist)
        await press(pilot, *"job", "tab", *"svc29", "ctrl+a")
        assert checklist.selected == {"svc29", *(f"svc{n}" for n in range(290, 300))}
        await press(pilot, "backspace", "ctrl+n")
        assert checklist.selected == set()


async def test_arrows_pressed_before_the_audit_rows_arrive_move_the_cursor_once_they_do(
    ks: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 26: every screen that fills from a worker keeps the keys meant for it."""
    for n in range(5):
        ks.keys.create(f"k{n}", ["users:read"])
    release = _held(ks.audit, "query", monkeypatch)
    async with opened(ks, SIZE) as pilot:
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("down", "down", "down")
        release.set()
        await settle(pilot)
        table = pilot.app.screen.query_one(AuditTable)
        assert table.row_count >= 5 and table.cursor_row == 3
    release.set()

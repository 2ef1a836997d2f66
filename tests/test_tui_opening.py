"""The console as `keyconsole` opens it: the first page drawn at once, the store opened behind it.

The background opening is held at a gate here, so each test sees the console both before
and after its store has opened.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

from textual.widgets import DataTable

from keyconsole import KeyStore
from keyconsole.console_model.listing import PAGE
from keyconsole.errors import StoreUnavailable
from keyconsole.tui.app import KeyConsoleApp, first_window_read_directly, open_app
from keyconsole.tui.key_store_opening import KeyStoreOpening
from keyconsole.tui.screens.scopes import ScopesScreen
from keyconsole.tui.widgets.busy_note import BusyNote
from tests.tui_helpers import row_of, settle, table_lines

SIZE = (80, 24)


class ClosedWatchingStore(KeyStore):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.closed = threading.Event()

    def close(self) -> None:
        super().close()
        self.closed.set()


class Gate:
    """Holds the store's opening until released."""

    def __init__(self, store_url: str, error: Exception | None = None) -> None:
        self.released = threading.Event()
        self.opened: list[ClosedWatchingStore] = []
        self._store_url = store_url
        self._error = error

    def open_store(self) -> KeyStore:
        assert self.released.wait(30), "the test never released the opening"
        if self._error is not None:
            raise self._error
        self.opened.append(ClosedWatchingStore(self._store_url, actor="tester"))
        return self.opened[-1]

    def app(self, *, poll_seconds: float = 3.0) -> KeyConsoleApp:
        first = first_window_read_directly(self._store_url)
        assert first is not None
        listing, display_name = first
        opening = KeyStoreOpening(self.open_store, display_name, owned=True)
        return KeyConsoleApp(opening, listing=listing, poll_seconds=poll_seconds)


def header(app: KeyConsoleApp) -> str:
    return str(app.keys_screen.query_one("#store-info").render())


async def test_the_first_page_shows_before_the_store_opens_then_the_rest_is_counted(
    ks: KeyStore, store_url: str
) -> None:
    ks.seed_demo(450)
    first = ks.keys.list(limit=1)[0]
    gate = Gate(store_url)
    app = gate.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert row_of(app, first.name[:10])
        # A long store path is cut in its middle; the count after it never is.
        assert "200+ keys (counting…)" in header(app) and ks.display_name[-12:] in header(app)
        assert header(app).startswith("keyconsole  " + ks.display_name[:12])
        # Past the first page there is nothing to show yet, and nothing breaks.
        await pilot.press("end")
        await pilot.pause()
        assert app.keys_screen.table.cursor_row == PAGE - 1

        gate.released.set()
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "450 keys" in header(app) and "counting" not in header(app)
        await pilot.press("end")
        await pilot.pause()
        last = ks.keys.list(limit=1, offset=449)[0]
        assert app.keys_screen.table.cursor_row == 449
        assert app.keys_screen.table.current == last


async def test_a_key_pressed_before_the_store_opens_is_answered_at_once_and_its_read_waits(
    ks: KeyStore, store_url: str
) -> None:
    ks.keys.create("svc", ["users:read"])
    gate = Gate(store_url)
    app = gate.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "1 key " in header(app)
        await pilot.press("s")
        assert isinstance(app.screen, ScopesScreen), "the screen opens without waiting for the store"
        await pilot.pause(BusyNote.SHOW_AFTER * 2)
        busy = app.screen.query_one(BusyNote)
        assert busy.display and "reading scopes" in str(busy.render())
        gate.released.set()
        await settle(pilot)
        assert app.screen.query_one(DataTable).row_count == 3
        assert not busy.display


async def test_changes_made_while_the_store_opened_show_once_it_has(ks: KeyStore, store_url: str) -> None:
    ks.keys.create("svc", ["users:read"])
    gate = Gate(store_url)
    app = gate.app(poll_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ks.keys.create("made meanwhile", ["users:read"])
        gate.released.set()
        await pilot.pause(0.8)
        assert "ACTIVE" in row_of(app, "made meanwhile")
        assert "2 keys" in header(app)


async def test_a_store_that_fails_to_open_ends_the_console_with_its_error(ks: KeyStore, store_url: str) -> None:
    ks.keys.create("svc", ["users:read"])
    failure = StoreUnavailable("cannot use the store: gone")
    gate = Gate(store_url, error=failure)
    app = gate.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "svc" in "\n".join(table_lines(app))
        gate.released.set()
        await pilot.pause(0.5)
    assert app.return_code == 1
    assert app.store_error is failure


async def test_quitting_while_the_store_opens_does_not_wait_and_the_store_is_closed_after(
    ks: KeyStore, store_url: str
) -> None:
    ks.keys.create("svc", ["users:read"])
    gate = Gate(store_url)
    app = gate.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
    assert not gate.opened, "the app ended before its store opened"
    gate.released.set()
    for _ in range(100):
        if gate.opened:
            break
        await asyncio.sleep(0.05)
    assert gate.opened[0].closed.wait(10), "the store that opened after the app ended was left open"


def test_the_console_is_drawn_before_sqlalchemy_is_imported(sqlite_url: str) -> None:
    """In a fresh process, as `keyconsole` starts it: the keys are on screen before the
    store's opening (and SQLAlchemy's import) starts; then a key can be added."""
    with KeyStore(sqlite_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("existing", ["users:read"])
    probe = f"""
import asyncio, json, sys
from keyconsole.tui.app import open_app
from keyconsole.tui.key_store_opening import KeyStoreOpening
from keyconsole.tui.widgets.keys_table import KeysTable

seen = {{}}
start = KeyStoreOpening.start

def observed_start(opening, when_done):
    table = app.keys_screen.query_one(KeysTable)
    seen["drawn"] = table.render_line(1).text.strip()
    seen["sqlalchemy_before"] = "sqlalchemy" in sys.modules
    start(opening, when_done)

KeyStoreOpening.start = observed_start

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", *"added later", "tab", "space", "ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        seen["screen"] = type(app.screen).__name__
    return seen

app = open_app({sqlite_url!r})

print(json.dumps(asyncio.run(main())))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(result.stdout)
    assert seen["drawn"].startswith("existing")
    assert seen["sqlalchemy_before"] is False
    assert seen["screen"] == "KeysScreen"
    with KeyStore(sqlite_url) as ks:
        assert ks.keys.get("added later").scopes == ("users:read",)


async def test_a_new_store_is_created_before_the_console_starts(tmp_path: Path) -> None:
    """No preview for a store that does not exist yet: it is opened (created) at once."""
    path = tmp_path / "new.db"
    app = open_app(str(path))
    assert path.exists()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "No scopes yet" in str(app.keys_screen.query_one("#empty-hint").render())
    assert app.store_error is None

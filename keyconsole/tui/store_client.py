"""The console's one way to its store: a client the App holds and hands to each screen.

Every call runs ``work(store)`` in a thread worker, never on the UI thread: a write may hash a
secret with argon2 (tens of milliseconds), and any call may wait on a slow or distant store,
or on the store still opening in the background (tui/key_store_opening.py); the console keeps
answering keys meanwhile, and the screen's BusyNote says what it is waiting for. A call either
answers once (``done`` with its result) or posts the screen's own messages as it goes (the
keys screen's rows, window by window); a failure reaches ``failed`` (by default a
notification). Only the page reader (tui/page_reader.py) reaches the store another way: a
thread of its own that reads just the newest pages asked for, as Toolong's reader does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

from keyconsole.errors import KeyconsoleError
from keyconsole.tui.widgets.busy_note import BusyNote

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.tui.key_store_opening import KeyStoreOpening

T = TypeVar("T")

# What a key that would change the store says when the store's role may only read.
READ_ONLY = "This store's role may only read: its owner can run `keyconsole grant admin ROLE` to allow changes."


class StoreClient:
    def __init__(self, opening: KeyStoreOpening) -> None:
        self.opening = opening

    @property
    def display_name(self) -> str:
        return self.opening.display_name

    def wait(self) -> KeyStore:
        """The store, once open (so: only from a thread other than the UI's)."""
        return self.opening.wait_for_store()

    def call(
        self,
        screen: Screen[object],
        work: Callable[[KeyStore], T],
        done: Callable[[T], None] | None = None,
        *,
        doing: str | None = None,
        failed: Callable[[KeyconsoleError], None] | None = None,
        group: str = "store-call",
        exclusive: bool = False,
    ) -> None:
        """Run ``work(store)`` in a worker, then ``done(result)`` (or ``failed(error)``) on the
        UI thread. ``doing`` is shown while it runs ("saving key"); ``exclusive`` cancels the
        group's call still running (a newer filter keystroke supersedes the last)."""
        notes = screen.query(BusyNote) if doing is not None else None
        note = notes.first() if notes else None
        if note is not None and doing is not None:
            note.begin(doing)
        app = screen.app

        def settle(action: Callable[[], None]) -> None:
            if note is not None:
                note.end()
            # A screen closed meanwhile has nothing left to update.
            if screen.is_attached:
                action()

        def report(error: KeyconsoleError) -> None:
            if failed is not None:
                failed(error)
            else:
                app.notify(str(error), severity="error")

        def answer(result: T) -> None:
            if done is not None:
                done(result)

        def run() -> None:
            try:
                result = work(self.wait())
            except KeyconsoleError as error:
                outcome = partial(report, error)
            else:
                outcome = partial(answer, result)
            # An app that has exited meanwhile has no screen left to tell.
            if app.is_running:
                app.call_from_thread(settle, outcome)

        screen.run_worker(run, thread=True, group=group, name=doing or group, exclusive=exclusive)

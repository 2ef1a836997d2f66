"""Every store call the console makes runs here: in a thread worker, never on the UI thread.

A write may hash a secret with argon2 (tens of milliseconds), and any call may wait on a
slow or distant store; the console keeps answering keys meanwhile, and the screen's
BusyNote says what it is waiting for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from textual.screen import Screen

from keyconsole.errors import KeyconsoleError
from keyconsole.tui.widgets.busy_note import BusyNote

T = TypeVar("T")

# What a key that would change the store says when the store's role may only read.
READ_ONLY = "This store's role may only read: its owner can run `keyconsole grant admin ROLE` to allow changes."


def call_store(
    screen: Screen[object],
    call: Callable[[], T],
    done: Callable[[T], None],
    *,
    doing: str,
    failed: Callable[[KeyconsoleError], None] | None = None,
) -> None:
    """Run ``call`` in a worker, then ``done(result)`` (or ``failed(error)``, by default a
    notification) on the UI thread. ``doing`` is shown while it runs ("saving key")."""
    notes = screen.query(BusyNote)
    note = notes.first() if notes else None
    if note is not None:
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

    def run() -> None:
        try:
            result = call()
        except KeyconsoleError as error:
            outcome = partial(report, error)
        else:
            outcome = partial(done, result)
        # An app that has exited meanwhile has no screen left to tell.
        if app.is_running:
            app.call_from_thread(settle, outcome)

    screen.run_worker(run, thread=True, group="store-call", name=doing)

"""The thread that reads the pages the keys table scrolls to (Toolong's reader thread).

One long-lived thread fed the latest request: it starts reading while the UI thread is
still drawing the placeholders, where a worker started per page would wait for the event
loop's next turn first (8 ms of the End key's 25 at a million keys). A request that a newer
one replaces before it is read is never read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from keyconsole.console_model.listing import KeyPages, Page, PageRead
from keyconsole.errors import KeyconsoleError

Delivery = Callable[[PageRead, "Page | KeyconsoleError"], None]


class PageReader:
    def __init__(self, pages: Callable[[], KeyPages], deliver: Delivery) -> None:
        """``pages`` gives the page source (it may wait for the store: it is called on the
        reader's thread); ``deliver`` is called on that thread with the page or the error."""
        self._pages = pages
        self._deliver = deliver
        self._wanted: PageRead | None = None
        self._stopped = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="keyconsole-page-reader", daemon=True)
        self._thread.start()

    def ask(self, read: PageRead) -> None:
        with self._changed:
            self._wanted = read
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopped or self._wanted is not None)
                if self._stopped:
                    return
                read, self._wanted = self._wanted, None
            assert read is not None
            try:
                outcome: Page | KeyconsoleError = read.read(self._pages())
            except KeyconsoleError as error:
                outcome = error
            self._deliver(read, outcome)

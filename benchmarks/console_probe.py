"""One measurement of the console in a fresh process (run by benchmarks/console.py).

Prints JSON: time to the first usable keys screen, from a filter keystroke to its answer
(common and rare), to the common filter's full count, from End to the last key, the
process's peak memory, each quick view's first screen, and the longest stall of the UI thread (the event loop) while the
store opens behind the first screen, and during a sort, a reverse, a toggle and a poll that
sees a change, each until its rows are read and counted. With --empty, measures an empty
Textual app instead.

Keys go in as the pilot sends them (a Key event to the driver), but the clock stops when the
screen's state shows the answer, not when the pilot's wait_for_idle returns: that waits for
the whole process to go idle, background count included, and adds its own 20 ms steps.
The final paint (one compositor refresh) is not included.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable

STARTED = time.perf_counter()


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> float:
    """Seconds until ``condition`` holds, checked every millisecond."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the console did not answer")
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


class Stalls:
    """The longest time the event loop went without running a 2 ms heartbeat."""

    TICK = 0.002

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.TICK)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - self.TICK)
            last = now

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst

    def stop(self) -> None:
        self._task.cancel()


async def measure(db: str) -> dict[str, float]:
    from textual import events

    from keyconsole.service.key_query import SORTS
    from keyconsole.tui.app import open_app
    from keyconsole.tui.widgets.keys_table import KeysTable

    app = open_app(db, poll_seconds=0.5)  # as `keyconsole` opens it, polling more often
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.keys_screen.query_one(KeysTable)
        header = app.keys_screen.query_one("#store-info")
        listing = table.listing
        await until(lambda: listing.window.total > 0 and listing.window.get(0) is not None)
        ready = time.perf_counter() - STARTED
        stalls = Stalls()
        opening = app.store_client.opening

        def settled_after(generation: int) -> Callable[[], bool]:
            return lambda: listing.window.generation > generation and listing.window.exact

        await until(lambda: opening.is_open and settled_after(1)())
        stall = {"open": stalls.take()}

        def send(key: str) -> None:
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]

        def shows(text: str) -> Callable[[], bool]:
            return lambda: text in str(header.render())

        await pilot.press("/")
        started = time.perf_counter()
        send("7")
        filtered = await until(shows("matching '7'"))
        await until(lambda: listing.window.exact)
        counted = time.perf_counter() - started
        await pilot.press("ctrl+u", "z", "z")
        await pilot.pause()
        send("q")
        filtered_rare = await until(shows("matching 'zzq'"))
        await pilot.press("escape", "escape")
        await pilot.pause()
        last = listing.window.total - 1
        send("end")
        end = await until(lambda: table.cursor_row == last and listing.window.get(last) is not None)
        # Peak memory of the same walk as before the stall measurements were added (open,
        # filters, End): those add sorts and a toggle of their own.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # Each quick view (v) to its first screen of keys, then back to All.
        views = {}
        for label in ("active", "inactive", "expired", "expiring", "unused"):
            generation = listing.window.generation
            started = time.perf_counter()
            send("v")
            await until(lambda: listing.window.generation > generation)
            views[label] = time.perf_counter() - started
            await until(lambda: listing.window.exact)
        send("v")
        await until(lambda: listing.window.query.status == "all" and listing.window.query.unused_for is None)

        async def stall_of(
            *keys: str, change: Callable[[], Awaitable[None]] | None = None, settle: bool = True
        ) -> float:
            await until(lambda: not any(w.is_running for w in app.workers))
            generation = listing.window.generation
            stalls.take()
            for key in keys:
                send(key)
                await asyncio.sleep(0.05)
            if change is not None:
                await change()
            if settle:
                await until(settled_after(generation))
            else:
                await asyncio.sleep(0.2)
            return stalls.take()

        stall["sort"] = await stall_of("o")
        stall["reverse"] = await stall_of("O")
        # The first dialog of a session costs Textual its styles' first use (not a store call):
        # measured on its own, then the toggle with the dialog as an admin sees it every time after.
        stall["first_dialog"] = await stall_of("home", "d", "n", settle=False)
        stall["toggle"] = await stall_of("d", "y")
        second = listing.window.get(1)
        stall["poll"] = await stall_of(change=lambda: switch_elsewhere(db, second.public_id, not second.active))
        # The busiest keys first: every key's last day summed, a sort no index serves.
        while SORTS[(SORTS.index(listing.window.query.sort) + 1) % len(SORTS)] != "usage":
            await stall_of("o")
        await until(lambda: not any(w.is_running for w in app.workers))
        generation = listing.window.generation
        stalls.take()
        started = time.perf_counter()
        send("o")
        await until(lambda: listing.window.generation > generation)
        usage_sorted = time.perf_counter() - started
        await until(settled_after(generation))
        stall["usage_sort"] = stalls.take()
        stalls.stop()
    return {
        "ready_s": ready,
        "filter_s": filtered,
        "counted_s": counted,
        "rare_s": filtered_rare,
        "end_s": end,
        "peak_mb": peak_mb,
        "usage_sort_s": usage_sorted,
        **{f"view_{label}_s": seconds for label, seconds in views.items()},
        **{f"stall_{name}_s": seconds for name, seconds in stall.items()},
    }


async def switch_elsewhere(db: str, public_id: str, active: bool) -> None:
    """Another admin switches a key from the command line, for the console's poll to see
    (a process of its own: its work must not be counted as the console's stall)."""
    verb = "activate" if active else "deactivate"
    command = [sys.executable, "-m", "keyconsole", "keys", verb, public_id, "--db", db]
    quiet = asyncio.subprocess.DEVNULL
    process = await asyncio.create_subprocess_exec(*command, stdout=quiet, stderr=quiet)
    assert await process.wait() == 0


async def measure_empty() -> dict[str, float]:
    from textual.app import App
    from textual.widgets import Footer, Static

    class Empty(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("hello")
            yield Footer()

    async with Empty().run_test(size=(100, 30)):
        return {"ready_s": time.perf_counter() - STARTED}


if __name__ == "__main__":
    result = asyncio.run(measure_empty() if sys.argv[1] == "--empty" else measure(sys.argv[1]))
    result.setdefault("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))

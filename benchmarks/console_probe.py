"""One measurement of the console in a fresh process (run by benchmarks/console.py).

Prints JSON: time to the first usable keys screen, from a filter keystroke to its answer
(common and rare), to the common filter's full count, from End to the last key, and the
process's peak memory. With --empty, measures an empty Textual app instead.

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
from collections.abc import Callable

STARTED = time.perf_counter()


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> float:
    """Seconds until ``condition`` holds, checked every millisecond."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the console did not answer")
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def measure(db: str) -> dict[str, float]:
    from textual import events

    from keyconsole.tui.app import open_app
    from keyconsole.tui.widgets.keys_table import KeysTable

    app = open_app(db)  # as `keyconsole` opens it
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.keys_screen.query_one(KeysTable)
        header = app.keys_screen.query_one("#store-info")
        await until(lambda: table.rows.total > 0 and table.rows.get(0) is not None)
        ready = time.perf_counter() - STARTED

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
        await until(lambda: table.rows.exact)
        counted = time.perf_counter() - started
        await pilot.press("ctrl+u", "z", "z")
        await pilot.pause()
        send("q")
        filtered_rare = await until(shows("matching 'zzq'"))
        await pilot.press("escape", "escape")
        await pilot.pause()
        last = table.rows.total - 1
        send("end")
        end = await until(lambda: table.cursor_row == last and table.rows.get(last) is not None)
    return {"ready_s": ready, "filter_s": filtered, "counted_s": counted, "rare_s": filtered_rare, "end_s": end}


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
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))

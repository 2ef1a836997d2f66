"""One measurement of the console in a fresh process (run by benchmarks/console.py).

Prints JSON: time to the first usable keys screen, to a filter keystroke's answer (common
and rare), to the common filter's full count, to End,
and the process's peak memory. With --empty, measures an empty Textual app instead.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

STARTED = time.perf_counter()


async def measure(db: str) -> dict[str, float]:
    from keyconsole import KeyStore
    from keyconsole.tui.app import make_app
    from keyconsole.tui.widgets.keys_table import KeysTable

    app = make_app(KeyStore(db))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.keys_screen.query_one(KeysTable)
        assert table.rows.total == 0 or table.rows.get(0) is not None
        ready = time.perf_counter() - STARTED
        await pilot.press("/")
        await pilot.pause()
        # A common filter (its first page answers, the count follows in the background)...
        started = time.perf_counter()
        await pilot.press("7")
        await pilot.pause()
        filtered = time.perf_counter() - started
        await app.workers.wait_for_complete()
        counted = time.perf_counter() - started
        # ...and a rare one, whose answer needs a scan of the whole filter index.
        await pilot.press("ctrl+u", "z", "z")
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("q")
        await pilot.pause()
        filtered_rare = time.perf_counter() - started
        await pilot.press("escape", "escape", "end")
        await pilot.pause()
        started = time.perf_counter()
        await pilot.press("home", "end")
        await pilot.pause()
        end = time.perf_counter() - started
        assert table.rows.total == 0 or table.rows.get(table.rows.total - 1) is not None
    return {"ready_s": ready, "filter_s": filtered, "counted_s": counted, "rare_s": filtered_rare, "end_s": end}


async def measure_empty() -> dict[str, float]:
    from textual.app import App
    from textual.widgets import Footer, Static

    class Empty(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("hello")
            yield Footer()

    async with Empty().run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        return {"ready_s": time.perf_counter() - STARTED}


if __name__ == "__main__":
    result = asyncio.run(measure_empty() if sys.argv[1] == "--empty" else measure(sys.argv[1]))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))

"""Helpers for driving the console with Textual's pilot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot

from keyconsole import KeyStore
from keyconsole.tui.app import KeyConsoleApp, make_app
from keyconsole.tui.widgets.keys_table import KeysTable


async def settle(pilot: Pilot[None], *, rounds: int = 100) -> None:
    """Wait until no store call or read is in flight and what they brought is on screen.

    The console reads and writes the store only in worker threads; a finished worker may
    post a message whose handler starts the next (a poll that saw a change loads rows).
    """
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        running = [worker for worker in app.workers if not worker.is_finished]
        if not running:
            return
        for worker in running:
            try:
                await worker.wait()
            except Exception:  # noqa: BLE001, S110 - a cancelled or failed worker has finished too
                pass
    raise AssertionError(f"the console was still busy after {rounds} rounds")


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press ``keys``, then wait until what they started is done and on screen."""
    await pilot.press(*keys)
    await settle(pilot)


@asynccontextmanager
async def opened(store: KeyStore, size: tuple[int, int], **options: Any) -> AsyncIterator[Pilot[None]]:
    """The console on ``store``, its first screen read and shown."""
    async with make_app(store, **options).run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


def table_lines(app: KeyConsoleApp) -> list[str]:
    """The keys table as the admin sees it, one string per drawn line."""
    table = app.keys_screen.query_one(KeysTable)
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def row_of(app: KeyConsoleApp, name: str) -> str:
    return next(line for line in table_lines(app) if line.startswith(name))

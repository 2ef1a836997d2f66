"""`keyconsole demo seed`: synthetic keys for trying the console and for benchmarks."""

from __future__ import annotations

import sys
import time

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command()
@common_options
@click.option("--keys", "count", type=int, required=True, help="How many keys to add.")
@click.option("--usage-hours", type=int, default=0, show_default=True,
              help="Hours of synthetic usage for each key, up to the current one (at most 336).")
def seed(count: int, usage_hours: int) -> None:
    """Add COUNT synthetic keys that can never verify (refused if real keys exist), and
    with --usage-hours their usage: a rate from one call an hour to a thousand, a working
    day's shape, one key in 200 spiking now."""
    store = settings().open()
    started = time.perf_counter()
    show = sys.stderr.isatty() and not settings().as_json

    def progress(done: int) -> None:
        if show:
            click.echo(f"\rseeded {done:,} / {count:,}", err=True, nl=False)

    store.seed_demo(count, progress=progress, usage_hours=usage_hours)
    elapsed = time.perf_counter() - started
    if show:
        click.echo("", err=True)
    if settings().as_json:
        emit_json({"keys": count, "usage_hours": usage_hours, "seconds": round(elapsed, 3)})
    else:
        note(f"seeded {count:,} demo keys in {elapsed:.1f} s ({count / max(elapsed, 1e-9):,.0f} keys/s)")

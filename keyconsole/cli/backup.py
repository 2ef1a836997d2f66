"""`keyconsole backup` and `keyconsole restore`: a consistent copy of a SQLite store, and
putting one back so that every running verifier sees it at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note
from keyconsole.errors import InvalidInput

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.command()
@common_options
@click.argument("path", type=_PATH)
def backup(path: Path) -> None:
    """Write a consistent copy of the store to the new file PATH (SQLite; on PostgreSQL,
    pg_dump). Safe while keys are being verified and changed."""
    settings().open().backups.backup(path)
    if settings().as_json:
        emit_json({"backup": str(path.resolve())})
    else:
        note(f"backed up to {path}")


@click.command()
@common_options
@click.argument("path", type=_PATH)
@click.option("--yes", is_flag=True, help="Do not ask first (for scripts; required when stdin is not a terminal).")
def restore(path: Path, yes: bool) -> None:
    """Replace every key, scope and audit event of the store with those of the backup PATH,
    in one transaction that every running verifier sees at its next check (audited)."""
    store = settings().open()
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("restore replaces the whole store and asks first; from a script, add --yes")
        if not click.confirm(f"Replace everything in {store.display_name} with {path}?", default=False, err=True):
            raise click.Abort()
    restored = store.backups.restore(path)
    if settings().as_json:
        emit_json({"keys": restored.keys, "active": restored.active, "reactivated": list(restored.reactivated)})
        return
    note(f"restored {path}: {restored.keys} key(s), {restored.active} active")
    if restored.reactivated:
        note(
            f"warning: {len(restored.reactivated)} key(s) are active again that were not before the restore:"
            f" {' '.join(restored.reactivated)} (keyconsole keys deactivate KEY... if they should not be)"
        )

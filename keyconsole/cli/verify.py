"""`keyconsole verify`: check a key read from stdin (never argv, where `ps` would show it)."""

from __future__ import annotations

import sys

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note

# Far above a key's length, small enough that a stray file piped in is not read whole.
MAX_INPUT = 4096


@click.command()
@common_options
@click.option("--scope", "required", multiple=True, metavar="S", help="A scope the key must hold (repeat).")
def verify(required: tuple[str, ...]) -> None:
    """Verify a key given on stdin; exit 0 when valid, 1 when not."""
    if sys.stdin.isatty():
        import getpass

        presented = getpass.getpass("key: ", stream=sys.stderr)
    else:
        presented = sys.stdin.read(MAX_INPUT)
    from keyconsole.service.one_shot import verify_once

    result = verify_once(settings().db, presented.strip(), required)
    if settings().as_json:
        emit_json({"valid": result.ok, "reason": result.reason, "key_id": result.key_id, "scopes": list(result.scopes)})
    elif result:
        click.echo(f"valid: {result.key_id} ({', '.join(result.scopes)})")
    else:
        note(f"keyconsole: refused: {result.reason}" + (f" ({result.key_id})" if result.key_id else ""))
    if not result:
        click.get_current_context().exit(1)

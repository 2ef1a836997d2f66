"""`keyconsole policy`: how long keys may live, and whether every key must expire."""

from __future__ import annotations

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note
from keyconsole.service.key_query import UNCHANGED
from keyconsole.service.validation import parse_duration


@click.group()
def policy() -> None:
    """The store's key lifetime policy."""


@policy.command()
@common_options
def show() -> None:
    """Show the policy."""
    current = settings().open().policy.show()
    if settings().as_json:
        emit_json(current.to_json())
    else:
        click.echo(current.describe())


@policy.command("set")
@common_options
@click.option("--max-lifetime", metavar="DURATION|none",
              help="Longest a key may live (365d): new and rotated keys get it as their expiry; later ones are refused.")
@click.option("--require-expiry", type=click.Choice(["yes", "no"]), help="Whether every key must have an expiry.")
def set_policy(max_lifetime: str | None, require_expiry: str | None) -> None:
    """Change the policy (audited). Keys that exist keep their expiry until edited or rotated."""
    if max_lifetime is None and require_expiry is None:
        raise click.UsageError("nothing to change: give --max-lifetime or --require-expiry")
    lifetime = UNCHANGED if max_lifetime is None else (
        None if max_lifetime.strip().lower() == "none" else parse_duration(max_lifetime)
    )
    changed = settings().open().policy.set(
        max_lifetime=lifetime,
        require_expiry=UNCHANGED if require_expiry is None else require_expiry == "yes",
    )
    if settings().as_json:
        emit_json(changed.to_json())
    else:
        note(f"policy: {changed.describe()}")

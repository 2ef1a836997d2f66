"""`keyconsole scopes …`: list, add, edit, remove."""

from __future__ import annotations

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note, safe, table


@click.group()
def scopes() -> None:
    """Define the scopes keys can hold."""


@scopes.command("list")
@common_options
def list_scopes() -> None:
    """List scopes and how many keys hold each."""
    found = settings().open().scopes.list()
    if settings().as_json:
        emit_json([scope.to_json() for scope in found])
        return
    if not found:
        note("no scopes yet: keyconsole scopes add NAME --description TEXT")
        return
    table(["SCOPE", "KEYS", "DESCRIPTION"], [[s.name, str(s.key_count), safe(s.description)] for s in found])


@scopes.command()
@common_options
@click.argument("name")
@click.option("--description", default="", metavar="TEXT")
def add(name: str, description: str) -> None:
    """Define a scope (lower case, digits and _ . : -, e.g. users:read)."""
    scope = settings().open().scopes.add(name, description)
    if settings().as_json:
        emit_json(scope.to_json())
    else:
        note(f"added scope {scope.name}")


@scopes.command()
@common_options
@click.argument("name")
@click.option("--description", required=True, metavar="TEXT")
def edit(name: str, description: str) -> None:
    """Change a scope's description."""
    scope = settings().open().scopes.describe(name, description)
    if settings().as_json:
        emit_json(scope.to_json())
    else:
        note(f"saved scope {scope.name}")


@scopes.command()
@common_options
@click.argument("name")
@click.option("--force", is_flag=True, help="Also take the scope away from the keys that hold it.")
def remove(name: str, force: bool) -> None:
    """Remove a scope. Refused while keys hold it, unless --force."""
    settings().open().scopes.remove(name, force=force)
    if settings().as_json:
        emit_json({"removed": name.strip()})
    else:
        note(f"removed scope {name.strip()}")

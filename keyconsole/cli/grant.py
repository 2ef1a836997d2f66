"""`keyconsole grant`: give a PostgreSQL role the rights of a verifier, a viewer or an admin."""

from __future__ import annotations

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note, safe
from keyconsole.store.direct.grants import KINDS


@click.command()
@common_options
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("role")
@click.option("--revoke", is_flag=True, help="Take back the rights keyconsole granted ROLE.")
@click.option("--print", "print_only", is_flag=True, help="Print the SQL instead of running it (for a DBA).")
def grant(kind: str, role: str, revoke: bool, print_only: bool) -> None:
    """Give the PostgreSQL ROLE the rights of KIND, run by the store's owner.

    \b
    verifier  verify keys and write their "last used"; nothing else
    viewer    read keys, scopes and the audit; change nothing
    admin     every key and scope operation; the audit only grows

    A role holds one kind at a time; granting another replaces it. Rights are granted again
    after every migration.
    """
    if print_only:
        from keyconsole.service.access import AccessService

        statements = AccessService.plan(kind, role, revoke=revoke)
    else:
        statements = settings().open().access.grant(kind, role, revoke=revoke)
    if settings().as_json:
        emit_json({"role": role, "kind": kind, "revoked": revoke, "ran": not print_only, "sql": statements})
    elif print_only:
        click.echo("\n".join(f"{statement};" for statement in statements))
    else:
        note(f"{'revoked' if revoke else 'granted'} {kind} rights {'from' if revoke else 'to'} {safe(role)}")

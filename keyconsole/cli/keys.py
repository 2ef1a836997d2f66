"""`keyconsole keys …`: list, create, show, edit, activate, deactivate, rotate, usage."""

from __future__ import annotations

import sys

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_csv, emit_json, note, safe, table, when
from keyconsole.errors import InvalidInput
from keyconsole.service.clock import utc_now
from keyconsole.service.key_query import SORTS, STATUS_FILTERS, UNCHANGED, KeyQuery
from keyconsole.service.keys import Switched
from keyconsole.service.records import IssuedKey, KeyInfo
from keyconsole.service.usage import PERIODS, USAGE_COUNTS
from keyconsole.service.validation import parse_duration, parse_expiry


@click.group()
def keys() -> None:
    """Create, inspect and change API keys. KEY is a key's name or its public id."""


@keys.command("list")
@common_options
@click.option("--status", type=click.Choice(STATUS_FILTERS), default="all", show_default=True)
@click.option("--search", metavar="TEXT", help="Part of a name or scope, or the start of a key id or an owner.")
@click.option("--owner", metavar="TEXT", help="Only keys with this owner (case aside).")
@click.option("--sort", type=click.Choice(list(SORTS)), default="name", show_default=True)
@click.option("--expiring-within", metavar="DURATION", help="Only keys not yet expired that expire within it (14d).")
@click.option("--unused-for", metavar="DURATION", help="Only keys not used for so long (never used: since creation).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]), default=None,
              help="text (a table), json (as --json) or csv (a credential report: every --json column).")
def list_keys(status: str, search: str | None, owner: str | None, sort: str, expiring_within: str | None,
              unused_for: str | None, output_format: str | None) -> None:
    """List keys (every key unless --status narrows it)."""
    query = KeyQuery(
        status=status, search=search, sort=sort, owner=owner,
        expiring_within=None if expiring_within is None else parse_duration(expiring_within),
        unused_for=None if unused_for is None else parse_duration(unused_for),
    )
    found = settings().open().keys.list(query)
    output_format = output_format or ("json" if settings().as_json else "text")
    if output_format == "json":
        emit_json([key.to_json() for key in found])
        return
    if output_format == "csv":
        emit_csv([key.to_json() for key in found])
        return
    if not found:
        narrowed = search or owner or status != "all" or expiring_within or unused_for
        note("no keys match" if narrowed else "no keys yet: keyconsole keys create --name NAME --scope SCOPE")
        return
    table(
        ["NAME", "KEY ID", "SCOPES", "STATUS", "EXPIRES", "LAST USED", "CREATED", "OWNER"],
        [
            [safe(k.name), k.public_id, ",".join(k.scopes), k.status.value, when(k.expires_at, never="never"),
             when(k.last_used_at, never="never"), when(k.created_at), safe(k.owner or "")]
            for k in found
        ],
    )


@keys.command()
@common_options
@click.option("--name", required=True, help="1-100 printable characters, unique (case-insensitive).")
@click.option("--scope", "scope_names", multiple=True, required=True, metavar="S", help="Repeat for several scopes.")
@click.option("--inactive", is_flag=True, help="Create the key switched off.")
@click.option("--expires", metavar="DATE", help="YYYY-MM-DD (valid through that day, UTC), an ISO time, or 90d.")
@click.option("--owner", metavar="TEXT", help="Who to ask before touching the key (a person, a team, an address).")
@click.option("--note", metavar="TEXT", help="What the key is for.")
def create(name: str, scope_names: tuple[str, ...], inactive: bool, expires: str | None, owner: str | None,
           note: str | None) -> None:
    """Create a key and print it once: only its hash is kept."""
    store = settings().open()
    expires_at = None if expires is None else parse_expiry(expires, utc_now())
    issued = store.keys.create(
        name, scope_names, active=not inactive, expires_at=expires_at, owner=owner, note=note
    )
    _reveal(issued, "created")


@keys.command()
@common_options
@click.argument("key")
def show(key: str) -> None:
    """Show one key's details (never its secret)."""
    info = settings().open().keys.get(key)
    if settings().as_json:
        emit_json(info.to_json())
        return
    _describe(info)


@keys.command()
@common_options
@click.argument("key")
@click.option("--name", help="A new name.")
@click.option("--scope", "scope_names", multiple=True, metavar="S", help="Replace the whole scope set (repeat).")
@click.option("--add-scope", multiple=True, metavar="S", help="Add one scope (repeat).")
@click.option("--remove-scope", multiple=True, metavar="S", help="Remove one scope (repeat).")
@click.option("--expires", metavar="DATE|never", help="A new expiry, or never.")
@click.option("--owner", metavar="TEXT", help="A new owner; empty clears it.")
@click.option("--note", metavar="TEXT", help="A new note; empty clears it.")
def edit(key: str, name: str | None, scope_names: tuple[str, ...], add_scope: tuple[str, ...],
         remove_scope: tuple[str, ...], expires: str | None, owner: str | None, note: str | None) -> None:
    """Change a key's name, scopes, expiry, owner or note."""
    if not (name or scope_names or add_scope or remove_scope or expires is not None or owner is not None
            or note is not None):
        raise click.UsageError(
            "nothing to change: give --name, --scope, --add-scope, --remove-scope, --expires, --owner or --note"
        )
    store = settings().open()
    info = store.keys.edit(
        key,
        name=name,
        scopes=list(scope_names) if scope_names else None,
        add_scopes=add_scope,
        remove_scopes=remove_scope,
        expires_at=UNCHANGED if expires is None else parse_expiry(expires, utc_now()),
        owner=UNCHANGED if owner is None else owner,
        note=UNCHANGED if note is None else note,
    )
    _print_changed(info, "saved")


@keys.command()
@common_options
@click.argument("key", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def activate(key: tuple[str, ...], dry_run: bool) -> None:
    """Switch keys on (one or several: all of them or, on any error, none)."""
    switched = settings().open().keys.set_active_many(key, True, dry_run=dry_run)
    _report_switch(switched, key, "active", dry_run)


@keys.command()
@common_options
@click.argument("key", nargs=-1)
@click.option("--unused-for", metavar="DURATION",
              help="Instead of naming keys: every active key not used for so long (never used: since creation).")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def deactivate(key: tuple[str, ...], unused_for: str | None, dry_run: bool) -> None:
    """Switch keys off: they stop verifying at once, everywhere (all of them or, on any error, none)."""
    store = settings().open()
    if unused_for is not None:
        if key:
            raise InvalidInput("name keys or give --unused-for, not both")
        switched = store.keys.deactivate_unused(parse_duration(unused_for), dry_run=dry_run)
    else:
        switched = store.keys.set_active_many(key, False, dry_run=dry_run)
    _report_switch(switched, key, "inactive", dry_run)


def _report_switch(switched: Switched, named: tuple[str, ...], state: str, dry_run: bool) -> None:
    if settings().as_json:
        # One key named: its object, as before several could be; otherwise an array.
        if len(named) == 1 and len(switched.changed) + len(switched.already) == 1:
            emit_json((switched.changed or switched.already)[0].to_json())
        else:
            emit_json([info.to_json() for info in switched.changed])
        return
    verb = "would be" if dry_run else "now"
    for info in switched.changed:
        note(f"{safe(info.name)!r} ({info.public_id}): {verb} {state}")
    for info in switched.already:
        note(f"{safe(info.name)!r} ({info.public_id}): already {state}")
    if not switched.changed and not switched.already:
        note("no key matches")
    elif dry_run:
        note(f"dry run: {len(switched.changed)} key(s) would be {state}; nothing was changed")


@keys.command()
@common_options
@click.argument("key", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask first (for scripts; required when stdin is not a terminal).")
def delete(key: tuple[str, ...], yes: bool) -> None:
    """Remove inactive keys for good (all of them or, on any error, none).

    An active key is refused: deactivate it first. The audit keeps each key's history, and a
    deleted key verifies as unknown.
    """
    store = settings().open()
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("keys delete asks before removing keys; from a script, add --yes")
        for info in (store.keys.get(ref) for ref in dict.fromkeys(key)):
            note(f"{safe(info.name)!r} ({info.public_id}): {info.status.value}")
        if not click.confirm(f"Delete {len(set(key))} key(s) for good?", default=False, err=True):
            note("nothing was deleted")
            click.get_current_context().exit(1)
    deleted = store.keys.delete_many(key)
    if settings().as_json:
        emit_json([info.to_json() for info in deleted])
        return
    for info in deleted:
        note(f"{safe(info.name)!r} ({info.public_id}): deleted")


@keys.command()
@common_options
@click.argument("key")
@click.option("--grace", default="0", show_default=True, metavar="DURATION",
              help="How long the old secret keeps working: 0, 30m, 24h, 7d…")
def rotate(key: str, grace: str) -> None:
    """Give a key a new secret and print it once."""
    issued = settings().open().keys.rotate(key, grace=parse_duration(grace))
    _reveal(issued, "rotated")


def _reveal(issued: IssuedKey, verb: str) -> None:
    if settings().as_json:
        emit_json(issued.to_json())
        return
    info = issued.info
    note(f"{verb} key {safe(info.name)!r} ({info.public_id}), scopes: {', '.join(info.scopes)}, status: {info.status.value}")
    if info.rotation_grace_until is not None:
        note(f"the old secret keeps working until {when(info.rotation_grace_until)} UTC")
    note("this is the only time the key is shown: store it now")
    click.echo(issued.key)


def _print_changed(info: KeyInfo, what: str) -> None:
    if settings().as_json:
        emit_json(info.to_json())
    else:
        note(f"{safe(info.name)!r} ({info.public_id}): {what}; status {info.status.value}")


def _describe(info: KeyInfo) -> None:
    rows = [
        ("Name", safe(info.name)),
        ("Key id", info.public_id),
        ("Scopes", ", ".join(info.scopes)),
        ("Status", info.status.value),
        ("Expires", when(info.expires_at, never="never")),
        ("Last used", when(info.last_used_at, never="never")),
        ("Created", f"{when(info.created_at)} by {safe(info.created_by)}"),
        ("Updated", when(info.updated_at)),
        ("Owner", safe(info.owner or "-")),
        ("Note", safe(info.note or "-")),
    ]
    if info.rotation_grace_until is not None:
        rows.append(("Old secret until", when(info.rotation_grace_until)))
    for label, value in rows:
        click.echo(f"{label + ':':<18}{value}")


@keys.command()
@common_options
@click.argument("refs", metavar="[KEY]...", nargs=-1)
@click.option("--since", default="7d", show_default=True, metavar="DURATION", help="How far back (24h, 7d, 2w).")
@click.option("--by", type=click.Choice(PERIODS), default="day", show_default=True, help="One row per UTC hour or day.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]), default=None,
              help="text (a table), json (as --json) or csv (one row per key and period).")
def usage(refs: tuple[str, ...], since: str, by: str, output_format: str | None) -> None:
    """How many verifies each key saw (of the KEYs named, else of every key used), by
    outcome; counted by every verifying process and added to the store every 10 s."""
    found = settings().open().usage.of_keys(refs, since=parse_duration(since), by=by)  # type: ignore[arg-type]
    output_format = output_format or ("json" if settings().as_json else "text")
    if output_format == "json":
        emit_json([key.to_json() for key in found])
        return
    if output_format == "csv":
        emit_csv([
            {"id": key.public_id, "name": key.name, **period.to_json()} for key in found for period in key.periods
        ])
        return
    if not found:
        note(f"no key was verified in the last {since}")
        return
    table(
        ["NAME", "KEY ID", "CALLS", *(count.upper().replace("_", " ") for count in USAGE_COUNTS)],
        [[safe(key.name), key.public_id, f"{sum(key.totals):,}", *(f"{n:,}" for n in key.totals)] for key in found],
    )

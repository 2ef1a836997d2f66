"""`keyconsole audit`: the change log, newest first, and its hash-chain check."""

from __future__ import annotations

import json

import click

from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import emit_json, note, safe, table, when
from keyconsole.service.display import audit_actor


@click.group(invoke_without_command=True)
@common_options
@click.option("--key", "key_ref", metavar="KEY", help="Only events about this key (name or id).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.pass_context
def audit(ctx: click.Context, key_ref: str | None, limit: int) -> None:
    """Show who changed what and when, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    store = settings().open()
    public_id = None if key_ref is None else store.keys.get(key_ref).public_id
    events = store.audit.query(key_public_id=public_id, limit=limit)
    if settings().as_json:
        emit_json([event.to_json() for event in events])
        return
    if not events:
        note("no audit events")
        return
    table(
        ["WHEN (UTC)", "WHO", "ACTION", "KEY", "DETAILS"],
        [
            [when(e.at), safe(audit_actor(e.db_role, e.actor)), e.action,
             "" if e.key_public_id is None else f"{safe(e.key_name or '')} ({e.key_public_id})",
             safe(json.dumps(e.details, ensure_ascii=False, separators=(",", ":")))]
            for e in events
        ],
    )


@audit.command("verify")
@common_options
def verify_chain() -> None:
    """Check the audit trail's hash chain; exit 1 naming the first changed or removed event."""
    report = settings().open().audit.verify_chain()
    if settings().as_json:
        emit_json(report.to_json())
    elif report.intact:
        note(f"audit trail intact: {report.events_checked} event(s) checked")
    else:
        where = "" if report.first_bad_event is None else f" at event {report.first_bad_event}"
        note(f"audit trail broken{where}: {report.problem}")
    if not report.intact:
        click.get_current_context().exit(1)

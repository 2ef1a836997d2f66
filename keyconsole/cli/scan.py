"""`keyconsole scan`: find leaked keys in files, pipes and git history; turn the live ones off."""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

import click

from keyconsole.cli import scan_report
from keyconsole.cli.context import common_options, settings
from keyconsole.cli.output import note, safe
from keyconsole.errors import InvalidInput
from keyconsole.scan.files import STDIN, FileScan
from keyconsole.scan.findings import LEAKED_AT, LIVE, Finding, shown_path
from keyconsole.scan.walk import Skipped

PRINTERS = {"text": scan_report.print_text, "json": scan_report.print_json, "sarif": scan_report.print_sarif}


class Progress:
    """One line on stderr, redrawn at most five times a second, only on a terminal."""

    def __init__(self) -> None:
        self._shown = sys.stderr.isatty()
        self._next = 0.0
        self._drawn = False

    def __call__(self, what: str, count: int, bytes_read: int) -> None:
        self.show(f"scanning: {count:,} {what}, {bytes_read / 1e6:,.0f} MB")

    def judging(self, done: int, keys: int) -> None:
        # Each distinct key found costs an argon2 run: a dump of many takes a while.
        self.show(f"asking the store: {done:,} of {keys:,} key(s)")

    def show(self, text: str) -> None:
        if not self._shown or (now := time.monotonic()) < self._next:
            return
        self._next = now + 0.2
        self._drawn = True
        click.echo(f"\r{text}\x1b[K", err=True, nl=False)

    def clear(self) -> None:
        if self._drawn:
            click.echo("\r\x1b[K", err=True, nl=False)
            self._drawn = False


@click.command()
@common_options
@click.argument("paths", nargs=-1, metavar="[PATH ...|-]", type=click.Path(allow_dash=True))
@click.option("--git", "with_git", is_flag=True,
              help="Also every blob ever committed to PATH's repository (all branches, tags, unreachable objects).")
@click.option("--deactivate", is_flag=True, help="Deactivate every key found live (asks first on a terminal).")
@click.option("--yes", is_flag=True, help="With --deactivate: do not ask (for scripts).")
@click.option("--offline", is_flag=True, help="Do not ask the store: every finding is 'unchecked'.")
@click.option("--format", "output_format", type=click.Choice(sorted(PRINTERS)), default=None,
              help="text (default), json (as --json) or sarif (SARIF 2.1.0, for code scanning).")
def scan(paths: tuple[str, ...], with_git: bool, deactivate: bool, yes: bool, offline: bool,
         output_format: str | None) -> None:
    """Find keyconsole keys in files, folders (recursively, binary files too) or stdin (-).

    Only kc_ tokens whose checksum is right are reported, with what the store says of each:
    live, inactive, expired, rotated, unknown (or unchecked). The secret is never printed.
    Exit 0: nothing found; 1: keys found; 2: bad usage.
    """
    if deactivate and offline:
        raise InvalidInput("--deactivate needs the store: drop --offline")
    targets = list(paths) or ["."]
    missing = [path for path in targets if path != STDIN and not os.path.lexists(path)]
    if missing:
        raise InvalidInput(f"no such file or directory: {shown_path(missing[0])}")
    if with_git and STDIN in targets:
        raise InvalidInput("--git needs a folder in a git repository, not stdin")
    repositories = _repositories(targets) if with_git else []
    progress = Progress()
    files = FileScan(progress=lambda count, size: progress("files", count, size))
    blobs = 0
    try:
        findings = list(files.scan(targets))
        for repository in repositories:
            found, read = _history(repository, progress, files)
            findings.extend(found)
            blobs += read
    finally:
        progress.clear()  # an interrupted scan's last line is not left half over the message
    unchecked_because = None
    if findings and not offline:
        # Only now: a scan that finds nothing (or runs offline) never loads the store's drivers.
        from keyconsole.scan.statuses import judge_in_store

        try:
            unchecked_because = judge_in_store(settings().db, findings, progress.judging)
        finally:
            progress.clear()
    PRINTERS[output_format or ("json" if settings().as_json else "text")](findings)
    for skipped in files.skipped:
        note(f"keyconsole: not scanned: {shown_path(skipped.path)}: {skipped.reason}")
    if unchecked_because is not None:
        note(f"keyconsole: statuses unchecked: {unchecked_because}")
    read = f"{files.files:,} file(s), {files.bytes_read / 1e6:,.1f} MB"
    if with_git:
        read += f"; {blobs:,} git blob(s)"
    note(f"{scan_report.summary(findings)} ({read})")
    if deactivate:
        _deactivate_live(findings, yes)
    if findings:
        click.get_current_context().exit(1)


def _repositories(targets: list[str]) -> list[str]:
    # Imported here: git is needed only with --git.
    from keyconsole.scan.git_history import repository_of

    return list(dict.fromkeys(repository_of(path) for path in targets))


def _history(repository: str, progress: Progress, files: FileScan) -> tuple[list[Finding], int]:
    """The findings in every blob of ``repository``, placed in their commits; and how many
    blobs were read. A part git could not read is listed with the files not read."""
    from keyconsole.scan.git_history import BlobScan, place_blobs

    history = BlobScan(repository, progress=lambda count, size: progress("git blobs", count, size))
    found = list(history.scan())
    place_blobs(repository, found)
    if history.problem is not None:
        files.skipped.append(Skipped(repository, history.problem))
    return found, history.blobs


def _deactivate_live(findings: list[Finding], yes: bool) -> None:
    places: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.status == LIVE:
            places[finding.key_id].append(finding.place)
    if not places:
        note("no live key to deactivate")
        return
    if not yes:
        if not sys.stdin.isatty():
            note(f"keyconsole: {len(places)} live key(s) left active: --deactivate asks first; in a script, add --yes")
            click.get_current_context().exit(2)
        if not click.confirm(f"Deactivate {len(places)} live key(s) now?", default=True, err=True):
            note("nothing was deactivated")
            return
    because = {key_id: {LEAKED_AT: sorted(set(where))} for key_id, where in places.items()}
    switched = settings().open().keys.set_active_many(list(places), False, because=because)
    for info in switched.changed:
        note(f"{safe(info.name)!r} ({info.public_id}): now inactive (found leaked)")

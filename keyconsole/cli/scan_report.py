"""`keyconsole scan`'s output: text lines, a JSON array, or SARIF 2.1.0 for code scanning."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

import click

import keyconsole
from keyconsole.cli.output import emit_json
from keyconsole.scan.findings import LIVE, STATUSES, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_ID = "keyconsole/leaked-key"


def print_text(findings: list[Finding]) -> None:
    for finding in findings:
        place = f"{finding.shown_path}:{finding.line}:{finding.column}"
        commit = f"  commit {finding.commit[:12]}" if finding.commit else ""
        click.echo(f"{place}  {finding.masked}  {finding.status}{commit}")


def summary(findings: list[Finding]) -> str:
    if not findings:
        return "no keys found"
    counts = Counter(finding.status for finding in findings)
    keys = len({finding.key_id for finding in findings})
    by_status = ", ".join(f"{counts[status]} {status}" for status in STATUSES if counts[status])
    return f"{len(findings)} finding(s) of {keys} key(s): {by_status}"


def as_json(finding: Finding) -> dict[str, Any]:
    return {
        "path": None if finding.path is None else finding.shown_path,
        "line": finding.line,
        "column": finding.column,
        "key_id": finding.key_id,
        "status": finding.status,
        "commit": finding.commit,
        "blob": finding.blob,
    }


def print_json(findings: list[Finding]) -> None:
    emit_json([as_json(finding) for finding in findings])


def print_sarif(findings: list[Finding]) -> None:
    emit_json(sarif_log(findings))


def sarif_log(findings: list[Finding]) -> dict[str, Any]:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keyconsole",
                        "version": keyconsole.__version__,
                        "rules": [_RULE],
                    }
                },
                # Columns count characters (code points), as the text and JSON output do.
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(finding) for finding in findings],
            }
        ],
    }


_RULE = {
    "id": RULE_ID,
    "name": "LeakedApiKey",
    "shortDescription": {"text": "A keyconsole API key is in the scanned content"},
    "fullDescription": {
        "text": "A kc_ token with a valid checksum: a keyconsole API key, found outside the store. "
        "Anyone who reads this content can use it while it is live."
    },
    "help": {
        "text": "Deactivate the key (keyconsole scan --deactivate, or keyconsole keys deactivate KEY), "
        "issue a new one to its owner, and remove the key from the content and its history.",
    },
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["security", "secret"], "security-severity": "9.0"},
}


def _sarif_result(finding: Finding) -> dict[str, Any]:
    uri = quote(finding.shown_path) if finding.path is not None else f"git-blob/{finding.blob}"
    return {
        "ruleId": RULE_ID,
        # A key that no longer works is still worth removing, but it is not an emergency.
        "level": "error" if finding.status == LIVE else "warning",
        "message": {"text": f"keyconsole API key {finding.masked} found; the store says: {finding.status}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": finding.line, "startColumn": finding.column},
                }
            }
        ],
        "partialFingerprints": {"keyconsoleKeyId/v1": finding.key_id},
        "properties": {"keyId": finding.key_id, "status": finding.status, "commit": finding.commit},
    }

"""Secret hygiene: after every command and console flow, no part of any secret is anywhere but
where the admin was meant to see it once (the stdout of create/rotate, the reveal modal)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from keyconsole import KeyStore, tokens
from keyconsole.tui.app import make_app
from keyconsole.tui.screens.reveal import RevealKeyScreen

RUN = 12  # any run this long of a secret counts as a leak, not only the whole of it


def leaks(secret: str, text: str | bytes) -> bool:
    haystack = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return any(secret[i : i + RUN].encode() in haystack for i in range(len(secret) - RUN + 1))


def kc(db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "keyconsole", *args, "--db", db], input=stdin,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "KEYCONSOLE_DEBUG": "1"})


def store_contents(url: str) -> str:
    """Every row of every table, as text."""
    with KeyStore(url) as store:
        metadata = MetaData()
        metadata.reflect(store.database.engine)
        with store.database.engine.connect() as conn:
            return "\n".join(
                repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table))
            )


async def test_no_secret_outlives_its_one_showing(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, clipboard: list[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    seen_elsewhere: list[str] = []  # every output that must not hold a secret
    secrets: list[str] = []

    def shown_once(result: subprocess.CompletedProcess[str]) -> str:
        assert result.returncode == 0, result.stderr
        out = result.stdout.strip()
        key = json.loads(out)["key"] if out.startswith("{") else out
        secrets.append(tokens.parse(key).secret)  # type: ignore[union-attr]
        seen_elsewhere.append(result.stderr)
        return key

    def elsewhere(result: subprocess.CompletedProcess[str]) -> None:
        seen_elsewhere.extend([result.stdout, result.stderr])

    elsewhere(kc(store_url, "scopes", "add", "users:read"))
    key = shown_once(kc(store_url, "keys", "create", "--name", "svc", "--scope", "users:read", "--json"))
    shown_once(kc(store_url, "keys", "create", "--name", "other", "--scope", "users:read"))
    for args in (("keys", "list"), ("keys", "list", "--json"), ("keys", "show", "svc"), ("keys", "show", "svc", "--json"),
                 ("keys", "edit", "svc", "--name", "svc2"), ("keys", "deactivate", "svc2"), ("keys", "activate", "svc2"),
                 ("scopes", "add", "extra:x"), ("scopes", "edit", "extra:x", "--description", "d"),
                 ("scopes", "remove", "extra:x"), ("demo", "seed", "--keys", "5"),
                 ("audit", "list", "--json"), ("audit", "verify"), ("scopes", "list", "--json")):
        elsewhere(kc(store_url, *args))
    for presented in (key, key[:-1] + "x", key + "x"):
        elsewhere(kc(store_url, "verify", "--json", stdin=presented))
    shown_once(kc(store_url, "keys", "rotate", "svc2", "--grace", "1h"))
    elsewhere(kc(store_url, "keys", "show", key))  # a whole key where a name or id belongs

    with KeyStore(store_url, actor="tester") as store:
        issued = store.keys.create("api-made", ["users:read"])
        secrets.append(tokens.parse(issued.key).secret)  # type: ignore[union-attr]
        result = store.verify(issued.key)
        seen_elsewhere.extend([repr(issued), repr(issued.info), repr(result), repr(store), repr(tokens.parse(issued.key))])
        seen_elsewhere.extend(repr(event) for event in store.audit.query(limit=1000))
        try:
            store.keys.get(issued.key)
        except Exception as error:  # noqa: BLE001 - its message is what we inspect
            seen_elsewhere.append(repr(error))

        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("a", *"console-made", "tab", "space", "ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, RevealKeyScreen)
            secrets.append(tokens.parse(str(app.screen.query_one("#secret").render())).secret)  # type: ignore[union-attr]
            await pilot.press("c", "enter")
            await pilot.pause()
            # Rotate the key under the cursor, copy the new key, close.
            await pilot.press("home", "r", "down", "enter")
            await pilot.pause()
            assert isinstance(app.screen, RevealKeyScreen)
            secrets.append(tokens.parse(str(app.screen.query_one("#secret").render())).secret)  # type: ignore[union-attr]
            await pilot.press("c", "enter")
            await pilot.pause()
            seen_elsewhere.append(app.clipboard)
            seen_elsewhere.append(app.export_screenshot())
        # Quitting wiped the local clipboard of the keys copied there.
        seen_elsewhere.append(clipboard[-1])

    seen_elsewhere.append(store_contents(store_url))
    seen_elsewhere.extend(record.getMessage() for record in caplog.records)
    if store_url.startswith("sqlite"):
        folder = Path(store_url.removeprefix("sqlite:///")).parent
        seen_elsewhere.extend(path.read_bytes().decode("latin-1") for path in folder.glob("keys.db*"))

    assert len(secrets) == 6
    for secret in secrets:
        for text in seen_elsewhere:
            assert not leaks(secret, text)

"""Snapshots of the main screens at 80x24 (pytest-textual-snapshot).

Ids, secrets, dates and the store path are pinned so the pictures only change when the
screens do. Update after a deliberate change with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from keyconsole import KeyStore, tokens
from keyconsole.tui.app import make_app
from tests.tui_helpers import settle
from tests.usage_rows import add_hourly_usage

SIZE = (80, 24)
# The header shows the store; the store itself lives in the test's own folder, so parallel
# runs never share one.
SHOWN_STORE = "sqlite:////tmp/keyconsole-snapshots/keys.db"
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def pinned_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[KeyStore]:
    rng = random.Random(7)
    monkeypatch.setattr(tokens, "_random_chars", lambda n: "".join(rng.choice(tokens.ALPHABET) for _ in range(n)))
    # The reveal snapshot is committed: with a wrong checksum its key is no finding for
    # `keyconsole scan`, which checks this repository too.
    monkeypatch.setattr(tokens, "_checksum", lambda _body: "0" * tokens.CHECKSUM_CHARS)
    monkeypatch.setattr(KeyStore, "display_name", property(lambda _store: SHOWN_STORE))
    store = KeyStore(str(tmp_path / "keys.db"), actor="alice", clock=lambda: NOW)
    store.scopes.add("users:read", "Read user profiles")
    store.scopes.add("users:write", "Create and change users")
    store.scopes.add("billing:read", "Read invoices")
    store.keys.create("billing backend", ["billing:read", "users:read"])
    store.keys.create("checkout [prod]", ["users:read", "users:write"], expires_at=NOW + timedelta(days=90))
    store.keys.create("old partner", ["users:read"], active=False)
    # A working day behind one key, a spike on another (the Usage column, the header's count).
    add_hourly_usage(store, "billing backend", {ago: 900 + 80 * (ago % 12) for ago in range(24)}, NOW)
    add_hourly_usage(store, "checkout [prod]", {**{ago: 4 for ago in range(2, 24)}, 1: 30, 0: 650}, NOW)
    yield store
    store.close()


async def _steady(pilot: Pilot[None]) -> None:
    await settle(pilot)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def test_keys_table(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=_steady)


def test_add_form_with_errors(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    async def open_form(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await settle(pilot)
        # A name already taken, and an expiry in the past: each error beside its field.
        await pilot.press(*"checkout [prod]", "tab", "space", "tab", "tab", *"2001-01-01", "ctrl+s")
        await _steady(pilot)

    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=open_form)


def test_reveal_modal(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    async def create(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"reporting job", "tab", "space", "ctrl+s")
        await _steady(pilot)

    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=create)


def test_help_screen(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    async def help_(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await _steady(pilot)

    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=help_)


def test_keys_table_with_marks_and_expiry_warnings(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    pinned_store.keys.create("rotating soon", ["users:read"], expires_at=NOW + timedelta(days=3))

    async def mark(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("space", "down", "space")
        await _steady(pilot)

    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=mark)


def test_key_form_with_a_filtered_scope_checklist(snap_compare, pinned_store: KeyStore) -> None:  # type: ignore[no-untyped-def]
    async def filter_scopes(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"reporting job", "tab", "space", *"write", "space")
        await _steady(pilot)

    assert snap_compare(make_app(pinned_store, clock=lambda: NOW), terminal_size=SIZE, run_before=filter_scopes)

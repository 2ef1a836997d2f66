"""The console when the PostgreSQL server goes away and comes back."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label, Static

from keyconsole import KeyStore
from keyconsole.tui.app import make_app
from keyconsole.tui.screens.key_form import KeyFormScreen
from tests.pg_server import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_a_lost_store_shows_a_banner_keeps_the_form_and_recovers(own_server: PostgresServer) -> None:
    store = KeyStore(own_server.new_database(), actor="t")
    store.scopes.add("users:read")
    store.keys.create("svc", ["users:read"])
    app = make_app(store, poll_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", *"typed before the outage", "tab", "space")
        own_server.stop()
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        form = app.screen
        assert isinstance(form, KeyFormScreen)
        assert "Your edits are kept" in str(form.query_one("#form-error", Label).render())
        assert form.query_one("#name", Input).value == "typed before the outage"
        banner = app.keys_screen.query_one("#banner", Static)
        assert banner.display and "Store unavailable" in str(banner.render())

        own_server.start_server()
        await pilot.pause(1.0)
        assert not banner.display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert store.keys.get("typed before the outage").scopes == ("users:read",)
    store.close()

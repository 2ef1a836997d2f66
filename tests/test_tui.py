"""The console, driven from the keyboard with Textual's pilot, as an admin would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from keyconsole import KeyStore
from keyconsole.scan.findings import LEAKED_AT
from keyconsole.service.key_query import KeyQuery
from keyconsole.tui.screens.confirm import ConfirmScreen
from keyconsole.tui.screens.help import HelpScreen
from keyconsole.tui.screens.key_form import KeyFormScreen
from keyconsole.tui.screens.reveal import RevealKeyScreen
from keyconsole.tui.screens.scopes import ScopesScreen
from keyconsole.tui.widgets.choice import ScopeChecklist, YesNo
from keyconsole.tui.widgets.key_bar import KeyBar
from tests.tui_helpers import opened, press, row_of, settle, table_lines

SIZE = (80, 24)


async def test_an_admin_adds_a_key_with_two_scopes_copies_it_and_closes_the_reveal(
    ks: KeyStore, clipboard: list[str]
) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        assert isinstance(app.screen, KeyFormScreen)
        await press(pilot, *"billing backend", "tab", "space", "down", "space", "ctrl+s")
        assert isinstance(app.screen, RevealKeyScreen)
        shown = str(app.screen.query_one("#secret").render())
        info = ks.keys.get("billing backend")
        assert info.scopes == ("billing:read", "users:read")
        assert shown.startswith(info.public_id + "_")
        assert ks.verify(shown, scopes=["billing:read", "users:read"])

        await pilot.press("c")
        assert app.clipboard == shown
        assert clipboard == [shown]
        assert "Copied" in str(app.screen.query_one("#copy-status", Label).render())

        await pilot.press("escape")
        assert isinstance(app.screen, RevealKeyScreen), "escape must not close the only view of the key"
        await press(pilot, "enter")
        assert not isinstance(app.screen, RevealKeyScreen)
        assert app.clipboard == ""
        assert "ACTIVE" in row_of(app, "billing backend")


async def test_the_form_refuses_bad_input_beside_each_field_and_saves_nothing(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await pilot.press("ctrl+s")
        form = app.screen
        assert isinstance(form, KeyFormScreen)
        assert "required" in str(form.query_one("#name-error", Label).render())
        assert "at least one scope" in str(form.query_one("#scopes-error", Label).render())
        await pilot.press(*"svc", "tab", "space", "tab", "tab", *"2001-01-01", "ctrl+s")
        assert "past" in str(form.query_one("#expires-error", Label).render())
        assert isinstance(app.screen, KeyFormScreen)
        assert ks.keys.count() == 0


async def test_the_name_is_checked_as_you_type(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await pilot.press(*"kc_AAAAAAAAAAAA")
        await pilot.pause()
        assert "key id" in str(app.screen.query_one("#name-error", Label).render())
        await pilot.press("backspace")
        await pilot.pause()
        assert not app.screen.query_one("#name-error", Label).display


async def test_a_duplicate_name_is_shown_beside_the_name(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await press(pilot, *"SVC", "tab", "space", "ctrl+s")
        assert isinstance(app.screen, KeyFormScreen)
        assert "already exists" in str(app.screen.query_one("#name-error", Label).render())
        assert ks.keys.count() == 1


async def test_editing_a_key_changes_its_scopes(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "enter")
        form = app.screen
        assert isinstance(form, KeyFormScreen)
        assert form.query_one(ScopeChecklist).selected == {"users:read"}
        # Options are sorted: billing:read, users:read, users:write.
        await press(pilot, "tab", "space", "down", "space", "down", "space", "ctrl+s")
        assert ks.keys.get("svc").scopes == ("billing:read", "users:write")
        assert "billing:read…" in row_of(app, "svc"), "a long scope list is cut with an ellipsis"


async def test_setting_active_to_no_in_the_form_inactivates_the_key(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "enter")
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, YesNo)
        await press(pilot, "n", "ctrl+s")
        assert "INACTIVE" in row_of(app, "svc")
        assert ks.verify(issued.key).reason == "inactive"


async def test_inactivating_from_the_table_asks_first(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert ks.verify(issued.key)
        await press(pilot, "d", "y")
        assert "INACTIVE" in row_of(app, "svc")
        assert ks.verify(issued.key).reason == "inactive"
        await press(pilot, "d", "y")
        assert "ACTIVE" in row_of(app, "svc") and "INACTIVE" not in row_of(app, "svc")


async def test_rotating_from_the_table_reveals_a_new_key_and_keeps_the_old_for_the_grace(ks: KeyStore) -> None:
    old = ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "r", "down", "enter")
        assert isinstance(app.screen, RevealKeyScreen)
        new = str(app.screen.query_one("#secret").render())
        assert new != old.key
        assert ks.verify(new) and ks.verify(old.key)
        grace = ks.keys.get("svc").rotation_grace_until
        assert grace is not None and grace - ks.keys.get("svc").updated_at == timedelta(hours=1)


async def test_filter_narrows_the_table_live_and_escape_clears_it(ks: KeyStore) -> None:
    ks.keys.create("checkout prod", ["users:read"])
    ks.keys.create("search cron", ["billing:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "/", *"check")
        names = [line.split()[0] for line in table_lines(app)[1:] if line]
        assert names == ["checkout"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).display is False
        await press(pilot, "escape")
        assert len([line for line in table_lines(app)[1:] if line]) == 2


async def test_more_than_a_page_of_keys_shows_at_once_and_is_then_counted(ks: KeyStore) -> None:
    ks.seed_demo(450)
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        # Opening, too, shows the first page and counts the rest in the background.
        assert "450 keys" in str(app.screen.query_one("#store-info").render())
        await press(pilot, "/", "-")
        header = str(app.screen.query_one("#store-info").render())
        assert "450 keys matching '-'" in header and "counting" not in header
        await press(pilot, "enter", "end")
        assert app.screen.table.cursor_row == 449
        # A filter with fewer matches than a page is counted by the page itself.
        await press(pilot, "/", "ctrl+u", *"-1")
        expected = ks.keys.count(KeyQuery(search="-1"))
        assert f"{expected} keys matching '-1'" in str(app.screen.query_one("#store-info").render())


async def test_a_key_changed_by_someone_else_is_never_overwritten(ks: KeyStore, store_url: str) -> None:
    ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "enter")
        await pilot.press("end", *" mine")
        with KeyStore(store_url, actor="other admin") as other:
            other.keys.edit("svc", name="theirs")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ConfirmScreen)
        assert ks.keys.get("theirs").name == "theirs"
        await press(pilot, "y")
        assert isinstance(app.screen, KeyFormScreen)
        assert app.screen.query_one("#name", Input).value == "theirs"


async def test_escape_with_unsaved_changes_asks_before_discarding(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await pilot.press(*"half typed", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, KeyFormScreen)
        assert app.screen.query_one("#name", Input).value == "half typed"
        await pilot.press("escape", "y")
        assert not isinstance(app.screen, (KeyFormScreen, ConfirmScreen))


async def test_names_that_look_like_markup_are_shown_literally(ks: KeyStore) -> None:
    ks.keys.create("[bold]x[/bold]", ["users:read"])
    ks.keys.create("[@click=app.quit]", ["users:read"])
    async with opened(ks, (120, 24)) as pilot:
        app = pilot.app
        await pilot.pause()
        lines = table_lines(app)
        assert any(line.startswith("[@click=app.quit]") for line in lines)
        assert any(line.startswith("[bold]x[/bold]") for line in lines)


async def test_an_empty_store_tells_the_admin_what_to_do(store_url: str) -> None:
    with KeyStore(store_url, actor="t") as empty:
        async with opened(empty, SIZE) as pilot:
            app = pilot.app
            hint = str(app.screen.query_one("#empty-hint").render())
            assert "No scopes yet" in hint and "press s" in hint.lower()
            empty.scopes.add("users:read")
            app.keys_screen.load_rows()
            await settle(pilot)
            assert "press a" in str(app.screen.query_one("#empty-hint").render()).lower()


async def test_changes_made_elsewhere_appear_without_a_restart(ks: KeyStore, store_url: str) -> None:
    async with opened(ks, SIZE, poll_seconds=0.2) as pilot:
        app = pilot.app
        with KeyStore(store_url, actor="cli") as other:
            other.keys.create("made by the cli", ["users:read"])
        await pilot.pause(0.6)
        assert "ACTIVE" in row_of(app, "made by the cli")


async def test_help_lists_every_binding(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        for expected in ("Add", "Filter", "Rotate", "Save", "Copy", "Toggle", "All", "None", "Quit"):
            assert expected in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_key_bar_follows_the_focus_and_a_click_presses_a_key(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        bar = app.keys_screen.query_one(KeyBar)

        def drawn() -> str:
            return bar.render_line(0).text

        shown = drawn()
        assert " a Add " in shown and " s Scopes " in shown and " q Quit " in shown
        await pilot.press("slash")
        await pilot.pause()
        assert " a Add " not in drawn(), "while the filter takes letters, letters are not keys"
        await pilot.press("escape")
        await pilot.pause()
        assert drawn() == shown
        await pilot.click(KeyBar, offset=(shown.index(" s Scopes ") + 2, 0))
        await pilot.pause()
        assert isinstance(app.screen, ScopesScreen)


async def test_scopes_screen_adds_and_removes_scopes(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        await press(pilot, "s")
        await press(pilot, "a", *"reports:read", "tab", *"Download reports", "enter")
        assert "reports:read" in ks.scopes.names()
        assert [s.description for s in ks.scopes.list() if s.name == "reports:read"] == ["Download reports"]


async def test_a_bad_scope_name_is_shown_in_the_scope_form_and_nothing_is_saved(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "s")
        await press(pilot, "a", *"Bad Name!", "ctrl+s")
        error = app.screen.query_one("#scope-error", Label)
        assert error.display and error.region.height >= 1  # on screen, not only set
        assert "scope" in str(error.render()).lower()
        assert "Bad Name!" not in ks.scopes.names()
        await pilot.press("escape")


async def test_the_scope_under_the_cursor_and_the_selected_ones_differ_in_characters(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await pilot.press("tab", "down", "space")
        checklist = app.screen.query_one(ScopeChecklist)
        prompts = [str(checklist.get_option_at_index(i).prompt) for i in range(checklist.option_count)]
        assert prompts[0].startswith(" [ ] billing:read")
        assert prompts[1].startswith(">[x] users:read")
        assert prompts[2].startswith(" [ ] users:write")


async def test_x_deletes_an_inactive_key_after_asking_and_refuses_an_active_one(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "x")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("deactivate it first" in str(n.message) for n in app._notifications)
        await press(pilot, "d", "y")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert ks.keys.count() == 0
        assert "No keys yet" in str(app.screen.query_one("#empty-hint").render())
    assert ks.verify(issued.key).reason == "unknown"


async def test_keys_about_to_expire_say_so_in_words_and_the_header_counts_them(
    ks: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    ks.keys.create("soon", ["users:read"], expires_at=now + timedelta(days=3, hours=1))
    ks.keys.create("within hours", ["users:read"], expires_at=now + timedelta(hours=5, minutes=1))
    ks.keys.create("later", ["users:read"], expires_at=now + timedelta(days=40))
    ks.keys.create("off anyway", ["users:read"], active=False, expires_at=now + timedelta(days=2))
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        assert " in 3d " in row_of(app, "soon") + " "
        assert " in 5h " in row_of(app, "within hours") + " "
        assert (now + timedelta(days=40)).strftime("%Y-%m-%d") in row_of(app, "later")
        assert " in " not in row_of(app, "off anyway"), "an inactive key warns of nothing"
        assert "2 expire within 14 days" in str(app.screen.query_one("#store-info").render())

    monkeypatch.setenv("KEYCONSOLE_EXPIRY_WARN_DAYS", "1")
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        assert " in 3d " not in row_of(app, "soon") + " "
        assert "1 expires within 1 day" in str(app.screen.query_one("#store-info").render())


async def test_a_key_that_expires_while_the_console_is_open_is_shown_expired(store_url: str) -> None:
    moment = [datetime.now(UTC)]
    with KeyStore(store_url, actor="tester", clock=lambda: moment[0]) as store:
        store.scopes.add("users:read")
        store.keys.create("short lived", ["users:read"], expires_at=moment[0] + timedelta(minutes=3, seconds=30))
        async with opened(store, SIZE, poll_seconds=0.05, clock=lambda: moment[0]) as pilot:
            app = pilot.app
            assert " in 3m " in row_of(app, "short lived") + " "
            assert "1 expires within 14 days" in str(app.screen.query_one("#store-info").render())
            moment[0] += timedelta(minutes=2)  # nobody changes anything meanwhile
            await pilot.pause(0.3)
            await settle(pilot)
            assert " in 1m " in row_of(app, "short lived") + " "
            moment[0] += timedelta(minutes=2)
            await pilot.pause(0.3)
            await settle(pilot)
            assert "EXPIRED" in row_of(app, "short lived")
            assert "expire" not in str(app.screen.query_one("#store-info").render())


async def test_the_active_toggle_answers_arrows_and_enter_like_a_radio_group(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "enter")
        await pilot.press("tab", "tab")
        toggle = app.screen.query_one(YesNo)
        assert app.focused is toggle and toggle.value
        await pilot.press("down")
        assert not toggle.value and app.focused is toggle, "arrows change the choice, never the focus"
        await pilot.press("up")
        assert toggle.value
        await pilot.press("down", "enter")
        assert not toggle.value and app.focused is app.screen.query_one("#expires", Input)


async def test_the_form_keeps_an_owner_and_a_note_and_the_filter_finds_the_owner(ks: KeyStore) -> None:
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await press(pilot, "a")
        await pilot.press(*"exporter", "tab", "space", "tab", "tab", "tab", *"[b]Alice[/b]", "tab", *"nightly export")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RevealKeyScreen)
        await press(pilot, "enter")
        info = ks.keys.get("exporter")
        assert (info.owner, info.note) == ("[b]Alice[/b]", "nightly export")
        await press(pilot, "/", *"[b]ali")
        assert [line.split()[0] for line in table_lines(app)[1:] if line] == ["exporter"]
        await press(pilot, "enter", "enter")
        assert app.screen.query_one("#owner", Input).value == "[b]Alice[/b]", "shown literally, not as markup"


async def test_v_cycles_the_quick_views_and_the_filter_works_within_each(ks: KeyStore) -> None:
    now = datetime.now(UTC)
    ks.keys.create("live", ["users:read"])
    ks.keys.create("off", ["users:read"], active=False)
    ks.keys.create("soon", ["users:read"], expires_at=now + timedelta(days=2))
    ks.keys.create("live too", ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app

        def header() -> str:
            return str(app.screen.query_one("#store-info").render())

        def names() -> list[str]:
            return [line.split()[0] for line in table_lines(app)[1:] if line]

        seen = {}
        for _ in range(5):
            await press(pilot, "v")
            seen[header().split("  ")[2]] = names()
        assert seen == {
            "Active: 3 keys": ["live", "live", "soon"],
            "Inactive: 1 key": ["off"],
            "Expired: 0 keys": [],
            "Expiring soon: 1 key": ["soon"],
            "Unused 90 days: 0 keys": [],
        }
        assert "Press v for the next view" in str(app.screen.query_one("#empty-hint").render())
        await pilot.press("v", "v")  # Unused -> All -> Active
        await press(pilot, "/", *"too")
        assert names() == ["live"] and "Active: 1 key matching 'too'" in header()


async def details_shown(pilot: Pilot[None]) -> tuple[str, str]:
    """Press i on the key under the cursor: the details' facts and last changes, as text."""
    await settle(pilot)
    await press(pilot, "i")
    screen = pilot.app.screen
    return str(screen.query_one("#facts").render()), str(screen.query_one("#events").render())


async def test_i_shows_everything_about_the_key_and_its_last_changes(ks: KeyStore) -> None:
    scopes = ["billing:read", "users:read", "users:write"]
    ks.keys.create("svc [prod]", scopes, owner="[red]ops[/red]", note="nightly export")
    ks.keys.rotate("svc [prod]", grace=timedelta(hours=2))
    async with opened(ks, SIZE) as pilot:
        shown, events = await details_shown(pilot)
        assert "billing:read, users:read, users:write" in shown, "every scope, uncut"
        assert "[red]ops[/red]" in shown and "nightly export" in shown, "shown literally, never as markup"
        assert "rotation grace" in shown and "by tester" in shown
        assert events.index("key.rotate") < events.index("key.create")
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, ModalScreen)


async def test_a_key_a_scan_switched_off_says_where_it_leaked(ks: KeyStore) -> None:
    ks.keys.create("leaky", ["users:read"])
    ks.keys.set_active_many(["leaky"], False, because={
        ks.keys.get("leaky").public_id: {LEAKED_AT: ["deploy/[b]env[/b].sh:2 (commit 0123abcd)"]},
    })
    async with opened(ks, SIZE) as pilot:
        shown, events = await details_shown(pilot)
        assert "INACTIVE (found leaked at deploy/[b]env[/b].sh:2 (commit 0123abcd))" in shown
        assert '"leaked_at": ["deploy/[b]env[/b].sh:2' in events
    ks.keys.set_active("leaky", True)
    ks.keys.set_active("leaky", False)
    async with opened(ks, SIZE) as pilot:
        shown, _events = await details_shown(pilot)
        assert "found leaked" not in shown, "switched off again by hand"


async def test_space_marks_keys_and_d_and_x_act_on_all_of_them_after_one_question(ks: KeyStore) -> None:
    for name in ("alpha", "bravo", "charlie"):
        ks.keys.create(name, ["users:read"])
    async with opened(ks, SIZE) as pilot:
        app = pilot.app
        await pilot.press("space", "space")  # alpha and bravo; the cursor moves on
        assert row_of(app, "* alpha") and row_of(app, "* bravo") and row_of(app, "charlie")
        assert "2 marked" in str(app.screen.query_one("#store-info").render())
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one(".question").render())
        assert "Deactivate 2 marked key(s)?" in question and "alpha" in question and "bravo" in question
        await press(pilot, "y")
        assert [key.name for key in ks.keys.list(KeyQuery(status="inactive"))] == ["alpha", "bravo"]
        assert "marked" not in str(app.screen.query_one("#store-info").render())
        switched = [(e.action, e.key_name) for e in ks.audit.query(limit=2)]
        assert sorted(switched) == [("key.deactivate", "alpha"), ("key.deactivate", "bravo")]

        await pilot.press("home", "space", "space", "space")  # all three: charlie is active
        await press(pilot, "x")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("deactivate them first" in str(n.message) for n in app._notifications)
        await pilot.press("space")  # the cursor stayed on the last row: unmark charlie
        await press(pilot, "x", "y")
        assert [key.name for key in ks.keys.list()] == ["charlie"]
        await pilot.press("space", "escape")
        assert "marked" not in str(app.screen.query_one("#store-info").render()), "escape clears the marks"


async def test_the_form_shows_the_lifetime_policy_and_refuses_a_later_expiry_beside_expires(ks: KeyStore) -> None:
    ks.policy.set(max_lifetime=timedelta(days=30))
    async with opened(ks, (80, 40)) as pilot:
        app = pilot.app
        await press(pilot, "a")
        assert "at most 30 days" in str(app.screen.query_one("#policy-note").render())
        await press(pilot, *"svc", "tab", "space", "tab", "tab", *"90d", "ctrl+s")
        assert isinstance(app.screen, KeyFormScreen)
        assert "at most 30 days" in str(app.screen.query_one("#expires-error").render())
        await press(pilot, *["backspace"] * 3, "ctrl+s")
        assert isinstance(app.screen, RevealKeyScreen), "left empty, the policy's default applies"
    expires = ks.keys.get("svc").expires_at
    assert expires is not None and expires - datetime.now(UTC) <= timedelta(days=30)


async def test_help_shows_every_binding_at_80x24_without_scrolling(ks: KeyStore) -> None:
    """Issue 23.11: the help had outgrown one column; `q Quit` needed a scroll."""
    async with opened(ks, (80, 24)) as pilot:
        await press(pilot, "question_mark")
        scroll = pilot.app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y == 0 and scroll.size.height <= 24
        text = "\n".join(str(w.render()) for w in pilot.app.screen.query("Static"))
        assert "q        Quit" in text and "Filter by key" in text

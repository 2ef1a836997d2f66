"""One form to add a key or edit one: Name, Scopes, Active, Expires, Owner, Note, in that
focus order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label

from keyconsole.errors import Conflict, InvalidInput, KeyconsoleError, PolicyViolation, StaleEdit
from keyconsole.service.clock import utc_now
from keyconsole.service.key_query import UNCHANGED
from keyconsole.service.records import IssuedKey, KeyInfo, ScopeInfo
from keyconsole.service.validation import clean_name, clean_note, clean_owner, parse_expiry
from keyconsole.tui.screens.confirm import ConfirmScreen
from keyconsole.tui.screens.dialog import Dialog
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.choice import ScopeChecklist, YesNo
from keyconsole.tui.widgets.field_error import FieldError

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.service.policy import Policy
    from keyconsole.tui.store_client import StoreClient

FormResult = IssuedKey | KeyInfo | None


@dataclass(frozen=True)
class _Values:
    name: str
    scopes: frozenset[str]
    active: bool
    expires: str
    owner: str
    note: str


def _expiry_text(key: KeyInfo | None) -> str:
    if key is None or key.expires_at is None:
        return ""
    return key.expires_at.strftime("%Y-%m-%d %H:%M")


def _initial_values(key: KeyInfo | None) -> _Values:
    return _Values(
        name="" if key is None else key.name,
        scopes=frozenset(() if key is None else key.scopes),
        active=True if key is None else key.active,
        expires=_expiry_text(key),
        owner="" if key is None or key.owner is None else key.owner,
        note="" if key is None or key.note is None else key.note,
    )


class KeyFormScreen(Dialog[FormResult]):
    DEFAULT_CSS = """
    KeyFormScreen .field {
        height: auto;
    }
    /* Beside its field: one column of labels. */
    KeyFormScreen .field > .field-label {
        width: 9;
    }
    KeyFormScreen FieldError, KeyFormScreen .policy-note {
        padding-left: 9;
    }
    KeyFormScreen Input {
        border: tall $panel;
    }
    /* The rest of the row, not the Input's own width: that ran past the dialog's edge. */
    KeyFormScreen .field > Input {
        width: 1fr;
    }
    KeyFormScreen Input:focus {
        border: heavy $accent;
    }
    """
    """Dismisses with the IssuedKey of a new key, the KeyInfo of a saved edit, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, store: StoreClient, key: KeyInfo | None = None) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._initial = _initial_values(key)
        self._after_fill: Callable[[], None] | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = "Add key" if self._key is None else f"Edit key {self._key.public_id}"
        with VerticalScroll(classes="dialog"):
            yield Label(title, classes="title")
            with Horizontal(classes="field"):
                yield Label("Name", classes="field-label")
                yield Input(self._initial.name, placeholder="e.g. billing backend (prod)", id="name", max_length=120)
            yield FieldError(id="name-error")
            with Horizontal(classes="field", id="scopes-field"):
                yield Label("Scopes", classes="field-label")
                # In its place from the first frame, so Tab reaches it in order; its scopes
                # come from a worker (on_mount), and keys pressed meanwhile wait for them.
                yield ScopeChecklist(self._initial.scopes, id="scopes")
            yield FieldError(id="scopes-error")
            with Horizontal(classes="field"):
                yield Label("Active", classes="field-label")
                yield YesNo(self._initial.active, id="active")
            with Horizontal(classes="field"):
                yield Label("Expires", classes="field-label")
                yield Input(self._initial.expires, placeholder="never, YYYY-MM-DD, or 90d (UTC)", id="expires")
            yield FieldError(id="expires-error")
            yield Label("", id="policy-note", classes="note policy-note")
            with Horizontal(classes="field"):
                yield Label("Owner", classes="field-label")
                yield Input(
                    self._initial.owner, placeholder="who to ask before touching it (optional)", id="owner", max_length=100
                )
            yield FieldError(id="owner-error")
            with Horizontal(classes="field"):
                yield Label("Note", classes="field-label")
                yield Input(self._initial.note, placeholder="what it is for (optional)", id="note", max_length=500)
            yield FieldError(id="note-error")
            yield FieldError(id="form-error")
            yield BusyNote()
            with Horizontal(classes="buttons"):
                yield Label("space toggles, type filters", classes="note")
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.query_one("#policy-note").display = False

        def read(store: KeyStore) -> tuple[list[ScopeInfo], Policy]:
            return store.scopes.list(), store.policy.show()

        self._store.call(
            self,
            read,
            self._show_scopes_and_policy,
            doing="reading scopes",
            failed=self._scopes_not_read,
        )

    def _scopes_not_read(self, error: KeyconsoleError) -> None:
        self._show_error("scopes", f"cannot read the scopes: {error}")
        self.query_one(ScopeChecklist).fill(None)

    def _show_scopes_and_policy(self, found: tuple[list[ScopeInfo], Policy]) -> None:
        scopes, policy = found
        if policy.max_lifetime is not None or policy.require_expiry:
            default = "" if policy.max_lifetime is None else f" Left empty: in {policy.max_lifetime.days} days."
            note = self.query_one("#policy-note", Label)
            note.update(Content(f"Policy: {policy.describe()}.{default}"))
            note.display = True
        self._show_scopes(scopes)

    def _show_scopes(self, scopes: list[ScopeInfo]) -> None:
        self.query_one(ScopeChecklist).fill([(s.name, s.description) for s in scopes])

    @on(ScopeChecklist.Filled)
    def _scopes_filled(self) -> None:
        # A save or cancel pressed while the scopes were read runs now, after the keys
        # pressed before it (ScopeChecklist.fill), as it would have.
        waiting, self._after_fill = self._after_fill, None
        if waiting is not None:
            waiting()

    def _when_filled(self, action: Callable[[], None]) -> bool:
        """Run ``action`` once the scopes are in; True if it has to wait for them."""
        if self.query_one(ScopeChecklist).is_filled:
            return False
        self._after_fill = action
        return True

    # -- values and validation ---------------------------------------------------------------

    def _values(self) -> _Values:
        return _Values(
            name=self.query_one("#name", Input).value,
            scopes=frozenset(self.query_one(ScopeChecklist).selected),
            active=self.query_one("#active", YesNo).value,
            expires=self.query_one("#expires", Input).value,
            owner=self.query_one("#owner", Input).value,
            note=self.query_one("#note", Input).value,
        )

    def _show_error(self, field: str, message: str) -> None:
        self.query_one(f"#{field}-error", FieldError).show(message)

    def _validate(self, values: _Values) -> bool:
        valid = True
        try:
            clean_name(values.name)
            self._show_error("name", "")
        except InvalidInput as error:
            self._show_error("name", str(error))
            valid = False
        if not values.scopes:
            self._show_error("scopes", "choose at least one scope")
            valid = False
        else:
            self._show_error("scopes", "")
        if values.expires != self._initial.expires:
            try:
                parse_expiry(values.expires, utc_now())
                self._show_error("expires", "")
            except InvalidInput as error:
                self._show_error("expires", str(error))
                valid = False
        for field, clean in (("owner", clean_owner), ("note", clean_note)):
            try:
                clean(getattr(values, field))
                self._show_error(field, "")
            except InvalidInput as error:
                self._show_error(field, str(error))
                valid = False
        return valid

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        try:
            clean_name(event.value)
            self._show_error("name", "")
        except InvalidInput as error:
            self._show_error("name", str(error))

    @on(Input.Changed, "#expires")
    def _expires_changed(self, event: Input.Changed) -> None:
        if event.value == self._initial.expires:
            self._show_error("expires", "")
            return
        try:
            parse_expiry(event.value, utc_now())
            self._show_error("expires", "")
        except InvalidInput as error:
            self._show_error("expires", str(error))

    @on(ScopeChecklist.Changed)
    def _scopes_changed(self, event: ScopeChecklist.Changed) -> None:
        if event.checklist.selected:
            self._show_error("scopes", "")

    # -- actions -----------------------------------------------------------------------------

    @property
    def _saving(self) -> bool:
        # The save button is off from a save's start until it failed (a success closes the
        # form); the busy line also shows other reads, such as the scopes'.
        return self.query_one("#save", Button).disabled

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self._when_filled(self.action_save) or self._saving:
            return
        values = self._values()
        if not self._validate(values):
            self._show_error("form", "Fix the fields marked above; nothing was saved.")
            return
        self._show_error("form", "")
        self.query_one("#save", Button).disabled = True
        creating = self._key is None
        self._store.call(
            self,
            partial(self._write, values),
            self.dismiss,
            # A new key's secret is hashed with argon2 (store-side work included, it can take
            # a noticeable moment on a busy machine).
            doing="saving the new key (hashing its secret)" if creating else "saving your changes",
            failed=self._not_saved,
        )

    def _not_saved(self, error: KeyconsoleError) -> None:
        self.query_one("#save", Button).disabled = False
        if isinstance(error, StaleEdit):
            self._offer_reload()
        elif isinstance(error, PolicyViolation):
            self._show_error("expires", str(error))
            self._show_error("form", "Nothing was saved.")
        elif isinstance(error, Conflict):
            self._show_error("name", str(error))
            self._show_error("form", "Nothing was saved.")
        else:
            self._show_error("form", f"{error}. Your edits are kept: press ctrl+s to try again.")

    def _write(self, values: _Values, store: KeyStore) -> IssuedKey | KeyInfo:
        """Runs in a worker (tui/store_client.py)."""
        keys = store.keys
        expires = UNCHANGED if values.expires == self._initial.expires else parse_expiry(values.expires, utc_now())
        if self._key is None:
            return keys.create(
                values.name,
                sorted(values.scopes),
                active=values.active,
                expires_at=None if expires is UNCHANGED else expires,  # type: ignore[arg-type]
                owner=values.owner,
                note=values.note,
            )
        return keys.edit(
            self._key.public_id,
            name=values.name,
            scopes=sorted(values.scopes),
            active=values.active,
            expires_at=expires,
            owner=UNCHANGED if values.owner == self._initial.owner else values.owner,
            note=UNCHANGED if values.note == self._initial.note else values.note,
            expected_version=self._key.version,
        )

    def _offer_reload(self) -> None:
        question = Content(
            "Someone else changed this key since you opened it. Nothing was saved.\n"
            "Reload it (your edits here are dropped) or keep editing?"
        )

        def answered(reload: bool | None) -> None:
            if reload:
                self._show_current_key()
            else:
                self._show_error("form", "Not saved: the key changed meanwhile. Reload (escape, enter) to see it.")

        self.app.push_screen(ConfirmScreen(question, yes="Reload", no="Keep editing"), answered)

    def _show_current_key(self) -> None:
        """Show the key as it is now; the admin's edits here are dropped, as they chose."""
        assert self._key is not None
        public_id = self._key.public_id
        self._store.call(
            self,
            lambda store: store.keys.get(public_id),
            self._show_key,
            doing="reading the key",
            failed=lambda error: self._show_error("form", str(error)),
        )

    def _show_key(self, fresh: KeyInfo) -> None:
        self._key, self._initial = fresh, _initial_values(fresh)
        self.query_one("#name", Input).value = self._initial.name
        for checklist in self.query(ScopeChecklist):
            checklist.set_selected(self._initial.scopes)
        self.query_one("#active", YesNo).value = self._initial.active
        self.query_one("#expires", Input).value = self._initial.expires
        self.query_one("#owner", Input).value = self._initial.owner
        self.query_one("#note", Input).value = self._initial.note
        self._show_error("form", "Reloaded: this is the key as it is now.")

    def action_cancel(self) -> None:
        if self._when_filled(self.action_cancel):
            return
        if self._saving:
            self.notify("Still saving: the form closes when the store has answered.")
            return
        if self._values() == self._initial:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Throw away your changes to this key?", yes="Discard", no="Keep editing"), answered)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


"""The keys screen's changes to keys: on/off, rotate, delete, for one key or the marked ones.

Each asks first (a rotation asks for its grace), runs in a worker (tui/store_client.py), and
then reads the rows again; a change the store refuses (the key changed meanwhile, a role
that may not) is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from textual.content import Content

from keyconsole.errors import KeyconsoleError
from keyconsole.service.display import printable
from keyconsole.service.records import IssuedKey, KeyInfo
from keyconsole.tui import screens
from keyconsole.tui.marks import Marks

if TYPE_CHECKING:
    from textual.screen import Screen

    from keyconsole.service.api import KeyStore
    from keyconsole.service.keys import Switched
    from keyconsole.tui.store_client import StoreClient

T = TypeVar("T")


class KeyChanges:
    def __init__(
        self,
        screen: Screen[None],
        store: StoreClient,
        marks: Marks,
        reload: Callable[..., None],
    ) -> None:
        self._screen = screen
        self._store = store
        self._marks = marks
        # reload(keep=public id): read the rows again, the cursor kept on that key.
        self._reload = reload

    def toggle(self, key: KeyInfo) -> None:
        verb = "Deactivate" if key.active else "Activate"
        consequence = "It stops working at once, everywhere." if key.active else "It works again at once."

        def switched(info: KeyInfo) -> None:
            self._reload(keep=info.public_id)
            self._screen.notify(Content(f"{printable(info.name)} is now {info.status.value}"))

        self._after_asking(
            Content(f"{verb} {printable(key.name)} ({key.public_id})? {consequence}"),
            verb,
            lambda store: store.keys.set_active(key.public_id, not key.active, expected_version=key.version),
            switched,
            doing=f"{verb.lower()[:-1]}ing {key.public_id}",
        )

    def switch_marked(self) -> None:
        """Deactivate every marked key, or, when none of them is active, activate them all:
        one question listing them, one transaction, one audit event per key."""
        marked = self._marks.keys
        active = not any(key.active for key in marked)
        verb = "Activate" if active else "Deactivate"
        consequence = "They work again at once." if active else "They stop working at once, everywhere."

        def switched(result: Switched) -> None:
            self._marks.clear()
            self._reload()
            state = "active" if active else "inactive"
            self._screen.notify(f"{len(result.changed)} key(s) now {state}, {len(result.already)} already so")

        self._after_asking(
            Content(f"{verb} {len(marked)} marked key(s)? {self._marks.listed()}. {consequence}"),
            verb,
            lambda store: store.keys.set_active_many([key.public_id for key in marked], active),
            switched,
            doing=f"{verb.lower()[:-1]}ing {len(marked)} keys",
        )

    def rotate(self, key: KeyInfo) -> None:
        def rotated(issued: IssuedKey) -> None:
            self._reload(keep=issued.info.public_id)
            self._screen.app.push_screen(screens.RevealKeyScreen(issued, "rotated"))

        def chosen(grace: timedelta | None) -> None:
            if grace is None:
                return
            self._store.call(
                self._screen,
                lambda store: store.keys.rotate(
                    key.public_id, grace=grace, expected_version=key.version
                ),
                rotated,
                doing=f"rotating {key.public_id}",
                failed=self._changed_meanwhile,
            )

        self._screen.app.push_screen(screens.RotateScreen(key), chosen)

    def delete(self, current: KeyInfo | None) -> None:
        """Delete the marked keys, or ``current``: inactive keys only."""
        marked = self._marks.keys or ([] if current is None else [current])
        if not marked:
            return
        live = [key for key in marked if key.active]
        if live:
            if self._marks:
                refusal = f"{len(live)} of the marked keys are active: deactivate them first (d)."
            else:
                refusal = f"{printable(live[0].name)} is active: deactivate it first (d), then delete it."
            self._screen.notify(Content(refusal), severity="warning")
            return
        if self._marks:
            what = f"{len(marked)} marked key(s) for good? {self._marks.listed()}. The audit keeps their history."
        else:
            what = f"{printable(marked[0].name)} ({marked[0].public_id}) for good? The audit keeps its history."

        def deleted(gone: list[KeyInfo]) -> None:
            self._marks.clear()
            self._reload()
            names = ", ".join(printable(key.name) for key in gone[:3])
            self._screen.notify(Content(f"Deleted {names}" + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")))

        self._after_asking(
            Content(f"Delete {what}"),
            "Delete",
            lambda store: store.keys.delete_many(
                [key.public_id for key in marked], expected_versions={key.public_id: key.version for key in marked}
            ),
            deleted,
            doing=f"deleting {len(marked)} key(s)",
        )

    def _after_asking(
        self,
        question: Content,
        yes: str,
        change: Callable[[KeyStore], T],
        done: Callable[[T], None],
        *,
        doing: str,
    ) -> None:
        """Ask ``question``; on yes run ``change`` in a worker, then ``done`` with its result."""

        def answered(agreed: bool | None) -> None:
            if agreed:
                self._store.call(
                    self._screen,
                    change,
                    done,
                    doing=doing,
                    failed=self._changed_meanwhile,
                )

        self._screen.app.push_screen(screens.ConfirmScreen(question, yes=yes), answered)

    def _changed_meanwhile(self, error: KeyconsoleError) -> None:
        self._screen.notify(str(error), severity="error")
        self._reload()

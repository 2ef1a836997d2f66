"""Keys pressed on a widget before its rows have arrived, applied in order once they do.

A widget a worker fills (the form's scope list, the audit table) takes its place and focus
from the first frame. Keys meant for it meanwhile, its own bindings and whatever else it
claims (letters for a list that filters as one types), are kept instead of lost or sent
elsewhere, so a burst of keys after a lag over SSH acts as it would have afterwards.
Keys it has no binding for (tab, ctrl+s, the screen's own) act at once, as always.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.widget import Widget


@functools.cache
def own_actions(widget_class: type[Widget]) -> dict[str, str]:
    """Each key a widget class binds itself, and the action it runs (the most derived
    class's binding wins, as in Textual)."""
    actions: dict[str, str] = {}
    for cls in reversed(widget_class.__mro__):
        for binding in cls.__dict__.get("BINDINGS", []):
            bound = binding if isinstance(binding, Binding) else Binding(*binding)
            for key in bound.key.split(","):
                actions[key.strip()] = bound.action
    return actions


class KeptKeys:
    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        self._kept: list[events.Key] | None = []

    @property
    def waiting(self) -> bool:
        """Whether the rows have not arrived yet."""
        return self._kept is not None

    def keep(self, event: events.Key, *, claimed: Callable[[events.Key], bool] = lambda _event: False) -> bool:
        """Keep ``event`` if the rows are still to come and the key is the widget's."""
        if self._kept is None or not (claimed(event) or event.key in own_actions(type(self._widget))):
            return False
        event.stop()
        event.prevent_default()
        self._kept.append(event)
        return True

    def release(self) -> list[events.Key]:
        """The kept keys, in order; from now on none is kept."""
        kept, self._kept = self._kept or [], None
        return kept

    def run_own_binding(self, event: events.Key) -> None:
        """What the widget's own binding for ``event`` does (actions without arguments)."""
        action = own_actions(type(self._widget)).get(event.key)
        method = None if action is None or "(" in action or "." in action else getattr(self._widget, f"action_{action}", None)
        if method is not None:
            method()

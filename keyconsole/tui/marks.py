"""The keys marked for a bulk action (`space` in the keys table), by public id: a mark
outlives a filter, a sort or a view, and is drawn in characters (`* `), not colour."""

from __future__ import annotations

from keyconsole.service.display import printable
from keyconsole.service.records import KeyInfo

SHOWN_IN_QUESTION = 8


class Marks:
    def __init__(self) -> None:
        self._keys: dict[str, KeyInfo] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, public_id: object) -> bool:
        return public_id in self._keys

    def toggle(self, key: KeyInfo) -> None:
        if self._keys.pop(key.public_id, None) is None:
            self._keys[key.public_id] = key

    def clear(self) -> None:
        self._keys.clear()

    @property
    def keys(self) -> list[KeyInfo]:
        return list(self._keys.values())

    def listed(self) -> str:
        """The marked keys for a question: the first few by name, then how many more."""
        names = [f"{printable(key.name)} ({key.public_id})" for key in self._keys.values()]
        shown = ", ".join(names[:SHOWN_IN_QUESTION])
        more = len(names) - SHOWN_IN_QUESTION
        return shown + (f" and {more} more" if more > 0 else "")

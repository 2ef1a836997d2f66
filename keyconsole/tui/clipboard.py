"""Copying a key: OSC 52 to the admin's own terminal (works over SSH), and pyperclip locally.

The local copy is wiped again after ``KEYCONSOLE_CLIPBOARD_CLEAR_S`` seconds (default 30;
0 keeps it), and when the console quits, provided the clipboard still holds that key: a
key left in a clipboard is one paste away from a chat window. What OSC 52 put on the
admin's own terminal cannot be wiped from here (see docs/console.md, "Copying a key").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyperclip
from textual.app import App



@dataclass(frozen=True)
class CopyReport:
    osc52: bool
    local: bool
    clears_in_s: float = 0.0

    def describe(self) -> str:
        parts = []
        if self.osc52:
            parts.append("sent to your terminal's clipboard (OSC 52)")
        if not self.local:
            parts.append("no local clipboard on this machine")
        elif self.clears_in_s > 0:
            parts.append(f"copied to this machine's clipboard, cleared in {self.clears_in_s:g} s")
        else:
            parts.append("copied to this machine's clipboard")
        return "; ".join(parts)


def _digest(text: str) -> bytes:
    # Only a digest waits for the wipe: the key itself is not kept alive in memory for it.
    return hashlib.sha256(text.encode()).digest()


class LocalClipboardWiper:
    """Wipes the local clipboard later, if it still holds a key we put there."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self._pending: set[bytes] = set()

    def schedule(self, app: App[object], text: str) -> float:
        """Returns the delay, 0 when wiping is off."""
        if self.delay_s <= 0:
            return 0.0
        digest = _digest(text)
        self._pending.add(digest)
        app.set_timer(self.delay_s, lambda: self.wipe(digest))
        return self.delay_s

    def wipe(self, digest: bytes) -> None:
        if digest not in self._pending:
            return
        self._pending.discard(digest)
        try:
            if _digest(pyperclip.paste()) == digest:
                pyperclip.copy("")
        except pyperclip.PyperclipException:
            pass

    def wipe_all(self) -> None:
        for digest in list(self._pending):
            self.wipe(digest)


def copy_key(app: App[object], text: str, wiper: LocalClipboardWiper) -> CopyReport:
    # OSC 52 travels in the terminal stream, so it reaches the admin's own machine over SSH
    # and through tmux (with set-clipboard on); a terminal that ignores it stays silent.
    app.copy_to_clipboard(text)
    osc52 = app.is_headless is False
    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException:
        return CopyReport(osc52, False)
    return CopyReport(osc52, True, wiper.schedule(app, text))


def forget(app: App[object]) -> None:
    """Drop the app's own copy of the last text it copied.

    Textual keeps it in ``App._clipboard`` (read through ``App.clipboard``); sending an empty
    OSC 52 instead would also wipe the admin's terminal clipboard they just filled.
    """
    app._clipboard = ""

"""Copying a key: OSC 52 to the admin's own terminal (works over SSH), and pyperclip locally."""

from __future__ import annotations

from dataclasses import dataclass

import pyperclip
from textual.app import App


@dataclass(frozen=True)
class CopyReport:
    osc52: bool
    local: bool

    def describe(self) -> str:
        parts = []
        if self.osc52:
            parts.append("sent to your terminal's clipboard (OSC 52)")
        parts.append("copied to this machine's clipboard" if self.local else "no local clipboard on this machine")
        return "; ".join(parts)


def copy_key(app: App[object], text: str) -> CopyReport:
    # OSC 52 travels in the terminal stream, so it reaches the admin's own machine over SSH
    # and through tmux (with set-clipboard on); a terminal that ignores it stays silent.
    app.copy_to_clipboard(text)
    osc52 = app.is_headless is False
    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException:
        return CopyReport(osc52, False)
    return CopyReport(osc52, True)


def forget(app: App[object]) -> None:
    """Drop the app's own copy of the last text it copied.

    Textual keeps it in ``App._clipboard`` (read through ``App.clipboard``); sending an empty
    OSC 52 instead would also wipe the admin's terminal clipboard they just filled.
    """
    app._clipboard = ""

"""Focusable choices whose state shows in the characters drawn, not by colour alone.

Textual's stock check boxes and radio buttons draw the same glyph on and off and change
only its colour, which TERM=linux, NO_COLOR and colour-blind admins cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from keyconsole.service.display import printable
from keyconsole.tui.widgets.kept_keys import KeptKeys


class ScopeChecklist(OptionList):
    """A multi-select list of scopes: ``space`` toggles, typing filters, ``ctrl+a`` selects
    every scope shown, ``ctrl+n`` none of them.

    It takes its place in the form, and focus, before its scopes are read: keys pressed
    meanwhile are kept and applied, in order, once they arrive (``fill``), so they act
    exactly as they would have afterwards. Typing letters narrows the list to the scopes
    whose names contain them (shown in the border's title; backspace takes a letter back,
    escape clears it); selections the filter hides are kept, and counted in the subtitle.
    """

    BINDINGS = [
        Binding("space", "toggle", "Toggle"),
        Binding("ctrl+a", "select_all", "All shown"),
        Binding("ctrl+n", "select_none", "None shown"),
        Binding("backspace", "filter_back", "Filter: back", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    ScopeChecklist {
        height: auto;
        min-height: 3;
        max-height: 9;
        border: tall $panel;
        border-title-align: left;
        border-subtitle-align: right;
        &:focus { border: heavy $accent; }
    }
    """

    class Changed(Message):
        def __init__(self, checklist: ScopeChecklist) -> None:
            super().__init__()
            self.checklist = checklist

        @property
        def control(self) -> ScopeChecklist:
            return self.checklist

    class Filled(Message):
        """The scopes arrived (or could not be read) and the keys kept meanwhile were applied."""

    def __init__(self, selected: Iterable[str] = (), *, id: str | None = None) -> None:
        self._scopes: list[tuple[str, str]] = []
        self._shown: list[tuple[str, str]] = []
        self.selected: set[str] = set(selected)
        self.filter_text = ""
        super().__init__(id=id)
        self._kept = KeptKeys(self)
        # Whether letters were kept for the filter before the scopes arrived.
        self._kept_typing = False

    @property
    def is_filled(self) -> bool:
        return not self._kept.waiting

    def on_mount(self) -> None:
        self._show_state()

    def fill(self, scopes: Iterable[tuple[str, str]] | None) -> None:
        """The scopes to choose from (None: they could not be read); then the keys pressed
        while waiting, in order."""
        self._scopes = list(scopes or [])
        kept = self._kept.release()
        self._refilter()
        for key in kept:
            if self._types_into_filter(key):
                self._type(key)
            else:
                self._kept.run_own_binding(key)
        self.post_message(self.Filled())

    # -- keys --------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and not self.filter_text and not self._kept_typing:
            return  # nothing typed to clear: escape is the form's (cancel)
        if self._kept.keep(event, claimed=self._types_into_filter):
            self._kept_typing = self._kept_typing or self._types_into_filter(event)
        elif self._types_into_filter(event):
            event.stop()
            event.prevent_default()
            self._type(event)

    @staticmethod
    def _types_into_filter(event: events.Key) -> bool:
        character = event.character
        return character is not None and len(character) == 1 and character.isprintable() and character != " "

    # -- filter ------------------------------------------------------------------------------

    def _type(self, event: events.Key) -> None:
        self._set_filter(self.filter_text + (event.character or ""))

    def action_filter_back(self) -> None:
        if self.filter_text:
            self._set_filter(self.filter_text[:-1])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With no filter to clear, escape is the form's (cancel).
        return bool(self.filter_text) if action == "clear_filter" else True

    def action_clear_filter(self) -> None:
        self._set_filter("")

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self._refilter()

    def _refilter(self) -> None:
        needle = self.filter_text.lower()
        self._shown = [scope for scope in self._scopes if needle in scope[0].lower()]
        self.clear_options()
        self.add_options([Option(self._prompt(name, description), id=name) for name, description in self._shown])
        self.highlighted = 0 if self._shown else None
        self._redraw_prompts()
        self._show_state()

    def _show_state(self) -> None:
        if self._kept.waiting:
            self.border_title = "reading scopes…"
        elif not self._scopes:
            self.border_title = "no scopes: define some on the scopes screen (s) first"
        elif self.filter_text:
            self.border_title = Text(f"filter: {self.filter_text}  ({len(self._shown)} of {len(self._scopes)}; esc clears)")
        else:
            self.border_title = "type to filter"
        hidden = len(self.selected - {name for name, _ in self._shown}) if self.is_filled else 0
        counted = f"{len(self.selected)} selected"
        self.border_subtitle = f"{counted}, {hidden} hidden by the filter" if hidden else counted

    # -- drawing -----------------------------------------------------------------------------

    def _prompt(self, name: str, description: str, pointed: bool = False) -> Text:
        # ">" marks the row space would toggle, for terminals where the highlight's
        # colour does not show (NO_COLOR, TERM=linux).
        pointer = ">" if pointed else " "
        mark = "[x]" if name in self.selected else "[ ]"
        text = Text(f"{pointer}{mark} {name}")
        if description:
            text.append(f"  {printable(description)}", style="dim")
        return text

    def _redraw_prompts(self, focused: bool | None = None) -> None:
        # Focus events arrive before has_focus changes, so they say which it will be.
        focused = self.has_focus if focused is None else focused
        if self.option_count != len(self._shown):
            return  # between clearing the options and adding the new ones
        for index, (name, description) in enumerate(self._shown):
            pointed = focused and index == self.highlighted
            self.replace_option_prompt_at_index(index, self._prompt(name, description, pointed))

    def _redraw(self) -> None:
        self._redraw_prompts()
        self._show_state()
        self.post_message(self.Changed(self))

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._redraw_prompts()

    def on_focus(self) -> None:
        self._redraw_prompts(focused=True)

    def on_blur(self) -> None:
        self._redraw_prompts(focused=False)

    # -- choosing ----------------------------------------------------------------------------

    def action_toggle(self) -> None:
        if self.highlighted is None or not self._shown:
            return
        self.selected ^= {self._shown[self.highlighted][0]}
        self._redraw()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter and a click toggle too, like space.
        event.stop()
        self.action_toggle()

    def set_selected(self, names: Iterable[str]) -> None:
        self.selected = set(names)
        self._redraw()

    def action_select_all(self) -> None:
        self.selected |= {name for name, _ in self._shown}
        self._redraw()

    def action_select_none(self) -> None:
        self.selected -= {name for name, _ in self._shown}
        self._redraw()


class YesNo(Widget, can_focus=True):
    """``(*) Yes  ( ) No``: arrows (as in any radio group), space, y or n change it; enter
    keeps it and moves on, as tab does."""

    BINDINGS = [
        Binding("left,right,up,down,space", "flip", "Switch", show=False),
        Binding("y", "set(True)", "Yes", show=False),
        Binding("n", "set(False)", "No", show=False),
        Binding("enter", "app.focus_next", "Keep", show=False),
    ]
    DEFAULT_CSS = """
    YesNo {
        height: 3;
        width: auto;
        padding: 0 1;
        border: tall $panel;
        &:focus { border: heavy $accent; }
    }
    """

    value: reactive[bool] = reactive(True)

    def __init__(self, value: bool = True, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(YesNo.value, value)

    def render(self) -> Text:
        yes = "(*) Yes" if self.value else "( ) Yes"
        no = "( ) No" if self.value else "(*) No"
        text = Text()
        text.append(yes, style="bold" if self.value else "")
        text.append("   ")
        text.append(no, style="" if self.value else "bold")
        return text

    def action_flip(self) -> None:
        self.value = not self.value

    def action_set(self, value: bool) -> None:
        self.value = value

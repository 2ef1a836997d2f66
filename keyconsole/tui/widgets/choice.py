"""Focusable choices whose state shows in the characters drawn, not by colour alone.

Textual's stock check boxes and radio buttons draw the same glyph on and off and change
only its colour, which TERM=linux, NO_COLOR and colour-blind admins cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from keyconsole.service.display import printable


class ScopeChecklist(OptionList):
    """A multi-select list: ``space`` toggles, ``a`` selects all, ``n`` none."""

    BINDINGS = [
        Binding("space", "toggle", "Toggle"),
        Binding("a", "select_all", "All"),
        Binding("n", "select_none", "None"),
    ]
    DEFAULT_CSS = """
    ScopeChecklist {
        height: auto;
        max-height: 9;
        border: tall $panel;
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

    def __init__(self, scopes: Iterable[tuple[str, str]], selected: Iterable[str] = (), *, id: str | None = None) -> None:
        self._scopes = list(scopes)
        self.selected: set[str] = set(selected)
        super().__init__(*self._options(), id=id)

    def _prompt(self, name: str, description: str, pointed: bool = False) -> Text:
        # ">" marks the row space would toggle, for terminals where the highlight's
        # colour does not show (NO_COLOR, TERM=linux).
        pointer = ">" if pointed else " "
        mark = "[x]" if name in self.selected else "[ ]"
        text = Text(f"{pointer}{mark} {name}")
        if description:
            text.append(f"  {printable(description)}", style="dim")
        return text

    def _options(self) -> list[Option]:
        return [Option(self._prompt(name, description), id=name) for name, description in self._scopes]

    def _redraw_prompts(self, focused: bool | None = None) -> None:
        # Focus events arrive before has_focus changes, so they say which it will be.
        focused = self.has_focus if focused is None else focused
        for index, (name, description) in enumerate(self._scopes):
            pointed = focused and index == self.highlighted
            self.replace_option_prompt_at_index(index, self._prompt(name, description, pointed))

    def _redraw(self) -> None:
        self._redraw_prompts()
        self.post_message(self.Changed(self))

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._redraw_prompts()

    def on_focus(self) -> None:
        self._redraw_prompts(focused=True)

    def on_blur(self) -> None:
        self._redraw_prompts(focused=False)

    def action_toggle(self) -> None:
        if self.highlighted is None:
            return
        name = self._scopes[self.highlighted][0]
        self.selected ^= {name}
        self._redraw()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter and a click toggle too, like space.
        event.stop()
        self.action_toggle()

    def set_selected(self, names: Iterable[str]) -> None:
        self.selected = set(names)
        self._redraw()

    def action_select_all(self) -> None:
        self.selected = {name for name, _ in self._scopes}
        self._redraw()

    def action_select_none(self) -> None:
        self.selected = set()
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

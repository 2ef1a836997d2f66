"""The bottom line of a screen: its keys, drawn as one line of text.

Textual's Footer mounts a widget per key and composes them all again whenever the focus
moves; on the keys screen that was 30 of the 70 ms the console took to show its first
screen after Textual's own start (benchmarks/console.py). This shows the same keys (the
screen's active bindings that ask to be shown, dimmed while disabled) as one line, and a
click on a key presses it, as the Footer's does.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        # (first column, column after the end, key) of each key drawn, for clicks.
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        shown_actions: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            # Keys bound to the same action (enter and ctrl+s, say) show once, as in Footer.
            if not binding.show or binding.action in shown_actions:
                continue
            shown_actions.add(binding.action)
            start = line.cell_len
            line.append(f" {self.app.get_key_display(binding)} ", key_style)
            line.append(f"{binding.description} ", description_style)
            if not enabled:
                line.stylize("dim", start)
            spans.append((start, line.cell_len, binding.key))
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return

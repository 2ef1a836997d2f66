"""Every text a command takes must be valid text (UTF-8), said in one line before the
command runs.

Python hands an argument that is not valid UTF-8 over as text holding lone surrogates,
which fail only where they are first encoded: in a query, a log line, the audit. Instead,
every plain text parameter of every command is checked as it is parsed; a path
(click.Path) may be any bytes, as file names may.
"""

from __future__ import annotations

from typing import Any

import click

from keyconsole.errors import InvalidInput


class ValidText(click.types.StringParamType):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = super().convert(value, param, ctx)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise InvalidInput(f"{_name(param)} is not valid text (UTF-8): {shown}") from None
        return text


def _name(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return param.opts[0]
    return param.human_readable_name if param is not None else "an argument"


VALID_TEXT = ValidText()


def require_valid_text(command: click.Command) -> click.Command:
    """Make every plain text parameter of ``command`` and its subcommands ValidText."""
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = VALID_TEXT
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            require_valid_text(sub)
    return command

"""Screens and modal dialogs of the console, one per module.

Each is imported when first used: the keys screen is drawn before the forms, dialogs and
tables it may never open are even loaded (see docs/performance.md: start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyconsole.tui.screens.audit import AuditScreen
    from keyconsole.tui.screens.confirm import ConfirmScreen
    from keyconsole.tui.screens.help import HelpScreen
    from keyconsole.tui.screens.key_details import KeyDetailsScreen
    from keyconsole.tui.screens.key_form import KeyFormScreen
    from keyconsole.tui.screens.keys import KeysScreen
    from keyconsole.tui.screens.reveal import RevealKeyScreen
    from keyconsole.tui.screens.rotate import RotateScreen
    from keyconsole.tui.screens.scope_form import ScopeFormScreen
    from keyconsole.tui.screens.scopes import ScopesScreen

_MODULES = {
    "AuditScreen": "audit",
    "ConfirmScreen": "confirm",
    "HelpScreen": "help",
    "KeyDetailsScreen": "key_details",
    "KeyFormScreen": "key_form",
    "KeysScreen": "keys",
    "RevealKeyScreen": "reveal",
    "RotateScreen": "rotate",
    "ScopeFormScreen": "scope_form",
    "ScopesScreen": "scopes",
}
__all__ = [
    "AuditScreen",
    "ConfirmScreen",
    "HelpScreen",
    "KeyDetailsScreen",
    "KeyFormScreen",
    "KeysScreen",
    "RevealKeyScreen",
    "RotateScreen",
    "ScopeFormScreen",
    "ScopesScreen",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)

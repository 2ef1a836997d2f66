"""Screens and modal dialogs of the console, one per module.

Each is imported when first used: the keys screen is drawn before the forms, dialogs and
tables it may never open are even loaded (see docs/performance.md: start-up). Their types
are declared in __init__.pyi: imported here, even for type checking only, they would make an
import circle of every screen that opens another through this package.
"""

from __future__ import annotations

import importlib
from typing import Any

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

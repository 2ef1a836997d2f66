"""Where the default store lives (another one is named by --db or KEYCONSOLE_DB,
keyconsole/settings.py)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path

DEFAULT_FILENAME = "keys.db"


def default_path() -> Path:
    return user_data_path("keyconsole", appauthor=False) / DEFAULT_FILENAME

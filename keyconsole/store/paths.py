"""Where the default store lives, and the variable that names another one."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path

ENV_VAR = "KEYCONSOLE_DB"
DEFAULT_FILENAME = "keys.db"


def default_path() -> Path:
    return user_data_path("keyconsole", appauthor=False) / DEFAULT_FILENAME

"""Options every command takes (--db, --json), and the store they open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    db: str | None = None
    as_json: bool = False
    _store: KeyStore | None = field(default=None, repr=False)

    def open(self) -> KeyStore:
        if self._store is None:
            from keyconsole.service.api import KeyStore

            self._store = KeyStore(self.db)
            click.get_current_context().call_on_close(self._store.close)
        return self._store


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(Settings).db = value
    return value


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Settings).as_json = True
    return value


db_option = click.option(
    "--db",
    metavar="URL",
    expose_value=False,
    callback=_remember_db,
    help="Store URL (sqlite:///PATH, postgresql+psycopg://…) or a SQLite file path. "
    "Default: $KEYCONSOLE_DB, else the file in your data folder.",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, expose_value=False, callback=_remember_json,
    help="Print machine-readable JSON.",
)


def common_options(command: F) -> F:
    """--db and --json on every command, so they may come before or after its name."""
    return db_option(json_option(command))


def settings() -> Settings:
    return click.get_current_context().find_object(Settings) or click.get_current_context().ensure_object(Settings)

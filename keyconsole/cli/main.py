"""`keyconsole`: the root command. Bare, it opens the console."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NoReturn

import click

from keyconsole import __version__
from keyconsole import settings as keyconsole_settings
from keyconsole.cli.context import common_options, settings
from keyconsole.cli.text_params import require_valid_text
from keyconsole.errors import KeyconsoleError

# Each command's module is imported only when that command runs (click's lazy-group
# recipe): `keyconsole verify` must not pay for the ORM and the console it never uses.
LAZY_COMMANDS = {
    **{name: f"keyconsole.cli.{name}" for name in ("audit", "demo", "grant", "keys", "policy", "scan", "scopes", "serve", "verify")},
    "restore": "keyconsole.cli.backup",
    "backup": "keyconsole.cli.backup",
}


class ErrorReportingGroup(click.Group):
    """Loads commands on demand, and turns every failure into one line on stderr and the
    contract's exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(LAZY_COMMANDS[cmd_name])
        return require_valid_text(getattr(module, cmd_name))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The root's own options (--db before the command) are parsed here, not in invoke.
        try:
            return super().parse_args(ctx, args)
        except KeyconsoleError as err:
            _refuse(ctx, err)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyconsoleError as err:
            _refuse(ctx, err)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("keyconsole: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`keyconsole keys list | head`): stop quietly, as a shell
            # tool killed by SIGPIPE would, and keep Python from complaining at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except Exception as err:  # noqa: BLE001 - the contract: never a traceback
            if keyconsole_settings.debug():
                raise
            click.echo(
                f"keyconsole: unexpected error ({type(err).__name__}); run with {keyconsole_settings.DEBUG}=1 for details",
                err=True,
            )
            ctx.exit(1)


def _refuse(ctx: click.Context, err: KeyconsoleError) -> NoReturn:
    click.echo(f"keyconsole: {err}", err=True)
    ctx.exit(err.exit_code)


@click.group(cls=ErrorReportingGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(__version__, prog_name="keyconsole")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Issue and govern API keys. Without a command, opens the console."""
    if ctx.invoked_subcommand is None:
        open_console()


require_valid_text(main)


def open_console() -> None:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise click.UsageError("the console needs a terminal; see keyconsole --help for the commands")
    from keyconsole.tui.app import open_app

    app = open_app(settings().db)
    app.run()
    if (error := app.store_error) is not None:
        raise error


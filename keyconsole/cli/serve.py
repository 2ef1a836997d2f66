"""`keyconsole serve`: the HTTP verify service, for APIs in any language and for gateways."""

from __future__ import annotations

import socket

import click

from keyconsole.cli.context import db_option, settings
from keyconsole.cli.output import note
from keyconsole.errors import InvalidInput, KeyconsoleError, StoreUnavailable
from keyconsole.serve.settings import DEFAULT_LISTEN, ServeSettings, is_loopback, parse_listen, parse_trusted_proxy
from keyconsole.store.direct.connectors import error_line
from keyconsole.store.direct.driver import find_driver, unusable_because


@click.command()
@db_option
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT",
              help="Where to listen. Off loopback, --caller-scope or --no-caller-check is required.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--caller-scope", metavar="SCOPE",
              help="Every request must carry a key holding SCOPE in X-Keyconsole-Caller (loopback too).")
@click.option("--no-caller-check", is_flag=True, help="Off loopback: the network is trusted, callers need no key.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="uvicorn's access log (keys in paths are cut to their public id).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Believe X-Forwarded-For from this proxy address or network (repeat); from no one by default.")
def serve(
    listen: str, workers: int, caller_scope: str | None, no_caller_check: bool, access_log: bool,
    trusted_proxies: tuple[str, ...],
) -> None:
    """The HTTP verify service, for APIs in any language and for gateways.

    POST /v1/verify, /v1/forward-auth (nginx, Traefik, Caddy, Envoy), /healthz, /readyz and
    /metrics. docs/serve.md in the repository has the answers and gateway configurations.
    """
    host, port = parse_listen(listen)
    if caller_scope is not None and no_caller_check:
        raise InvalidInput("--caller-scope and --no-caller-check contradict each other: choose one")
    if not is_loopback(host) and caller_scope is None and not no_caller_check:
        raise InvalidInput(
            f"{host} is not a loopback address: anyone who reaches it could test keys. Give --caller-scope SCOPE"
            " (callers send their own key in X-Keyconsole-Caller) or --no-caller-check (the network is trusted)"
        )
    db = settings().db
    _check_store(db)
    _check_port_free(host, port)
    try:
        from keyconsole.serve.server import run
    except ModuleNotFoundError as missing:
        raise KeyconsoleError(
            f"keyconsole serve needs {missing.name}: pip install 'keyconsole[serve]'"
        ) from None

    note(f"keyconsole: serving on http://{_url_host(host)}:{port} with {workers} worker(s); ctrl+c stops")
    run(ServeSettings(
        db=db, host=host, port=port, workers=workers, caller_scope=caller_scope, access_log=access_log,
        trusted_proxies=tuple(parse_trusted_proxy(proxy) for proxy in trusted_proxies),
    ))


def _check_store(db: str | None) -> None:
    """Refuse a store that is missing, foreign or needs a migration; start on one that
    cannot be reached now (a fleet must outlive a database failover)."""
    driver = find_driver(db)
    if driver is None:
        raise StoreUnavailable("keyconsole serve reads a SQLite file or a postgresql+psycopg:// URL")
    try:
        why = unusable_because(driver)
    except driver.driver_error as error:
        note(f"keyconsole: the store {driver.display_name} cannot be reached ({error_line(error)}); "
             "answering 503 until it can")
        return
    if why is not None:
        raise StoreUnavailable(why)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise KeyconsoleError(f"cannot listen on {_url_host(host)}:{port}: {error.strerror}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

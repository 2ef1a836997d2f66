"""What `keyconsole serve` was asked for, passed to each worker process through one
environment variable (uvicorn starts workers as fresh processes)."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass

from keyconsole.errors import InvalidInput

ENV_VAR = "KEYCONSOLE_SERVE_SETTINGS"
DEFAULT_LISTEN = "127.0.0.1:8787"


@dataclass(frozen=True)
class ServeSettings:
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8787
    workers: int = 1
    # When set, every request but the health probes carries the caller's own key, holding
    # this scope, in X-Keyconsole-Caller.
    caller_scope: str | None = None
    access_log: bool = True
    # Addresses (or networks) whose X-Forwarded-For and X-Forwarded-Proto are believed; from
    # anyone else, loopback included, they are ignored.
    trusted_proxies: tuple[str, ...] = ()

    def to_environ(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_environ(cls) -> ServeSettings:
        values = json.loads(os.environ[ENV_VAR])
        return cls(**{**values, "trusted_proxies": tuple(values.get("trusted_proxies", ()))})


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8787`` for IPv6) or a bare port on 127.0.0.1."""
    host, colon, port_text = text.strip().rpartition(":")
    if not colon:
        host, port_text = "127.0.0.1", text.strip()
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidInput(f"--listen takes HOST:PORT (e.g. {DEFAULT_LISTEN}), not {text!r}")
    return host, int(port_text)


def parse_trusted_proxy(text: str) -> str:
    """An address or network (``10.0.0.5``, ``10.0.0.0/24``, ``::1``), as uvicorn takes it."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise InvalidInput(f"--trusted-proxy takes an IP address or network (10.0.0.5, 10.0.0.0/24), not {text!r}") from None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

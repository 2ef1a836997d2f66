"""Running the application under uvicorn, with one or several worker processes."""

from __future__ import annotations

import os
import resource
import signal
import sys
import tempfile

import uvicorn

from keyconsole.serve.access_log import log_config
from keyconsole.serve.metrics import MULTIPROCESS_ENV
from keyconsole.serve.settings import ENV_VAR, ServeSettings

# In-flight requests get this long to finish after SIGTERM or ctrl+c.
GRACEFUL_SHUTDOWN_S = 10


def run(settings: ServeSettings) -> None:
    os.environ[ENV_VAR] = settings.to_environ()
    _raise_open_file_limit()
    # uvicorn finishes the requests in flight, then raises the signal it caught again with
    # the handler it found: this one, so a SIGTERM ends the process with status 0, as a
    # service manager expects of a clean stop.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with tempfile.TemporaryDirectory(prefix="keyconsole-metrics-") as metrics_folder:
        if settings.workers > 1:
            # Must be in the environment before a worker imports prometheus_client.
            os.environ[MULTIPROCESS_ENV] = metrics_folder
        uvicorn.run(
            "keyconsole.serve.app:app_from_environ",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=log_config(settings.access_log),
            access_log=settings.access_log,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            http="keyconsole.serve.http_protocol:BoundedHttpProtocol",
            # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: then any
            # local process could write any address into the access log.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies) or None,
        )


def _raise_open_file_limit() -> None:
    """Each connection is an open file: take all the hard limit allows (workers inherit it),
    rather than the soft 1,024 most shells and services start with."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return


def _exit_cleanly(_signal: int, _frame: object) -> None:
    sys.exit(0)

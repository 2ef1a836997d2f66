"""A throwaway PgBouncer in transaction pooling mode in front of the test run's PostgreSQL.

It refuses to run as root, so as root it runs as the `postgres` user. Started on a free
loopback port, killed at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pg_server import PostgresServer, free_port

# Fewer server connections than the tests have threads, so consecutive transactions of one
# client land on different server connections, as in a busy fleet.
SERVER_POOL_SIZE = 3


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (str(path) for path in (Path("/usr/sbin/pgbouncer"), Path("/usr/local/sbin/pgbouncer")) if path.exists()),
        None,
    )


class PgBouncer:
    def __init__(self, postgres: PostgresServer) -> None:
        self.postgres = postgres
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="keyconsole-pgbouncer-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = pgbouncer_binary()
        assert binary is not None
        config = self.root / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.postgres.port} user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            f"default_pool_size = {SERVER_POOL_SIZE}\nmax_client_conn = 500\n"
            f"logfile = {self.root / 'pgbouncer.log'}\n"
        )
        as_user: dict[str, str] = {}
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(config, "postgres")
            # Started as that user directly (not through runuser), so killing it kills it.
            as_user = {"user": "postgres", "group": "postgres"}
        self.process = subprocess.Popen(
            [binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start: {self.log()}") from None
                time.sleep(0.05)

    def url(self, database_url: str) -> str:
        """``database_url`` (a database of the PostgreSQL server) reached through PgBouncer."""
        database = database_url.rsplit("/", 1)[1]
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.root / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)

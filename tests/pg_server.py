"""A throwaway PostgreSQL cluster for the test run: its own folder, 127.0.0.1, a free port.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
and every server command runs through `runuser -u postgres`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# The group of roles the least-privilege tests create (tests/test_roles.py).
PASSWORD_ROLES = "kc_password_roles"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="keyconsole-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        self._counter = 0

    @staticmethod
    def available() -> bool:
        return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = list(argv)
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.socket_dir.mkdir()
        if self.user is not None:
            shutil.chown(self.root, self.user)
            shutil.chown(self.socket_dir, self.user)
        self._run(
            shutil.which("initdb") or "initdb", "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
        )
        # Roles in PASSWORD_ROLES log in with their own password; every other connection of
        # the tests is trusted (pg_hba.conf takes the first line that matches).
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all +{PASSWORD_ROLES} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self.start_server()

    def start_server(self) -> None:
        """Start (again) the cluster made by `start`: the fault tests stop and restart it."""
        self._run(
            shutil.which("pg_ctl") or "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} -c fsync=off -c max_connections=200",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(shutil.which("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        self._counter += 1
        name = f"kc_test_{os.getpid()}_{self._counter}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        # The server may still be removing its socket files while the tree is walked, which
        # left an empty folder behind now and then: walk it again until it is gone.
        for _ in range(5):
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                return
            time.sleep(0.1)

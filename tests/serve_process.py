"""`keyconsole serve` as a real process on a free loopback port, for the tests to call with
a real HTTP client; stopped (SIGTERM, then SIGKILL) when the test ends."""

from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.pg_server import free_port


class ServeProcess:
    def __init__(
        self,
        db: str,
        *options: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        open_files: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # Removed with this object (or at exit): its output stays readable after stop().
        self._logs = tempfile.TemporaryDirectory(prefix="kc-serve-")
        self.log_dir = Path(self._logs.name)
        self.stdout_path, self.stderr_path = self.log_dir / "stdout", self.log_dir / "stderr"
        command = [sys.executable, "-m", "keyconsole", "serve", "--db", db,
                   "--listen", f"127.0.0.1:{self.port}", *options]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, env={**os.environ, **(env or {})},
                preexec_fn=None if open_files is None else functools.partial(_soft_open_files, open_files),
            )
        self.client = httpx.Client(base_url=self.base_url, timeout=30)

    def wait_ready(self, timeout: float = 20) -> float:
        """Seconds until /healthz answered; fails if the process ended first."""
        started = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"serve ended with {self.process.returncode}: {self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            if time.monotonic() - started > timeout:
                raise AssertionError(f"serve did not answer within {timeout} s: {self.output()}")
            time.sleep(0.02)

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")


def _soft_open_files(limit: int) -> None:
    """In the child before exec: the soft open-file limit most shells and services start with."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def run_serve(db: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`keyconsole serve` expected to refuse to start: its exit and its words."""
    return subprocess.run([sys.executable, "-m", "keyconsole", "serve", "--db", db, *options],
                          capture_output=True, text=True, timeout=60)

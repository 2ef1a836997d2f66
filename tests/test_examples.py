"""The examples start as the README says and guard their endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from keyconsole import KeyStore
from tests.pg_server import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent

COMMANDS = {
    "fastapi": [str(BIN / "uvicorn"), "--app-dir", "examples", "fastapi_app:app", "--port", "{port}"],
    "starlette": [str(BIN / "uvicorn"), "--app-dir", "examples", "starlette_app:app", "--port", "{port}"],
    "django": [sys.executable, "examples/django_project/manage.py", "runserver", "{port}", "--noreload"],
}
WITHOUT_A_KEY = {"fastapi": 401, "starlette": 403, "django": 401}


@pytest.mark.parametrize("example", list(COMMANDS))
def test_the_example_guards_its_endpoint(sqlite_url: str, example: str) -> None:
    with KeyStore(sqlite_url, actor="t") as ks:
        ks.scopes.add("users:read")
        key = ks.keys.create("example", ["users:read"]).key
    port = free_port()
    command = [part.format(port=port) for part in COMMANDS[example]]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "KEYCONSOLE_DB": sqlite_url},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/users", headers={"Authorization": f"Bearer {key}"})
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the example did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.json() == {"caller": key[:15], "scopes": ["users:read"]}
        assert httpx.get(f"http://127.0.0.1:{port}/users").status_code == WITHOUT_A_KEY[example]
    finally:
        process.terminate()
        process.wait(timeout=30)

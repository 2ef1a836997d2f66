"""nginx with the README's configuration (examples/gateways/nginx.conf) in front of an API:
a request with a valid key reaches the API, one with a deactivated key gets 401."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyconsole import KeyStore
from tests.pg_server import free_port
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).parent.parent / "examples" / "gateways" / "nginx.conf"


def _nginx() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        if os.environ.get("KEYCONSOLE_REQUIRE_POSTGRES"):
            pytest.fail("nginx is required here but not installed (make system-packages)")
        pytest.skip("nginx is not installed (make system-packages installs it as root)")
    return binary


class Api(http.server.BaseHTTPRequestHandler):
    """The protected API: answers with what nginx told it about the caller."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"path": self.path, "key_id": self.headers.get("X-Keyconsole-Key-Id"),
                           "scopes": self.headers.get("X-Keyconsole-Scopes")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_nginx_passes_valid_keys_to_the_api_and_refuses_deactivated_ones(
    ks: KeyStore, store_url: str, api: int
) -> None:
    binary = _nginx()
    key = ks.keys.create("svc", ["users:read"]).key
    reader_only = ks.keys.create("no scope", ["billing:read"]).key
    serve = ServeProcess(store_url)
    prefix = Path(tempfile.mkdtemp(prefix="kc-nginx-"))
    nginx_port = free_port()
    site = (EXAMPLE.read_text()
            .replace("127.0.0.1:8787", f"127.0.0.1:{serve.port}")
            .replace("127.0.0.1:9000", f"127.0.0.1:{api}")
            .replace("127.0.0.1:8080", f"127.0.0.1:{nginx_port}"))
    (prefix / "site.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log {prefix}/access.log;\n  client_body_temp_path {prefix}/body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n  fastcgi_temp_path {prefix}/fastcgi;\n"
        f"  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n"
        f"  include {prefix}/site.conf;\n}}\n"
    )
    nginx = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        serve.wait_ready()
        gateway = f"http://127.0.0.1:{nginx_port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(gateway, timeout=1)
                break
            except httpx.TransportError:
                assert nginx.poll() is None and time.monotonic() < deadline, (prefix / "error.log").read_text()
                time.sleep(0.05)

        passed = httpx.get(f"{gateway}/users/17", headers={"Authorization": f"Bearer {key}"})
        assert passed.status_code == 200
        assert passed.json() == {"path": "/users/17", "key_id": key[:15], "scopes": "users:read"}
        by_header = httpx.get(f"{gateway}/users", headers={"X-API-Key": key})
        assert by_header.status_code == 200

        no_key = httpx.get(f"{gateway}/users")
        assert no_key.status_code == 401 and no_key.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(f"{gateway}/users", headers={"X-API-Key": reader_only}).status_code == 403

        subprocess.run([sys.executable, "-m", "keyconsole", "keys", "deactivate", "svc", "--db", store_url],
                       check=True, capture_output=True, timeout=60)
        assert httpx.get(f"{gateway}/users/17", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        serve.stop()
        shutil.rmtree(prefix, ignore_errors=True)

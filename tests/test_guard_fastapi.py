"""The FastAPI guard: Security(auth, scopes=[...]) answers as forward auth does."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Security
from fastapi.testclient import TestClient

from keyconsole import KeyStore, tokens
from keyconsole.integrations.fastapi import KeyconsoleAuth, VerifyResult
from keyconsole.service.hash_cache import FAILURE_BUDGET
from tests.at_once import at_once
from tests.guard_keys import REFUSED_401, deactivate_with_the_cli, keys_for_every_verdict


def _app(store: Any) -> FastAPI:
    auth = KeyconsoleAuth(store)
    app = FastAPI()

    @app.get("/users")
    def users(key: VerifyResult = Security(auth, scopes=["users:read"])) -> dict[str, Any]:
        return {"caller": key.key_id, "scopes": list(key.scopes)}

    @app.get("/billing")
    async def billing(key: VerifyResult = Security(auth, scopes=["billing:read", "users:write"])) -> dict[str, str]:
        return {"caller": key.key_id or ""}

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


@pytest.mark.parametrize("given", ["url", "store"])
def test_every_answer(ks: KeyStore, store_url: str, given: str) -> None:
    keys = keys_for_every_verdict(ks)
    client = TestClient(_app(store_url if given == "url" else ks))
    ok = client.get("/users", headers={"Authorization": f"Bearer {keys['ok']}"})
    assert ok.status_code == 200
    assert ok.json() == {"caller": keys["ok"][:15], "scopes": ["billing:read", "users:read"]}
    assert client.get("/users", headers={"X-API-Key": keys["ok"]}).status_code == 200
    for reason in REFUSED_401:
        refused = client.get("/users", headers={"X-API-Key": keys[reason]})
        assert (refused.status_code, refused.json()) == (401, {"detail": reason})
        assert refused.headers["www-authenticate"].startswith("Bearer")
    no_key = client.get("/users")
    assert (no_key.status_code, no_key.json()["detail"]) == (401, "missing_key")
    assert no_key.headers["www-authenticate"].startswith("Bearer")
    scope = client.get("/billing", headers={"X-API-Key": keys["ok"]})
    assert (scope.status_code, scope.json()["detail"]) == (403, "missing_scope")


def test_throttled_is_429_with_retry_after_and_a_deactivation_counts_at_once(ks: KeyStore, store_url: str) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    client = TestClient(_app(store_url))
    assert client.get("/users", headers={"X-API-Key": key}).status_code == 200
    public_id = key[:15]
    for _ in range(FAILURE_BUDGET):
        client.get("/users", headers={"X-API-Key": tokens.assemble(public_id, tokens.new_secret())})
    throttled = client.get("/users", headers={"X-API-Key": tokens.assemble(public_id, tokens.new_secret())})
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["retry-after"]) <= 10
    deactivate_with_the_cli(store_url, "svc")
    assert client.get("/users", headers={"X-API-Key": key}).json()["detail"] == "inactive"


def test_an_unreadable_store_is_503(tmp_path: Any) -> None:
    client = TestClient(_app("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    assert client.get("/users", headers={"X-API-Key": key}).status_code == 503


def test_docs_show_the_security_scheme(sqlite_url: str) -> None:
    schema = TestClient(_app(sqlite_url)).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["keyconsole"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "keyconsole key",
        "description": "A keyconsole API key, as `Authorization: Bearer kc_…` (or in `X-API-Key`).",
    }
    assert schema["paths"]["/users"]["get"]["security"] == [{"keyconsole": ["users:read"]}]


def test_the_full_thread_pool_at_once(ks: KeyStore, store_url: str) -> None:
    """FastAPI runs sync endpoints in a pool of 40 threads: all of them busy at once."""
    key = ks.keys.create("svc", ["users:read"]).key
    with TestClient(_app(store_url)) as client:
        answers, _ = at_once(40, lambda: client.get("/users", headers={"X-API-Key": key}).status_code)
    assert answers == [200] * 40


def test_the_event_loop_serves_others_while_argon2_runs(ks: KeyStore, store_url: str) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    app = _app(store_url)

    async def both() -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def timed(coro: Any) -> float:
                started = time.perf_counter()
                answer = await coro
                assert answer.status_code == 200
                return time.perf_counter() - started

            # A first sight of the key runs argon2 (tens of ms); the ping must not wait for it.
            cold = asyncio.create_task(timed(client.get("/users", headers={"X-API-Key": key})))
            await asyncio.sleep(0.002)
            ping = await timed(client.get("/ping"))
            return await cold, ping

    cold, ping = asyncio.run(both())
    assert ping < cold / 2, (cold, ping)


def test_two_different_keys_in_one_request_are_refused_as_ambiguous(ks: KeyStore, store_url: str) -> None:
    """Issue 23.10: a gateway in front may pick the other one."""
    first, second = (ks.keys.create(name, ["users:read"]).key for name in ("a", "b"))
    client = TestClient(_app(store_url))
    for headers in (
        [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")],
        [("Authorization", f"Bearer {first}"), ("X-API-Key", second)],
        [("X-API-Key", first), ("X-API-Key", second)],
    ):
        refused = client.get("/users", headers=headers)
        assert (refused.status_code, refused.json()["detail"]) == (401, "ambiguous_key")
    same = client.get("/users", headers=[("Authorization", f"Bearer {first}"), ("X-API-Key", first)])
    assert same.status_code == 200

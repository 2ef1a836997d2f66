"""The Starlette guard: AuthenticationMiddleware with KeyconsoleBackend, @requires unchanged."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from keyconsole import KeyStore, tokens
from keyconsole.integrations.starlette import KeyconsoleBackend, on_key_error
from keyconsole.service.hash_cache import FAILURE_BUDGET
from tests.guard_keys import REFUSED_401, deactivate_with_the_cli, keys_for_every_verdict


def _app(store: Any) -> Starlette:
    @requires("users:read")
    async def users(request: Request) -> JSONResponse:
        return JSONResponse({"caller": request.user.key_id, "scopes": request.auth.scopes})

    @requires(["billing:read", "users:write"])
    async def billing(request: Request) -> JSONResponse:
        return JSONResponse({"caller": request.user.key_id})

    return Starlette(
        routes=[Route("/users", users), Route("/billing", billing)],
        middleware=[Middleware(AuthenticationMiddleware, backend=KeyconsoleBackend(store), on_error=on_key_error)],
    )


def test_every_answer(ks: KeyStore, store_url: str) -> None:
    keys = keys_for_every_verdict(ks)
    client = TestClient(_app(store_url))
    ok = client.get("/users", headers={"Authorization": f"Bearer {keys['ok']}"})
    assert ok.status_code == 200
    assert ok.json() == {"caller": keys["ok"][:15], "scopes": ["billing:read", "users:read"]}
    for reason in REFUSED_401:
        refused = client.get("/users", headers={"X-API-Key": keys[reason]})
        assert (refused.status_code, refused.text) == (401, reason)
        assert refused.headers["www-authenticate"].startswith("Bearer")
    # Without a key the request is unauthenticated: @requires answers, 403 by default.
    assert client.get("/users").status_code == 403
    assert client.get("/billing", headers={"X-API-Key": keys["ok"]}).status_code == 403


def test_throttled_deactivated_and_unreadable(ks: KeyStore, store_url: str) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    client = TestClient(_app(ks))
    assert client.get("/users", headers={"X-API-Key": key}).status_code == 200
    for _ in range(FAILURE_BUDGET):
        client.get("/users", headers={"X-API-Key": tokens.assemble(key[:15], tokens.new_secret())})
    throttled = client.get("/users", headers={"X-API-Key": tokens.assemble(key[:15], tokens.new_secret())})
    assert (throttled.status_code, throttled.text) == (429, "throttled")
    assert 1 <= int(throttled.headers["retry-after"]) <= 10
    deactivate_with_the_cli(store_url, "svc")
    assert client.get("/users", headers={"X-API-Key": key}).text == "inactive"
    down = TestClient(_app("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert down.get("/users", headers={"X-API-Key": key}).status_code == 503


def test_two_different_keys_in_one_request_are_refused_as_ambiguous(ks: KeyStore, store_url: str) -> None:
    first, second = (ks.keys.create(name, ["users:read"]).key for name in ("a", "b"))
    client = TestClient(_app(store_url))
    refused = client.get("/users", headers=[("Authorization", f"Bearer {first}"), ("X-API-Key", second)])
    assert (refused.status_code, refused.text) == (401, "ambiguous_key")
    twice = client.get("/users", headers=[("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")])
    assert (twice.status_code, twice.text) == (401, "ambiguous_key")

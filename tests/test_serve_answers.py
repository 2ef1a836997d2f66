"""`keyconsole serve` answers every verdict as its contract says: POST /v1/verify as JSON,
forward auth with the status codes and headers gateways act on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keyconsole import KeyStore, tokens
from keyconsole.service.hash_cache import FAILURE_BUDGET
from tests.feed_bound import settled
from tests.guard_keys import keys_for_every_verdict
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def served(ks: KeyStore, store_url: str) -> Iterator[ServeProcess]:
    server = ServeProcess(store_url)
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture
def keys(ks: KeyStore) -> dict[str, str]:
    return keys_for_every_verdict(ks)


def test_verify_answers_every_verdict_with_200_and_json(ks: KeyStore, served: ServeProcess, keys: dict[str, str]) -> None:
    ok_id = tokens.parse(keys["ok"]).public_id  # type: ignore[union-attr]
    answers = {
        reason: served.client.post("/v1/verify", json={"key": key, "scopes": ["users:read"]})
        for reason, key in keys.items()
    }
    for reason, answer in answers.items():
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["reason"] == reason
        assert answer.json()["valid"] is (reason == "ok")
    assert answers["ok"].json() == {
        "valid": True, "reason": "ok", "key_id": ok_id, "scopes": ["billing:read", "users:read"],
    }
    # Nothing about a key is told before its secret checked out.
    for reason in ("malformed", "unknown", "invalid"):
        assert answers[reason].json()["key_id"] is None and answers[reason].json()["scopes"] == []
    assert answers["inactive"].json()["key_id"] is not None

    missing = served.client.post("/v1/verify", json={"key": keys["ok"], "scopes": ["users:write"]})
    assert missing.json() == {
        "valid": False, "reason": "missing_scope", "key_id": ok_id, "scopes": ["billing:read", "users:read"],
    }
    assert served.client.post("/v1/verify", json={"key": keys["ok"]}).json()["valid"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"\xff\xfe{}", "body"),
        (b"[1, 2]", "body"),
        (b"{}", "key"),
        (b'{"key": 5}', "key"),
        (b'{"key": "k", "scopes": "users:read"}', "scopes"),
        (b'{"key": "k", "scopes": [1]}', "scopes"),
        (b"[" * 4000 + b"]" * 4000, "body"),
    ],
    ids=["text", "not-utf8", "array", "no-key", "key-int", "scopes-str", "scopes-int", "deep"],
)
def test_a_body_that_is_not_the_request_is_a_400_problem_naming_the_field(
    served: ServeProcess, body: bytes, field: str
) -> None:
    answer = served.client.post("/v1/verify", content=body)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 400 and problem["field"] == field and problem["title"] == "Bad Request"


def test_a_body_over_8_kib_is_413_even_without_a_length(served: ServeProcess, keys: dict[str, str]) -> None:
    big = b'{"key": "' + keys["ok"].encode() + b'", "pad": "' + b"x" * 9000 + b'"}'
    assert served.client.post("/v1/verify", content=big).status_code == 413

    def chunks() -> Iterator[bytes]:
        yield big[:4000]
        yield big[4000:]

    answer = served.client.post("/v1/verify", content=chunks())  # chunked: no Content-Length
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_forward_auth_passes_a_valid_key_with_its_id_and_scopes(served: ServeProcess, keys: dict[str, str]) -> None:
    ok_id = tokens.parse(keys["ok"]).public_id  # type: ignore[union-attr]
    client = served.client
    by_bearer = client.get("/v1/forward-auth", params={"scope": "users:read"},
                           headers={"Authorization": f"Bearer {keys['ok']}"})
    assert by_bearer.status_code == 200
    assert by_bearer.headers["x-keyconsole-key-id"] == ok_id
    assert by_bearer.headers["x-keyconsole-scopes"] == "billing:read users:read"
    for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        answer = client.request(method, "/v1/forward-auth/orders/17", headers={"X-API-Key": keys["ok"]},
                                params=[("scope", "users:read"), ("scope", "billing:read")])
        assert answer.status_code == 200, method


def test_forward_auth_refuses_with_the_status_gateways_act_on(
    ks: KeyStore, served: ServeProcess, keys: dict[str, str]
) -> None:
    client = served.client
    for reason in ("malformed", "unknown", "invalid", "inactive", "expired"):
        answer = client.get("/v1/forward-auth", headers={"X-API-Key": keys[reason]})
        assert answer.status_code == 401, reason
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.text == reason
        assert answer.headers["content-type"].startswith("text/plain")
        assert "x-keyconsole-key-id" not in answer.headers
    no_key = client.get("/v1/forward-auth", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert (no_key.status_code, no_key.text) == (401, "missing_key")
    assert no_key.headers["www-authenticate"].startswith("Bearer")
    scope = client.get("/v1/forward-auth?scope=users:write", headers={"X-API-Key": keys["ok"]})
    assert (scope.status_code, scope.text) == (403, "missing_scope")
    assert 'error="insufficient_scope"' in scope.headers["www-authenticate"]
    by_header = client.get("/v1/forward-auth/api/users", headers={"X-API-Key": keys["ok"],
                                                                  "X-Keyconsole-Scope": "users:read users:write"})
    assert by_header.status_code == 403


def test_a_flood_of_wrong_secrets_is_throttled_with_a_time_to_retry(served: ServeProcess, keys: dict[str, str]) -> None:
    public_id = tokens.parse(keys["ok"]).public_id  # type: ignore[union-attr]
    assert served.client.get("/v1/forward-auth", headers={"X-API-Key": keys["ok"]}).status_code == 200
    statuses = []
    for _ in range(FAILURE_BUDGET + 3):
        wrong = tokens.assemble(public_id, tokens.new_secret())
        statuses.append(served.client.get("/v1/forward-auth", headers={"X-API-Key": wrong}))
    assert [a.status_code for a in statuses[:FAILURE_BUDGET]] == [401] * FAILURE_BUDGET
    throttled = statuses[-1]
    assert (throttled.status_code, throttled.text) == (429, "throttled")
    assert 1 <= int(throttled.headers["retry-after"]) <= 10
    verdict = served.client.post("/v1/verify", json={"key": tokens.assemble(public_id, tokens.new_secret())})
    assert verdict.status_code == 200 and verdict.json()["reason"] == "throttled"
    assert 1 <= int(verdict.headers["retry-after"]) <= 10
    # The key's real holder was judged before the flood and is not locked out by it.
    assert served.client.get("/v1/forward-auth", headers={"X-API-Key": keys["ok"]}).status_code == 200


def test_a_deactivation_counts_on_the_very_next_request(ks: KeyStore, served: ServeProcess, keys: dict[str, str]) -> None:
    """The very next request on SQLite; on PostgreSQL serve is another process, reached within the feed's bound."""
    headers = {"X-API-Key": keys["ok"]}
    assert served.client.get("/v1/forward-auth", headers=headers).status_code == 200
    ks.keys.set_active("svc", False)
    settled(ks)
    assert served.client.get("/v1/forward-auth", headers=headers).text == "inactive"
    ks.keys.set_active("svc", True)
    ks.keys.edit("svc", remove_scopes=["billing:read"])
    settled(ks)
    assert served.client.get("/v1/forward-auth?scope=billing:read", headers=headers).status_code == 403


def test_probes_and_metrics(served: ServeProcess, keys: dict[str, str]) -> None:
    assert served.client.get("/healthz").text == "ok"
    assert served.client.get("/readyz").status_code == 200
    served.client.get("/v1/forward-auth", headers={"X-API-Key": keys["ok"]})
    served.client.get("/v1/forward-auth", headers={"X-API-Key": keys["unknown"]})
    served.client.post("/v1/verify", json={"key": keys["ok"]})
    metrics = served.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    assert 'keyconsole_verifications_total{endpoint="forward_auth",reason="ok"} 1.0' in lines
    assert 'keyconsole_verifications_total{endpoint="forward_auth",reason="unknown"} 1.0' in lines
    assert 'keyconsole_verifications_total{endpoint="verify",reason="ok"} 1.0' in lines
    assert any(line.startswith('keyconsole_verify_seconds_bucket{endpoint="verify"') for line in lines)
    assert "keyconsole_store_errors_total 0.0" in lines


def test_the_route_table_answers_404_and_405_around_the_hot_routes(served: ServeProcess, keys: dict[str, str]) -> None:
    """Issue 25.6: the hot routes skip Starlette's routing but come from its route table."""
    client = served.client
    assert client.get("/nowhere").status_code == 404
    assert client.get("/v1/verifyx").status_code == 404
    assert client.get("/v1/forward-authx", headers={"X-API-Key": keys["ok"]}).status_code == 404
    wrong_method = client.get("/v1/verify")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert client.put("/healthz").status_code == 405
    assert client.get("/v1/forward-auth/any/path/below", headers={"X-API-Key": keys["ok"]}).status_code == 200
    assert client.delete("/v1/forward-auth", headers={"X-API-Key": keys["ok"]}).status_code == 200


def test_middleware_added_to_the_app_is_refused_rather_than_skipped_by_the_hot_routes() -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    from keyconsole.serve.app import HotPaths

    with pytest.raises(RuntimeError, match="middleware"):
        HotPaths(Starlette(middleware=[Middleware(GZipMiddleware)]))

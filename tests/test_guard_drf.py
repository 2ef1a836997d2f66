"""The Django REST Framework guard: KeyconsoleAuthentication and HasKeyScopes, driven by
DRF's APIClient."""

from __future__ import annotations

from collections.abc import Iterator

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests only",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DATABASES={},
        ROOT_URLCONF=__name__,
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
    )
    django.setup()

from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from keyconsole import KeyStore, tokens  # noqa: E402
from keyconsole.integrations.drf import HasKeyScopes, KeyconsoleAuthentication  # noqa: E402
from keyconsole.service.hash_cache import FAILURE_BUDGET  # noqa: E402
from tests.at_once import at_once
from tests.guard_keys import REFUSED_401, deactivate_with_the_cli, keys_for_every_verdict  # noqa: E402


class UsersView(APIView):
    authentication_classes = [KeyconsoleAuthentication]
    permission_classes = [HasKeyScopes]
    required_scopes = ["users:read"]

    def get(self, request: Request) -> Response:
        return Response({"caller": request.user.key_id, "scopes": list(request.auth.scopes)})


class BillingView(UsersView):
    required_scopes = ["billing:read", "users:write"]


urlpatterns = [path("users", UsersView.as_view()), path("billing", BillingView.as_view())]


@pytest.fixture
def client(store_url: str) -> Iterator[APIClient]:
    with override_settings(KEYCONSOLE_DB=store_url):
        yield APIClient()


def test_every_answer(ks: KeyStore, client: APIClient) -> None:
    keys = keys_for_every_verdict(ks)
    ok = client.get("/users", HTTP_AUTHORIZATION=f"Bearer {keys['ok']}")
    assert ok.status_code == 200
    assert ok.json() == {"caller": keys["ok"][:15], "scopes": ["billing:read", "users:read"]}
    assert client.get("/users", HTTP_X_API_KEY=keys["ok"]).status_code == 200
    for reason in REFUSED_401:
        refused = client.get("/users", HTTP_X_API_KEY=keys[reason])
        assert (refused.status_code, refused.json()) == (401, {"detail": reason})
        assert refused["WWW-Authenticate"].startswith("Bearer")
    no_key = client.get("/users")
    assert no_key.status_code == 401 and no_key["WWW-Authenticate"].startswith("Bearer")
    scope = client.get("/billing", HTTP_X_API_KEY=keys["ok"])
    assert (scope.status_code, scope.json()) == (403, {"detail": "missing_scope"})


def test_throttled_and_deactivated(ks: KeyStore, store_url: str, client: APIClient) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    assert client.get("/users", HTTP_X_API_KEY=key).status_code == 200
    for _ in range(FAILURE_BUDGET):
        client.get("/users", HTTP_X_API_KEY=tokens.assemble(key[:15], tokens.new_secret()))
    throttled = client.get("/users", HTTP_X_API_KEY=tokens.assemble(key[:15], tokens.new_secret()))
    assert throttled.status_code == 429 and 1 <= int(throttled["Retry-After"]) <= 10
    deactivate_with_the_cli(store_url, "svc")
    assert client.get("/users", HTTP_X_API_KEY=key).json() == {"detail": "inactive"}


def test_many_request_threads_at_once(ks: KeyStore, client: APIClient) -> None:
    """Django under gunicorn --threads or an ASGI server's sync pool: 40 at once."""
    key = ks.keys.create("svc", ["users:read"]).key
    answers, _ = at_once(40, lambda: APIClient().get("/users", HTTP_X_API_KEY=key).status_code)
    assert answers == [200] * 40


def test_an_unreadable_store_is_503() -> None:
    with override_settings(KEYCONSOLE_DB="postgresql+psycopg://nobody@127.0.0.1:1/none"):
        answer = APIClient().get("/users", HTTP_X_API_KEY=tokens.assemble(tokens.new_public_id(), tokens.new_secret()))
    assert answer.status_code == 503


def test_two_different_keys_in_one_request_are_refused_as_ambiguous(ks: KeyStore, client: APIClient) -> None:
    first, second = (ks.keys.create(name, ["users:read"]).key for name in ("a", "b"))
    both = client.get("/users", HTTP_AUTHORIZATION=f"Bearer {first}", HTTP_X_API_KEY=second)
    assert (both.status_code, both.json()) == (401, {"detail": "ambiguous_key"})
    # A WSGI server joins two Authorization headers with a comma.
    joined = client.get("/users", HTTP_AUTHORIZATION=f"Bearer {first}, Bearer {second}")
    assert (joined.status_code, joined.json()) == (401, {"detail": "ambiguous_key"})
    assert client.get("/users", HTTP_AUTHORIZATION=f"Bearer {first}", HTTP_X_API_KEY=first).status_code == 200

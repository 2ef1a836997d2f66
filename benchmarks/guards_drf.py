"""Runs inside benchmarks/.guards-venv (made by guards.py): three DRF views that differ only
in their permission class, through Django's test client, same Django, SQLite stores.

Usage: python guards_drf.py FOLDER KEYS REQUESTS ROUNDS; prints one JSON object: each view's
seconds per request, one figure per round.
"""

import json
import sys
import time
from pathlib import Path

import django
from django.conf import settings

folder, keys, requests, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_api_key"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "django.db")}},
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    KEYCONSOLE_DB=f"sqlite:///{folder / 'keyconsole.db'}",
    REST_FRAMEWORK={"UNAUTHENTICATED_USER": None, "DEFAULT_AUTHENTICATION_CLASSES": []},
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.permissions import AllowAny  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from rest_framework_api_key.crypto import KeyGenerator  # noqa: E402
from rest_framework_api_key.models import APIKey  # noqa: E402
from rest_framework_api_key.permissions import HasAPIKey  # noqa: E402

from keyconsole import KeyStore  # noqa: E402
from keyconsole.integrations.drf import HasKeyScopes, KeyconsoleAuthentication  # noqa: E402


class Unguarded(APIView):
    permission_classes = [AllowAny]

    def get(self, request):  # noqa: ANN001, ANN201
        return Response({"users": []})


class WithHasAPIKey(Unguarded):
    permission_classes = [HasAPIKey]


class WithHasKeyScopes(Unguarded):
    authentication_classes = [KeyconsoleAuthentication]
    permission_classes = [HasKeyScopes]
    required_scopes = ["bench:read"]


urlpatterns = [path("open", Unguarded.as_view()), path("api-key", WithHasAPIKey.as_view()),
               path("keyconsole", WithHasKeyScopes.as_view())]

call_command("migrate", verbosity=0)
generator = KeyGenerator()
batch = []
for n in range(keys):
    _, prefix, hashed = generator.generate()
    batch.append(APIKey(name=f"key {n}", prefix=prefix, hashed_key=hashed, id=f"{prefix}.{hashed}"))
APIKey.objects.bulk_create(batch, batch_size=5000)
_, drf_key = APIKey.objects.create_key(name="the real one")
with KeyStore(settings.KEYCONSOLE_DB, actor="benchmark") as ks:
    ks.seed_demo(keys)
    ks.scopes.add("bench:read")
    our_key = ks.keys.create("the real one", ["bench:read"]).key

client = APIClient()
views = {
    "unguarded": ("/open", {}),
    "HasAPIKey (djangorestframework-api-key)": ("/api-key", {"HTTP_AUTHORIZATION": f"Api-Key {drf_key}"}),
    "HasKeyScopes (keyconsole)": ("/keyconsole", {"HTTP_AUTHORIZATION": f"Bearer {our_key}"}),
}
for url, headers in views.values():
    assert client.get(url, **headers).status_code == 200
    assert url == "/open" or client.get(url).status_code in (401, 403)

per_request: dict[str, list[float]] = {label: [] for label in views}
labels = list(views)
for round_number in range(rounds):
    # In turns, in short blocks (this machine's speed drifts by half over minutes), and each
    # view first in its turn, so that no view always runs in the wake of the same other one.
    shift = round_number % len(labels)
    for label in labels[shift:] + labels[:shift]:
        url, headers = views[label]
        started = time.perf_counter()
        for _ in range(requests):
            client.get(url, **headers)
        per_request[label].append((time.perf_counter() - started) / requests)
print(json.dumps(per_request))

"""Runs inside its own venv (made by verify.py): djangorestframework-api-key's is_valid.

Prints one JSON object: calls per second of APIKey.objects.is_valid on a SQLite store
holding KEYS keys. Usage: python drf_is_valid.py DB_PATH KEYS SECONDS
"""

import json
import sys
import time

import django
from django.conf import settings

db_path, keys, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_api_key"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
    USE_TZ=True,
)
django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework_api_key.crypto import KeyGenerator  # noqa: E402
from rest_framework_api_key.models import APIKey  # noqa: E402

call_command("migrate", verbosity=0)
if APIKey.objects.count() < keys:
    generator = KeyGenerator()
    batch = []
    for n in range(keys - APIKey.objects.count()):
        _, prefix, hashed = generator.generate()
        batch.append(APIKey(name=f"key {n}", prefix=prefix, hashed_key=hashed, id=f"{prefix}.{hashed}"))
        if len(batch) == 5000:
            APIKey.objects.bulk_create(batch)
            batch = []
    APIKey.objects.bulk_create(batch)
_, key = APIKey.objects.create_key(name="the real one")
assert APIKey.objects.is_valid(key)
calls, started = 0, time.perf_counter()
while time.perf_counter() - started < seconds:
    APIKey.objects.is_valid(key)
    calls += 1
print(json.dumps({"calls_per_s": calls / (time.perf_counter() - started), "keys": APIKey.objects.count()}))

"""Settings of the example: only what DRF and the keyconsole guard need."""

import os

SECRET_KEY = "an example; set your own"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "api.urls"
DATABASES: dict[str, dict[str, str]] = {}  # the keys live in keyconsole's store, not here
USE_TZ = True

# The keyconsole store (any URL `keyconsole --db` takes); here from the environment.
KEYCONSOLE_DB = os.environ.get("KEYCONSOLE_DB") or "sqlite:///" + os.path.expanduser(
    "~/.local/share/keyconsole/keys.db"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["keyconsole.integrations.drf.KeyconsoleAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["keyconsole.integrations.drf.HasKeyScopes"],
    "UNAUTHENTICATED_USER": None,
}

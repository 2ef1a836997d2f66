"""Django REST Framework: an authentication class and a permission class.

    # settings.py
    KEYCONSOLE_DB = "sqlite:////var/lib/keyconsole/keys.db"

    class UsersView(APIView):
        authentication_classes = [KeyconsoleAuthentication]
        permission_classes = [HasKeyScopes]
        required_scopes = ["users:read"]

``request.auth`` is the VerifyResult, ``request.user`` a KeyUser standing for the key. A
request without a valid key gets 401 with ``WWW-Authenticate: Bearer`` (not DRF's default
403), a key without a required scope 403, a throttled one 429 with ``Retry-After``, and an
unreadable store 503.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier
from keyconsole.http.verdicts import REALM, STORE_UNAVAILABLE, presented_key_in_meta
from keyconsole.service.key_state import Reason
from keyconsole.service.verify import Verifier, VerifyResult

__all__ = ["HasKeyScopes", "KeyUser", "KeyconsoleAuthentication"]

SETTING = "KEYCONSOLE_DB"


class StoreUnreadable(exceptions.APIException):
    status_code = STORE_UNAVAILABLE
    default_detail = "the key store cannot be read right now"
    default_code = "store_unavailable"


class KeyUser:
    """The caller, as the key it presented (what DRF and Django ask of request.user)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, result: VerifyResult) -> None:
        self.key_id = result.key_id or ""
        self.scopes = result.scopes

    def __str__(self) -> str:
        return self.key_id


class KeyconsoleAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[KeyUser, VerifyResult] | None:
        # META, not request.headers: Django builds that mapping from every META entry on
        # first use, which costs several times the verification itself. And from the
        # HttpRequest itself: DRF's Request reaches it only after a failed attribute lookup.
        presented = presented_key_in_meta(request._request.META)
        if presented is None:
            return None
        try:
            result = (_settings_verifier.current or _settings_verifier.open()).verify(presented)
        except StoreUnavailable:
            raise StoreUnreadable() from None
        if result.reason == Reason.THROTTLED:
            raise exceptions.Throttled(wait=result.retry_after)
        if not result.ok:
            raise exceptions.AuthenticationFailed(result.reason)
        return KeyUser(result), result

    def authenticate_header(self, request: Request) -> str:
        # Its presence is what makes DRF answer 401 rather than 403 to a request without a key.
        return f'Bearer realm="{REALM}"'


class HasKeyScopes(BasePermission):
    """Allows a request whose key holds every scope in the view's ``required_scopes``."""

    message = Reason.MISSING_SCOPE.value

    def has_permission(self, request: Request, view: Any) -> bool:
        result = request.auth
        if not isinstance(result, VerifyResult):
            return False
        held = result.scopes
        return all(scope in held for scope in getattr(view, "required_scopes", ()))


class _SettingsVerifier:
    """The verifier of the store Django's settings name, shared by every request thread.

    The settings are read when it is first wanted and again only after Django says
    ``KEYCONSOLE_DB`` changed (override_settings): a settings lookup on every request cost
    a tenth of the guard's time. One verifier per store URL, kept across changes.
    """

    def __init__(self) -> None:
        self.current: Verifier | None = None
        self._by_url: dict[str, StoreVerifier] = {}
        self._lock = threading.Lock()
        # Counts changes, so that a request thread that read the settings just before one
        # (a live test server under override_settings) does not keep the old store.
        self._changes = 0
        setting_changed.connect(self._setting_changed, weak=False)

    def open(self) -> Verifier:
        changes = self._changes
        url = getattr(settings, SETTING, None)
        if not url:
            raise ImproperlyConfigured(f"set {SETTING} in Django's settings to the keyconsole store's URL")
        with self._lock:
            verifier = self._by_url.setdefault(url, StoreVerifier(url)).sync
            if changes == self._changes:
                self.current = verifier
        return verifier

    def _setting_changed(self, *, setting: str, **_: Any) -> None:
        if setting == SETTING:
            with self._lock:
                self._changes += 1
                self.current = None


_settings_verifier = _SettingsVerifier()

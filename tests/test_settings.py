"""keyconsole's environment variables: one rule for a bad value, one line naming it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keyconsole import settings
from keyconsole.settings import InvalidSetting


def test_defaults_when_unset_or_blank() -> None:
    for environ in ({}, {name: "  " for name in (settings.STORE_URL, settings.EXPIRY_WARN_DAYS, settings.CLIPBOARD_CLEAR_S, settings.DEBUG)}):
        assert settings.store_url(environ) is None
        assert settings.expiry_warning(environ) == timedelta(days=14)
        assert settings.clipboard_clear_s(environ) == 30.0
        assert settings.debug(environ) is False


@pytest.mark.parametrize(
    ("read", "name", "bad"),
    [
        (settings.expiry_warning, settings.EXPIRY_WARN_DAYS, "two weeks"),
        (settings.expiry_warning, settings.EXPIRY_WARN_DAYS, "-1"),
        (settings.expiry_warning, settings.EXPIRY_WARN_DAYS, "99999"),
        (settings.clipboard_clear_s, settings.CLIPBOARD_CLEAR_S, "soon"),
        (settings.clipboard_clear_s, settings.CLIPBOARD_CLEAR_S, "-5"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_what_it_takes(read, name: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidSetting) as refused:
        read({name: bad})
    assert str(refused.value).startswith(f"{name} must be ") and repr(bad) in str(refused.value)
    assert refused.value.exit_code == 2


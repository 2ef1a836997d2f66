"""Hostile input, fuzzed: names and descriptions are refused with a clear error or kept and
shown exactly as given; presented keys of any shape never raise and never pass mutated."""

from __future__ import annotations

import itertools
import string
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyconsole import KeyStore, tokens
from keyconsole.errors import Conflict, InvalidInput
from keyconsole.service.display import printable
from keyconsole.tui.app import make_app
from tests.tui_helpers import table_lines

HOSTILE = [
    "\x1b[31mred\x1b[0m",  # ANSI colour
    "\x1b]52;c;cGF3bmVk\x07",  # OSC 52: would write the admin's clipboard
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "admin\u202egnp.exe",  # right-to-left override
    "pay\u200broll",  # zero-width space
    "\u2066isolated\u2069",  # bidi isolate
    "line\nbreak",
    "tab\there",
    "\x9b31m C1 CSI",
    "[bold red]markup[/bold red]",
    "[@click=app.quit]click me[/]",
    "[link=https://evil.example]x[/link]",
    ":warning: emoji code",
    "a" * 101,
    "kc_AAAAAAAAAAAA",  # looks like a key id
    "   ",
    "",
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
names = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(), max_size=120),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(st.characters(), max_size=20)),
)
# Not `random`: hypothesis seeds it alike for every example.
_scope_numbers = itertools.count()
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _is_safe(text: str) -> bool:
    return all(unicodedata.category(ch) not in _UNSAFE for ch in text)


@FUZZ
@given(name=names)
def test_a_name_is_refused_or_kept_exactly(ks: KeyStore, name: str) -> None:
    before = ks.keys.count()
    try:
        info = ks.keys.create(name, ["users:read"]).info
    except (InvalidInput, Conflict) as error:
        assert str(error) and _is_safe(str(error))
        assert ks.keys.count() == before
        return
    assert info.name == name.strip()
    assert ks.keys.get(info.public_id).name == name.strip()
    # Accepted names hold nothing a terminal would act on; display leaves them as they are.
    assert _is_safe(info.name) and printable(info.name) == info.name


@FUZZ
@given(description=st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(), max_size=600)))
def test_a_description_is_refused_or_kept_exactly(ks: KeyStore, description: str) -> None:
    name = f"fuzz.{next(_scope_numbers)}"
    try:
        ks.scopes.add(name, description)
    except InvalidInput:
        assert name not in ks.scopes.names()
        return
    stored = next(scope for scope in ks.scopes.list() if scope.name == name)
    assert stored.description == description.strip()
    assert _is_safe(stored.description)


async def test_the_console_and_the_cli_show_accepted_hostile_names_literally(ks: KeyStore, store_url: str) -> None:
    accepted = []
    for name in HOSTILE:
        try:
            accepted.append(ks.keys.create(name, ["users:read"]).info.name)
        except InvalidInput:
            pass
    assert "[@click=app.quit]click me[/]" in accepted and "[bold red]markup[/bold red]" in accepted

    app = make_app(ks)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        lines = table_lines(app)
    for name in accepted:
        assert any(line.startswith(name) for line in lines), name
    assert all(_is_safe(line) for line in lines)

    listed = subprocess.run([sys.executable, "-m", "keyconsole", "keys", "list", "--db", store_url],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert all(name in listed.stdout for name in accepted)
    assert "\x1b" not in listed.stdout and "\x9b" not in listed.stdout


@pytest.fixture
def real_key(ks: KeyStore) -> str:
    return ks.keys.create("svc", ["users:read"]).key


REASONS = {"malformed", "unknown", "invalid", "throttled"}


@FUZZ
@given(data=st.data())
def test_a_mutated_key_never_passes_and_verify_never_raises(ks: KeyStore, real_key: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(real_key) - 1))
    replacement = data.draw(st.characters().filter(lambda ch: ch != real_key[position]))
    mutated = real_key[:position] + replacement + real_key[position + 1 :]
    result = ks.verify(mutated)
    assert not result and result.reason in REASONS


@FUZZ
@given(presented=st.one_of(
    st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
    st.text(max_size=300),
    st.text(string.ascii_letters + string.digits + "_", min_size=60, max_size=70).map(lambda t: "kc_" + t),
    st.integers(1, 10**6).map(lambda n: "kc_" + "A" * n),
    st.none(), st.integers(), st.binary(max_size=70),
))
def test_any_presented_value_is_refused_without_raising(ks: KeyStore, real_key: str, presented: object) -> None:
    result = ks.verify(presented)
    assert not result and result.reason in REASONS


def test_truncated_and_extended_keys_are_refused(ks: KeyStore, real_key: str) -> None:
    for cut in range(len(real_key)):
        assert not ks.verify(real_key[:cut])
    for extra in ("A", " ", "\n", "\x00", real_key):
        assert not ks.verify(real_key + extra)
    assert tokens.parse(real_key) is not None and ks.verify(real_key)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["keys", "show", b"\xff"], "KEY"),
        (["keys", "list", "--search", b"a\xff"], "--search"),
        (["keys", "list", "--owner", b"\xff"], "--owner"),
        (["keys", "edit", "svc", "--owner", b"\xff"], "--owner"),
        (["keys", "edit", "svc", "--note", b"x\xfe"], "--note"),
        (["keys", "deactivate", "svc", b"b\xff"], "KEY"),
        (["audit", "--key", b"\xff"], "--key"),
        (["scopes", "add", b"\xff"], "NAME"),
        (["scopes", "edit", "users:read", "--description", b"\xc3"], "--description"),
        (["keys", "create", "--name", "x", "--scope", b"\xff"], "--scope"),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused_in_one_line_naming_it(
    ks: KeyStore, store_url: str, args: list[str | bytes], named: str
) -> None:
    ks.keys.create("svc", ["users:read"])
    before = ks.audit.query(limit=1)
    done = subprocess.run(
        [sys.executable, "-m", "keyconsole", "--db", store_url, *args], capture_output=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    line = done.stderr.decode()
    assert line.count("\n") == 1 and line.startswith(f"keyconsole: {named} is not valid text (UTF-8): ")
    assert ks.audit.query(limit=1) == before, "nothing was changed"

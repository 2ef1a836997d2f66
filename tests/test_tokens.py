"""The key format: what a key looks like, and that a mangled one is refused on sight."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from keyconsole import tokens


def _new_key() -> str:
    return tokens.assemble(tokens.new_public_id(), tokens.new_secret())


def test_a_key_is_prefix_public_id_secret_and_checksum_in_a_safe_alphabet() -> None:
    key = _new_key()
    assert re.fullmatch(r"kc_[A-Za-z0-9]{12}_[A-Za-z0-9]{38}", key)
    assert len(key) == tokens.KEY_LENGTH
    parsed = tokens.parse(key)
    assert parsed is not None
    assert key.startswith(parsed.public_id + "_" + parsed.secret)


def test_the_secret_carries_at_least_128_bits() -> None:
    import math

    assert tokens.SECRET_CHARS * math.log2(len(tokens.ALPHABET)) >= 128
    assert len({tokens.new_secret() for _ in range(1000)}) == 1000


def test_the_repr_of_a_parsed_key_hides_its_secret() -> None:
    parsed = tokens.parse(_new_key())
    assert parsed is not None
    assert parsed.secret not in repr(parsed)


@given(st.data())
def test_changing_any_one_character_is_refused(data: st.DataObject) -> None:
    key = _new_key()
    position = data.draw(st.integers(3, len(key) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "_"))
    mutated = key[:position] + replacement + key[position + 1 :]
    if mutated != key:
        assert tokens.parse(mutated) is None


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), st.integers(), st.none()))
def test_parse_never_raises_on_anything_a_client_sends(garbage: object) -> None:
    assert tokens.parse(garbage) is None  # type: ignore[arg-type]


def test_truncated_and_extended_keys_are_refused() -> None:
    key = _new_key()
    assert tokens.parse(key[:-1]) is None
    assert tokens.parse(key + "A") is None
    assert tokens.parse(" " + key) is None

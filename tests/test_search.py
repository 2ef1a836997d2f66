"""The filter's answers, whichever plan the store takes (the name index for a rare text on
SQLite, a scan otherwise), equal a plain reading of the rule: part of a name, the start of
a key id (``kc_`` may be left out), part of a scope name, or the start of an owner."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyconsole import KeyStore
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.validation import fold_name

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def populated(ks: KeyStore) -> KeyStore:
    ks.seed_demo(400)
    for name in ("Straße Sync", "ＡＰＩ gateway", "100% off_promo", "back\\slash", "naïve-exporter"):
        ks.keys.create(name, ["users:read"])
    # Renames must reach the name index too.
    for old in ("Straße Sync", "100% off_promo"):
        ks.keys.edit(old, name=f"renamed {old}")
    ks.keys.edit("naïve-exporter", name="quartz relay")
    for name, owner in (("quartz relay", "Alice Ørsted"), ("ＡＰＩ gateway", "platform-team@example.com")):
        ks.keys.edit(name, owner=owner)
    return ks


def expected(ks: KeyStore, term: str) -> set[str]:
    folded = fold_name(term.strip())
    start = term.strip() if term.strip().startswith("kc_") else "kc_" + term.strip()
    return {
        key.public_id for key in ks.keys.list()
        if folded in fold_name(key.name) or key.public_id.startswith(start)
        or any(folded in scope for scope in key.scopes)
        or (key.owner is not None and fold_name(key.owner).startswith(folded))
    }


def terms(ks: KeyStore) -> st.SearchStrategy[str]:
    keys = ks.keys.list()
    names = [key.name for key in keys]
    ids = [key.public_id for key in keys]
    return st.one_of(
        st.sampled_from(names).flatmap(lambda n: st.tuples(st.integers(0, len(n)), st.integers(1, 12)).map(
            lambda ab: n[ab[0] : ab[0] + ab[1]])),
        st.sampled_from(ids).flatmap(lambda i: st.integers(4, 15).map(lambda k: i[:k])),
        st.sampled_from(ids).flatmap(lambda i: st.integers(4, 15).map(lambda k: i[3:k])),
        st.sampled_from(["%", "_", "\\", "o_p", "0%", "users", "admin", "SYNC", "strasse", "api", "zzq", "-1",
                         "alice", "ALICE ø", "platform-", "Platform-Team@"]),
        st.text(max_size=6),
    ).filter(lambda t: t.strip() != "")


def test_every_plan_gives_the_rule_s_answer(populated: KeyStore) -> None:
    @FUZZ
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        term = data.draw(terms(populated))
        found = {key.public_id for key in populated.keys.list(KeyQuery(search=term))}
        assert found == expected(populated, term), term
        assert populated.keys.count(KeyQuery(search=term)) == len(found)

    check()


def test_a_renamed_key_is_found_by_its_new_name_only(populated: KeyStore) -> None:
    assert populated.keys.list(KeyQuery(search="naïve")) == []
    assert [key.name for key in populated.keys.list(KeyQuery(search="quartz rel"))] == ["quartz relay"]
    assert [key.name for key in populated.keys.list(KeyQuery(search="STRASSE"))] == ["renamed Straße Sync"]


def test_a_text_that_crashed_sqlites_trigram_index_is_answered(sqlite_url: str) -> None:
    """SQLite 3.40's FTS5 killed the process on this LIKE pattern (found by the property
    above); the filter now scans for it. In a process of its own, since a crash is fatal."""
    with KeyStore(sqlite_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("api gateway", ["users:read"])
        ks.keys.create("😀%äú¡u proxy", ["users:read"])
    listed = subprocess.run(
        [sys.executable, "-m", "keyconsole", "keys", "list", "--json", "--search", "😀%äú¡u", "--db", sqlite_url],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert [key["name"] for key in json.loads(listed.stdout)] == ["😀%äú¡u proxy"]

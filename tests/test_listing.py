"""The keys table's one source of rows (console_model/listing.py), on a real store, without Textual."""

from __future__ import annotations

from dataclasses import replace

from keyconsole import KeyStore
from keyconsole.console_model.listing import PAGE, KeyListing
from keyconsole.service.key_query import KeyQuery


def test_a_short_first_page_is_its_own_count_and_a_full_one_is_counted_after(ks: KeyStore) -> None:
    ks.seed_demo(PAGE + 50)
    listing = KeyListing()
    first, counted = list(listing.load().windows(ks.keys))
    assert (first.total, first.exact) == (PAGE, False) and len(first.rows) == PAGE
    assert (counted.total, counted.exact) == (PAGE + 50, True)
    assert listing.take(first) and listing.take(counted)
    assert listing.window.total == PAGE + 50

    narrow = KeyQuery(search=ks.keys.list(limit=1)[0].name)
    (only,) = list(listing.load(narrow).windows(ks.keys))
    assert only.exact and only.total == ks.keys.count(narrow)


def test_a_window_of_an_earlier_load_is_dropped(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    listing = KeyListing()
    older = listing.load(KeyQuery(sort="id"))
    newer = listing.load(KeyQuery(sort="created"))
    (late,) = list(older.windows(ks.keys))
    (current,) = list(newer.windows(ks.keys))
    assert listing.take(current)
    assert not listing.take(late), "an answer to an older question arrived last"
    assert listing.window.query.sort == "created"


def test_pages_fill_the_window_and_a_jump_reads_only_around_where_it_lands(ks: KeyStore) -> None:
    ks.seed_demo(3 * PAGE)
    listing = KeyListing()
    for window in listing.load().windows(ks.keys):
        listing.take(window)
    total = listing.window.total
    assert listing.page_wanted(0, 20) is None, "the first page is held"

    end = listing.page_wanted(total - 30, total - 1)
    assert end is not None and end.stop == total and end.stop - end.start < PAGE
    assert listing.page_wanted(total - 20, total - 1) is None, "already being read"
    assert listing.take_page(end, end.read(ks.keys))
    assert listing.window.get(total - 1) == ks.keys.list(limit=1, offset=total - 1)[0]

    onward = listing.page_wanted(PAGE, PAGE + 20)
    assert onward is not None and onward.stop - onward.start == PAGE, "scrolling on reads a whole page"
    listing.page_ended(onward)
    assert listing.page_wanted(PAGE, PAGE + 20) is not None, "a failed read may be asked again"


def test_a_page_read_for_an_older_window_is_not_mixed_in(ks: KeyStore) -> None:
    ks.seed_demo(3 * PAGE)
    listing = KeyListing()
    for window in listing.load().windows(ks.keys):
        listing.take(window)
    read = listing.page_wanted(2 * PAGE, 2 * PAGE + 10)
    assert read is not None
    page = read.read(ks.keys)
    for window in listing.load(replace(listing.query, descending=True)).windows(ks.keys):
        listing.take(window)
    assert not listing.take_page(read, page)
    assert listing.window.get(2 * PAGE) is None


def test_a_reload_keeps_the_cursor_on_its_key_further_down(ks: KeyStore) -> None:
    ks.seed_demo(3 * PAGE)
    target = ks.keys.list(limit=1, offset=2 * PAGE)[0]
    listing = KeyListing()
    windows = list(listing.load(keep=target.public_id, around=2 * PAGE).windows(ks.keys))
    assert len(windows) == 1, "the old rows stay shown until the cursor's page is read"
    assert windows[0].kept_at == 2 * PAGE

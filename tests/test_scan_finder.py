"""Finding keys in bytes and in folders: boundaries, positions, and every kind of bad path."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyconsole import tokens
from keyconsole.scan.files import FileScan
from keyconsole.scan.finder import CHUNK_BYTES, find_keys


def new_key() -> str:
    return tokens.assemble(tokens.new_public_id(), tokens.new_secret())


def found_in(data: bytes, chunk: int = 1 << 20) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.key.public_id) for f in find_keys(io.BytesIO(data).read, chunk)]


def test_a_key_is_found_with_its_line_and_column_in_characters() -> None:
    key = new_key()
    data = f"first line\nsecond: «é» {key} tail\n".encode()
    assert found_in(data) == [(2, 13, key[:15])]


def test_a_key_split_across_two_reads_is_found() -> None:
    key = new_key()
    data = b"x" * 100 + b" " + key.encode() + b" "
    for chunk in range(1, 130):
        assert found_in(data, chunk) == [(1, 102, key[:15])], chunk


def test_glued_keys_mangled_keys_and_look_alikes_are_not_findings() -> None:
    key = new_key()
    mangled = key[:-1] + ("A" if key[-1] != "A" else "B")
    data = f"x{key}\n{key}y\n_{key}\n{mangled}\nkc_{'a' * 51}\n".encode()
    assert found_in(data) == []


def test_keys_in_binary_content_are_found() -> None:
    key = new_key()
    data = bytes(range(256)) * 3 + b"\0" + key.encode() + b"\0\xff\xfe"
    assert [public_id for _line, _column, public_id in found_in(data)] == [key[:15]]


_REFERENCE = re.compile(rb"(?<![A-Za-z0-9_])kc_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}(?![A-Za-z0-9_])")


def reference(data: bytes) -> list[tuple[int, int, str]]:
    """The same question answered on the whole buffer at once, the slow obvious way."""
    out = []
    for match in _REFERENCE.finditer(data):
        parsed = tokens.parse(match.group().decode())
        if parsed is not None:
            before = data[: match.start()]
            line_start = before.rfind(b"\n") + 1
            out.append((before.count(b"\n") + 1, len(before[line_start:].decode("utf-8")) + 1, parsed.public_id))
    return out


_pieces = st.one_of(
    st.builds(lambda: new_key().encode()),
    st.builds(lambda: b"x" + new_key().encode()),
    st.sampled_from([b"\n", "é€\n".encode(), b"kc_", b"kc_kc_", b"_", b" ", b"\r\n"]),
    st.binary(max_size=30).filter(lambda b: not b.startswith(b"\x80")).map(lambda b: b.decode("latin-1").encode()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=10), st.sampled_from([1, 2, 3, 7, 54, 55, 56, 64, 1 << 20]))
def test_chunked_reading_finds_exactly_what_a_whole_read_finds(pieces: list[bytes], chunk: int) -> None:
    data = b"".join(pieces)
    assert found_in(data, chunk) == reference(data)


# -- folders ------------------------------------------------------------------------------


def scan(*paths: Path | str) -> tuple[list[tuple[str, int, str]], FileScan]:
    files = FileScan()
    found = [(str(f.path), f.line, f.key.public_id) for f in files.scan([str(p) for p in paths])]
    return found, files


def test_folders_are_walked_in_name_order_following_links_and_a_loop_ends(tmp_path: Path) -> None:
    keys = [new_key() for _ in range(3)]
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text(f"{keys[0]}\n")
    (tmp_path / "b" / "deep.txt").write_text(f"\n\n{keys[1]}\n")
    (tmp_path / "c.bin").write_bytes(b"\0\1" + keys[2].encode())
    (tmp_path / "b" / "loop").symlink_to(tmp_path)  # a loop back to the top: walked once
    (tmp_path / "self").symlink_to(tmp_path / "self")  # a link to itself
    (tmp_path / "same.txt").symlink_to(tmp_path / "a.txt")
    found, files = scan(tmp_path)
    assert found == [
        (str(tmp_path / "a.txt"), 1, keys[0][:15]),
        (str(tmp_path / "b" / "deep.txt"), 3, keys[1][:15]),
        (str(tmp_path / "c.bin"), 1, keys[2][:15]),
        (str(tmp_path / "same.txt"), 1, keys[0][:15]),  # a link to a file: the key is there too
    ]
    assert [(s.path, s.reason) for s in files.skipped] == [(str(tmp_path / "self"), "symbolic link loop")]


def test_fifos_devices_and_broken_links_are_listed_never_opened(tmp_path: Path) -> None:
    key = new_key()
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would block with no writer
    (tmp_path / "zero").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    (tmp_path / "z.txt").write_text(key)
    found, files = scan(tmp_path)
    assert [public_id for _path, _line, public_id in found] == [key[:15]]
    assert sorted((Path(s.path).name, s.reason) for s in files.skipped) == [
        ("fifo", "not a regular file (a FIFO): not read"),
        ("gone", "broken symbolic link"),
        ("zero", "not a regular file (a device): not read"),
    ]


def test_a_file_deleted_during_the_scan_is_listed(tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    (tmp_path / "a.txt").write_text(first)
    (tmp_path / "b.txt").write_text(second)
    files = FileScan()
    findings = files.scan([str(tmp_path)])
    assert next(findings).key.public_id == first[:15]
    (tmp_path / "b.txt").unlink()  # the folder was listed before a.txt was read
    assert list(findings) == []
    assert [(Path(s.path).name, s.reason) for s in files.skipped] == [("b.txt", "vanished during the scan")]


def test_paths_that_are_not_utf8_are_scanned(tmp_path: Path) -> None:
    key = new_key()
    name = os.fsdecode(b"bad\xffname.txt")
    (tmp_path / name).write_text(key)
    files = FileScan()
    [finding] = files.scan([str(tmp_path)])
    assert finding.shown_path == f"{tmp_path}/bad\\xffname.txt"


@contextlib.contextmanager
def as_another_user() -> Iterator[None]:
    """Root reads every file whatever its mode: deny it by acting as nobody meanwhile."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_permission_denied_is_listed_and_the_rest_is_scanned() -> None:
    key = new_key()
    with tempfile.TemporaryDirectory() as folder:
        top = Path(folder)
        top.chmod(0o755)
        (top / "open.txt").write_text(key)
        (top / "open.txt").chmod(0o644)
        (top / "closed.txt").write_text(new_key())
        (top / "closed.txt").chmod(0)
        (top / "shut").mkdir(mode=0)
        with as_another_user():
            found, files = scan(top)
    assert [public_id for _path, _line, public_id in found] == [key[:15]]
    assert sorted((Path(s.path).name, s.reason) for s in files.skipped) == [
        ("closed.txt", "permission denied"), ("shut", "permission denied"),
    ]


@pytest.mark.parametrize("missing", ["nowhere", "nowhere/deeper"])
def test_a_missing_path_is_listed(tmp_path: Path, missing: str) -> None:
    found, files = scan(tmp_path / missing)
    assert found == [] and [s.reason for s in files.skipped] == ["no such file or directory"]


def test_many_files_go_to_worker_processes_and_come_back_in_walk_order(tmp_path: Path) -> None:
    planted = {}
    for number in range(1500):
        folder = tmp_path / f"d{number // 100:02d}"
        folder.mkdir(exist_ok=True)
        text = f"line\n{new_key()}\n" if number % 250 == 7 else "nothing here\n"
        (folder / f"f{number:04d}.txt").write_text(text)
        if number % 250 == 7:
            planted[str(folder / f"f{number:04d}.txt")] = text.split("\n")[1][:15]
    os.mkfifo(tmp_path / "d14" / "pipe")
    files = FileScan(workers=2)
    found = [(str(f.path), f.line, f.key.public_id) for f in files.scan([str(tmp_path)])]
    assert found == [(path, 2, public_id) for path, public_id in planted.items()]
    assert files.files == 1500
    assert [Path(s.path).name for s in files.skipped] == ["pipe"]


def test_a_file_bigger_than_a_read_is_streamed_and_a_key_on_the_boundary_found(tmp_path: Path) -> None:
    key = new_key()
    head = b"a\n" * ((CHUNK_BYTES - 20) // 2)
    (tmp_path / "big.log").write_bytes(head + key.encode() + b"\n" + b"z" * CHUNK_BYTES + b" " + key.encode())
    found, files = scan(tmp_path / "big.log")
    lines = (CHUNK_BYTES - 20) // 2
    assert found == [(str(tmp_path / "big.log"), lines + 1, key[:15]), (str(tmp_path / "big.log"), lines + 2, key[:15])]
    assert files.bytes_read == (tmp_path / "big.log").stat().st_size

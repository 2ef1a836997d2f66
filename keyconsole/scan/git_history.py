"""Scanning every blob a git repository holds, and finding where a blob was committed.

``git cat-file --batch-all-objects`` lists every object in the object store (all branches,
tags, stashes, and unreachable objects not yet pruned); the blobs among them stream through
one ``git cat-file --batch`` process, each read in bounded chunks like any file. Only for a
blob that holds a key does ``git log --all --raw`` look for the oldest commit whose tree
holds it, and the path there.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import IO

from keyconsole.errors import InvalidInput
from keyconsole.scan.finder import find_keys
from keyconsole.scan.findings import Finding

_GIT = ["git", "-c", "core.quotepath=off"]


def repository_of(path: str) -> str:
    """The top folder of the git repository ``path`` is in; InvalidInput when none."""
    try:
        done = subprocess.run(
            [*_GIT, "-C", path, "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise InvalidInput("--git needs git, and it is not installed") from None
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "not a git repository"
        raise InvalidInput(f"--git: {path}: {why.removeprefix('fatal: ')}")
    return done.stdout.rstrip("\n")


class BlobScan:
    """Scans every blob of a repository; ``progress(blobs, bytes)`` is called after each."""

    def __init__(self, repository: str, progress: Callable[[int, int], None] | None = None) -> None:
        self.repository = repository
        self.blobs = 0
        self.bytes_read = 0
        # Why some of the history may not have been scanned, or None.
        self.problem: str | None = None
        self._progress = progress

    def scan(self) -> Iterator[Finding]:
        """Every key in every blob; ``place_blobs`` fills in ``path`` and ``commit`` once the
        scan knows which blobs matter."""
        listing = subprocess.Popen(
            [*_GIT, "-C", self.repository, "cat-file", "--batch-all-objects", "--unordered",
             "--batch-check=%(objecttype) %(objectname)"],
            stdout=subprocess.PIPE,
        )
        contents = subprocess.Popen([*_GIT, "-C", self.repository, "cat-file", "--batch"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert listing.stdout is not None and contents.stdin is not None and contents.stdout is not None
        unreadable: list[str] = []
        feeder = threading.Thread(
            target=_feed_blob_names, args=(listing.stdout, contents.stdin, unreadable), daemon=True
        )
        feeder.start()
        finished = False
        try:
            yield from self._read_blobs(contents.stdout)
            finished = True
        finally:
            if listing.poll() is None:  # stopped early: the rest of the listing is not wanted
                listing.kill()
            feeder.join(timeout=5)
            contents.stdout.close()
            failures = [code for code in (contents.wait(), listing.wait()) if code]
            # git says why on stderr; the scan says what it means.
            if finished and failures:
                self.problem = f"git could not read every object (git cat-file exited with {failures[0]})"
            elif finished and unreadable:
                self.problem = f"{len(unreadable)} object(s) git could not read, e.g. {unreadable[0]}"

    def _read_blobs(self, stream: IO[bytes]) -> Iterator[Finding]:
        for header in stream:
            name, _kind, size_text = header.decode("ascii").split()
            remaining = int(size_text)
            self.bytes_read += remaining

            def read(size: int) -> bytes:
                nonlocal remaining
                data = stream.read(min(size, remaining)) if remaining else b""
                remaining -= len(data)
                return data

            for found in find_keys(read):
                yield Finding(None, found.line, found.column, found.key, blob=name, repository=self.repository)
            stream.read(1)  # the newline after each object
            self.blobs += 1
            if self._progress is not None:
                self._progress(self.blobs, self.bytes_read)


def _feed_blob_names(listing: IO[bytes], blob_names: IO[bytes], unreadable: list[str]) -> None:
    try:
        for line in listing:
            if line.startswith(b"blob "):
                blob_names.write(line[5:])
            elif line.endswith(b" missing\n"):  # listed, but git cannot read it (corrupt)
                unreadable.append(line.split()[0].decode("ascii", "replace"))
    except BrokenPipeError:
        pass
    finally:
        try:
            blob_names.close()
        except BrokenPipeError:
            pass


def place_blobs(repository: str, findings: list[Finding]) -> None:
    """Fill in each blob finding's oldest commit and path (None for an unreachable blob)."""
    wanted = {finding.blob for finding in findings if finding.blob is not None}
    if not wanted:
        return
    oldest: dict[str, tuple[int, str, str]] = {}
    for commit, when, blob, path in _commits_with_blobs(repository):
        if blob in wanted:
            known = oldest.get(blob)
            # git log lists newest first: at the same second, the later line is the older commit.
            if known is None or when <= known[0]:
                oldest[blob] = (when, commit, path)
    for finding in findings:
        if finding.blob in oldest:
            _when, finding.commit, finding.path = oldest[finding.blob]


def _commits_with_blobs(repository: str) -> Iterator[tuple[str, int, str, str]]:
    """(commit, commit time, blob, path) for every file every commit adds or changes;
    ``-m`` so that a blob first written by a merge counts too."""
    log = subprocess.Popen(
        [*_GIT, "-C", repository, "log", "--all", "-m", "--no-renames", "--raw", "--no-abbrev", "-z",
         "--format=%H %ct"],
        stdout=subprocess.PIPE,
    )
    assert log.stdout is not None
    commit, when = "", 0
    fields = _nul_separated(log.stdout)
    try:
        for field in fields:
            field = field.lstrip("\n")
            if field.startswith(":"):
                blob = field.split(" ")[3]
                yield commit, when, blob, next(fields)
            elif field:
                commit, when_text = field.split(" ")
                when = int(when_text)
    finally:
        log.stdout.close()
        log.wait()


def _nul_separated(stream: IO[bytes]) -> Iterator[str]:
    rest = b""
    while chunk := stream.read(1 << 16):
        *fields, rest = (rest + chunk).split(b"\0")
        for field in fields:
            yield field.decode("utf-8", "surrogateescape")
    if rest:
        yield rest.decode("utf-8", "surrogateescape")

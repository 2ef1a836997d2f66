"""Scanning paths (files, folders, stdin) for keys, on every core when there is much to read.

One process walks (walk.py) and hands the files on in batches; worker processes read them
(file_reader.py), so reading and searching run on every core while the walk goes on, as
ripgrep's threads do. Results come back in walk order. A small scan (a pre-commit hook's
few staged files) never pays for starting the workers.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from keyconsole.scan.file_reader import FileRead, read_file, read_stream
from keyconsole.scan.findings import STDIN, Finding
from keyconsole.scan.walk import FileWalk, Skipped

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

# Read in this process before the workers start: most scans end within these.
FILES_BEFORE_WORKERS = 500
BATCH_FILES = 256
BATCHES_AHEAD = 8


class BatchRead(NamedTuple):
    """What workers send back: counts, and only the files with findings or a problem
    (pickling a result for every clean file cost more than reading it)."""

    files: int
    bytes_read: int
    notable: list[FileRead]


def read_batch(paths: list[str]) -> BatchRead:
    reads = [read_file(path) for path in paths]
    notable = [read for read in reads if read.findings or read.problem is not None]
    return BatchRead(len(reads), sum(read.bytes_read for read in reads), notable)


@dataclass
class FileScan:
    """Scans paths; ``progress(files, bytes)`` is called as files are read."""

    progress: Callable[[int, int], None] | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    files: int = 0
    bytes_read: int = 0
    _walk: FileWalk = field(default_factory=FileWalk)

    @property
    def skipped(self) -> list[Skipped]:
        return self._walk.skipped

    def scan(self, paths: list[str]) -> Iterator[Finding]:
        for path in paths:
            if path == STDIN:
                yield from self._take(_one(read_stream(STDIN, lambda size: os.read(0, size))))
            else:
                yield from self._scan_files(self._walk.files(path))

    def _scan_files(self, files: Iterator[str]) -> Iterator[Finding]:
        for path in itertools.islice(files, FILES_BEFORE_WORKERS):
            yield from self._take(_one(read_file(path)))
        batches = _batches(files, BATCH_FILES)
        first = next(batches, None)
        if first is None:
            return
        batches = itertools.chain([first], batches)
        if self.workers < 2:
            for batch in batches:
                yield from self._take(read_batch(batch))
            return
        import multiprocessing  # only for a scan this big: importing it costs a small scan 15 ms

        # fork: a worker starts at once, with nothing to import; the scan holds no threads
        # or connections yet. Other systems start them afresh.
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with context.Pool(self.workers, initializer=_leave_interrupts_to_the_parent) as pool:
            for read in _in_order(pool, batches, ahead=BATCHES_AHEAD * self.workers):
                yield from self._take(read)

    def _take(self, batch: BatchRead) -> Iterator[Finding]:
        for read in batch.notable:
            if read.problem is not None:
                self._walk.skipped.append(Skipped(read.path, read.problem))
            yield from read.findings
        self.files += batch.files
        self.bytes_read += batch.bytes_read
        if self.progress is not None:
            self.progress(self.files, self.bytes_read)


def _one(read: FileRead) -> BatchRead:
    return BatchRead(1, read.bytes_read, [read])


def _leave_interrupts_to_the_parent() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and says so in one
    # line; a worker dying of it would print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_order(pool: Pool, batches: Iterable[list[str]], ahead: int) -> Iterator[BatchRead]:
    """The workers' reads of ``batches``, in order, with at most ``ahead`` batches out at once.
    This thread walks and hands out; Pool.imap's feeder thread doing the walk measured
    slower (the walk and the workers' results contend for the interpreter)."""
    pending: deque[AsyncResult[BatchRead]] = deque()
    for batch in batches:
        pending.append(pool.apply_async(read_batch, (batch,)))
        if len(pending) >= ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch

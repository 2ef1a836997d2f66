"""Reading one file (or stdin) for keys, in bounded memory."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from typing import NamedTuple

from keyconsole.scan.finder import CHUNK_BYTES, Found, find_keys, find_keys_in
from keyconsole.scan.findings import Finding
from keyconsole.scan.walk import reason_for

# O_NONBLOCK: a FIFO swapped in for a file after the walk looked at it never blocks the open.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


class FileRead(NamedTuple):
    path: str
    findings: list[Finding]
    bytes_read: int
    # Why the file could not be read (to the end), or None.
    problem: str | None = None


def read_file(path: str) -> FileRead:
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        return FileRead(path, [], 0, reason_for(error))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return FileRead(path, [], 0, "replaced by a special file during the scan: not read")
        # Most files fit one read of their own size: no buffer bigger than the file, and no
        # second pass. A read of exactly the size found is the whole file (as of the fstat);
        # anything else (a file that grew, a file system that reads short) streams on.
        size = info.st_size
        try:
            first = os.read(descriptor, min(size + 1, CHUNK_BYTES))
        except OSError as error:
            return FileRead(path, [], 0, reason_for(error))
        if len(first) == size:
            return FileRead(path, _at(path, find_keys_in(first)), size)
        return read_stream(path, functools.partial(os.read, descriptor), first)
    finally:
        os.close(descriptor)


def read_stream(path: str, read: Callable[[int], bytes], first: bytes = b"") -> FileRead:
    total = len(first)

    def counted(size: int) -> bytes:
        nonlocal total
        data = read(size)
        total += len(data)
        return data

    findings: list[Finding] = []
    try:
        for found in find_keys(counted, first=first or None):
            findings.append(Finding(path, found.line, found.column, found.key))
    except OSError as error:
        return FileRead(path, findings, total, reason_for(error))
    return FileRead(path, findings, total)


def _at(path: str, found: list[Found]) -> list[Finding]:
    return [Finding(path, item.line, item.column, item.key) for item in found]

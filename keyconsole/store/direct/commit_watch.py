"""Whether anyone committed to a SQLite store since a moment, without a query.

The verify hot path remembers the rows it read and may answer from them only while no
connection, in any process, has committed since. `PRAGMA data_version` tells, but it is a
query: a read transaction with two lock system calls, which measured 40% of a guard's time
inside a busy server (the framework's work between two requests leaves SQLite's code
out of the CPU caches).

In WAL mode every commit rewrites the WAL-index header, the first bytes of the "-shm" file
that every connection maps as shared memory (https://sqlite.org/walformat.html: mxFrame,
the frame checksums, the salts after a restart). Reading those bytes is a memory read.
While they stay the same, nothing was committed; when they change, the reader asks the
store again. A commit that has returned has written them (the header is written last), so
the next request anywhere on the machine sees it.

The bytes are read where SQLite itself maps them in this process, found in /proc/self/maps
(Linux only; anywhere else the caller keeps asking `PRAGMA data_version`). The watch never
opens the -shm itself: closing any descriptor of a file drops every POSIX lock the process
holds on it (https://sqlite.org/howtocorrupt.html, 2.2), SQLite's own included, and without
its lock on the -shm another process may truncate and rebuild the file under this one's
readers (their next read is a SIGBUS, or reads a WAL-index being rebuilt).

Why the mapping cannot vanish under a reader: SQLite unmaps it only when the last connection
of this process to the store closes. The watch holds a connection of its own, which nothing
else can close, and which is closed only when the watch is no longer referenced, so no
thread can be reading through it then.
"""

from __future__ import annotations

import ctypes
import os
import sqlite3
import struct
import sys
from pathlib import Path

# The first copy of the WAL-index header: SQLite writes it last, after the second copy.
HEADER_BYTES = 48
# iVersion, the header's first field, in the machine's byte order (walformat.html, 2.2).
WAL_INDEX_VERSION = 3007000
_PROC_MAPS = Path("/proc/self/maps")


class CommitWatch:
    __slots__ = ("_connection", "_header")

    def __init__(self, header: ctypes.Array[ctypes.c_char], connection: sqlite3.Connection) -> None:
        self._header = header
        self._connection = connection

    def marker(self) -> bytes:
        """Changes whenever a transaction commits; equal markers mean no commit between."""
        return self._header.raw

    def __del__(self) -> None:
        self._connection.close()


def watch_commits(connection: sqlite3.Connection) -> CommitWatch | None:
    """A watch on the store ``connection`` reads, or None where none can be trusted. The watch
    takes the connection over (pass one nobody else uses or closes); it is closed with the
    watch, or at once when there is none. Raises sqlite3.Error when the store cannot be read."""
    if sys.platform != "linux":
        connection.close()
        return None
    try:
        header = _mapped_header(connection)
    except BaseException:
        connection.close()
        raise
    if header is None:
        connection.close()
        return None
    return CommitWatch(header, connection)


def _mapped_header(connection: sqlite3.Connection) -> ctypes.Array[ctypes.c_char] | None:
    cursor = connection.cursor()
    try:
        # A read maps the -shm (if it was not mapped yet) before it is looked for.
        cursor.execute("PRAGMA data_version").fetchone()
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return None
        main = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
    finally:
        cursor.close()
    if not main or not main[0]:
        return None  # in memory
    try:
        found = os.stat(main[0] + "-shm")
    except OSError:
        return None
    address = _only_mapping_from_start(found)
    if address is None:
        return None
    header = (ctypes.c_char * HEADER_BYTES).from_address(address)
    if struct.unpack_from("=I", header.raw)[0] != WAL_INDEX_VERSION:
        return None
    return header


def _only_mapping_from_start(found: os.stat_result) -> int | None:
    """The address at which this process maps the start of the file ``found`` describes,
    shared (SQLite does, for the connection that read above); None unless exactly one."""
    device = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}"
    inode = str(found.st_ino)
    addresses = []
    with _PROC_MAPS.open() as maps:
        for line in maps:
            # "7f05e1a2c000-7f05e1a34000 rw-s 00000000 fe:00 2146442 /tmp/keys.db-shm"
            fields = line.split(maxsplit=5)
            if len(fields) < 5 or fields[4] != inode or fields[3] != device:
                continue
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            if int(fields[2], 16) == 0 and fields[1][0] == "r" and fields[1][3] == "s" and end - start >= HEADER_BYTES:
                addresses.append(start)
    return addresses[0] if len(addresses) == 1 else None

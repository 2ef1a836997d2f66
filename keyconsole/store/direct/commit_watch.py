"""Whether anyone committed to a SQLite store since a moment, without a query.

The verify hot path remembers the rows it read and may answer from them only while no
connection, in any process, has committed since. `PRAGMA data_version` tells, but it is a
query: a read transaction with two lock system calls, which measured 40% of a guard's time
inside a busy server (the framework's work between two requests leaves SQLite's code
out of the CPU caches).

In WAL mode every commit rewrites the WAL-index header, the first bytes of the "-shm" file
that every connection maps as shared memory (https://sqlite.org/walformat.html: mxFrame,
the frame checksums, the salts after a restart). Reading those bytes through a read-only
mapping of the same file is a memory read. While they stay the same, nothing was committed;
when they change, the reader asks the store again. A commit that has returned has written
them (the header is written last), so the next request anywhere on the machine sees it.

Used only where it can be proven to be the file SQLite itself maps: the connection is in
WAL mode, and on Linux /proc/self/maps lists the very file (device and inode) this process
already maps for it. Anywhere else the caller keeps asking `PRAGMA data_version`.

Why the mapping cannot vanish under a reader (a read past the end of a shrunk file would
kill the process with SIGBUS): SQLite truncates the -shm only when it opens it with no other
connection holding it, and deletes it only when the last connection closes. The watch
belongs to an open connection, and is closed with it.
"""

from __future__ import annotations

import mmap
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
    def __init__(self, mapping: mmap.mmap) -> None:
        self._mapping = mapping

    def marker(self) -> bytes:
        """Changes whenever a transaction commits; equal markers mean no commit between."""
        return self._mapping[:HEADER_BYTES]

    def close(self) -> None:
        self._mapping.close()


def watch_commits(connection: sqlite3.Connection) -> CommitWatch | None:
    """A watch on the store ``connection`` has open (keep it open while the watch is used),
    or None where none can be trusted. Raises sqlite3.Error when the store cannot be read."""
    if sys.platform != "linux":
        return None
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
        return _map_header(main[0] + "-shm")
    except (OSError, ValueError):
        return None


def _map_header(shm_path: str) -> CommitWatch | None:
    descriptor = os.open(shm_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        found = os.fstat(descriptor)
        if found.st_size < HEADER_BYTES or not _mapped_here(found):
            return None
        mapping = mmap.mmap(descriptor, HEADER_BYTES, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
    finally:
        os.close(descriptor)
    if struct.unpack_from("=I", mapping)[0] != WAL_INDEX_VERSION:
        mapping.close()
        return None
    return CommitWatch(mapping)


def _mapped_here(found: os.stat_result) -> bool:
    """Whether this process already maps the file ``found`` describes (SQLite does, for the
    connection that read above)."""
    device = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}"
    inode = str(found.st_ino)
    with _PROC_MAPS.open() as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) >= 5 and fields[4] == inode and fields[3] == device:
                return True
    return False

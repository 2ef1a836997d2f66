"""Whether this process's SQLite connections to a store file can be kept current.

SQLite keeps a file's locks per process, in memory shared by every connection to that file
(the unix VFS's inode records), and takes the operating system's lock only for the first.
A process forked while its parent had the store open inherits those records: its own new
connections believe the lock is already held and take none. Nothing then stops the parent,
when it closes its last connection, from checkpointing and deleting the store's -wal and
-shm; the child keeps reading the deleted copies and answers from them for ever, while
every other process writes to new ones.

Two things keep a child honest. Connections it inherited idle are closed in the child at
once (fork_safety): the parent still holds its shared lock then, so the close can neither
checkpoint nor delete anything, and with the last of them gone SQLite forgets the inherited
records. Then every new connection is proven: after its first read, the kernel's lock table
must list a lock of this very process on the store file. A process that cannot prove it (a
connection was in use by another thread at the fork and could not be closed) fails closed.

Also here: the file's identity, so a verifier notices when the store file it has open is no
longer the one at its path (a restore by `mv`); and read-only copies. A store in WAL mode
cannot be opened by a user who may not create its -shm beside it, even to read; a copy
nobody writes (no -wal or -shm beside it) in a folder this user may not write is opened as
SQLite's "immutable": no locks, no -shm. It is watched like any store: replaced by a new
copy, or written after all (a -wal or -shm appears beside it), it is opened afresh within
a second (store/direct/key_lookup.py).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

_PROC_LOCKS = Path("/proc/locks")


class ImmutableConnection(sqlite3.Connection):
    """A connection to a read-only copy, opened immutable: it holds no locks."""


class FileIdentity(NamedTuple):
    device: int
    inode: int


def identity(path: Path) -> FileIdentity | None:
    """The file at ``path`` now, None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return FileIdentity(found.st_dev, found.st_ino)


def files_beside(path: Path) -> frozenset[FileIdentity]:
    """The -wal and -shm SQLite keeps beside a store in WAL mode, as they are now."""
    found = (identity(path.with_name(path.name + suffix)) for suffix in ("-wal", "-shm"))
    return frozenset(file for file in found if file is not None)


def is_read_only_copy(path: Path) -> bool:
    """Whether SQLite can read the store at ``path`` only as an immutable file: nothing of a
    writer beside it, and no right to create its -shm."""
    return path.is_file() and not os.access(path.parent, os.W_OK) and not files_beside(path)


def is_sqlite_file(path: Path) -> bool:
    """Whether the file at ``path`` holds a SQLite database (an empty one does). Raises
    sqlite3.Error when it cannot be read.

    Read by SQLite, never by an open() and close() of our own: closing any descriptor of a file
    drops every POSIX lock this process holds on it (https://sqlite.org/howtocorrupt.html, 2.2),
    those of a store already open on it included; SQLite keeps its descriptors open until the
    last of its connections to the file closes. Opened immutable, it reads the header only."""
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)) as probe:
            probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            return False
        raise
    return True


def connect_read_only_copy(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False, factory=ImmutableConnection)


def prove_own_lock(connection: sqlite3.Connection, path: Path) -> None:
    """Raise sqlite3.OperationalError unless this process holds a lock of its own on the
    store file once ``connection`` has read it. Only Linux lists the locks; elsewhere
    nothing can be proven and nothing is refused."""
    if sys.platform != "linux" or isinstance(connection, ImmutableConnection):
        return
    # A read takes SQLite's shared lock on the file; in WAL mode it is held while open. In a
    # rollback journal mode it is let go after each read, and there is no -wal or -shm to lose.
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        return
    connection.execute("PRAGMA schema_version").fetchone()
    file = identity(path)
    if file is None or _holds_lock(os.getpid(), file):
        return
    raise sqlite3.OperationalError(
        f"this process was forked while another thread used the store {path}, and SQLite's"
        " locks cannot be trusted in it: open the store after forking, or close it before"
    )


def _holds_lock(pid: int, file: FileIdentity) -> bool:
    """Whether the kernel's lock table lists a lock held by ``pid`` on ``file``."""
    wanted_pid = str(pid)
    try:
        with _PROC_LOCKS.open() as locks:
            for line in locks:
                # "1: POSIX  ADVISORY  READ 2229 fe:00:2146482 1073741826 1073742335"
                fields = line.split()
                if len(fields) < 6 or fields[-4] != wanted_pid:
                    continue
                major, minor, inode = fields[-3].split(":")
                if (
                    int(inode) == file.inode
                    and os.makedev(int(major, 16), int(minor, 16)) == file.device
                ):
                    return True
    except OSError:
        return True  # no lock table to read (a restricted /proc): nothing can be proven
    return False

"""Scanning files and folders (and stdin) for keys.

Folders are walked recursively in name order, following symbolic links: each directory and
each file is read once however many links lead to it, so a link loop ends the walk instead
of repeating it. Only regular files are opened, and with O_NONBLOCK, so a FIFO or a device
(even one swapped in between the look and the open) never blocks the scan. Nothing is
skipped silently: every path that could not be read is kept in ``skipped`` with the reason.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from keyconsole.service.scan.finder import find_keys
from keyconsole.service.scan.findings import Finding

STDIN = "-"
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_REASONS = {
    errno.ENOENT: "vanished during the scan",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symbolic link loop",
}


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class FileScan:
    """Scans paths; ``progress(files, bytes)`` is called after each file read."""

    progress: Callable[[int, int], None] | None = None
    files: int = 0
    bytes_read: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    _seen: set[tuple[int, int]] = field(default_factory=set)

    def scan(self, paths: list[str]) -> Iterator[Finding]:
        for path in paths:
            if path == STDIN:
                yield from self._read(STDIN, lambda size: os.read(0, size))
            else:
                yield from self._top(path)

    def _top(self, path: str) -> Iterator[Finding]:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self.skipped.append(Skipped(path, "no such file or directory"))
            return
        except OSError as error:
            self._skip(path, error)
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self._folder(path, info)
        elif stat.S_ISREG(info.st_mode):
            yield from self._file(path, (info.st_dev, info.st_ino))
        else:
            self._not_regular(path, info.st_mode)

    def _folder(self, top: str, info: os.stat_result) -> Iterator[Finding]:
        self._seen.add((info.st_dev, info.st_ino))
        # Depth first in name order, as `ls -R` reads: a stack of the folders being listed.
        pending = [(top, info.st_dev, iter(self._entries(top)))]
        while pending:
            folder, device, entries = pending[-1]
            entry = next(entries, None)
            if entry is None:
                pending.pop()
                continue
            path = entry.path[2:] if folder == "." else entry.path
            # The entry's type comes with the listing; only links and folders cost a stat.
            if entry.is_file(follow_symlinks=False):
                yield from self._file(path, (device, entry.inode()))
                continue
            try:
                info = entry.stat()
            except OSError as error:
                self._skip(path, error, broken_link=entry.is_symlink())
                continue
            if stat.S_ISDIR(info.st_mode):
                if (info.st_dev, info.st_ino) not in self._seen:
                    self._seen.add((info.st_dev, info.st_ino))
                    pending.append((path, info.st_dev, iter(self._entries(path))))
            elif stat.S_ISREG(info.st_mode):
                yield from self._file(path, (info.st_dev, info.st_ino))
            else:
                self._not_regular(path, info.st_mode)

    def _entries(self, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=_name)
        except OSError as error:
            self._skip(folder, error)
            return []

    def _not_regular(self, path: str, mode: int) -> None:
        self.skipped.append(Skipped(path, f"not a regular file ({_kind(mode)}): not read"))

    def _file(self, path: str, identity: tuple[int, int]) -> Iterator[Finding]:
        if identity in self._seen:
            return
        self._seen.add(identity)
        try:
            descriptor = os.open(path, _OPEN_FLAGS)
        except OSError as error:
            self._skip(path, error)
            return
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                self.skipped.append(Skipped(path, "replaced by a special file during the scan: not read"))
                return
            yield from self._read(path, functools.partial(os.read, descriptor))
        finally:
            os.close(descriptor)

    def _read(self, path: str, read: Callable[[int], bytes]) -> Iterator[Finding]:
        def counted(size: int) -> bytes:
            data = read(size)
            self.bytes_read += len(data)
            return data

        try:
            for found in find_keys(counted):
                yield Finding(path, found.line, found.column, found.key)
        except OSError as error:
            self._skip(path, error)
        self.files += 1
        if self.progress is not None:
            self.progress(self.files, self.bytes_read)

    def _skip(self, path: str, error: OSError, *, broken_link: bool = False) -> None:
        if broken_link and error.errno == errno.ENOENT:
            reason = "broken symbolic link"
        else:
            reason = _REASONS.get(error.errno or 0) or error.strerror or str(error)
        self.skipped.append(Skipped(path, reason))


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "special"

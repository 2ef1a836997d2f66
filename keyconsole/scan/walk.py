"""Which files a scan reads: paths given, and folders walked recursively.

Folders are walked depth first in name order, following symbolic links: each folder is
walked once however many links lead to it, so a link loop ends the walk instead of repeating
it (a file reached by two paths is reported at both). Only regular files are handed on;
FIFOs, devices and sockets are never opened (reading one could block or never end).
Nothing is skipped silently: every path not read is kept in ``skipped`` with the reason.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

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


def reason_for(error: OSError) -> str:
    return _REASONS.get(error.errno or 0) or error.strerror or str(error)


@dataclass
class FileWalk:
    skipped: list[Skipped] = field(default_factory=list)
    _seen: set[tuple[int, int]] = field(default_factory=set)

    def files(self, path: str) -> Iterator[str]:
        """The regular files at ``path``: itself, or every one below it."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self.skipped.append(Skipped(path, "no such file or directory"))
            return
        except OSError as error:
            self.skipped.append(Skipped(path, reason_for(error)))
            return
        if stat.S_ISDIR(info.st_mode):
            yield from self._folder(path, info)
        elif self._regular(path, info.st_mode):
            yield path

    def _folder(self, top: str, info: os.stat_result) -> Iterator[str]:
        self._first_sight(info.st_dev, info.st_ino)
        # A stack of the folders being listed, as `ls -R` reads them.
        pending = [(top, iter(self._entries(top)))]
        while pending:
            folder, entries = pending[-1]
            entry = next(entries, None)
            if entry is None:
                pending.pop()
                continue
            path = entry.path[2:] if folder == "." else entry.path
            # The entry's type comes with the listing; only links and folders cost a stat.
            if entry.is_file(follow_symlinks=False):
                yield path
                continue
            try:
                info = entry.stat()
            except OSError as error:
                broken = entry.is_symlink() and error.errno == errno.ENOENT
                self.skipped.append(Skipped(path, "broken symbolic link" if broken else reason_for(error)))
                continue
            if stat.S_ISDIR(info.st_mode):
                if self._first_sight(info.st_dev, info.st_ino):
                    pending.append((path, iter(self._entries(path))))
            elif self._regular(path, info.st_mode):
                yield path

    def _entries(self, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=_name)
        except OSError as error:
            self.skipped.append(Skipped(folder, reason_for(error)))
            return []

    def _first_sight(self, device: int, inode: int) -> bool:
        if (device, inode) in self._seen:
            return False
        self._seen.add((device, inode))
        return True

    def _regular(self, path: str, mode: int) -> bool:
        if stat.S_ISREG(mode):
            return True
        self.skipped.append(Skipped(path, f"not a regular file ({_kind(mode)}): not read"))
        return False


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

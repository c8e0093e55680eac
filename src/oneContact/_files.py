"""Reading the files a user points oneContact at: regular files only, of bounded size,
each read once (docs/reference/rule-file-limits.md).

:func:`read_regular_file` opens a path without blocking (``O_NONBLOCK``: a FIFO never
waits for a writer), checks on the opened descriptor that it is a regular file (a
directory, FIFO, device such as ``/dev/zero`` or socket is refused before a byte is read)
and reads at most its limit plus one byte, so a file that grows is refused, never read
without end. A symbolic link to a regular file is followed, wherever it points: a
deployment may link each rule file to a versioned copy (Kubernetes mounts a ConfigMap
that way), and the digest names the bytes read, not where they lay. A dangling link or
a loop of links is refused.

A :class:`FileSet` holds the bytes of every file one load read, so a file is read once
and the digest of a ruleset is made from exactly the bytes that were parsed: while a
deployment replaces a file, a load sees the old or the new version, and its digest
names that version. :func:`reading_once` makes one the current set for the duration of a
load (a context variable, so each thread has its own); nested loads (the policies
inside a rules directory) share it.

Refusals are :class:`FileRefused` (a code and a reason, no path): each reader turns it
into its own error (a :class:`~oneContact.errors.RuleError` for rule, directory and
fixture files, a :class:`~oneContact.errors.ContactError` for contact files).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "MAX_DATA_FILE_BYTES",
    "MAX_RULES_BYTES",
    "MAX_RULE_FILES",
    "MAX_RULE_FILE_BYTES",
    "FileRefused",
    "FileSet",
    "digest_of",
    "read_regular_file",
    "read_rule_file",
    "reading_once",
    "size_text",
]

MIB = 1024 * 1024

#: The largest file of a rules directory (questionnaire, catalogue, rule, policy and
#: region files): 4 MiB, about 180 times the largest bundled file (22 KiB) and room for
#: every one of a directory's 5,000 rules (MAX_RULES) in one file at 800 bytes each.
MAX_RULE_FILE_BYTES = 4 * MIB
#: The largest directory, fixture or contacts file: 64 MiB. These are data: a
#: directory of 5,000 members with 200,000 free slots is about 10 MiB of JSON.
MAX_DATA_FILE_BYTES = 64 * MIB
#: The most ``*.yaml`` files one rules directory (with policies/ and regions/) may hold.
MAX_RULE_FILES = 1_000
#: The most bytes all files of one rules directory may hold together: 32 MiB, so a
#: load never holds more than that however many files there are.
MAX_RULES_BYTES = 32 * MIB

_CHUNK = 1024 * 1024


def size_text(limit: int) -> str:
    """*limit* bytes as a person reads it: ``4 MiB``, ``256 KiB``, ``100 bytes``."""
    for unit, size in (("MiB", MIB), ("KiB", 1024)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,} bytes"


class FileRefused(Exception):
    """A file cannot be read: ``code`` (stable, e.g. ``not-a-file``) and ``reason`` (what
    is wrong and the fix, without the file's name: the caller names it)."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(mode: int) -> FileRefused:
    return FileRefused(
        "not-a-file",
        f"is {_kind(mode)}, not a regular file; only regular files (or links to them) are "
        "read: remove it or replace it with a file",
    )


def _too_large(limit: int) -> FileRefused:
    return FileRefused(
        "file-too-large",
        f"is larger than {size_text(limit)}, the most such a file may hold; split it into "
        "smaller files",
    )


def _refused_by_os(path: Path, exc: OSError) -> FileRefused:
    if exc.errno == errno.ELOOP:
        return FileRefused(
            "symlink-loop",
            "is a symbolic link that leads back to itself; point it at a file or remove it",
        )
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return FileRefused(
            "broken-symlink",
            "is a symbolic link to a file that does not exist; point it at a file or remove it",
        )
    if exc.errno == errno.ENOENT:
        return FileRefused("missing-file", "does not exist; check the path")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return FileRefused("file-unreadable", "cannot be read: permission denied; make it readable")
    return FileRefused("file-unreadable", f"cannot be read: {exc.strerror or exc}")


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at *path* (a symbolic link to one is followed), at
    most *limit* of them; raise :class:`FileRefused` for anything else."""
    try:
        # Refuse a device or FIFO before opening it: opening some devices acts.
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(before.st_mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise _refused_by_os(path, exc) from None
    try:
        # Checked again on what was opened: the path may have been replaced meanwhile.
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(st.st_mode)
        if st.st_size > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        return b"".join(chunks)
    except OSError as exc:
        raise _refused_by_os(path, exc) from None
    finally:
        os.close(fd)


class FileSet:
    """The bytes of every file one load read, by path: each file is read once."""

    def __init__(self, *, limit: int = MAX_RULE_FILE_BYTES, total: int = MAX_RULES_BYTES):
        self.limit = limit
        self.total = total
        self.contents: dict[Path, bytes] = {}
        self._size = 0

    def read(self, path: Path) -> bytes:
        """The bytes of *path*: read now, or as read before in this load."""
        found = self.contents.get(path)
        if found is not None:
            return found
        data = read_regular_file(path, self.limit)
        if self._size + len(data) > self.total:
            raise FileRefused(
                "rules-too-large",
                f"would bring the files read together over {size_text(self.total)}, the "
                "most one rules directory may hold; remove files that are not needed",
            )
        self._size += len(data)
        self.contents[path] = data
        return data

    def digest(self, root: Path, prefix: str = "") -> str:
        """SHA-256 of *prefix*, then the name (relative to *root*) and bytes of each file
        read under *root*, in name order: what a ruleset's and a policies' digest are
        made of."""
        under = {p: data for p, data in self.contents.items() if p.is_relative_to(root)}
        return digest_of(root, under, prefix)


def digest_of(root: Path, contents: Mapping[Path, bytes], prefix: str = "") -> str:
    """SHA-256 of *prefix*, then each file's name (relative to *root*) and bytes, in
    name order."""
    h = hashlib.sha256(prefix.encode())
    for file in sorted(contents):
        h.update(file.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(contents[file])
        h.update(b"\0")
    return h.hexdigest()


_CURRENT: ContextVar[FileSet | None] = ContextVar("oneContact_files_read", default=None)


@contextmanager
def reading_once() -> Iterator[FileSet]:
    """The set of files the current load reads: a new one, or the one of the load this
    one is part of."""
    current = _CURRENT.get()
    if current is not None:
        yield current
        return
    files = FileSet()
    token = _CURRENT.set(files)
    try:
        yield files
    finally:
        _CURRENT.reset(token)


def read_rule_file(path: Path) -> bytes:
    """The bytes of the rules-directory file *path*, through the current load's
    :class:`FileSet` (read once) or, outside a load, read now."""
    current = _CURRENT.get()
    if current is not None:
        return current.read(path)
    return read_regular_file(path, MAX_RULE_FILE_BYTES)

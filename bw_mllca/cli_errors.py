"""One-line messages for what goes wrong around a command rather than in a study: the Brightway
directory (a file, read-only), the disk (full), the Brightway database itself, Ctrl-C."""

from __future__ import annotations

import errno
import os
from pathlib import Path

#: The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def check_bw_dir(path: Path, option: str = "--bw-dir") -> Path:
    """``path`` resolved and created, as a Brightway directory: refuse a file or a read-only
    folder before bw2data opens (and half-creates) anything in it."""
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} = {str(path)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} = {str(path)!r} cannot be created: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):  # also False on a read-only file system, even for root
        raise ValueError(f"{option} = {str(path)!r} is read-only; Brightway writes its projects there")
    return path


def describe_os_error(error: OSError) -> str:
    """``error`` as one line naming the file: '/out/lcia.csv: No space left on device (...)'."""
    reason = error.strerror or str(error)
    if error.errno in _DISK_FULL:
        reason += " (the disk or quota is full)" if error.errno != errno.EFBIG else " (a file size limit)"
    if error.errno == errno.EROFS:
        reason += " (a read-only file system)"
    return f"{error.filename}: {reason}" if error.filename else reason


def is_database_error(error: BaseException) -> bool:
    """An error of Brightway's SQLite database (peewee's or sqlite3's own exception classes)."""
    import sqlite3

    if isinstance(error, sqlite3.Error):
        return True
    try:
        import peewee
    except ImportError:  # pragma: no cover - bw2data depends on peewee
        return False
    return isinstance(error, peewee.PeeweeException)


def describe_database_error(error: BaseException) -> str:
    """A Brightway database error as one line, with the cause a user can act on."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        hint = "the Brightway directory or its files are read-only"
    elif "disk is full" in lowered or "disk i/o" in lowered:
        hint = "the disk holding the Brightway directory is full or failing"
    elif "locked" in lowered:
        hint = "another process holds the project; try again when it has finished"
    elif "unable to open" in lowered:
        hint = "the Brightway directory cannot be opened (missing or not writable)"
    else:
        hint = "Brightway's project database failed"
    return f"Brightway database: {text} ({hint})"

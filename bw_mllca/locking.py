"""One bw_mllca process at a time per Brightway project: an inter-process file lock.

bw2data keeps each project's metadata (databases.json, methods.json, geomapping) in memory and
writes the whole file back on every change, so two processes writing one project lose each
other's databases. Every bw_mllca step that reads or writes a project (set-up, build, opening a
study for calculation) holds the project's lock, re-reads that metadata from disk when it gets the
lock, and checks what an interrupted write may have left behind (``integrity.check_project``).

The lock is a ``filelock`` lock file in the Brightway directory, one per project name, taken
before the project is created or opened (two set-ups of a new project must not both create it).
The operating system releases it when the process dies, even by SIGKILL. It is re-entrant within
a process: a run holds it across set-up, build and calculation.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bw2data as bd
from filelock import FileLock, Timeout

from .errors import ProjectBusy

logger = logging.getLogger(__name__)

LOCK_FOLDER = "bw_mllca-locks"
# How long to wait for another process's lock (seconds); BW_MLLCA_LOCK_TIMEOUT_S overrides it.
DEFAULT_TIMEOUT_S = 600.0
# (process id, lock path) -> depth held, and the lock object: a forked child holds nothing of its parent's
_held: dict[tuple[int, str], int] = {}
_locks: dict[tuple[int, str], FileLock] = {}


def lock_path(project: str) -> Path:
    """The lock file of project ``project`` (named by a hash: any project name is a safe file name)."""
    digest = hashlib.sha256(project.encode()).hexdigest()[:20]
    return Path(bd.projects._base_data_dir) / LOCK_FOLDER / f"{digest}.lock"


def _timeout_s(timeout_s: float | None) -> float:
    if timeout_s is not None:
        return timeout_s
    text = os.environ.get("BW_MLLCA_LOCK_TIMEOUT_S", "")
    try:
        return float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ProjectBusy(f"BW_MLLCA_LOCK_TIMEOUT_S = {text!r} is not a number of seconds") from None


def refresh_metadata() -> None:
    """Re-read the current project's metadata files (another process may have changed them)."""
    from bw2data import config

    for store in config.metadata:
        store.load()


@contextmanager
def project_lock(project: str | None = None, timeout_s: float | None = None) -> Iterator[None]:
    """Hold project ``project``'s lock (default: the current project); wait for another holder with
    a log message, and raise ProjectBusy after ``timeout_s`` seconds."""
    name = project if project is not None else bd.projects.current
    path = lock_path(name)
    key = (os.getpid(), str(path))
    if _held.get(key, 0) > 0:  # already ours: re-entrant
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _locks.get(key) or _locks.setdefault(key, FileLock(str(path), thread_local=False))
    wait_s = _timeout_s(timeout_s)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("project %r is in use by another bw_mllca process; waiting up to %.0f s for its lock (%s)",
                       name, wait_s, path)
        started = time.monotonic()
        try:
            lock.acquire(timeout=wait_s)
        except Timeout:
            raise ProjectBusy(
                f"project {name!r} stayed locked by another bw_mllca process for {wait_s:.0f} s (lock file {path}); "
                "wait for it to finish, or raise BW_MLLCA_LOCK_TIMEOUT_S"
            ) from None
        logger.warning("got the lock of project %r after %.1f s", name, time.monotonic() - started)
    _held[key] = 1
    try:
        if project is None or project == bd.projects.current:
            refresh_metadata()
        yield
    finally:
        _held[key] = 0
        lock.release()


def holds_lock(project: str | None = None) -> bool:
    """Whether this process holds ``project``'s lock (default: the current project)."""
    path = lock_path(project if project is not None else bd.projects.current)
    return _held.get((os.getpid(), str(path)), 0) > 0

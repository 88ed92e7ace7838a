"""A run's output folder replaced whole: staged in a hidden sibling folder, then renamed into place.

A run killed while writing must not leave a new lcia.csv beside the previous model card. The files
are written into ``.NAME.partial-PID`` next to the output folder, with ``manifest.json`` (each
file's size and sha256) last; then the previous folder is renamed to ``.NAME.previous`` and the
staged one to NAME. A process killed between those two renames leaves NAME absent and
``.NAME.previous`` whole: the next run (or ``recover``) renames it back. The folder must hold only
a previous run's outputs (or nothing): files bw_mllca did not write are never deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..faults import kill_point

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# what a run writes (an output folder of an older version has no manifest)
OUTPUT_PATTERNS = ("lcia.csv", "results.xlsx", "model_card.md", "model_card.json", "*.png", "*.svg", MANIFEST)


def _previous(out: Path) -> Path:
    return out.parent / f".{out.name}.previous"


def recover(out: Path) -> None:
    """Put back a previous output folder that a run killed mid-swap left aside; drop stale stages."""
    previous = _previous(out)
    if previous.is_dir():
        if out.exists():
            shutil.rmtree(previous)
        else:
            previous.rename(out)
            logger.warning("%s: restored the previous outputs (a run was interrupted while replacing them)", out)
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _foreign_files(out: Path) -> list[str]:
    """Names in ``out`` that no run wrote (listed in no manifest, matching no output name)."""
    listed: set[str] = set()
    try:
        listed = set(json.loads((out / MANIFEST).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return sorted(
        path.name for path in out.iterdir()
        if path.name not in listed and not (path.is_file() and any(path.match(p) for p in OUTPUT_PATTERNS))
    )


def write_manifest(folder: Path) -> Path:
    """``folder/manifest.json``: every file's size (bytes) and sha256."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            files[path.name] = {"bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    target = folder / MANIFEST
    target.write_text(json.dumps({"files": files}, indent=1))
    return target


def manifest_problems(folder: Path) -> list[str]:
    """What in ``folder`` disagrees with its manifest (empty: the folder is one whole run)."""
    try:
        files = json.loads((folder / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError) as error:
        return [f"{MANIFEST}: {error}"]
    problems = []
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{name} differs from the manifest")
    return problems


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``out`` whole (with a manifest)."""
    out = Path(out).expanduser().resolve()
    recover(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out = {str(out)!r} exists and is not a folder")
    if out.is_dir():
        foreign = _foreign_files(out)
        if foreign:
            raise ValueError(f"--out = {str(out)!r} holds files a run did not write ({', '.join(foreign[:3])}); "
                             "the outputs replace the folder whole: choose an empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        write_manifest(stage)
        kill_point("outputs:staged")
        previous = _previous(out)
        if out.exists():
            out.rename(previous)
            kill_point("outputs:swapping")
        stage.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
    except OSError as error:
        shutil.rmtree(stage, ignore_errors=True)
        if error.filename and Path(error.filename).is_relative_to(stage):
            # Name the file the user asked for, not its place in the staging folder.
            final = out / Path(error.filename).relative_to(stage)
            raise OSError(error.errno, error.strerror, str(final)) from None
        raise
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise

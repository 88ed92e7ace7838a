"""Where a study's energy logs may be read from, and the options their `tz` field adds.

A study names its logs by path. Read from anywhere, a study file from someone else could make the
tool open any file the user can read (its errors then say what it found there). Logs are therefore
read from the study's own folder and from the folders the user allows: `[study] log_folders`
in the study file, or `--allow-log-folder` on the command line. Symbolic links are followed first,
so a link inside the folder to a file outside it is outside too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .time_zones import zone_problem

#: Formats whose times are wall-clock text without a zone (the only ones `tz` applies to).
WALL_CLOCK_FORMATS = ("nvidia-smi",)


def log_file(log: str, base_dir: Path | None) -> Path:
    """The file a study's `energy.log` names: relative paths are read from the study's folder."""
    file = Path(log).expanduser()
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    return file


def outside_problem(log: str, base_dir: Path | None, allowed: Sequence[Path]) -> str | None:
    """Why ``log`` may not be read (it resolves outside the study's folder and every allowed
    folder), or None. A study made in Python without a folder (``base_dir`` None) is not limited."""
    if base_dir is None:
        return None
    try:
        real = log_file(log, base_dir).resolve()
        folders = [base_dir.resolve(), *(Path(f).expanduser().resolve() for f in allowed)]
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return "cannot be resolved to a file"
    if any(real == folder or folder in real.parents for folder in folders):
        return None
    return (f"is outside the study's folder ({base_dir.resolve()}); allow its folder with [study] log_folders "
            "or --allow-log-folder")


def tz_problems(path: str, tz: str | None, format_name: str, options: dict[str, Any]) -> list[tuple[str, object, str]]:
    """Problems of an energy log's `tz` field (the IANA zone of the clock that wrote the log)."""
    if tz is None:
        return []
    problems: list[tuple[str, object, str]] = []
    if format_name not in WALL_CLOCK_FORMATS:
        problems.append((f"{path}.energy.tz", tz, f"applies to {', '.join(WALL_CLOCK_FORMATS)} logs (wall-clock times); "
                         f"format {format_name!r} records Unix time or durations"))
    if "tz" in options:
        problems.append((f"{path}.energy.options.tz", options["tz"], "give the zone once, as energy.tz"))
    reason = zone_problem(tz)
    if reason:
        problems.append((f"{path}.energy.tz", tz, reason))
    return problems


def reader_options(tz: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The reader's options: the log's `options` and, where given, its `tz`."""
    return {**options, "tz": tz} if tz is not None else dict(options)

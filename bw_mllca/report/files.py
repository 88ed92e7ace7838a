"""Output files: folders and paths that stay where the user said."""

from __future__ import annotations

from pathlib import Path


def safe_output_dir(path: Path) -> Path:
    """Create ``path`` (a folder) and return it resolved; refuse an existing file of that name."""
    path = Path(path).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out = {str(path)!r} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def inside(folder: Path, name: str) -> Path:
    """``folder/name``, refusing a name that would leave ``folder`` (``../x``, an absolute path)."""
    folder = Path(folder).resolve()
    target = (folder / name).resolve()
    if folder != target and folder not in target.parents:
        raise ValueError(f"output name {name!r} would be written outside {str(folder)!r}")
    return target

"""Where the shipped public data live: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_dir(name: str) -> Path:
    """Return the folder ``name`` (inventories, methods, examples).

    A wheel carries it as ``bw_mllca/_data/<name>``; an editable install or a checkout keeps it
    beside the package, at the repository's top level.
    """
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bw_mllca data folder {name!r} not found beside {_PACKAGE_DIR}")


def inventories_dir() -> Path:
    return _shipped_dir("inventories")


def methods_dir() -> Path:
    return _shipped_dir("methods")


def examples_dir() -> Path:
    return _shipped_dir("examples")

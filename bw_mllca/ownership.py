"""Marks what bw_mllca wrote, so that it never overwrites what it did not.

Every database and method the plugin writes carries ``metadata["bw_mllca"] = {"version", "fingerprint"}``.
The fingerprint is a hash of the inputs it was written from: equal fingerprint means nothing to do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MARK = "bw_mllca"
VERSION = "0.1.0"


def fingerprint_of(parts: Iterable[Any]) -> str:
    """sha256 of the JSON of ``parts`` (paths are hashed by content)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            digest.update(part.name.encode())
            digest.update(part.read_bytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def mark(fingerprint: str, **extra: Any) -> dict[str, Any]:
    return {"version": VERSION, "fingerprint": fingerprint, **extra}


def owner_mark(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The bw_mllca mark in a database's or method's metadata, or None if a user wrote it."""
    if not metadata:
        return None
    found = metadata.get(MARK)
    return dict(found) if isinstance(found, Mapping) else None


# The fingerprint of a database or method whose write has begun and not finished.
INCOMPLETE = "incomplete"

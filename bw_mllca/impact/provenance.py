"""Which LCIA method a score was characterized with: the one bw_mllca registered, or a method of
the same name the user had in the project (setup keeps it, reports a conflict and it is used)."""

from __future__ import annotations

from collections.abc import Iterable

import bw2data as bd
import pandas as pd

from ..ownership import owner_mark

USER_METHOD = "user method (not written by bw_mllca)"
INVENTORY_INDICATOR = "inventory indicator (no characterization)"
NOT_REGISTERED = "not registered in the project"
ORIGIN_COLUMN = "method_origin"


def method_origin(method: tuple[str, ...]) -> str:
    """'bw_mllca, from <source>' for a method bw_mllca wrote (marked in its metadata), else
    'user method (...)' with the user's own description, or 'not registered in the project'."""
    if method not in bd.methods:
        return NOT_REGISTERED
    metadata = bd.methods[method]
    if owner_mark(metadata) is None:
        described = str(metadata.get("description") or metadata.get("filename") or "").strip()
        return f"{USER_METHOD}: {described[:120]}" if described else USER_METHOD
    return f"bw_mllca, from {metadata.get('filename') or 'its own method tables'}"


def _method_of(label: str, registered: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    split = tuple(label.split(" | "))
    if split in bd.methods:
        return split
    return next((m for m in registered if " | ".join(m) == label), None)  # a name with " | " in it


def origins(labels: Iterable[str]) -> dict[str, str]:
    """The origin of each method label of a results frame ('TRACI v2.1 | climate change | ...')."""
    out: dict[str, str] = {}
    for label in labels:
        if label.startswith("inventory | "):
            out[label] = INVENTORY_INDICATOR
            continue
        method = _method_of(label, list(bd.methods))
        out[label] = method_origin(method) if method is not None else NOT_REGISTERED
    return out


def with_method_origin(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``method_origin`` column right after ``method`` (kept if already there)."""
    if ORIGIN_COLUMN in frame.columns:
        return frame
    found = origins(frame["method"].unique())
    out = frame.copy()
    out.insert(list(out.columns).index("method") + 1, ORIGIN_COLUMN, out["method"].map(found))
    return out


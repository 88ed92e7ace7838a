"""Warnings a study's results rest on: plausibility notes of its inputs, what its energy logs lack
or assumed (gaps, a tool's PUE unlike the datacenter's), and, across studies, a model whose
development is allocated more than once (ISO 14044 4.3.4.2: the shares of one process sum to 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import bw2data as bd
import pandas as pd

from ..scope.study import Study

# A sum of allocated shares above 1 by more than this is reported (float round-off is not).
ALLOCATION_TOLERANCE = 1e-9


def build_warnings(study: Study) -> list[str]:
    """What the builder found: gaps in the study's energy logs, what its background leaves out (the
    study must be built)."""
    return list((bd.databases.get(study.database_name) or {}).get("mllca_warnings", []))


def warnings_table(study: Study) -> pd.DataFrame:
    """Columns: kind ('input' plausibility note, or 'build': energy logs, background), warning."""
    rows = [("input", note) for note in study.warnings] + [("build", note) for note in build_warnings(study)]
    return pd.DataFrame(rows, columns=["kind", "warning"])


def development_shares(study: Study) -> dict[str, float]:
    """Share of each model's development this study charges: 1 for the studied model, w1 x the
    student's share for a teacher (teachers of teachers multiply)."""
    shares: dict[str, float] = {}
    pending = [(study.model.name, 1.0)]
    while pending:
        name, share = pending.pop()
        shares[name] = shares.get(name, 0.0) + share
        model = study.model_named(name)
        if model is not None and model.teacher is not None:
            pending.append((model.teacher, share * model.teacher_weight))
    return shares


def allocation_warnings(studies: Sequence[Study], labels: Sequence[str] | None = None) -> list[str]:
    """One warning per model whose development shares, summed over ``studies``, exceed 1."""
    labels = list(labels) if labels is not None else [s.study.name for s in studies]
    charged: dict[str, list[tuple[str, float]]] = {}
    for label, study in zip(labels, studies):
        for name, share in development_shares(study).items():
            charged.setdefault(name, []).append((label, share))
    out = []
    for name, parts in charged.items():
        total = sum(share for _, share in parts)
        if len(parts) > 1 and total > 1.0 + ALLOCATION_TOLERANCE:
            terms = " + ".join(f"{share:g} ({label})" for label, share in parts)
            out.append(f"model {name!r}: its development is allocated {terms} = {total:g} > 1 across these studies "
                       "(ISO 14044 4.3.4.2: allocated shares sum to 1); lower a teacher_weight or the other studies' shares")
    return out

"""What a study's outputs say about its background: its name, and every gateway with how it was linked."""

from __future__ import annotations

import pandas as pd

from ..scope.study import Study
from .hardware import gateway_table, hardware_database


def background_label(study: Study) -> str:
    return study.study.background_choice.label


def background_table(study: Study) -> pd.DataFrame:
    """One row per gateway part of a built study: the datacenters' grids and water (from the study's
    database) and the relinked hardware parts (from each ``mllca hardware on ...``); on the public
    data, one row saying so."""
    import bw2data as bd

    choice = study.study.background_choice
    if choice.is_public:
        return pd.DataFrame([{"gateway": "every gateway", "used for": "grid electricity, hardware, end of life, water",
                              "database": choice.database, "name": choice.label}])
    tables = [gateway_table(bd.databases.get(study.database_name) or {})]
    tables += [gateway_table(bd.databases.get(hardware_database(db)) or {}) for db in choice.databases]
    return pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else pd.DataFrame()

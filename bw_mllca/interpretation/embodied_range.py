"""Sensitivity of the result to the embodied hardware figure, from the spread of published ones.

Per-device manufacture GWP differs between sources by more than any lifespan range: for an NVIDIA
H100 SXM, this package's bill-of-materials model gives 229 kg CO2e, NVIDIA's product carbon
footprint 164 kg, EcoLogits 273 kg, Morrison et al. 463 kg and BoaviztAPI 573 kg
(inventories/hardware_comparison.csv). The range applied is the lowest and highest ratio of a
published figure to this model's, for the study's accelerators where the table has published
figures, else over every device in it. The embodied hardware component is linear in that figure,
so the score at a factor f is: total + (f - 1) x embodied part.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data_files import inventories_dir
from ..scope.study import Study

COMPARISON_TABLE = "hardware_comparison.csv"
CLIMATE = "EF v3.1 | climate change"
EMBODIED = "embodied hardware"


def published_ratios(devices: set[str] | None = None) -> np.ndarray:
    """Published climate-change figures of one device over this model's, for ``devices`` (all when
    None or when none of them has a published figure)."""
    table = pd.read_csv(inventories_dir() / COMPARISON_TABLE)
    table = table[table["category"] == CLIMATE]

    def ratios(rows: pd.DataFrame) -> list[float]:
        out = []
        for _, row in rows.iterrows():
            figures = [row["boaviztapi"]] if pd.notna(row["boaviztapi"]) else []
            if isinstance(row["other_published_gwp_kg"], str):
                # "EcoLogits 273; Morrison et al. 463; NVIDIA PCF (HGX H100) 164": the last number of each part
                figures += [float(re.findall(r"[\d.]+", part)[-1]) for part in row["other_published_gwp_kg"].split(";")]
            out += [f / row["this_model"] for f in figures]
        return out

    chosen = ratios(table[table["device"].isin(devices or set())])
    return np.array(chosen or ratios(table))


def embodied_factor_range(study: Study) -> tuple[float, float]:
    """(low, high) factor on the embodied hardware figure for ``study`` (see the module doc)."""
    devices = {hw.accelerator for hw in study.hardware.values() if hw.accelerator}
    ratios = published_ratios(devices)
    return float(min(ratios.min(), 1.0)), float(max(ratios.max(), 1.0))


def embodied_range(frame: pd.DataFrame, study: Study, view: str = "attributional") -> pd.DataFrame:
    """Tornado rows (the columns of ``sensitivity.tornado``) for the embodied hardware figure at
    its low and high factor, per category of the results ``frame``."""
    low, high = embodied_factor_range(study)
    part = frame[frame["view"] == view]
    rows = []
    for (method, unit), group in part.groupby(["method", "unit"], sort=False):
        total = float(group["score"].sum())
        embodied = float(group.loc[group["component"] == EMBODIED, "score"].sum())
        low_score, high_score = total + (low - 1.0) * embodied, total + (high - 1.0) * embodied
        swing = abs(high_score - low_score)
        rows.append({"parameter": "embodied hardware figure", "parameter_unit": "factor on the catalog's figure",
                     "base_value": 1.0, "low_value": low, "high_value": high, "method": method, "unit": unit,
                     "base_score": total, "low_score": low_score, "high_score": high_score, "swing": swing,
                     "relative_swing": swing / abs(total) if total != 0.0 else np.nan})
    return pd.DataFrame(rows)

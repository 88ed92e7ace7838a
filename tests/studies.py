"""Small study dicts for tests: each test changes what it checks and keeps the rest."""

from __future__ import annotations

import copy
from typing import Any

CO2_G_PER_KG = 1000.0
HOURS_PER_YEAR = 8760.0


def merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def minimal_study(name: str, **changes: Any) -> dict:
    """One user-given accelerator on a single-flow grid: every number is visible in the test."""
    base = {
        "study": {"name": name},
        "goal": {"functional_unit": {"description": "1,000 answered queries", "queries": 1000}},
        "hardware": {
            "gpu": {
                "accelerator_embodied": {"co2e_kg": 150.0, "source": "test"},
                "lifespan_years": 4,
                "utilization": 0.5,
                "power_w": 400,
            }
        },
        "datacenters": {"dc": {"grid_kgco2e_per_kwh": 0.3, "grid_water_l_per_kwh": 2.0, "pue": 1.25, "wue_l_per_kwh": 0.5}},
        "model": {"name": "m"},
        "stages": [
            {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
             "accelerator_hours": 10_000, "energy_kwh": 3_000},
        ],
        "use": {"hardware": "gpu", "datacenter": "dc", "batch_size": 8, "seconds_per_batch": 2.0,
                "energy_kwh_per_batch": 0.0005, "lifetime_queries": 1e7},
    }
    return merge(base, changes)


def catalog_study(name: str, **changes: Any) -> dict:
    """H100 nodes from the catalog in a catalog region and datacenter profile."""
    base = {
        "study": {"name": name},
        "goal": {"functional_unit": {"description": "1,000 answered queries", "queries": 1000}},
        "hardware": {"node": {"accelerator": "H100-SXM5-80GB", "accelerators_per_node": 8,
                              "server": "HGX-host-server", "lifespan_years": 4, "utilization": 0.85}},
        "datacenters": {"dc": {"region": "SRVC", "profile": "us-average"}},
        "model": {"name": "m"},
        "stages": [
            {"name": "pre-training", "kind": "pre-training", "hardware": "node", "datacenter": "dc", "node_hours": 1_000},
        ],
        "use": {"hardware": "node", "datacenter": "dc", "batch_size": 16, "accelerators": 1,
                "seconds_per_batch": 4.0, "power_w": 500, "lifetime_queries": 1e9},
    }
    return merge(base, changes)

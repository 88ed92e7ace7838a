"""A generated background with ecoinvent's shape, for benchmarks (ecoinvent-sized) and tests (small).

Two structures, both with every exchange uncertain (lognormal, as ecoinvent's basic uncertainty):

- ``hub``: a few large markets (hubs) that supply most inputs; each market buys from many producers,
  and producers buy from the hubs, so most of the system is one strongly connected component
  reached through the hubs (the structure where SuperLU on A at its default ordering fills in).
- ``loop``: regional markets that buy from each other in rings (market A -> B -> C -> A), as
  ecoinvent's regional electricity and transport markets do, with producers hanging off each ring.

Input amounts are scaled so every column's inputs sum to about ``loop_gain`` (< 1): the system is
well-posed, like a real technosphere. Elementary flows are biosphere3 flows (so TRACI and every
other bundled method characterizes them). The database is written through bw2data into the
current project: a temporary Brightway directory in benchmarks and tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shape:
    activities: int = 20_033
    technosphere_per_activity: float = 10.5  # about 210k technosphere entries at 20,033 activities
    biosphere_per_activity: float = 20.0  # about 400k biosphere entries
    markets: int = 400
    structure: str = "hub"  # or "loop"
    loop_gain: float = 0.6  # sum of one activity's input amounts (in units of the inputs)
    sigma: float = 0.2  # lognormal sigma of every exchange
    flows: int = 1_500  # distinct biosphere3 flows used
    seed: int = 0


ELECTRICITY = "market for electricity"  # the code of the market a study links its electricity to


def _lognormal(amount: float, sigma: float) -> dict:
    return {"amount": amount, "uncertainty type": 2, "loc": math.log(abs(amount)), "scale": sigma,
            "negative": amount < 0}


def generate(shape: Shape, flows: list[tuple[str, str]]) -> dict:
    """The database as bw2data's write format (keys (name, code)); ``flows`` are biosphere3 keys."""
    rng = np.random.default_rng(shape.seed)
    name = f"synthetic {shape.structure} {shape.activities}"
    n, k = shape.activities, shape.markets
    codes = [ELECTRICITY if i == 0 else (f"market {i}" if i < k else f"process {i}") for i in range(n)]
    used_flows = [flows[i] for i in rng.choice(len(flows), size=min(shape.flows, len(flows)), replace=False)]
    data = {}
    producers = np.arange(k, n)
    for i in range(n):
        inputs: list[int] = []
        if i < k:  # a market: buys from producers (and, in a ring, from the next market)
            count = max(2, int(rng.poisson(shape.technosphere_per_activity)))
            inputs = list(rng.choice(producers, size=count, replace=False))
            if shape.structure == "loop":
                ring_start = i - i % 8  # rings of 8 markets
                following = ring_start + (i + 1) % 8
                inputs.append(following if following < k else ring_start)
        else:  # a producer: buys mostly from markets (hubs: a few big ones), some producers directly
            count = max(1, int(rng.poisson(shape.technosphere_per_activity)))
            if shape.structure == "hub":
                hubs = rng.zipf(1.6, size=count) - 1
                markets = hubs[hubs < k]
            else:
                markets = rng.integers(0, k, size=count)
            inputs = list(dict.fromkeys(int(m) for m in markets))
            extra = count - len(inputs)
            if extra > 0:
                inputs += list(rng.integers(k, n, size=extra))
        inputs = [j for j in dict.fromkeys(int(j) for j in inputs) if j != i]
        shares = rng.dirichlet(np.ones(len(inputs))) * shape.loop_gain if inputs else []
        exchanges = [{"input": (name, codes[i]), "amount": 1.0, "type": "production"}]
        for j, share in zip(inputs, shares):
            exchanges.append({"input": (name, codes[j]), "type": "technosphere", **_lognormal(float(share), shape.sigma)})
        if i >= k:
            m = max(1, int(rng.poisson(shape.biosphere_per_activity)))
            for f in rng.choice(len(used_flows), size=min(m, len(used_flows)), replace=False):
                exchanges.append({"input": used_flows[int(f)], "type": "biosphere",
                                  **_lognormal(float(rng.lognormal(-3.0, 2.0)), shape.sigma)})
        data[(name, codes[i])] = {"name": codes[i], "unit": "kilowatt hour" if i == 0 else "unit",
                                  "location": "GLO", "type": "process", "exchanges": exchanges}
    return data


def write_background(shape: Shape) -> str:
    """Write the background into the current project (replacing a previous one); its name."""
    import bw2data as bd

    from bw_mllca.inventory.biosphere import BIOSPHERE

    flows = [f.key for f in bd.Database(BIOSPHERE)]
    data = generate(shape, flows)
    name = next(iter(data))[0]
    if name in bd.databases:
        del bd.databases[name]
    db = bd.Database(name)
    db.register(depends=[BIOSPHERE])
    db.write(data)
    return name


def linked_study(olmo_path, background: str, name: str | None = None) -> dict:
    """The OLMo 2 study as a dict, its datacenters' electricity from the background's market."""
    from bw_mllca import Study
    from bw_mllca.impact.engine import study_dict

    data = study_dict(Study.from_file(olmo_path))
    data["study"]["name"] = name or f"OLMo 2 on {background}"
    data["study"].pop("database", None)
    for entry in data["datacenters"].values():
        for field in ("region", "grid_kgco2e_per_kwh", "grid_water_l_per_kwh"):
            entry.pop(field, None)
        entry["electricity_activity"] = [background, ELECTRICITY]
    return data

"""A generated background with ecoinvent's shape, for benchmarks (ecoinvent-sized) and tests (small).

Two structures, both with every exchange uncertain (lognormal, as ecoinvent's basic uncertainty):

Activities are in a topological order (inputs come from upstream) except for a few back edges
(``back_edges``) to downstream markets that close loops through them, as in ecoinvent.

- ``hub``: a few large markets (hubs) supply most inputs (Zipf), so the loops run through hubs
  that nearly every activity reaches (the structure where SuperLU on A at its default ordering fills
  in).
- ``loop``: regional markets buy from each other in rings of 8 (market A -> B -> ... -> A), as
  ecoinvent's regional electricity and transport markets do; producers buy from any market.

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
    back_edges: float = 0.03  # share of activities with one input from downstream (closes loops)
    electricity_position: float = 0.3  # where the study's electricity market sits among the markets
    seed: int = 0


ELECTRICITY = "market for electricity"  # the code of the market a study links its electricity to


def _lognormal(amount: float, sigma: float) -> dict:
    return {"amount": amount, "uncertainty type": 2, "loc": math.log(abs(amount)), "scale": sigma,
            "negative": amount < 0}


def _inputs(i: int, markets: np.ndarray, shape: Shape, rng: np.random.Generator) -> list[int]:
    """Upstream inputs of activity ``i`` (positions are a topological order: inputs come from
    below, except a few back edges that close loops, as ecoinvent's do)."""
    n = shape.activities
    below = markets[markets < i]
    count = max(1, int(rng.poisson(shape.technosphere_per_activity)))
    if i in set(markets.tolist()):  # a market buys from producers below it
        window = max(1, 3 * n // len(markets))  # its producers: the sector just upstream of it
        picks = list(rng.integers(max(0, i - window), i, size=count)) if i > 0 else []
        if shape.structure == "loop":  # rings of 8 regional markets, each buying from the next
            t = int(np.searchsorted(markets, i))
            ring = t - t % 8
            picks.append(int(markets[min(ring + (t + 1 - ring) % 8, len(markets) - 1)]))
        return picks
    picks = []
    if len(below):
        if shape.structure == "hub":  # most inputs from a few hub markets (the lowest ones)
            rank = rng.zipf(1.5, size=count) - 1
            picks += [int(below[r]) for r in rank if r < len(below)]
        else:
            picks += [int(m) for m in rng.choice(below, size=min(count, len(below)))]
    if i > 0:
        picks += list(rng.integers(max(0, i - 50), i, size=max(1, count // 3)))  # its own sector
    above = markets[markets > i]
    if rng.random() < shape.back_edges and len(above):  # a loop through a market downstream
        picks.append(int(above[min(int(rng.zipf(1.5)) - 1, len(above) - 1)]))
    return picks


def generate(shape: Shape, flows: list[tuple[str, str]]) -> dict:
    """The database as bw2data's write format (keys (name, code)); ``flows`` are biosphere3 keys."""
    rng = np.random.default_rng(shape.seed)
    name = f"synthetic {shape.structure} {shape.activities}"
    n, k = shape.activities, shape.markets
    markets = np.unique(((np.arange(k) + 0.5) * n / k).astype(int))
    electricity = int(markets[int(len(markets) * shape.electricity_position)])
    codes = [f"process {i}" for i in range(n)]
    for i in markets:
        codes[int(i)] = f"market {i}"
    codes[electricity] = ELECTRICITY
    used_flows = [flows[i] for i in rng.choice(len(flows), size=min(shape.flows, len(flows)), replace=False)]
    is_market = np.zeros(n, dtype=bool)
    is_market[markets] = True
    data = {}
    for i in range(n):
        inputs = [j for j in dict.fromkeys(int(j) for j in _inputs(i, markets, shape, rng)) if j != i]
        shares = rng.dirichlet(np.ones(len(inputs))) * shape.loop_gain if inputs else []
        exchanges = [{"input": (name, codes[i]), "amount": 1.0, "type": "production"}]
        for j, share in zip(inputs, shares):
            exchanges.append({"input": (name, codes[j]), "type": "technosphere", **_lognormal(float(share), shape.sigma)})
        if not is_market[i]:
            m = max(1, int(rng.poisson(shape.biosphere_per_activity)))
            for f in rng.choice(len(used_flows), size=min(m, len(used_flows)), replace=False):
                exchanges.append({"input": used_flows[int(f)], "type": "biosphere",
                                  **_lognormal(float(rng.lognormal(-3.0, 2.0)), shape.sigma)})
        data[(name, codes[i])] = {"name": codes[i], "unit": "kilowatt hour" if i == electricity else "unit",
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

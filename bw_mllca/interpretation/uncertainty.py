"""Monte Carlo uncertainty: background distributions and user-given parameter distributions.

The background's technosphere and biosphere exchanges carry stats_arrays distributions
(inventories/*.csv: lognormal, triangular; ecoinvent on most exchanges); user parameters get a
``Distribution``. Each iteration draws the background entries that can reach the study's gateway
activities and re-solves that part of the background once (``impact.sampling``); the foreground is
one point of the fast engine. ``dask``: spread the background draws over a ``dask.distributed``
cluster. Seeded: the same seed gives the same samples (draws are made in fixed chunks of ``CHUNK``
iterations, batched by memory inside, so results do not depend on the progress bar, the machine or
the cluster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import warnings

import numpy as np
import pandas as pd
from tqdm import TqdmWarning

with warnings.catch_warnings():
    # In Jupyter without ipywidgets, tqdm.auto warns on import and falls back to the text bar;
    # the text bar is what a notebook without widgets should get, without a warning in its output.
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

from ..impact.calculate import method_label
from ..impact.engine import LinearEngine, Method, Parameter, engine_for
from ..scope.study import Study
from .estimates import draw_estimated, estimated_inputs

CHUNK = 10_000  # iterations per engine call (the background is drawn in memory-sized batches inside)
PERCENTILES = (2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 97.5)


@dataclass(frozen=True)
class Distribution:
    """A parameter's distribution. Build it with ``uniform``, ``triangular``, ``normal``,
    ``lognormal`` or ``choice``; values are in the parameter's own unit."""

    kind: str
    params: tuple[Any, ...]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        k, p = self.kind, self.params
        if k == "uniform":
            return rng.uniform(p[0], p[1], n)
        if k == "triangular":
            return rng.triangular(p[0], p[1], p[2], n)
        if k == "normal":
            return rng.normal(p[0], p[1], n)
        if k == "lognormal":
            return p[0] * np.exp(rng.normal(0.0, p[1], n))
        if k == "choice":
            levels, weights = p
            return np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=weights)]
        raise ValueError(f"distribution kind = {k!r}: expected uniform, triangular, normal, lognormal or choice")


def uniform(low: float, high: float) -> Distribution:
    if not low < high:
        raise ValueError(f"uniform: low = {low!r} must be below high = {high!r}")
    return Distribution("uniform", (float(low), float(high)))


def triangular(low: float, mode: float, high: float) -> Distribution:
    if not low <= mode <= high or low == high:
        raise ValueError(f"triangular: need low <= mode <= high, low < high; got {low!r}, {mode!r}, {high!r}")
    return Distribution("triangular", (float(low), float(mode), float(high)))


def normal(mean: float, sd: float) -> Distribution:
    if not sd > 0:
        raise ValueError(f"normal: sd = {sd!r} must be positive")
    return Distribution("normal", (float(mean), float(sd)))


def lognormal(median: float, sigma: float) -> Distribution:
    """Lognormal with the given median and ``sigma`` the standard deviation of ln(value) (as stats_arrays' scale)."""
    if not median > 0 or not sigma > 0:
        raise ValueError(f"lognormal: median = {median!r} and sigma = {sigma!r} must be positive")
    return Distribution("lognormal", (float(median), float(sigma)))


def choice(levels: Sequence[str], weights: Sequence[float] | None = None) -> Distribution:
    """A categorical parameter's levels (e.g. grid regions), equally likely unless weighted."""
    if not levels:
        raise ValueError("choice: give at least one level")
    w = None if weights is None else np.asarray(weights, dtype=float) / float(np.sum(weights))
    return Distribution("choice", (tuple(levels), None if w is None else tuple(w)))


@dataclass
class MonteCarloResult:
    """Scores per iteration (iterations, methods), method unit per FU, with the inputs drawn."""

    methods: list[Method]
    units: list[str]
    samples: np.ndarray
    deterministic: np.ndarray  # the study's own score per method
    seed: int
    parameter_samples: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self, percentiles: Sequence[float] = PERCENTILES) -> pd.DataFrame:
        """Per method: deterministic score, mean, sd and the percentiles (method unit per FU)."""
        rows = []
        for m, method in enumerate(self.methods):
            column = self.samples[:, m]
            row = {"method": method_label(method), "unit": self.units[m], "deterministic": self.deterministic[m],
                   "mean": column.mean(), "sd": column.std(ddof=1) if len(column) > 1 else np.nan}
            row.update({f"p{q:g}": v for q, v in zip(percentiles, np.percentile(column, percentiles))})
            rows.append(row)
        return pd.DataFrame(rows)


def monte_carlo(target: LinearEngine | Study | str, iterations: int = 10_000, seed: int = 0,
                parameters: Mapping[Parameter, Distribution] | None = None, background: bool = True,
                methods: Sequence[Method] | None = None, view: str = "attributional",
                progress: bool | None = None, dask: Any = None, estimates: bool = True) -> MonteCarloResult:
    """Monte Carlo of the FU's score per category.

    ``background``: draw the background exchanges (technosphere and biosphere) from their
    distributions (as bw2calc's ``use_distributions=True``). ``parameters``: user distributions of
    study parameters (at most one categorical). ``progress``: a tqdm bar (None: shown on a terminal
    only). ``dask``: a ``distributed.Client``, a scheduler address, or True (a local cluster) to
    spread the background draws over; same result as without. ``estimates``: also draw the study's
    estimated inputs (MFU of estimated stages, EcoLogits' range; ``interpretation.estimates``).
    """
    if iterations < 1:
        raise ValueError(f"iterations = {iterations!r}: give at least 1")
    engine = engine_for(target, methods, view)
    parameters = dict(parameters or {})
    sequence = np.random.SeedSequence(seed)
    chunks = -(-iterations // CHUNK)
    seeds = sequence.spawn(2 * chunks)
    inputs = [i for i in estimated_inputs(engine.study) if i.parameter not in parameters] if estimates else []
    estimate_rng = np.random.default_rng(sequence.spawn(1)[0]) if inputs else None  # after the others: their seeds stay
    out = np.empty((iterations, len(engine.methods)))
    drawn: dict[str, list[np.ndarray]] = {p.name: [] for p in [*parameters, *(i.parameter for i in inputs)]}
    bar = tqdm(total=iterations, desc="Monte Carlo", unit="it", disable=None if progress is None else not progress)
    try:
        for c in range(chunks):
            start, stop = c * CHUNK, min(iterations, (c + 1) * CHUNK)
            n = stop - start
            rng = np.random.default_rng(seeds[2 * c])
            values = {p: d.sample(rng, n) for p, d in parameters.items()}
            if estimate_rng is not None:
                values.update(draw_estimated([inputs], n, estimate_rng)[0])
            for p, v in values.items():
                drawn[p.name].append(v)
            draw = None
            if background:
                draw = engine.draw_background(n, int(seeds[2 * c + 1].generate_state(1)[0]),
                                              gateways=engine.gateway_keys(values), dask=dask)
            if draw is None and not values:
                out[start:stop] = engine.scores()[0]
            else:
                out[start:stop] = engine.scores(values, background=draw)
            bar.update(n)
    finally:
        bar.close()
    return MonteCarloResult(engine.methods, engine.units, out, engine.scores()[0], seed,
                            {name: np.concatenate(v) for name, v in drawn.items()})


def shared_background_draws(engines: Sequence[LinearEngine], iterations: int, seed: int = 0,
                            dask: Any = None) -> list:
    """One draw of the background, shared by several engines (common random numbers): the
    background is drawn and re-solved once per iteration for the union of their gateways, so what
    the systems share gets the same value in each and their difference reflects only what differs.
    The engines must use the same methods and the same background (the first engine's system)."""
    first = engines[0]
    for engine in engines[1:]:
        if engine.methods != first.methods:
            raise ValueError("engines: shared draws need the same methods in every engine")
    gateways = sorted({key for engine in engines for key in engine.gateway_keys()})
    for key in gateways:
        first._column(key)  # EngineError when a gateway is not in the first engine's background
    draw = first.draw_background(iterations, seed, gateways=gateways, dask=dask)
    return [draw] * len(engines)


def paired_samples(studies: Sequence[Study | LinearEngine], iterations: int = 2_000, seed: int = 0,
                   methods: Sequence[Method] | None = None, view: str = "attributional",
                   dask: Any = None) -> list[pd.DataFrame]:
    """Monte Carlo scores of several studies (or their engines) on shared background draws: one
    frame per study, rows = iterations, columns = method labels (method unit per FU)."""
    engines = [engine_for(study, methods, view) for study in studies]
    draws = shared_background_draws(engines, iterations, seed, dask)
    # The estimated inputs (MFU, EcoLogits' range) share their quantiles across the studies too.
    groups = [estimated_inputs(engine.study) for engine in engines]
    values = draw_estimated(groups, iterations, np.random.default_rng(np.random.SeedSequence([seed, 16])))
    frames = []
    for engine, draw, point in zip(engines, draws, values):
        scores = engine.scores(point, background=draw)
        frames.append(pd.DataFrame(scores, columns=[method_label(m) for m in engine.methods]))
    return frames

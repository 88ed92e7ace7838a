"""What the Monte Carlo covers: background only, or background and foreground parameters too.

The background-only run draws the public background's exchanges from their stats_arrays
distributions. The full run draws, in the same iterations, the study's own uncertain parameters:
hardware lifespan, utilization, PUE, WUE and training energy, each uniform over its default
sensitivity range (``sensitivity.default_range``). WUE is drawn only where the study's own WUE is
above 0: a study that states no on-site water (0) keeps it, and the fast engine can only fit its
law from a non-zero base (otherwise it would rebuild the foreground at every draw). Lifetime queries and the grid region are
scenario choices, not measurement uncertainty: they stay in the sensitivity table, not in the
interval. The model card quotes the full interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StudyError
from ..impact.engine import LinearEngine, Parameter
from . import parameters as P
from .sensitivity import default_range
from .uncertainty import Distribution, MonteCarloResult, uniform

logger = logging.getLogger(__name__)

SCOPE_BACKGROUND = "background only"
SCOPE_FULL = "background and foreground parameters"


def foreground_distributions(engine: LinearEngine) -> dict[Parameter, Distribution]:
    """Uniform distributions over the default ranges of the study's foreground parameters; a
    parameter the study cannot vary as one value (hardware entries with different lifespans, say)
    or whose range is a single point is left out (logged)."""
    out: dict[Parameter, Distribution] = {}
    for parameter in (P.lifespan_years(), P.utilization(), P.pue(), P.wue(), P.training_energy_factor()):
        try:
            low, high = default_range(parameter, engine.study)
        except StudyError as error:
            logger.info("Monte Carlo: %s left out (%s)", parameter.name, error)
            continue
        if parameter.name == "WUE" and not float(parameter.base(engine.study)) > 0.0:
            logger.info("Monte Carlo: WUE left out (the study's WUE is 0)")
            continue
        if float(high) > float(low):
            out[parameter] = uniform(float(low), float(high))
    return out


@dataclass(frozen=True)
class UncertaintyScope:
    """Both Monte Carlo summaries (one row per method each, with a ``scope`` column) and the
    statement of what they cover."""

    summary: pd.DataFrame
    statement: pd.DataFrame

    def interval(self, scope: str = SCOPE_FULL) -> pd.DataFrame:
        return self.summary[self.summary["scope"] == scope]


def uncertainty_scope(engine: LinearEngine, iterations: int, seed: int = 0, dask=None) -> UncertaintyScope:
    """Monte Carlo of ``engine``'s study on one background draw (``iterations`` points), evaluated
    twice: background only, then with the foreground parameters of ``foreground_distributions``
    drawn too (common random numbers: the full run differs only by the parameters)."""
    distributions = foreground_distributions(engine)
    background_seed, parameter_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(parameter_seed)
    values = {p: d.sample(rng, iterations) for p, d in distributions.items()}
    draw = engine.draw_background(iterations, int(background_seed.generate_state(1)[0]),
                                  gateways=engine.gateway_keys(values), dask=dask)
    deterministic = engine.scores()[0]
    background = MonteCarloResult(engine.methods, engine.units, engine.scores(background=draw), deterministic, seed)
    full = MonteCarloResult(engine.methods, engine.units, engine.scores(values, background=draw), deterministic, seed,
                            {p.name: v for p, v in values.items()})
    summary = pd.concat([background.summary().assign(scope=SCOPE_BACKGROUND), full.summary().assign(scope=SCOPE_FULL)],
                        ignore_index=True)
    summary = summary[["scope", *[c for c in summary.columns if c != "scope"]]]
    model = engine.background_model()
    entries = int(model.t_mask.sum() + model.b_mask.sum())
    rows = [
        ("covered", "background exchanges",
         f"{entries} uncertain technosphere and elementary exchanges of the background that reach the study "
         "(stats_arrays distributions of the inventory tables)", iterations),
        *[("covered", f"foreground parameter: {p.name}",
           f"uniform {d.params[0]:.4g} to {d.params[1]:.4g} {p.unit} (default sensitivity range)", iterations)
          for p, d in distributions.items()],
        ("not covered", "lifetime queries", "scenario choice: see the sensitivity and break-even tables", 0),
        ("not covered", "grid region", "scenario choice: see the sensitivity table", 0),
        ("not covered", "characterization factors", "the LCIA methods' factors are taken as given", 0),
        ("not covered", "other foreground exchanges",
         "measured or stated energy and hours enter at their values; vary them as parameters", 0),
        ("not covered", "embodied hardware model", "model choice: see the embodied range in the sensitivity table", 0),
    ]
    statement = pd.DataFrame(rows, columns=["coverage", "what", "how", "iterations"])
    return UncertaintyScope(summary, statement)

"""Sensitivity: one-at-a-time ranges (tornado table) and global Sobol indices (SALib).

Both run on the fast engine: every point is array arithmetic on the factorized study, no re-solve.
Ranges are ``{parameter: (low, high)}``; a categorical parameter takes its levels, the first and
last being the tornado's low and high. ``default_ranges`` gives the eight standard parameters.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import load_catalog
from ..errors import BwMllcaError
from ..impact.calculate import method_label
from ..impact.engine import LinearEngine, Method, Parameter, engine_for
from ..scope.study import Study
from . import parameters as P

Range = tuple[Any, ...]

logger = logging.getLogger(__name__)

# High end of the default PUE range: industry-average annual PUE 1.58 (Uptime Institute, Global
# Data Center Survey 2023; verify against the report). Low end: the catalog's best profile.
PUE_INDUSTRY_AVERAGE = 1.58


def default_parameters(study: Study | None = None) -> list[Parameter]:
    """The eight standard parameters: lifetime queries, hardware lifespan, utilization, PUE, WUE,
    grid region, batch size and training energy (for a trained-model study, which has no use, the
    six that do not describe use)."""
    if study is not None and study.use is None:
        return [P.lifespan_years(), P.utilization(), P.pue(), P.wue(), P.grid_region(), P.training_energy_factor()]
    return [P.lifetime_queries(), P.lifespan_years(), P.utilization(), P.pue(), P.wue(), P.grid_region(),
            P.batch_size(), P.training_energy_factor()]


def default_range(parameter: Parameter, study: Study) -> Range:
    """A conventional low/high for a standard parameter around the study's value (see module doc).

    lifetime queries /10 and x10; lifespan x0.5 to x1.5 (at most 30 years); utilization x0.5 to
    x1.5 (at most 1); PUE from the catalog's lowest to max(catalog, 1.58); WUE from 0 to the
    catalog's highest; grid region from the catalog's lowest- to its highest-carbon region;
    batch size /2 and x2; training energy factor 0.5 to 1.5.
    """
    catalog = load_catalog()
    base = parameter.base(study)
    name = parameter.name.split(" (")[0]  # "PUE (train)": a standard parameter narrowed to one target
    if name == "lifetime queries":
        return (base / 10.0, base * 10.0)
    if name == "hardware lifespan":
        return (base * 0.5, min(30.0, base * 1.5))
    if name == "utilization":
        return (base * 0.5, min(1.0, base * 1.5))
    if name == "PUE":
        pues = [p.pue for p in catalog.datacenters.values()]
        return (min(base, *pues), max(base, PUE_INDUSTRY_AVERAGE, *pues))
    if name == "WUE":
        wues = [p.wue_onsite_l_per_kwh for p in catalog.datacenters.values() if p.wue_onsite_l_per_kwh is not None]
        return (0.0, max(base, *wues))
    if name == "grid region":
        by_carbon = sorted(catalog.regions.values(), key=lambda r: r.gwp100_kg_per_kwh)
        return (by_carbon[0].code, by_carbon[-1].code)
    if name == "batch size":
        return (base / 2.0, base * 2.0)
    if name == "training energy":
        return (0.5, 1.5)
    raise ValueError(f"parameter {name!r}: no default range, give (low, high)")


def default_ranges(study: Study, parameters: Sequence[Parameter] | None = None) -> dict[Parameter, Range]:
    return {p: default_range(p, study) for p in (parameters or default_parameters(study))}


def _ranges(engine: LinearEngine, ranges: Mapping[Parameter, Range] | None) -> dict[Parameter, Range]:
    ranges = dict(ranges) if ranges is not None else default_ranges(engine.study)
    for parameter, values in ranges.items():
        if len(values) < 2:
            raise ValueError(f"range of {parameter.name!r} = {values!r}: give (low, high) or at least two levels")
    return ranges


def tornado(target: LinearEngine | Study | str, ranges: Mapping[Parameter, Range] | None = None,
            methods: Sequence[Method] | None = None, view: str = "attributional") -> pd.DataFrame:
    """One-at-a-time sensitivity: each parameter at its low and high, the others at the study's values.

    Columns: parameter, parameter_unit, base_value, low_value, high_value, method, unit, base_score,
    low_score, high_score (method unit per FU), swing (|high - low|), relative_swing (swing /
    |base|) and note. Sorted per method by swing, largest first (the tornado's order).

    Without ``ranges``, the standard parameters are fitted to the study (``narrowing``): split per
    target where targets differ, a linked grid kept, an invalid end narrowed; a parameter that still
    cannot be evaluated has NaN scores and the reason in ``note``. Given ``ranges`` are used as
    they are (an invalid value raises StudyError).
    """
    from .narrowing import narrowed_end, study_parameters

    engine = engine_for(target, methods, view)
    base = engine.scores()[0]
    rows = []

    def add(parameter_name: str, unit: str, base_value: Any, low: Any, high: Any, scores: np.ndarray | None, note: str) -> None:
        for m, method in enumerate(engine.methods):
            low_score, high_score = (scores[0, m], scores[1, m]) if scores is not None else (np.nan, np.nan)
            swing = abs(high_score - low_score)
            rows.append({
                "parameter": parameter_name, "parameter_unit": unit, "base_value": base_value,
                "low_value": low, "high_value": high, "method": method_label(method), "unit": engine.units[m],
                "base_score": base[m], "low_score": low_score, "high_score": high_score, "swing": swing,
                "relative_swing": swing / abs(base[m]) if base[m] != 0.0 else np.nan, "note": note,
            })

    if ranges is not None:
        for parameter, values in _ranges(engine, ranges).items():
            low, high = values[0], values[-1]
            add(parameter.name, parameter.unit, parameter.base(engine.study), low, high, _ends(engine, parameter, low, high), "")
    else:
        for fitted in study_parameters(engine.study):
            parameter, notes = fitted.parameter, [fitted.note] if fitted.note else []
            if parameter is None:
                add(fitted.name, "", np.nan, np.nan, np.nan, None, "; ".join(notes))
                continue
            try:
                base_value = parameter.base(engine.study)
                low, high = default_range(parameter, engine.study)
                if not parameter.categorical:
                    ends = [narrowed_end(engine.study, parameter, float(base_value), float(end)) for end in (low, high)]
                    notes += [note for _, note in ends if note]
                    low, high = (end if end is not None else float(base_value) for end, _ in ends)
                scores = _ends(engine, parameter, low, high)
            except (BwMllcaError, ValueError) as error:  # not evaluable on this study: say why, go on
                logger.warning("sensitivity: %s not varied: %s", fitted.name, error)
                add(fitted.name, parameter.unit, np.nan, np.nan, np.nan, None, "; ".join([*notes, f"not varied: {error}"]))
                continue
            add(parameter.name, parameter.unit, base_value, low, high, scores, "; ".join(notes))
    frame = pd.DataFrame(rows)
    order = {method_label(m): i for i, m in enumerate(engine.methods)}
    return frame.sort_values(["method", "swing"], ascending=[True, False], key=lambda c: c.map(order) if c.name == "method" else c,
                             kind="stable").reset_index(drop=True)


def _ends(engine: LinearEngine, parameter: Parameter, low: Any, high: Any) -> np.ndarray:
    """Scores (2 x methods) with ``parameter`` at ``low`` and at ``high``."""
    return engine.scores({parameter: np.array([low, high], dtype=object if parameter.categorical else float)})


def sobol_indices(target: LinearEngine | Study | str, ranges: Mapping[Parameter, Range] | None = None,
                  samples: int = 1024, seed: int = 0, methods: Sequence[Method] | None = None,
                  view: str = "attributional") -> pd.DataFrame:
    """Global sensitivity: first-order (S1) and total (ST) Sobol indices per parameter and category.

    Numeric parameters are uniform over (low, high), log-uniform when high/low >= 10 (lifetime
    queries); a categorical one picks among its levels with equal probability. ``samples`` is
    SALib's base sample size N (a power of 2); the model is evaluated N x (parameters + 2) times on
    the fast engine. Columns: parameter, method, unit, S1, S1_conf, ST, ST_conf (NaN for a category
    whose score does not vary).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    engine = engine_for(target, methods, view)
    ranges = _ranges(engine, ranges)
    params = list(ranges)
    bounds, logs = [], []
    for p in params:
        values = ranges[p]
        if p.categorical:
            bounds.append([0.0, float(len(values))])
            logs.append(False)
        else:
            low, high = float(values[0]), float(values[-1])
            log = low > 0 and high / low >= 10.0
            bounds.append([np.log10(low), np.log10(high)] if log else [low, high])
            logs.append(log)
    problem = {"num_vars": len(params), "names": [p.name for p in params], "bounds": bounds}
    x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    values: dict[Parameter, np.ndarray] = {}
    for i, p in enumerate(params):
        if p.categorical:
            levels = np.asarray(ranges[p], dtype=object)
            values[p] = levels[np.minimum(x[:, i].astype(int), len(levels) - 1)]
        else:
            values[p] = 10.0 ** x[:, i] if logs[i] else x[:, i]
    y = engine.scores(values)
    rows = []
    for m, method in enumerate(engine.methods):
        column = y[:, m]
        if np.ptp(column) <= 1e-12 * max(abs(column).max(), 1e-300):
            result = {k: np.full(len(params), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = sobol_analyze.analyze(problem, column, calc_second_order=False, seed=seed)
        for i, p in enumerate(params):
            rows.append({"parameter": p.name, "method": method_label(method), "unit": engine.units[m],
                         "S1": float(result["S1"][i]), "S1_conf": float(result["S1_conf"][i]),
                         "ST": float(result["ST"][i]), "ST_conf": float(result["ST_conf"][i])})
    return pd.DataFrame(rows)

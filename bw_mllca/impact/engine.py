"""The fast linear engine: sweeps and Monte Carlo over a study without re-solving bw2calc per point.

LCA is linear in exchange amounts. Between two points of a sweep only the foreground changes (the
study's own activities: a small acyclic graph); the background is factorized once (StudySystem)
and enters through the unit scores h[m, g] of the background activities g that the foreground asks
for ("gateways": grid electricity, hardware manufacture, end of life). For one point:

    score[m] = sum_g s_g(point) h[m, g] + sum_f e_f(point) c[m, f]       (method unit per FU)

where s_g (units of gateway g) and e_f (the foreground's own elementary flows, e.g. on-site water)
come from propagating one FU down the foreground with that point's exchange amounts: array
arithmetic over all points at once.

How a study value becomes exchange amounts is not re-implemented here: the builder
(``foreground_of``) is probed. A ``Parameter`` sets study fields; each foreground amount is fitted
as a power law of it, a = c p^k (k = -1 for a lifespan or lifetime queries, 1 for PUE, 0 when not
touched), or else as a rational form c (alpha + beta p) / (1 + delta p) (idle share enters as
s / (1 - s), idle power affinely). The fit comes from the base and two or three probe builds and
is checked on the remaining probes (five per parameter), on one joint build (parameters combine
multiplicatively) and on a build at each end of every range evaluated. An exchange may appear or
vanish (the idle activity at idle_share = 0) where its activity is not reached. Where no law
holds, the level is "tabulated": the builder is run at each distinct point (cached, ~3 ms each),
exact for any numeric study field. A categorical parameter (grid region) gets one probed
foreground per level. Amounts are rounded to float32 as Brightway stores them (``float32=True``),
so the engine equals a fresh bw2calc solve of the rebuilt database to round-off.

Background uncertainty (``draw_background``): the technosphere and biosphere entries of the
background that can reach the gateways are drawn from their stats_arrays distributions, as
bw2calc's ``use_distributions=True`` does, and each draw's gateway unit scores h(draw) come from a
re-solve of the drawn background (``sampling.BackgroundModel``), computed once per draw and shared
by every foreground point of that draw and by every study on the same background.
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BwMllcaError, StudyError
from ..scope.study import Study
from .system import Method, StudySystem

logger = logging.getLogger(__name__)

Key = tuple[str, str]
ExchangeKey = tuple[Key, Key, str, int]  # (output, input, type, occurrence)
Value = float | str

REL_TOL = 1e-9  # agreement required between a fitted power law and a probe build
POINTS_PER_BLOCK = 131_072  # points evaluated together (temporaries stay near cache; measured best of 4k-1M)


class EngineError(BwMllcaError):
    """A parameter the fast engine cannot represent, or a background it cannot sample."""


@dataclass(frozen=True, eq=False)
class Parameter:
    """A named study value that a sweep or a Monte Carlo varies.

    ``setter(data, value, study)`` writes the value into ``data``, the dict form of ``study``;
    ``base(study)`` is the study's own value; ``fields`` names the study fields set (for messages);
    ``levels`` lists the allowed values of a categorical parameter (None: numeric).
    """

    name: str
    unit: str
    fields: tuple[str, ...]
    setter: Callable[[dict, Any, Study], None]
    base: Callable[[Study], Value]
    levels: tuple[str, ...] | None = None
    probes: tuple[float, ...] = ()  # preferred probe values for the power-law fit (else near base)

    @property
    def categorical(self) -> bool:
        return self.levels is not None

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, unit={self.unit!r})"


# -- the foreground as numbers ---------------------------------------------------------------------

def study_dict(study: Study) -> dict:
    """A study as the plain dict that ``Study.from_dict`` reads back to the same study."""
    return study.model_dump(mode="json", exclude_none=True)


def study_with(study: Study, settings: Mapping[Parameter, Value]) -> Study:
    """The study with each parameter set to its value (validated; StudyError names field and value)."""
    data = study_dict(study)
    for parameter, value in settings.items():
        if parameter.categorical and value not in parameter.levels:  # type: ignore[operator]
            raise StudyError([(", ".join(parameter.fields), value, f"not one of {list(parameter.levels)[:12]}")],
                             f"parameter {parameter.name!r}")
        parameter.setter(data, value, study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plausibility warnings are the study's business, not a probe's
        return Study.from_dict(data, source=f"study {study.study.name!r} with "
                               + ", ".join(f"{p.name} = {v!r}" for p, v in settings.items()),
                               base_dir=study.base_dir)


def foreground_amounts(study: Study) -> tuple[dict[ExchangeKey, float], Key, str]:
    """Every non-production exchange amount the builder writes, exactly (float64), keyed
    (output, input, type, occurrence); with the database name."""
    from ..inventory.foreground import foreground_of

    foreground = foreground_of(study)
    amounts: dict[ExchangeKey, float] = {}
    for output, activity in foreground.data.items():
        seen: dict[tuple[Key, str], int] = {}
        for exc in activity["exchanges"]:
            if exc["type"] == "production":
                if exc["input"] != output or exc["amount"] != 1.0:
                    raise EngineError(f"activity {output}: production exchange {exc['amount']!r}, expected 1")
                continue
            inp = tuple(exc["input"])
            n = seen.get((inp, exc["type"]), 0)
            seen[(inp, exc["type"])] = n + 1
            amounts[(output, inp, exc["type"], n)] = float(exc["amount"])
    return amounts, foreground.database


@dataclass(frozen=True)
class _Factor:
    """How one parameter scales an exchange amount, normalized to 1 at the parameter's base (unless
    the exchange is absent there): a power law (v / ref) ** power, or, where the builder's formula is
    affine in a transformed variable (idle_share: s / (1 - s); idle power: (P + host) / 1000), the
    rational form (alpha + beta v) / (1 + delta v)."""

    index: int
    kind: str  # "power" | "rational"
    a: float  # power: ref;   rational: alpha
    b: float  # power: power; rational: beta
    c: float = 0.0  # rational: delta

    def at(self, value: np.ndarray | float) -> np.ndarray | float:
        if self.kind == "power":
            ref, power = self.a, self.b
            if power == 1.0:
                return value / ref
            if power == -1.0:
                return ref / value
            return (value / ref) ** power
        return (self.a + self.b * value) / (1.0 + self.c * value)


@dataclass
class _Law:
    """a = coef x prod of the factors."""

    coef: float
    factors: list[_Factor] = field(default_factory=list)

    def at(self, values: Sequence[np.ndarray | float]) -> np.ndarray | float:
        amount: np.ndarray | float = self.coef
        for factor in self.factors:
            amount = amount * factor.at(values[factor.index])
        return amount


class _NotALaw(Exception):
    """An exchange amount that neither a power law nor the rational form reproduces on the probes."""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b)) or (a == 0.0 and b == 0.0)


def _probe_values(parameter: Parameter, base: float) -> list[float]:
    if parameter.probes:
        return [p for p in parameter.probes if p != base]
    if base == 0.0:
        return [1.0, 2.0, 0.5, 4.0, 0.25, 0.1, 0.05, 0.2, 0.3, 8.0]
    return [base * f for f in (0.9, 0.8, 1.1, 1.25, 0.7, 0.5, 1.5, 0.99, 1.01, 0.3)]


PROBES_PER_PARAMETER = 5  # two to fit a power law (three the rational form), the rest to check it


def _fit_factor(index: int, p0: float, v0: float, probes: Sequence[tuple[float, float]]) -> tuple[float, _Factor]:
    """(coef, factor) reproducing v0 at p0 and every probe (value, amount) within REL_TOL; _NotALaw if
    neither form does. A power law is tried first (it extrapolates through zero and infinity alike)."""
    points = [(p0, v0), *probes]
    for fitted in (_power_fit(index, p0, v0, probes), _rational_fit(index, p0, v0, probes)):
        if fitted is None:
            continue
        coef, factor = fitted
        if all(_close(coef * float(factor.at(p)), v) for p, v in points):
            return coef, factor
    raise _NotALaw


def _power_fit(index: int, p0: float, v0: float, probes) -> tuple[float, _Factor] | None:
    (p1, v1), (p2, v2) = probes[:2]
    if 0.0 in (v1, v2, p1, p2) or (v1 > 0) != (v2 > 0) or (p1 > 0) != (p2 > 0):
        return None
    power = math.log(v2 / v1) / math.log(p2 / p1)
    if abs(power - round(power)) < 1e-6:
        power = float(round(power))
    if p0 != 0.0:
        return v0, _Factor(index, "power", p0, power)
    if power <= 0:
        return None
    return v1 / p1**power, _Factor(index, "power", 1.0, power)  # absent at a zero base


def _rational_fit(index: int, p0: float, v0: float, probes) -> tuple[float, _Factor] | None:
    """Solve alpha + beta p - delta p a = a on three points; snap alpha to 0 and delta to an integer
    when the snapped form still fits (the builder's own formula then runs in nearly the same
    floating-point operations, so float32 rounding agrees)."""
    points = [(p0, v0), *probes[:2]]
    matrix = np.array([[1.0, p, -p * v] for p, v in points])
    try:
        alpha, beta, delta = np.linalg.solve(matrix, np.array([v for _, v in points]))
    except np.linalg.LinAlgError:
        return None
    scale = max(abs(v) for _, v in points)
    candidates = [(alpha, beta, delta)]
    snapped = (0.0 if abs(alpha) <= 1e-12 * scale else alpha, beta,
               float(round(delta)) if abs(delta - round(delta)) < 1e-9 else delta)
    if snapped != candidates[0]:
        # refit beta (and alpha) with delta fixed: least squares on all probe points
        d = snapped[2]
        rows = [(p, v * (1.0 + d * p)) for p, v in [(p0, v0), *probes]]
        if snapped[0] == 0.0:
            b = sum(p * y for p, y in rows) / sum(p * p for p, _ in rows)
            candidates.insert(0, (0.0, b, d))
        else:
            a_, b_ = np.linalg.lstsq(np.array([[1.0, p] for p, _ in rows]), np.array([y for _, y in rows]), rcond=None)[0]
            candidates.insert(0, (float(a_), float(b_), d))
    for alpha, beta, delta in candidates:
        if not np.all(np.isfinite([alpha, beta, delta])):
            continue
        factor = _Factor(index, "rational", float(alpha), float(beta), float(delta))
        if all(_close(float(factor.at(p)), v) for p, v in [(p0, v0), *probes]):
            if v0 != 0.0:  # normalize to 1 at the base
                return v0, _Factor(index, "rational", float(alpha) / v0, float(beta) / v0, float(delta))
            return 1.0, factor
    return None


def _live_nodes(amounts: Mapping[ExchangeKey, float | np.ndarray], database: str) -> set[Key]:
    """Foreground activities reached from a functional unit through non-zero amounts: only their
    exchanges reach a score (an exchange of an unreached activity may be absent or anything)."""
    from ..inventory.foreground import FU_ATTRIBUTIONAL, FU_CONSUMER

    edges: dict[Key, list[Key]] = {}
    for (out, inp, kind, _), amount in amounts.items():
        if kind == "technosphere" and inp[0] == database and np.any(np.asarray(amount) != 0.0):
            edges.setdefault(out, []).append(inp)
    stack = [(database, FU_ATTRIBUTIONAL), (database, FU_CONSUMER)]
    seen: set[Key] = set(stack)
    while stack:
        for target in edges.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _agrees(predicted: Mapping[ExchangeKey, float], built: Mapping[ExchangeKey, float], database: str) -> ExchangeKey | None:
    """The first exchange of a reached activity where the laws and the builder differ, else None."""
    live = _live_nodes(predicted, database) | _live_nodes(built, database)
    for key in set(predicted) | set(built):
        if key[0] in live and not _close(float(predicted.get(key, 0.0)), built.get(key, 0.0)):
            return key
    return None


class _Level:
    """The probed foreground at one level of the categorical parameter (or with none).

    Each exchange amount is a law (``laws``) in the numeric parameters when the probes allow one;
    when some amount follows neither form, or the parameters do not combine multiplicatively, the
    level is ``tabulated``: the builder is evaluated at each distinct point (cached), which is exact
    for any study field but costs a build (~3 ms) per distinct point.
    """

    def __init__(self, study: Study, numeric: Sequence[Parameter], bases: Sequence[float], fixed: Mapping[Parameter, Value]):
        self.study, self.numeric, self.fixed, self.bases = study, list(numeric), dict(fixed), [float(b) for b in bases]
        base_study = study_with(study, fixed) if fixed else study
        self.amounts, self.database = foreground_amounts(base_study)
        self.tabulated: str | None = None  # why the level is tabulated, else None
        self._table: dict[tuple[float, ...], dict[ExchangeKey, float]] = {tuple(bases): self.amounts}
        seen_keys = set(self.amounts)
        laws: dict[ExchangeKey, _Law] = {key: _Law(a) for key, a in self.amounts.items()}
        joint: dict[Parameter, Value] = dict(fixed)
        for index, (parameter, p0) in enumerate(zip(numeric, bases)):
            probes = self._probes(study, parameter, p0, fixed)
            for value, amounts in probes:
                point = list(bases)
                point[index] = value
                self._table[tuple(point)] = amounts
                seen_keys |= set(amounts)
            joint[parameter] = probes[0][0]
            if self.tabulated:
                continue
            why = self._fit_parameter(laws, index, parameter, p0, probes)
            if why:
                self.tabulated = why
        self.laws = laws
        if not self.tabulated and len(numeric) > 1:
            self.tabulated = self._check_joint(study, joint, numeric)
        if self.tabulated:
            logger.info("fast engine: %s; the foreground is built at each distinct point", self.tabulated)
        self.keys = sorted(seen_keys) if self.tabulated else list(laws)

    @staticmethod
    def _probes(study, parameter, p0, fixed) -> list[tuple[float, dict[ExchangeKey, float]]]:
        found = []
        for value in _probe_values(parameter, p0):
            try:
                probed = study_with(study, {**fixed, parameter: value})
            except StudyError:
                continue
            found.append((value, foreground_amounts(probed)[0]))
            if len(found) == PROBES_PER_PARAMETER:
                return found
        if len(found) < 3:
            raise EngineError(f"parameter {parameter.name!r} (base {p0!r}): found only {len(found)} valid probe "
                              f"values among {_probe_values(parameter, p0)}; give the parameter probes=")
        return found

    def _fit_parameter(self, laws, index, parameter, p0, probes) -> str | None:
        """Add this parameter's factor to every law it touches; the reason when it cannot."""
        database = self.database
        keys = set(self.amounts).union(*(a for _, a in probes))
        for key in keys:
            v0 = self.amounts.get(key, 0.0)
            values = [(p, a.get(key, 0.0)) for p, a in probes]
            if all(v == v0 for _, v in values):
                continue
            where = f"parameter {parameter.name!r}, exchange {key[0][1]} -> {key[1][1]}"
            present = [key in a for _, a in probes] + [key in self.amounts]
            if not all(present):
                # appears or vanishes with the parameter: a law only if where it is absent its
                # activity is not reached (checked in _check_points); fit on the probes where present
                if key not in self.amounts or sum(present) < 4:
                    return f"{where}: the exchange appears or vanishes"
                values = [(p, v) for (p, a), (_, v) in zip(probes, values) if key in a]
            try:
                coef, factor = _fit_factor(index, p0, v0, values)
            except _NotALaw:
                return f"{where}: neither a power law nor rational in the parameter"
            law = laws.setdefault(key, _Law(0.0))
            if v0 != 0.0:
                law.factors.append(factor)
            elif law.coef == 0.0 and not law.factors:
                law.coef, law.factors = coef, [factor]
            else:
                return f"{where}: absent at the base and touched by several parameters"
        # the laws must reproduce every probe build on the activities that probe reaches
        for value, amounts in probes:
            values = list(self.bases)
            values[index] = value
            predicted = {key: float(law.at(values)) for key, law in laws.items()}
            bad = _agrees(predicted, amounts, database)
            if bad is not None:
                return f"parameter {parameter.name!r}, exchange {bad[0][1]} -> {bad[1][1]}: the laws miss the build at {value!r}"
        return None

    def _check_joint(self, study, joint, numeric) -> str | None:
        amounts, _ = foreground_amounts(study_with(study, joint))
        values = [float(joint[p]) for p in numeric]
        self._table[tuple(values)] = amounts
        predicted = {key: float(law.at(values)) for key, law in self.laws.items()}
        bad = _agrees(predicted, amounts, self.database)
        if bad is not None:
            names = ", ".join(p.name for p in numeric)
            return f"exchange {bad[0][1]} -> {bad[1][1]}: parameters {names} do not combine multiplicatively"
        return None

    def check_extremes(self, arrays: Sequence[np.ndarray]) -> None:
        """Build the foreground at each parameter's extremes (the others at their base) and compare
        with the laws: a law fitted near the base must still hold at the ends of the range (a
        builder formula may change branch there); if not, the level becomes tabulated."""
        if self.tabulated:
            return
        bases = self.bases
        for index, (parameter, array) in enumerate(zip(self.numeric, arrays)):
            for extreme in {float(array.min()), float(array.max())}:
                values = list(bases)
                values[index] = extreme
                if tuple(values) in self._table:
                    continue
                amounts = self.built(values)
                predicted = {key: float(law.at(values)) for key, law in self.laws.items()}
                bad = _agrees(predicted, amounts, self.database)
                if bad is not None:
                    self.tabulated = (f"parameter {parameter.name!r}, exchange {bad[0][1]} -> {bad[1][1]}: the law "
                                      f"fitted near the base misses the build at {extreme!r}")
                    self.keys = sorted(set(self.keys).union(*self._table.values()))
                    logger.info("fast engine: %s; the foreground is built at each distinct point", self.tabulated)
                    return

    def built(self, values: Sequence[float]) -> dict[ExchangeKey, float]:
        """The builder's amounts at one point (cached); StudyError names field and value if invalid."""
        point = tuple(float(v) for v in values)
        if point not in self._table:
            settings = {**self.fixed, **dict(zip(self.numeric, point))}
            self._table[point] = foreground_amounts(study_with(self.study, settings))[0]
        return self._table[point]

    def amounts_at(self, values: Sequence[np.ndarray | float], float32: bool) -> dict[ExchangeKey, np.ndarray | float]:
        if self.tabulated:
            return self._tabulated_at(values, float32)
        out: dict[ExchangeKey, np.ndarray | float] = {}
        for key, law in self.laws.items():
            amount = law.at([np.asarray(v, dtype=float) for v in values])
            if np.ndim(amount) == 1 and len(amount) == 1:
                amount = float(amount[0])
            if float32:
                amount = np.asarray(amount, dtype=np.float32).astype(np.float64)
            out[key] = amount if np.ndim(amount) else float(amount)
        return out

    def _tabulated_at(self, values: Sequence[np.ndarray | float], float32: bool) -> dict[ExchangeKey, np.ndarray | float]:
        """Amounts per point from one build per distinct point (grouped with np.unique)."""
        if not self.numeric:
            points, inverse = np.zeros((1, 0)), np.zeros(1, dtype=int)
        else:
            arrays = [np.atleast_1d(np.asarray(v, dtype=float)) for v in values]
            n = max(len(a) for a in arrays)
            stacked = np.column_stack([np.broadcast_to(a, (n,)) for a in arrays])
            points, inverse = np.unique(stacked, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
        if len(points) > 1000:
            logger.info("fast engine: building the foreground at %d distinct points", len(points))
        tables = [self.built(point) for point in points]
        keys = sorted(set(self.keys).union(*tables))
        self.keys = keys
        out: dict[ExchangeKey, np.ndarray | float] = {}
        for key in keys:
            column = np.array([t.get(key, 0.0) for t in tables])
            if float32:
                column = column.astype(np.float32).astype(np.float64)
            out[key] = float(column[0]) if len(column) == 1 else column[inverse]
        return out


# -- the engine --------------------------------------------------------------------------------------

@dataclass
class BackgroundDraw:
    """Draws of the background: ``scores`` (draws, methods, gateways), the unit score of each
    gateway activity (ids in ``gateways``) per method in each draw."""

    gateways: tuple[int, ...]
    scores: np.ndarray
    seed: int | None
    methods: tuple[Method, ...] = ()

    def __len__(self) -> int:
        return self.scores.shape[0]

    def take(self, mask: np.ndarray) -> BackgroundDraw:
        return BackgroundDraw(self.gateways, self.scores[mask], self.seed, self.methods)


class LinearEngine:
    """One built study, factorized once, evaluated at many parameter points as array arithmetic.

    ``scores(values)`` returns FU scores (points x methods), each in its method's unit per FU,
    for the view ('attributional' or 'consumer'). ``study`` is built first if needed (idempotent).
    """

    def __init__(self, study: Study, methods: Sequence[Method] | None = None, view: str = "attributional",
                 system: StudySystem | None = None):
        from ..inventory.foreground import FU_CODES, build
        from .calculate import DEFAULT_METHODS

        if view == "attributional" and study.views == ("training",):
            view = "training"  # a trained-model functional unit has one view: its development
        if view not in study.views:
            raise ValueError(f"view = {view!r}: this study has the views {', '.join(map(repr, study.views))}")
        self.study = study
        self.view = view
        self._fu_code = FU_CODES[view]
        if system is None:
            from .calculate import system_for  # checks the build is complete and current

            build(study)
            system = system_for(study, methods)
        self.system = system
        self.methods: list[Method] = list(system.methods)
        self.units = [system.method_units[m] for m in self.methods]
        self._levels: dict[tuple, _Level] = {}
        self._gateway_scores: dict[Key, np.ndarray] = {}  # gateway key -> h[m]
        self._flow_factors: dict[Key, np.ndarray] = {}  # flow key -> c[m]
        self._models: dict[tuple[int, ...], Any] = {}

    # -- structure -----------------------------------------------------------------------------
    def base_values(self, parameters: Sequence[Parameter]) -> list[Value]:
        return [p.base(self.study) for p in parameters]

    def _level(self, numeric: Sequence[Parameter], categorical: Parameter | None, level: Value | None) -> _Level:
        key = (tuple(p.name for p in numeric), categorical.name if categorical else None, level)
        if key not in self._levels:
            bases = [float(b) for b in self.base_values(numeric)]
            fixed = {categorical: level} if categorical is not None else {}
            self._levels[key] = _Level(self.study, numeric, bases, fixed)
        return self._levels[key]

    def _node_id(self, key: Key) -> int:
        import bw2data as bd

        try:
            return bd.get_id(key)
        except Exception:  # bw2data's UnknownObject
            raise EngineError(f"activity {key} does not exist in project {bd.projects.current!r}") from None

    def _column(self, key: Key) -> int:
        column = self.system.col.get(self._node_id(key))
        if column is None:
            raise EngineError(f"activity {key} is not in the matrices of {self.system.database!r}")
        return column

    def gateway_scores(self, key: Key) -> np.ndarray:
        """Unit score of one background activity per method (method unit per unit of activity)."""
        if key not in self._gateway_scores:
            col = self._column(key)
            self._gateway_scores[key] = np.array([self.system.unit_scores[m][col] for m in self.methods])
        return self._gateway_scores[key]

    def flow_factors(self, key: Key) -> np.ndarray:
        """Characterization factor of one elementary flow per method (float32, as bw2calc holds it)."""
        if key not in self._flow_factors:
            import bw2data as bd

            flow_id = bd.get_id(key)
            row = self.system.lca.dicts.biosphere.get(flow_id)
            if row is not None:
                factors = [self.system.characterization[m][row] for m in self.methods]
            else:  # a flow only a probe uses: read the factor from the method itself
                factors = []
                for method in self.methods:
                    table = {(tuple(f) if isinstance(f, list) else f): cf for f, cf, *_ in bd.Method(method).load()}
                    cf = table.get(flow_id, table.get(key, 0.0))
                    factors.append(float(np.float32(cf["amount"] if isinstance(cf, dict) else cf)))
            self._flow_factors[key] = np.array(factors, dtype=float)
        return self._flow_factors[key]

    # -- evaluation ----------------------------------------------------------------------------
    def scores(self, values: Mapping[Parameter, Any] | None = None, *, background: BackgroundDraw | None = None,
               float32: bool = True) -> np.ndarray:
        """FU scores at the given points: an array (points, methods), method unit per FU.

        ``values`` maps parameters to arrays of equal length (or scalars); categorical parameters
        take arrays of level names. Without values: one point, the study as it is. ``background``:
        one draw of the background per point (``draw_background``). Every numeric range is
        validated (its minimum and maximum are built), so an impossible value raises StudyError
        naming the field and the value.
        """
        values = dict(values or {})
        categorical = [p for p in values if p.categorical]
        if len(categorical) > 1:
            raise EngineError(f"one categorical parameter at a time, got {[p.name for p in categorical]}")
        numeric = [p for p in values if not p.categorical]
        arrays = [np.atleast_1d(np.asarray(values[p], dtype=float)) for p in numeric]
        lengths = {len(a) for a in arrays if len(a) != 1}
        if categorical:
            cat = np.atleast_1d(np.asarray(values[categorical[0]], dtype=object))
            if len(cat) != 1:
                lengths.add(len(cat))
        if len(lengths) > 1:
            raise ValueError(f"values: arrays of different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else (len(background) if background is not None else 1)
        if background is not None and len(background) != n:
            raise ValueError(f"background: {len(background)} draws for {n} points")
        for parameter, array in zip(numeric, arrays):
            if not np.all(np.isfinite(array)):
                raise StudyError([(", ".join(parameter.fields), "nan/inf", "not a finite number")], parameter.name)
            for extreme in {float(array.min()), float(array.max())}:
                study_with(self.study, {parameter: extreme})  # raises StudyError on an invalid value
        if not categorical:
            level = self._level(numeric, None, None)
            level.check_extremes(arrays)
            return self._evaluate_chunked(level, arrays, n, background, float32)
        out = np.empty((n, len(self.methods)))
        cat = np.broadcast_to(cat, (n,))
        for level in dict.fromkeys(cat.tolist()):
            mask = cat == level
            sub = [a if len(a) == 1 else a[mask] for a in arrays]
            draw = background.take(mask) if background is not None else None
            probed = self._level(numeric, categorical[0], level)
            probed.check_extremes(sub)
            out[mask] = self._evaluate_chunked(probed, sub, int(mask.sum()), draw, float32)
        return out

    def _evaluate_chunked(self, level: _Level, arrays: list[np.ndarray], n: int, background: BackgroundDraw | None,
                          float32: bool) -> np.ndarray:
        """``_evaluate`` over blocks of ``POINTS_PER_BLOCK`` points, written into one output: the
        temporaries of a block stay in cache, so memory traffic is about the output's own size."""
        if n <= POINTS_PER_BLOCK:
            return self._evaluate(level, arrays, n, background, float32)
        out = np.empty((n, len(self.methods)))
        for start in range(0, n, POINTS_PER_BLOCK):
            stop = min(n, start + POINTS_PER_BLOCK)
            block = [a if len(a) == 1 else a[start:stop] for a in arrays]
            draw = background.take(slice(start, stop)) if background is not None else None
            self._evaluate(level, block, stop - start, draw, float32, out=out[start:stop])
        return out

    def _evaluate(self, level: _Level, arrays: list[np.ndarray], n: int, background: BackgroundDraw | None,
                  float32: bool, out: np.ndarray | None = None) -> np.ndarray:
        """Unit scores bottom-up through the foreground: y[node] = sum over its exchanges of amount x
        (y[input] | h[gateway] | c[flow]). A node whose inputs are all fixed keeps one vector
        (methods,); only what varies becomes (points, methods)."""
        amounts = level.amounts_at(arrays, float32)
        database = level.database
        fu = (database, self._fu_code)
        edges: dict[Key, list[tuple[Key, str, ExchangeKey]]] = {}
        for key in amounts:
            edges.setdefault(key[0], []).append((key[1], key[2], key))
        order = _topological(fu, edges, database)
        gateways = {target for node in order for target, kind, _ in edges.get(node, ())
                    if kind == "technosphere" and target[0] != database}
        h: dict[Key, np.ndarray] = {g: self.gateway_scores(g) for g in gateways}
        if background is not None and gateways:
            if background.methods and list(background.methods) != self.methods:
                raise EngineError("background: drawn for other methods than this engine's")
            index = {g: i for i, g in enumerate(background.gateways)}
            for g in gateways:
                i = index.get(self._node_id(g))
                if i is None:
                    raise EngineError(f"background: the draw has no scores for gateway {g}; draw it with "
                                      "gateways=engine.gateway_keys(values)")
                h[g] = background.scores[:, :, i]
        y: dict[Key, np.ndarray] = {}
        for node in reversed(order):
            result = out if node == fu else None  # the functional unit's scores go straight into the output
            terms = []
            for target, kind, key in edges.get(node, ()):
                if kind == "biosphere":
                    unit = self.flow_factors(target)
                elif target[0] == database:
                    unit = y[target]
                else:
                    unit = h[target]
                terms.append((amounts[key], unit))
            y[node] = _accumulate(terms, n, len(self.methods), out=result)
        if out is None:
            return np.array(np.broadcast_to(y[fu], (n, len(self.methods))))
        if y[fu] is not out:
            out[...] = y[fu]  # every term fixed: one vector for all points
        return out

    # -- background uncertainty ----------------------------------------------------------------
    def gateway_keys(self, values: Mapping[Parameter, Any] | None = None) -> list[Key]:
        """The background activities the foreground asks for at these points (every level of a
        categorical parameter they use), sorted."""
        values = dict(values or {})
        numeric = [p for p in values if not p.categorical]
        categorical = [p for p in values if p.categorical]
        if categorical:
            levels = [self._level(numeric, categorical[0], level)
                      for level in dict.fromkeys(np.atleast_1d(np.asarray(values[categorical[0]], dtype=object)).tolist())]
        else:
            levels = [self._level(numeric, None, None)]
        keys = {key[1] for level in levels for key in level.keys
                if key[2] == "technosphere" and key[1][0] != level.database}
        return sorted(keys)

    def background_model(self, gateways: Sequence[Key] | None = None) -> Any:
        """The part of the background that reaches ``gateways`` (default: the study's own), with
        its uncertain entries (``sampling.BackgroundModel``); made once per gateway set."""
        from .sampling import BackgroundModel, matrix_entries

        ids = tuple(sorted(self._node_id(g) for g in (gateways if gateways is not None else self.gateway_keys())))
        if ids not in self._models:
            system = self.system
            technosphere, biosphere = matrix_entries(system.lca.technosphere_mm), matrix_entries(system.lca.biosphere_mm)
            foreground = np.array(sorted(system.col[n.id] for n in system.nodes.values()))
            for name, entries in (("technosphere", technosphere), ("elementary", biosphere)):
                uncertain = entries.cols[entries.params["uncertainty_type"] > 1]
                if np.isin(uncertain, foreground).any():
                    raise EngineError(f"database {system.database!r} has uncertain foreground {name} exchanges: "
                                      "the engine varies the foreground through parameters only")
            self._check_characterization()
            cf = np.column_stack([system.characterization[m] for m in self.methods])
            self._models[ids] = BackgroundModel(system.A, system.B, cf, system._col_of_row,
                                                [system.col[i] for i in ids], technosphere, biosphere,
                                                excluded=foreground)
            self._models[ids].gateway_ids = ids
        return self._models[ids]

    def _check_characterization(self) -> None:
        import bw2data as bd

        for method in self.methods:
            for row in bd.Method(method).load():
                if len(row) > 1 and isinstance(row[1], dict) and row[1].get("uncertainty type", 0) > 1:
                    raise EngineError(f"method {method!r} has uncertain characterization factors: not sampled by "
                                      "the fast engine; use bw2calc's MonteCarlo")

    def draw_background(self, n: int, seed: int | None = None, gateways: Sequence[Key] | None = None,
                        dask: Any = None) -> BackgroundDraw:
        """``n`` seeded draws of the background (technosphere and biosphere entries that reach the
        gateways) and the gateway unit scores each gives. ``gateways``: default the study's own
        (``gateway_keys``). ``dask``: a ``distributed.Client`` (or True for a local cluster) to
        spread the draws over; the result is the same as without."""
        from .distributed import sample_scores

        model = self.background_model(gateways)
        return BackgroundDraw(model.gateway_ids, sample_scores(model, n, seed, dask), seed, tuple(self.methods))


def _accumulate(terms: list[tuple[np.ndarray | float, np.ndarray]], n: int, methods: int,
                out: np.ndarray | None = None) -> np.ndarray:
    """sum of amount x unit over the terms: (methods,) while every term is fixed, else one
    (points, methods) array, written into ``out`` when given.

    The common case, amounts that vary per point times fixed unit vectors, is one matrix product
    [amounts..., 1] @ [units..., fixed]: the (points, methods) result is written once, which is what
    keeps a sweep near the cost of writing its output."""
    fixed = np.zeros(methods)
    columns: list[np.ndarray] = []  # amounts varying per point whose unit is fixed
    rows: list[np.ndarray] = []  # their unit vectors
    rest: list[np.ndarray] = []  # terms whose unit itself varies per point
    for amount, unit in terms:
        if np.ndim(unit) == 1:
            if np.ndim(amount) == 0:
                fixed += float(amount) * unit
            else:
                columns.append(np.asarray(amount, dtype=float))
                rows.append(unit)
        else:
            rest.append((float(amount) if np.ndim(amount) == 0 else np.asarray(amount)[:, None]) * unit)
    if not columns and not rest:
        return fixed
    target = out if out is not None else np.empty((n, methods))
    if columns:
        left = np.empty((n, len(columns) + 1))
        for j, column in enumerate(columns):
            left[:, j] = column
        left[:, -1] = 1.0
        np.matmul(left, np.vstack([*rows, fixed]), out=target)
    else:
        target[...] = fixed
    for term in rest:
        target += term
    return target


def _topological(start: Key, edges: Mapping[Key, list], database: str) -> list[Key]:
    """Foreground nodes reachable from ``start``, each before the nodes it consumes."""
    order: list[Key] = []
    state: dict[Key, int] = {}
    stack: list[tuple[Key, bool]] = [(start, False)]
    while stack:
        node, done = stack.pop()
        if done:
            state[node] = 2
            order.append(node)
            continue
        if state.get(node) == 2:
            continue
        if state.get(node) == 1:
            raise EngineError(f"the foreground has a loop through {node[1]!r}: not supported by the fast engine")
        state[node] = 1
        stack.append((node, True))
        for target, kind, _ in edges.get(node, ()):
            if kind == "technosphere" and target[0] == database and state.get(target) != 2:
                if state.get(target) == 1:
                    raise EngineError(f"the foreground has a loop through {target[1]!r}")
                stack.append((target, False))
    return order[::-1]


def engine_for(target: LinearEngine | Study | str | Any, methods: Sequence[Method] | None = None,
               view: str = "attributional") -> LinearEngine:
    """An engine for a study (a Study, a study file, or an engine already made for this view)."""
    if isinstance(target, LinearEngine):
        if target.view != view and not (view == "attributional" and target.view == "training"):
            raise ValueError(f"view = {view!r}, but the engine given was made for view {target.view!r}")
        if methods is not None and list(methods) != target.methods:
            raise ValueError("methods: the engine given was made for other methods; make a new engine")
        return target
    study = target if isinstance(target, Study) else Study.from_file(target)
    return LinearEngine(study, methods, view)

"""The background a study stands on: bw_mllca's public data, or an ecoinvent version and system model.

``background = "ecoinvent-3.10-cutoff"`` names a version (3.9, 3.10, 3.11; "3.9.1" and "3.10.1" are
their point releases) and a system model (cutoff, apos, consequential), in the form bw2io's
``import_ecoinvent_release`` names the database it writes. The project's database defaults to that
name (``background_database`` names another). A prospective study names premise-generated databases
(ecoinvent-shaped, same version and system model) by year in ``background_scenarios``; a gateway is
then interpolated linearly between the two scenario years around each year the study asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PUBLIC = "mllca background"  # the public-data background setup writes (inventory.background.BACKGROUND)
SYSTEM_MODEL_LABELS = {"cutoff": "cut-off", "apos": "APOS", "consequential": "consequential"}  # as results name them
_SPEC = re.compile(r"ecoinvent-(?P<version>\d+(?:\.\d+)+)-(?P<model>[A-Za-z-]+)")


def parse_background(spec: str) -> tuple[str, str] | None:
    """(version, system model) of an ecoinvent background, None for the public one; ValueError otherwise.
    Versions and system models are the mapping's (``ecoinvent.mapping``), which normalizes them."""
    if spec == PUBLIC:
        return None
    # imported here: the study schema imports this module, and needs the mapping (and pandas) only now
    from .mapping import SYSTEM_MODELS, VERSIONS, normalize_system_model, normalize_version

    found = _SPEC.fullmatch(spec.strip())
    try:
        if found is None:
            raise ValueError(spec)
        return normalize_version(found["version"]), normalize_system_model(found["model"])
    except ValueError:
        raise ValueError(f"unknown background {spec!r}: give {PUBLIC!r} (public data) or 'ecoinvent-<version>-<system "
                         f"model>' with version {', '.join(VERSIONS)} (a point release such as 3.10.1 is its version) "
                         f"and system model {', '.join(SYSTEM_MODELS)}, e.g. 'ecoinvent-3.10-cutoff'") from None


@dataclass(frozen=True)
class BackgroundChoice:
    """A study's background: which data, in which databases of the project, for which years."""

    spec: str
    version: str | None = None  # None: bw_mllca's public data
    system_model: str | None = None
    database: str = PUBLIC  # the ecoinvent database (without scenarios)
    scenarios: Mapping[int, str] = field(default_factory=dict)  # year -> premise database
    year: int | None = None  # the year of every gateway that names none of its own

    @property
    def is_public(self) -> bool:
        return self.version is None

    @property
    def databases(self) -> tuple[str, ...]:
        """Every database the gateways link to."""
        return tuple(self.scenarios[y] for y in sorted(self.scenarios)) if self.scenarios else (self.database,)

    @property
    def label(self) -> str:
        """How results name the background, e.g. "ecoinvent 3.10 cut-off (database 'ecoinvent-3.10-cutoff')"."""
        if self.is_public:
            return f"bw_mllca public data (database {PUBLIC!r})"
        assert self.system_model is not None
        what = f"ecoinvent {self.version} {SYSTEM_MODEL_LABELS[self.system_model]}"
        if self.scenarios:
            years = ", ".join(f"{y}: {self.scenarios[y]!r}" for y in sorted(self.scenarios))
            return f"{what}, premise scenarios ({years}), year {self.year}"
        return f"{what} (database {self.database!r})"

    def weights(self, years: Iterable[int] | None = None) -> dict[str, float]:
        """Database -> weight of each database in a gateway for ``years`` (equal weight per year;
        default: the study's year), linear between the two scenario years around each year."""
        if not self.scenarios:
            return {self.database: 1.0}
        asked = list(years) if years is not None else [self.year]
        weights: dict[str, float] = {}
        for year in asked:
            for database, weight in scenario_weights(self.scenarios, int(year)).items():
                weights[database] = weights.get(database, 0.0) + weight / len(asked)
        return weights


def scenario_weights(scenarios: Mapping[int, str], year: int) -> dict[str, float]:
    """Linear interpolation between the two scenario years around ``year`` (ValueError outside them)."""
    years = sorted(scenarios)
    if not years[0] <= year <= years[-1]:
        raise ValueError(f"year {year} is outside the scenario years {years[0]}-{years[-1]} of background_scenarios")
    if year in scenarios:
        return {scenarios[year]: 1.0}
    after = next(y for y in years if y > year)
    before = max(y for y in years if y < year)
    share_after = (year - before) / (after - before)
    return {scenarios[before]: 1.0 - share_after, scenarios[after]: share_after}

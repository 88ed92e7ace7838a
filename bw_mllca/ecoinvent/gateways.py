"""What a study's foreground links to on an ecoinvent background: the gateways, weighted by scenario.

The builder asks for three kinds of input. Grid electricity of a datacenter: the ecoinvent
medium-voltage market of its region (the location chain of ``ecoinvent.links``). Tap water for the
on-site cooling water. A hardware activity: its copy in ``mllca hardware on <database>``, whose bill
of materials setup relinked to ecoinvent (``ecoinvent.hardware``); a hardware activity that reaches
no mapped component stays on the public data. With premise scenarios every input is split over the
scenario databases by the interpolation weights of the years asked for.
"""

from __future__ import annotations

from functools import cached_property

from ..errors import ProjectStateError
from .hardware import hardware_database
from .links import GatewayPart, parts_table, resolve_gateway
from .spec import BackgroundChoice

Key = tuple[str, str]


class EcoinventGateways:
    def __init__(self, choice: BackgroundChoice):
        assert choice.version is not None and choice.system_model is not None
        self.choice = choice
        self.version, self.system_model = choice.version, choice.system_model
        self.parts: list[GatewayPart] = []  # every gateway part the foreground links to, for the outputs

    def _resolve(self, gateway: str, used_for: str, region: str | None, years: range | None) -> list[tuple[Key, float]]:
        inputs: list[tuple[Key, float]] = []
        for database, weight in self.choice.weights(years).items():
            for part in resolve_gateway(gateway, database, self.version, self.system_model, used_for, region):
                self.parts.append(part)
                inputs.append((part.activity.key, weight * part.amount))
        return inputs

    def grid(self, datacenter: str, region: str, span: tuple[int, int] | None) -> list[tuple[Key, float]]:
        """Activities and kWh of each per kWh at the meter of ``datacenter`` (in ``region``)."""
        if span is not None and not self.choice.scenarios:
            raise ValueError(f"datacenters.{datacenter}: grid_year/grid_years choose a mix by year, but an ecoinvent "
                             "market has one vintage; name premise databases in study.background_scenarios")
        years = range(span[0], span[1] + 1) if span is not None else None
        return self._resolve("electricity", f"datacenter {datacenter} ({region})", region, years)

    def tap_water(self, datacenter: str, region: str | None) -> list[tuple[Key, float]]:
        """Activities and their units per m3 of on-site cooling water."""
        return self._resolve("tap-water", f"datacenter {datacenter} on-site water ({region or 'no region'})", region, None)

    @cached_property
    def _relinked(self) -> dict[str, frozenset[str]]:
        """Per scenario database: the codes of its relinked hardware database."""
        import bw2data as bd
        from bw2data.backends import ActivityDataset as AD

        found = {}
        for database in self.choice.databases:
            name = hardware_database(database)
            if name not in bd.databases:
                raise ProjectStateError(
                    f"project {bd.projects.current!r} has no {name!r}: run `bw-mllca setup --background "
                    f"{self.choice.spec} --background-database {database}` (bw_mllca.setup_project(background=...)) first")
            found[database] = frozenset(c for (c,) in AD.select(AD.code).where(AD.database == name).tuples())
        return found

    def hardware(self, code: str) -> list[tuple[Key, float]]:
        """The relinked copies of hardware activity ``code`` and their weights, or the public one."""
        from ..inventory.background import BACKGROUND

        weights = self.choice.weights()
        if not all(code in self._relinked[database] for database in weights):
            return [((BACKGROUND, code), 1.0)]
        return [((hardware_database(database), code), weight) for database, weight in weights.items()]

    def records(self) -> list[dict]:
        """The gateway parts as JSON-ready rows (kept in the study database's metadata)."""
        table = parts_table(self.parts).drop_duplicates(subset=["gateway", "used for", "database", "name", "location"])
        return table.to_dict(orient="records")

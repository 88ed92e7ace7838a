"""Gateways resolved in the user's ecoinvent database, by the mapping table (``ecoinvent.mapping``).

A gateway is a background activity the public data would supply (grid electricity, a bill-of-materials
component, a waste treatment, tap water). Fixed-location gateways resolve row by row; region-resolved
ones (electricity, tap water) walk the region's location chain (subregion -> country -> RoW/GLO) and
take the first location where one of the mapped activities exists. Which step was taken is kept, so
every output can state it. Nothing falls back silently: a row that matches no activity, or several,
fails with the closest candidates (``scope.linking``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..catalog import load_catalog
from ..errors import LinkError
from ..scope.linking import LinkedActivity, activity_locations, resolve_link
from ..scope.study import ActivityLink
from .mapping import REGION, MappingRow, gateway_rows, global_chain, location_chain


@dataclass(frozen=True)
class GatewayPart:
    """One activity a gateway consumes per unit of the gateway: ``amount`` of ``activity``."""

    gateway: str
    used_for: str
    activity: LinkedActivity
    amount: float  # ecoinvent units per gateway unit (the mapping's conversion factor)
    step: str  # how the location was chosen: "fixed", "subregion US-TRE", "country DE", "fallback GLO (...)"
    row: MappingRow


def _field(gateway: str, used_for: str) -> str:
    return f"background gateway {gateway!r} ({used_for})"


def _link(row: MappingRow, database: str, location: str) -> ActivityLink:
    return ActivityLink(name=row.name, database=database, location=location,
                        reference_product=row.reference_product or None, unit=row.unit)


def _resolve(row: MappingRow, database: str, location: str, field: str) -> LinkedActivity:
    # The unit is part of the search (the mapping's unit), so the linked unit is the row's: the
    # conversion factor is the row's too, applied by the caller (it may be negative: waste).
    return resolve_link(_link(row, database, location), field, (row.unit, f"one {row.unit}"), "background mapping")


def _has(row: MappingRow, database: str, location: str) -> bool:
    return location in activity_locations(database, row.name, row.reference_product)


def _step(chain: Sequence[str], index: int, country: str) -> str:
    """How a location of the chain was reached: "subregion US-TRE", "country DE", "group Europe
    without Switzerland (no mapped activity at AD)", "fallback GLO (no mapped activity at AF)"."""
    location = chain[index]
    missing = f" (no mapped activity at {', '.join(chain[:index])})" if index else ""
    if location in ("RoW", "GLO"):
        return f"fallback {location}{missing}"
    if location == country:
        return f"country {location}{missing}"
    if country in chain and index > chain.index(country):
        return f"group {location}{missing}"
    return f"subregion {location}"


def resolve_gateway(gateway: str, database: str, version: str, system_model: str, used_for: str,
                    region: str | None = None) -> tuple[GatewayPart, ...]:
    """The activities one unit of ``gateway`` consumes in ``database`` (ecoinvent ``version`` and
    ``system_model``); ``region``: the catalog region code of a region-resolved gateway."""
    rows = gateway_rows(gateway, version, system_model)
    field = _field(gateway, used_for)
    if not rows:
        raise LinkError([(field, database, f"the mapping has no row for ecoinvent {version} {system_model}")],
                        "background mapping")
    alternatives = [r for r in rows if r.role == "alternative"]
    parts = [GatewayPart(gateway, used_for, _resolve(r, database, r.location, field), r.conversion_factor, "fixed", r)
             for r in rows if r.role == "part"]
    if alternatives:
        chain = location_chain(region, gateway) if region else global_chain(gateway)
        for index, location in enumerate(chain):
            row = next((r for r in alternatives if _has(r, database, location)), None)
            if row is not None:
                activity = _resolve(row, database, location, field)
                country = load_catalog().region(region).country if region else ""
                parts.append(GatewayPart(gateway, used_for, activity, row.conversion_factor, _step(chain, index, country), row))
                break
        else:  # not even the last step: the error names the candidates of the first row there
            _resolve(alternatives[0], database, chain[-1], field)
    return tuple(parts)


def parts_table(parts: Sequence[GatewayPart]) -> pd.DataFrame:
    """The gateways as outputs state them: what each stands for and what it links to, and how."""
    rows = [(p.gateway, p.used_for, p.activity.key[0], p.activity.name, p.activity.location, p.activity.reference_product,
             p.activity.unit, p.amount, p.row.gateway_unit, p.step, p.row.notes) for p in parts]
    return pd.DataFrame(rows, columns=["gateway", "used for", "database", "name", "location", "reference product",
                                       "unit", "amount per gateway unit", "gateway unit", "location step", "notes"])


def check_mapping(database: str, version: str, system_model: str, regions: Sequence[str]) -> pd.DataFrame:
    """Every mapping row resolved in ``database`` (region-resolved ones for each of ``regions``);
    one LinkError listing every row that fails, with candidates."""
    from .mapping import mapping_rows

    found: list[GatewayPart] = []
    problems: list[tuple[str, object, str]] = []
    gateways = dict.fromkeys(r.gateway for r in mapping_rows(version, system_model))
    for gateway in gateways:
        regional = any(r.location == REGION for r in gateway_rows(gateway, version, system_model))
        for region in (regions if regional else [None]):
            try:
                found += resolve_gateway(gateway, database, version, system_model, region or "all uses", region)
            except LinkError as error:
                problems += error.problems
    if problems:
        raise LinkError(problems, f"ecoinvent {version} {system_model} mapping in database {database!r}")
    return parts_table(found)

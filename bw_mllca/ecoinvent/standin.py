"""A stand-in for an ecoinvent database: the published activity names, with made-up exchanges.

Without an ecoinvent licence nothing of ecoinvent can be shipped or downloaded, yet relinking a study
to ecoinvent must be tested on a database shaped like ecoinvent. :func:`write_standin` writes one
activity per published name and location the mapping needs (``published_names``), so every mapped
row and every location of the electricity and tap-water fallback chains exists, each with its name,
location, reference product and unit, and with made-up exchanges: a few biosphere3 flows whose
amounts are derived from a hash of the activity (deterministic, times ``scale``), and, for the
electricity markets, an input of a made-up generation activity at the same location so the
technosphere matrix is not diagonal. Nothing in it is ecoinvent data.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import bw2data as bd

from ..brightway_feedback import brightway_output_logged
from ..errors import EcoinventMappingError, ProjectStateError, SetupConflict
from .mapping import mapping_rows, normalize_system_model, normalize_version, published_names

logger = logging.getLogger(__name__)

BIOSPHERE = "biosphere3"
STANDIN_MARK = "mllca_standin"
DESCRIPTION = ("Stand-in for ecoinvent {version} {system_model}, written by bw_mllca: published activity names, "
               "made-up exchanges: not ecoinvent data")
GRID_MARKETS = ("market for electricity, medium voltage", "market group for electricity, medium voltage")
GENERATION_NAME = "electricity production, stand-in generation mix (made up)"
GENERATION_PRODUCT = "electricity, high voltage"
GENERATION_KWH_PER_KWH = 1.05  # made-up grid losses: kWh generated per kWh of the market


@dataclass(frozen=True)
class MadeUpFlow:
    name: str
    uuid: str  # biosphere3 code, one bw_mllca's background already uses
    amount: float  # base amount per unit of reference product, before the hash factor and scale


# Chosen so that every TRACI 2.1 midpoint has something to characterize, among the biosphere3 flows
# of inventories/electricity_technologies.csv and hardware_biosphere.csv.
FLOWS = (
    MadeUpFlow("Carbon dioxide, fossil (air)", "349b29d1-3e58-4c66-98b9-9d1a076efd2e", 0.5),
    MadeUpFlow("Sulfur dioxide (air, high stacks)", "78c3efe4-421c-4d30-82e4-b97ac5124993", 2e-3),
    MadeUpFlow("Nitrogen oxides (air, high stacks)", "77357947-ccc5-438e-9996-95e65e1e1bce", 1.5e-3),
    MadeUpFlow("Particulate Matter, < 2.5 um (air, high stacks)", "66f50b33-fd62-4fdd-a373-c5b0de7de00d", 3e-4),
    MadeUpFlow("Methane, trichlorofluoro-, CFC-11 (air)", "51e99a55-bcdb-4d18-9484-6de4b142e09d", 1e-8),
    MadeUpFlow("Water (air)", "075e433b-4be4-448e-9510-9a5029c1ce94", 2e-3),
    MadeUpFlow("Lead II (air, high stacks)", "2718482b-8399-442e-b89a-52fbcc22d2e6", 1e-6),
)


def _code(*parts: str) -> str:
    return hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()


def made_up_factor(name: str, location: str, flow: str) -> float:
    """A deterministic number in [0.5, 1.5) for one activity and flow."""
    digest = hashlib.sha256(f"{name}|{location}|{flow}".encode("utf-8")).hexdigest()
    return 0.5 + int(digest[:8], 16) / 2**32


def _biosphere(name: str, location: str, scale: float) -> list[dict]:
    return [{"input": (BIOSPHERE, flow.uuid), "amount": flow.amount * made_up_factor(name, location, flow.name) * scale,
             "type": "biosphere", "comment": "made up: " + flow.name} for flow in FLOWS]


def _activity(database: str, name: str, product: str, location: str, unit: str, production: float,
              scale: float, comment: str) -> tuple[tuple[str, str], dict]:
    key = (database, _code(name, product, location))
    exchanges = [{"input": key, "amount": production, "type": "production"}, *_biosphere(name, location, scale)]
    return key, {"name": name, "reference product": product, "location": location, "unit": unit,
                 "type": "process", "production amount": production, "comment": comment, "exchanges": exchanges}


def _check_target(database: str) -> None:
    if BIOSPHERE not in bd.databases:
        raise ProjectStateError(f"project {bd.projects.current!r} has no {BIOSPHERE!r}: set it up first "
                                "(bw_mllca.setup_project or bw-mllca setup)")
    missing = [flow.uuid for flow in FLOWS if not _has_flow(flow.uuid)]
    if missing:
        raise ProjectStateError(f"{BIOSPHERE!r} lacks the flows {missing}: is it ecoinvent's biosphere3?")
    if database in bd.databases and not bd.databases[database].get(STANDIN_MARK):
        raise SetupConflict(f"database {database!r} exists and is not a bw_mllca stand-in; it was left untouched. "
                            "Name the stand-in otherwise, or delete that database first.")


def _has_flow(code: str) -> bool:
    try:
        bd.get_node(database=BIOSPHERE, code=code)
    except bd.errors.UnknownObject:
        return False
    return True


def standin_data(database: str, version: str, system_model: str, scale: float = 1.0,
                 omit: Iterable[tuple[str, str]] = ()) -> dict[tuple[str, str], dict]:
    """The stand-in's activities as bw2data writes them (checked, nothing written)."""
    names = published_names(version, system_model)
    rows = mapping_rows(version, system_model)
    units = {(row.name, row.reference_product): row.unit for row in rows}
    # a gateway consumes a waste treatment as a negative amount (ecoinvent's waste convention)
    treatments = {(row.name, row.reference_product) for row in rows if row.conversion_factor < 0}
    omitted = {(str(name), str(location)) for name, location in omit}
    unknown = omitted - set(zip(names["name"], names["location"]))
    if unknown:
        raise EcoinventMappingError(f"omit = {sorted(unknown)}: no such published activity in ecoinvent "
                                    f"{version} {system_model}")
    comment = "bw_mllca stand-in: published activity name, made-up exchanges (not ecoinvent data)"
    data: dict[tuple[str, str], dict] = {}
    for name, product, location in zip(names["name"], names["reference_product"], names["location"]):
        if (name, location) in omitted:
            continue
        # ecoinvent's waste convention (kept by bw2io's import): a treatment produces -1 unit of its
        # waste, so a consumer's negative input of that waste gives a positive supply of the treatment
        production = -1.0 if (name, product) in treatments else 1.0
        key, activity = _activity(database, name, product, location, units[(name, product)], production, scale, comment)
        if name in GRID_MARKETS:
            generation_key, generation = _activity(database, GENERATION_NAME, GENERATION_PRODUCT, location,
                                                   "kilowatt hour", 1.0, scale, comment)
            data.setdefault(generation_key, generation)
            activity["exchanges"].append({"input": generation_key, "amount": GENERATION_KWH_PER_KWH,
                                          "type": "technosphere", "comment": "made up: generation and losses"})
        data[key] = activity
    return data


def write_standin(database: str = "ecoinvent-3.10-cutoff", version: str = "3.10", system_model: str = "cutoff",
                  scale: float = 1.0, omit: Iterable[tuple[str, str]] = ()) -> int:
    """Write the stand-in ``database`` into the current project; return its number of activities.

    The project must hold biosphere3 (``bw_mllca.setup_project`` writes it). ``scale`` multiplies
    every made-up biosphere amount (two stand-ins of different scale play two premise scenarios);
    ``omit`` names (activity name, location) pairs to leave out. A database of that name that is
    not itself a stand-in is never overwritten (SetupConflict)."""
    version, system_model = normalize_version(version), normalize_system_model(system_model)
    if not scale > 0:
        raise EcoinventMappingError(f"scale = {scale!r}: a stand-in's made-up amounts need a positive scale")
    _check_target(database)
    data = standin_data(database, version, system_model, scale, omit)
    metadata = {STANDIN_MARK: True, "version": version, "system_model": system_model, "scale": float(scale),
                "description": DESCRIPTION.format(version=version, system_model=system_model)}
    target = bd.Database(database)
    with brightway_output_logged():
        if database in bd.databases:
            stored = bd.databases[database]
            stored.update(metadata)
            bd.databases[database] = stored
        else:
            target.register(**metadata)
        target.write(data, check_typos=False)
    logger.info("stand-in %r: %d activities (ecoinvent %s %s names, made-up exchanges, scale %g)",
                database, len(data), version, system_model, scale)
    return len(data)

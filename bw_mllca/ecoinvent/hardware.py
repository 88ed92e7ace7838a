"""The hardware bill of materials relinked to an ecoinvent database: ``mllca hardware on <database>``.

The public hardware model (inventories/hardware_*.csv) builds each device from physical parts:
processed wafer area per node and fab, memory dies per GB, board area, metals, power supply,
transport, and the WEEE treatment of its mass. On an ecoinvent background those parts that the
mapping names (``ecoinvent_mapping.csv``) are taken from ecoinvent: the fab's electricity from the
medium-voltage market of the fab's country, the board, metals, power supply and transport from
their ecoinvent markets, the end of life from ecoinvent's waste treatments. Every hardware activity
that reaches such a part is copied here with its inputs relinked; its direct flows (process gases
after abatement, the fab's water) are kept; parts with no ecoinvent counterpart in the mapping
(single-indicator proxies such as assembly and test) stay links to the public background.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from ..ownership import fingerprint_of, mark

logger = logging.getLogger(__name__)

PREFIX = "mllca hardware on "
HARDWARE_CATEGORIES = ("manufacture", "end of life")


def hardware_database(background_database: str) -> str:
    return f"{PREFIX}{background_database}"


def _database_stamp(database: str) -> list:
    """What the relinked copy depends on in the user's database: its state when setup read it."""
    import bw2data as bd

    return [database, str(bd.databases[database].get("modified")), len(bd.Database(database))]


def _gateways(version: str, system_model: str) -> tuple[set[str], dict[str, str]]:
    """Component codes the mapping replaces, and electricity codes -> their region."""
    from ..catalog import load_catalog
    from .mapping import mapping_rows

    components = {row.gateway for row in mapping_rows(version, system_model)} - {"electricity", "tap-water"}
    regions = {region.electricity_activity: region.code for region in load_catalog().regions.values()}
    return components, regions


def relinked_hardware(database: str, version: str, system_model: str) -> tuple[dict, pd.DataFrame]:
    """The relinked hardware activities as a bw2data ``write`` dict, and the table of the parts used."""
    from ..inventory.background import BACKGROUND, background_data
    from .links import GatewayPart, parts_table, resolve_gateway

    public = background_data()
    hardware = {code: ds for (_, code), ds in public.items() if ds["mllca_category"] in HARDWARE_CATEGORIES}
    components, regions = _gateways(version, system_model)
    parts: dict[str, tuple[GatewayPart, ...]] = {}

    def parts_of(code: str) -> tuple[GatewayPart, ...] | None:
        if code not in parts:
            if code in components:
                parts[code] = resolve_gateway(code, database, version, system_model, f"hardware part {code}")
            elif code in regions:
                parts[code] = resolve_gateway("electricity", database, version, system_model,
                                              f"fab electricity {regions[code]}", regions[code])
            else:
                return None
        return parts[code]

    reaches: dict[str, bool] = {}

    def relinked(code: str) -> bool:
        """A hardware activity that consumes, directly or not, a part the mapping replaces."""
        if code not in reaches:
            reaches[code] = False  # no cycles in the hardware model; this guards against one anyway
            inputs = [e["input"][1] for e in hardware[code]["exchanges"] if e["type"] == "technosphere"]
            reaches[code] = any(parts_of(c) is not None or (c in hardware and relinked(c)) for c in inputs)
        return reaches[code]

    name = hardware_database(database)
    data: dict[tuple[str, str], dict] = {}
    kept: set[str] = set()  # inputs left on the public data: listed in the outputs, never silent
    for code, ds in hardware.items():
        if code in components or not relinked(code):
            continue
        exchanges: list[dict] = [{"input": (name, code), "amount": 1.0, "type": "production"}]
        for exc in ds["exchanges"]:
            if exc["type"] == "production":
                continue
            source = exc["input"][1]
            found = parts_of(source) if exc["type"] == "technosphere" else None
            if found is not None:
                exchanges += [{"input": p.activity.key, "amount": exc["amount"] * p.amount, "type": "technosphere",
                               "comment": f"{source} relinked: {p.amount:g} {p.activity.unit} per {p.row.gateway_unit} "
                                          f"({p.step}). {p.row.notes}".strip()} for p in found]
            elif exc["type"] == "technosphere":
                inside = source in hardware and relinked(source)
                if not inside:
                    kept.add(source)
                exchanges.append({**exc, "input": (name, source) if inside else (BACKGROUND, source)})
            else:
                exchanges.append(dict(exc))
        data[(name, code)] = {**ds, "exchanges": exchanges,
                              "comment": f"{ds.get('comment', '')} Bill of materials relinked to {database!r}.".strip()}
    used = [p for found in parts.values() for p in found]
    kept_rows = []
    for code in sorted(kept):
        ds = public[(BACKGROUND, code)]
        kept_rows.append({"gateway": code, "used for": f"hardware part {code}", "database": BACKGROUND, "name": ds["name"],
                          "location": ds["location"], "reference product": ds["reference product"], "unit": ds["unit"],
                          "amount per gateway unit": 1.0, "gateway unit": ds["unit"],
                          "location step": f"not relinked: no mapping row for ecoinvent {version} {system_model}, public data kept",
                          "notes": ds.get("comment", "")[:200]})
    return data, pd.concat([parts_table(used), pd.DataFrame(kept_rows)], ignore_index=True)


def hardware_fingerprint(database: str, version: str, system_model: str) -> str:
    """What the relinked copy is written from: the public tables, the mapping, the user's database state."""
    from ..data_files import inventories_dir
    from ..inventory.background import background_files

    return fingerprint_of([*background_files(inventories_dir()), _database_stamp(database), version, system_model])


def is_current(database: str, version: str, system_model: str) -> bool:
    """A complete relinked copy of ``database`` as it is now (setup then has nothing to check or write)."""
    import bw2data as bd

    from ..integrity import rows_problem
    from ..ownership import owner_mark

    name = hardware_database(database)
    found = owner_mark(bd.databases.get(name)) if name in bd.databases else None
    return (found is not None and found.get("fingerprint") == hardware_fingerprint(database, version, system_model)
            and rows_problem(name) is None)


def write_relinked_hardware(database: str, version: str, system_model: str, **metadata) -> tuple[str, str, pd.DataFrame]:
    """Write (or keep, if unchanged) ``mllca hardware on <database>``; (name, "written" or
    "unchanged", parts table). Raises LinkError, naming every mapped part that is missing, first."""
    from ..inventory.writer import write_owned_database

    data, table = relinked_hardware(database, version, system_model)  # resolves everything before writing
    name = hardware_database(database)
    state = write_owned_database(
        name, lambda: data, mark(hardware_fingerprint(database, version, system_model), background=database),
        description=f"bw_mllca hardware bill of materials relinked to {database!r} (ecoinvent {version} {system_model})",
        mllca_gateways=table.to_dict(orient="records"), **metadata,
    )
    logger.info("%s: %s (%d activities, %d parts listed)", name, state, len(data), len(table))
    return name, state, table


def gateway_table(metadata: Mapping) -> pd.DataFrame:
    """The parts table a relinked hardware database or a study database keeps in its metadata."""
    return pd.DataFrame(list(metadata.get("mllca_gateways", [])))

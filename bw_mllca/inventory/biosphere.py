"""biosphere3 from bw2io's bundled ecoinvent 3.9 elementary flows, and fast code -> id look-ups."""

from __future__ import annotations

import bw2data as bd

from ..errors import SetupConflict
from ..ownership import MARK, fingerprint_of, mark, owner_mark

BIOSPHERE = "biosphere3"
# bw_mllca's own elementary flows, for indicators biosphere3 has no flow for. One today: consumptive
# water already weighted by the WULCA AWARE factor of where it is consumed (biosphere3's water flows
# carry no location, so a scarcity-weighted indicator cannot be characterized from them).
OWN_BIOSPHERE = "mllca biosphere"
WATER_AWARE = "water-aware"
OWN_FLOWS: dict[str, dict] = {
    WATER_AWARE: {
        "name": "Water consumption, AWARE scarcity-weighted",
        "unit": "cubic meter",
        "categories": ("water", "scarcity-weighted"),
        "type": "emission",
        "comment": (
            "Consumptive water (m3) times the WULCA AWARE characterization factor of the country where "
            "it is consumed (m3 world-eq per m3); its amount is therefore in m3 world-eq. Written by "
            "bw_mllca; characterized by ('bw_mllca', 'water', 'AWARE scarcity-weighted water use')."
        ),
    },
}


def ensure_biosphere(required_codes: set[str]) -> str:
    """Create biosphere3 if absent; if a user's biosphere3 is there, use it untouched.

    Returns "created", "ours" or "user's". Raises SetupConflict, naming the missing flows, if a
    user's biosphere3 lacks a flow bw_mllca needs (we never add flows to a database we did not write).
    """
    from .. import integrity

    found = owner_mark(bd.databases[BIOSPHERE]) if BIOSPHERE in bd.databases else None
    if BIOSPHERE in bd.databases and not (found and integrity.rows_problem(BIOSPHERE)):
        state = "ours" if found else "user's"
        missing = required_codes - set(flow_ids().keys())
        if missing:
            empty = " It is empty: an interrupted set-up by an older bw_mllca leaves it so; delete it " \
                    f"(bw2data: del databases[{BIOSPHERE!r}]) and set up again." if not flow_ids() else ""
            raise SetupConflict(
                f"the project's {BIOSPHERE} ({state}) lacks {len(missing)} flow(s) bw_mllca needs, "
                f"e.g. {sorted(missing)[:5]}; bw_mllca does not modify a biosphere it did not write. "
                "Use a fresh project, or one whose biosphere3 comes from ecoinvent 3.9 / bw2io." + empty
            )
        if found:
            integrity.repair_datapackage(BIOSPHERE)
        return state
    from bw2io.importers import Ecospold2BiosphereImporter

    from .writer import write_owned_database

    importer = Ecospold2BiosphereImporter()
    importer.apply_strategies(verbose=False)
    data = {(BIOSPHERE, ds["code"]): {k: v for k, v in ds.items() if k != "database"} for ds in importer.data}
    # Written like every database of ours (marked incomplete until rows and datapackage are in), so
    # a set-up killed half way leaves a biosphere3 the next set-up rewrites, not a "user's" one.
    write_owned_database(BIOSPHERE, lambda: data, mark(fingerprint_of(["bw2io bundled ecoinvent 3.9 elementary flows"])),
                         format="Ecoinvent XML")
    return "created"


def ensure_own_biosphere() -> str:
    """Write bw_mllca's own flows database (``OWN_BIOSPHERE``) if missing or stale."""
    from .writer import write_owned_database

    data = {(OWN_BIOSPHERE, code): dict(flow) for code, flow in OWN_FLOWS.items()}
    return write_owned_database(
        OWN_BIOSPHERE,
        lambda: data,
        mark(fingerprint_of([sorted((c, sorted(f.items())) for c, f in OWN_FLOWS.items())])),
        description="bw_mllca's own elementary flows (indicators biosphere3 has no flow for)",
    )


def flow_ids(database: str = BIOSPHERE) -> dict[str, int]:
    """Map flow code (UUID) -> node id in one query (one get_node per flow is far too slow)."""
    from bw2data.backends import ActivityDataset as AD

    query = AD.select(AD.code, AD.id).where(AD.database == database).tuples()
    return {code: node_id for code, node_id in query}


def flow_units(database: str = BIOSPHERE) -> dict[str, str]:
    """Map flow code -> unit, in one query."""
    from bw2data.backends import ActivityDataset as AD

    query = AD.select(AD.code, AD.data).where(AD.database == database).tuples()
    return {code: data.get("unit", "") for code, data in query}

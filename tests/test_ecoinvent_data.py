"""The ecoinvent mapping data (gateway rows, region locations, published names) and the stand-in
ecoinvent database built from the published names with made-up exchanges."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import bw2calc as bc
import bw2data as bd
import pandas as pd
import pytest

from bw_mllca.catalog import load_catalog
from bw_mllca.ecoinvent.mapping import (
    REGION, SYSTEM_MODELS, VERSIONS, gateway_rows, location_chain, mapping_rows, normalize_version, published_names,
)
from bw_mllca.ecoinvent.standin import FLOWS, GENERATION_KWH_PER_KWH, GENERATION_NAME, write_standin
from bw_mllca.errors import EcoinventMappingError, ProjectStateError, SetupConflict

from conftest import SETUP_PROJECT

INVENTORIES = Path(__file__).resolve().parents[1] / "inventories"
TRACI_GWP = ("TRACI v2.1", "climate change", "global warming potential (GWP100)")
GRID = "market for electricity, medium voltage"
# eGRID subregion -> NERC assessment area, as the eGRID subregion names state them
EGRID_NERC = {
    "ERCT": "US-TRE", "FRCC": "US-SERC", "SRMV": "US-SERC", "SRMW": "US-SERC", "SRSO": "US-SERC", "SRTV": "US-SERC",
    "SRVC": "US-SERC", "MROE": "US-MRO", "MROW": "US-MRO", "SPNO": "US-MRO", "SPSO": "US-MRO", "NEWE": "US-NPCC",
    "NYCW": "US-NPCC", "NYLI": "US-NPCC", "NYUP": "US-NPCC", "RFCE": "US-RFC", "RFCM": "US-RFC", "RFCW": "US-RFC",
    "AZNM": "US-WECC", "CAMX": "US-WECC", "NWPP": "US-WECC", "RMPA": "US-WECC", "AKGD": "US-ASCC", "AKMS": "US-ASCC",
    "HIMS": "US-HICC", "HIOA": "US-HICC", "PRMS": "US-PR",
}


def _hand_rows() -> pd.DataFrame:
    return pd.read_csv(INVENTORIES / "raw" / "ecoinvent_gateways.csv", keep_default_na=False, dtype=str)


def _published(names: pd.DataFrame, name: str, product: str, location: str) -> bool:
    hit = (names["name"] == name) & (names["reference_product"] == product)
    return bool((hit if location == REGION else hit & (names["location"] == location)).any())


def _resolve(region: str, gateway: str, version: str = "3.10") -> tuple[str, str]:
    """The first (activity, location) of the region's chain that the published names have."""
    names = published_names(version)
    for location in location_chain(region, gateway):
        for row in gateway_rows(gateway, version, "cutoff"):
            if _published(names, row.name, row.reference_product, location):
                return row.name, location
    raise AssertionError(f"{region}: nothing found for {gateway}")


# --- the mapping table --------------------------------------------------------------------------

def test_every_mapped_row_is_in_the_published_names_of_its_version():
    hand = _hand_rows()
    for version in VERSIONS:
        names = published_names(version)
        cutoff = mapping_rows(version, "cutoff")
        assert len(cutoff) == len(hand)  # every hand-written row is mapped in every cut-off release
        for model in SYSTEM_MODELS:
            for row in mapping_rows(version, model):
                assert _published(names, row.name, row.reference_product, row.location), row
        reference = published_names("3.5", "consequential")
        for row in mapping_rows(version, "consequential"):  # consequential: only what its 3.5 table has
            original = hand[(hand.gateway == row.gateway) & (hand.location == row.location)]
            assert any(_published(reference, n, p, row.location) for n, p in zip(original.name, original.reference_product))


def test_hand_written_units_and_factors_follow_the_gateway_units():
    rows = {(r.gateway, r.name): r for r in mapping_rows("3.10", "cutoff")}
    assert rows[("tap-water", "market for tap water")].conversion_factor == 1000  # kg of water per m3
    assert rows[("pcb-board", "market for printed wiring board, for surface mounting, Pb free surface")
                ].conversion_factor == pytest.approx((1 / 100) ** 2)  # m2 per cm2
    # boat 19,000 km + truck 1,000 km per kg of product (hardware_activities.csv): 0.001 t x 20,000 km
    transport = gateway_rows("transport-product", "3.10", "cutoff")
    assert [r.unit for r in transport] == ["ton kilometer", "ton kilometer"]
    assert sum(r.conversion_factor for r in transport) == pytest.approx(0.001 * 20_000)
    for gateway in ("treatment-weee-recycling", "treatment-weee-disposal"):
        (row,) = gateway_rows(gateway, "3.10", "cutoff")
        assert row.conversion_factor == -1 and row.unit == "kilogram"  # ecoinvent's waste convention


def test_releases_3_11_renames_and_consequential_gaps():
    (sea, lorry) = gateway_rows("transport-product", "3.11", "cutoff")
    assert sea.name == "market for transport, freight, sea, container ship, heavy fuel oil"
    assert lorry.reference_product == "transport, freight, lorry, diesel, unspecified"
    assert normalize_version("3.10.1") == "3.10" and normalize_version("3.9.1") == "3.9"
    with pytest.raises(EcoinventMappingError, match=r"version = '3.8'.*3.9, 3.10, 3.11"):
        normalize_version("3.8")
    # named after 3.5, absent from its consequential table: a partial transport is never mapped
    assert gateway_rows("transport-product", "3.10", "consequential") == ()
    assert gateway_rows("treatment-weee-recycling", "3.10", "consequential") == ()
    assert len(mapping_rows("3.10", "apos")) == len(mapping_rows("3.10", "cutoff"))


def _script(name: str):
    path = INVENTORIES / "scripts" / f"{name}.py"
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_generated_tables_are_up_to_date_and_a_wrong_row_fails_the_build():
    import randonneur_data

    build = _script("build_ecoinvent_mapping")
    hand = _hand_rows()
    names = pd.read_csv(INVENTORIES / "raw" / "ecoinvent_names.csv.gz", keep_default_na=False, dtype=str)
    pairs = build.migration_pairs(randonneur_data.Registry())
    committed = pd.read_csv(INVENTORIES / "ecoinvent_mapping.csv", keep_default_na=False, dtype=str)
    rebuilt = build.mapping_table(hand, names, pairs)[committed.columns]
    pd.testing.assert_frame_equal(rebuilt.reset_index(drop=True), committed, check_dtype=False)
    wrong = hand.iloc[[4]].assign(location="RER")  # the wiring board exists at GLO only
    with pytest.raises(build.MappingBuildError, match=r"line 2: 'market for printed wiring board.*'RER'.*3.9"):
        build.mapping_table(wrong, names, pairs)


# --- region locations ---------------------------------------------------------------------------

def test_every_catalog_region_has_a_chain_through_its_country_to_glo():
    catalog = load_catalog()
    for code, region in catalog.regions.items():
        chain = location_chain(code)
        assert chain[-1] == "GLO" and region.country in chain, (code, chain)
        assert len(chain) == len(set(chain))
        water = location_chain(code, "tap-water")
        assert water[-2:] == ("RoW", "GLO") and water[:-2] == chain[:-1]
    subregions = [code for code, region in catalog.regions.items() if region.kind == "subregion"]
    assert len(subregions) == 27
    for code in subregions:
        assert location_chain(code) == (EGRID_NERC[code.removeprefix("US-")], "US", "GLO")
        assert location_chain(code.removeprefix("US-")) == location_chain(code)  # the eGRID acronym, an alias
    assert location_chain("SE-SE3") == ("SE", "Europe without Switzerland", "GLO")  # a European country's group
    assert location_chain("CH") == ("CH", "GLO")  # not in 'Europe without Switzerland'
    assert location_chain("JP-TK") == ("JP", "GLO")
    assert location_chain("CA-YT") == ("CA-YK", "CA", "GLO")
    assert location_chain("IN-NO") == ("IN-Northern grid", "IN", "GLO")
    with pytest.raises(EcoinventMappingError, match="region = 'XX-NOWHERE'"):
        location_chain("XX-NOWHERE")


def test_chains_resolve_against_the_published_names():
    names = published_names("3.10")
    grid = set(names.loc[names.name == GRID, "location"])
    assert location_chain("US-ERCT")[0] in grid
    assert _resolve("US-ERCT", "electricity") == (GRID, "US-TRE")
    assert _resolve("DE", "electricity") == (GRID, "DE")
    assert _resolve("US-MIDW-MISO", "electricity") == ("market group for electricity, medium voltage", "US")
    assert "AF" not in grid  # a country ecoinvent lacks falls to the global market group
    assert _resolve("AF", "electricity") == ("market group for electricity, medium voltage", "GLO")
    assert _resolve("CA-QC", "tap-water") == ("market for tap water", "CA-QC")
    # no German tap-water market: Europe's, before the rest of the world's
    assert _resolve("DE", "tap-water") == ("market for tap water", "Europe without Switzerland")
    assert _resolve("JP-TK", "tap-water") == ("market for tap water", "RoW")


# --- the stand-in database ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def standin(setup_report):
    """A copy of the set-up project holding a 3.10 cut-off stand-in; deleted afterwards."""
    bd.projects.set_current(SETUP_PROJECT)
    name = f"standin-{uuid.uuid4().hex[:8]}"
    bd.projects.copy_project(name, switch=True)
    count = write_standin()
    yield count
    bd.projects.set_current(SETUP_PROJECT)
    bd.projects.delete_project(name, delete_dir=True)


def _node(name: str, location: str, database: str = "ecoinvent-3.10-cutoff"):
    return bd.get_node(database=database, name=name, location=location)


def _hand_score(node, cfs: dict[str, float]) -> float:
    """Sum of the node's own biosphere amounts times their factors, per unit of its reference product."""
    (production,) = [exc["amount"] for exc in node.production()]
    return sum(exc["amount"] * cfs.get(exc.input["code"], 0.0) for exc in node.biosphere()) / production


def _score(node, method: tuple[str, ...] = TRACI_GWP) -> float:
    lca = bc.LCA({node.id: 1.0}, method)
    lca.lci()
    lca.lcia()
    return lca.score


def _factors(method: tuple[str, ...]) -> dict[str, float]:
    codes = {}
    for flow, cf in bd.Method(method).load():
        node = bd.get_node(id=flow) if isinstance(flow, int) else bd.get_node(database=flow[0], code=flow[1])
        codes[node["code"]] = cf
    return {flow.uuid: codes[flow.uuid] for flow in FLOWS if flow.uuid in codes}


def test_the_standin_holds_every_published_activity_and_its_mapping_unit(standin):
    names = published_names("3.10")
    grid_locations = set(names.loc[names.name.str.contains("for electricity, medium voltage"), "location"])
    database = bd.Database("ecoinvent-3.10-cutoff")
    assert standin == len(database) == len(names) + len(grid_locations)  # plus one generation activity per grid
    assert database.metadata["mllca_standin"] is True and "not ecoinvent data" in database.metadata["description"]
    for row in mapping_rows("3.10", "cutoff"):
        locations = names.loc[names.name == row.name, "location"] if row.location == REGION else [row.location]
        for location in locations:
            node = _node(row.name, location)
            assert (node["reference product"], node["unit"]) == (row.reference_product, row.unit)


def test_a_standin_activity_scores_its_made_up_exchanges_times_traci(standin):
    cfs = _factors(TRACI_GWP)
    assert len(cfs) >= 2  # CO2 and CFC-11 at least
    copper = _node("market for copper, cathode", "GLO")
    assert _score(copper) == pytest.approx(_hand_score(copper, cfs), rel=1e-6)
    grid = _node(GRID, "DE")  # its own flows plus 1.05 kWh of the made-up generation at DE
    generation = _node(GENERATION_NAME, "DE")
    expected = _hand_score(grid, cfs) + GENERATION_KWH_PER_KWH * _hand_score(generation, cfs)
    assert _score(grid) == pytest.approx(expected, rel=1e-6) and expected > _hand_score(grid, cfs)


def test_a_waste_market_consumed_as_minus_one_kg_is_supplied_positively(standin):
    waste = _node("market for used industrial electronic device", "RoW")
    assert [exc["amount"] for exc in waste.production()] == [-1]
    consumer = bd.Database(f"consumer-{uuid.uuid4().hex[:6]}")
    consumer.write({(consumer.name, "server-eol"): {
        "name": "end of life of one kg of server", "unit": "kilogram", "location": "GLO",
        "exchanges": [{"input": (consumer.name, "server-eol"), "amount": 1, "type": "production"},
                      {"input": waste.key, "amount": -1, "type": "technosphere"}]}})
    lca = bc.LCA({bd.get_node(database=consumer.name, code="server-eol").id: 1.0}, TRACI_GWP)
    lca.lci()
    lca.lcia()
    assert lca.supply_array[lca.dicts.activity[waste.id]] == pytest.approx(1.0)
    per_kg = sum(exc["amount"] * cf for exc in waste.biosphere() for code, cf in _factors(TRACI_GWP).items()
                 if exc.input["code"] == code)
    assert lca.score == pytest.approx(per_kg, rel=1e-6) and lca.score > 0


def test_a_second_standin_scales_omits_and_never_overwrites_a_user_database(standin):
    copper = ("market for copper, cathode", "GLO")
    count = write_standin("premise-like", scale=2.0, omit=[copper, (GRID, "DE")])
    assert count == standin - 3  # copper, the DE market and the DE generation only it consumed
    assert len(bd.Database("premise-like")) == count
    steel = [_node("market for steel, low-alloyed", "GLO", database) for database in ("ecoinvent-3.10-cutoff", "premise-like")]
    assert _score(steel[1]) == pytest.approx(2 * _score(steel[0]), rel=1e-6)  # linear in scale
    assert write_standin("premise-like", scale=1.0) == standin  # a stand-in may be rewritten
    background = len(bd.Database("mllca background"))
    with pytest.raises(SetupConflict, match="'mllca background' exists and is not a bw_mllca stand-in"):
        write_standin("mllca background")
    assert len(bd.Database("mllca background")) == background
    with pytest.raises(EcoinventMappingError, match="omit = .*'market for nothing'"):
        write_standin("premise-like", omit=[("market for nothing", "GLO")])


def test_a_standin_needs_a_project_with_biosphere3(empty_project):
    with pytest.raises(ProjectStateError, match="has no 'biosphere3': set it up first"):
        write_standin()
    assert "ecoinvent-3.10-cutoff" not in bd.databases

"""Derive the hardware background tables of inventories/ from the cited raw tables in inventories/raw/.

Usage: python inventories/scripts/build_hardware.py

Manufacture is modelled from physical inputs, one boundary for every device (cradle to gate plus
transport to the datacenter; end of life separately):

- a logic die of area A on node n: wafer area per good die = wafer area / (dies per wafer x yield),
  dies per wafer = pi d^2 / (4 a) - pi d / sqrt(2 a) with a = (sqrt(A) + scribe)^2, Poisson yield
  exp(-D0 A); that area consumes ``wafer-<n>-<region>-<abatement>`` (per cm2 of processed wafer:
  fab electricity from the fab region's ``electricity-<REGION>``, process gases, materials,
  ultrapure water);
- memory per GB of its type (die area per GB, same wafer model), HBM base dies per stack, and a
  silicon interposer for HBM packages;
- board (PCB) per cm2, heat sink (copper) and casing (aluminium) by mass, assembly, transport;
- servers: CPU dies, DRAM, NAND, motherboard, PSUs, chassis, assembly, transport, and their share
  of network switches;
- end of life: WEEE recycling and disposal per kg (cut-off: no credit for recovered material).

Writes (all generated; edit the raw tables, then re-run): ``hardware_activities.csv``,
``hardware_technosphere.csv``, ``hardware_biosphere.csv``, the catalog ``hardware.csv`` and
``accelerator_throughput.csv`` (peak dense TFLOPS per precision of each catalog accelerator, from
``raw/accelerator_throughput.csv``: what compute estimates divide FLOPs by).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
RAW = HERE / "raw"
YEAR = 2024
ABATEMENTS = (95, 99)  # ACT's two process-gas abatement tables
DEFAULT_ABATEMENT = 95
FAB_REGIONS = ("TW", "KR", "US", "JP", "CN")  # every node is offered in these fab locations
INTERPOSER_NODE = "28nm"  # passive silicon interposer: ACT's oldest node (upper bound, stated)

# biosphere3 flows (bw2io's bundled ecoinvent 3.9 elementary flows): name, compartment, sub, uuid, unit
FLOWS = {
    "CO2": ("Carbon dioxide, fossil", "air", "", "349b29d1-3e58-4c66-98b9-9d1a076efd2e", "kilogram"),
    "CF4": ("Methane, tetrafluoro-, R-14", "air", "", "33681770-a0e1-4ce8-93c3-941fd607fa5f", "kilogram"),
    "C2F6": ("Ethane, hexafluoro-, HFC-116", "air", "", "acc39720-dda7-4b3a-80c7-c6394cad4191", "kilogram"),
    "CHF3": ("Methane, trifluoro-, HFC-23", "air", "", "e5ba3517-a93f-422e-9ce2-f1007fcf6c06", "kilogram"),
    "NF3": ("Nitrogen fluoride", "air", "", "e79e03c3-5b19-45f6-b3f3-bf710c6663d2", "kilogram"),
    "SF6": ("Sulfur hexafluoride", "air", "", "35d1dff5-b535-4628-9826-4a8fce08a1f2", "kilogram"),
    "CFC11": ("Methane, trichlorofluoro-, CFC-11", "air", "", "51e99a55-bcdb-4d18-9484-6de4b142e09d", "kilogram"),
    "WATER": ("Water", "air", "", "075e433b-4be4-448e-9510-9a5029c1ce94", "cubic meter"),
    "AL": ("Aluminium", "natural resource", "in ground", "a45cd247-3532-4e27-bddc-b519fdb5e08f", "kilogram"),
    "CU": ("Copper", "natural resource", "in ground", "a9ac40a0-9bea-4c48-afa7-66aa6eb90624", "kilogram"),
    "FE": ("Iron", "natural resource", "in ground", "8ce3ff02-7a1e-48e3-881e-3248b944f28a", "kilogram"),
}
# IPCC AR6 GWP100 (as in the bundled IPCC 2021 method) of the process gases, to split ACT's CO2-eq.
GWP100 = {"CF4": 7380.0, "C2F6": 12400.0, "CHF3": 14600.0, "NF3": 17400.0, "SF6": 25200.0}

# ecoinvent pedigree factors (as in build_electricity.py: Frischknecht et al. 2007; Weidema et al. 2013)
PEDIGREE_FACTORS = (
    (1.0, 1.05, 1.10, 1.20, 1.50),
    (1.0, 1.02, 1.05, 1.10, 1.20),
    (1.0, 1.03, 1.10, 1.20, 1.50),
    (1.0, 1.01, 1.02, 1.02, 1.10),
    (1.0, 1.00, 1.20, 1.50, 2.00),
)


def sigma(scores: tuple[int, ...], basic: float = 1.05) -> float:
    terms = [math.log(basic) ** 2] + [math.log(PEDIGREE_FACTORS[i][s - 1]) ** 2 for i, s in enumerate(scores)]
    return math.sqrt(sum(terms)) / 2.0


def read(name: str) -> list[dict[str, str]]:
    with open(RAW / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def num(text: str) -> float | None:
    return float(text) if str(text).strip() else None


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


PARAMS = {row["parameter"]: row for row in read("hardware_parameters.csv")}


def p(name: str) -> float:
    return float(PARAMS[name]["value"])


def psource(*names: str) -> str:
    return "; ".join(dict.fromkeys(PARAMS[n]["source"] for n in names))


# -- the wafer model ---------------------------------------------------------------------------
def wafer_cm2_per_good_die(area_mm2: float, with_yield: bool = True, d0_per_cm2: float | None = None) -> float:
    """Processed 300 mm wafer area (cm2) that one good die of ``area_mm2`` takes, edge loss and yield included."""
    d = p("wafer_diameter_mm")
    side = math.sqrt(area_mm2) + p("scribe_mm")
    a = side * side
    per_wafer = math.pi * d * d / (4.0 * a) - math.pi * d / math.sqrt(2.0 * a)
    d0 = p("defect_density_per_cm2") if d0_per_cm2 is None else d0_per_cm2
    good = per_wafer * (math.exp(-d0 * area_mm2 / 100.0) if with_yield else 1.0)
    return (math.pi * d * d / 4.0) / good / 100.0


class Tables:
    def __init__(self) -> None:
        self.activities: list[dict] = []
        self.technosphere: list[dict] = []
        self.biosphere: list[dict] = []
        self.codes: set[str] = set()

    def activity(self, code: str, name: str, product: str, unit: str, location: str, category: str, source: str, notes: str) -> str:
        assert code not in self.codes, code
        self.codes.add(code)
        self.activities.append({"code": code, "name": name, "reference_product": product, "unit": unit, "location": location,
                                "category": category, "source": source, "notes": notes})
        return code

    def tech(self, activity: str, input_: str, amount: float, unit: str, source: str, notes: str, scale: float | None = None, year: int = YEAR) -> None:
        if amount <= 0:
            return
        row = {"activity": activity, "input": input_, "amount": f"{amount:.8g}", "unit": unit, "uncertainty_type": "",
               "loc": "", "scale": "", "minimum": "", "maximum": "", "source": source, "year": year, "notes": notes}
        if scale:
            # bw_mllca's fast engine samples biosphere uncertainty only (impact/engine.py), as the
            # electricity tables do: the input's sigma is kept in the notes, not in the exchange.
            row["notes"] = f"{notes}; lognormal sigma {scale:.4g} (not sampled: technosphere)"
        self.technosphere.append(row)

    def bio(self, activity: str, flow: str, amount: float, source: str, notes: str, scale: float | None = None, year: int = YEAR) -> None:
        if amount <= 0:
            return
        name, compartment, sub, uuid, unit = FLOWS[flow]
        row = {"activity": activity, "flow": name, "compartment": compartment, "subcompartment": sub, "biosphere3_uuid": uuid,
               "amount": f"{amount:.8g}", "unit": unit, "uncertainty_type": "", "loc": "", "scale": "", "minimum": "",
               "maximum": "", "source": source, "year": year, "notes": notes}
        if scale:
            amount = float(row["amount"])
            row.update(uncertainty_type=2, loc=repr(math.log(amount)), scale=f"{scale:.6g}")
        self.biosphere.append(row)


def wafer_code(node: str, region: str, abatement: int = DEFAULT_ABATEMENT) -> str:
    return f"wafer-{node}-{region}-{abatement}"


def build_wafers(t: Tables) -> None:
    shares = {g: p(f"gas_share_{g}") for g in GWP100}
    co2e_per_kg_mix = sum(shares[g] * GWP100[g] for g in GWP100) / sum(shares.values())
    for row in read("hardware_fab_nodes.csv"):
        node = row["node"]
        for region in FAB_REGIONS:
            for abatement in ABATEMENTS:
                code = wafer_code(node, region, abatement)
                t.activity(code, f"wafer processing, logic {node} class, fab in {region}, {abatement} % process-gas abatement, per cm2",
                           "processed wafer area", "square centimeter", region, "manufacture", row["source"],
                           "1 cm2 of processed 300 mm wafer (front end): fab electricity, process gases, materials and chemicals, ultrapure water.")
                t.tech(code, f"electricity-{region}", float(row["epa_kwh_per_cm2"]), "kilowatt hour", row["source"],
                       f"ACT EPA {row['epa_kwh_per_cm2']} kWh per cm2 ({node}), taken from the {region} grid at the meter; pedigree (2,3,2,3,3)",
                       sigma((2, 3, 2, 3, 3)), int(row["year"]))
                gpa_kg = float(row[f"gpa_{abatement}_g_co2e_per_cm2"]) / 1000.0
                gas_kg = gpa_kg / co2e_per_kg_mix  # kg of gas mix per cm2
                total_share = sum(shares.values())
                for gas, share in shares.items():
                    t.bio(code, gas, gas_kg * share / total_share,
                          f"{row['source']}; gas split: {psource('gas_share_CF4')}",
                          f"ACT GPA ({abatement} % abatement) {gpa_kg:.4g} kg CO2-eq/cm2 split by IPCC 2006 Tier-1 mass shares "
                          f"({', '.join(f'{g} {s:g}' for g, s in shares.items())}) at AR6 GWP100: {gas} = {gpa_kg:.4g} / {co2e_per_kg_mix:.6g} x {share / total_share:.4f} kg; pedigree (3,3,3,3,4)",
                          sigma((3, 3, 3, 3, 4), 1.5), int(row["year"]))
                t.bio(code, "CO2", float(row["mpa_g_co2e_per_cm2"]) / 1000.0, row["source"],
                      "ACT MPA (raw materials, wafer, chemicals) in kg CO2-eq per cm2, booked as Carbon dioxide, fossil: ACT gives no flow split (gap: the other categories of fab materials are not assessed); pedigree (3,3,3,3,4)",
                      sigma((3, 3, 3, 3, 4)), int(row["year"]))
                t.bio(code, "WATER", p("fab_water_l_per_cm2") / 1000.0, psource("fab_water_l_per_cm2"),
                      f"{p('fab_water_l_per_cm2')} L per cm2 (withdrawal after reuse) booked as consumed water: upper bound; pedigree (3,3,4,3,3)",
                      sigma((3, 3, 4, 3, 3)), 2015)
                t.bio(code, "CFC11", p("odp_logic_kg_cfc11_per_mm2") * 100.0, psource("odp_logic_kg_cfc11_per_mm2"),
                      "PROXY: BoaviztAPI characterized ODP per mm2 x 100, booked as CFC-11 (kg CFC-11-eq); no public inventory of ozone-depleting fab emissions; pedigree (4,4,3,4,4)",
                      sigma((4, 4, 3, 4, 4)))


def build_parts(t: Tables) -> None:
    """Per-unit part activities: PCB, metals, PSU, motherboard, chassis, HDD, assembly, transport, WEEE treatment."""
    single = "booked as Carbon dioxide, fossil (kg CO2-eq): single-indicator source (gap: other categories of this part)"
    t.activity("pcb-board", "printed wiring board, accelerator or server board, per cm2", "printed wiring board", "square centimeter",
               "GLO", "manufacture", psource("pcb_kg_co2e_per_cm2"), "Board area from datasheets / BoaviztAPI gpu_specs.csv")
    pmin, pmax = float(PARAMS["pcb_kg_co2e_per_cm2"]["minimum"]), float(PARAMS["pcb_kg_co2e_per_cm2"]["maximum"])
    t.bio("pcb-board", "CO2", p("pcb_kg_co2e_per_cm2"), psource("pcb_kg_co2e_per_cm2"),
          f"{single}; lognormal sigma ln(max/min)/4 = ln({pmax:g}/{pmin:g})/4 spans the two sources", math.log(pmax / pmin) / 4.0)
    t.bio("pcb-board", "CFC11", p("odp_pcb_kg_cfc11_per_cm2"), psource("odp_pcb_kg_cfc11_per_cm2"), "PROXY booked as CFC-11", sigma((4, 4, 3, 4, 4)))

    t.activity("aluminium-primary", "aluminium, primary ingot, per kg", "aluminium", "kilogram", "CN", "manufacture",
               psource("aluminium_kwh_per_kg", "aluminium_process_co2_kg_per_kg", "aluminium_cf4_kg_per_kg"),
               "Smelting electricity from the Chinese grid, anode CO2, PFCs from anode effects, bauxite-borne aluminium resource. Alumina refining fuel: gap.")
    t.tech("aluminium-primary", "electricity-CN", p("aluminium_kwh_per_kg"), "kilowatt hour", psource("aluminium_kwh_per_kg"),
           "smelter AC power per kg; pedigree (2,2,2,3,2)", sigma((2, 2, 2, 3, 2)))
    t.bio("aluminium-primary", "CO2", p("aluminium_process_co2_kg_per_kg"), psource("aluminium_process_co2_kg_per_kg"), "anode consumption; pedigree (2,2,3,3,2)", sigma((2, 2, 3, 3, 2)))
    t.bio("aluminium-primary", "CF4", p("aluminium_cf4_kg_per_kg"), psource("aluminium_cf4_kg_per_kg"), "Tier-1 PFC; pedigree (3,2,3,3,3)", sigma((3, 2, 3, 3, 3), 1.5))
    t.bio("aluminium-primary", "C2F6", p("aluminium_c2f6_kg_per_kg"), psource("aluminium_c2f6_kg_per_kg"), "Tier-1 PFC; pedigree (3,2,3,3,3)", sigma((3, 2, 3, 3, 3), 1.5))
    t.bio("aluminium-primary", "AL", 1.0, psource("aluminium_kwh_per_kg"), "1 kg of aluminium extracted per kg of ingot (no recycled content: upper bound)")

    t.activity("copper-cathode", "copper, cathode, per kg", "copper", "kilogram", "GLO", "manufacture", psource("copper_co2e_kg_per_kg"),
               "Global-average cathode: CO2-eq total and the copper resource. Smelter SO2, metals: gap.")
    t.bio("copper-cathode", "CO2", p("copper_co2e_kg_per_kg"), psource("copper_co2e_kg_per_kg"), f"{single}; pedigree (3,2,2,2,3)", sigma((3, 2, 2, 2, 3)))
    t.bio("copper-cathode", "CU", 1.0, psource("copper_co2e_kg_per_kg"), "1 kg of copper extracted per kg of cathode (no recycled content: upper bound)")

    t.activity("steel-low-alloyed", "steel, world-average route, per kg", "steel", "kilogram", "GLO", "manufacture", psource("steel_co2_kg_per_kg"),
               "worldsteel CO2 intensity and the iron resource. Other flows of steelmaking: gap.")
    t.bio("steel-low-alloyed", "CO2", p("steel_co2_kg_per_kg"), psource("steel_co2_kg_per_kg"), f"{single}; pedigree (2,2,2,2,3)", sigma((2, 2, 2, 2, 3)))
    t.bio("steel-low-alloyed", "FE", 1.0, psource("steel_co2_kg_per_kg"), "1 kg of iron extracted per kg of steel (no scrap input: upper bound)")

    for code, name, unit, param in (
        ("power-supply", "power supply unit, server, per kg", "kilogram", "psu_kg_co2e_per_kg"),
        ("motherboard-server", "motherboard, server, one unit", "unit", "motherboard_kg_co2e"),
        ("hdd-unit", "hard disk drive, one unit", "unit", "hdd_kg_co2e"),
        ("assembly-electronics", "assembly and test, electronics product, one unit", "unit", "assembly_kg_co2e"),
    ):
        t.activity(code, name, name.split(",")[0], unit, "GLO", "manufacture", psource(param), PARAMS[param]["notes"])
        t.bio(code, "CO2", p(param), psource(param), f"{single}; pedigree (3,3,3,3,3)", sigma((3, 3, 3, 3, 3)))

    steel_kg = p("rack_case_kg_co2e") / p("steel_co2_kg_per_kg")
    t.activity("chassis-rack-server", "rack chassis, server, one unit", "rack chassis", "unit", "GLO", "manufacture",
               psource("rack_case_kg_co2e", "steel_co2_kg_per_kg"), PARAMS["rack_case_kg_co2e"]["notes"])
    t.tech("chassis-rack-server", "steel-low-alloyed", steel_kg, "kilogram", psource("rack_case_kg_co2e", "steel_co2_kg_per_kg"),
           f"PROXY: steel mass implied by BoaviztAPI's rack case {p('rack_case_kg_co2e'):g} kg CO2-eq at worldsteel's {p('steel_co2_kg_per_kg'):g} kg CO2/kg = {steel_kg:.4g} kg (chassis mass not published for the archetypes; keeps BoaviztAPI's GWP and adds the iron resource)",
           sigma((4, 3, 3, 3, 4)))

    per_kg = p("transport_boat_km") * p("transport_boat_kg_co2e_per_kg_km") + p("transport_truck_km") * p("transport_truck_kg_co2e_per_kg_km") + p("upstream_transport_kg_co2e_per_kg")
    t.activity("transport-product", "transport, electronics product to the datacenter and parts to assembly, per kg", "transport", "kilogram",
               "GLO", "manufacture", psource("transport_boat_km", "transport_boat_kg_co2e_per_kg_km", "upstream_transport_kg_co2e_per_kg"),
               "Boat 19,000 km + truck 1,000 km + upstream parts transport, per kg of product")
    t.bio("transport-product", "CO2", per_kg, psource("transport_boat_kg_co2e_per_kg_km", "transport_truck_kg_co2e_per_kg_km", "upstream_transport_kg_co2e_per_kg"),
          f"{p('transport_boat_km'):g} km x {p('transport_boat_kg_co2e_per_kg_km'):g} + {p('transport_truck_km'):g} km x {p('transport_truck_kg_co2e_per_kg_km'):g} + {p('upstream_transport_kg_co2e_per_kg'):g} = {per_kg:.6g} kg CO2-eq per kg; {single}",
          sigma((3, 3, 3, 3, 3)))

    for code, label in (("treatment-weee-recycling", "recycling"), ("treatment-weee-disposal", "disposal (landfill or incineration, undocumented streams)")):
        t.activity(code, f"treatment of waste electrical and electronic equipment, {label}, per kg", "WEEE treatment", "kilogram", "GLO", "end of life",
                   psource("eol_treatment_kg_co2e_per_kg"),
                   "Cut-off approach: the treatment burdens go to the product that becomes waste; recovered metals carry no credit and no burden here.")
        t.bio(code, "CO2", p("eol_treatment_kg_co2e_per_kg"), psource("eol_treatment_kg_co2e_per_kg"),
              f"BoaviztAPI WEEE factor per kg (one factor for all treatment routes); {single}", sigma((4, 3, 3, 3, 4)))
        t.bio(code, "CFC11", p("eol_odp_kg_cfc11_per_kg"), psource("eol_odp_kg_cfc11_per_kg"), "PROXY booked as CFC-11", sigma((4, 4, 3, 4, 4)))


def build_memory(t: Tables) -> dict[str, dict[str, str]]:
    memory = {row["memory_type"]: row for row in read("hardware_memory.csv")}
    for kind, row in memory.items():
        code = f"memory-{kind}"
        die, per_die = float(row["die_mm2"]), float(row["gb_per_die"])
        per_gb = wafer_cm2_per_good_die(die) / per_die if kind != "NAND-TLC" else wafer_cm2_per_good_die(100.0) * die / 100.0
        t.activity(code, f"memory dies, {kind}, per GB", f"memory, {kind}", "gigabyte", row["fab_region"], "manufacture", row["source"],
                   f"DRAM/NAND dies only; {row['notes']}")
        if kind == "NAND-TLC":
            how = f"{die} mm2 per GB, on 100 mm2 dies (edge and yield of a 100 mm2 die): {per_gb:.6g} cm2 of wafer per GB"
        else:
            how = f"one {die} mm2 die holds {per_die:g} GB: {wafer_cm2_per_good_die(die):.6g} cm2 of wafer per good die / {per_die:g} = {per_gb:.6g} cm2 per GB"
        t.tech(code, wafer_code(row["node"], row["fab_region"]), per_gb, "square centimeter", row["source"],
               f"{how}; pedigree (3,3,2,3,4)", sigma((3, 3, 2, 3, 4)), int(row["year"]))
    return memory


def manufacture_accelerators(t: Tables, memory: dict, dies: dict[str, list[dict]]) -> list[dict]:
    catalog = []
    for row in read("hardware_devices.csv"):
        code = row["code"]
        act = f"manufacture-{code}"
        mem = memory[row["memory_type"]]
        t.activity(act, f"manufacture, {row['name']}, one unit", f"accelerator, {row['name']}", "unit", "GLO", "manufacture",
                   row["source"], "Cradle to gate plus transport to the datacenter: logic dies, memory, package, board, heat sink, casing, assembly. Excludes the host server.")
        logic_mm2 = 0.0
        for die in dies[code]:
            count, area = float(die["count"]), float(die["area_mm2"])
            logic_mm2 += count * area
            cm2 = count * wafer_cm2_per_good_die(area)
            t.tech(act, wafer_code(die["node"], die["fab_region"]), cm2, "square centimeter", die["source"],
                   f"{die['count']} x {die['part']} {area:g} mm2: {wafer_cm2_per_good_die(area):.6g} cm2 of wafer per good die (300 mm, edge loss, Poisson yield D0 {p('defect_density_per_cm2'):g}/cm2) x {die['count']}. {die['notes']}".strip(),
                   sigma((2, 2, 2, 3, 3)) if "PROXY" not in die["notes"] else sigma((4, 3, 2, 3, 4)), int(die["year"]))
        built = float(row["memory_gb_built"])
        t.tech(act, f"memory-{row['memory_type']}", built, "gigabyte", row["source"],
               f"{built:g} GB of {row['memory_type']} on the package ({row['memory_gb_usable']} GB usable) in {row['memory_stacks']} stacks/packages; pedigree (2,2,2,3,3)",
               sigma((2, 2, 2, 3, 3)))
        stacks = int(row["memory_stacks"])
        if row["memory_type"].startswith("HBM"):
            base = float(mem["die_mm2"])
            t.tech(act, wafer_code(mem["node"], mem["fab_region"]), stacks * wafer_cm2_per_good_die(base), "square centimeter", mem["source"],
                   f"HBM base (logic) dies: {stacks} x {base:g} mm2 (footprint PROXY) at the memory fab's node PROXY; pedigree (4,3,2,3,4)", sigma((4, 3, 2, 3, 4)))
            interposer = logic_mm2 + stacks * base
            t.tech(act, wafer_code(INTERPOSER_NODE, "TW"), wafer_cm2_per_good_die(interposer, with_yield=False), "square centimeter",
                   "TSMC CoWoS silicon interposer carrying the logic dies and HBM stacks (NVIDIA, AMD, Intel product briefs)",
                   f"PROXY: interposer area = logic {logic_mm2:g} mm2 + {stacks} stacks x {base:g} mm2 = {interposer:g} mm2 (lower bound), edge loss, no yield loss (passive); ACT {INTERPOSER_NODE} (upper bound for a passive process); pedigree (4,4,2,3,5)",
                   sigma((4, 4, 2, 3, 5)))
        t.tech(act, "pcb-board", float(row["board_cm2"]), "square centimeter", row["source"], f"board {row['board_cm2']} cm2")
        t.tech(act, "copper-cathode", float(row["heatsink_kg"] or 0), "kilogram", row["source"], "heat sink mass; PROXY: all copper (material split not published)", sigma((3, 3, 2, 3, 4)))
        t.tech(act, "aluminium-primary", float(row["casing_kg"] or 0), "kilogram", row["source"], "casing mass; PROXY: all aluminium", sigma((3, 3, 2, 3, 4)))
        t.tech(act, "assembly-electronics", 1.0, "unit", psource("assembly_kg_co2e"), "PROXY: server assembly figure for one board")
        t.tech(act, "transport-product", float(row["mass_kg"]), "kilogram", row["source"], f"module mass {row['mass_kg']} kg")
        eol = f"eol-{code}"
        t.activity(eol, f"end of life, {row['name']}, one unit", f"end of life of accelerator, {row['name']}", "unit", "GLO", "end of life",
                   psource("eol_recycled_share", "eol_treatment_kg_co2e_per_kg"), "WEEE: recycled share and disposal share of the module mass; cut-off approach.")
        mass = float(row["mass_kg"])
        t.tech(eol, "treatment-weee-recycling", mass * p("eol_recycled_share"), "kilogram", psource("eol_recycled_share"), f"{mass:g} kg x {p('eol_recycled_share'):g}")
        t.tech(eol, "treatment-weee-disposal", mass * (1 - p("eol_recycled_share")), "kilogram", psource("eol_recycled_share"), f"{mass:g} kg x {1 - p('eol_recycled_share'):g}")
        catalog.append({"code": code, "name": row["name"], "kind": "accelerator", "aliases": row["aliases"], "power_w": row["tdp_w"],
                        "idle_w": row["idle_w"], "mass_kg": row["mass_kg"], "accelerators_per_server": "",
                        "default_lifespan_years": row["lifespan_years"], "manufacture_activity": act, "end_of_life_activity": eol,
                        "memory": f"{row['memory_gb_usable']} GB {row['memory_type']}",
                        "dies": "; ".join(f"{d['count']} x {d['part']} {d['area_mm2']} mm2 {d['node']} {d['fab_region']}" for d in dies[code]),
                        "source": row["source"], "year": row["year"], "notes": row["notes"]})
    return catalog


def manufacture_servers(t: Tables, dies: dict[str, list[dict]], accelerator_mass: dict[str, float]) -> list[dict]:
    catalog = []
    rows = read("hardware_servers.csv")
    # network devices first: servers consume their share
    rows.sort(key=lambda r: 0 if r["kind"] == "network" else 1)
    for row in rows:
        code = row["code"]
        act = f"manufacture-{code}"
        t.activity(act, f"manufacture, {row['name']}, one unit", f"{row['kind']}, {row['name']}", "unit", "GLO", "manufacture", row["source"],
                   "Cradle to gate plus transport: CPU (or switch ASIC) dies, DRAM, NAND, motherboard, PSUs, chassis, assembly"
                   + (", and its share of network switches" if row["network_code"] else "") + ". Accelerators excluded.")
        for die in dies[row["cpu"]]:
            count, area = float(die["count"]) * float(row["cpus"]), float(die["area_mm2"])
            t.tech(act, wafer_code(die["node"], die["fab_region"]), count * wafer_cm2_per_good_die(area), "square centimeter", die["source"],
                   f"{row['cpus']} x {die['count']} {die['part']} {area:g} mm2: {wafer_cm2_per_good_die(area):.6g} cm2 per good die. {die['notes']}".strip(),
                   sigma((2, 2, 2, 3, 3)) if "PROXY" not in die["notes"] else sigma((4, 3, 2, 3, 4)), int(die["year"]))
        t.tech(act, f"memory-{row['dram_type']}", float(row["dram_gb"]), "gigabyte", row["source"], f"{row['dram_gb']} GB {row['dram_type']}", sigma((2, 2, 2, 3, 3)))
        t.tech(act, "memory-NAND-TLC", float(row["ssd_gb"] or 0), "gigabyte", row["source"], f"{row['ssd_gb']} GB of SSD NAND", sigma((2, 2, 2, 3, 3)))
        t.tech(act, "hdd-unit", float(row["hdd_units"] or 0), "unit", row["source"], "hard disk drives")
        psu_kg = float(row["psu_units"]) * float(row["psu_kg"])
        t.tech(act, "power-supply", psu_kg, "kilogram", row["source"], f"{row['psu_units']} PSUs x {row['psu_kg']} kg")
        t.tech(act, "motherboard-server", float(row["motherboards"]), "unit", row["source"], "motherboard")
        mass = num(row["mass_kg"])
        if mass is not None:
            slots = int(row["accelerators_per_server"] or 0)
            steel = mass - psu_kg - slots * accelerator_mass.get("H100-SXM5-80GB", 0.0)
            t.tech(act, "steel-low-alloyed", steel, "kilogram", row["source"],
                   f"PROXY: chassis, fans, boards and rails as steel = system mass {mass:g} kg - PSUs {psu_kg:g} kg"
                   + (f" - {slots} SXM modules of 1.69 kg" if slots else "") + " (upper bound for steel)", sigma((4, 3, 2, 3, 4)))
        else:
            t.tech(act, "chassis-rack-server", 1.0, "unit", psource("rack_case_kg_co2e"), "rack chassis (mass not published for the archetype)")
        t.tech(act, "assembly-electronics", float(row["assembly"]), "unit", psource("assembly_kg_co2e"), "server assembly")
        transported = mass if mass is not None else psu_kg
        t.tech(act, "transport-product", transported, "kilogram", row["source"],
               f"{transported:g} kg" + ("" if mass is not None else " (PSU mass only: archetype mass not published, gap)"))
        if row["network_code"]:
            t.tech(act, f"manufacture-{row['network_code']}", float(row["network_units"]), "unit", row["source"],
                   f"share of network switches per server: {row['network_units']}", sigma((4, 3, 3, 3, 4)))
        if row["storage_code"]:
            t.tech(act, f"manufacture-{row['storage_code']}", float(row["storage_units"]), "unit", row["source"], "share of storage nodes per server")
        eol = f"eol-{code}"
        t.activity(eol, f"end of life, {row['name']}, one unit", f"end of life of {row['kind']}, {row['name']}", "unit", "GLO", "end of life",
                   psource("eol_recycled_share", "eol_treatment_kg_co2e_per_kg"), "WEEE shares of the system mass; cut-off approach.")
        waste = (mass - int(row["accelerators_per_server"] or 0) * accelerator_mass.get("H100-SXM5-80GB", 0.0)) if mass is not None else psu_kg
        t.tech(eol, "treatment-weee-recycling", waste * p("eol_recycled_share"), "kilogram", psource("eol_recycled_share"), f"{waste:g} kg x {p('eol_recycled_share'):g}"
               + ("" if mass is not None else " (PSU mass only: archetype mass not published, gap)"))
        t.tech(eol, "treatment-weee-disposal", waste * (1 - p("eol_recycled_share")), "kilogram", psource("eol_recycled_share"), f"{waste:g} kg x {1 - p('eol_recycled_share'):g}")
        catalog.append({"code": code, "name": row["name"], "kind": row["kind"], "aliases": row["aliases"], "power_w": row["tdp_w"],
                        "idle_w": row["idle_w"], "mass_kg": row["mass_kg"], "accelerators_per_server": row["accelerators_per_server"],
                        "default_lifespan_years": row["lifespan_years"], "manufacture_activity": act, "end_of_life_activity": eol,
                        "memory": f"{row['dram_gb']} GB {row['dram_type']}; {row['ssd_gb']} GB NAND",
                        "dies": "; ".join(f"{int(float(d['count']) * float(row['cpus']))} x {d['part']} {d['area_mm2']} mm2 {d['node']} {d['fab_region']}" for d in dies[row["cpu"]]),
                        "source": row["source"], "year": row["year"], "notes": row["notes"]})
    return catalog


IPCC_GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
REPORTED = [  # categories written to hardware_scores.csv (and shown in inventories/README.md)
    IPCC_GWP100,
    *[("TRACI v2.1", c) for c in ("acidification", "climate change", "ecotoxicity: freshwater", "eutrophication",
                                  "human toxicity: carcinogenic", "human toxicity: non-carcinogenic", "ozone depletion",
                                  "particulate matter formation", "photochemical oxidant formation")],
    *[("EF v3.1", c) for c in ("climate change", "acidification", "ecotoxicity: freshwater", "ozone depletion",
                               "human toxicity: carcinogenic", "particulate matter formation",
                               "material resources: metals/minerals", "energy resources: non-renewable")],
]


def bundled_factors() -> dict[tuple[str, ...], dict[str, float]]:
    """Characterization factors of the REPORTED categories from bw2io's bundled ecoinvent 3.9 LCIA file."""
    import importlib.util
    import json
    import zipfile

    spec = importlib.util.find_spec("bw2io")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        methods = json.loads(archive.read("data.json"))
    out: dict[tuple[str, ...], dict[str, float]] = {}
    for method in methods:
        name = tuple(method["name"])
        key = name if name == IPCC_GWP100 else name[:2]
        if key in REPORTED and key not in out:
            out[key] = {exc["input"][1]: float(exc["amount"]) for exc in method["exchanges"]}
    return out


def scores(t: Tables) -> dict[str, dict[tuple[str, ...], float]]:
    """Each hardware activity's score per REPORTED category, by recursion through the background tables
    (the background is acyclic), with the electricity tables as written by build_electricity.py."""
    cfs = bundled_factors()
    bio: dict[str, list[tuple[str, float]]] = {}
    tech: dict[str, list[tuple[str, float]]] = {}
    with open(HERE / "electricity_technologies.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            bio.setdefault(row["activity"], []).append((row["biosphere3_uuid"], float(row["amount"])))
    with open(HERE / "electricity_grid.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tech.setdefault(row["activity"], []).append((row["input"], float(row["amount"])))
    for row in t.biosphere:
        bio.setdefault(row["activity"], []).append((row["biosphere3_uuid"], float(row["amount"])))
    for row in t.technosphere:
        tech.setdefault(row["activity"], []).append((row["input"], float(row["amount"])))
    memo: dict[str, dict[tuple[str, ...], float]] = {}

    def score(code: str) -> dict[tuple[str, ...], float]:
        if code not in memo:
            out = {m: sum(a * cfs[m].get(u, 0.0) for u, a in bio.get(code, [])) for m in REPORTED}
            for source, amount in tech.get(code, []):
                sub = score(source)
                for m in REPORTED:
                    out[m] += amount * sub[m]
            memo[code] = out
        return memo[code]

    return {row["code"]: score(row["code"]) for row in t.activities}


def write(name: str, rows: list[dict], columns: list[str]) -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8")


def throughput_rows(accelerators: list[dict]) -> list[dict]:
    """Peak dense TFLOPS per (catalog accelerator, precision), checked against the catalog."""
    names = {row["code"]: row["name"] for row in accelerators}
    rows, seen = [], set()
    for row in read("accelerator_throughput.csv"):
        device, precision = row["device"], row["precision"]
        if device not in names:
            raise ValueError(f"raw/accelerator_throughput.csv: device {device!r} is not a catalog accelerator")
        if precision not in PRECISIONS:
            raise ValueError(f"raw/accelerator_throughput.csv: {device} precision {precision!r} not in {PRECISIONS}")
        if (device, precision) in seen:
            raise ValueError(f"raw/accelerator_throughput.csv: {device} {precision} given twice")
        seen.add((device, precision))
        tflops = float(row["peak_dense_tflops"])
        if not tflops > 0:
            raise ValueError(f"raw/accelerator_throughput.csv: {device} {precision} peak_dense_tflops = {tflops!r}")
        rows.append({"code": device, "name": names[device], "precision": precision, "peak_dense_tflops": f"{tflops:g}",
                     "unit": "TFLOPS (10^12 floating-point operations per second), dense, no sparsity",
                     "source": row["source"], "year": row["year"], "notes": row["notes"]})
    return rows


def main() -> None:
    t = Tables()
    build_wafers(t)
    build_parts(t)
    memory = build_memory(t)
    dies: dict[str, list[dict]] = {}
    for row in read("hardware_dies.csv"):
        dies.setdefault(row["device"], []).append(row)
    accelerators = manufacture_accelerators(t, memory, dies)
    mass = {row["code"]: float(row["mass_kg"]) for row in accelerators}
    servers = manufacture_servers(t, dies, mass)
    write("hardware_activities.csv", t.activities, ["code", "name", "reference_product", "unit", "location", "category", "source", "notes"])
    write("hardware_technosphere.csv", t.technosphere, ["activity", "input", "amount", "unit", "uncertainty_type", "loc", "scale", "minimum", "maximum", "source", "year", "notes"])
    write("hardware_biosphere.csv", t.biosphere, ["activity", "flow", "compartment", "subcompartment", "biosphere3_uuid", "amount", "unit", "uncertainty_type", "loc", "scale", "minimum", "maximum", "source", "year", "notes"])
    result = scores(t)
    for device in accelerators + servers:
        device["gwp_kg"] = f"{result[device['manufacture_activity']][IPCC_GWP100]:.6g}"
    write("hardware.csv", accelerators + servers, ["code", "name", "kind", "aliases", "power_w", "idle_w", "mass_kg", "accelerators_per_server",
                                                   "default_lifespan_years", "gwp_kg", "manufacture_activity", "end_of_life_activity", "memory", "dies", "source", "year", "notes"])
    write("accelerator_throughput.csv", throughput_rows(accelerators),
          ["code", "name", "precision", "peak_dense_tflops", "unit", "source", "year", "notes"])
    score_rows = [
        {"device": d["code"], "activity": activity, "method": " | ".join(m), "score": f"{result[activity][m]:.6g}",
         "source": "computed by inventories/scripts/build_hardware.py with bw2io's bundled ecoinvent 3.9 LCIA factors", "year": YEAR}
        for d in accelerators + servers for activity in (d["manufacture_activity"], d["end_of_life_activity"]) for m in REPORTED
    ]
    write("hardware_scores.csv", score_rows, ["device", "activity", "method", "score", "source", "year"])
    print(f"{len(t.activities)} activities, {len(t.technosphere)} technosphere and {len(t.biosphere)} biosphere exchanges, {len(accelerators) + len(servers)} devices")


if __name__ == "__main__":
    main()

"""Derive the electricity background tables of inventories/ from the cited raw tables in inventories/raw/.

Usage: python inventories/scripts/build_electricity.py [OUT_DIR]   (default: inventories/)

The electricity of every region is generation mix x per-technology life-cycle inventory, with one
boundary everywhere (cradle to busbar: fuel chain, infrastructure, combustion, plus grid losses to
the datacenter meter). Writes (all generated; edit the raw tables, then re-run):

- ``electricity_technologies.csv``: biosphere exchanges of the technology activities, per kWh net
  generated (one activity per technology, combustion technologies once per abatement level);
- ``electricity_grid.csv``: technosphere exchanges: each region's generation mix (latest year)
  consumes its technologies, each region's meter activity consumes 1 / (1 - losses) of its mix;
- ``electricity_mixes.csv.gz``: every region's technology shares for every year with data (a study
  naming another year or a deployment span builds that mix from this table);
- ``electricity_activities.csv``: the activities (same columns as activities.csv);
- ``regions.csv``: the region catalog (codes, kinds, years, losses, AWARE factor, aliases), with
  the GWP100 per kWh at the meter computed from the tables above with IPCC 2021 GWP100.

Needs pandas, pycountry and bw2io (for the IPCC 2021 GWP100 factors of the derived GWP column).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pycountry

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling module, also when loaded by path
from radionuclide_proxy import with_supply_chain_radionuclides, world_shares  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
RAW = HERE / "raw"
YEARS = range(2019, 2025)
READ = {"keep_default_na": False, "na_values": [""]}  # "NA" is Namibia

# Broad source categories of the mix tables -> technologies, split by technology_splits.csv
# (region-specific where a source gives it, else its "default" rows).
CATEGORY_TECHNOLOGIES = {
    "coal": ("hard coal", "lignite"),
    "gas": ("gas combined cycle", "gas turbine"),
    "oil": ("oil",),
    "nuclear": ("nuclear",),
    "hydro": ("hydro reservoir", "hydro run-of-river"),
    "wind": ("wind onshore", "wind offshore"),
    "solar": ("solar PV", "solar CSP"),
    "biomass": ("biomass",),
    "geothermal": ("geothermal",),
    "unknown": ("other",),
}
# Storage discharge re-delivers electricity the zone generated earlier: its share is given the
# zone's own mix (dropped, then the rest renormalised), so storage is neither free nor double counted.
STORAGE = ("hydro discharge", "battery discharge")

# ecoinvent pedigree matrix default uncertainty factors by score 1-5 (Frischknecht et al. 2007,
# ecoinvent report No. 1 "Overview and methodology", uncertainty chapter; Weidema et al. 2013,
# ecoinvent v3 data quality guideline, keep them for the "version 1" matrix).
PEDIGREE_FACTORS = (
    (1.0, 1.05, 1.10, 1.20, 1.50),  # reliability
    (1.0, 1.02, 1.05, 1.10, 1.20),  # completeness
    (1.0, 1.03, 1.10, 1.20, 1.50),  # temporal correlation
    (1.0, 1.01, 1.02, 1.02, 1.10),  # geographical correlation
    (1.0, 1.00, 1.20, 1.50, 2.00),  # further technological correlation
)
# Basic uncertainty factors (same sources) for the kinds of amount written here.
BASIC_FACTOR_MIX_SHARE = 1.05  # "demand: electricity", a statistic
BASIC_FACTOR_LOSSES = 1.05


def sigma_from_pedigree(scores: tuple[int, ...], basic_factor: float) -> float:
    """Lognormal sigma (of ln) from five pedigree scores and a basic uncertainty factor.

    The factors U are 95 % (2 sigma) multiplicative ranges: sigma = sqrt(sum ln(U)^2) / 2.
    """
    terms = [math.log(basic_factor) ** 2] + [math.log(PEDIGREE_FACTORS[i][s - 1]) ** 2 for i, s in enumerate(scores)]
    return math.sqrt(sum(terms)) / 2.0


def parse_pedigree(text: str) -> tuple[int, ...]:
    scores = tuple(int(p) for p in str(text).replace(" ", "").strip("()").split(","))
    if len(scores) != 5 or not all(1 <= s <= 5 for s in scores):
        raise ValueError(f"pedigree = {text!r}: give five scores 1-5")
    return scores


# Basic uncertainty factors by flow (ecoinvent guideline, air emissions from combustion; resources
# and demands 1.05; radionuclides 3); flows not named get 1.5.
BASIC_FACTOR_BY_FLOW = {
    "Carbon dioxide, fossil": 1.05,
    "Sulfur dioxide": 1.05,
    "Nitrogen oxides": 1.5,
    "Dinitrogen monoxide": 1.5,
    "Methane, fossil": 1.5,
    "Methane, non-fossil": 1.5,
    "Ammonia": 1.5,
    "NMVOC, non-methane volatile organic compounds": 1.5,
    "Particulate Matter, > 2.5 um and < 10um": 2.0,
    "Particulate Matter, < 2.5 um": 3.0,
    "Carbon monoxide, fossil": 5.0,
    "Carbon monoxide, non-fossil": 5.0,
}
HEAVY_METALS = ("Mercury", "Lead", "Cadmium", "Arsenic", "Nickel", "Chromium", "Selenium", "Zinc", "Copper")
RADIONUCLIDES = ("Radon", "Carbon-14", "Hydrogen-3", "Noble gases", "Iodine", "Krypton", "Xenon",
                 "Aerosols, radioactive", "Radioactive species", "Uranium-", "Thorium-", "Radium-", "Lead-210", "Polonium-")
RESOURCES = ("Coal", "Gas, natural", "Oil, crude", "Uranium", "Energy, ")


def basic_factor(flow: str) -> float:
    if flow in BASIC_FACTOR_BY_FLOW:
        return BASIC_FACTOR_BY_FLOW[flow]
    if flow.startswith(RADIONUCLIDES):  # before the metals: "Lead-210" is a radionuclide
        return 3.0
    if flow.startswith(HEAVY_METALS):
        return 5.0
    if flow.startswith(RESOURCES):
        return 1.05
    return 1.5


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, **READ)


# -- technologies ----------------------------------------------------------------------------
def technology_rows(lci: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """Exchange rows of the technology activities, and (technology, abatement level) -> activity code.

    A technology with abatement-specific direct rows gets one activity per level (shared rows plus
    that level's rows); the others one activity. Rows without an amount are the source's gaps:
    they are not written; documented proxies fill the largest of them (``_with_proxies``, and
    ``radionuclide_proxy`` for the supply-chain radionuclides).
    """
    # blank: the source's gaps; 0: a published zero (no exchange needed)
    known = _with_proxies(lci[lci["amount"].notna() & (lci["amount"] > 0)].copy())
    shares, year = world_shares(read("codecarbon_mixes.csv"), {c: t[0] for c, t in CATEGORY_TECHNOLOGIES.items()})
    known = with_supply_chain_radionuclides(known, shares, year, _is_radionuclide)
    codes: dict[tuple[str, str], str] = {}
    out = []
    for technology, rows in known.groupby("technology", sort=True):
        levels = sorted(rows["abatement"].dropna().unique())
        shared = rows[rows["abatement"].isna()]
        for level in levels or [""]:
            code = f"electricity-gen-{slug(technology)}" + (f"-{level}" if level else "")
            codes[(technology, level)] = code
            chosen = pd.concat([shared, rows[rows["abatement"] == level]]) if level else shared
            for _, row in chosen.iterrows():
                out.append(_technology_exchange(code, row))
    return pd.DataFrame(out), codes


POLLUTANTS = ("Sulfur dioxide", "Nitrogen oxides", "Particulate Matter, < 2.5 um", "Particulate Matter, > 2.5 um and < 10um")
PROXY_REFERENCE = ("hard coal", "high")
PROXY_PEDIGREE = "5,5,5,5,5"


def _is_metal(flow: str) -> bool:
    return flow.startswith(HEAVY_METALS) and not _is_radionuclide(flow)


def _is_radionuclide(flow: str) -> bool:
    return flow.startswith(RADIONUCLIDES)


def _with_proxies(rows: pd.DataFrame) -> pd.DataFrame:
    """Fill two gaps of the technology table with stated proxies, never with zeros.

    1. Uncontrolled (``low``) combustion has no metal factors in the sources read: it gets the
       ``medium`` level's metal rows, a lower bound (uncontrolled plants emit more).
    2. Nuclear and the renewables have supply-chain GHG but no supply-chain pollutant flows: they get
       SO2, NOx, particulates and metals in proportion to their supply-chain fossil CO2, at the
       pollutant-to-CO2 ratio of hard-coal power with high abatement (coal is the main energy source
       of the steel, cement, glass and polysilicon chains behind them, most of them in China, the EU
       and Japan, whose plants are controlled).
    """
    extra = []
    for technology, group in rows.groupby("technology"):
        medium = group[(group["abatement"] == "medium") & group["flow"].map(_is_metal)]
        low_flows = set(group[group["abatement"] == "low"]["flow"])
        for _, row in medium.iterrows():
            if (group["abatement"] == "low").any() and row["flow"] not in low_flows:
                extra.append({**row.to_dict(), "abatement": "low", "pedigree": PROXY_PEDIGREE,
                              "notes": f"PROXY (lower bound): medium-abatement factor, no uncontrolled factor found. {row['notes']}"})
    reference = rows[(rows["technology"] == PROXY_REFERENCE[0]) & (rows["abatement"] == PROXY_REFERENCE[1])
                     & (rows["stage"] == "direct")]
    reference_co2 = float(reference[reference["flow"] == "Carbon dioxide, fossil"]["amount"].sum())
    proxied = reference[reference["flow"].isin(POLLUTANTS) | reference["flow"].map(_is_metal)]
    for technology, group in rows.groupby("technology"):
        if group["flow"].isin(POLLUTANTS).any():
            continue
        chain = group[(group["flow"] == "Carbon dioxide, fossil") & group["stage"].isin(["upstream", "infrastructure"])]
        chain_co2 = float(chain["amount"].sum())
        if chain_co2 <= 0:
            continue
        for _, row in proxied.iterrows():
            ratio = float(row["amount"]) / reference_co2
            extra.append({**row.to_dict(), "technology": technology, "abatement": float("nan"), "stage": "upstream",
                          "amount": chain_co2 * ratio, "minimum": float("nan"),
                          "maximum": float("nan"), "pedigree": PROXY_PEDIGREE,
                          "notes": (f"PROXY: supply-chain {row['flow']} = supply-chain fossil CO2 {chain_co2:.4g} kg/kWh x "
                                    f"{row['flow']}/CO2 of hard-coal power, high abatement ({ratio:.4g} kg/kg)")})
    return pd.concat([rows, pd.DataFrame(extra)], ignore_index=True) if extra else rows


def _technology_exchange(code: str, row: pd.Series) -> dict:
    amount = float(row["amount"])
    sigma = sigma_from_pedigree(parse_pedigree(row["pedigree"]), basic_factor(row["flow"]))
    low, high = row.get("minimum"), row.get("maximum")
    if pd.notna(low) and pd.notna(high) and float(low) > 0 and float(high) > float(low):
        # the spread of the published figures, read as a 95 % range, widens the pedigree sigma
        sigma = max(sigma, math.log(float(high) / float(low)) / (2 * 1.96))
    exchange = {
        "activity": code,
        "flow": row["flow"],
        "compartment": row["compartment"],
        # biosphere3 names air/unspecified as ("air",): no subcompartment
        "subcompartment": row["subcompartment"] if pd.notna(row["subcompartment"]) and row["subcompartment"] != "unspecified" else "",
        "biosphere3_uuid": row["biosphere3_uuid"],
        "amount": amount,
        "unit": row["unit"],
        "uncertainty_type": 2 if amount > 0 else 0,
        "loc": math.log(amount) if amount > 0 else "",
        "scale": round(sigma, 6) if amount > 0 else "",
        "minimum": "",
        "maximum": "",
        "source": row["source"],
        "year": row["year"],
        "notes": f"{row['stage']}; pedigree ({row['pedigree']}) -> lognormal sigma {sigma:.4f}. {row['notes']}",
    }
    return exchange


# -- mixes -----------------------------------------------------------------------------------
EGRID_SHARES = {  # eGRID2023 generation-share columns (%) -> category
    "SRCLPR": "coal", "SROLPR": "oil", "SRGSPR": "gas", "SRNCPR": "nuclear", "SRHYPR": "hydro",
    "SRBMPR": "biomass", "SRWIPR": "wind", "SRSOPR": "solar", "SRGTPR": "geothermal",
    "SROFPR": "unknown", "SROPPR": "unknown",  # other fossil; other unknown / purchased fuel
}
SOURCE_EMAPS = (
    "Electricity Maps, public zone configuration (electricitymaps-contrib, config/zones/<zone>.yaml, "
    "fallbackZoneMixes.powerOriginRatios: yearly average share of electricity by origin; snapshot of "
    "2026-08-21); Electricity Maps builds them from its own hourly data and, where it has none, from Ember's yearly data"
)
SOURCE_CODECARBON = (
    "Ember yearly electricity data as compiled by Our World in Data (generation by source, TWh), as shipped "
    "in CodeCarbon's data file private_infra/global_energy_mix.json (releases 2.0.0, 2.3.4, 3.3.2)"
)
SOURCE_EGRID = (
    "US EPA, eGRID2023 rev2 (data year 2023), subregion table SRL23 generation shares (SRCLPR ... SROPPR), "
    "as extracted by EPA in the USEPA/power-profiler repository (app/data/subregion.json)"
)
SOURCE_EMBER_US = (
    "Ember, US electricity data, yearly net generation by state and fuel (us_yearly_full_release_long_format, "
    "June 2026 release, CC BY 4.0; compiled by Ember from EIA-923 / EIA Electric Power Monthly), "
    "raw/ember_us_state_generation.csv"
)
# Ember's US fuel names -> category. "Other Fossil" is petroleum liquids, petroleum coke and other gases
# (EIA's groups), taken as oil; "Other Renewables" is mostly geothermal (CA, NV, UT, HI), taken as geothermal.
EMBER_US_CATEGORIES = {
    "Bioenergy": "biomass", "Coal": "coal", "Gas": "gas", "Hydro": "hydro", "Nuclear": "nuclear",
    "Other Fossil": "oil", "Other Renewables": "geothermal", "Solar": "solar", "Wind": "wind",
}
# A zone whose latest Electricity Maps mix is more than this share "unknown" takes Ember's generation
# by source (CodeCarbon's table) instead, where Ember has the country: an unknown share has no inventory.
UNKNOWN_DOMINATED = 0.5


def category_mixes() -> pd.DataFrame:
    """region, year, category, share, source: every region's yearly mix by broad source category."""
    emaps = read("electricitymaps_mixes.csv.gz")
    emaps = emaps[~emaps["category"].isin(STORAGE)]
    emaps = emaps.assign(source=SOURCE_EMAPS).rename(columns={"zone": "region"})
    codecarbon = read("codecarbon_mixes.csv")
    emaps = emaps[~emaps["region"].isin(unknown_dominated(emaps) & set(codecarbon["country"]))]
    codecarbon = codecarbon[~codecarbon["country"].isin(set(emaps["region"]))]
    totals = codecarbon.groupby(["country", "year"])["twh"].transform("sum")
    codecarbon = codecarbon[totals > 0].assign(share=codecarbon["twh"] / totals[totals > 0])
    codecarbon = codecarbon.rename(columns={"country": "region"}).assign(source=SOURCE_CODECARBON)
    egrid_mix = egrid_category_mix(egrid_subregions())
    columns = ["region", "year", "category", "share", "source"]
    mixes = pd.concat([emaps[columns], codecarbon[columns], egrid_mix[columns], state_mixes()[columns]], ignore_index=True)
    mixes = mixes[mixes["share"] > 0]
    # renormalise: storage dropped, and the sources' own rounding (eGRID shares sum to 99.8-100.4 %)
    mixes["share"] = mixes["share"] / mixes.groupby(["region", "year"])["share"].transform("sum")
    return mixes


def unknown_dominated(emaps: pd.DataFrame) -> set[str]:
    """Zones whose latest-year Electricity Maps mix is more than UNKNOWN_DOMINATED "unknown" (BH, KW: 100 %)."""
    latest = emaps[emaps["year"] == emaps.groupby("region")["year"].transform("max")]
    unknown = latest[latest["category"] == "unknown"].groupby("region")["share"].sum()
    return set(unknown[unknown / latest.groupby("region")["share"].sum().reindex(unknown.index) > UNKNOWN_DOMINATED].index)


def state_mixes() -> pd.DataFrame:
    """region (US-<state>), year, category, share, source: Ember's yearly generation of the 50 states and DC.

    A net negative value (pumped-storage hydro consuming more than it generates, plant own use booked
    under a fuel) is no generation: it is set to 0. ``share`` holds TWh here; category_mixes renormalises."""
    table = read("ember_us_state_generation.csv")
    unknown = set(table["variable"]) - set(EMBER_US_CATEGORIES)
    if unknown:
        raise ValueError(f"ember_us_state_generation.csv: variable = {sorted(unknown)}, expected {sorted(EMBER_US_CATEGORIES)}")
    table = table.assign(region="US-" + table["state"], category=table["variable"].map(EMBER_US_CATEGORIES),
                         share=table["twh"].clip(lower=0.0), source=SOURCE_EMBER_US)
    return table.groupby(["region", "year", "category", "source"], as_index=False)["share"].sum()


def egrid_category_mix(egrid: pd.DataFrame) -> pd.DataFrame:
    """region (US-<eGRID code>), year, category, share, source from eGRID generation-share columns."""
    rows = [
        (f"US-{row['code']}", int(row["year"]), category, float(row[column]) / 100.0)
        for _, row in egrid.iterrows()
        for column, category in EGRID_SHARES.items()
        if float(row[column] or 0) > 0
    ]
    return pd.DataFrame(rows, columns=["region", "year", "category", "share"]).groupby(
        ["region", "year", "category"], as_index=False)["share"].sum().assign(source=SOURCE_EGRID)


def egrid_national_mix() -> pd.DataFrame:
    """eGRID2023's national row as a one-region category mix (region "US-US"), for the states' calibration."""
    table = read("egrid2023_subregions.csv")
    mix = egrid_category_mix(table[table["code"] == "US"])
    return mix.assign(share=mix["share"] / mix["share"].sum())


def egrid_subregions() -> pd.DataFrame:
    """The 27 eGRID2023 subregions (the table's national "US" row is the country, from Ember)."""
    table = read("egrid2023_subregions.csv")
    return table[table["code"] != "US"]


def technology_split(splits: pd.DataFrame, country: str, category: str) -> tuple[dict[str, float], str]:
    """Shares of a category's technologies in ``country``: from technology_splits.csv where it has
    the country, else the first technology alone (documented default)."""
    technologies = CATEGORY_TECHNOLOGIES[category]
    if len(technologies) == 1:
        return {technologies[0]: 1.0}, ""
    rows = splits[(splits["code"] == country) & (splits["category"] == category)]
    names = {"hard coal": "hard coal", "lignite": "lignite", "CCGT": "gas combined cycle",
             "other gas": "gas turbine", "reservoir": "hydro reservoir", "run-of-river": "hydro run-of-river",
             "onshore": "wind onshore", "offshore": "wind offshore", "PV": "solar PV", "CSP": "solar CSP"}
    split = {names.get(t, t): float(s) for t, s in zip(rows["technology"], rows["share"]) if float(s) > 0}
    if split and abs(sum(split.values()) - 1.0) < 0.02 and set(split) <= set(technologies):
        total = sum(split.values())
        return {t: s / total for t, s in split.items()}, f"{category} split: technology_splits.csv ({country}, capacity shares)"
    return {technologies[0]: 1.0}, f"{category}: no split for {country}, all {technologies[0]}"


# -- regions ---------------------------------------------------------------------------------
PEDIGREE_MIX = {SOURCE_EMAPS: (2, 2, 1, 1, 1), SOURCE_CODECARBON: (2, 2, 1, 1, 1), SOURCE_EGRID: (1, 1, 1, 1, 1),
                SOURCE_EMBER_US: (1, 2, 1, 1, 1)}
# country-average factor applied to water of unknown basin; technology water volumes as in their rows
PEDIGREE_AWARE = (2, 3, 1, 3, 3)
BASIC_FACTOR_AWARE = 1.5
PEDIGREE_LOSSES = (2, 2, 4, 1, 2)  # statistics, vintage ~2016 (ecoinvent 3.6), exact country, MV level
SOURCE_LOSSES = (
    "Cumulative losses from generation to medium voltage per country as shipped by carculator_utils 1.3.5 "
    "(data/electricity/cumulative_electricity_losses.csv, stated there as taken from ecoinvent v3.6)"
)
SOURCE_AWARE = (
    "WULCA AWARE 2.0 country-level annual characterization factors, non-irrigation use (m3 world-eq per m3), "
    "as shipped in the edges 1.5.0 package"
)
EGRID_ALIASES_ECOINVENT = {"US-TRE": "US-ERCT", "US-ASCC": "US-AKGD", "US-HICC": "US-HIOA", "US-PR": "US-PRMS"}


def country_of(region: str) -> str:
    return region.split("-")[0]


def kind_of(region: str, egrid: set[str]) -> str:
    if region in egrid:
        return "subregion"
    if us_state(region):
        return "state"
    return "country" if "-" not in region else "zone"


def us_state(region: str) -> str | None:
    """The state's name for a US state code (``US-VA`` -> Virginia, DC included), else None."""
    if not (region.startswith("US-") and len(region) == 5):
        return None
    subdivision = pycountry.subdivisions.get(code=region)
    return subdivision.name if subdivision is not None and subdivision.type in ("State", "District") else None


def region_name(region: str, zone_names: dict[str, str], egrid_names: dict[str, str]) -> str:
    if region in egrid_names:
        return f"{egrid_names[region]} (eGRID)"
    if us_state(region):
        return f"{us_state(region)}, United States"
    if region in zone_names and "-" in region:
        country = pycountry.countries.get(alpha_2=country_of(region))
        return f"{zone_names[region]}, {country.name if country else country_of(region)}"
    country = pycountry.countries.get(alpha_2=region)
    return country.name if country else zone_names.get(region, region)


def losses() -> dict[str, float]:
    table = read("carculator_electricity_losses.csv")
    return {code: 1.0 - 1.0 / mv for code, mv in zip(table["code"], table["mv_kwh_per_kwh"])}


def aware_factors() -> dict[str, tuple[float, str]]:
    table = read("aware_country.csv")
    out = {}
    for _, row in table[table["version"] == "AWARE 2.0"].iterrows():
        if pd.notna(row["aware_cf_nonagri"]):
            out[row["code"]] = (float(row["aware_cf_nonagri"]), SOURCE_AWARE)
    world = table[(table["code"] == "GLO") & table["aware_cf_unknown"].notna()].iloc[0]
    out["GLO"] = (float(world["aware_cf_unknown"]), f"{world['version']}: {world['source']}")
    return out


def abatement_of(levels: pd.DataFrame) -> dict[str, str]:
    return dict(zip(levels["code"], levels["abatement"]))


def technology_mixes(mixes: pd.DataFrame, codes: dict[tuple[str, str], str]) -> pd.DataFrame:
    """region, year, technology_activity, share, source, notes: category mixes split into activities."""
    splits = read("technology_splits.csv")
    splits["technology"] = splits["technology"].replace(
        {"combined cycle": "CCGT", "other (steam turbine, engines, OCGT, unspecified)": "other gas"})
    levels = abatement_of(read("abatement_levels.csv"))
    rows = []
    for (region, year, source), group in mixes.groupby(["region", "year", "source"], sort=True):
        country = country_of(region)
        level = levels.get(country, levels["*"])
        notes = [f"abatement {level} ({country})"]
        for category, share in zip(group["category"], group["share"]):
            split, note = technology_split(splits, country, category)
            if note:
                notes.append(note)
            for technology, fraction in split.items():
                code = codes.get((technology, level)) or codes.get((technology, ""))
                if code is None:
                    raise KeyError(f"no inventory for technology {technology!r} (abatement {level!r})")
                rows.append((region, int(year), code, share * fraction, source, "; ".join(notes)))
    frame = pd.DataFrame(rows, columns=["region", "year", "technology_activity", "share", "source", "notes"])
    return frame.groupby(["region", "year", "technology_activity", "source", "notes"], as_index=False)["share"].sum()


# -- eGRID calibration -----------------------------------------------------------------------
LB_PER_MWH = 0.45359237 / 1000.0  # lb/MWh -> kg/kWh
EGRID_MEASURED = {"Carbon dioxide, fossil": "SRCO2RTA", "Sulfur dioxide": "SRSO2RTA", "Nitrogen oxides": "SRNOXRTA"}


def calibrate_egrid(technologies: pd.DataFrame, mixes: pd.DataFrame, national: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scale the direct CO2, SO2 and NOx of each eGRID subregion's fossil generation to eGRID's
    measured output emission rates (CEMS-based, all plants), keeping every other flow as modelled.

    Per subregion and flow, k = measured rate / modelled direct rate of its mix; each fossil
    technology of the subregion gets its own activity whose direct rows of that flow are x k, so the
    mix reproduces the measured combustion emissions while the fuel chain and infrastructure stay
    the generic technology's. The US states share one set of copies ("-US") calibrated the same way
    to eGRID's national row (``national``: its mix as technology rows), so a state's fossil fleet
    burns like the US fleet on average while its mix is its own. Returns the extended technology rows
    and the relinked mixes.
    """
    egrid = egrid_subregions().set_index("code")
    direct = technologies[technologies["notes"].str.startswith("direct")]
    # (suffix of the calibrated copies, rows the factors come from, measured rates, regions relinked)
    groups = [(region, rows, egrid.loc[region.removeprefix("US-")], [region])
              for region, rows in mixes[mixes["region"].isin([f"US-{c}" for c in egrid.index])].groupby("region")]
    states = sorted(r for r in mixes["region"].unique() if us_state(r))
    national_rates = read("egrid2023_subregions.csv").set_index("code").loc["US"]
    groups.append(("US", national, national_rates, states))
    extra, relink = [], {}
    for suffix, rows, measured, regions in groups:
        factors = {}
        for flow, column in EGRID_MEASURED.items():
            per_technology = direct[direct["flow"] == flow].groupby("activity")["amount"].sum()
            modelled = float(sum(s * per_technology.get(t, 0.0) for t, s in zip(rows["technology_activity"], rows["share"])))
            rate = float(measured[column]) * LB_PER_MWH
            factors[flow] = rate / modelled if modelled > 0 and rate > 0 else 1.0
        note = ", ".join(f"{flow} x {k:.4g}" for flow, k in factors.items())
        scope = "this subregion" if len(regions) == 1 else "US national row, used for every state"
        linked = mixes[mixes["region"].isin(regions)]
        for code in dict.fromkeys([*rows["technology_activity"], *linked["technology_activity"]]):
            own = technologies[technologies["activity"] == code]
            if not (own["notes"].str.startswith("direct") & own["flow"].isin(EGRID_MEASURED)).any():
                continue
            calibrated = f"{code}-{suffix}"
            relink.update({(region, code): calibrated for region in regions})
            where = suffix if len(regions) == 1 else "US (national)"
            extra += scaled_copy(own, calibrated, factors, f"{SOURCE_EGRID} (measured output emission rates)",
                                 lambda flow, k: (f"calibrated to eGRID2023 {where} measured {EGRID_MEASURED[flow]} "
                                                  f"(x {k:.4g} on the generic factor; {scope}: {note})"))
    return pd.concat([technologies, pd.DataFrame(extra)], ignore_index=True), relinked(mixes, relink)


def scaled_copy(own: pd.DataFrame, calibrated: str, factors: dict[str, float], source: str,
                describe: Callable[[str, float], str]) -> list[pd.Series]:
    """The rows of one technology activity as activity ``calibrated``, its direct rows of each flow in
    ``factors`` x that factor (lognormal loc follows), cited to ``source`` and described in the notes."""
    rows = []
    for _, row in own.iterrows():
        row = row.copy()
        row["activity"] = calibrated
        if row["notes"].startswith("direct") and row["flow"] in factors:
            k = factors[row["flow"]]
            row["amount"] = row["amount"] * k
            row["loc"] = math.log(row["amount"]) if row["amount"] > 0 else ""
            row["notes"] = f"direct; {describe(row['flow'], k)}. {row['notes']}"
            row["source"] = f"{row['source']}; {source}"
        rows.append(row)
    return rows


def relinked(mixes: pd.DataFrame, relink: dict[tuple[str, str], str]) -> pd.DataFrame:
    """``mixes`` with each (region, technology activity) in ``relink`` pointing at its calibrated copy."""
    mixes = mixes.copy()
    mixes["technology_activity"] = [relink.get((r, t), t) for r, t in zip(mixes["region"], mixes["technology_activity"])]
    return mixes


# -- European calibration --------------------------------------------------------------------
SOURCE_REPORTED = "raw/reported_power_sector_emissions_calibration.csv (EMEP/CEIP officially reported NFR 1.A.1.a; Ember generation)"
REPORTED_FLOWS = {"SO2": "Sulfur dioxide", "NOx": "Nitrogen oxides"}
# A factor is only derived where combustion (coal, gas, oil, biomass) makes at least this share of
# the calibration year's generation: below it, 1.A.1.a is mostly heat and waste incineration, which
# the factor would load onto a few per cent of electricity. Factors are then kept within the cap.
CALIBRATION_MIN_COMBUSTION_SHARE = 0.10
CALIBRATION_CAP = 5.0


def calibrate_europe(technologies: pd.DataFrame, mixes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scale the direct SO2 and NOx of each European country's combustion technologies so that its
    mix of the calibration year reproduces the reported NFR 1.A.1.a emissions per kWh generated.

    Per country and pollutant, k = reported / modelled direct rate of the country's own mix in the
    table's year (k = 1 where combustion is under CALIBRATION_MIN_COMBUSTION_SHARE of that mix;
    k capped to [1/CALIBRATION_CAP, CALIBRATION_CAP]). Each combustion technology of the country
    gets its own activity ``{code}-{country}`` with the direct rows of that pollutant x k; the
    country and its zones (every year) are relinked to them, so other years are an out-of-sample
    test: their mix change times the calibrated fleet factors.
    """
    reported = read("reported_power_sector_emissions_calibration.csv")
    direct = technologies[technologies["notes"].str.startswith("direct")]
    combustion = set(direct.loc[direct["flow"].isin(REPORTED_FLOWS.values()), "activity"])
    extra, relink = [], {}
    for country, table in reported.groupby("country", sort=True):
        year = int(table["year"].iloc[0])
        mix = mixes[(mixes["region"] == country) & (mixes["year"] == year)]
        if mix.empty:
            raise ValueError(f"reported_power_sector_emissions_calibration.csv: no {year} mix for country {country!r}")
        combustion_share = float(mix.loc[mix["technology_activity"].isin(combustion), "share"].sum())
        factors, notes = {}, []
        for row in table.itertuples():
            flow = REPORTED_FLOWS[row.pollutant]
            per_technology = direct[direct["flow"] == flow].groupby("activity")["amount"].sum()
            modelled = float(sum(s * per_technology.get(t, 0.0) for t, s in zip(mix["technology_activity"], mix["share"])))
            rate = float(row.emissions_kt) / float(row.generation_twh) / 1000.0  # kt/TWh = g/kWh -> kg/kWh
            if combustion_share < CALIBRATION_MIN_COMBUSTION_SHARE or modelled <= 0 or rate <= 0:
                notes.append(f"{row.pollutant} not calibrated (combustion {combustion_share:.1%} of the {year} mix)")
                continue
            k = min(max(rate / modelled, 1.0 / CALIBRATION_CAP), CALIBRATION_CAP)
            factors[flow] = k
            notes.append(f"{row.pollutant} x {k:.4g} (reported {1000 * rate:.4g} g/kWh, modelled {1000 * modelled:.4g})")
        logging.getLogger(__name__).info("%s %d: %s", country, year, "; ".join(notes))
        if not factors:
            continue
        note = "; ".join(notes)
        regions = sorted(r for r in mixes["region"].unique() if country_of(r) == country)
        for code in sorted(set(mixes.loc[mixes["region"].isin(regions), "technology_activity"]) & combustion):
            calibrated = f"{code}-{country}"
            relink.update({(region, code): calibrated for region in regions})
            extra += scaled_copy(technologies[technologies["activity"] == code], calibrated, factors, SOURCE_REPORTED,
                                 lambda flow, k: (f"calibrated to {country}'s reported NFR 1.A.1.a emissions of {year} per kWh "
                                                  f"generated (x {k:.4g} on the generic factor; {note})"))
    return pd.concat([technologies, pd.DataFrame(extra)], ignore_index=True), relinked(mixes, relink)


# -- characterization for the derived columns ------------------------------------------------
GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
# Categories whose coverage regions.csv reports: a region scoring 0 in one is "not assessed" there.
COVERAGE = (
    ("TRACI v2.1", "acidification"), ("TRACI v2.1", "climate change"), ("TRACI v2.1", "ecotoxicity: freshwater"),
    ("TRACI v2.1", "eutrophication"), ("TRACI v2.1", "human toxicity: carcinogenic"),
    ("TRACI v2.1", "human toxicity: non-carcinogenic"), ("TRACI v2.1", "ozone depletion"), ("EF v3.1", "ozone depletion"),
    ("TRACI v2.1", "particulate matter formation"), ("TRACI v2.1", "photochemical oxidant formation"),
    ("EF v3.1", "climate change"), ("EF v3.1", "acidification"), ("EF v3.1", "ionising radiation: human health"),
    ("EF v3.1", "energy resources: non-renewable"), ("EF v3.1", "water use"),
)


def bundled_factors() -> dict[tuple[str, ...], dict[str, float]]:
    """Characterization factors by method name and biosphere3 code, from bw2io's bundled LCIA file."""
    import json
    import zipfile

    import bw2io

    path = Path(bw2io.__file__).resolve().parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        methods = json.load(archive.open("data.json"))
    return {tuple(m["name"]): {exc["input"][1]: float(exc["amount"]) for exc in m["exchanges"]} for m in methods}


def water_flows() -> set[str]:
    table = pd.read_csv(HERE.parent / "methods" / "water_consumption.csv", **READ)
    return set(table["biosphere3_uuid"])


def per_activity(rows: pd.DataFrame, factors: dict[str, float] | set[str]) -> dict[str, float]:
    weights = rows["biosphere3_uuid"].map(lambda u: factors.get(u, 0.0) if isinstance(factors, dict) else float(u in factors))
    return (rows["amount"] * weights).groupby(rows["activity"]).sum().to_dict()


def lognormal(amount: float, sigma: float) -> dict:
    return {"uncertainty_type": 2, "loc": math.log(amount), "scale": round(sigma, 6), "minimum": "", "maximum": ""}


# -- outputs ---------------------------------------------------------------------------------
@dataclass
class Figures:
    """Per technology activity: GWP100 (kg/kWh), consumptive water (m3/kWh), score per coverage category."""

    gwp: dict[str, float]
    water: dict[str, float]
    coverage: dict[tuple[str, str], dict[str, float]]

    def of_mix(self, values: dict[str, float], mix: pd.DataFrame) -> float:
        return float(sum(s * values.get(t, 0.0) for t, s in zip(mix["technology_activity"], mix["share"])))


def technology_activities(technologies: pd.DataFrame, codes: dict[tuple[str, str], str], figures: Figures) -> list[dict]:
    labels = {code: technology + (f", {level} abatement" if level else "") for (technology, level), code in codes.items()}
    rows = []
    for code in sorted(technologies["activity"].unique()):
        generic = next((c for c in sorted(labels, key=len, reverse=True) if code.startswith(c)), code)
        region = code[len(generic) + 1:] if code != generic else ""  # a calibrated copy
        # eGRID subregions ("US-ERCT") and the states' national copy ("US"); European countries
        calibration = "eGRID2023" if region == "US" or region.startswith("US-") else "reported-emissions"
        label = labels[generic] + (f", {region} fleet ({calibration}-calibrated)" if region else "")
        rows.append({"code": code, "name": f"electricity production, {label}", "reference_product": "electricity, high voltage",
                     "unit": "kilowatt hour", "location": region or "GLO", "category": "electricity generation",
                     "source": "raw/electricity_technology_lci.csv (per-row sources)",
                     "notes": f"1 kWh net at the busbar: life-cycle (fuel chain, infrastructure, operation). "
                              f"GWP100 {figures.gwp.get(code, 0):.4g} kg/kWh."})
    return rows


@dataclass
class Outputs:
    activities: list[dict] = field(default_factory=list)
    grid: list[dict] = field(default_factory=list)
    scarcity: list[dict] = field(default_factory=list)
    regions: list[dict] = field(default_factory=list)


def add_region(out: Outputs, region: str, rows: pd.DataFrame, figures: Figures, context: dict) -> None:
    """A region's mix and meter activities, their exchanges and its catalog row (latest year)."""
    years = sorted(rows["year"].unique())
    latest = rows[rows["year"] == years[-1]]
    country = country_of(region)
    loss = context["losses"].get(country)
    loss_note = f"losses of {country} to medium voltage" if loss is not None else "losses: RoW average (no country figure)"
    loss = loss if loss is not None else context["losses"]["RoW"]
    # a US state takes its own AWARE factor where AWARE 2.0 gives one (15 states), else the country's
    place = region if us_state(region) and region in context["aware"] else country
    cf, cf_source = context["aware"].get(place, context["aware"]["GLO"])
    cf_note = f"AWARE factor of {place}" if place in context["aware"] else "AWARE: world default (no factor for the country)"
    source = latest["source"].iloc[0]
    mix_code, meter_code = f"electricity-mix-{region}", f"electricity-{region}"
    name = region_name(region, context["zone_names"], context["egrid_names"])
    per_generated = 1.0 / (1.0 - loss)
    mix_water = figures.of_mix(figures.water, latest)
    out.activities.append({"code": mix_code, "name": f"electricity, generation mix, {name} ({region}), {years[-1]}",
                           "reference_product": "electricity, high voltage", "unit": "kilowatt hour", "location": region,
                           "category": "electricity mix", "source": source, "notes": latest["notes"].iloc[0]})
    out.activities.append({"code": meter_code, "name": f"electricity, at datacenter meter, {name} ({region})",
                           "reference_product": "electricity, medium voltage", "unit": "kilowatt hour", "location": region,
                           "category": "electricity", "source": f"{source}; {SOURCE_LOSSES}",
                           "notes": f"1 kWh at the meter = {per_generated:.6g} kWh generated ({loss_note}, {loss:.2%}); mix of {years[-1]}."})
    sigma_mix = sigma_from_pedigree(PEDIGREE_MIX[source], BASIC_FACTOR_MIX_SHARE)
    for technology, share in zip(latest["technology_activity"], latest["share"]):
        out.grid.append({"activity": mix_code, "input": technology, "amount": float(share), "unit": "kilowatt hour",
                         **lognormal(float(share), sigma_mix), "source": source, "year": years[-1],
                         "notes": f"share of generation {share:.6g}; pedigree {PEDIGREE_MIX[source]} -> sigma {sigma_mix:.4f}"})
    sigma_loss = sigma_from_pedigree(PEDIGREE_LOSSES, BASIC_FACTOR_LOSSES)
    out.grid.append({"activity": meter_code, "input": mix_code, "amount": per_generated, "unit": "kilowatt hour",
                     **lognormal(per_generated, sigma_loss), "source": SOURCE_LOSSES, "year": 2019,
                     "notes": f"1 / (1 - {loss:.4f}) kWh generated per kWh at the meter ({loss_note}); pedigree {PEDIGREE_LOSSES}"})
    if mix_water > 0:
        sigma_aware = sigma_from_pedigree(PEDIGREE_AWARE, BASIC_FACTOR_AWARE)
        out.scarcity.append({"activity": mix_code, "flow_code": "water-aware", "amount": mix_water * cf, "unit": "cubic meter",
                             **lognormal(mix_water * cf, sigma_aware), "source": cf_source, "year": 2024,
                             "notes": (f"generation water {mix_water:.6g} m3/kWh x {cf_note} {cf:g} m3 world-eq/m3; "
                                       f"pedigree {PEDIGREE_AWARE} -> sigma {sigma_aware:.4f}")})
    missing = [f"{family} {category}" for (family, category), scores in figures.coverage.items()
               if figures.of_mix(scores, latest) <= 0]
    out.regions.append({"code": region, "name": name, "kind": kind_of(region, set(context["egrid_names"])), "country": country,
                        "location": region, "electricity_activity": meter_code, "mix_activity": mix_code,
                        "years": "|".join(str(y) for y in years), "latest_year": years[-1], "loss_fraction": round(loss, 6),
                        "aware_cf": cf, "gwp100_kg_per_kwh": round(figures.of_mix(figures.gwp, latest) * per_generated, 6),
                        "water_l_per_kwh": round(mix_water * per_generated * 1000.0, 6),
                        "not_assessed": "|".join(missing), "source": source,
                        "notes": f"{loss_note}; {cf_note}; {latest['notes'].iloc[0]}"})


def alias_rows(known: set[str], egrid_names: dict[str, str]) -> list[dict]:
    rows = [{"alias": code.removeprefix("US-"), "code": code, "kind": "eGRID subregion acronym", "source": SOURCE_EGRID}
            for code in sorted(egrid_names)]
    rows += [{"alias": alias, "code": code, "kind": "ecoinvent-style location",
              "source": "ecoinvent-style US location mapped to the eGRID subregion it covers"}
             for alias, code in EGRID_ALIASES_ECOINVENT.items()]
    for _, row in read("cloud_regions.csv").iterrows():
        if row["zone"] in known:
            rows.append({"alias": f"{row['provider']}:{row['region']}", "code": row["zone"], "kind": "cloud region",
                         "source": f"Electricity Maps data_centers.json ({row['display_name']}; {row['source']})"})
    return rows


def main(out_dir: Path = HERE) -> None:
    lci = read("electricity_technology_lci.csv")
    lci["year"] = lci["year"].map(lambda y: str(int(y)) if pd.notna(y) and str(y).replace(".0", "").isdigit() else y)
    technologies, codes = technology_rows(lci)
    technologies, mixes = calibrate_egrid(technologies, technology_mixes(category_mixes(), codes),
                                          technology_mixes(egrid_national_mix(), codes))
    technologies, mixes = calibrate_europe(technologies, mixes)
    factors = bundled_factors()
    figures = Figures(
        gwp=per_activity(technologies, factors[GWP100]),
        water=per_activity(technologies, water_flows()),
        coverage={(family, category): per_activity(technologies, next(f for name, f in factors.items() if name[:2] == (family, category)))
                  for family, category in COVERAGE},
    )
    egrid = egrid_subregions()
    context = {"losses": losses(), "aware": aware_factors(),
               "egrid_names": {f"US-{c}": n for c, n in zip(egrid["code"], egrid["name"])},
               "zone_names": dict(zip(*[read("electricitymaps_zones.csv")[c] for c in ("zone", "name")]))}
    out = Outputs(activities=technology_activities(technologies, codes, figures))
    for region, rows in mixes.groupby("region", sort=True):
        add_region(out, region, rows, figures, context)

    pd.DataFrame(out.activities).to_csv(out_dir / "electricity_activities.csv", index=False)
    technologies.to_csv(out_dir / "electricity_technologies.csv", index=False)
    pd.DataFrame(out.grid).to_csv(out_dir / "electricity_grid.csv", index=False)
    pd.DataFrame(out.scarcity).to_csv(out_dir / "electricity_water_scarcity.csv", index=False)
    mixes[["region", "year", "technology_activity", "share"]].to_csv(
        out_dir / "electricity_mixes.csv.gz", index=False, float_format="%.6g", compression={"method": "gzip", "mtime": 0})
    pd.DataFrame(out.regions).to_csv(out_dir / "regions.csv", index=False)
    pd.DataFrame(alias_rows({r["code"] for r in out.regions}, context["egrid_names"])).to_csv(out_dir / "region_aliases.csv", index=False)
    aware = [{"code": c, "aware_cf": v, "source": s} for c, (v, s) in sorted(context["aware"].items())]
    pd.DataFrame(aware).to_csv(out_dir / "water_scarcity_factors.csv", index=False)


GENERATED = ("electricity_activities.csv", "electricity_technologies.csv", "electricity_grid.csv",
             "electricity_water_scarcity.csv", "electricity_mixes.csv.gz", "regions.csv", "region_aliases.csv",
             "water_scarcity_factors.csv")

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)

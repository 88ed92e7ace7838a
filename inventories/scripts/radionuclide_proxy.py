"""Supply-chain radionuclides of the technologies that have none of their own (a documented proxy).

Hydro, wind, solar, biomass, geothermal and the "other" technology have supply-chain fossil CO2
(steel, cement, glass, silicon, fuel handling) but no published radionuclide release per kWh in the
sources read. Most of the radionuclides of a supply chain come from the electricity it consumes
(reactor releases of its nuclear share, radon of its gas, fly ash of its coal), so each kg of
supply-chain fossil CO2 is given the radionuclides that come with one kg of life-cycle fossil CO2 of
world-average electricity, as this table's own technologies produce it:

    ratio(flow) = sum_t share_t x release_t(flow) / sum_t share_t x fossil CO2_t      (kBq per kg CO2)

with share_t the world generation mix (Ember yearly data, the latest year of ``codecarbon_mixes.csv``
summed over every country; each category as its default technology) and release_t, CO2_t the rows of
the raw table (never the proxies themselves, so the ratio does not feed on itself).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

CO2 = "Carbon dioxide, fossil"
SUPPLY_CHAIN = ("upstream", "infrastructure")
PROXY_PEDIGREE = "5,5,5,5,5"
SOURCE = ("PROXY derived from this table: radionuclides per kg of life-cycle fossil CO2 of world-average electricity "
          "(Ember yearly generation, as in codecarbon_mixes.csv), applied to the technology's supply-chain fossil CO2")


def world_shares(generation: pd.DataFrame, default_technology: dict[str, str]) -> tuple[dict[str, float], int]:
    """Technology -> share of world generation in the latest year of ``generation`` (country, year,
    category, twh, codecarbon_version), summed over countries from the newest release."""
    newest = generation[generation["codecarbon_version"] == max(generation["codecarbon_version"], key=_version)]
    newest = newest.assign(twh=pd.to_numeric(newest["twh"], errors="coerce"))  # a blank source is no generation
    year = int(newest["year"].max())
    twh = newest[newest["year"] == year].groupby("category")["twh"].sum()
    twh = twh[twh > 0]
    shares: dict[str, float] = {}
    for category, value in (twh / twh.sum()).items():
        technology = default_technology[category]
        shares[technology] = shares.get(technology, 0.0) + float(value)
    return shares, year


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split("."))


def with_supply_chain_radionuclides(rows: pd.DataFrame, shares: dict[str, float], year: int,
                                    is_radionuclide: Callable[[str], bool]) -> pd.DataFrame:
    """``rows`` plus, for every technology without a radionuclide row, upstream rows of each
    radionuclide flow of the world mix in proportion to its supply-chain fossil CO2."""
    flows = rows[rows["flow"].map(is_radionuclide)]
    emitting = set(flows["technology"])
    # one abatement level per technology (fossil CO2 and radionuclides do not depend on it)
    level = rows["abatement"].isna() | (rows["abatement"] == "high")
    key = ["flow", "compartment", "subcompartment", "biosphere3_uuid", "unit"]
    released = flows[level.loc[flows.index]].groupby(["technology", *key], dropna=False)["amount"].sum().reset_index()
    released["amount"] = released["amount"] * released["technology"].map(shares).fillna(0.0)
    world = released.groupby(key, dropna=False)["amount"].sum()
    co2 = rows[level & (rows["flow"] == CO2)].groupby("technology")["amount"].sum()
    world_co2 = float(sum(share * co2.get(technology, 0.0) for technology, share in shares.items()))
    extra = []
    for technology, group in rows.groupby("technology"):
        if technology in emitting:
            continue
        chain_co2 = float(group[(group["flow"] == CO2) & group["stage"].isin(SUPPLY_CHAIN)]["amount"].sum())
        if chain_co2 <= 0:
            continue
        for flow_key, kbq in world.items():
            ratio = float(kbq) / world_co2
            extra.append({**dict(zip(key, flow_key)), "technology": technology, "abatement": float("nan"), "stage": "upstream",
                          "amount": chain_co2 * ratio, "minimum": float("nan"), "maximum": float("nan"),
                          "pedigree": PROXY_PEDIGREE, "source": SOURCE, "year": str(year),
                          "notes": (f"PROXY: supply-chain {flow_key[0]} = supply-chain fossil CO2 {chain_co2:.4g} kg/kWh x "
                                    f"{ratio:.4g} kBq per kg CO2 of world-average electricity ({year}: world release "
                                    f"{float(kbq):.4g} kBq/kWh / world fossil CO2 {world_co2:.4g} kg/kWh)")})
    return pd.concat([rows, pd.DataFrame(extra)], ignore_index=True) if extra else rows

"""Extract yearly generation by source of the 50 US states and DC from Ember's US electricity data.

Usage: python inventories/scripts/extract_ember_us_states.py EMBER_CSV [OUT_CSV]

EMBER_CSV is Ember's "US electricity data" yearly long-format file
(``us_yearly_full_release_long_format.csv``, CC BY 4.0), whose rows are one value per state, year and
variable (columns ``State``, ``State code``, ``State type``, ``Year``, ``Category``, ``Subcategory``,
``Variable``, ``Unit``, ``Value``). Ember compiles it from EIA-923 / EIA Electric Power Monthly net
generation by state and energy source. Kept: ``State type == "state"`` (the 50 states, DC and Puerto
Rico; Puerto Rico is left out, it is the eGRID subregion US-PRMS), ``Category == "Electricity
generation"``, ``Subcategory == "Fuel"``, ``Unit == "GWh"``, years 2019-2024. Writes
OUT_CSV (default inventories/raw/ember_us_state_generation.csv): state (USPS code), year, variable
(Ember's fuel name), twh (GWh / 1000, 3 decimals; a fuel Ember does not list for a state-year is 0).
Needs pandas.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "raw" / "ember_us_state_generation.csv"
YEARS = range(2019, 2025)
VARIABLES = ("Bioenergy", "Coal", "Gas", "Hydro", "Nuclear", "Other Fossil", "Other Renewables", "Solar", "Wind")
LEFT_OUT = {"PR"}  # a territory, modelled as the eGRID subregion US-PRMS


def extract(ember: pd.DataFrame) -> pd.DataFrame:
    """state, year, variable, twh: every state x year x variable, sorted."""
    rows = ember[(ember["State type"] == "state") & (ember["Category"] == "Electricity generation")
                 & (ember["Subcategory"] == "Fuel") & (ember["Unit"] == "GWh")
                 & ember["Year"].isin(YEARS) & ember["Variable"].isin(VARIABLES)
                 & ~ember["State code"].isin(LEFT_OUT)]
    rows = rows.rename(columns={"State code": "state", "Year": "year", "Variable": "variable"})
    rows = rows.assign(twh=pd.to_numeric(rows["Value"], errors="raise") / 1000.0)
    states = sorted(rows["state"].unique())
    full = pd.MultiIndex.from_product([states, list(YEARS), list(VARIABLES)], names=["state", "year", "variable"])
    table = rows.groupby(["state", "year", "variable"])["twh"].sum().reindex(full, fill_value=0.0)
    return table.reset_index()


def main(source: str, out: str | None = None) -> None:
    ember = pd.read_csv(source, keep_default_na=False, na_values=[""])  # "NA" is no US state, but keep it literal
    table = extract(ember)
    table.to_csv(out or OUT, index=False, float_format="%.3f")
    print(f"{table['state'].nunique()} states, {len(table)} rows")


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""Stack (direct combustion) factors of the electricity technologies, recomputed by hand from the
cited EMEP/EEA 2023 guidebook factors (g/GJ) and the plant parameters' fuel input (MJ/kWh, LHV),
and Turkey's coal split from TEİAŞ's 2021 generation shares. Reads the generated tables only."""

from __future__ import annotations

import pandas as pd
import pytest

from bw_mllca.data_files import inventories_dir
from test_electricity import _direct_g_per_kwh

# Fuel input per kWh net, MJ (LHV): raw/electricity_plant_parameters.csv (hard coal and gas CC from the
# AR5 direct-emission medians, lignite, oil and biomass from EIA heat rates, gas turbine at 0.35).
FUEL_MJ_PER_KWH = {"hard-coal": 8.034, "lignite": 10.725, "gas-combined-cycle": 6.595, "gas-turbine": 10.286,
                   "oil": 10.925, "biomass": 13.531}
# EMEP/EEA 2023, 1.A.1.a, g/GJ: Tier 1 Tables 3-2 (hard coal), 3-3 (brown coal), 3-6 (heavy fuel oil),
# 3-8 (biomass); both gas technologies Tier 2 Table 3-19 (gas turbines, gaseous fuels).
EMEP_G_PER_GJ = {
    "hard-coal": {"SO2": 820.0, "NOx": 209.0, "PM10": 7.7, "PM2.5": 3.4, "NMVOC": 1.0, "CO": 8.7},
    "lignite": {"SO2": 1680.0, "NOx": 247.0, "PM10": 7.9, "PM2.5": 3.2, "NMVOC": 1.4, "CO": 8.7},
    "gas-combined-cycle": {"SO2": 0.244, "NOx": 153.0, "PM10": 0.2, "PM2.5": 0.2, "NMVOC": 1.6, "CO": 4.8},
    "gas-turbine": {"SO2": 0.244, "NOx": 153.0, "PM10": 0.2, "PM2.5": 0.2, "NMVOC": 1.6, "CO": 4.8},
    "oil": {"SO2": 495.0, "NOx": 142.0, "PM10": 25.2, "PM2.5": 19.3, "NMVOC": 2.3, "CO": 15.1},
    "biomass": {"SO2": 10.8, "NOx": 81.0, "PM10": 155.0, "PM2.5": 133.0, "NMVOC": 7.31, "CO": 90.0},
}
FLOWS = {"SO2": "Sulfur dioxide", "NOx": "Nitrogen oxides", "NMVOC": "NMVOC, non-methane volatile organic compounds",
         "CO": "Carbon monoxide, fossil", "PM coarse": "Particulate Matter, > 2.5 um and < 10um",
         "PM2.5": "Particulate Matter, < 2.5 um"}
# The medium level's stated removal: low-NOx burners 30 %, no flue-gas desulphurisation.
MEDIUM_NOX_REMOVAL = 0.30
# TEİAŞ 2021 (as reported by Hürriyet Daily News, January 2022): % of Turkey's generation.
TURKEY_LIGNITE_PERCENT, TURKEY_IMPORTED_COAL_PERCENT = 15.0, 11.0


def _direct_kg_per_kwh(activity: str, flow: str) -> float:
    table = pd.read_csv(inventories_dir() / "electricity_technologies.csv", keep_default_na=False)
    rows = table[(table["activity"] == activity) & (table["flow"] == flow) & table["notes"].str.startswith("direct")]
    return float(rows["amount"].astype(float).sum())


@pytest.mark.parametrize("technology", sorted(FUEL_MJ_PER_KWH))
def test_co_nmvoc_and_coarse_particulates_are_the_guidebook_factor_times_fuel_input(technology):
    """Combustion-controlled pollutants: the same at every abatement level, g/GJ x GJ/kWh."""
    factors, gj_per_kwh = EMEP_G_PER_GJ[technology], FUEL_MJ_PER_KWH[technology] / 1000.0
    expected_kg = {"NMVOC": factors["NMVOC"] * gj_per_kwh / 1000.0, "CO": factors["CO"] * gj_per_kwh / 1000.0,
                   "PM coarse": (factors["PM10"] - factors["PM2.5"]) * gj_per_kwh / 1000.0}
    for level in ("high", "medium", "low"):
        activity = f"electricity-gen-{technology}-{level}"
        for pollutant, kg in expected_kg.items():
            flow = FLOWS[pollutant]
            if technology == "biomass" and pollutant == "CO":
                flow = "Carbon monoxide, non-fossil"  # biogenic carbon
            assert _direct_kg_per_kwh(activity, flow) == pytest.approx(kg, rel=1e-3, abs=1e-12), (activity, pollutant)
    # gas has no particulate controls: uncontrolled PM2.5 is the controlled figure; the other fuels'
    # uncontrolled PM2.5 is the stated lower-bound proxy (the medium, controlled, factor), never absent
    low = _direct_kg_per_kwh(f"electricity-gen-{technology}-low", FLOWS["PM2.5"])
    assert low == pytest.approx(_direct_kg_per_kwh(f"electricity-gen-{technology}-medium", FLOWS["PM2.5"]), rel=1e-9)
    assert low > 0.0


def test_turkey_so2_and_nox_are_cited_factors_times_fuel_input_and_its_2021_mix():
    """Turkey (medium abatement): every combustion technology's share of the 2021 mix x EMEP/EEA g/GJ
    x fuel input (NOx less 30 % for low-NOx burners), with coal split by TEİAŞ's lignite / imported coal.
    Turkey's fleet is calibrated on its 2019 report (``-TR`` copies): the generic technologies it copies
    are checked here, and the calibrated mix is that times one factor per pollutant."""
    mixes = pd.read_csv(inventories_dir() / "electricity_mixes.csv.gz", keep_default_na=False)
    mix = mixes[(mixes["region"] == "TR") & (mixes["year"] == 2021)]
    shares = {code.removeprefix("electricity-gen-").removesuffix("-TR"): float(s)
              for code, s in zip(mix["technology_activity"], mix["share"])}
    coal = shares["hard-coal-medium"] + shares["lignite-medium"]
    lignite_of_coal = TURKEY_LIGNITE_PERCENT / (TURKEY_LIGNITE_PERCENT + TURKEY_IMPORTED_COAL_PERCENT)
    assert shares["lignite-medium"] / coal == pytest.approx(lignite_of_coal, abs=1e-3)
    for pollutant in ("SO2", "NOx"):
        removal = MEDIUM_NOX_REMOVAL if pollutant == "NOx" else 0.0
        expected = sum(share * EMEP_G_PER_GJ[t][pollutant] * FUEL_MJ_PER_KWH[t] / 1000.0 * (1.0 - removal)
                       for code, share in shares.items()
                       for t in [code.removesuffix("-medium")] if t in EMEP_G_PER_GJ)
        generic = 1000.0 * sum(share * _direct_kg_per_kwh(f"electricity-gen-{code}", FLOWS[pollutant]) for code, share in shares.items())
        assert generic == pytest.approx(expected, rel=1e-3), pollutant
        calibrated = [_direct_kg_per_kwh(f"electricity-gen-{code}-TR", FLOWS[pollutant]) / _direct_kg_per_kwh(f"electricity-gen-{code}", FLOWS[pollutant])
                      for code in shares if code.removesuffix("-medium") in EMEP_G_PER_GJ]
        assert max(calibrated) == pytest.approx(min(calibrated), rel=1e-9)  # one factor per pollutant
        assert _direct_g_per_kwh("TR", 2021, pollutant) == pytest.approx(generic * calibrated[0], rel=1e-6), pollutant
        if pollutant == "SO2":  # lignite's SO2 per kWh is 2.7 times hard coal's (1680 x 10.725 vs 820 x 8.034)
            assert generic > 1.9 * coal * 820.0 * 8.034 / 1000.0

"""Compare this model's accelerator manufacture with BoaviztAPI, EcoLogits and other published figures.

Usage: python inventories/scripts/compare_hardware.py  (after build_hardware.py)

Writes ``hardware_comparison.csv`` and prints the Markdown table of inventories/README.md. BoaviztAPI
values are computed from its published factors (raw/boavizta_gpu_factors.csv, EF 3.0 indicators)
and specs (raw/boavizta_gpu_specs.csv) with its GPU model as documented in BoaviztAPI 2.5.0:
manufacture = die effective area x die factor + memory effective area x memory factor + casing and
heat-sink mass x their factors + board area x board factor + upstream transport per kg, plus boat
and truck transport; memory area = GB x 15.5 mm2/GB split over its dies, each die's area grown by
BoaviztAPI's edge-loss and yield formula. End of life is left out on both sides.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
RAW = HERE / "raw"
# our EF 3.1 category -> BoaviztAPI criterion (EF 3.0)
PAIRS = {
    "EF v3.1 | climate change": "gwp",
    "EF v3.1 | acidification": "ap",
    "EF v3.1 | ecotoxicity: freshwater": "ctue",
    "EF v3.1 | human toxicity: carcinogenic": "ctuh-c",
    "EF v3.1 | ozone depletion": "odp",
    "EF v3.1 | material resources: metals/minerals": "adp",
}
VRAM_MM2_PER_GB = 15.5  # BoaviztAPI 2.5.0 models/component/gpu.py VRAM_DIE_SURFACE_PER_GB


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def boavizta_effective_mm2(die_mm2: float) -> float:
    """BoaviztAPI's wafer area charged to one die (300 mm wafer, 0.2 mm kerf, exp(-sqrt(0.1 a/100)) yield)."""
    d = 300.0
    side = math.sqrt(die_mm2) + 0.2
    a = side * side
    wafer = math.pi * (d / 2) ** 2
    per_wafer = wafer / a - math.pi * d / math.sqrt(2 * a)
    effective = a * wafer / (per_wafer * a)
    return effective / math.exp(-math.sqrt(a / 100 * 0.1))


def boavizta(spec: dict[str, str], factors: dict[tuple[str, str], float], criterion: str) -> float:
    f = lambda component: factors[(component, criterion)]  # noqa: E731
    vram_dies = float(spec["number"])
    vram_mm2 = vram_dies * boavizta_effective_mm2(float(spec["vram"]) * VRAM_MM2_PER_GB / vram_dies)
    mass = float(spec["mass"] or 0)
    return (f("gpu") * float(spec["die_surface"]) + f("vram") * vram_mm2 + f("casing") * float(spec["mass_casing"] or 0)
            + f("heatsink") * float(spec["mass_heatsink"] or 0) + f("pwb") * float(spec["pwb_surface"])
            + f("upstream_transport") * mass
            + (f("transport_boat") * float(spec["distance_boat"]) + f("transport_truck") * float(spec["distance_truck"])) * mass)


def main() -> None:
    factors = {(r["component"], r["criterion"]): float(r["impact"]) for r in read(RAW / "boavizta_gpu_factors.csv")}
    specs = {r["device"]: r for r in read(RAW / "boavizta_gpu_specs.csv")}
    ours = {(r["activity"], r["method"]): float(r["score"]) for r in read(HERE / "hardware_scores.csv")}
    published: dict[str, list[str]] = {}
    for r in read(RAW / "hardware_published.csv"):
        published.setdefault(r["device"], []).append(f"{r['publisher']} {float(r['gwp_kg']):g}")
    rows = []
    for device in (r for r in read(HERE / "hardware.csv") if r["kind"] == "accelerator"):
        code = device["code"]
        for method, criterion in PAIRS.items():
            mine = ours[(device["manufacture_activity"], method)]
            theirs = boavizta(specs[code], factors, criterion) if code in specs else None
            rows.append({"device": code, "category": method, "this_model": f"{mine:.4g}",
                         "boaviztapi": f"{theirs:.4g}" if theirs is not None else "",
                         "ratio": f"{mine / theirs:.3g}" if theirs else "",
                         "other_published_gwp_kg": "; ".join(published.get(code, [])) if criterion == "gwp" else "",
                         "source": "this model: hardware_scores.csv; BoaviztAPI 2.5.0 factors.yml and gpu_specs.csv (EF 3.0); others: raw/hardware_published.csv",
                         "year": 2024})
    with open(HERE / "hardware_comparison.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    short = {"gwp": "GWP kg CO2-eq", "ap": "AP mol H+-eq", "ctue": "ecotox. CTUe", "ctuh-c": "carc. CTUh", "odp": "ODP kg CFC-11-eq", "adp": "ADPe kg Sb-eq"}
    print("| accelerator | " + " | ".join(short[c] + " (this / BoaviztAPI)" for c in PAIRS.values()) + " | other GWP figures (kg) |")
    print("| --- |" + " --- |" * (len(PAIRS) + 1))
    for code in dict.fromkeys(r["device"] for r in rows):
        cells = []
        for method in PAIRS:
            r = next(x for x in rows if x["device"] == code and x["category"] == method)
            cells.append(f"{r['this_model']} / {r['boaviztapi'] or 'n/a'}")
        other = next(x for x in rows if x["device"] == code and x["category"].endswith("climate change"))["other_published_gwp_kg"]
        print(f"| {code} | " + " | ".join(cells) + f" | {other or '-'} |")


if __name__ == "__main__":
    main()

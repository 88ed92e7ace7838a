"""The environmental section of a model card (after Fernandez et al., LCA for ML, section 3).

What it discloses: the functional unit; per-FU inference cost and the lifetime-use assumption
behind the amortization; development cost over all stages (not only the final run); the embodied
hardware share; region, PUE and WUE of each datacenter; the uncertainty range when sampled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..scope.study import Study
from ..interpretation.uncertainty_scope import SCOPE_FULL
from ..scope.resolve import resolve_datacenter
from .card_categories import category_markdown, category_rows
from .files import inside

GWP_KEY = "GWP100"
DEVELOPMENT_EXCLUDED = ("inference", "idle capacity")


def _gwp(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    return frame[(frame["view"] == view) & frame["method"].str.contains(GWP_KEY, regex=False)]


def model_card_data(study: Study, frame: pd.DataFrame, uncertainty: pd.DataFrame | None = None) -> dict[str, Any]:
    """The card's content as plain data (JSON-ready). ``uncertainty``: optional table with columns
    method, p5, p50, p95 (Monte Carlo percentiles per FU)."""
    gwp = _gwp(frame)
    unit = gwp["unit"].iloc[0] if len(gwp) else ""
    total = float(gwp["score"].sum())
    embodied = float(gwp[gwp["component"].isin(["embodied hardware", "end of life"])]["score"].sum())
    use_part = float(gwp[gwp["stage"].isin(DEVELOPMENT_EXCLUDED)]["score"].sum())
    development_per_fu = total - use_part
    fu = study.goal.functional_unit
    queries = study.use.total_queries
    development_total = development_per_fu * queries / fu.queries
    stages = gwp.groupby("stage", sort=False)["score"].sum()
    card: dict[str, Any] = {
        "model": study.model.name,
        "functional_unit": fu.description,
        "reference_flow_queries": fu.queries,
        "performance_constraints": [c.text() for c in fu.constraints],
        "performance_reported": dict(study.model.performance),
        "lcia_method": "TRACI v2.1 GWP100 (climate change)",
        "unit": unit,
        "per_fu": {
            "total_attributional": total,
            "inference_and_idle": use_part,
            "development_amortized": development_per_fu,
            "embodied_hardware_share": (embodied / total) if total else 0.0,
            "consumer_view_total": float(_gwp(frame, "consumer")["score"].sum()),
        },
        "development_total": {
            "value": development_total,
            "unit": unit,
            "stages": [s.name for s in study.stages],
            "note": "all development stages in the boundary, not only the final training run",
        },
        "lifetime_use_assumption": {
            "lifetime_queries": queries,
            "queries_per_day": study.use.queries_per_day,
            "deployment_years": study.use.deployment_years,
        },
        "stage_contributions_per_fu": {stage: float(score) for stage, score in stages.items()},
        "datacenters": {
            name: {
                "region": dc.region or ("user-given grid" if dc.grid_kgco2e_per_kwh is not None else "linked activity"),
                "pue": resolve_datacenter(name, dc).pue,
                "wue_l_per_kwh": resolve_datacenter(name, dc).wue_l_per_kwh,
            }
            for name, dc in study.datacenters.items()
        },
        "excluded_stages": {e.stage: e.reason for e in study.scope.excluded},
        "categories_per_fu": category_rows(frame, uncertainty),
    }
    if uncertainty is not None and len(uncertainty):
        if "scope" in uncertainty:  # quote the interval over background and foreground parameters
            uncertainty = uncertainty[uncertainty["scope"] == SCOPE_FULL]
            card["uncertainty_scope"] = SCOPE_FULL
        row = uncertainty[uncertainty["method"].str.contains(GWP_KEY, regex=False)]
        if len(row):
            card["uncertainty_per_fu"] = {k: float(row.iloc[0][k]) for k in ("p5", "p50", "p95") if k in row}
    return card


def model_card_markdown(card: dict[str, Any]) -> str:
    unit = card["unit"]
    per_fu = card["per_fu"]
    lines = [
        f"## Environmental impact: {card['model']}",
        "",
        f"Functional unit: **{card['functional_unit']}**"
        + (f" (constraints: {', '.join(card['performance_constraints'])})" if card["performance_constraints"] else ""),
        f"Method: {card['lcia_method']}; attributional LCA, development and embodied hardware amortized over lifetime use.",
        "",
        "| per functional unit | value |",
        "| --- | --- |",
        f"| total (attributional view) | {per_fu['total_attributional']:.4g} {unit} |",
        f"| inference and idle capacity | {per_fu['inference_and_idle']:.4g} {unit} |",
        f"| development, amortized | {per_fu['development_amortized']:.4g} {unit} |",
        f"| embodied hardware share | {per_fu['embodied_hardware_share']:.1%} |",
        f"| consumer view (no development) | {per_fu['consumer_view_total']:.4g} {unit} |",
    ]
    if "uncertainty_per_fu" in card:
        u = card["uncertainty_per_fu"]
        lines.append(f"| 90 % interval (Monte Carlo, {card.get('uncertainty_scope', 'background')}) | "
                     f"{u.get('p5', float('nan')):.4g} - {u.get('p95', float('nan')):.4g} {unit} |")
    lines += category_markdown(card.get("categories_per_fu", []))
    life = card["lifetime_use_assumption"]
    lines += [
        "",
        f"Development, all stages ({', '.join(card['development_total']['stages'])}): "
        f"{card['development_total']['value']:.4g} {unit} in total.",
        f"Lifetime use assumed: {life['lifetime_queries']:.3g} queries"
        + (f" ({life['queries_per_day']:.3g} per day for {life['deployment_years']:g} years)" if life.get("queries_per_day") and life.get("deployment_years") else "")
        + "; the amortized development share scales with its inverse.",
        "",
        "| datacenter | region | PUE | WUE (L/kWh) |",
        "| --- | --- | --- | --- |",
    ]
    for name, dc in card["datacenters"].items():
        lines.append(f"| {name} | {dc['region']} | {dc['pue']:g} | {dc['wue_l_per_kwh']:g} |")
    if card["excluded_stages"]:
        lines += ["", "Outside the system boundary: " + "; ".join(f"{k} ({v})" for k, v in card["excluded_stages"].items()) + "."]
    return "\n".join(lines) + "\n"


def write_model_card(study: Study, frame: pd.DataFrame, folder: Path, uncertainty: pd.DataFrame | None = None) -> list[Path]:
    """Write model_card.md and model_card.json into ``folder``."""
    card = model_card_data(study, frame, uncertainty)
    md = inside(folder, "model_card.md")
    md.write_text(model_card_markdown(card), encoding="utf-8")
    js = inside(folder, "model_card.json")
    js.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    return [md, js]

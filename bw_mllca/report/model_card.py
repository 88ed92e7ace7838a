"""The environmental section of a model card (after Fernandez et al., LCA for ML, section 3).

What it discloses: the functional unit; per-FU inference cost and the lifetime-use assumption
behind the amortization; development cost over all stages (not only the final run); the embodied
hardware share; region, PUE and WUE of each datacenter; the uncertainty range when sampled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..impact.provenance import ORIGIN_COLUMN, USER_METHOD, origins
from ..impact.system import EMBODIED_COMPONENTS
from ..interpretation.assessed import not_assessed
from ..interpretation.uncertainty_scope import SCOPE_FULL
from ..scope.linking import describe_link
from ..scope.resolve import resolve_datacenter
from ..scope.study import Study
from .card_categories import category_markdown, category_rows
from .files import inside
from .markdown import cell
from .writing import output_file

GWP_KEY = "GWP100"
DEVELOPMENT_EXCLUDED = ("inference", "idle capacity")


def _gwp(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    return frame[(frame["view"] == view) & frame["method"].str.contains(GWP_KEY, regex=False)]


def _common(study: Study, frame: pd.DataFrame, view: str, notes: Sequence[str] = ()) -> dict[str, Any]:
    """The parts of the card every functional unit has: embodied split, datacenters, boundary."""
    gwp = _gwp(frame, view)
    embodied = gwp[gwp["component"].isin(EMBODIED_COMPONENTS)].groupby("component")["score"].sum()
    return {
        "embodied_per_fu": {component: float(embodied.get(component, 0.0)) for component in EMBODIED_COMPONENTS},
        "datacenters": {
            name: {
                "region": dc.region or ("user-given grid" if dc.grid_kgco2e_per_kwh is not None
                                        else f"linked: {describe_link(dc.electricity_activity)}"),
                "pue": resolve_datacenter(name, dc).pue,
                "wue_l_per_kwh": resolve_datacenter(name, dc).wue_l_per_kwh,
            }
            for name, dc in study.datacenters.items()
        },
        "background": study.study.background_choice.label,
        "excluded_stages": {e.stage: e.reason for e in study.scope.excluded},
        "hardware_manufacture_in_boundary": not study.scope.excludes("hardware manufacture"),
        "not_assessed": not_assessed(frame[frame["view"] == view]),
        "interpretation_notes": list(notes),
    }


def training_card_data(study: Study, frame: pd.DataFrame, uncertainty: pd.DataFrame | None = None,
                       notes: Sequence[str] = ()) -> dict[str, Any]:
    """The card of a trained-model functional unit: the development footprint of one trained model."""
    gwp = _gwp(frame, "training")
    unit = gwp["unit"].iloc[0] if len(gwp) else ""
    total = float(gwp["score"].sum())
    fu = study.goal.functional_unit
    card: dict[str, Any] = {
        "model": study.model.name,
        "functional_unit": fu.description,
        "functional_unit_kind": fu.kind,
        "reference_flow": fu.reference_flow,
        "performance_constraints": [c.text() for c in fu.constraints],
        "performance_reported": dict(study.model.performance),
        **_gwp_method(gwp),
        "unit": unit,
        "per_trained_model": {
            "total": total,
            "by_component": {c: float(v) for c, v in gwp.groupby("component", sort=False)["score"].sum().items()},
        },
        "stage_contributions_per_fu": {s: float(v) for s, v in gwp.groupby("stage", sort=False)["score"].sum().items()},
        **_common(study, frame, "training", notes),
        "categories_per_fu": category_rows(frame, uncertainty),
    }
    _add_uncertainty(card, uncertainty)
    return card


def _add_uncertainty(card: dict[str, Any], uncertainty: pd.DataFrame | None) -> None:
    if uncertainty is not None and len(uncertainty):
        if "scope" in uncertainty:  # quote the interval over background and foreground parameters
            uncertainty = uncertainty[uncertainty["scope"] == SCOPE_FULL]
            card["uncertainty_scope"] = SCOPE_FULL
        row = uncertainty[uncertainty["method"].str.contains(GWP_KEY, regex=False)]
        if len(row):
            card["uncertainty_per_fu"] = {k: float(row.iloc[0][k]) for k in ("p5", "p50", "p95") if k in row}


def _gwp_method(gwp: pd.DataFrame) -> dict[str, str]:
    """The climate-change method the scores were characterized with, and whose it is."""
    label = str(gwp["method"].iloc[0]) if len(gwp) else "TRACI v2.1 | climate change | global warming potential (GWP100)"
    origin = str(gwp[ORIGIN_COLUMN].iloc[0]) if ORIGIN_COLUMN in gwp.columns and len(gwp) else origins([label])[label]
    return {"lcia_method": label, "lcia_method_origin": origin}


def model_card_data(study: Study, frame: pd.DataFrame, uncertainty: pd.DataFrame | None = None,
                    notes: Sequence[str] = ()) -> dict[str, Any]:
    """The card's content as plain data (JSON-ready). ``uncertainty``: optional table with columns
    method, p5, p50, p95 (Monte Carlo percentiles per FU); ``notes``: interpretation steps left
    out or narrowed, and why."""
    if study.use is None:
        return training_card_data(study, frame, uncertainty, notes)
    gwp = _gwp(frame)
    unit = gwp["unit"].iloc[0] if len(gwp) else ""
    total = float(gwp["score"].sum())
    embodied = float(gwp[gwp["component"].isin([*EMBODIED_COMPONENTS, "end of life"])]["score"].sum())
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
        **_gwp_method(gwp),
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
        **_common(study, frame, "attributional", notes),
        "categories_per_fu": category_rows(frame, uncertainty),
    }
    _add_uncertainty(card, uncertainty)
    return card


def _footer(card: dict[str, Any]) -> list[str]:
    unit = card["unit"]
    if card["hardware_manufacture_in_boundary"]:
        lines = ["", "| embodied hardware (manufacture) | " + unit + " per functional unit |", "| --- | --- |"]
        lines += [f"| {component.removeprefix('embodied ')} | {value:.4g} |" for component, value in card["embodied_per_fu"].items()]
    else:
        lines = ["", "Embodied hardware (manufacture): outside the system boundary (a scope choice), not a zero impact."]
    lines += ["", "| datacenter | region | PUE | WUE (L/kWh) |", "| --- | --- | --- | --- |"]
    for name, dc in card["datacenters"].items():
        lines.append(f"| {cell(name)} | {cell(dc['region'])} | {dc['pue']:g} | {dc['wue_l_per_kwh']:g} |")
    lines += ["", f"Background: {cell(card['background'])}."]
    if card["excluded_stages"]:
        lines += ["", "Outside the system boundary: " + "; ".join(f"{cell(k)} ({cell(v)})" for k, v in card["excluded_stages"].items()) + "."]
    if card["not_assessed"]:
        lines += ["", "Not assessed (no data; not a zero impact): "
                  + "; ".join(method.split(" | ")[-1] for method in card["not_assessed"]) + "."]
    if card.get("interpretation_notes"):
        lines += ["", "Interpretation notes (steps left out or narrowed):", *(f"- {cell(note)}" for note in card["interpretation_notes"])]
    return lines


def training_card_markdown(card: dict[str, Any]) -> str:
    unit = card["unit"]
    per = card["per_trained_model"]
    lines = [
        f"## Environmental impact: {cell(card['model'])}",
        "",
        f"Functional unit: **{cell(card['functional_unit'])}** ({cell(card['reference_flow'])}; development only, no use)",
        f"Method: {cell(card['lcia_method'])}; attributional LCA of the development stages and their embodied hardware share.",
        "",
        *([f"**Note:** the project's method of this name is a {USER_METHOD}; these scores follow it, "
           "not bw_mllca's own method.", ""] if card.get("lcia_method_origin", "").startswith(USER_METHOD) else []),
        "| per trained model | value |",
        "| --- | --- |",
        f"| total | {per['total']:.4g} {unit} |",
    ]
    lines += [f"| {component} | {value:.4g} {unit} |" for component, value in per["by_component"].items() if value != 0.0]
    if "uncertainty_per_fu" in card:
        u = card["uncertainty_per_fu"]
        lines.append(f"| 90 % interval (Monte Carlo, {card.get('uncertainty_scope', 'background')}) | "
                     f"{u.get('p5', float('nan')):.4g} - {u.get('p95', float('nan')):.4g} {unit} |")
    lines += ["", "| stage | " + unit + " |", "| --- | --- |"]
    lines += [f"| {cell(stage)} | {value:.4g} |" for stage, value in card["stage_contributions_per_fu"].items()]
    lines += category_markdown(card.get("categories_per_fu", []))
    return "\n".join(lines + _footer(card)) + "\n"


def model_card_markdown(card: dict[str, Any]) -> str:
    if "per_trained_model" in card:
        return training_card_markdown(card)
    unit = card["unit"]
    per_fu = card["per_fu"]
    origin = card.get("lcia_method_origin", "")
    lines = [
        f"## Environmental impact: {cell(card['model'])}",
        "",
        f"Functional unit: **{cell(card['functional_unit'])}**"
        + (f" (constraints: {cell(', '.join(card['performance_constraints']))})" if card["performance_constraints"] else ""),
        f"Method: {cell(card['lcia_method'])}" + (f" ({cell(origin)})" if origin else "")
        + "; attributional LCA, development and embodied hardware amortized over lifetime use.",
        "",
        *([f"**Note:** the project's method of this name is a {USER_METHOD}; these scores follow it, "
           "not bw_mllca's own method.", ""] if origin.startswith(USER_METHOD) else []),
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
        f"Development, all stages ({cell(', '.join(card['development_total']['stages']))}): "
        f"{card['development_total']['value']:.4g} {unit} in total.",
        f"Lifetime use assumed: {life['lifetime_queries']:.3g} queries"
        + (f" ({life['queries_per_day']:.3g} per day for {life['deployment_years']:g} years)" if life.get("queries_per_day") and life.get("deployment_years") else "")
        + "; the amortized development share scales with its inverse.",
    ]
    return "\n".join(lines + _footer(card)) + "\n"


def write_model_card(study: Study, frame: pd.DataFrame, folder: Path, uncertainty: pd.DataFrame | None = None,
                     notes: Sequence[str] = ()) -> list[Path]:
    """Write model_card.md and model_card.json into ``folder``."""
    card = model_card_data(study, frame, uncertainty, notes)
    md = inside(folder, "model_card.md")
    with output_file(md):
        md.write_text(model_card_markdown(card), encoding="utf-8")
    js = inside(folder, "model_card.json")
    with output_file(js):
        js.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    return [md, js]

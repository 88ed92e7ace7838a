"""Completeness check (ISO 14044, 4.5.3.2): which life-cycle stages are in the boundary, measured,
estimated, excluded or missing, and what share of each category's result rests on estimates.

The eight life-cycle stages and the study parts that fill them:

    hardware manufacture      the embodied accelerator, host server, storage and network components
                              (catalog or user-given: estimated)
    infrastructure            datacenter overhead: PUE above 1, on-site water, platform overhead
    data                      stages of kind data preparation
    experimentation           experimentation
    training                  pre-, mid- and re-training, distillation stages
    post-training             post-training, fine-tuning, evaluation
    deployment and inference  the inference batch and idle capacity
    end of life               the "end of life" component

A stage activity is measured when the builder marked it so (``mllca_measured``: a measured energy
figure or log). Only its electricity and on-site water rest on that measurement; every other
component (embodied hardware, end of life, platform) and every component of an estimated stage
counts as estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bw2data as bd
import pandas as pd

from ..impact.calculate import calculate
from ..impact.system import EMBODIED_COMPONENTS
from ..scope.study import Study

LIFE_CYCLE_STAGES: dict[str, tuple[str, ...]] = {
    "hardware manufacture": (),
    "infrastructure": (),
    "data": ("data preparation",),
    "experimentation": ("experimentation",),
    "training": ("pre-training", "mid-training", "re-training", "distillation: synthetic data generation",
                 "distillation: logit caching", "distillation: teacher evaluation", "distillation: student training"),
    "post-training": ("post-training", "fine-tuning", "evaluation"),
    "deployment and inference": ("inference", "idle capacity"),
    "end of life": (),
}
MEASURED_COMPONENTS = ("electricity", "on-site water")


@dataclass(frozen=True)
class Completeness:
    """``stages``: one row per life-cycle stage (status, in_boundary, activities, basis, notes).
    ``estimated_share``: per method, the FU total, its measured and estimated parts and the share
    resting on estimates."""

    stages: pd.DataFrame
    estimated_share: pd.DataFrame


def _study(study: Study | str | Path) -> Study:
    return study if isinstance(study, Study) else Study.from_file(study)


def _stage_activities(database: str) -> list[dict]:
    if database not in bd.databases:
        raise KeyError(f"database {database!r} is not in project {bd.projects.current!r}: build the study first")
    return [{"stage": a.get("mllca_stage"), "kind": a.get("mllca_stage_kind"), "measured": bool(a.get("mllca_measured")),
             "basis": a.get("mllca_basis", "")} for a in bd.Database(database) if a.get("mllca_role") == "stage"]


# Words in a scope exclusion that name the infrastructure stage (e.g. "datacenter construction").
INFRASTRUCTURE_WORDS = ("infrastructure", "datacenter", "data center", "building", "construction")


def _excluded_notes(study: Study, life_stage: str, kinds: tuple[str, ...]) -> list[str]:
    """The study's scope exclusions that name this life-cycle stage or one of its stage kinds."""
    names = {life_stage, *kinds}
    notes = []
    for e in study.scope.excluded:
        text = e.stage.lower().strip()
        if text in names or (life_stage == "infrastructure" and any(w in text for w in INFRASTRUCTURE_WORDS)):
            notes.append(f"excluded: {e.stage} ({e.reason})")
    return notes


def completeness(study: Study | str | Path, frame: pd.DataFrame | None = None, view: str = "attributional") -> Completeness:
    """The completeness table and the share of each category's result that rests on estimates.

    ``study`` must be built; ``frame`` is its ``calculate`` frame (computed when not given).
    """
    study = _study(study)
    stages = _stage_activities(study.database_name)
    frame = calculate(study) if frame is None else frame
    if view == "attributional" and study.goal.functional_unit.per_trained_model:
        view = "training"
    part = frame[frame["view"] == view]
    components = set(part["component"])
    # What the energy logs' readers found (gaps, a tool's PUE): shown with the stage they concern.
    warnings = list(bd.databases[study.database_name].get("mllca_warnings", []))
    rows = []
    for life_stage, kinds in LIFE_CYCLE_STAGES.items():
        notes = _excluded_notes(study, life_stage, kinds)
        if kinds:
            members = [s for s in stages if s["kind"] in kinds]
            measured = [s["measured"] for s in members]
            if not members and kinds == LIFE_CYCLE_STAGES["deployment and inference"] and study.use is None:
                status, notes = "outside the functional unit", ["one trained model: development only"]
            elif not members:
                status = "excluded" if notes else "missing"
            else:
                status = "measured" if all(measured) else "estimated" if not any(measured) else "partly measured"
            notes += [w for s in members for w in warnings if w.startswith(f"stage {s['stage']!r}:")]
            rows.append({"life_cycle_stage": life_stage, "status": status, "in_boundary": bool(members),
                         "activities": ", ".join(s["stage"] for s in members),
                         "basis": "; ".join(dict.fromkeys(s["basis"] for s in members)), "notes": "; ".join(notes)})
            continue
        component = {"hardware manufacture": "embodied hardware", "end of life": "end of life"}.get(life_stage)
        if component is not None:
            present = bool(components & set(EMBODIED_COMPONENTS)) if component == "embodied hardware" else component in components
            basis = f"catalog or user-given {component} figures, amortized over lifespan x utilization"
        else:
            present = (_has_infrastructure(study) or "platform overhead" in components
                       or any(s["stage"].endswith(": idle and infrastructure") for s in stages))
            basis = "datacenter overhead as PUE (grid kWh per IT kWh) and on-site WUE; platform overhead per minute"
            if not notes:
                notes.append("datacenter construction is not modelled")
        status = "estimated" if present else ("excluded" if notes and component else "missing")
        rows.append({"life_cycle_stage": life_stage, "status": status, "in_boundary": present,
                     "activities": component or "it-energy (PUE, WUE)", "basis": basis if present else "",
                     "notes": "; ".join(notes)})
    return Completeness(pd.DataFrame(rows), estimated_share(part, stages))


def _has_infrastructure(study: Study) -> bool:
    from ..scope.resolve import resolve_datacenter

    return any(r.pue > 1.0 or r.wue_l_per_kwh > 0.0
               for r in (resolve_datacenter(n, d) for n, d in study.datacenters.items()))


def estimated_share(part: pd.DataFrame, stages: list[dict]) -> pd.DataFrame:
    """Per method: total, measured part (electricity and on-site water of measured stages),
    estimated part and estimated share (NaN where the total is 0)."""
    measured_stages = {s["stage"] for s in stages if s["measured"]}
    is_measured = part["stage"].isin(measured_stages) & part["component"].isin(MEASURED_COMPONENTS)
    total = part.groupby("method", sort=False)["score"].sum()
    measured = part[is_measured].groupby("method", sort=False)["score"].sum().reindex(total.index).fillna(0.0)
    units = part.groupby("method", sort=False)["unit"].first()
    out = pd.DataFrame({"unit": units, "total": total, "measured": measured, "estimated": total - measured})
    out["estimated_share"] = (out["estimated"] / out["total"]).where(out["total"] != 0.0)
    return out.rename_axis("method").reset_index()

"""The sections ISO 14044 asks a report to state (4.2.3.3, 4.2.3.6, 4.4.5, 5.2): the system
boundary with its cut-offs, the allocation choices, and the study's limitations, as tables."""

from __future__ import annotations

import pandas as pd

from ..catalog import load_catalog
from ..scope.resolve import resolve_datacenter, resolve_hardware
from ..scope.study import Study

BOUNDARY_COLUMNS = ["part of the system", "included", "basis", "justification"]


def system_boundary_table(study: Study) -> pd.DataFrame:
    """Every life-cycle stage and supporting process, in or out of the boundary, with why; the
    last row states the cut-off criterion."""
    rows = [(stage.name, True, stage.kind.value, stage.source or "given in the study file") for stage in study.stages]
    rows += [
        ("inference", True, "per batch: accelerator-hours and IT energy", study.use.source or "given in the study file"),
        ("idle capacity", True, f"idle share {study.use.idle_share:g} of the deployment's hardware time",
         "provisioned hardware draws power while idle"),
        ("hardware manufacture (accelerators, host server)", True,
         "amortized per accelerator-hour: 1 / (lifespan hours x utilization)", "cradle-to-gate embodied impacts"),
        ("hardware end of life", True, "one end-of-life treatment per manufactured unit", "WEEE treatment"),
        ("datacenter overhead (cooling, power conversion)", True, "PUE multiplier on IT energy", "facility energy"),
        ("on-site and grid water", True, "WUE on IT energy; grid water per kWh", "consumptive water use"),
    ]
    rows += [(e.stage, False, "cut off", e.reason) for e in study.scope.excluded]
    table = pd.DataFrame(rows, columns=BOUNDARY_COLUMNS)
    criterion = study.scope.cut_off or "no cut-off criterion stated in the study file"
    cut_off = pd.DataFrame([("cut-off criterion", False, study.scope.approach, criterion)], columns=BOUNDARY_COLUMNS)
    return pd.concat([table, cut_off], ignore_index=True)


def allocation_table(study: Study) -> pd.DataFrame:
    """How shared burdens are split (ISO 14044, 4.3.4): every rule the builder applies, with the
    study's own numbers."""
    catalog = load_catalog()
    fu = study.goal.functional_unit
    rows = [("development stages -> functional unit", "physical causality: share of lifetime use",
             f"{fu.queries:g} queries per FU / {study.use.total_queries:.4g} lifetime queries")]
    for name, hardware in study.hardware.items():
        resolved = resolve_hardware(name, hardware, catalog)
        rows.append((f"hardware {name!r} manufacture -> accelerator-hour", "time of use over useful life",
                     f"1 / ({resolved.lifespan_years:g} years x 8760 h x utilization {resolved.utilization:g})"))
        if resolved.server_code:
            rows.append((f"hardware {name!r} host server -> accelerator", "per accelerator slot",
                         f"1 / {resolved.server_slots} of the server per accelerator"))
    for name, datacenter in study.datacenters.items():
        resolved = resolve_datacenter(name, datacenter)
        rows.append((f"datacenter {name!r} overhead -> IT energy", "energy: PUE",
                     f"PUE {resolved.pue:g}: {resolved.pue - 1:g} kWh overhead per kWh of IT energy"))
    rows.append(("inference batch -> queries", "per query in the batch", f"batch size {study.use.batch_size:g}"))
    for model in study.models:
        if model.teacher:
            rows.append((f"teacher {model.teacher!r} -> model {model.name!r}", "share of reuse (w1)",
                         f"{model.teacher_weight:g} of the teacher's embodied product cost"))
        for dataset, weight in model.datasets.items():
            rows.append((f"data set {dataset!r} -> model {model.name!r}", "share of reuse (w2)", f"{weight:g}"))
    rows.append(("multi-output background processes", "none needed",
                 "the public background's activities are single-output; a linked database brings its own system model"))
    return pd.DataFrame(rows, columns=["shared burden", "rule", "value"])


def limitations_table(study: Study, estimated_share: pd.DataFrame | None = None,
                      not_assessed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The study's limitations, each with what it affects (ISO 14044, 5.2 e)."""
    rows = []
    if estimated_share is not None and "estimated_share" in estimated_share:
        worst = estimated_share.sort_values("estimated_share", ascending=False).head(1)
        for _, row in worst.iterrows():
            rows.append(("estimated energy", f"up to {row['estimated_share']:.0%} of a category's score rests on "
                         "estimated rather than measured energy", "completeness table"))
    if not_assessed is not None and len(not_assessed):
        pairs = "; ".join(f"{r['category']} ({r['stage']})" for _, r in not_assessed.iterrows())
        rows.append(("categories not assessed", pairs, "LCIA methods sheet"))
    for exclusion in study.scope.excluded:
        rows.append(("cut off", f"{exclusion.stage}: {exclusion.reason}", "system boundary"))
    rows += [
        ("characterization", "TRACI 2.1 factors are for US conditions; applied here to every region", "all TRACI categories"),
        ("embodied hardware", "modelled from a bill of silicon and materials; published per-device figures differ "
         "by a factor of several (see the embodied range in the sensitivity table)", "embodied share"),
        ("background data", "public-data proxies for some exchanges (marked PROXY in the inventory tables); "
         "see the data-quality table", "background datasets"),
        ("uncertainty", "the Monte Carlo leaves out characterization factors and scenario choices "
         "(lifetime queries, grid region); see the uncertainty statement", "uncertainty intervals"),
        ("attributional view", "average grid mixes, not the marginal supplier a consequential study would use",
         "electricity"),
    ]
    return pd.DataFrame(rows, columns=["limitation", "detail", "affects"])

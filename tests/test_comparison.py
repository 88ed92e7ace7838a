"""Comparison of product systems on the same functional unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bw_mllca import NotComparable, Study, compare
from bw_mllca.impact.engine import LinearEngine
from bw_mllca.interpretation.comparison import (
    check_comparable, compare_frames, functional_unit_fields, pareto_front, probabilities, verdict,
)
from bw_mllca.interpretation.uncertainty import paired_samples
from studies import catalog_study, merge

CONSTRAINED = {"goal": {"functional_unit": {"constraints": [
    {"metric": "mmlu", "operator": ">=", "value": 0.6},
    {"metric": "p95_latency_s", "operator": "<=", "value": 2.0},
]}}}


def _system(name: str, mmlu: float = 0.65, latency: float = 1.0, **changes) -> Study:
    data = merge(catalog_study(name, **changes), CONSTRAINED)
    data["model"]["performance"] = {"mmlu": mmlu, "p95_latency_s": latency}
    return Study.from_dict(data)


def test_refuses_a_different_functional_unit(project):
    other = merge(catalog_study("other fu", goal={"functional_unit": {"queries": 500}}), CONSTRAINED)
    other["model"]["performance"] = {"mmlu": 0.7, "p95_latency_s": 1.0}
    with pytest.raises(NotComparable, match=r"goal\.functional_unit\.queries = 500"):
        compare([_system("A"), Study.from_dict(other)], iterations=0)


def test_refuses_a_system_failing_a_constraint_and_names_it(project):
    with pytest.raises(NotComparable, match=r"fails constraint 'mmlu >= 0.6'.*0\.55"):
        compare([_system("A"), _system("B", mmlu=0.55)], iterations=0)
    missing = merge(catalog_study("no latency"), CONSTRAINED)
    missing["model"]["performance"] = {"mmlu": 0.7}
    with pytest.raises(NotComparable, match="p95_latency_s"):
        compare([_system("A"), Study.from_dict(missing)], iterations=0)


def test_scores_differences_and_ratios(project):
    a = _system("grid A")
    b = _system("grid B", datacenters={"dc": {"region": "CA-QC"}})
    result = compare([a, b], iterations=0)
    gwp = result.differences[result.differences.method.str.contains("GWP100")].iloc[0]
    score_a = result.scores[(result.scores.system == "grid A") & result.scores.method.str.contains("GWP100")].score.iloc[0]
    score_b = result.scores[(result.scores.system == "grid B") & result.scores.method.str.contains("GWP100")].score.iloc[0]
    assert gwp["B - A"] == pytest.approx(score_b - score_a, rel=1e-12)
    assert gwp["B / A"] == pytest.approx(score_b / score_a, rel=1e-12)
    assert score_b < score_a  # Québec's hydro grid


def test_shared_background_draws_cancel_what_two_systems_share(project):
    """Identical systems under two names: with shared draws every difference is exactly 0: a tie in
    every category (P(A = B) = 1, ties counting half towards P(A < B)); independent draws would
    put P(A < B) near one half with no tie."""
    a, b = _system("twin A"), _system("twin B")
    samples = paired_samples([a, b], iterations=500, seed=3)
    assert np.array_equal(samples[0].to_numpy(), samples[1].to_numpy())
    assert samples[0].iloc[:, 1].std() > 0  # the background really varies
    result = compare([a, b], iterations=500, seed=3)
    sampled = result.differences.dropna(subset=["P(A < B)"])
    assert (sampled["P(A = B)"] == 1.0).all() and (sampled["P(A < B)"] == 0.5).all()
    assert (result.differences["verdict"] == "tie").all()

    engine_a, engine_b = LinearEngine(a), LinearEngine(b)
    independent_a = engine_a.scores(background=engine_a.draw_background(500, seed=1))[:, 1]
    independent_b = engine_b.scores(background=engine_b.draw_background(500, seed=2))[:, 1]
    assert 0.3 < float(np.mean(independent_a < independent_b)) < 0.7


def test_percentiles_bracket_the_deterministic_score(project):
    result = compare([_system("pct A"), _system("pct B", use={"batch_size": 32})], iterations=1000, seed=0)
    gwp = result.scores[result.scores.method.str.contains("GWP100")]
    assert (gwp["p5"] < gwp["score"]).all() and (gwp["score"] < gwp["p95"]).all()


def test_pareto_front_by_hand():
    points = pd.DataFrame({"system": ["A", "B", "C", "D"], "quality": [0.60, 0.70, 0.65, 0.70],
                           "score": [1.0, 2.0, 2.5, 3.0]})
    front = pareto_front(points, "quality", "score")
    # C is dominated by B (better quality, lower impact); D by B (same quality, higher impact).
    assert list(front["system"]) == ["A", "B"]
    lower_is_better = pareto_front(points.assign(quality=[2.0, 1.0, 1.5, 1.0]), "quality", "score", False)
    assert list(lower_is_better["system"]) == ["A", "B"]


def test_comparability_reads_structured_fields_not_the_description(project):
    """Same reference flow and constraints in other words (and 1000 vs 1000.0): comparable. A
    constraint differing in its value, or its unit, is not."""
    reworded = _system("reworded", goal={"functional_unit": {"description": "one thousand answers", "queries": 1000.0}})
    check_comparable([_system("A"), reworded])
    tighter = merge(catalog_study("tighter"), {"goal": {"functional_unit": {"constraints": [
        {"metric": "mmlu", "operator": ">=", "value": 0.62}, {"metric": "p95_latency_s", "operator": "<=", "value": 2.0}]}}})
    tighter["model"]["performance"] = {"mmlu": 0.7, "p95_latency_s": 1.0}
    with pytest.raises(NotComparable, match=r"goal\.functional_unit\.constraints.*0\.62"):
        check_comparable([_system("A"), Study.from_dict(tighter)])
    in_ms = merge(catalog_study("in ms"), {"goal": {"functional_unit": {"constraints": [
        {"metric": "mmlu", "operator": ">=", "value": 0.6}, {"metric": "p95_latency_s", "operator": "<=", "value": 2.0, "unit": "ms"}]}}})
    in_ms["model"]["performance"] = {"mmlu": 0.7, "p95_latency_s": 1.0}
    with pytest.raises(NotComparable, match="constraints"):
        check_comparable([_system("A"), Study.from_dict(in_ms)])
    fields = functional_unit_fields(_system("A").goal.functional_unit)
    assert "description" not in fields and fields["queries"] == 1000 and fields["kind"] == "queries"


def test_zero_against_zero_is_a_tie_and_differences_by_hand():
    """Equal scores are a tie (P(A<B) counts equal draws half), 0 against 0 included; a category
    scored 0 throughout both systems has no data and is "not assessed" (NaN), not a tie or a win."""
    assert verdict(0.0, 0.0) == "tie" and verdict(1.0, 1.0 + 1e-12) == "tie" and verdict(float("nan"), 0.0) == "not assessed"
    assert probabilities(np.zeros(4), np.zeros(4)) == (0.5, 1.0)
    frame = pd.DataFrame({"view": "attributional", "method": ["ozone", "ozone", "water", "water", "gwp", "gwp"],
                          "category": ["ozone depletion"] * 2 + ["water"] * 2 + ["climate change"] * 2, "unit": "u",
                          "stage": "s", "score": [0.0, 0.0, 0.5, 0.5, 1.0, 2.0]})
    a, b = _system("zero A"), _system("zero B")
    # A: ozone 0, water 1, gwp 3; B: ozone 0, water 1, gwp 6 -- draws: water always equal, gwp A < B in 3 of 4
    frames = [frame, frame.assign(score=frame.score.where(frame.method != "gwp", frame.score * 2))]
    samples = [pd.DataFrame({"ozone": [0.0] * 4, "water": [1.0] * 4, "gwp": [1.0, 2.0, 3.0, 4.0]}),
               pd.DataFrame({"ozone": [0.0] * 4, "water": [1.0] * 4, "gwp": [2.0, 3.0, 4.0, 3.5]})]
    differences = compare_frames([a, b], frames, samples=samples).differences.set_index("method")
    assert differences.loc["ozone", "verdict"] == "not assessed" and np.isnan(differences.loc["ozone", "P(A < B)"])
    assert differences.loc["water", "verdict"] == "tie" and differences.loc["water", "B / A"] == 1.0
    assert differences.loc["water", "P(A < B)"] == 0.5 and differences.loc["water", "P(A = B)"] == 1.0
    assert differences.loc["gwp", "verdict"] == "A lower" and differences.loc["gwp", "B / A"] == 2.0
    assert differences.loc["gwp", "P(A < B)"] == 0.75 and differences.loc["gwp", "P(A = B)"] == 0.0

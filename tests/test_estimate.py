"""Footprints before anything runs: 6ND compute, peak throughput x MFU, EcoLogits per request, and
the estimated distil-or-train comparison."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bw_mllca.catalog import load_catalog
from bw_mllca.data_files import examples_dir
from bw_mllca.errors import StudyError
from bw_mllca.estimate import MFU_PUBLISHED_RANGE, compute_flops, distillation_teacher_flops
from bw_mllca.scope.study import Study

from conftest import SETUP_PROJECT
from studies import catalog_study

DISTIL = examples_dir() / "estimated-distil-1b.toml"
SCRATCH = examples_dir() / "estimated-scratch-1b.toml"
H100_BF16_FLOPS = 989.4e12  # NVIDIA H100 SXM datasheet: 1,979 TFLOPS bf16 with sparsity, half dense
H100_TDP_W = 700.0


@pytest.mark.parametrize("parameters, tokens, published_flops, source", [
    (175e9, 300e9, 3.14e23, "Brown et al. 2020, GPT-3, arXiv:2005.14165, Table D.1: 3.14e23 FLOPs"),
    (70e9, 1.4e12, 5.76e23, "Hoffmann et al. 2022, Chinchilla, arXiv:2203.15556, Table 3: 5.76e23 FLOPs"),
    (540.35e9, 780e9, 2.56e24, "Chowdhery et al. 2022, PaLM, arXiv:2204.02311, Appendix B: 2.56e24 FLOPs"),
    (405e9, 15.6e12, 3.8e25, "Llama Team 2024, The Llama 3 Herd of Models, arXiv:2407.21783, Sec. 1: 3.8e25 FLOPs"),
])
def test_6nd_reproduces_published_training_compute(parameters, tokens, published_flops, source):
    assert compute_flops(parameters, tokens) == pytest.approx(published_flops, rel=0.10), source


def test_mixture_of_experts_counts_active_parameters_and_teacher_counts_forward_passes():
    # Mixtral 8x7B: 46.7B total, 12.9B active per token (EcoLogits' repository, from Mistral's card).
    assert compute_flops(46.7e9, 1e12, active_parameters=12.9e9) == pytest.approx(6 * 12.9e9 * 1e12, rel=1e-15)
    assert distillation_teacher_flops(7e9, 5e11) == pytest.approx(compute_flops(7e9, 5e11) / 3, rel=1e-15)


def test_peak_throughput_by_precision_from_the_catalog():
    from bw_mllca.estimate import peak_throughput

    assert peak_throughput("H100-SXM5-80GB").tflops == H100_BF16_FLOPS / 1e12  # bf16 by default
    assert peak_throughput("H100-SXM5-80GB", "fp8").tflops == pytest.approx(2 * H100_BF16_FLOPS / 1e12, rel=1e-4)
    # Volta has no bfloat16: the default falls back to fp16 (V100 whitepaper: 125 TFLOPS tensor).
    assert (peak_throughput("V100-SXM2-32GB").precision, peak_throughput("V100-SXM2-32GB").tflops) == ("fp16", 125.0)


def _host_w_per_accelerator() -> float:
    host = load_catalog().hardware["HGX-host-server"]
    return host.power_w / host.accelerators_per_server


def test_estimated_stages_have_hours_and_energy_of_the_hand_calculation():
    from bw_mllca.inventory.foreground import foreground_of

    records = {r.name: r for r in foreground_of(Study.from_file(DISTIL)).stages}
    host = _host_w_per_accelerator()
    for name, flops, mfu in [
        ("teacher pre-training (7.3B, 4.05T tokens)", 6 * 7.3e9 * 4.05e12, 0.40),
        ("distillation: teacher logit caching (500B tokens)", 2 * 7.3e9 * 5e11, 0.40),  # teacher forward, 2 N D
        ("distillation: student training (KD 500B + synthetic SFT 2B tokens)", 6 * 1.2e9 * 5.02e11, 0.35),
    ]:
        hours = flops / (H100_BF16_FLOPS * mfu) / 3600
        record = records[name]
        assert record.accelerator_hours == pytest.approx(hours, rel=1e-12)
        assert record.it_energy_kwh == pytest.approx(hours * (H100_TDP_W + host) / 1000, rel=1e-12)
        assert not record.measured and record.basis.startswith("estimated:")


def _ecologits_energy(active_b, total_b, output_tokens, batch_size, pue=1.0, **deployment):
    from ecologits.impacts.llm import compute_llm_impacts

    impacts = compute_llm_impacts(**deployment,
                                  model_active_parameter_count=active_b, model_total_parameter_count=total_b,
                                  output_token_count=output_tokens, if_electricity_mix_adpe=0.0,
                                  if_electricity_mix_pe=0.0, if_electricity_mix_gwp=0.0, if_electricity_mix_wue=0.0,
                                  datacenter_pue=pue, datacenter_wue=0.0, batch_size=batch_size)
    return impacts.energy.value  # kWh per request (x PUE)


def test_inference_energy_per_request_is_ecologits_exactly():
    from bw_mllca.estimate.inference import request_estimate
    from bw_mllca.estimate.fields import UseEstimate

    # A model named in EcoLogits' repository (Llama 3.1 8B: 8.03B parameters) at EcoLogits' inputs.
    named = request_estimate(UseEstimate(model="meta-llama/Meta-Llama-3.1-8B", output_tokens=300), 64)
    assert named.it_energy_kwh == (pytest.approx(_ecologits_energy(8.03, 8.03, 300, 64), rel=1e-12),) * 2
    # By EcoLogits' published regression (energy per token alpha e^(beta B) P + gamma Wh; the host
    # server's 1.2 kW / 8 GPUs over the latency, per request of a batch of B):
    from ecologits.impacts import llm

    p, b, n = 8.03, 64, 300
    gpu_kwh = n * (llm.GPU_ENERGY_ALPHA * math.exp(llm.GPU_ENERGY_BETA * b) * p + llm.GPU_ENERGY_GAMMA) / 1000
    latency_s = n * (llm.LATENCY_ALPHA * p + llm.LATENCY_BETA * b + llm.LATENCY_GAMMA)
    gpus = 1  # 1.2 x 8.03B x 16 bit / 8 = 19.3 GB fits one 80 GB GPU
    server_kwh = latency_s / 3600 * 1.2 * gpus / 8 / b
    assert named.it_energy_kwh[0] == pytest.approx(server_kwh + gpus * gpu_kwh, rel=1e-12)
    assert named.latency_s[0] == pytest.approx(latency_s, rel=1e-12)
    # A model whose size is a range (gpt-4o-mini: 8-28B, served at 79 tokens/s after 0.54 s in
    # EcoLogits' repository): its min and max, exactly.
    ranged = request_estimate(UseEstimate(model="gpt-4o-mini", provider="openai", output_tokens=200), 64)
    energy = _ecologits_energy(llm.RangeValue(min=8, max=28), llm.RangeValue(min=8, max=28), 200, 64, tps=79.0, ttft=0.54)
    assert ranged.it_energy_kwh == (pytest.approx(energy.min, rel=1e-12), pytest.approx(energy.max, rel=1e-12))


def test_estimated_study_in_brightway_carries_ecologits_energy_and_mfu_uncertainty(project):
    import bw_mllca
    from bw_mllca.interpretation.estimates import estimated_inputs

    study = Study.from_file(SCRATCH)
    bw_mllca.build(study)
    frame = bw_mllca.calculate(study)
    meter = frame[(frame.view == "attributional") & (frame.method.str.contains("electricity at the meter"))]
    # Inference: 1,000 queries x EcoLogits' IT energy per request (1.2B dense, 250 tokens, batch 64) x PUE 1.2.
    per_request = _ecologits_energy(1.2, 1.2, 250, 64)
    assert meter[meter.stage == "inference"].score.sum() == pytest.approx(1000 * per_request * 1.2, rel=1e-5)
    # Pre-training: 6 N D / (peak x MFU) hours at TDP + host, x PUE, over 1.46e10 lifetime queries.
    hours = 6 * 1.2e9 * 3e12 / (H100_BF16_FLOPS * 0.35) / 3600
    pretraining_kwh = hours * (H100_TDP_W + _host_w_per_accelerator()) / 1000 * 1.2 * 1000 / 1.46e10
    development = meter[meter.stage == "pre-training (1.2B, 3T tokens)"].score.sum()
    assert development == pytest.approx(pretraining_kwh, rel=1e-5)

    # Monte Carlo draws the MFU (triangular over the published range): a stage's hours, energy and
    # so its whole score scale as 1 / MFU.
    gwp_method = ("TRACI v2.1", "climate change", "global warming potential (GWP100)")
    result = bw_mllca.monte_carlo(study, iterations=200, seed=3, background=False, methods=[gwp_method])
    gwp = frame[(frame.view == "attributional") & frame.method.str.contains("GWP100")]
    expected = np.full(200, gwp.score.sum())
    inputs = estimated_inputs(study)
    assert len(inputs) == 3  # experimentation, pre-training and evaluation; EcoLogits' 1.2B size is no range
    for drawn in inputs:
        stage = study.stages[int(drawn.parameter.fields[0].split(".")[1])]
        values = result.parameter_samples[drawn.parameter.name]
        assert MFU_PUBLISHED_RANGE[0] <= values.min() and values.max() <= MFU_PUBLISHED_RANGE[1]
        expected += gwp[gwp.stage == stage.name].score.sum() * (stage.estimate.mfu / values - 1.0)
    assert result.samples[:, 0] == pytest.approx(expected, rel=1e-5)
    # One shared quantile: every stage's MFU sits at the same place in its own range.
    first, second = (result.parameter_samples[i.parameter.name] for i in inputs[:2])
    assert np.array_equal(np.argsort(first), np.argsort(second))

    # The fast engine's MFU law equals a fresh build of the study at another MFU.
    from bw_mllca.impact.engine import LinearEngine, study_with

    engine = LinearEngine(study, methods=[gwp_method])
    varied = study_with(study, {inputs[1].parameter: 0.25})
    bw_mllca.build(varied)
    rebuilt = bw_mllca.calculate(varied, methods=[gwp_method])
    fast = engine.scores({inputs[1].parameter: [0.25]})[0, 0]
    rebuilt = rebuilt[(rebuilt.view == "attributional") & rebuilt.method.str.contains("GWP100")]
    assert fast == pytest.approx(rebuilt.score.sum(), rel=1e-9)
    bw_mllca.build(study)
    # A sweep of every estimated stage's MFU by one factor f: the score is a + b / f (linear in 1 / f).
    from bw_mllca.interpretation.parameters import mfu_factor

    f = np.array([0.6, 0.95, 1.3])
    swept = engine.scores({mfu_factor(): f})[:, 0]
    b = (swept[0] - swept[2]) / (1 / f[0] - 1 / f[2])
    assert swept[1] == pytest.approx(swept[2] + b * (1 / f[1] - 1 / f[2]), rel=1e-9)

    # The completeness table: training and inference estimated, the whole result resting on estimates.
    table = bw_mllca.completeness(study, frame)
    status = dict(zip(table.stages.life_cycle_stage, table.stages.status))
    assert status["training"] == status["deployment and inference"] == "estimated"
    share = table.estimated_share.set_index("method").loc[gwp.method.iloc[0], "estimated_share"]
    assert share == pytest.approx(1.0, rel=1e-12)


def test_calibration_against_published_runs_implies_mfu_in_the_published_range():
    """Implied MFU = 6 N D / (peak x published accelerator-hours); the README reports these ratios."""
    a100 = 312e12  # A100 datasheet, dense bf16
    implied = {
        # Luccioni et al. 2022, arXiv:2211.02001, Table 1: BLOOM 176B, 1,082,990 A100-hours; 366B tokens (BigScience 2022)
        "BLOOM 176B": compute_flops(176e9, 366e9) / (a100 * 3600 * 1_082_990),
        # Llama 2 model card (Touvron et al. 2023, arXiv:2307.09288, Table 2): 184,320 / 1,720,320 A100-80GB hours, 2T tokens
        "Llama 2 7B": compute_flops(6.74e9, 2e12) / (a100 * 3600 * 184_320),
        "Llama 2 70B": compute_flops(68.98e9, 2e12) / (a100 * 3600 * 1_720_320),
        # Team OLMo 2024, arXiv:2501.00656, Table 19: OLMo 2 7B 131 MWh of GPU energy, 4.05T tokens on H100 at 700 W
        "OLMo 2 7B": compute_flops(7.3e9, 4.05e12) / H100_BF16_FLOPS / 3600 * H100_TDP_W / 1000 / 131_000,
    }
    low, high = MFU_PUBLISHED_RANGE
    for name, mfu in implied.items():
        assert low <= mfu <= high, (name, mfu)
    assert implied["Llama 2 7B"] == pytest.approx(0.391, abs=0.001)  # hand calculation: 8.09e22 / 2.07e23


def test_bad_estimates_name_the_field_and_value():
    with pytest.raises(StudyError, match=r"stages.0.estimate.precision.*Gaudi2-96GB"):
        Study.from_dict(catalog_study("x", **{"hardware": {"node": {"accelerator": "Gaudi2-96GB"}},
                                              "stages": [_stage(estimate={"parameters": 1e9, "tokens": 1e10, "mfu": 0.4})]}))
    with pytest.raises(StudyError, match="estimate derives"):
        Study.from_dict(catalog_study("x", stages=[_stage(accelerator_hours=10.0, estimate={"parameters": 1e9, "tokens": 1e10, "mfu": 0.4})]))
    with pytest.raises(StudyError, match=r"mfu.*85"):
        Study.from_dict(catalog_study("x", stages=[_stage(estimate={"parameters": 1e9, "tokens": 1e10, "mfu": 85})]))
    with pytest.raises(StudyError, match=r"use.estimate.model = 'no-such-model'.*EcoLogits"):
        Study.from_dict(catalog_study("x", use={"seconds_per_batch": None, "power_w": None,
                                                  "estimate": {"model": "no-such-model", "output_tokens": 100}}))
    with pytest.raises(StudyError, match="remove accelerators and power_w"):
        Study.from_dict(catalog_study("x", use={"seconds_per_batch": None, "estimate": {"parameters": 1e9, "output_tokens": 100}}))


def _stage(**fields):
    return {"name": "train", "kind": "pre-training", "hardware": "node", "datacenter": "dc", **fields}


def test_distil_or_train_compare_gives_p_and_break_even(bw_dir, setup_report, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}
    out = tmp_path / "cmp"
    result = subprocess.run([sys.executable, "-m", "bw_mllca.cli", "--bw-dir", str(bw_dir), "--project", SETUP_PROJECT,
                             "compare", str(DISTIL), str(SCRATCH), "--out", str(out), "--iterations", "200", "--no-plots"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    differences = pd.read_csv(out / "comparison.csv")
    gwp = differences[differences.method.str.contains("GWP100")].iloc[0]
    assert 0.0 <= gwp["P(A < B)"] <= 1.0
    even = pd.read_csv(out / "break_even.csv")
    meter = even[even.method.str.contains("electricity at the meter")].iloc[0]
    # Hand calculation of each system's development electricity at the meter (kWh, PUE 1.2).
    per_kwh = (H100_TDP_W + _host_w_per_accelerator()) / 1000 / 3600 / H100_BF16_FLOPS * 1.2
    distil = per_kwh * (0.05 * 6 * 7.3e9 * 4.05e12 / 0.40 + 2 * 7.3e9 * 5e11 / 0.40 + 2 * 7.3e9 * 2e9 / 0.05
                        + 6 * 1.2e9 * 5.02e11 / 0.35 + 6 * 1.2e9 * 2.5e11 / 0.35 + 2 * 1.2e9 * 1e9 / 0.30)
    scratch = per_kwh * (6 * 1.2e9 * 3e12 / 0.35 + 6 * 1.2e9 * 1.5e12 / 0.35 + 2 * 1.2e9 * 1e9 / 0.30)
    assert meter["development total A"] == pytest.approx(distil, rel=1e-5)
    assert meter["development total B"] == pytest.approx(scratch, rel=1e-5)
    # Same inference in both: the break-even queries are in the ratio of the developments, and the
    # systems never cross (the distilled student is lower at every lifetime).
    assert meter["break-even queries B"] / meter["break-even queries A"] == pytest.approx(scratch / distil, rel=1e-5)
    assert np.isnan(meter["crossover queries"])
    assert "break-even queries" in result.stdout

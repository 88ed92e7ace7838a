"""Study validation: one StudyError listing every problem with its field and value,
safe parsing of study files (7.4) and plausibility warnings with units (7.5).

These tests need no Brightway project: they only validate.
"""

from __future__ import annotations

import warnings

import pytest

from bw_mllca import Study, StudyError
from bw_mllca.scope.study import slug
from bw_mllca.scope.validation import PlausibilityWarning
from studies import catalog_study, merge, minimal_study


def _problems(data) -> list[tuple[str, object, str]]:
    with pytest.raises(StudyError) as caught:
        Study.from_dict(data)
    problems = caught.value.problems
    assert str(caught.value).count("\n  - ") == len(problems)  # every problem is in the message
    return problems


def _one(data, path: str) -> tuple[object, str]:
    """The (value, message) of the one problem reported at ``path``."""
    found = [(value, message) for p, value, message in _problems(data) if p == path]
    assert len(found) == 1, (path, _problems(data))
    return found[0]


def _stage(**changes) -> dict:
    return {"name": "s", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
            "accelerator_hours": 10, "energy_kwh": 3, **changes}


# -- each kind of problem names its field and its value -------------------------------------------

def test_missing_functional_unit():
    value, message = _one(minimal_study("v", goal={"functional_unit": None}), "goal.functional_unit")
    data = minimal_study("v")
    del data["goal"]["functional_unit"]
    value, message = _one(data, "goal.functional_unit")
    assert value == "(missing)" and "required" in message.lower()


@pytest.mark.parametrize(("path", "changes"), [
    ("goal.functional_unit.queries", {"goal": {"functional_unit": {"queries": 0}}}),
    ("goal.functional_unit.queries", {"goal": {"functional_unit": {"queries": -5}}}),
    ("use.batch_size", {"use": {"batch_size": 0}}),
    ("use.lifetime_queries", {"use": {"lifetime_queries": -1}}),
    ("hardware.gpu.lifespan_years", {"hardware": {"gpu": {"lifespan_years": 0}}}),
    ("hardware.gpu.power_w", {"hardware": {"gpu": {"power_w": -400}}}),
    ("stages.0.energy_kwh", {"stages": [_stage(energy_kwh=-3)]}),
    ("datacenters.dc.grid_kgco2e_per_kwh", {"datacenters": {"dc": {"grid_kgco2e_per_kwh": -0.3}}}),
])
def test_negative_or_zero_amounts(path, changes):
    value, message = _one(minimal_study("v", **changes), path)
    assert value == pytest.approx(_dig(changes, path))
    assert "greater than" in message


def _dig(changes: dict, path: str):
    value = changes
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_unknown_hardware_and_region_name_the_closest_known():
    data = catalog_study("v", hardware={"node": {"accelerator": "H100-SXM5", "server": "HGX-host"}},
                         datacenters={"dc": {"region": "SRV", "profile": "us-averag"}})
    problems = {path: (value, message) for path, value, message in _problems(data)}
    assert problems["hardware.node.accelerator"][0] == "H100-SXM5"
    assert "closest known: H100-SXM5-80GB" in problems["hardware.node.accelerator"][1]
    assert "HGX-host-server" in problems["hardware.node.server"][1]
    assert problems["datacenters.dc.region"][0] == "SRV" and "SRVC" in problems["datacenters.dc.region"][1]
    assert "us-average" in problems["datacenters.dc.profile"][1]
    assert len(problems) == 4  # no follow-on noise (e.g. a missing PUE of the unknown profile)


@pytest.mark.parametrize(("path", "changes", "hint"), [
    ("hardware.gpu.power_w", {"hardware": {"gpu": {"power_w": 700_000}}}, "700 kW"),
    ("stages.0.power_w", {"stages": [_stage(power_w=700_000, energy_kwh=None)]}, "700 kW"),
    ("use.power_w", {"use": {"power_w": 700_000}}, "700 kW"),
    ("datacenters.dc.pue", {"datacenters": {"dc": {"pue": 0.9}}}, "at least 1"),
    ("datacenters.dc.pue", {"datacenters": {"dc": {"pue": 120}}}, "facility energy / IT energy"),
    ("hardware.gpu.utilization", {"hardware": {"gpu": {"utilization": 85}}}, "not a percentage"),
    ("use.idle_share", {"use": {"idle_share": 30, "idle_power_w": 100}}, "not a percentage"),
    ("hardware.gpu.lifespan_years", {"hardware": {"gpu": {"lifespan_years": 48}}}, "months or hours"),
])
def test_unit_mix_ups_are_named(path, changes, hint):
    value, message = _one(minimal_study("v", **changes), path)
    assert hint in message


def test_lifetime_queries_smaller_than_one_batch_or_one_fu():
    problems = _problems(minimal_study("v", use={"lifetime_queries": 4}))
    messages = [m for p, v, m in problems if p == "use.lifetime_queries" and v == 4]
    assert any("one batch (8 queries)" in m for m in messages)
    assert any("one functional unit (1000 queries)" in m for m in messages)
    problems = _problems(minimal_study("v", use={"lifetime_queries": None, "queries_per_day": 1, "deployment_years": 0.001}))
    assert [(p, v) for p, v, m in problems if "one batch" in m] == [("use.queries_per_day", pytest.approx(0.365))]


def test_stage_with_undefined_hardware_or_datacenter():
    problems = _problems(minimal_study("v", stages=[_stage(hardware="gpu2", datacenter="dc-x")]))
    assert ("stages.0.hardware", "gpu2", "undefined hardware; closest known: gpu") in problems
    assert ("stages.0.datacenter", "dc-x", "undefined datacenter; closest known: dc") in problems


def test_cycle_in_model_provenance():
    data = minimal_study("v", model={"name": "a", "teacher": "b"},
                         models=[{"name": "b", "teacher": "c"}, {"name": "c", "teacher": "a"}])
    value, message = _one(data, "model provenance")
    assert value == "a -> b -> c -> a" and "teacher" in message


# -- every problem in one error -----------------------------------------------------------------

def test_schema_and_cross_reference_problems_come_together():
    data = minimal_study(
        "v",
        hardware={"gpu": {"power_w": 700_000}, "cat": {"accelerator": "H100", "lifespan_years": 4}},
        datacenters={"dc": {"pue": 0.9}, "grid": {"region": "FRA", "pue": 1.2}},
        model={"name": "m", "teacher": "ghost"},
        stages=[_stage(hardware="gpu2"), _stage(name="t", energy_kwh=-1), _stage(name="u", datacenter="nowhere")],
        use={"lifetime_queries": 4},
    )
    paths = {path for path, _, _ in _problems(data)}
    assert {
        "hardware.gpu.power_w",  # schema: a 700 kW accelerator
        "datacenters.dc.pue",  # schema: PUE below 1
        "stages.1.energy_kwh",  # schema: negative energy
        "hardware.cat.accelerator",  # catalog: unknown accelerator
        "datacenters.grid.region",  # catalog: unknown region
        "model.teacher",  # provenance: unknown teacher
        "stages.0.hardware",  # reference: undefined hardware
        "stages.2.datacenter",  # reference: undefined datacenter
        "use.lifetime_queries",  # units: fewer lifetime queries than one batch
    } <= paths


def test_reference_to_an_invalid_definition_is_not_reported_twice():
    problems = _problems(minimal_study("v", hardware={"gpu": {"power_w": -1}}))
    assert [p for p, _, _ in problems] == ["hardware.gpu.power_w"]  # not also "undefined hardware"


# -- odd inputs: only ever StudyError -------------------------------------------------------------

ODD_INPUTS = [
    None, [], "study", 42, 1.5, {"study": None}, {"study": []},
    minimal_study("v", hardware=None), minimal_study("v", hardware=[1, 2]), minimal_study("v", hardware={1: {}}),
    minimal_study("v", hardware={"gpu": None}), minimal_study("v", stages={"a": 1}), minimal_study("v", stages="abc"),
    minimal_study("v", stages=[None, 1, "x", []]), minimal_study("v", model=None), minimal_study("v", models={"a": 1}),
    minimal_study("v", use=[]), minimal_study("v", goal={"functional_unit": []}),
    minimal_study("v", use={"lifetime_queries": 10**400}), minimal_study("v", use={"lifetime_queries": -10**5000}),
    minimal_study("v", use={"lifetime_queries": float("nan")}), minimal_study("v", use={"lifetime_queries": float("inf")}),
    minimal_study("v", goal={"functional_unit": {"queries": float("-inf")}}),
    minimal_study("v", use={"queries_per_day": 1e308, "deployment_years": 1e308, "lifetime_queries": None}),
    minimal_study("v", use={"batch_size": 1e-300}, goal={"functional_unit": {"queries": 1e300}}),
    minimal_study("v", hardware={"gpu": {"accelerator_embodied": {"co2e_kg": 1e300}}}),
    minimal_study("v", hardware={"gpu": {"accelerators_per_node": 10**30}}),
    minimal_study("v", hardware={"gpu": {"power_w": True}}), minimal_study("v", study={"name": 5}),
    minimal_study("v", study={"name": None}), minimal_study("v", study={"name": ""}), minimal_study("v", study={"name": "x" * 10_000}),
    minimal_study("v", stages=[_stage(name=["a"])]), minimal_study("v", stages=[_stage(kind="cooking")]),
    minimal_study("v", stages=[_stage(energy={"log": "\x00", "format": "codecarbon"}, energy_kwh=None)]),
    minimal_study("v", stages=[_stage(energy={"log": "x" * 199, "format": "=cmd"}, energy_kwh=None)]),
    minimal_study("v", hardware={"gpu": {"manufacture_activity": ["only one"]}}),
    minimal_study("v", model={"name": "m", "datasets": {"d": 2.0}}), minimal_study("v", model={"name": "m", "datasets": [1]}),
    minimal_study("v", datacenters={"dc": {"region": "FR", "grid_kgco2e_per_kwh": 0.1}}),
    {**minimal_study("v"), "unknown": 1, 3: 4},
    minimal_study("=cmd|' /C calc'!A0", study={"database": "biosphere3"}),
    minimal_study("v", study={"database": "mllca background", "background": "mllca background"}),
]


@pytest.mark.parametrize("data", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_odd_input_raises_only_study_error(data):
    problems = _problems(data)
    assert problems and all(isinstance(path, str) and isinstance(message, str) for path, _, message in problems)
    assert len(str(StudyError(problems))) < 20_000  # values are shortened, never dumped whole


def test_self_referencing_and_exponential_structures_are_refused():
    looped: dict = minimal_study("v")
    looped["stages"][0]["energy"] = {"log": "x", "format": "codecarbon", "options": {"me": looped}}
    assert "refers to itself" in _problems(looped)[0][2]
    laughs: list = ["lol"]
    for _ in range(12):
        laughs = [laughs] * 9  # 9**12 leaves if walked naively
    data = minimal_study("v")
    data["stages"][0]["energy"] = {"log": "x", "format": "codecarbon", "options": {"lol": laughs}}
    assert "values" in _problems(data)[0][2]


def test_unicode_and_formula_like_names_are_accepted_and_kept():
    data = minimal_study("=SUM(A1:A9)", stages=[_stage(name="训练 (pré-entraînement)"), _stage(name="評価", kind="evaluation")],
                         hardware={"gpu": {"accelerator_embodied": {"co2e_kg": 150.0, "source": "@import"}}})
    study = Study.from_dict(data)
    assert study.study.name == "=SUM(A1:A9)"
    assert [s.name for s in study.stages] == ["训练 (pré-entraînement)", "評価"]
    assert slug("训练 (pré-entraînement)") == "训练-pré-entraînement" and slug("評価") == "評価"
    assert slug("Pre-training (run 2)") == "pre-training-run-2" and slug("a_b") == "a-b"  # ASCII unchanged


def test_names_that_would_share_an_activity_code_are_refused():
    data = minimal_study("v", stages=[_stage(name="Pre training"), _stage(name="pre-training")])
    value, message = _one(data, "stages.1.name")
    assert value == "pre-training" and "same activity code" in message
    value, message = _one(minimal_study("v", stages=[_stage(name="Inference")]), "stages.0.name")
    assert "reserved" in message
    data = minimal_study("v", hardware={"GPU A": minimal_study("x")["hardware"]["gpu"], "gpu-a": minimal_study("x")["hardware"]["gpu"]})
    assert any(p.startswith("hardware.") and "same activity code" in m for p, _, m in _problems(data))


def test_database_names_stay_in_the_plugin_namespace():
    assert Study.from_dict(minimal_study("v")).database_name == "mllca study: v"
    assert Study.from_dict(minimal_study("v", study={"database": "mllca study: mine"})).database_name == "mllca study: mine"
    for name in ("biosphere3", "mllca background", "ecoinvent-3.10-cutoff", "my study"):
        value, message = _one(minimal_study("v", study={"database": name}), "study.database")
        assert value == name and "mllca study: " in message


def test_a_valid_study_raises_nothing_and_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in (minimal_study("v"), catalog_study("c")):
            assert Study.from_dict(data).warnings == ()
        assert Study.from_file("examples/olmo2-7b.toml").warnings == ()


# -- plausibility warnings: legal but unusual values, with units ------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"datacenters": {"dc": {"pue": 2.4}}}, "PUE 2.4 is above 2"),
    ({"hardware": {"gpu": {"power_w": 2500}}}, "accelerator power 2500 W is above 2000 W"),
    ({"stages": [_stage(power_w=2500, energy_kwh=None)]}, "stages.0.power_w = 2500 W is above 2000 W"),
    ({"use": {"power_w": 3000, "energy_kwh_per_batch": None}}, "use.power_w = 3000 W is above 2000 W"),
    ({"hardware": {"gpu": {"lifespan_years": 12}}}, "lifespan_years = 12 years is longer than 10 years"),
    ({"datacenters": {"dc": {"grid_kgco2e_per_kwh": 3.5}}}, "3.5 kg CO2e/kWh is outside the inventories' range"),
    ({"datacenters": {"dc": {"grid_kgco2e_per_kwh": 0.001}}}, "0.001 kg CO2e/kWh is outside the inventories' range"),
])
def test_each_plausibility_warning(changes, expected):
    with pytest.warns(PlausibilityWarning) as record:
        study = Study.from_dict(minimal_study("v", **changes))
    assert len(study.warnings) == 1 and expected in study.warnings[0]
    assert [str(w.message) for w in record] == list(study.warnings)


def test_catalog_hardware_over_its_rated_power_warns_with_units():
    with pytest.warns(PlausibilityWarning, match=r"2100 W"):
        Study.from_dict(catalog_study("c", hardware={"node": {"power_w": 2100}}))


# -- study files are parsed safely ----------------------------------------------------------------

def test_yaml_with_a_python_object_tag_is_refused(tmp_path):
    pytest.importorskip("yaml")
    marker = tmp_path / "executed"
    path = tmp_path / "evil.yaml"
    path.write_text(
        f"study: !!python/object/apply:os.system ['touch {marker}']\n"
        "goal: !!python/object/new:builtins.dict {}\n",
        encoding="utf-8",
    )
    with pytest.raises(StudyError, match="not valid YAML") as caught:
        Study.from_file(path)
    assert caught.value.problems[0][0] == "file"
    assert not marker.exists()


def test_yaml_study_is_read(tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(minimal_study("yaml study")), encoding="utf-8")
    assert Study.from_file(path).database_name == "mllca study: yaml study"


def test_yaml_alias_bomb_is_refused(tmp_path):
    pytest.importorskip("yaml")
    lines = ['a0: &a0 ["lol"]'] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StudyError, match="values"):
        Study.from_file(path)


@pytest.mark.parametrize(("name", "content"), [
    ("bad.toml", b"[study\nname = 1"),
    ("latin1.toml", "[study]\nname = \"caf\xe9\"\n".encode("latin-1")),
    ("list.yaml", b"- 1\n- 2\n"),
    ("empty.toml", b""),
    ("dates.toml", b"[study]\nname = 1979-05-27\n"),
])
def test_malformed_study_files_give_study_error(tmp_path, name, content):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(StudyError):
        Study.from_file(path)


def test_missing_or_folder_study_file(tmp_path):
    with pytest.raises(StudyError, match="no such study file"):
        Study.from_file(tmp_path / "absent.toml")
    with pytest.raises(StudyError, match="no such study file"):
        Study.from_file(tmp_path)


def test_problem_values_are_bounded():
    problems = _problems(minimal_study("v", use={"lifetime_queries": 10**5000}))
    value = problems[0][1]
    assert len(repr(value)) <= 90
    problems = _problems(merge(minimal_study("v"), {"study": {"name": "x" * 5000}}))
    assert len(repr(problems[0][1])) <= 90


@pytest.mark.parametrize(("changes", "path"), [
    ({"study": {"name": "bell\x07"}}, "study.name"),
    ({"study": {"description": "nul\x00"}}, "study.description"),
    ({"scope": {"data_sources": ["esc\x1b[31m"]}}, "scope.data_sources"),
    ({"stages": [_stage(source="a\x0bb")]}, "stages.0.source"),
])
def test_control_characters_are_refused(changes, path):
    # Spreadsheet XML cannot hold them (openpyxl raises on export), and no study needs them.
    value, message = _one(minimal_study("v", **changes), path)
    assert "control character" in message
    assert Study.from_dict(minimal_study("v", study={"description": "tab\tnewline\nok"})).study.description

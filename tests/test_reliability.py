"""Atomic, idempotent builds: a rebuild gives an identical database; a failure injected
in the middle of a write (inside bw2data's dataset writer, inside Database.process, or a Ctrl-C)
leaves the previous database exactly as it was; a failed first build leaves no database.
"""

from __future__ import annotations

import bw2calc as bc
import bw2data as bd
import pytest
from bw2data.backends import ActivityDataset as AD
from bw2data.backends import ExchangeDataset as ED
from bw2data.backends.base import SQLiteBackend

from bw_mllca import BuildError, SetupConflict, Study, build
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.inventory.foreground import FU_ATTRIBUTIONAL, foreground_of
from bw_mllca.ownership import MARK
from studies import minimal_study

FAULTS = {"injected": 0}


def _study(name: str, energy_kwh: float = 3_000, **changes) -> Study:
    stages = [
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
         "accelerator_hours": 10_000, "energy_kwh": energy_kwh},
        {"name": "evaluation", "kind": "evaluation", "hardware": "gpu", "datacenter": "dc",
         "accelerator_hours": 100, "energy_kwh": 20},
    ]
    return Study.from_dict(minimal_study(name, stages=stages, **changes))


def _content(name: str) -> dict:
    """Everything stored for database ``name``: metadata, activities (all fields), exchanges."""
    activities = sorted(
        (code, repr(sorted(data.items())))
        for code, data in AD.select(AD.code, AD.data).where(AD.database == name).tuples()
    )
    exchanges = sorted(
        (out_code, in_db, in_code, kind, repr(sorted(data.items())))
        for out_code, in_db, in_code, kind, data in ED.select(
            ED.output_code, ED.input_database, ED.input_code, ED.type, ED.data
        ).where(ED.output_database == name).tuples()
    )
    return {"metadata": dict(bd.databases[name]), "activities": activities, "exchanges": exchanges}


def _score(name: str) -> float:
    lca = bc.LCA({bd.get_node(database=name, code=FU_ATTRIBUTIONAL): 1}, TRACI_GWP100)
    lca.lci()
    lca.lcia()
    return lca.score


def _fail_on_dataset(monkeypatch, n: int, error: type[BaseException] = RuntimeError) -> None:
    """bw2data's per-dataset writer raises on the ``n``-th dataset (1-based) of the next write."""
    original = SQLiteBackend._efficient_write_dataset
    calls = {"n": 0}

    def failing(self, ds, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            monkeypatch.setattr(SQLiteBackend, "_efficient_write_dataset", original)  # once only
            FAULTS["injected"] += 1
            raise error(f"injected failure on dataset {n}")
        return original(self, ds, *args, **kwargs)

    monkeypatch.setattr(SQLiteBackend, "_efficient_write_dataset", failing)


@pytest.fixture
def built(project):
    """A built study, removed afterwards."""
    study = _study("reliability")
    name = build(study)
    yield study, name
    if name in bd.databases:
        del bd.databases[name]


def test_rebuilding_gives_an_identical_database(built):
    study, name = built
    first, score = _content(name), _score(name)
    assert build(study) == name
    assert _content(name) == first  # unchanged: not even a timestamp moves
    assert foreground_of(study).data == foreground_of(_study("reliability")).data

    # Force a real rewrite (a stale fingerprint): the same activities, exchanges, amounts and mark.
    metadata = bd.databases[name]
    metadata[MARK] = {**metadata[MARK], "fingerprint": "stale"}
    bd.databases[name] = metadata
    build(study)
    again = _content(name)
    assert again["activities"] == first["activities"] and again["exchanges"] == first["exchanges"]
    ignore = {"modified", "processed"}
    assert {k: v for k, v in again["metadata"].items() if k not in ignore} == {
        k: v for k, v in first["metadata"].items() if k not in ignore
    }
    assert _score(name) == pytest.approx(score, rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_failure_inside_the_dataset_writer_keeps_the_previous_database(built, monkeypatch, n):
    _, name = built
    before, score = _content(name), _score(name)
    changed = _study("reliability", energy_kwh=4_000)
    assert len(foreground_of(changed).data) >= 7
    _fail_on_dataset(monkeypatch, n)
    with pytest.raises(BuildError, match="previous database was left as it was"):
        build(changed)
    assert _content(name) == before
    assert _score(name) == pytest.approx(score, rel=1e-12)
    # The fault is gone: the change now builds, and its score differs.
    build(changed)
    assert _score(name) > score


def test_failure_inside_process_keeps_the_previous_database(built, monkeypatch):
    _, name = built
    before, score = _content(name), _score(name)
    original = SQLiteBackend.process

    def failing(self, *args, **kwargs):
        monkeypatch.setattr(SQLiteBackend, "process", original)
        FAULTS["injected"] += 1
        raise OSError("injected: disk full while processing")

    monkeypatch.setattr(SQLiteBackend, "process", failing)
    with pytest.raises(BuildError, match="disk full"):
        build(_study("reliability", energy_kwh=5_000))
    assert _content(name) == before
    assert _score(name) == pytest.approx(score, rel=1e-12)


def test_interrupt_keeps_the_previous_database_and_is_reraised(built, monkeypatch):
    _, name = built
    before = _content(name)
    _fail_on_dataset(monkeypatch, 3, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        build(_study("reliability", energy_kwh=6_000))
    assert _content(name) == before


def test_failure_before_any_write_keeps_the_previous_database(built):
    _, name = built
    before = _content(name)
    # A hardware linked to an activity that does not exist: found before anything is written.
    broken = _study("reliability", hardware={"gpu": {"accelerator_embodied": None,
                                                     "manufacture_activity": ["nowhere", "x"]}})
    with pytest.raises(BuildError, match="nowhere"):
        build(broken)
    assert _content(name) == before


@pytest.mark.parametrize("fault", ["dataset", "process"])
def test_failed_first_build_leaves_no_database(project, monkeypatch, fault):
    study = _study(f"never built ({fault})")
    databases = sorted(bd.databases)
    if fault == "dataset":
        _fail_on_dataset(monkeypatch, 2)
    else:
        def failing(self, *args, **kwargs):
            FAULTS["injected"] += 1
            raise RuntimeError("injected")

        monkeypatch.setattr(SQLiteBackend, "process", failing)
    with pytest.raises(BuildError):
        build(study)
    assert study.database_name not in bd.databases
    assert sorted(bd.databases) == databases
    assert not AD.select().where(AD.database == study.database_name).exists()
    monkeypatch.undo()
    assert build(study) == study.database_name  # and nothing in the way of a later build
    del bd.databases[study.database_name]


def test_an_interrupted_build_is_rebuilt_not_taken_for_a_users(project):
    study = _study("interrupted")
    name = build(study)
    try:
        metadata = bd.databases[name]
        metadata[MARK] = {**metadata[MARK], "fingerprint": "incomplete"}
        bd.databases[name] = metadata
        build(study)
        assert bd.databases[name][MARK]["fingerprint"] not in ("incomplete", None)
    finally:
        del bd.databases[name]


def test_another_studys_database_is_not_overwritten(built):
    _, name = built
    before = _content(name)
    other = Study.from_dict(minimal_study("another study", study={"database": name}))
    with pytest.raises(SetupConflict, match="holds study 'reliability'"):
        build(other)
    assert _content(name) == before


def test_the_background_is_never_a_study_database(project):
    from bw_mllca.inventory.background import BACKGROUND
    from bw_mllca.inventory.writer import write_owned_database
    from bw_mllca.ownership import mark

    before = _content(BACKGROUND)
    with pytest.raises(SetupConflict, match="background"):
        write_owned_database(BACKGROUND, lambda: {}, mark("x", study="s"))
    assert _content(BACKGROUND) == before


def test_when_even_the_restore_fails_the_database_is_marked_for_a_rebuild(built, monkeypatch):
    study, name = built
    score = _score(name)

    def failing(self, *args, **kwargs):
        FAULTS["injected"] += 1
        raise OSError("injected: processing always fails")

    monkeypatch.setattr(SQLiteBackend, "process", failing)
    with pytest.raises(BuildError, match="restoring its previous content failed too"):
        build(_study("reliability", energy_kwh=7_000))
    assert bd.databases[name][MARK]["fingerprint"] == "incomplete"  # never taken for a good build
    monkeypatch.undo()
    assert build(study) == name
    assert bd.databases[name][MARK]["fingerprint"] != "incomplete"
    assert _score(name) == pytest.approx(score, rel=1e-12)


def test_fault_count_is_reported_last():
    print(f"\nfaults injected in this module: {FAULTS['injected']}")

"""Crash consistency and concurrency: a process killed (SIGKILL, Ctrl-C) at each step of a build,
a set-up, a method registration or a run leaves the old state or the new one, or a state the next
open repairs or refuses with the command that repairs it; never a wrong number.

The harness forks the test process (no re-import: milliseconds per kill) and arms one kill point
of ``bw_mllca.faults`` in the child, which sends itself a real signal there; the CLI cases run the
command as a subprocess, killed at a file-system event (the open of a file for writing).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import bw2data as bd
import pandas as pd
import pytest
from conftest import SETUP_PROJECT, f32
from studies import minimal_study

from bw_mllca import Study, build, calculate, setup_project
from bw_mllca import faults
from bw_mllca.errors import ProjectBusy, ProjectStateError
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.integrity import datapackage_problem, ensure_indices, rows_problem
from bw_mllca.inventory.background import BACKGROUND, write_background
from bw_mllca.locking import project_lock, refresh_metadata
from bw_mllca.ownership import MARK
from bw_mllca.report.publish import MANIFEST, manifest_problems, recover

GWP = " | ".join(TRACI_GWP100)


def _study(name: str, energy_kwh: float = 3_000) -> Study:
    stages = [{"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
               "accelerator_hours": 10_000, "energy_kwh": energy_kwh}]
    return Study.from_dict(minimal_study(name, stages=stages))


def _pretraining_electricity(study: Study) -> float:
    """GWP per FU of the pre-training stage's electricity (attributional view)."""
    frame = calculate(study, methods=[TRACI_GWP100])
    part = frame[(frame["view"] == "attributional") & (frame["stage"] == "pre-training")
                 & (frame["component"] == "electricity") & (frame["method"] == GWP)]
    return float(part["score"].sum())


def _total(study: Study) -> float:
    frame = calculate(study, methods=[TRACI_GWP100])
    return float(frame[(frame["view"] == "attributional") & (frame["method"] == GWP)]["score"].sum())


def in_child(action: Callable[[], None], kill_at: str | None = None) -> int:
    """Run ``action`` in a forked child, killed at ``kill_at`` (``POINT[:SIGNAL]``); its exit code
    (negative: the signal that ended it; 3: it raised)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            if kill_at:
                faults.arm(kill_at)
            action()
        except BaseException:  # noqa: BLE001 - reported as the exit code
            import traceback

            traceback.print_exc()
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    refresh_metadata()  # the child wrote the project's metadata files
    return os.waitstatus_to_exitcode(status)


@contextmanager
def _frozen_heap():
    """bw2data runs gc.collect() twice per project switch (0.4 s each over a test session's heap);
    the objects alive now are set aside from it meanwhile."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.fixture
def copied(project):
    """A copy of the set-up project (never set up again), current; deleted afterwards."""
    name = f"crash-{uuid.uuid4().hex[:8]}"
    with _frozen_heap():
        bd.projects.copy_project(name, switch=True)
    yield name
    with _frozen_heap():
        bd.projects.set_current(SETUP_PROJECT)
        bd.projects.delete_project(name, delete_dir=True)


# --- builds --------------------------------------------------------------------------------------

@pytest.mark.parametrize("point", ["build:rows-written", "build:processed",
                                   "open:*/processed/mllca-study-crash.*.zip"])
def test_a_build_killed_at_each_step_is_refused_then_rebuilt(copied, point):
    old, new = _study("crash"), _study("crash", energy_kwh=4_000)
    build(old)
    before = _pretraining_electricity(old)
    assert in_child(lambda: build(new), kill_at=point) == -signal.SIGKILL
    for study in (old, new):  # neither the old nor the new score: the build is incomplete
        with pytest.raises(ProjectStateError, match="incomplete.*build the study"):
            calculate(study)
    build(old)  # repaired by building again
    assert _pretraining_electricity(old) == pytest.approx(before, rel=1e-12)
    build(new)
    # linear in the stage's energy (both amounts exact in float32)
    assert _pretraining_electricity(new) == pytest.approx(before * f32(4_000) / f32(3_000), rel=1e-6)


def test_a_build_killed_after_its_mark_is_the_new_build(copied):
    old, new = _study("crash"), _study("crash", energy_kwh=6_000)
    build(old)
    before = _pretraining_electricity(old)
    assert in_child(lambda: build(new), kill_at="build:complete") == -signal.SIGKILL
    assert _pretraining_electricity(new) == pytest.approx(2 * before, rel=1e-6)
    with pytest.raises(ProjectStateError, match="earlier version"):
        calculate(old)


def test_ctrl_c_while_the_datapackage_is_written_restores_the_previous_build(copied):
    old, new = _study("crash"), _study("crash", energy_kwh=4_000)
    build(old)
    before = _total(old)
    assert in_child(lambda: build(new), kill_at="open:*/processed/mllca-study-crash.*.zip:SIGINT") == 3
    assert datapackage_problem(bd.Database(old.database_name).filepath_processed()) is None
    assert _total(old) == pytest.approx(before, rel=1e-12)  # the old state, whole


def test_a_damaged_datapackage_of_ours_is_reprocessed_on_open(copied, caplog):
    study = _study("crash")
    build(study)
    before = _total(study)
    # what a Ctrl-C while bw_processing writes the zip leaves: half a file, under a complete mark
    zipped = bd.Database(study.database_name).filepath_processed()
    zipped.write_bytes(zipped.read_bytes()[: zipped.stat().st_size // 2])
    assert datapackage_problem(bd.Database(study.database_name).filepath_processed()) is not None
    with caplog.at_level(logging.WARNING, logger="bw_mllca"):
        assert _total(study) == pytest.approx(before, rel=1e-12)
    assert "re-processed its datapackage" in caplog.text


# --- set-up and methods ----------------------------------------------------------------------------

def test_a_setup_killed_writing_biosphere3_is_completed_by_the_next(empty_project):
    name = empty_project
    assert in_child(lambda: setup_project(name), kill_at="build:rows-written") == -signal.SIGKILL
    assert bd.databases["biosphere3"][MARK]["fingerprint"] == "incomplete"  # ours, not "user's"
    with pytest.raises(ProjectStateError, match="setup"):
        calculate(_study("never built"))
    report = setup_project(name)
    assert report.biosphere == "created" and report.conflicts == []
    study = _study("after setup")
    build(study)
    # the stage's electricity: 3,000 kWh x PUE 1.25 x 0.3 kg/kWh, per FU of 1,000 of 1e9 lifetime queries
    lifetime = study.use.total_queries
    expected = f32(3_000) * f32(1.25) * f32(0.3) * 1000 / lifetime
    assert _pretraining_electricity(study) == pytest.approx(expected, rel=1e-5)


def test_a_method_killed_half_written_is_refused_then_rewritten(copied):
    study = _study("crash")
    build(study)
    before = _total(study)
    metadata = bd.methods[TRACI_GWP100]
    metadata[MARK] = {**metadata[MARK], "fingerprint": "stale"}  # setup must rewrite this one method
    bd.methods[TRACI_GWP100] = metadata
    (Path(bd.projects.dir) / "bw_mllca_setup.json").unlink()
    assert in_child(lambda: setup_project(copied), kill_at="setup:method-registered") == -signal.SIGKILL
    with pytest.raises(ProjectStateError, match="incomplete.*setup"):
        calculate(study)
    assert setup_project(copied).methods_written == 1
    assert _total(study) == pytest.approx(before, rel=1e-12)


def test_a_large_write_killed_with_its_indices_dropped_gets_them_back(copied, caplog):
    study = _study("crash")
    build(study)
    before = _total(study)
    stored = bd.databases[BACKGROUND]
    stored[MARK] = {**stored[MARK], "fingerprint": "stale"}
    bd.databases[BACKGROUND] = stored
    lci = Path(bd.projects.dir) / "lci" / "databases.db"

    def write_and_die_without_indices():
        import sqlite3
        import threading

        def watch():  # SIGKILL the moment bw2data has dropped its unique index (a real large write)
            watcher = sqlite3.connect(lci, timeout=5)
            while watcher.execute("SELECT 1 FROM sqlite_master WHERE name = 'activitydataset_key'").fetchone():
                time.sleep(0.0005)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()
        time.sleep(0.05)
        write_background()
        time.sleep(5)

    assert in_child(write_and_die_without_indices) == -signal.SIGKILL
    with caplog.at_level(logging.WARNING, logger="bw_mllca"):
        assert ensure_indices() == ["activitydataset_key", "exchangedataset_input", "exchangedataset_output"]
    assert "re-created SQLite index" in caplog.text
    from bw2data.backends import ActivityDataset

    duplicate = ActivityDataset.get(ActivityDataset.database == BACKGROUND)
    with pytest.raises(Exception, match="UNIQUE"):  # the user's duplicate keys are refused again
        ActivityDataset.create(database=duplicate.database, code=duplicate.code, data={})
    assert rows_problem(BACKGROUND) == "its last write was interrupted"
    with pytest.raises(ProjectStateError, match="background changed"):
        calculate(study)
    assert setup_project(copied).background == "written"
    assert rows_problem(BACKGROUND) is None
    assert _total(study) == pytest.approx(before, rel=1e-12)


# --- concurrency ------------------------------------------------------------------------------------

def test_two_builds_at_once_both_keep_their_database(copied):
    studies = [_study(f"parallel {i}", energy_kwh=1_000 * (i + 1)) for i in range(2)]
    pids = []
    for study in studies:
        pid = os.fork()
        if pid == 0:
            try:
                build(study)
                calculate(study)
            except BaseException:  # noqa: BLE001
                os._exit(3)
            os._exit(0)
        pids.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids] == [0, 0]
    refresh_metadata()
    scores = [_pretraining_electricity(study) for study in studies]  # both registered and complete
    assert scores[1] == pytest.approx(2 * scores[0], rel=1e-6)


def test_a_held_lock_makes_others_wait_then_time_out(copied):
    def take_briefly():
        with pytest.raises(ProjectBusy, match="stayed locked"):
            with project_lock(timeout_s=0.2):
                pass

    with project_lock():
        started = time.monotonic()
        assert in_child(take_briefly) == 0
        assert 0.2 <= time.monotonic() - started < 5


def test_a_setup_and_a_run_of_a_new_project_at_once(bw_dir):
    name = f"race-{uuid.uuid4().hex[:8]}"
    study = _study("race")
    def run_it():
        setup_project(name)
        build(study)
        calculate(study)
    pids = []
    for action in (lambda: setup_project(name), run_it):
        pid = os.fork()
        if pid == 0:
            try:
                action()
            except BaseException:  # noqa: BLE001
                os._exit(3)
            os._exit(0)
        pids.append(pid)
    try:
        assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids] == [0, 0]
        report = setup_project(name)
        assert report.background == "unchanged" and report.conflicts == []
        lifetime = study.use.total_queries
        assert _pretraining_electricity(study) == pytest.approx(f32(3_000) * f32(1.25) * f32(0.3) * 1000 / lifetime, rel=1e-5)
    finally:
        bd.projects.set_current(SETUP_PROJECT)
        bd.projects.delete_project(name, delete_dir=True)


# --- stale and colliding builds, API messages ---------------------------------------------------------

def test_a_study_changed_since_its_build_is_refused(copied):
    study = _study("stale")
    build(study)
    before = _pretraining_electricity(study)
    changed = _study("stale", energy_kwh=9_000)
    with pytest.raises(ProjectStateError, match="earlier version of study 'stale'"):
        calculate(changed)
    build(changed)
    assert _pretraining_electricity(changed) == pytest.approx(3 * before, rel=1e-6)


def test_two_study_files_with_one_name_do_not_replace_each_other_silently(copied, tmp_path, caplog):
    import tomli_w

    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_bytes(tomli_w.dumps(minimal_study("same name")).encode())
    second.write_bytes(tomli_w.dumps(minimal_study("same name", use={"lifetime_queries": 2e7})).encode())
    a = Study.from_file(first)
    build(a)
    b = Study.from_file(second)
    with pytest.raises(ProjectStateError, match="built from"):
        calculate(b)  # not a's score under b's name
    with caplog.at_level(logging.WARNING, logger="bw_mllca"):
        build(b)
    assert "has the same name and replaces it" in caplog.text
    with pytest.raises(ProjectStateError, match="built from"):
        calculate(a)  # not b's score under a's name
    # b amortizes development over twice the lifetime queries: its pre-training share per FU halves
    assert _pretraining_electricity(b) == pytest.approx(_pretraining_electricity_of_built(a) / 2, rel=1e-6)


def _pretraining_electricity_of_built(study: Study) -> float:
    build(study)
    return _pretraining_electricity(study)


def test_the_api_says_what_to_do_first(empty_project, project):
    bd.projects.set_current(empty_project)
    with pytest.raises(ProjectStateError, match="setup_project"):
        calculate(_study("x"))
    with pytest.raises(ProjectStateError, match="setup_project"):
        build(_study("x"))
    bd.projects.set_current(project)
    with pytest.raises(ProjectStateError, match="build the study first"):
        calculate(_study(f"never built {uuid.uuid4().hex[:6]}"))


# --- run outputs (the CLI) --------------------------------------------------------------------------------

def _cli(args: list[str], bw: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BRIGHTWAY2_DIR": str(bw)}
    env.pop(faults.ENVIRONMENT, None)
    if kill_at:
        env[faults.ENVIRONMENT] = kill_at
    return subprocess.run([sys.executable, "-m", "bw_mllca.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_a_run_killed_while_writing_outputs_keeps_the_previous_ones_whole(copied, bw_dir, tmp_path):
    import tomli_w

    from bw_mllca.impact.calculate import results_frame, system_for
    from bw_mllca.report.outputs import write_run_outputs

    path = tmp_path / "study.toml"
    path.write_bytes(tomli_w.dumps(minimal_study("outputs")).encode())
    out = tmp_path / "out"
    old_study = Study.from_file(path)
    build(old_study)
    old = results_frame(system_for(old_study))
    write_run_outputs(old_study, old, out, iterations=0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert manifest_problems(out) == [] and {"lcia.csv", "model_card.md", MANIFEST} <= set(before)
    path.write_bytes(tomli_w.dumps(minimal_study("outputs", use={"lifetime_queries": 2e7})).encode())
    run = ["--project", copied, "run", str(path), "--out", str(out), "--iterations", "0"]
    # Ctrl-C as the new model card is opened: the new lcia.csv is already written (in the stage)
    killed = _cli(run, bw_dir, kill_at="open:*/.out.partial-*/model_card.md:SIGINT")
    assert killed.returncode != 0 and "Traceback" not in killed.stderr.split("KeyboardInterrupt")[0][-1:]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert list(tmp_path.glob(".out.*")) == []
    # SIGKILL between the two renames: the previous folder is put back before anything else
    assert _cli(run, bw_dir, kill_at="outputs:swapping").returncode == -signal.SIGKILL
    assert not out.exists() and (tmp_path / ".out.previous").is_dir()
    recover(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    new_study = Study.from_file(path)  # the killed runs built it: the new build is complete and current
    new = results_frame(system_for(new_study))
    write_run_outputs(new_study, new, out, iterations=0)
    assert manifest_problems(out) == []
    assert pd.read_csv(out / "lcia.csv")["score"].sum() == pytest.approx(new["score"].sum(), rel=1e-9)
    # the development stage's share per FU halves when lifetime queries double
    pick = lambda f: f[(f["view"] == "attributional") & (f["stage"] == "pre-training") & (f["method"] == GWP)]["score"].sum()
    assert pick(new) == pytest.approx(pick(old) / 2, rel=1e-6)

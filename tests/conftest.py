"""Every test runs in a temporary Brightway directory, never in the user's."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

# bw2data reads BRIGHTWAY2_DIR once, when first imported: set it before anything imports it.
_BW_DIR = Path(tempfile.mkdtemp(prefix="bw_mllca_tests_"))
os.environ["BRIGHTWAY2_DIR"] = str(_BW_DIR)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SETUP_PROJECT = "mllca-tests"


def f32(value: float) -> float:
    """A number as Brightway stores an exchange amount or a factor (bw_processing keeps float32)."""
    return float(np.float32(value))


@pytest.fixture(scope="session")
def bw_dir() -> Path:
    yield _BW_DIR
    shutil.rmtree(_BW_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def setup_report(bw_dir):
    from bw_mllca import setup_project

    return setup_project(SETUP_PROJECT)


@pytest.fixture
def project(setup_report):
    """The shared project, set up once per session, made current."""
    import bw2data as bd

    bd.projects.set_current(SETUP_PROJECT)
    return SETUP_PROJECT


@pytest.fixture
def empty_project(bw_dir):
    """A new empty project, deleted afterwards."""
    import bw2data as bd

    name = f"empty-{uuid.uuid4().hex[:8]}"
    bd.projects.set_current(name)
    yield name
    bd.projects.set_current(SETUP_PROJECT)
    bd.projects.delete_project(name, delete_dir=True)

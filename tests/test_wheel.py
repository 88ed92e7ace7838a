"""The built wheel carries inventories/, methods/ and examples/: a non-editable install sets up a
project and runs the example with no access to the source tree."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (found,) = out.glob("bw_mllca-*.whl")
    return found


def test_wheel_contains_the_data_folders(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for required in ("bw_mllca/_data/inventories/electricity_technologies.csv", "bw_mllca/_data/inventories/electricity_mixes.csv.gz", "bw_mllca/_data/inventories/hardware.csv",
                     "bw_mllca/_data/inventories/ecoinvent_mapping.csv", "bw_mllca/_data/inventories/ecoinvent_locations.csv",
                     "bw_mllca/_data/inventories/raw/ecoinvent_names.csv.gz",
                     "bw_mllca/_data/methods/water_consumption.csv", "bw_mllca/_data/examples/olmo2-7b.toml"):
        assert required in names


def test_wheel_metadata_carries_the_version_licence_and_typing(wheel):
    import email
    import zipfile

    import bw_mllca

    archive = zipfile.ZipFile(wheel)
    info = f"bw_mllca-{bw_mllca.__version__}.dist-info"
    metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
    assert metadata["Version"] == bw_mllca.__version__  # read from bw_mllca/__init__.py, not repeated
    assert "License :: OSI Approved :: BSD License" in metadata.get_all("Classifier")
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert b"BSD 3-Clause" in archive.read(f"{info}/licenses/LICENSE")
    assert "bw_mllca/py.typed" in archive.namelist()


def test_fresh_virtual_environment_sets_up_a_project_from_the_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies (bw2data, bw2calc, ...) come from the test environment, so the test needs no
    # network; bw_mllca itself is installed from the wheel, not from this checkout.
    (site / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["BRIGHTWAY2_DIR"] = {str(tmp_path / "bw")!r}
        os.makedirs(os.environ["BRIGHTWAY2_DIR"])
        import bw_mllca
        from bw_mllca.data_files import inventories_dir, examples_dir
        assert bw_mllca.__file__.startswith({str(venv)!r}), bw_mllca.__file__
        assert str(inventories_dir()).startswith({str(venv)!r}), inventories_dir()
        report = bw_mllca.setup_project("wheel")
        study = bw_mllca.Study.from_file(examples_dir() / "olmo2-7b.toml")
        bw_mllca.build(study)
        frame = bw_mllca.calculate(study)
        print("OK", report.background, round(frame.score.sum(), 12) > 0)
    """)
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK written True" in result.stdout

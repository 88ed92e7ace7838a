"""What a user waits for: ``bw-mllca run`` of the OLMo 2 example (warm: set up and built before),
against importing bw2data, bw2calc, pandas and matplotlib; cold ``setup`` against writing
biosphere3 alone (bw2io). Each command is a fresh process, in fresh temporary Brightway folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLMO = ROOT / "examples" / "olmo2-7b.toml"


def seconds(args: list[str], bw_dir: str) -> float:
    env = dict(os.environ, BRIGHTWAY2_DIR=bw_dir, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    py = sys.executable
    cli = [py, "-m", "bw_mllca.cli"]
    imports = min(seconds([py, "-c", "import bw2data, bw2calc, pandas, matplotlib.pyplot"], tempfile.mkdtemp())
                  for _ in range(3))
    warm_dir = tempfile.mkdtemp(prefix="bw_mllca_cli_")
    out = tempfile.mkdtemp(prefix="bw_mllca_out_")
    cold_setup = seconds([*cli, "setup"], warm_dir)
    biosphere = seconds([py, "-c", "import bw2data as bd, bw2io; bd.projects.set_current('b'); "
                         "bw2io.create_default_biosphere3()"], tempfile.mkdtemp(prefix="bw_bio_"))
    seconds([*cli, "run", str(OLMO), "--out", out], warm_dir)  # builds the study once
    # plots are opt-in (--plots): the default run is what a user waits for
    warm = min(seconds([*cli, "run", str(OLMO), "--out", out], warm_dir) for _ in range(3))
    warm_plots = min(seconds([*cli, "run", str(OLMO), "--out", out, "--plots"], warm_dir) for _ in range(2))
    print(f"imports (bw2data, bw2calc, pandas, matplotlib) {imports:.2f} s")
    print(f"warm run (10,000 MC, default: no plots) {warm:.2f} s = {warm / imports:.2f}x imports (target 2x); "
          f"with --plots {warm_plots:.2f} s = {warm_plots / imports:.2f}x")
    print(f"cold setup {cold_setup:.2f} s; biosphere3 alone {biosphere:.2f} s; ratio {cold_setup / biosphere:.2f}x")


if __name__ == "__main__":
    main()

"""Reading a large nvidia-smi power log: time and peak memory of ``read_energy_log`` against
reading the same file whole with plain ``pandas.read_csv``, each in a fresh process.

    python benchmarks/bench_power_log.py --mb 128
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPUS = 8
BYTES_PER_LINE = 35  # "2024/05/01 00:00:00.000,0, 250.00 W\n"

WRITE = """
import sys, pandas as pd
seconds = int(sys.argv[2])
stamps = pd.date_range("2024-05-01", periods=seconds, freq="s").strftime("%Y/%m/%d %H:%M:%S.000")
pd.DataFrame({"timestamp": stamps.repeat(8), " index": list(range(8)) * seconds,
              " power.draw [W]": " 250.00 W"}).to_csv(sys.argv[1], index=False)
"""
PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
OURS = "import sys; from bw_mllca.inventory.energy_logs import read_energy_log; read_energy_log(sys.argv[1], format='nvidia-smi'); " + PEAK
PLAIN = "import sys, pandas as pd; pd.read_csv(sys.argv[1], skipinitialspace=True); " + PEAK
BASELINE = "import pandas, numpy, bw_mllca.inventory.energy_logs; " + PEAK


def measure(code: str, path: Path) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of ``code`` run on ``path`` in a new interpreter."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, int(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=128, help="size of the generated log in MB (default 128)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bw_mllca_power_log_"))
    path = folder / "smi.csv"
    seconds = int(args.mb * 1e6 / (BYTES_PER_LINE * GPUS))
    subprocess.run([sys.executable, "-c", WRITE, str(path), str(seconds)], check=True)
    size = path.stat().st_size
    _, baseline = measure(BASELINE, path)
    ours_s, ours_peak = measure(OURS, path)
    plain_s, plain_peak = measure(PLAIN, path)
    print(f"log: {size / 1e6:.0f} MB, {seconds * GPUS:,} samples of {GPUS} GPUs")
    print(f"read_energy_log: {ours_s:.1f} s, peak {ours_peak / 1e6:.0f} MB ({(ours_peak - baseline) / size:.2f} x the file above imports)")
    print(f"pandas.read_csv whole: {plain_s:.1f} s, peak {plain_peak / 1e6:.0f} MB ({(plain_peak - baseline) / size:.2f} x the file above imports)")
    print(f"memory above imports, ours / plain read: {(ours_peak - baseline) / (plain_peak - baseline):.2f}")
    path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()

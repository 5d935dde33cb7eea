"""Run every benchmark; `--quick` uses small sizes (minutes, not the full anchor workloads).

Each benchmark compares kotacerdas_gis with the anchor library in the same run and writes ratios
to its own markdown file in bench/ (full runs) or prints them (quick runs, `--no-write`).
Timings live here, never in the test suite.

    python bench/run_all.py --quick     # a few minutes
    python bench/run_all.py             # the full anchor workloads (tens of minutes)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = [
    ["bench_overlay.py"],
    ["bench_network.py"],
    ["bench_webmap.py"],
    ["bench_terrain.py", "--sizes", "1000", "5000", "--out", str(HERE / "terrain.md")],
]
QUICK = [
    ["bench_overlay.py", "--n", "100000", "--no-write"],
    ["bench_network.py", "--side", "100", "--sources", "100", "--no-write"],
    ["bench_webmap.py", "--n", "10000", "--out", "/dev/null"],
    ["bench_terrain.py", "--sizes", "1000"],
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, results not written")
    args = ap.parse_args()
    failed = []
    for cmd in QUICK if args.quick else FULL:
        print(f"\n=== {' '.join(cmd)}", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / cmd[0]), *cmd[1:]])
        if rc:
            failed.append(cmd[0])
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

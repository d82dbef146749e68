"""Import-time benchmark: the facade and the generated layer against httpx, side by side.

Each command runs in a fresh interpreter; the two run interleaved (order alternating) so that
machine noise hits both alike. Prints the medians and the ratio of medians.

    python benchmarks/import_time.py [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FLOOR = "import httpx"
# statement -> target ratio to the floor
CASES = {
    "import replicate": 1.3,
    "import replicate_api.api.predictions.create": 1.5,
}


def wall_time(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command (default 40)")
    args = parser.parse_args()

    statements = [FLOOR, *CASES]
    for statement in statements:  # warm the file cache and bytecode caches
        wall_time(statement)
    samples: dict[str, list[float]] = {statement: [] for statement in statements}
    for run in range(args.runs):
        order = statements if run % 2 == 0 else statements[::-1]
        for statement in order:
            samples[statement].append(wall_time(statement))

    floor = statistics.median(samples[FLOOR])
    print(f"python -c {FLOOR!r}: median {floor * 1000:.1f} ms over {args.runs} runs")
    for statement, target in CASES.items():
        median = statistics.median(samples[statement])
        ratio = median / floor
        verdict = "ok" if ratio <= target else "over target"
        print(
            f"python -c {statement!r}: median {median * 1000:.1f} ms, "
            f"ratio {ratio:.2f}x (target <= {target}x: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

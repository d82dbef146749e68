"""Draw ``docs/benchmarks.png`` from ``benchmarks/compare.py``'s results file.

    python _compare_chart.py RESULTS.json CHART.png

Run by compare.py with the interpreter of a scratch environment holding matplotlib; imports
nothing else but the standard library. One group of bars per measurement: each client's cost
relative to raw httpx (1 = the floor; for a throughput, the time it takes), on a log scale,
with this client's target marked where it is a ratio.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {"this": "#2a7ab0", "v1": "#e39b3b", "v2": "#8c8c8c"}


def cost(row: dict[str, Any], entry: dict[str, Any]) -> float:
    """The ratio, as a cost: for a throughput, its inverse (a download's time)."""
    value = float(entry["ratio"])
    return 1 / value if row["higher_is_better"] else value


def main(results_path: str, png_path: str) -> None:
    with open(results_path) as file:
        results = json.load(file)
    rows = [row for row in results["rows"] if row["chart"]]
    clients = [client for client in results["clients"] if client["key"] != "httpx"]
    height = 0.8 / len(clients)
    figure, axes = plt.subplots(figsize=(11, 0.62 * len(rows) + 1.9), dpi=110)

    def limit(row: dict[str, Any]) -> float | None:
        """This client's target as a cost, where the target is a ratio."""
        goal = row["target"]
        if goal["kind"] != "ratio":
            return None
        return 1 / goal["limit"] if row["higher_is_better"] else float(goal["limit"])

    for index, client in enumerate(clients):
        for position, row in enumerate(rows):
            y = position + (index - (len(clients) - 1) / 2) * height
            entry = row["clients"].get(client["key"], {})
            if "ratio" not in entry:
                axes.text(1.0, y, "  n/a", va="center", fontsize=7.5, color="#555555")
                continue
            value = cost(row, entry)
            axes.barh(  # from the floor, 1, to the client's figure
                y,
                value - 1,
                height=height * 0.92,
                left=1,
                color=COLOURS.get(client["key"], "#666666"),
                label=client["label"] if position == 0 else None,
            )
            text = f"{value:.2f}x" if value < 10 else f"{value:.0f}x"
            beyond = value * 1.04 if value >= 1 else value / 1.04
            mark = limit(row) if client["key"] == "this" else None
            if mark is not None and value >= 1 and value <= mark <= value * 1.3:
                beyond = mark * 1.04  # past the target's mark, not on it
            axes.text(beyond, y, text, va="center", ha="left" if value >= 1 else "right",
                      fontsize=7.5)  # fmt: skip
    for position, row in enumerate(rows):
        mark = limit(row)
        if mark is None:
            continue
        y = position - (len(clients) - 1) / 2 * height
        axes.plot([mark, mark], [y - height / 2, y + height / 2], color="#c0392b", lw=2)
    axes.plot([], [], color="#c0392b", lw=2, label="this client's target (where a ratio)")

    axes.axvline(1, color="black", lw=0.8)
    axes.set_xscale("log")
    axes.set_yticks(range(len(rows)))
    labels = [row["title"].replace("`", "") + (" (time)" if row["higher_is_better"] else "")
              for row in rows]  # fmt: skip
    axes.set_yticklabels(labels, fontsize=8.5)
    axes.invert_yaxis()
    axes.set_xlabel("relative to raw httpx (1 = raw httpx; lower is better; log scale)")
    axes.set_title(
        f"Replicate clients against raw httpx, {results['date']}",
        fontsize=11,
    )
    lowest = min(
        [cost(row, e) for row in rows for e in row["clients"].values() if "ratio" in e] + [1]
    )
    highest = max(
        [cost(row, e) for row in rows for e in row["clients"].values() if "ratio" in e] + [1]
    )
    axes.set_xlim(min(lowest, 0.5) / 1.6, highest * 3)
    axes.legend(loc="lower right", fontsize=8, framealpha=0.9)
    axes.grid(axis="x", which="both", color="#dddddd", lw=0.5)
    axes.set_axisbelow(True)
    figure.tight_layout()
    figure.savefig(png_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

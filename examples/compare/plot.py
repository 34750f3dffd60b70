"""Plot median latency against the number of tasks for both engines of `examples/compare`.

Usage: python3 examples/compare/plot.py OUT.png compare-10000.json compare-100000.json ...

Each JSON file is the `--out` report of one compare run. The plot has one panel per query
kind (counts, then first pages), a line per query and engine, both axes logarithmic.
Needs matplotlib (`pip install matplotlib`).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The queries drawn, by the prefix of their name in the report.
COUNTS = ["1 counts", "2 active count", "4 completed", "6 creation", "7 running", "9 exit"]
PAGES = ["2 active page", "3 failure page", "6 creation 1% page", "10 everything page"]


def load(paths):
    """Return (tasks, {query name: (batch-odata ns, SQLite ns)}) per report, by task count."""
    runs = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            report = json.load(file)
        rows = {row["query"]: (row["batch_odata_ns"], row["sqlite_ns"]) for row in report["queries"]}
        runs.append((report["tasks"], rows))
    return sorted(runs)


def matching(rows, prefix, kind):
    """Return the one query name that starts with `prefix` and contains `kind`, or None."""
    names = [name for name in rows if name.startswith(prefix) and kind in name]
    return names[0] if names else None


def draw(axis, runs, prefixes, kind, title):
    for index, prefix in enumerate(prefixes):
        color = f"C{index}"
        points = []
        for tasks, rows in runs:
            name = matching(rows, prefix, kind)
            if name is not None:
                points.append((tasks, rows[name][0] / 1e6, rows[name][1] / 1e6, name))
        if not points:
            continue
        label = points[-1][3]
        xs = [point[0] for point in points]
        axis.plot(xs, [p[1] for p in points], "o-", color=color, label=f"{label} (batch-odata)")
        axis.plot(xs, [p[2] for p in points], "s--", color=color, label=f"{label} (SQLite)")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("tasks")
    axis.set_ylabel("median latency (ms)")
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=6)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = load(sys.argv[2:])
    figure, (counts, pages) = plt.subplots(1, 2, figsize=(14, 6))
    draw(counts, runs, COUNTS, " count", "counts (solid: batch-odata, dashed: SQLite)")
    draw(pages, runs, PAGES, "page", "first pages of 1000, $select=id,state,executionInfo")
    figure.tight_layout()
    figure.savefig(sys.argv[1], dpi=110)


if __name__ == "__main__":
    main()

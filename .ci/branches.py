"""Print the product's line and branch coverage from ``coverage json`` and fail below
the floor (issue 15: at least 90 % of branches, child processes included).

    python .ci/branches.py coverage.json [--floor 90]

Prints one markdown table (lines, branches, the ten files with the most missed
branches) and exits 1 when branch coverage is under the floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--floor", type=float, default=90.0)
    args = parser.parse_args(argv)
    data = json.loads(args.report.read_text())
    totals = data["totals"]
    lines = 100.0 * totals["covered_lines"] / max(1, totals["num_statements"])
    branches = 100.0 * totals["covered_branches"] / max(1, totals["num_branches"])
    print("| measure | covered | of | % |")
    print("|---|---:|---:|---:|")
    print(f"| lines | {totals['covered_lines']} | {totals['num_statements']} | {lines:.1f} |")
    print(
        f"| branches | {totals['covered_branches']} | {totals['num_branches']} | {branches:.1f} |"
    )
    worst = sorted(
        data["files"].items(),
        key=lambda kv: kv[1]["summary"]["missing_branches"],
        reverse=True,
    )[:10]
    print("\n| file | missed branches | branch % |")
    print("|---|---:|---:|")
    for name, info in worst:
        s = info["summary"]
        pct = 100.0 * s["covered_branches"] / max(1, s["num_branches"])
        print(f"| {name} | {s['missing_branches']} | {pct:.1f} |")
    if branches < args.floor:
        print(f"ci: branch coverage {branches:.1f} % is under {args.floor:.0f} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench [--quick]`: whole calls against the bare endpoint, then growth, then targets.

`make bench` runs this (about 12 minutes, fills included the first time);
`--quick` is the smoke test the suite runs: seconds per phase, small throw-away
databases, the same code paths, no figure worth quoting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import calls, growth, targets

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> list[targets.Verdict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--only", choices=("calls", "growth"))
    parser.add_argument("--results", type=Path, default=ROOT / "instance" / "bench",
                        help="folder for latest.json and latest.md")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    chosen = ["--databases", args.databases]
    call_results = calls.main(quick + chosen) if args.only != "growth" else None
    growth_results = growth.main(quick + chosen) if args.only != "calls" else None
    found = targets.verdicts(call_results, growth_results)
    targets.print_verdicts(found)
    table = targets.markdown(call_results, growth_results)
    print("\n" + table)
    if not args.quick:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "latest.json").write_text(json.dumps(
            {"calls": call_results, "growth": growth_results}, indent=1, default=str))
        (args.results / "latest.md").write_text(table + "\n")
    return found


if __name__ == "__main__":
    main()

"""Warm runs on real projects against ruff's cold run, and one changed file against the import.

    python bench/projects.py --projects DIR [--lint CMD] [--baseline CMD] [--ruff PATH]
                             [--runs 5] [--one-file PROJECT/PATH] [--work DIR] [--only A,B]

Each project of DIR (one folder per project, ``owner__name``, as review.py reads them) is
copied once under ``--work`` (the cache is written inside the project: the originals are
never touched), one copy per command. Each command first lints every copy once to fill its
cache; then, ``--runs`` rounds, each project in turn: ruff's cold run (``ruff check
--isolated --no-cache --select ASYNC,S,FAST .``) and each command's warm run (``CMD .``),
every one from the project's root as a whole process. Then the one-file case: a comment is
appended to ``--one-file`` in each command's copy and ``CMD PATH`` is timed with the project's
index cached, next to ``python -c "import fastapi_lint.cli"`` (the Python running this
script). Prints the medians over the rounds (wall and CPU seconds, CPU of worker processes
included) and the ratios taken within each round: trust those on a shared machine.

``--baseline`` is a second command (e.g. another checkout's ``fastapi-lint``), measured
interleaved with the first, for an A/B comparison in one session.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from typing import Dict, List, Sequence

from run import Timing, as_installed, measure

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = "/tmp/fastapi-lint-bench/projects"
RUFF_ARGS = ("check", "--isolated", "--no-cache", "--select", "ASYNC,S,FAST", ".")
ONE_FILE = "onyx-dot-app__onyx/backend/onyx/server/features/document_set/api.py"


def _copy(projects: str, name: str, destination: str) -> str:
    target = os.path.join(destination, name)
    if not os.path.isdir(target):
        shutil.copytree(os.path.join(projects, name), target + ".part", symlinks=True)
        os.rename(target + ".part", target)
    return target


def _ratio(numerators: Sequence[float], denominators: Sequence[float]) -> str:
    ratios = [a / b for a, b in zip(numerators, denominators) if b > 0]
    if not ratios:
        return "-"
    return f"{statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f})"


def main() -> int:
    as_installed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", required=True, help="folder of <owner>__<name>/ projects")
    parser.add_argument("--lint", default=os.path.join(os.path.dirname(sys.executable), "fastapi-lint"))
    parser.add_argument("--baseline", default=None, help="a second lint command, measured interleaved")
    parser.add_argument("--ruff", default=shutil.which("ruff") or "ruff")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one-file", default=ONE_FILE, help="PROJECT/PATH of the file to change")
    parser.add_argument("--work", default=WORK)
    parser.add_argument("--only", default="", help="comma-separated project folders")
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(args.projects)  # not a cache directory left there
                   if not n.startswith(".") and os.path.isdir(os.path.join(args.projects, n)))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    commands = {"lint": args.lint.split()}
    if args.baseline:
        commands["baseline"] = args.baseline.split()
    copies: Dict[str, Dict[str, str]] = {label: {} for label in commands}
    for label in commands:
        for name in names:
            copies[label][name] = _copy(args.projects, name, os.path.join(args.work, label))
            # fill the cache (untimed)
            subprocess.run(commands[label] + [".", "--exit-zero"], cwd=copies[label][name],
                           stdout=subprocess.DEVNULL, check=True)

    ruff: Dict[str, List[Timing]] = {name: [] for name in names}
    warm: Dict[str, Dict[str, List[Timing]]] = {label: {name: [] for name in names} for label in commands}
    for _ in range(args.runs):
        for name in names:
            ruff[name].append(measure([args.ruff, *RUFF_ARGS], copies["lint"][name]))
            for label, command in commands.items():
                warm[label][name].append(measure(command + [".", "--exit-zero"], copies[label][name]))

    columns = ["ruff"] + list(commands)
    print(f"{'project':45s}" + "".join(f"{c + ' wall':>14s}{c + ' cpu':>13s}" for c in columns))
    series = {"ruff": ruff, **warm}
    for name in names:
        row = "".join(f"{statistics.median(t.wall for t in series[c][name]):14.2f}"
                      f"{statistics.median(t.cpu for t in series[c][name]):13.2f}" for c in columns)
        print(f"{name:45s}{row}")
    totals = {c: [[sum(series[c][n][r].wall for n in names), sum(series[c][n][r].cpu for n in names)]
                  for r in range(args.runs)] for c in columns}
    row = "".join(f"{statistics.median(t[0] for t in totals[c]):14.2f}"
                  f"{statistics.median(t[1] for t in totals[c]):13.2f}" for c in columns)
    print(f"{'total (median of the rounds)':45s}{row}")
    for label in commands:
        print(f"warm {label} / ruff cold, within a round: wall "
              + _ratio([t[0] for t in totals[label]], [t[0] for t in totals["ruff"]])
              + ", CPU " + _ratio([t[1] for t in totals[label]], [t[1] for t in totals["ruff"]]))
    if args.baseline:
        print("lint / baseline (warm), within a round: wall "
              + _ratio([t[0] for t in totals["lint"]], [t[0] for t in totals["baseline"]])
              + ", CPU " + _ratio([t[1] for t in totals["lint"]], [t[1] for t in totals["baseline"]]))

    project, _, path = args.one_file.partition("/")
    if project not in names:
        return 0
    imports: List[Timing] = []
    one: Dict[str, List[Timing]] = {label: [] for label in commands}
    for run in range(args.runs):
        imports.append(measure([sys.executable, "-c", "import fastapi_lint.cli"], HERE))
        for label, command in commands.items():
            with open(os.path.join(copies[label][project], path), "a") as handle:
                handle.write(f"# bench edit {run}\n")
            one[label].append(measure(command + [path], copies[label][project]))
    print(f"\none file changed ({args.one_file}), index cached; wall / CPU seconds, medians:")
    print(f"  python -c 'import fastapi_lint.cli'   {statistics.median(t.wall for t in imports):.2f} / "
          f"{statistics.median(t.cpu for t in imports):.2f}")
    for label in commands:
        print(f"  {label:36s} {statistics.median(t.wall for t in one[label]):.2f} / "
              f"{statistics.median(t.cpu for t in one[label]):.2f}   / import, within a round: CPU "
              + _ratio([t.cpu for t in one[label]], [t.cpu for t in imports])
              + ", wall " + _ratio([t.wall for t in one[label]], [t.wall for t in imports]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check "one project model in every mode" on real projects.

    python bench/invariant.py --projects DIR [--n 200] [--seed 1] [--modes cli,stdin]

For each project folder under DIR (as ``bench/review.py`` lays them out), lint the whole
project from its root as a user would, then a seeded random sample of its files one at a
time: named alone (``fastapi-lint FILE``, the pre-commit case; ``cli``) and as a buffer
(``--stdin-filename``, editors and the flake8 plugin; ``stdin``). Each must report exactly
the whole run's findings in that file. The sample is spread over the projects in proportion
to their size. Prints the mismatches and a table; exits 1 if any. Uses the library in this
process (the same code paths as the command line), the summary cache on.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fastapi_lint.config import load_config  # noqa: E402
from fastapi_lint.discovery import discover  # noqa: E402
from fastapi_lint.registry import all_rules, select_rules  # noqa: E402
from fastapi_lint.runner import project_base, run_paths, run_source  # noqa: E402

Key = Tuple[int, int, str]


def _by_file(findings) -> Dict[str, List[Key]]:
    found: Dict[str, List[Key]] = {}
    for finding in findings:
        found.setdefault(os.path.abspath(finding.path), []).append((finding.line, finding.column, finding.code))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default="cli,stdin")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    roots = sorted(os.path.join(args.projects, name) for name in os.listdir(args.projects)
                   if os.path.isdir(os.path.join(args.projects, name)))
    plans = []
    for root in roots:
        os.chdir(root)
        config = load_config(None, ".")
        files = [source.absolute for source in discover(["."], config).files]
        plans.append((root, config, files))
    total = sum(len(files) for _, _, files in plans)
    rng = random.Random(args.seed)
    mismatches = 0
    print(f"{'project':45} {'files':>6} {'sampled':>7} {'mismatches':>10} {'s/file':>7}")
    for root, config, files in plans:
        os.chdir(root)
        share = math.ceil(args.n * len(files) / total) if files else 0
        sample = sorted(rng.sample(files, min(share, len(files))))
        rules = select_rules(all_rules(), config.select, config.extend_select, config.ignore, config.preview)
        whole = _by_file(run_paths(["."], config, rules, cache=True).findings)
        base = project_base(config) if "stdin" in modes else None
        wrong = 0
        started = time.perf_counter()
        for path in sample:
            expected = whole.get(path, [])
            got = {}
            if "cli" in modes:
                got["cli"] = _by_file(run_paths([os.path.relpath(path)], config, rules, cache=True).findings).get(path, [])
            if "stdin" in modes:
                with open(path, "rb") as handle:
                    data = handle.read()
                got["stdin"] = [(f.line, f.column, f.code) for f in
                                run_source(os.path.relpath(path), data, config, rules, base=base).findings]
            for mode, found in got.items():
                if found != expected:
                    wrong += 1
                    missing = sorted(set(expected) - set(found))
                    extra = sorted(set(found) - set(expected))
                    print(f"  MISMATCH {mode} {os.path.relpath(path, root)}: missing {missing} extra {extra}")
        elapsed = (time.perf_counter() - started) / max(1, len(sample))
        mismatches += wrong
        print(f"{os.path.basename(root):45} {len(files):>6} {len(sample):>7} {wrong:>10} {elapsed:>7.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

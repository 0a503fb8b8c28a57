"""The long fuzz run: many generated programs through the whole engine.

    python bench/fuzz.py --examples 10000 [--seed N]

Three generators, as in tests/test_properties.py but unbounded: FastAPI-shaped programs
built from the rules' vocabularies, programs from the Python grammar (hypothesmith), and
arbitrary text. Any exception out of the engine or any rule crash is a failure; the
program that caused it is printed (hypothesis shrinks it first).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import hypothesmith  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fastapi_programs import fastapi_programs  # noqa: E402
from tests.helpers import lint_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples in all (split over generators)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shares = {"fastapi": 0.6, "grammar": 0.2, "text": 0.2}
    strategies = {"fastapi": fastapi_programs(), "grammar": hypothesmith.from_grammar(), "text": st.text()}
    counts = {}
    started = time.perf_counter()
    for name, share in shares.items():
        count = [0, 0]  # examples, findings

        @seed(args.seed)
        @settings(max_examples=max(1, int(args.examples * share)), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategies[name])
        def run(source: str) -> None:
            result = lint_text(source)
            count[0] += 1
            count[1] += len(result.findings)
            assert not result.errors, result.errors

        run()
        counts[name] = count
        print(f"{name:8} {count[0]:6} examples, {count[1]:7} findings, no crash", flush=True)
    total = sum(c[0] for c in counts.values())
    print(f"total    {total:6} examples in {time.perf_counter() - started:.0f} s: no exception, no rule crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())

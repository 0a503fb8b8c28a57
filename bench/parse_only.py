"""The floor: libcst-parse every file fastapi-lint would lint, with a pool of the same size.

    python bench/parse_only.py DIR [--jobs N]

Same discovery (excludes, .gitignore) and the same kind of worker pool (fork, chunks) as
fastapi-lint, so the only difference left is the analysis itself.
"""
from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import List

import libcst as cst

from fastapi_lint.config import load_config
from fastapi_lint.discovery import discover
from fastapi_lint.parallel import _context, default_jobs


def _parse_chunk(paths: List[str]) -> int:
    parsed = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                cst.parse_module(handle.read())
            parsed += 1
        except Exception:  # syntax errors etc. count as work done, not as a failure
            pass
    return parsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    config = load_config(None, args.directory)
    files = [f.absolute for f in discover([args.directory], config).files]
    files.sort(key=lambda p: os.path.getsize(p), reverse=True)
    if args.jobs <= 1:
        parsed = _parse_chunk(files)
    else:
        chunks = [files[i::args.jobs * 16] for i in range(args.jobs * 16)]
        with ProcessPoolExecutor(args.jobs, mp_context=_context()) as pool:
            parsed = sum(pool.map(_parse_chunk, chunks))
    print(f"parsed {parsed} of {len(files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The console script and ``python -m fastapi_lint``.

Kept apart from :mod:`fastapi_lint.cli` so that Ctrl-C while the heavy imports (libcst,
rich, click) are still loading also ends in one line and exit status 130, not a traceback.
"""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from fastapi_lint.cli import run
    except KeyboardInterrupt:
        sys.stderr.write("fastapi-lint: error: interrupted\n")
        sys.exit(130)
    sys.exit(run())


if __name__ == "__main__":
    main()

"""The console script and ``python -m fastapi_lint``.

Kept apart from :mod:`fastapi_lint.cli` so that Ctrl-C while the heavy imports (libcst,
rich, click) are still loading also ends in one line and exit status 130, not a traceback.
"""
from __future__ import annotations

import gc
import sys


def interrupted(exc: BaseException) -> bool:
    """Ctrl-C, also when Python wraps it: landing in a class body being created (libcst's node
    dataclasses) it surfaces as "RuntimeError: Error calling __set_name__" caused by it."""
    seen = set()
    cause = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def main() -> None:
    try:
        from fastapi_lint.cli import run
    except (KeyboardInterrupt, RuntimeError) as exc:
        if not interrupted(exc):
            raise
        sys.stderr.write("fastapi-lint: error: interrupted\n")
        sys.exit(130)
    status = run()
    # the process ends: what it made (a cached project index is a million objects) needs no
    # collection, and the interpreter's collections at exit would walk all of it (a third of
    # a one-file run on a large project)
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    main()

"""What a run imports: every run pays for it before linting a byte (a warm pre-commit run of
a small project is mostly imports), so heavy modules nothing needs stay out."""
from __future__ import annotations

import subprocess
import sys

# libcst.matchers alone takes longer to import than the rest of libcst (a generated module
# of thousands of classes); isinstance checks do what the rules need.
_NEVER_IMPORTED = ("libcst.matchers", "libcst.codemod", "libcst.tool")


def test_a_run_never_imports_the_heavy_libcst_modules() -> None:
    script = (
        "import sys\n"
        "from fastapi_lint import cli\n"
        "from fastapi_lint.registry import all_rules\n"
        "all_rules()\n"
        f"print(','.join(m for m in {_NEVER_IMPORTED!r} if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == ""

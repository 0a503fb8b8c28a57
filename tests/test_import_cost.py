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


def test_text_output_to_a_pipe_never_imports_rich(tmp_path) -> None:
    """rich styles the text report on a terminal only: pre-commit's and CI's runs write to a
    pipe, where importing it was a tenth of a one-file run."""
    (tmp_path / "app.py").write_text("import time\n\nasync def handler():\n    time.sleep(1)\n")
    script = (
        "import sys\n"
        "from fastapi_lint import cli\n"
        "try:\n"
        "    cli.main(['--no-cache', 'app.py'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert "FAPI101" in found.stdout and "Found 1 finding" in found.stdout
    assert found.stderr.strip() == "False"

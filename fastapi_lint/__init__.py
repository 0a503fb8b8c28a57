"""fastapi-lint: a FastAPI-aware linter."""
from __future__ import annotations

__version__ = "0.1.0"
# The project home; pyproject.toml [project.urls] repeats it (tests/test_sarif.py checks they agree).
HOMEPAGE = "https://github.com/fastapi-lint/fastapi-lint"

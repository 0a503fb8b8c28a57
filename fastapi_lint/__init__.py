"""fastapi-lint: a FastAPI-aware linter."""
from __future__ import annotations

__version__ = "0.1.0"

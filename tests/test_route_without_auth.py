"""FAPI312 behaviour its fixture does not show: the `public-paths` option from pyproject,
the message naming the siblings' dependency, and the public-path matching of tails."""
from __future__ import annotations

import json
import os
import textwrap

from click.testing import CliRunner
from hypothesis import given, strategies as st

from fastapi_lint.cli import main
from fastapi_lint.rules.security.route_without_auth import PUBLIC_PATHS, public

SOURCE = textwrap.dedent(
    """
    from typing import Annotated
    from fastapi import APIRouter, Depends, FastAPI
    from fastapi.security import HTTPBasic

    basic = HTTPBasic()
    router = APIRouter()
    app = FastAPI()

    @router.get("/reports")
    def reports(credentials: Annotated[dict, Depends(basic)]):
        return []

    @router.post("/status/ping")
    def ping():
        return {}

    app.include_router(router, prefix="/v1")
    """
)


def _run(tmp_path, options: str, source: str = SOURCE):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\nselect = [\"FAPI312\"]\n" + options, encoding="utf-8"
    )
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "main.py").write_text(source, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["app", "--format", "json", "--no-cache"])
    finally:
        os.chdir(cwd)
    data = json.loads(result.output)
    findings = data["findings"] if isinstance(data, dict) else data
    return [(f["line"], f["column"], f["message"]) for f in findings]


def test_sibling_dependency_named_and_public_paths_option(tmp_path) -> None:
    found = _run(tmp_path, "")
    assert [(line, col) for line, col, _ in found] == [(15, 5)]
    assert "uses `HTTPBasic`" in found[0][2] and "POST `/v1/status/ping`" in found[0][2]
    assert _run(tmp_path, '[tool.fastapi-lint.options.FAPI312]\npublic-paths = ["/status/*"]\n') == []


def test_public_paths_match_tails_after_a_version_prefix() -> None:
    assert public("/api/v1/auth/login", PUBLIC_PATHS)
    assert public("/healthz", PUBLIC_PATHS)
    assert not public("/api/v1/users/login-history", PUBLIC_PATHS)
    assert not public("/api/authors/1", PUBLIC_PATHS)


@given(st.lists(st.sampled_from(["api", "v1", "items", "{id}", "x"]), max_size=4))
def test_a_public_path_stays_public_under_any_prefix(parts) -> None:
    prefix = "".join("/" + p for p in parts)
    assert public(prefix + "/webhooks/stripe", PUBLIC_PATHS)
    assert public(prefix + "/openapi.json", PUBLIC_PATHS)


def test_reads_are_checked_by_default_and_the_methods_option_can_leave_them_out(tmp_path) -> None:
    source = SOURCE.replace('@router.post("/status/ping")', '@router.get("/status/ping")')
    assert [(line, col) for line, col, _ in _run(tmp_path, "", source)] == [(15, 5)]
    narrowed = '[tool.fastapi-lint.options.FAPI312]\nmethods = ["post", "put", "patch", "delete"]\n'
    assert _run(tmp_path, narrowed, source) == []

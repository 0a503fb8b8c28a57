"""Behaviour of the security rules (FAPI301-FAPI310) that the fixtures cannot express."""
from __future__ import annotations

from tests.helpers import lint_text

SHELL = """\
import subprocess


def run(name: str) -> None:
    subprocess.run("ls -l /tmp", shell=True)
    subprocess.run(f"ls -l {name}", shell=True)
"""

HASHES = """\
import hashlib


def digests(password: str, data: bytes) -> None:
    hashlib.md5(password.encode())
    hashlib.md5(data)
"""

SECRET = 'SECRET_KEY = "my-secret"\n'

CORS = """\
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
app.add_middleware(CORSMiddleware, allow_origins=["*"])
"""


def _severities(result) -> dict:
    return {(f.line, f.code): f.severity for f in result.findings}


def test_constant_shell_command_is_info_and_built_one_is_error() -> None:
    result = lint_text(SHELL, codes=["FAPI301"])
    assert _severities(result) == {(5, "FAPI301"): "info", (6, "FAPI301"): "error"}


def test_password_digest_is_error_and_plain_md5_a_warning() -> None:
    result = lint_text(HASHES, codes=["FAPI307"])
    assert _severities(result) == {(5, "FAPI307"): "error", (6, "FAPI307"): "warning"}


def test_hardcoded_secret_is_not_checked_in_test_files() -> None:
    assert [f.code for f in lint_text(SECRET, codes=["FAPI305"]).findings] == ["FAPI305"]
    for name in ("tests/settings.py", "app/test_config.py", "conftest.py"):
        assert not lint_text(SECRET, codes=["FAPI305"], filename=name).findings


def test_cors_wildcard_is_reported_by_exactly_one_rule() -> None:
    result = lint_text(CORS, codes=["FAPI303", "FAPI304"])
    assert sorted((f.line, f.code) for f in result.findings) == [(5, "FAPI303"), (6, "FAPI304")]

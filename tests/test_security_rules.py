"""Behaviour of the security rules (FAPI301-FAPI310) that the fixtures cannot express."""
from __future__ import annotations

import pytest

from fastapi_lint.credentials import classify
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


PLACEHOLDERS = """\
import jwt

SECRET_KEY = "changeme"
API_KEY = "Zq81Lk20Vb55Ws"
fake_api_token = "lanternfish"
SIGNING_KEY = "local-dev-signing-key"
token = jwt.encode({}, "secret", algorithm="HS256")
other = jwt.encode({}, "Zq81Lk20Vb55Ws", algorithm="HS256")
"""


def test_hardcoded_placeholder_secret_is_a_warning_and_a_real_looking_one_an_error() -> None:
    result = lint_text(PLACEHOLDERS, codes=["FAPI305"])
    assert _severities(result) == {
        (3, "FAPI305"): "warning", (4, "FAPI305"): "error",
        (6, "FAPI305"): "warning", (7, "FAPI305"): "warning", (8, "FAPI305"): "error",
    }  # line 5: a name saying fake holds no credential


SCRIPT = """\
API_KEY = "YOUR_API_KEY_HERE"
ADMIN_PASSWORD = "changeme"
SIGNING_SECRET = "Zq81Lk20Vb55Ws"
OPENAI = "sk-proj-abcdefghijklmnopqrstuvwx"
"""


def test_placeholders_in_scripts_are_fill_in_slots_and_real_credentials_still_errors() -> None:
    served = lint_text(SCRIPT, codes=["FAPI305"])
    assert _severities(served) == {(1, "FAPI305"): "warning", (2, "FAPI305"): "warning",
                                   (3, "FAPI305"): "error", (4, "FAPI305"): "error"}
    for name in ("scripts/seed.py", "backend/scripts/debug/call.py", "bin/tool.py", "docs/scripts/gen.py"):
        assert _severities(lint_text(SCRIPT, codes=["FAPI305"], filename=name)) == {
            (3, "FAPI305"): "error", (4, "FAPI305"): "error"}
    configured = lint_text(SCRIPT, codes=["FAPI305"], filename="ops/seed.py", script_paths=("ops/**",))
    assert _severities(configured) == {(3, "FAPI305"): "error", (4, "FAPI305"): "error"}
    assert len(lint_text(SCRIPT, codes=["FAPI305"], filename="ops/seed.py").findings) == 4


@pytest.mark.parametrize("value, target, kind", [
    ("unstructured_api_key", "KV_API_KEY", "not-credential"),
    ("auth.token", "TOKEN_FIELD", "not-credential"),
    ("OPENAI_API_KEY", "API_KEY_ENV", "not-credential"),
    ("SECRET", "SECRET", "not-credential"),
    ("token", "PK_TOKEN", "not-credential"),
    ("refresh_token", "GRANT", "not-credential"),
    ("Bearer", "TOKEN_PREFIX", "not-credential"),
    ("https://example.com/token", "TOKEN", "not-credential"),
    ("./certs/server.key", "PRIVATE_KEY", "not-credential"),
    ("[", "START_TOKEN", "not-credential"),
    ("<unk>", "UNK_TOKEN", "not-credential"),
    ("********", "PASSWORD", "not-credential"),
    ("", "PASSWORD", "not-credential"),
    ("my-secret", "SECRET_KEY", "placeholder"),
    ("secret", "SECRET_KEY", "placeholder"),
    ("password", "password", "placeholder"),
    ("supersecret", "JWT_SECRET", "placeholder"),
    ("123456", "DB_PASSWORD", "placeholder"),
    ("your_secret_key_here", "SECRET_KEY", "placeholder"),
    ("EMPTY", "OPENAI_API_KEY", "placeholder"),
    # a value saying it is fake holds no credential; placeholders that may work stay
    ("DummyKey", "GATEWAY_API_KEY", "not-credential"),
    ("dummy-api-key", "API_KEY", "not-credential"),
    ("fake_token", "TOKEN", "not-credential"),
    ("example secret", "JWT_SECRET", "not-credential"),
    ("dummy-hunter2", "PASSWORD", "placeholder"),
    ("changeme", "SECRET_KEY", "placeholder"),
    # values naming what the secret is for: a secret resource or an entry of one
    ("billing-webhook-ca", "BILLING_WEBHOOK_CA_SECRET", "not-credential"),
    ("settings", "_APP_SETTINGS_SECRET_KEY", "not-credential"),
    ("password", "_DB_PASSWORD_SECRET_KEY", "not-credential"),
    ("admin", "ADMIN_PASSWORD", "placeholder"),
    ("postgres", "POSTGRES_PASSWORD", "credential"),
    ("secret", "APP_SECRET", "placeholder"),
    ("coneofsilence", "X_TOKEN", "credential"),
    ("postgres", "POSTGRES_PASSWORD", "credential"),
    ("09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7", "SECRET_KEY", "credential"),
    ("sk-proj-abcdefghijklmnopqrstuvwx", None, "credential"),
])
def test_value_classifier(value, target, kind) -> None:
    assert classify(value, target).value == kind


def test_cors_wildcard_is_reported_by_exactly_one_rule() -> None:
    result = lint_text(CORS, codes=["FAPI303", "FAPI304"])
    assert sorted((f.line, f.code) for f in result.findings) == [(5, "FAPI303"), (6, "FAPI304")]

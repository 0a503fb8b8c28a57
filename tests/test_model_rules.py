"""FAPI501/FAPI502 behaviour beyond the fixtures: the v1-project switch and the fix."""
from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_lint.fix import apply_fixes, parses
from tests.helpers import found, lint_paths, lint_text

V1_CODE = textwrap.dedent(
    """\
    from pydantic import BaseModel, validator

    class Item(BaseModel):
        name: str

        @validator("name")
        def strip(cls, v):
            return v

        class Config:
            orm_mode = True
    """
)


def test_v2_project_reports_v1_api() -> None:
    assert len(found(lint_text(V1_CODE, ["FAPI502"]))) == 3


def test_v1_project_is_left_alone(tmp_path) -> None:
    (tmp_path / "models.py").write_text(V1_CODE, encoding="utf-8")
    (tmp_path / "settings.py").write_text(
        "from pydantic import BaseSettings\n\nclass Settings(BaseSettings):\n    url: str = ''\n",
        encoding="utf-8",
    )
    assert not found(lint_paths([str(tmp_path)], ["FAPI502"]))


def test_pydantic_v1_compat_module_is_skipped() -> None:
    code = V1_CODE.replace("from pydantic import", "from pydantic.v1 import")
    assert not found(lint_text(code, ["FAPI502"]))


def test_field_keyword_fix() -> None:
    code = "from pydantic import BaseModel, Field\n\nclass A(BaseModel):\n    t: list = Field(min_items=1, regex='a')\n"
    result = lint_text(code, ["FAPI502"])
    fixed, count = apply_fixes(code, [f.fix for f in result.findings if f.fix])
    assert count == 2 and parses(fixed)
    assert "Field(min_length=1, pattern='a')" in fixed
    assert not found(lint_text(fixed, ["FAPI502"]))


def test_response_model_across_modules_and_reexports(tmp_path) -> None:
    (tmp_path / "app" / "schemas").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "schemas" / "__init__.py").write_text("from .user import User\n", encoding="utf-8")
    (tmp_path / "app" / "schemas" / "user.py").write_text(
        "from pydantic import BaseModel\n\nclass User(BaseModel):\n    token: str\n", encoding="utf-8"
    )
    (tmp_path / "app" / "main.py").write_text(
        "from typing import Optional\nfrom fastapi import FastAPI\nfrom app.schemas import User\n\n"
        "app = FastAPI()\n\n@app.get('/me', response_model=Optional[User])\ndef me():\n    return None\n",
        encoding="utf-8",
    )
    result = lint_paths([str(tmp_path)], ["FAPI501"])
    assert {(f.path.replace("\\", "/").rsplit("app/", 1)[-1], f.line, f.column) for f in result.findings} == {
        ("schemas/user.py", 4, 5)
    }


@given(st.text(alphabet="maskMASKredactREDACTobfuscatcensorCENSOR \n_\u212a\u017f\u0130\u00e9", max_size=24))
@settings(max_examples=300, deadline=None)
def test_masking_text_test_agrees_with_its_case_insensitive_pattern(text) -> None:
    # the project pass decides with substring tests; outside ASCII the pattern decides
    from fastapi_lint.project.models import _MASK_TEXT, _mentions_masking

    assert _mentions_masking(text) == (_MASK_TEXT.search(text) is not None)

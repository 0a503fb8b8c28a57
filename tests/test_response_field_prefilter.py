"""FAPI501's project prefilter: a module is parsed only when one of its classes is output by
a route's response, or named like a response model."""
from __future__ import annotations

import pytest

from fastapi_lint.project.index import ProjectIndex
from fastapi_lint.rules.models.sensitive_response_field import SensitiveFieldInResponseModel

MODELS = """\
from pydantic import BaseModel


class UserIn(BaseModel):
    password: str


class Account(BaseModel):
    api_key: str
"""


def _applies(tmp_path, routes: str, models: str = MODELS) -> bool:
    (tmp_path / "models.py").write_text(models)
    (tmp_path / "routes.py").write_text(routes)
    files = [(str(tmp_path / "models.py"), models), (str(tmp_path / "routes.py"), routes)]
    index = ProjectIndex.build(files, str(tmp_path))
    rule = SensitiveFieldInResponseModel
    return rule.applies_to(models, {}) and rule.applies_in_project(models, index, str(tmp_path / "models.py"))


ROUTE = "from fastapi import APIRouter\nfrom models import {model}\n\nrouter = APIRouter()\n\n\n" \
        "@router.get('/x', response_model={model})\ndef read():\n    ...\n"


@pytest.mark.parametrize("routes, expected", [
    ("x = 1\n", False),  # no route returns either class: nothing to report
    (ROUTE.format(model="Account"), True),
    (ROUTE.format(model="UserIn"), True),
    # a subclass in another module is the response model: the base's fields go out
    ("from fastapi import APIRouter\nfrom models import Account\n\nrouter = APIRouter()\n\n\n"
     "class AccountOut(Account):\n    pass\n\n\n@router.get('/x', response_model=AccountOut)\ndef read():\n    ...\n", True),
])
def test_only_modules_with_a_response_model_are_parsed(tmp_path, routes: str, expected: bool) -> None:
    assert _applies(tmp_path, routes) is expected


def test_a_class_named_like_a_response_is_parsed(tmp_path) -> None:
    """seed 001: a password field of a `*Response` model no route is seen returning."""
    models = "from pydantic import BaseModel\n\n\nclass UserResponse(BaseModel):\n    password: str\n"
    assert _applies(tmp_path, "x = 1\n", models)


def test_the_cheap_text_test_comes_first(tmp_path, monkeypatch) -> None:
    """The engine asks the project prefilter before the text one: a module without a field
    named like a credential is turned away before any whole-project table is built."""
    import fastapi_lint.rules.models.sensitive_response_field as rule_module

    def no_index(project):
        raise AssertionError("the model index was built")

    text = "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str\n"
    (tmp_path / "items.py").write_text(text)
    index = ProjectIndex.build([(str(tmp_path / "items.py"), text)], str(tmp_path))
    monkeypatch.setattr(rule_module, "model_index", no_index)
    assert not SensitiveFieldInResponseModel.applies_in_project(text, index, str(tmp_path / "items.py"))

from __future__ import annotations

import re
from typing import Any, List, Mapping

import libcst as cst

from fastapi_lint.names import keyword
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.project.versions import DeclaredVersions
from fastapi_lint.rules._text import (
    DOTTED_PREFIX, GAP, GAP_CLOSE, GAP_OPEN, aliases, alternatives, may_resolve_into, method_call,
    universal_newlines,
)
from fastapi_lint.project.models import MODELS, PYDANTIC_BASES, model_index
from fastapi_lint.prefilter import lazy_pattern

_V1_DECORATORS = frozenset({
    "pydantic.validator", "pydantic.root_validator", "pydantic.class_validators.validator",
    "pydantic.class_validators.root_validator",
})
# v1 method -> its v2 name
_V1_METHODS = {
    "dict": "model_dump", "json": "model_dump_json", "parse_obj": "model_validate",
    "parse_raw": "model_validate_json", "parse_file": "model_validate_json",
    "from_orm": "model_validate", "schema": "model_json_schema", "schema_json": "model_json_schema",
    "update_forward_refs": "model_rebuild", "construct": "model_construct",
}
_FIELD_FUNCTIONS = frozenset({
    "pydantic.Field", "pydantic.fields.Field", "pydantic.conlist", "pydantic.conset",
    "pydantic.constr", "pydantic.types.conlist", "pydantic.types.conset", "pydantic.types.constr",
})
# v1 keyword -> its v2 name (None: removed)
_V1_KEYWORDS = {
    "min_items": "min_length", "max_items": "max_length", "regex": "pattern",
    "unique_items": None, "allow_mutation": None, "const": None,
}
# v1 `class Config` keys renamed in v2 (reported besides the `class Config` itself)
_RENAMED_CONFIG = {
    "orm_mode": "from_attributes", "allow_population_by_field_name": "populate_by_name",
    "schema_extra": "json_schema_extra", "anystr_strip_whitespace": "str_strip_whitespace",
    "validate_all": "validate_default", "keep_untouched": "ignored_types",
}
# What a finding needs in the text: `class Config`, a call of a v1 method (the receiver may
# be a model of another module), `.copy(update=...)`, a decorator naming `validator`/
# `root_validator` (or an alias) or a v1 keyword argument, where pydantic may be reached
# (`fastapi_lint.rules._text.may_resolve_into`; the names its modules bind).
_CONFIG_CLASS = lazy_pattern(r"class(?:\s|\\)+Config\b")
_V1_METHOD_CALL = method_call(_V1_METHODS)
# `.copy(... update=`, or a `(`, quote or comment before it we cannot read through
_COPY_UPDATE = lazy_pattern(
    r"\." + GAP + r"copy\b" + GAP_CLOSE + r"\([^()'\"#]*(?:\bupdate" + GAP + r"=(?!=)|[('\"#])"
)
_V1_KEYWORD = lazy_pattern(alternatives(_V1_KEYWORDS) + r"\b" + GAP + r"=(?!=)")
_VALIDATORS = ("validator", "root_validator")
_VALIDATOR_MODULE_NAMES = _VALIDATORS + ("class_validators",)
_FIELD_MODULE_NAMES = ("Field", "conlist", "conset", "constr", "fields", "types")


def _v1_decorator(text: str) -> bool:
    if "validator" not in text or not may_resolve_into(text, "pydantic", _VALIDATOR_MODULE_NAMES):
        return False
    names = aliases(text, _VALIDATORS)
    return names is None or re.search(
        r"@" + GAP_OPEN + DOTTED_PREFIX + alternatives(names) + r"\b", text) is not None


class PydanticV1Api(Rule):
    """
    ## What it does
    Reports pydantic v1 API in a project that runs pydantic v2: `class Config:` inside a
    model, v1 configuration keys renamed in v2 (`orm_mode`, `schema_extra`,
    `allow_population_by_field_name`... — a separate finding), `@validator` /
    `@root_validator`, `.dict()` / `.json()` / `.parse_obj()` / `.parse_raw()` /
    `.from_orm()` / `.schema()` / `.copy(update=...)` on models, and `Field(min_items=,
    max_items=, regex=, unique_items=, allow_mutation=, const=)`.

    Methods are reported only on receivers known to be models: `self`/`cls` in a model
    class, a model class itself (`User.parse_obj`), and names annotated or constructed as a
    project model (`user: UserIn`, `user = UserIn(...)`). A model is a subclass of
    `BaseModel`/`SQLModel`/`BaseSettings`, directly or through project classes in any module.

    The project's declared pydantic version (its dependency and lock files, or
    `target-versions`) decides whether it runs v2: a range that requires 2 or later reports,
    a version below 2 for sure reports nothing. A range that allows v1 too (a library
    supporting both) decides nothing, even when a lock file pins v2 for development; a lock
    file decides for a pydantic that no range declares. When the version is undecided, a
    project is taken to run pydantic v1 — and nothing is reported — when it declares a FastAPI older than 0.100
    (which required v1) or when one of its modules imports something that exists only in v1
    (`from pydantic import BaseSettings`, `pydantic.generics`, `pydantic.error_wrappers`,
    `pydantic.env_settings`, `pydantic.fields.ModelField`). A module that imports
    `pydantic.v1` deliberately uses the v1 API and is skipped.

    ## Why is this bad?
    The v1 API is deprecated in v2: it emits warnings on every call, behaves subtly
    differently (`class Config` keys that were renamed are silently ignored — `orm_mode`
    no longer enables `from_attributes`), and is removed in pydantic v3.

    ## Example
    ```python
    class UserOut(BaseModel):
        tags: list[str] = Field(max_items=10)

        @validator("tags")
        def strip(cls, v): ...

        class Config:
            orm_mode = True
    ```

    ## Use instead
    ```python
    class UserOut(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        tags: list[str] = Field(max_length=10)

        @field_validator("tags")
        @classmethod
        def strip(cls, v): ...
    ```

    ## Fix safety
    Only the `Field` keywords `min_items`, `max_items` and `regex` are rewritten (to
    `min_length`, `max_length`, `pattern`). The fix is unsafe: v2's `pattern` uses a
    different regular expression engine (no look-around or back-references).

    ## References
    - [Pydantic: Migration Guide](https://docs.pydantic.dev/latest/migration/)
    """

    CODE = "FAPI502"
    NAME = "pydantic-v1-api"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    FIX = FixAvailability.UNSAFE
    TAGS = ("models", "pydantic")
    SEEDS = ("000", "001", "002", "003")
    PROJECT_FACTS = (MODELS,)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        # Not `pydantic`/`BaseModel` in the text: a model imported from another module of
        # the project is a model too (`user.dict()`, `class Config` in a subclass of it).
        text = universal_newlines(text)
        return (
            _CONFIG_CLASS.search(text) is not None
            or _V1_METHOD_CALL.search(text) is not None
            or ("update" in text and _COPY_UPDATE.search(text) is not None)
            or _v1_decorator(text)
            or (_V1_KEYWORD.search(text) is not None and may_resolve_into(text, "pydantic", _FIELD_MODULE_NAMES))
        )

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._index = model_index(ctx.project)
        self._active = _runs_v2(ctx.versions, self._index.pydantic_v1) and not _imports_v1(ctx.facts.names.values())
        # one entry per enclosing class: is it a model?
        self._classes: List[bool] = []

    # -- classes -------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        in_model = bool(self._classes) and self._classes[-1]
        self._classes.append(self._is_model_class(node))
        if self._active and in_model and node.name.value == "Config":
            self.report(node, "`class Config:` is pydantic v1; use `model_config = ConfigDict(...)`")
            self._renamed_keys(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def _is_model_class(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            resolved = self.ctx.resolve(value)
            if resolved in PYDANTIC_BASES or self._index.is_model_ref(resolved):
                return True
        return False

    def _renamed_keys(self, config: cst.ClassDef) -> None:
        for stmt in config.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                    [small.target] if isinstance(small, cst.AnnAssign) else [])
                for target in targets:
                    if isinstance(target, cst.Name) and target.value in _RENAMED_CONFIG:
                        self.report(target, f"`{target.value}` is pydantic v1; v2 calls it "
                                            f"`{_RENAMED_CONFIG[target.value]}`")

    # -- decorators ----------------------------------------------------------------------
    def visit_Decorator(self, node: cst.Decorator) -> None:
        if not self._active:
            return
        expr = node.decorator
        func = expr.func if isinstance(expr, cst.Call) else expr
        name = self.ctx.resolve(func)
        if name in _V1_DECORATORS:
            short = name.rsplit(".", 1)[-1]
            replacement = "field_validator" if short == "validator" else "model_validator"
            self.report(expr, f"`@{short}` is pydantic v1; use `@{replacement}`")

    # -- calls ---------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and (
            func.attr.value in _V1_METHODS or (func.attr.value == "copy" and keyword(node, "update"))
        ):
            self._method(node, func)
        elif self.ctx.resolve(func) in _FIELD_FUNCTIONS:
            self._keywords(node)

    def _method(self, node: cst.Call, func: cst.Attribute) -> None:
        if not self._on_model(func.value):
            return
        method = func.attr.value
        self.report(node, f"`.{method}()` is pydantic v1; use `.{_V1_METHODS.get(method, 'model_copy')}()`")

    def _on_model(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Name) and receiver.value in ("self", "cls"):
            return bool(self._classes) and self._classes[-1]
        return self._index.is_model_ref(self.ctx.resolve(receiver))

    def _keywords(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value not in _V1_KEYWORDS:
                continue
            old = arg.keyword.value
            new = _V1_KEYWORDS[old]
            if new is None:
                self.report(arg, f"`{old}=` is pydantic v1 and was removed in v2")
            else:
                self.report(arg, f"`{old}=` is pydantic v1; use `{new}=`",
                            replace=(arg.keyword, cst.Name(new)), fix_message=f"Rename to `{new}=`")


def _runs_v2(versions: DeclaredVersions, imports_v1_only_api: bool) -> bool:
    """Whether the project runs pydantic v2 only.

    Its declared ranges decide first: a project that declares support for v1 too (a library:
    ``pydantic>1,<3``, its lock file pinning v2 for development) may keep v1 API on purpose.
    Then a lock file, for a pydantic declared by no range (a dependency of FastAPI's) or to
    say v1. Unknown: a FastAPI older than 0.100 (which required v1) or imports of v1-only API
    say v1."""
    declared = versions.get("pydantic")
    if declared is not None:
        by_ranges = declared.ranges_at_least("2") if any(declared.ranges) else None
        locked = declared.at_least("2") if declared.pins else None
        if by_ranges is not None:
            return by_ranges
        if locked is False or (locked is True and not any(declared.ranges)):
            return locked
    return versions.at_least("fastapi", "0.100") is not False and not imports_v1_only_api


def _imports_v1(targets) -> bool:
    return any(t == "pydantic.v1" or t.startswith("pydantic.v1.") for t in targets)

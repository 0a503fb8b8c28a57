from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from fastapi_lint.imports import ExtraEdits, NameAndEdits, bound_name, imported_name
from fastapi_lint.names import iter_params, keyword, positional
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.rules._text import DOTTED_PREFIX, GAP_CLOSE, GAP_OPEN, aliases, alternatives, may_resolve_into, universal_newlines
from fastapi_lint.prefilter import lazy_pattern

_INJECTED = ("Depends", "Security")  # no default value of their own
_VALUED = ("Query", "Path", "Header", "Cookie", "Body", "Form", "File")
_PARAM_FUNCTIONS = {
    f"{module}.{name}": name
    for module in ("fastapi", "fastapi.param_functions", "fastapi.params")
    for name in _INJECTED + _VALUED
}
_ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
# FastAPI reads parameters declared with `Annotated` from this version on
ANNOTATED_SINCE = "0.95"
_TYPING_ANNOTATED_SINCE = "3.9"


def _default_call(names: Set[str]) -> "re.Pattern[str]":
    """`= <a.b.>name(` for one of ``names``: a call, possibly a parameter's default (the
    prefilter)."""
    return lazy_pattern(r"=" + GAP_OPEN + DOTTED_PREFIX + alternatives(names) + r"\b" + GAP_CLOSE + r"\(")


@dataclass
class _Offending:
    param: cst.Param
    kind: str  # "Depends", "Query", ...
    fixable: bool  # annotated with a plain type (not unannotated, not already Annotated)


class DependsWithoutAnnotated(Rule):
    """
    ## What it does
    Reports a parameter of a route or dependency written `x: T = Depends(dep)`, or with a
    `Security`/`Query`/`Path`/`Header`/`Cookie`/`Body`/`Form`/`File` default from FastAPI
    (through any import alias). A function whose parameter has such a default is a route or
    a dependency (a function or a class-based dependency's `__init__`/`__call__`): nothing but
    FastAPI's injection gives those defaults a meaning.

    ## Why is this bad?
    The default-value form makes the signature lie: called directly (in a test, from another
    function) the parameter silently receives a `Depends`/`FieldInfo` object instead of a
    value, and type checkers accept it. `Annotated` keeps the type, the FastAPI metadata and
    the real default apart, lets the same alias be reused across routes, and is the form the
    FastAPI documentation recommends.

    ## Example
    ```python
    @router.get("/items")
    async def list_items(
        db: AsyncSession = Depends(get_db),
        limit: int = Query(20, ge=1, le=100),
    ): ...
    ```

    ## Use instead
    ```python
    from typing import Annotated

    @router.get("/items")
    async def list_items(
        db: Annotated[AsyncSession, Depends(get_db)],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ): ...
    ```

    ## Fix safety
    The fix rewrites every such parameter of the function at once and imports `Annotated`
    (reusing an existing `Annotated` import, merging into `from typing import ...`, or adding
    `from typing import Annotated`). The default value of `Query(20)`/`Query(default=20)`
    becomes the parameter's default (FastAPI rejects a default inside `Annotated`); `...`
    and a missing default make the parameter required, as before. When a parameter that lost
    its default would follow one that keeps a default, parameters without a default are moved
    first (their relative order and trailing comments are kept): FastAPI
    passes them by name, so this is safe for FastAPI, but a direct positional call of the
    function would need updating. Unannotated parameters (`x = Depends(dep)`) and parameters
    already annotated with `Annotated` are reported without a fix: the right type is not
    known. The fix reuses an existing `Annotated` import, else imports `typing.Annotated`
    (Python 3.9+), or `typing_extensions.Annotated` where the project declares support for
    an older Python (`requires-python = ">=3.8"`; FastAPI itself depends on
    `typing_extensions`).

    The fix is safe where the project declares FastAPI 0.95 or later, the first release that
    reads `Annotated` parameters (the declared versions come from the project's dependency
    and lock files, or `target-versions`). Where the FastAPI version is unknown it is offered
    as unsafe (`--unsafe-fixes`). Where the project is on an older FastAPI the parameter is
    still reported, with the version to upgrade to, but no fix is offered: the rewritten
    route would not work there. The signature is rewritten as a whole, so a `# noqa: FAPI402` on one
    parameter does not keep the fix of its neighbours from converting it too.

    ## References
    - [FastAPI: Dependencies (Annotated)](https://fastapi.tiangolo.com/tutorial/dependencies/)
    - [FastAPI: Query Parameters and String Validations](https://fastapi.tiangolo.com/tutorial/query-params-str-validations/)
    """

    CODE = "FAPI402"
    NAME = "depends-without-annotated"
    SEVERITY = Severity.INFO
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("lifecycle", "dependencies")
    SEEDS = ("000", "001", "002", "003", "004")
    TRIGGERS = _INJECTED + _VALUED

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        """A call of `Depends`/`Query`/... (or an alias) right after an `=`, in a file that
        may resolve it to FastAPI's."""
        text = universal_newlines(text)
        present = [name for name in cls.TRIGGERS if name in text]
        if not present or not may_resolve_into(text, "fastapi", present + ["params", "param_functions"]):
            return False
        names = aliases(text, present)
        return names is None or _default_call(names).search(text) is not None

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._functions: List[Tuple[cst.FunctionDef, List[_Offending]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        offending = []
        for param in iter_params(node.params):
            kind = self._kind(param.default)
            if kind is not None:
                offending.append(_Offending(param, kind, self._plain_annotation(param)))
        if offending:
            self._functions.append((node, offending))

    def _kind(self, default: Optional[cst.BaseExpression]) -> Optional[str]:
        if not isinstance(default, cst.Call):
            return None
        return _PARAM_FUNCTIONS.get(self.ctx.resolve(default.func) or "")

    def _plain_annotation(self, param: cst.Param) -> bool:
        if param.annotation is None:
            return False
        annotation = param.annotation.annotation
        return not (isinstance(annotation, cst.Subscript) and self.ctx.resolve(annotation.value) in _ANNOTATED)

    def finish(self) -> None:
        # the fixes are computed after the traversal: the import to add depends on the module
        supported = self.ctx.versions.at_least("fastapi", ANNOTATED_SINCE)
        for function, offending in self._functions:
            fix = self._fix(function, offending) if supported is not False else None
            for item in offending:
                name = item.param.name.value
                message = f"Use `{name}: Annotated[..., {item.kind}(...)]` instead of a `{item.kind}(...)` default"
                if supported is False:
                    message += (f" once on FastAPI >= {ANNOTATED_SINCE} (the project declares "
                                f"{self.ctx.versions.describe('fastapi')})")
                if fix is None or not item.fixable:
                    self.report(item.param, message)
                else:
                    self.report(item.param, message, replace=fix[0], extra=fix[1],
                                fix_message="Move the FastAPI parameter into `Annotated`",
                                fix_applicability=None if supported else FixAvailability.UNSAFE)

    def _fix(self, function: cst.FunctionDef, offending: Sequence[_Offending]) -> Optional[Tuple[Tuple[cst.CSTNode, cst.CSTNode], ExtraEdits]]:
        fixable = {id(item.param): item for item in offending if item.fixable}
        if not fixable:
            return None
        spelling = self._annotated_spelling()
        if spelling is None:
            return None
        annotated, extra = spelling
        params = function.params

        def convert(group: Sequence[cst.Param]) -> List[cst.Param]:
            return [_to_annotated(p, fixable[id(p)].kind, annotated) if id(p) in fixable else p for p in group]

        posonly, positional_params = convert(params.posonly_params), convert(params.params)
        if not _valid_order(posonly + positional_params):
            positional_params = _defaults_last(positional_params)
            if not _valid_order(posonly + positional_params):
                return None
        new_params = params.with_changes(
            posonly_params=posonly, params=positional_params, kwonly_params=convert(params.kwonly_params)
        )
        return (params, new_params), extra

    def _annotated_spelling(self) -> NameAndEdits:
        for target in ("typing_extensions.Annotated", "typing.Annotated"):
            existing = bound_name(self.ctx, target)
            if existing is not None:
                return existing, ()
        # a project declaring support for Python < 3.9 gets typing_extensions' (FastAPI
        # depends on it, so it is installed wherever the route runs)
        declared = self.ctx.versions.get("python")
        before_39 = declared is not None and declared.at_least(_TYPING_ANNOTATED_SINCE) is not True
        return imported_name(self.ctx, "typing_extensions" if before_39 else "typing", "Annotated")


def _to_annotated(param: cst.Param, kind: str, annotated: str) -> cst.Param:
    """``x: T = Query(5, ge=1)`` -> ``x: Annotated[T, Query(ge=1)] = 5``."""
    call = param.default
    assert isinstance(call, cst.Call) and param.annotation is not None
    default: Optional[cst.BaseExpression] = None
    if kind not in _INJECTED:
        default_arg = positional(call, 0) or keyword(call, "default")
        if default_arg is not None:
            call = _without_arg(call, default_arg)
            if not isinstance(default_arg.value, cst.Ellipsis):
                default = default_arg.value
    subscript = cst.Subscript(
        value=cst.parse_expression(annotated),
        slice=[
            cst.SubscriptElement(cst.Index(param.annotation.annotation),
                                 comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.SubscriptElement(cst.Index(call)),
        ],
    )
    return param.with_changes(
        annotation=param.annotation.with_changes(annotation=subscript),
        default=default,
        equal=param.equal if default is not None else cst.MaybeSentinel.DEFAULT,
    )


def _without_arg(call: cst.Call, removed: cst.Arg) -> cst.Call:
    args = [arg for arg in call.args if arg is not removed]
    if args and call.args[-1] is removed:
        # the new last argument takes the removed one's (absent or trailing) comma
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)


def _valid_order(params: Sequence[cst.Param]) -> bool:
    """No parameter without a default after one with a default (Python's own rule)."""
    seen_default = False
    for param in params:
        if param.default is not None:
            seen_default = True
        elif seen_default:
            return False
    return True


def _defaults_last(params: List[cst.Param]) -> List[cst.Param]:
    """Stable reorder: parameters without a default first.

    Each position keeps its own comma and layout; the parameters move, and so do their
    trailing line comments when every parameter sits on a line of its own.
    """
    order = [p for p in params if p.default is None] + [p for p in params if p.default is not None]
    one_per_line = all(_line_end(p) is not None for p in params)
    moved_params = []
    for slot, moved in zip(params, order):
        new = slot.with_changes(name=moved.name, annotation=moved.annotation, equal=moved.equal, default=moved.default)
        if one_per_line:
            new = _with_line_end(new, _line_end(moved))
        moved_params.append(new)
    return moved_params


def _line_end(param: cst.Param) -> Optional[cst.TrailingWhitespace]:
    """The end of the parameter's line (its trailing comment) in a one-per-line layout."""
    whitespace = param.comma.whitespace_after if isinstance(param.comma, cst.Comma) else param.whitespace_after_param
    return whitespace.first_line if isinstance(whitespace, cst.ParenthesizedWhitespace) else None


def _with_line_end(param: cst.Param, line_end: Optional[cst.TrailingWhitespace]) -> cst.Param:
    if isinstance(param.comma, cst.Comma):
        whitespace = param.comma.whitespace_after
        assert isinstance(whitespace, cst.ParenthesizedWhitespace)
        return param.with_changes(comma=param.comma.with_changes(whitespace_after=whitespace.with_changes(first_line=line_end)))
    whitespace = param.whitespace_after_param
    assert isinstance(whitespace, cst.ParenthesizedWhitespace)
    return param.with_changes(whitespace_after_param=whitespace.with_changes(first_line=line_end))

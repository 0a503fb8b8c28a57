from __future__ import annotations

import libcst as cst

from fastapi_lint.facts import DEPENDS, marker_kind
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, Rule, Severity

_IMPLICIT = frozenset({"self", "cls"})


class UntypedRouteParameter(Rule):
    """
    ## What it does
    Reports a route parameter without a type annotation, other than `self`/`cls`. A
    dependency written `current_user=Depends(get_current_user)` (or `Security(...)`) is
    not reported: FAPI402 already asks for `Annotated[User, Depends(...)]` there, and the
    dependency, not the annotation, decides what FastAPI passes.

    `*args`/`**kwargs` are not reported: FastAPI cannot fill them from a request whatever
    their annotation (they usually come from a decorator's wrapper).

    ## Why is this bad?
    FastAPI takes validation, conversion and documentation from the annotation. An
    unannotated parameter is read as a raw string query parameter: `user_id` arrives as
    `"42"`, nothing is validated, and the OpenAPI schema has no type for it. Editors and type
    checkers lose track of the value as well.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id):
        ...
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id: int):
        ...
    ```

    ## References
    - [FastAPI: Python Types Intro](https://fastapi.tiangolo.com/python-types/)
    """

    CODE = "FAPI203"
    NAME = "untyped-route-parameter"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("routes", "validation")
    SEEDS = ("001", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        params = node.params
        untyped = [
            p for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.annotation is None and p.name.value not in _IMPLICIT
            and marker_kind(p.default, self.ctx.resolve) != DEPENDS
        ]
        if not untyped or not self.ctx.current_routes:
            return
        for param in untyped:
            self.report(
                param.name,
                f"Route parameter `{param.name.value}` has no type annotation: FastAPI cannot "
                "validate or document it",
            )

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.facts import BODY, QUERY, unwrap_annotation
from fastapi_lint.names import iter_params
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.routes._common import HTTP_ROUTE_METHODS

_MAPPINGS = frozenset({
    "builtins.dict", "typing.Dict", "typing.Mapping", "typing.MutableMapping",
    "collections.abc.Mapping", "collections.abc.MutableMapping", "typing_extensions.Mapping",
})
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})
_JSON = frozenset({"pydantic.Json", "pydantic.types.Json"})
# the last part of every name above, as an import, alias or annotation spells it
_RAW_NAMES = lazy_pattern(r"\b(?:dict|Dict|Mapping|MutableMapping|Any|Json)\b")


class RawDictBody(Rule):
    """
    ## What it does
    Reports a route parameter annotated `dict`, `Dict[...]`, `dict[...]`, `Mapping`, `Any`
    or `Json` without a model (`Json`, `Json[Any]`, `Json[dict]`) that FastAPI fills from the
    request body: the default is absent or `Body(...)` (also in `Annotated` metadata).

    Parameters filled by a dependency (`Depends(...)`, an `Annotated` alias carrying one),
    `Query`/`Header`/`Cookie`/`Path` parameters and websocket routes are not reported.

    ## Why is this bad?
    A raw mapping accepts any JSON object: FastAPI validates nothing, the handler has to
    check every key by hand, and the OpenAPI schema says only "object", so clients get no
    documentation of what to send.

    ## Example
    ```python
    @router.post("/users")
    async def create_user(data: dict):
        ...
    ```

    ## Use instead
    ```python
    class UserCreate(BaseModel):
        email: EmailStr
        name: str

    @router.post("/users")
    async def create_user(data: UserCreate):
        ...
    ```

    ## References
    - [FastAPI: Request Body](https://fastapi.tiangolo.com/tutorial/body/)
    """

    CODE = "FAPI202"
    NAME = "raw-dict-body"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("routes", "validation")
    SEEDS = ("000", "001", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, HTTP_ROUTE_METHODS) and _RAW_NAMES.search(text) is not None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        routes = [r for r in self.ctx.current_routes if not r.is_websocket]
        if not routes:
            return
        for param in iter_params(node.params):
            if param.annotation is None:
                continue
            kind = self._raw_kind(param.annotation.annotation)
            if kind is not None and self._from_body(param, routes[0]):
                self.report(
                    param.name,
                    f"Request body `{param.name.value}` is a raw `{kind}`: declare a pydantic model "
                    "so FastAPI validates and documents it",
                )

    def _from_body(self, param: cst.Param, route) -> bool:
        source = self.ctx.param_source(param, route)
        if source.kind == BODY:
            return True
        # FastAPI reads an unmarked `Any`/`Json` as a query value; RULES counts it as a body
        return source.kind == QUERY and not source.explicit and param.default is None

    def _raw_kind(self, annotation: cst.BaseExpression) -> Optional[str]:
        plain = unwrap_annotation(annotation, self.ctx.resolve)
        if plain is None:
            return None
        base = plain.value if isinstance(plain, cst.Subscript) else plain
        name = self.ctx.resolve(base)
        if name in _MAPPINGS:
            return name.rpartition(".")[2]
        if name in _ANY:
            return "Any"
        if name in _JSON and not self._json_has_model(plain):
            return "Json"
        return None

    def _json_has_model(self, plain: cst.BaseExpression) -> bool:
        if not isinstance(plain, cst.Subscript):
            return False
        inner = plain.slice[0].slice
        if not isinstance(inner, cst.Index):
            return True
        return self._raw_kind(inner.value) is None

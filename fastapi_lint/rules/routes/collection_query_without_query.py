from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.project import signatures
from fastapi_lint.facts import BODY, unwrap_annotation
from fastapi_lint.names import iter_params
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity

_COLLECTIONS = frozenset({"list", "set", "frozenset", "tuple", "sequence"})
_SCALARS = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool"})
_SCALAR_MODULES = ("datetime.", "uuid.", "decimal.")
# methods whose requests carry no body: a body parameter there is always a mistake
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})


class CollectionQueryWithoutQuery(Rule):
    """
    ## What it does
    Reports a parameter of a `GET`/`HEAD`/`OPTIONS` route annotated `list[...]`,
    `List[...]`, `set[...]`, `tuple[...]` or `Sequence[...]` of scalars (str, int, float,
    bool, UUID, dates, decimals, enums), also as `Optional[...]`, with neither `Query(...)`
    (as the default or in `Annotated`) nor any other parameter function.

    ## Why is this bad?
    FastAPI reads a collection parameter without `Query()` from the request body. A `GET`
    request has none: every call fails with 422, and clients cannot pass
    `?tag=a&tag=b`. (On `POST`/`PUT`/`PATCH`/`DELETE` a JSON array body may be what is meant,
    so those routes are not reported.)

    ## Example
    ```python
    @router.get("/items")
    async def list_items(tags: list[str] = []): ...
    ```

    ## Use instead
    ```python
    @router.get("/items")
    async def list_items(tags: Annotated[list[str], Query()] = []): ...
    ```

    ## Fix safety
    The fix wraps the annotation in `Annotated[..., Query()]` and keeps the default. It is
    offered only in a module that already imports `Annotated` and FastAPI's `Query` (which
    shows a FastAPI version with `Annotated` support, 0.95 or later): safe.

    ## References
    - [FastAPI: Query parameter list / multiple values](https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#query-parameter-list-multiple-values)
    """

    CODE = "FAPI212"
    NAME = "collection-query-without-query"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    FIX = FixAvailability.SAFE
    TAGS = ("routes", "correctness")
    SEEDS = ("001",)
    # project enums (scalars) and Annotated aliases of other modules decide
    PROJECT_FACTS = (signatures.SIGNATURES,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, ("get", "head", "options", "api_route")) and any(
            t in text for t in ("list", "List", "set", "Set", "tuple", "Tuple", "Sequence"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        routes = [r for r in self.ctx.current_routes if r.methods and set(r.methods) <= _BODILESS]
        if not routes or len(routes) != len(self.ctx.current_routes):
            return
        for param in iter_params(node.params):
            if param.annotation is None or param.star:
                continue
            source = self.ctx.param_source(param, routes[0])
            if source.kind != BODY or source.explicit:
                continue
            element = self._scalar_collection(param.annotation.annotation)
            if element is None:
                continue
            self.report(param.name, f"`{param.name.value}: {element}` is read from the request body, which a "
                                    f"{routes[0].methods[0]} request has not (422): use `Query()`",
                        **self._fix(param))

    def _scalar_collection(self, annotation: cst.BaseExpression) -> Optional[str]:
        plain = unwrap_annotation(annotation, self.ctx.resolve)
        if not isinstance(plain, cst.Subscript):
            return None
        head = self.ctx.resolve(plain.value) or ""
        if head.rpartition(".")[2].lower() not in _COLLECTIONS or not head.startswith(("builtins.", "typing.", "collections.abc.")):
            return None
        elements = [e.slice.value for e in plain.slice if isinstance(e.slice, cst.Index)]
        if not elements or not all(self._scalar(e) for e in elements):
            return None
        return cst.Module([]).code_for_node(plain)

    def _scalar(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Ellipsis):
            return True  # tuple[int, ...]
        name = self.ctx.resolve(expr)
        if name is None:
            return False
        if name in _SCALARS or name.startswith(_SCALAR_MODULES):
            return True
        local = self.ctx.facts.classes.get(name.rpartition(".")[2]) if name == self.ctx.facts.local(name.rpartition(".")[2]) else None
        if local is not None:
            return any((self.ctx.resolve(b.value) or "").startswith("enum.") for b in local.bases)
        return signatures.is_project_enum(self.ctx.project, name)

    def _fix(self, param: cst.Param) -> dict:
        names = self.ctx.facts.names
        annotated = next((n for n, v in names.items() if v in _ANNOTATED), None)
        query = next((n for n, v in names.items() if v in ("fastapi.Query", "fastapi.params.Query")), None)
        if annotated is None or query is None or param.annotation is None:
            return {}
        wrapped = cst.Subscript(cst.Name(annotated), [
            cst.SubscriptElement(cst.Index(param.annotation.annotation)),
            cst.SubscriptElement(cst.Index(cst.Call(cst.Name(query)))),
        ])
        return {"replace": (param.annotation.annotation, wrapped),
                "fix_message": f"Wrap in `{annotated}[..., {query}()]`"}

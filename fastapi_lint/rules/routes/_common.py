"""Helpers shared by the route rules: status codes, response objects and route bodies."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.facts import DEPENDS, SPECIAL, RouteInfo
from fastapi_lint.names import dotted, iter_params, keyword
from fastapi_lint.prefilter import ROUTE_METHOD_NAMES, lazy_pattern
from fastapi_lint.rule import Rule

# route methods of HTTP routes (``prefilter.has_route(text, HTTP_ROUTE_METHODS)``: not websocket)
HTTP_ROUTE_METHODS = tuple(m for m in ROUTE_METHOD_NAMES if m != "websocket")
_HTTP_STATUS_NAMES = {
    "OK": 200, "CREATED": 201, "ACCEPTED": 202, "NO_CONTENT": 204, "RESET_CONTENT": 205,
    "NOT_MODIFIED": 304,
}
_STATUS_CONSTANT = lazy_pattern(r"^(?:HTTP|WS)_(\d{3})(?:_|$)")
_RESPONSE_MODULES = ("fastapi.", "starlette.", "sse_starlette.")


def status_code_number(route: RouteInfo, ctx) -> Optional[int]:
    """The literal ``status_code=`` of a route (``204``, ``status.HTTP_204_NO_CONTENT``,
    ``HTTPStatus.NO_CONTENT``, a module constant), else None."""
    expr = route.keyword("status_code")
    if expr is None:
        return None
    expr = ctx.constant(expr)
    if isinstance(expr, cst.Integer):
        return int(expr.value)
    name = dotted(expr)
    if name is None:
        return None
    last = name.rpartition(".")[2]
    match = _STATUS_CONSTANT.match(last)
    if match:
        return int(match.group(1))
    return _HTTP_STATUS_NAMES.get(last)


def is_response_object(resolved: Optional[str]) -> bool:
    """A Starlette/FastAPI ``Response`` instance (``"fastapi.responses.JSONResponse()"``)."""
    if not resolved or not resolved.endswith("()"):
        return False
    cls = resolved[:-2]
    short = cls.rpartition(".")[2]
    if short == "TemplateResponse":  # templates.TemplateResponse(...)
        return True
    return cls.startswith(_RESPONSE_MODULES) and short.endswith("Response")


@dataclass
class RouteBody:
    """What a route function's own body does (nested functions excluded)."""

    value_returns: List[cst.BaseExpression] = field(default_factory=list)
    # ``response.status_code = ...`` or a returned Response built with ``status_code=``
    sets_status: bool = False
    all_responses: bool = True  # every returned value is a Response object
    # calls other than builtins (`len`, `str`...) and methods of the request's own values
    # (`item.model_dump()`, a local dict's `update`): the route does something besides
    # answering from its inputs
    effects: int = 0
    # parameters FastAPI fills from the request, and names the body assigns
    inputs: Set[str] = field(default_factory=set)
    locals: Set[str] = field(default_factory=set)

    @property
    def returns_value(self) -> bool:
        return bool(self.value_returns)


class RouteBodyRule(Rule):
    """Base of rules that judge a route by its body, decided when the function is left.

    Subclasses implement ``wants(routes)`` (cheap: is this route of interest?) and
    ``check(function, routes, body)``.
    """

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._stack: List[Tuple[cst.FunctionDef, List[RouteInfo], RouteBody]] = []
        self._in_params = False  # calls in parameter defaults (`File()`) are not the body's
        self._raising = 0  # building the exception of a `raise` does nothing to the server

    def wants(self, routes: List[RouteInfo]) -> bool:
        raise NotImplementedError

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        raise NotImplementedError

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators and node.name.value not in self.ctx.facts.api_routes:
            return
        routes = self.ctx.current_routes
        if routes and self.wants(routes):
            body = RouteBody()
            for param in iter_params(node.params):
                kind = self.ctx.param_source(param, routes[0]).kind
                # the request, and the Response being answered (`response.set_cookie(...)`);
                # BackgroundTasks schedule work, so their calls are effects
                if kind != DEPENDS and not (kind == SPECIAL and _annotated_background(param)):
                    body.inputs.add(param.name.value)
            self._stack.append((node, routes, body))
            self._in_params = True

    def leave_Parameters(self, original_node: cst.Parameters) -> None:
        self._in_params = False

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self._stack and self._stack[-1][0] is original_node:
            function, routes, body = self._stack.pop()
            self.check(function, routes, body)

    def _body(self) -> Optional[RouteBody]:
        """The body record when the innermost function is the route being checked."""
        if self._stack and self.ctx.current_function is self._stack[-1][0]:
            return self._stack[-1][2]
        return None

    def visit_Return(self, node: cst.Return) -> None:
        body = self._body() if self._stack else None
        if body is None or node.value is None:
            return
        value = node.value
        if isinstance(value, cst.Name) and value.value == "None":
            return
        body.value_returns.append(value)
        if is_response_object(self.ctx.resolve(value)):
            if isinstance(value, cst.Call) and keyword(value, "status_code") is not None:
                body.sets_status = True
        else:
            body.all_responses = False

    def visit_Raise(self, node: cst.Raise) -> None:
        self._raising += 1

    def leave_Raise(self, original_node: cst.Raise) -> None:
        self._raising -= 1

    def visit_Call(self, node: cst.Call) -> None:
        body = self._body() if self._stack and not self._in_params and not self._raising else None
        if body is None or (self.ctx.resolve(node.func) or "").startswith("builtins."):
            return
        root = _root_name(node.func)
        if isinstance(node.func, cst.Attribute) and (root in body.inputs or root in body.locals):
            return  # `item.model_dump()`, `result.update(...)`: reshaping the answer
        body.effects += 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._stack:
            return
        body = self._body()
        if body is not None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    body.locals.add(target.target.value)
                elif _root_name(target.target) not in body.locals | body.inputs:
                    body.effects += 1  # `fake_db[item.id] = item`: stored somewhere
        for target in node.targets:
            if isinstance(target.target, cst.Attribute) and target.target.attr.value == "status_code":
                body = self._body()
                if body is not None:
                    body.sets_status = True


def _annotated_background(param: cst.Param) -> bool:
    annotation = param.annotation.annotation if param.annotation is not None else None
    return (dotted(annotation) or "").rpartition(".")[2] == "BackgroundTasks"


def _root_name(expr: cst.BaseExpression) -> Optional[str]:
    """``a`` of ``a.b[c].d(...)``."""
    while isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return expr.value if isinstance(expr, cst.Name) else None


_LIMITER_TYPES = frozenset({"slowapi.Limiter()", "slowapi.extension.Limiter()"})


def is_limiter_decorator(decorator: cst.Decorator, ctx) -> bool:
    """slowapi's ``@limiter.limit(...)``/``@limiter.shared_limit(...)``."""
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    if call.func.attr.value not in ("limit", "shared_limit"):
        return False
    receiver = call.func.value
    if ctx.resolve(receiver) in _LIMITER_TYPES:
        return True
    # a limiter imported from another module of the project: known by its name only
    return "limiter" in (dotted(receiver) or "").rpartition(".")[2].lower()

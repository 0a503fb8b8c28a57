from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Set

import libcst as cst

from fastapi_lint.facts import DEPENDS, RouteInfo
from fastapi_lint.names import iter_params
from fastapi_lint.prefilter import has_route
from fastapi_lint.rule import Default, Severity
from fastapi_lint.words import name_parts
from fastapi_lint.project.models import MODELS, model_index
from fastapi_lint.rules.routes._common import (
    HTTP_ROUTE_METHODS, RouteBody, RouteBodyRule, is_response_object, status_code_number,
)
from fastapi_lint.project.returns import PLAIN, RESPONSE, RETURNS, UNKNOWN, return_index

_NO_BODY_STATUS = (204, 205, 304)
# calls whose value is a scalar the code computes
_SCALAR_CALLS = frozenset({
    "builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.len",
    "builtins.sum", "builtins.round", "builtins.abs", "builtins.repr", "builtins.format",
    "builtins.hex", "builtins.bytes",
})
# calls whose value is their argument's, reshaped
_PASS_THROUGH = frozenset({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted",
    "builtins.next", "builtins.any", "builtins.all", "builtins.min", "builtins.max", "builtins.reversed",
    "json.loads", "fastapi.encoders.jsonable_encoder",
})
# library functions that build a Response (fastapi's docs pages)
_RESPONSE_FUNCTIONS = frozenset({
    "fastapi.openapi.docs.get_swagger_ui_html", "fastapi.openapi.docs.get_redoc_html",
    "fastapi.openapi.docs.get_swagger_ui_oauth2_redirect_html",
})
# a pydantic model's own serialization: the model's fields, spelled out in its class
_MODEL_DUMPS = frozenset({"model_dump", "dict", "json", "model_dump_json"})
_SCALAR_TYPES = frozenset({
    "builtins.str()", "builtins.int()", "builtins.float()", "builtins.bool()", "builtins.bytes()",
})
# reading a container gives a piece of it
_CONTAINER_READS = frozenset({"get", "copy", "values", "items"})
_MODEL_BUILDERS = frozenset({
    "model_validate", "model_validate_json", "parse_obj", "parse_raw", "from_orm", "model_construct",
    "construct",
})


class _Values:
    """What a route's ``return`` statements hand FastAPI, judged as they are met."""

    def __init__(self, inputs: Set[str], dependencies: Set[str]) -> None:
        self.inputs = inputs  # parameters FastAPI fills from the request: echoes, not leaks
        self.dependencies = dependencies  # objects a dependency builds (a user, a session)
        self.assigned: Dict[str, List[cst.BaseExpression]] = {}
        self.unknown: Optional[cst.BaseExpression] = None  # the first value of unknown shape
        self.objects: Set[str] = set()  # names whose attributes the route reads: records


class MissingResponseModel(RouteBodyRule):
    """
    ## What it does
    Reports a route with neither `response_model=` nor a return annotation that returns a
    value whose shape the route does not spell out: an ORM object, a database row, an
    object a dependency built, the result of a function whose value is not known to be
    typed — or literal dicts of inconsistent shapes (`[{"id": 1, "name": "a"}, {"id": 2,
    "email": "b"}]`).

    Not reported when the route declares `response_class=`, says `response_model=None`
    explicitly, answers without a body (`status_code` 204, 205 or 304, also written
    `status.HTTP_204_NO_CONTENT` or `HTTPStatus.NO_CONTENT`), is a websocket, returns
    nothing, or when every value it returns is one the code spells out or a `Response`:

    - literals and containers of literals with one shape (`{"status": "ok"}`; an optional
      key is still one shape), scalars (`str(...)`, `len(...)`, `sum(...)`), module
      constants, and request inputs echoed back (a body model, a path or query parameter,
      a dependency annotated `str`/`int`/`bool` or one that returns such literals);
    - inside such a literal, a local computed by an unknown call that the route never
      reads fields of and that is not named as a collection (`{"result": result}`); one
      it reads fields of (`payment.preimage`, then `{"details": payment}`) or a collection
      (`{"items": items}`) is a record and is reported;
    - a pydantic model none of whose fields (inherited or nested, any depth) holds a
      credential as FAPI501 judges one: built by the route (`UserOut(...)`,
      `UserOut.model_validate(user)`, `model.model_dump()`), returned by a project function
      annotated with it or building it, or by a dependency — what the dependency returns
      decides, not the parameter's annotation (`current: User = Depends(...)` may hold a
      `UserInDB` with its `hashed_password`, which is reported); a field of such a model
      (`recipe.slug`);
    - a part of a spelled-out value unpacked (`months, counts = forecast(...)`);
    - in a class-based view, the value of a method of a property annotated with a project
      class (`self.service.update_one(...)` where `service` returns `RecipeService`); the
      view's `self` is no request input, so `self.repo.get_empty()` is judged like any call;
      an unannotated property is typed by what it returns (`return Repo[TagIn, TagOut](db)`,
      `return self.repos.tags`, a class-level `_repos: Repos | None`), and a method annotated
      with a class parameter of `Generic[...]` (`-> ReadT | None`) returns the type argument,
      passed down through the subscripts of base classes (`class TagRepo(Repo[TagOut, Tag])`);
    - a scalar column of an ORM row, wherever the row comes from (`return seat.grade` for
      `seat` in a relationship): every class of the project that declares `grade` declares a
      scalar (`Column(String)`, `Mapped[str]`, a `str` field, an enum); a relationship, a
      backref or a credential's name (`hashed_password`) is reported;
    - a `Response` object (`JSONResponse(...)`, `templates.TemplateResponse(...)`,
      `get_redoc_html(...)`, an instance of a project subclass of a `Response` class at any
      depth), also returned by a project function or method (any depth,
      `await backend.login(...)` where every project `login` returns a `Response`);
    - the value of a project function that only returns such values; a method called on a
      parameter is the method of the class the parameter is annotated with
      (`user.get_claims()` of `user: User`, even after `user = await manager.update(user)`),
      or of the class its dependency is annotated to return (`user: CurrentUser`, an
      `Annotated` alias of another module);
      a helper annotated with a `TypeVar` bound to a `Response` (`-> ResponseT`, handing back
      the response it was given) returns a `Response`.

    ## Why is this bad?
    Without a response model FastAPI serializes whatever the function returns: an ORM
    object or a dict returned as is goes out with every field, including the ones that must
    not leave the server (`hashed_password`, internal flags). The OpenAPI schema also has no
    response shape, so clients cannot be generated or checked against it.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def get_user(user_id: int):
        return await users.get(user_id)
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}", response_model=UserPublic)
    async def get_user(user_id: int) -> UserPublic:
        return await users.get(user_id)
    ```

    ## References
    - [FastAPI: Response Model - Return Type](https://fastapi.tiangolo.com/tutorial/response-model/)
    """

    CODE = "FAPI201"
    NAME = "missing-response-model"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("routes", "api-design")
    SEEDS = ("000", "001", "002", "004")
    PROJECT_FACTS = (RETURNS, MODELS)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return has_route(text, HTTP_ROUTE_METHODS)  # a websocket route has no response model

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._values: Dict[int, _Values] = {}

    def wants(self, routes: List[RouteInfo]) -> bool:
        function = routes[0].function
        return function.returns is None and any(self._unmodelled(route) for route in routes)

    def _unmodelled(self, route: RouteInfo) -> bool:
        if route.is_websocket:
            return False
        if route.keyword("response_model") is not None or route.keyword("response_class") is not None:
            return False
        return status_code_number(route, self.ctx) not in _NO_BODY_STATUS

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        depth = len(self._stack)
        super().visit_FunctionDef(node)
        if len(self._stack) > depth:
            route = self._stack[-1][1][0]
            inputs: Set[str] = set()
            dependencies: Set[str] = set()
            for param in iter_params(node.params):
                if param.name.value in ("self", "cls"):
                    continue  # a class-based view: the view object, not the request's data
                source = self.ctx.param_source(param, route)
                if source.kind != DEPENDS or self._plain_dependency(param, source.target):
                    inputs.add(param.name.value)
                else:
                    dependencies.add(param.name.value)
            self._values[id(node)] = _Values(inputs, dependencies)

    def _plain_dependency(self, param: cst.Param, target: Optional[str]) -> bool:
        """A dependency whose value is a scalar (`token: str = Depends(oauth2_scheme)`) or
        one the dependency spells out (`return {"q": q, "skip": skip}`)."""
        if param.annotation is not None and self.ctx.annotation_type(param.annotation.annotation) in _SCALAR_TYPES:
            return True
        returns = return_index(self.ctx.project)
        if returns is None or not target or target.startswith("<local>"):
            return False
        return returns.of_function(target.replace("()", "")) == PLAIN

    def _current(self) -> Optional[_Values]:
        return self._values.get(id(self._stack[-1][0])) if self._stack and self._body() is not None else None

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        values = self._current()
        if values is not None:
            for target in node.targets:
                # `months, counts = helper()`: each part has the kind of the whole value
                self._bind(values, target.target, node.value, unpacked=True)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        values = self._current()
        if values is not None and node.value is not None:
            self._bind(values, node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        values = self._current()
        if values is not None:
            self._bind(values, node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        values = self._current()
        if values is not None:
            self._bind(values, node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        values = self._current()
        if values is not None and node.asname is not None:
            self._bind(values, node.asname.name, None)

    @staticmethod
    def _bind(
        values: _Values, target: cst.BaseExpression, value: Optional[cst.BaseExpression],
        unpacked: bool = False,
    ) -> None:
        names = [target] if isinstance(target, cst.Name) else [
            e.value for e in getattr(target, "elements", ()) if isinstance(e.value, cst.Name)
        ]
        for name in names:
            assert isinstance(name, cst.Name)
            # a loop-bound value is unknown: cst.Name("__unknown__") never classifies plain
            known = value is not None and (isinstance(target, cst.Name) or unpacked)
            bound = value if known else cst.Name("__unknown__")
            values.assigned.setdefault(name.value, []).append(bound)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        values = self._current() if self._stack else None
        if values is not None and isinstance(node.value, cst.Name):
            values.objects.add(node.value.value)

    def leave_Return(self, original_node: cst.Return) -> None:
        # judged on leaving: the fields the return itself reads (`payment.preimage`) count
        node = original_node
        values = self._current()
        if values is None or node.value is None or values.unknown is not None:
            return
        if self._kind(node.value, values, set(), top=True) == UNKNOWN:
            values.unknown = node.value

    # -- what a value is --------------------------------------------------------------------
    def _kind(self, expr: cst.BaseExpression, values: _Values, seen: Set[str], top: bool = False) -> str:
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString,
                             cst.Integer, cst.Float, cst.Imaginary)):
            return PLAIN
        if isinstance(expr, cst.Await):
            return self._kind(expr.expression, values, seen, top)
        if isinstance(expr, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
            return self._container(expr, values, seen)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self._comprehension(expr, values, seen)
        if isinstance(expr, cst.Name):
            return self._name(expr, values, seen, top)
        if isinstance(expr, cst.Attribute):
            # a field of an object inside a literal is a value the code picked; returned
            # alone, a piece of a value whose shape is known (`recipe.slug` of a model)
            return PLAIN if not top or _root_in(expr, values.inputs) else self._kind(expr.value, values, seen, top)
        if isinstance(expr, cst.Subscript):
            return self._kind(expr.value, values, seen, top)
        if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
            return _worst(self._kind(expr.left, values, seen, top), self._kind(expr.right, values, seen, top))
        if isinstance(expr, (cst.UnaryOperation, cst.Comparison)):
            return PLAIN
        if isinstance(expr, cst.IfExp):
            return _worst(self._kind(expr.body, values, seen, top), self._kind(expr.orelse, values, seen, top))
        if isinstance(expr, cst.Call):
            return self._call(expr, values, seen, top)
        return UNKNOWN

    def _container(self, expr, values: _Values, seen: Set[str]) -> str:
        kinds = []
        shapes = set()
        for element in expr.elements:
            if isinstance(element, (cst.StarredElement, cst.StarredDictElement)):
                kinds.append(self._kind(element.value, values, seen))
                continue
            kinds.append(self._member(element.value, values, seen))
            if isinstance(element.value, cst.Dict):
                shapes.add(_keys(element.value))
        if any(not (a <= b or b <= a) for a in shapes for b in shapes):
            # records of different shapes (`name` in one, `email` in the other): nothing
            # holds the response together; an optional key (`purpose` in some) is one shape
            return UNKNOWN
        return UNKNOWN if UNKNOWN in kinds else PLAIN

    def _member(self, expr: cst.BaseExpression, values: _Values, seen: Set[str]) -> str:
        """A value inside a literal the route spells out: a local holding something unknown
        is a record when the route reads its fields (`payment.preimage`, then
        `{"details": payment}`) or it is named as a collection (`{"items": items}`);
        `{"result": result}` of a computation is a value."""
        kind = self._kind(expr, values, seen)
        if (
            kind == UNKNOWN and isinstance(expr, cst.Name) and expr.value in values.assigned
            and expr.value not in values.objects and not _plural(expr.value)
        ):
            return PLAIN
        return kind

    def _name(self, expr: cst.Name, values: _Values, seen: Set[str], top: bool) -> str:
        name = expr.value
        if name in ("None", "True", "False") or name in values.inputs:
            return PLAIN
        if name in seen:
            return PLAIN  # `rows = rows + more`: the other assignments decide
        if name in values.dependencies:
            return UNKNOWN
        if name.isupper() and len(name) > 1:
            return PLAIN  # a module constant: data the code itself defines
        assigned = values.assigned.get(name)
        if assigned is not None:
            kinds = [self._kind(v, values, seen | {name}, top) for v in assigned]
            return UNKNOWN if UNKNOWN in kinds else PLAIN if PLAIN in kinds else RESPONSE
        constant = self.ctx.constant(expr)
        if constant is not expr and not isinstance(constant, (cst.Name, cst.Attribute, cst.Call)):
            return self._kind(constant, values, seen | {name}, top)
        return UNKNOWN

    def _call(self, call: cst.Call, values: _Values, seen: Set[str], top: bool) -> str:
        resolved = self.ctx.resolve(call.func)
        if is_response_object(self.ctx.resolve(call)) or resolved in _RESPONSE_FUNCTIONS:
            return RESPONSE
        if resolved in _SCALAR_CALLS or (resolved == "builtins.getattr" and not top):
            return PLAIN
        if resolved in _PASS_THROUGH:
            kinds = [self._kind(arg.value, values, seen, top) for arg in call.args]
            return UNKNOWN if UNKNOWN in kinds or not kinds and resolved != "builtins.dict" else PLAIN
        index = model_index(self.ctx.project)
        if index.derives_from(resolved, lambda base: is_response_object(base + "()")):
            return RESPONSE  # a project subclass of a Response class
        if index.is_model_ref(resolved):
            return _model_kind(index, resolved)  # UserOut(...): the model's fields
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            built = self.ctx.resolve(func.value)
            if method in _MODEL_BUILDERS and index.is_model_ref(built):
                return _model_kind(index, built)
            if method in ("model_dump", "model_dump_json") or (
                method in _MODEL_DUMPS and self._is_model_value(func.value, values)
            ):
                return PLAIN
            if _root_in(func.value, values.inputs):
                return PLAIN  # `body.data.decode()`: derived from what the caller sent
            if method in _CONTAINER_READS and self._kind(func.value, values, seen, top) == PLAIN:
                return PLAIN  # `DATA.get(key)`: a piece of a literal
            if method == "keys":
                return PLAIN  # the keys of a mapping: names, not records
        return self._project_call(call, resolved, top)

    def _is_model_value(self, expr: cst.BaseExpression, values: _Values) -> bool:
        if isinstance(expr, cst.Call):
            return self._call(expr, values, set(), True) == PLAIN
        if isinstance(expr, cst.Name) and expr.value in values.inputs:
            return True
        return model_index(self.ctx.project).is_model_ref(self.ctx.resolve(expr))

    def _project_call(self, call: cst.Call, resolved: Optional[str], top: bool) -> str:
        returns = return_index(self.ctx.project)
        if returns is None:
            return UNKNOWN
        if resolved is not None and not resolved.startswith("<local>"):
            # `Backend().login` (a method of a typed instance) is `Backend.login`
            kind = returns.of_function(resolved.replace("()", ""))
            if kind is not None:
                return kind
        func = call.func
        owner = func.value if isinstance(func, cst.Attribute) else None
        if (
            isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name)
            and owner.value.value == "self" and isinstance(func, cst.Attribute)
        ):
            # `self.service.update_one(...)`: the view's `service` property is annotated
            typed = self._self_attribute_type(returns, owner.attr.value)
            kind = returns.of_method(typed, func.attr.value) if typed else None
            if kind is not None:
                return kind
        if isinstance(func, cst.Attribute) and isinstance(owner, cst.Name):
            typed = self._param_class(owner.value)
            kind = returns.of_function(f"{typed}.{func.attr.value}") if typed else None
            if kind is not None:
                return kind  # `user.get_claims()` of `user: User`: `User.get_claims` decides
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name_parts(name)[-1:] == ["redirect"]:
            return RESPONSE  # `sso.get_login_redirect(...)`, `client.authorize_redirect(...)`
        if isinstance(call.func, cst.Attribute):
            # a method of the project's own object (`self.service.create(...)`) is a project
            # method: when every one so named returns a known shape, so does this one
            own = _root_in(call.func.value, {"self"})
            return returns.of_method_name(call.func.attr.value, plain=not top or own) or UNKNOWN
        return UNKNOWN

    def _param_class(self, name: str) -> Optional[str]:
        """The class the route's parameter ``name`` is annotated with (a reassigned local keeps
        its declared type); one that names no project class (an ``Annotated`` alias of
        another module) is typed by its dependency's return annotation."""
        for param in iter_params(self._stack[-1][0].params):
            if param.name.value == name and param.annotation is not None:
                typed = self.ctx.annotation_type(param.annotation.annotation)
                typed = typed[:-2] if typed and typed.endswith("()") else None
                if typed is not None and model_index(self.ctx.project).find_class(typed) is not None:
                    return typed
                source = self.ctx.param_source(param, self._stack[-1][1][0])
                returns = return_index(self.ctx.project)
                if source.kind == DEPENDS and source.target and returns is not None:
                    return returns.annotated_class(source.target.replace("()", "")) or typed
                return typed
        return None

    def _self_attribute_type(self, returns, attr: str) -> Optional[str]:
        """The annotated class of property ``attr`` of the class the route is a method of."""
        classes = [frame.node for frame in self.ctx.frames if isinstance(frame.node, cst.ClassDef)]
        if len(classes) != 1 or len(self.ctx.frames) < 2 or self.ctx.frames[1].node is not classes[0]:
            return None  # a method of a module-level class only
        return returns.type_of_attribute((self.ctx.facts.module_name, classes[0].name.value), attr)

    def _comprehension(self, expr, values: _Values, seen: Set[str]) -> str:
        """The element's shape, loop variables taking the iterable's."""
        added: List[str] = []
        for clause in _for_clauses(expr.for_in):
            kind = self._kind(clause.iter, values, seen)
            stand_in = cst.Integer("0") if kind == PLAIN else cst.Name("__unknown__")
            for target in _target_names(clause.target):
                if target not in values.assigned:
                    values.assigned[target] = [stand_in]
                    added.append(target)
        try:
            parts = [expr.key, expr.value] if isinstance(expr, cst.DictComp) else [expr.elt]
            kinds = [self._kind(part, values, seen) for part in parts]
        finally:
            for target in added:
                del values.assigned[target]
        return UNKNOWN if UNKNOWN in kinds else PLAIN

    def check(self, function: cst.FunctionDef, routes: List[RouteInfo], body: RouteBody) -> None:
        values = self._values.pop(id(function), None)
        if not body.returns_value or body.all_responses:
            return
        if values is not None and values.unknown is None:
            return
        self.report(
            function.name,
            f"Route `{function.name.value}` has neither `response_model=` nor a return annotation: "
            "whatever it returns is serialized as is",
        )


def _model_kind(index, ref: Optional[str]) -> str:
    """A pydantic model's value leaks nothing unless one of its fields (any depth) holds a
    credential (`UserInDB(**row)` sends its `hashed_password`)."""
    return UNKNOWN if index.holds_secret(ref) else PLAIN


def _plural(name: str) -> bool:
    last = (name_parts(name) or [""])[-1]
    return len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _for_clauses(clause: Optional[cst.CompFor]) -> List[cst.CompFor]:
    found = []
    while clause is not None:
        found.append(clause)
        clause = clause.inner_for_in
    return found


def _target_names(target: cst.BaseExpression) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    return [n for e in getattr(target, "elements", ()) for n in _target_names(e.value)]


def _keys(node: cst.Dict) -> FrozenSet[str]:
    return frozenset(
        e.key.evaluated_value if isinstance(e.key, cst.SimpleString) else "?"
        for e in node.elements if isinstance(e, cst.DictElement)
    )


def _root_in(expr: cst.BaseExpression, names: Set[str]) -> bool:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return isinstance(expr, cst.Name) and expr.value in names


def _worst(*kinds: str) -> str:
    if UNKNOWN in kinds:
        return UNKNOWN
    return PLAIN if PLAIN in kinds else RESPONSE

"""What the project's functions return, for FAPI201: a ``Response``, a value whose shape the
code spells out, or something unknown.

A route without a response model that returns ``await backend.login(...)`` or
``get_redoc_html(...)`` sends a ``Response`` as it is; one that returns
``await helper()`` where ``helper`` only returns ``{"status": "ok"}`` leaks nothing either.
The project pass records, for every module-level function and every method of a
module-level class, one entry per ``return``:

- ``"response"``: a call of a class named ``*Response`` (or the function is annotated so);
- ``"plain"``: a literal, a container of literals, or the function is annotated with a
  scalar type;
- ``"call:<dotted>"``: the value of a call of a named function, decided at query time
  (the callee may live in a module the pass has not read yet);
- ``"type:<dotted>"`` first: the function's return annotation, decided at query time (a
  project pydantic model is a typed value; anything else leaves it to the returns);
- a returned local stands for the values assigned to it (``user = get_user(...)``; a
  tuple unpacked shares the whole value's kind), a returned parameter for its dependency's
  value (``call:``) or its annotation (``model:<dotted>``, a scalar).

A pydantic model is a value spelled out only when none of its fields (any depth) holds a
credential (``ModelIndex.holds_secret``, FAPI501's judgement of a field).
- ``"unknown"``: anything else.

Typing through classes, decided at query time:

- ``"typevar:R"`` first: a method annotated with a class parameter (``-> R | None`` in
  ``class Repo(Generic[C, R])``) returns the type argument of the instance it is called on
  (``of_method("pkg.Repo[pkg.In,pkg.Out]", "create")``), passed down through the bases'
  subscripts (``@bases.`` entries); called on no typed instance, the kinds after it decide;
- ``"new:pkg.Repo[pkg.In,pkg.Out]"``: an instance of a generic class built with arguments;
- ``"selfattr:pkg.View|repos.tags"``: ``self.repos.tags``, typed through the class's
  properties and class-level annotations (``@field.`` entries); an unannotated property is
  typed by the instance it returns (``type_of_attribute``);
- ``"attribute:grade"``: a field of an unknown value (``seat.grade`` for a row from a loop),
  ``plain`` when every class of the project that declares ``grade`` declares a scalar
  (``@attributes``: SQLAlchemy columns of scalar types, ``Mapped[str]``, ``str`` fields, enums).
"""
from __future__ import annotations

import ast
import bisect
import os
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements
from fastapi_lint.words import name_parts
from fastapi_lint.project.index import LazyAst, ModuleSummary, ProjectIndex, collector, walked_fields
from fastapi_lint.project.models import model_index
from fastapi_lint.rules.models._sensitive import sensitive_word
from fastapi_lint.project.signatures import SIGNATURES

RETURNS = "function_returns"
RESPONSE, PLAIN, UNKNOWN = "response", "plain", "unknown"
_SCALARS = frozenset({"str", "int", "float", "bool", "bytes", "None"})
_SCALAR_CALLS = frozenset({"str", "int", "float", "bool", "len", "round", "repr"})
_MAX_DEPTH = 6

Kinds = Tuple[str, ...]


# "class ": what a class declares (columns, fields, type parameters) types values elsewhere
@collector(RETURNS, triggers=("return", "import *", "class "))
def _collect(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, os.path.basename(path).startswith("__init__."))
    names: Dict[str, str] = {}
    statements = list(module_statements(module.body))
    stars: List[str] = []
    for stmt in statements:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update(import_bindings(stmt, package))
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                stars.append(_star_module(stmt, package))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[stmt.name] = f"{summary.module}.{stmt.name}" if summary.module else stmt.name
    found: Dict[str, Kinds] = {}
    returns = _returns_by_function(tree) if "return" in text else {}
    bounds = _type_var_bounds(statements)
    type_vars = _type_var_names(statements)
    attributes: Dict[str, Set[str]] = {}
    for stmt in statements:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[stmt.name] = _function_kinds(stmt, names, returns, bounds=bounds)
        elif isinstance(stmt, ast.ClassDef):
            params = _class_params(stmt, type_vars)
            if params:
                found[f"{_PARAMS}{stmt.name}"] = params
            bases = tuple(b for b in (_type_ref(base, names, type_vars) for base in stmt.bases) if b)
            if any("[" in base for base in bases):
                found[f"{_BASES}{stmt.name}"] = bases
            _class_attributes(stmt, attributes, names)
            for item in stmt.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    typed = _optional_inner(item.annotation)
                    dotted = _dotted(typed, names) if isinstance(typed, (ast.Name, ast.Attribute)) else None
                    if dotted is not None:  # `_repos: AllRepositories | None = None`
                        found[f"{_FIELD}{stmt.name}.{item.target.id}"] = ("type:" + dotted,)
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    owner = f"{summary.module}.{stmt.name}" if summary.module else stmt.name
                    found[f"{stmt.name}.{item.name}"] = _function_kinds(item, names, returns, owner, bounds, params)
    if attributes:
        found[_ATTRIBUTES] = tuple(f"{name}={kind}" for name, kinds in sorted(attributes.items())
                                   for kind in sorted(kinds))
    if stars:
        found[_STARS] = tuple(stars)  # `from .security import *`: names re-exported from there
    if found:
        summary.extra[RETURNS] = found


_STARS = "*"
# entries that are facts about classes, not functions (no function name starts with "@")
_PARAMS = "@params."  # a generic class's TypeVar parameters, in order
_BASES = "@bases."  # a class's bases, with their type arguments (`Base[Model, ~T]`)
_FIELD = "@field."  # a class-level annotation of an attribute: `Class.attr` -> its class
_ATTRIBUTES = "@attributes"  # `name=plain|unknown` for every attribute a class declares
# SQLAlchemy column types holding a scalar
_COLUMN_TYPES = frozenset({
    "String", "Text", "Unicode", "UnicodeText", "Integer", "BigInteger", "SmallInteger", "Boolean",
    "Float", "Numeric", "DECIMAL", "DateTime", "Date", "Time", "Interval", "Enum", "Uuid", "UUID",
    "VARCHAR", "CHAR", "INTEGER", "BOOLEAN", "TIMESTAMP", "TEXT",
})
_SCALAR_ANNOTATIONS = _SCALARS | frozenset({"datetime", "date", "time", "timedelta", "UUID", "UUID4", "Decimal"})
# subscripted annotations that are no project class with type arguments
_TYPING_GENERICS = frozenset({
    "list", "List", "dict", "Dict", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "Optional",
    "Union", "Sequence", "Iterable", "Iterator", "Generator", "AsyncGenerator", "AsyncIterator", "Mapping",
    "Annotated", "type", "Type", "Literal", "Awaitable", "Coroutine", "Callable", "Collection",
})
_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_RELATIONSHIP_CALLS = frozenset({"relationship", "relation", "backref"})


def _star_module(stmt: ast.ImportFrom, package: str) -> str:
    if not stmt.level:
        return stmt.module or ""
    base = package.split(".") if package else []
    base = base[: len(base) - (stmt.level - 1)] if stmt.level > 1 else base
    return ".".join([*base, *([stmt.module] if stmt.module else [])])


def _type_var_bounds(statements: List[ast.stmt]) -> Dict[str, ast.expr]:
    """``ResponseT = TypeVar("ResponseT", bound=Response)``: ``{"ResponseT": Response}``. A
    function annotated with the TypeVar returns an instance of its bound (the Response it
    was handed); the bound says what that value is."""
    bounds: Dict[str, ast.expr] = {}
    for stmt in statements:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call) and _last_name(stmt.value.func) == "TypeVar"):
            continue
        for keyword in stmt.value.keywords:
            if keyword.arg == "bound":
                bound = keyword.value
                if isinstance(bound, ast.Constant) and isinstance(bound.value, str):
                    bound = ast.Name(id=bound.value, ctx=ast.Load())  # a forward reference
                bounds[stmt.targets[0].id] = bound
    return bounds


def _type_var_names(statements: List[ast.stmt]) -> Set[str]:
    return {
        stmt.targets[0].id for stmt in statements
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Call) and _last_name(stmt.value.func) == "TypeVar"
    }


def _subscript_args(expr: ast.Subscript) -> List[ast.expr]:
    inner = expr.slice
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def _class_params(cls: ast.ClassDef, type_vars: Set[str]) -> Tuple[str, ...]:
    """``class Repo(Generic[C, R])`` -> ``("C", "R")``; without ``Generic[...]``, the TypeVars
    of the subscripted bases in order (``class Repo(Base[S, M])``)."""
    found: List[str] = []
    for base in cls.bases:
        if isinstance(base, ast.Subscript):
            names = [a.id for a in _subscript_args(base) if isinstance(a, ast.Name) and a.id in type_vars]
            if _last_name(base.value) == "Generic":
                return tuple(names)
            found.extend(n for n in names if n not in found)
    return tuple(found)


def _type_ref(expr: ast.expr, names: Dict[str, str], type_vars: Set[str]) -> Optional[str]:
    """A class reference with its type arguments: ``pkg.Repo[pkg.TagOut,~T]`` (``~`` marks a
    TypeVar of the class being read, ``?`` an argument that names no class)."""
    if not isinstance(expr, ast.Subscript):
        return _dotted(expr, names)
    head = _dotted(expr.value, names)
    if head is None:
        return None
    args = [
        f"~{arg.id}" if isinstance(arg, ast.Name) and arg.id in type_vars else _dotted(arg, names) or "?"
        for arg in _subscript_args(expr)
    ]
    return f"{head}[{','.join(args)}]"


def _class_attributes(cls: ast.ClassDef, found: Dict[str, Set[str]], names: Dict[str, str]) -> None:
    """What each attribute the class declares in its body holds: ``plain`` for a scalar (a
    SQLAlchemy column of a scalar type, ``Mapped[str]``, a field annotated ``str``, a literal),
    ``type:<dotted>`` for one annotated with a class (an enum is a scalar, decided at query
    time), ``unknown`` for anything else (a relationship and its backref)."""
    def record(name: str, kind: str) -> None:
        found.setdefault(name, set()).add(kind)

    for item in cls.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
            kind = _declared_kind(item.value, None, names)
            if kind is not None:
                record(item.targets[0].id, kind)
            _record_backrefs(item.value, record)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            record(item.target.id, _declared_kind(item.value, item.annotation, names) or UNKNOWN)
            if item.value is not None:
                _record_backrefs(item.value, record)


def _declared_kind(value: Optional[ast.expr], annotation: Optional[ast.expr], names: Dict[str, str]) -> Optional[str]:
    """None for an unannotated value that declares no type (a factory's `Faker(...)`, a
    descriptor, an alias of another name): it says nothing about what rows hold."""
    if annotation is not None:
        inner = annotation
        if isinstance(inner, ast.Subscript) and _last_name(inner.value) == "Mapped":
            inner = inner.slice
        inner = _optional_inner(inner)
        if isinstance(value, ast.Call) and _last_name(value.func) in _RELATIONSHIP_CALLS:
            return UNKNOWN
        if _last_name(inner) in _SCALAR_ANNOTATIONS and not isinstance(inner, ast.Subscript):
            return PLAIN
        dotted = _dotted(inner, names) if isinstance(inner, (ast.Name, ast.Attribute)) else None
        return "type:" + dotted if dotted is not None else UNKNOWN
    if isinstance(value, ast.Call) and _last_name(value.func) in _COLUMN_CALLS:
        types = [a for a in value.args if not isinstance(a, ast.Constant)]
        column_type = types[0] if types else None
        if isinstance(column_type, ast.Call):
            column_type = column_type.func
        return PLAIN if column_type is not None and _last_name(column_type) in _COLUMN_TYPES else UNKNOWN
    if isinstance(value, ast.Call) and _last_name(value.func) in _RELATIONSHIP_CALLS:
        return UNKNOWN
    return PLAIN if value is not None and _is_literal(value) else None


def _record_backrefs(value: ast.expr, record) -> None:
    """``relationship(User, backref="memberships")`` gives ``User`` a ``memberships``: rows."""
    for node in ast.walk(value):
        if isinstance(node, ast.keyword) and node.arg in ("backref", "back_populates"):
            named = node.value
            if isinstance(named, ast.Call) and _last_name(named.func) == "backref" and named.args:
                named = named.args[0]
            if isinstance(named, ast.Constant) and isinstance(named.value, str):
                record(named.value, UNKNOWN)


def _forward(annotation: ast.expr) -> ast.expr:
    """A string annotation (a forward reference) parsed; others as they are."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return annotation
    return annotation


def _optional_inner(annotation: ast.expr) -> ast.expr:
    """``X | None``, ``Optional[X]``, ``"X"`` -> ``X``; other annotations as they are."""
    annotation = _forward(annotation)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side, other in ((annotation.left, annotation.right), (annotation.right, annotation.left)):
            if isinstance(other, ast.Constant) and other.value is None:
                return _optional_inner(side)
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Optional":
        return _optional_inner(annotation.slice)
    return annotation


def _bound(annotation: ast.expr, bounds: Dict[str, ast.expr]) -> ast.expr:
    """The annotation, a TypeVar replaced by its bound."""
    if isinstance(annotation, ast.Name) and annotation.id in bounds:
        return bounds[annotation.id]
    return annotation


def _dotted(expr: ast.expr, names: Dict[str, str]) -> Optional[str]:
    parts: List[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    head = names.get(expr.id)
    if head is None:
        return None
    return ".".join([head, *reversed(parts)])


def _last_name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else ""


def _function_kinds(function, names: Dict[str, str], returns: Dict[int, List[ast.expr]], owner: str = "",
                    bounds: Optional[Dict[str, ast.expr]] = None, params: Tuple[str, ...] = ()) -> Kinds:
    annotation = function.returns
    if annotation is not None and params:
        inner = _optional_inner(annotation)
        if isinstance(inner, ast.Name) and inner.id in params:
            # `-> ReadT` of `class Repo(Generic[CreateT, ReadT])`: the instance's type argument
            # decides at query time; without one, what follows
            return (f"{_TYPE_VAR}{inner.id}", *_annotated_kinds(function, names, returns, owner, bounds or {}))
    return _annotated_kinds(function, names, returns, owner, bounds or {})


_TYPE_VAR = "typevar:"
_ATTRIBUTE = "attribute:"
_SELF_ATTRIBUTE = "selfattr:"
_NEW = "new:"  # an instance of a generic class with its type arguments


def _annotated_kinds(function, names: Dict[str, str], returns: Dict[int, List[ast.expr]], owner: str,
                     bounds: Dict[str, ast.expr]) -> Kinds:
    annotation = function.returns
    if annotation is not None:
        annotation = _bound(_forward(annotation), bounds)
        if isinstance(annotation, ast.Constant) and annotation.value is None:
            return (PLAIN,)
        last = _last_name(annotation)
        if last.endswith("Response"):
            return (RESPONSE,)
        if last in _SCALARS:
            return (PLAIN,)
        inner = _unwrap_container(annotation)
        if _last_name(inner) in _SCALARS and inner is not annotation:
            return (PLAIN,)  # `list[str]`
        dotted = _dotted(inner, names)
        if dotted is None and isinstance(inner, ast.Subscript) and _last_name(inner.value) not in _TYPING_GENERICS:
            dotted = _type_ref(inner, names, set())  # `Repo[TagOut]`: a class with its type arguments
        if dotted is not None:
            # a model says it all; `list[dict]`, `dict`, an ORM class: the returns decide
            return ("type:" + dotted, *_returns_kinds(function, names, returns, owner, bounds))
    return _returns_kinds(function, names, returns, owner, bounds)


def _returns_kinds(function, names: Dict[str, str], returns: Dict[int, List[ast.expr]], owner: str,
                   bounds: Dict[str, ast.expr]) -> Kinds:
    values = returns.get(id(function), ())
    if not values:
        return ()
    local = _Locals(function, names, owner, bounds)
    return tuple(kind for value in values for kind in local.kinds(value))


class _Locals:
    """What a function's locals hold, for ``return user``: the values assigned to them (a
    tuple unpacked shares the kind of the whole value), or a parameter's dependency or
    annotation."""

    def __init__(self, function, names: Dict[str, str], owner: str, bounds: Dict[str, ast.expr]) -> None:
        self._names = names
        self._bounds = bounds
        self._owner = owner  # the class of a method: `self.service.create(...)`
        self._function = function
        self._table: Optional[Dict[str, List[Union[ast.expr, str]]]] = None

    @property
    def _assigned(self) -> Dict[str, List[Union[ast.expr, str]]]:
        """Built on the first returned name: most functions return calls and literals."""
        if self._table is None:
            self._table = {}
            self._read(self._function)
        return self._table

    def _read(self, function) -> None:
        assert self._table is not None
        for arg, default in _params_with_defaults(function.args):
            self._table.setdefault(arg.arg, []).append(_param_kind(arg, default, self._names, self._bounds))
        for node in _own_nodes(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                self._bind(node.target, UNKNOWN)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._bind(node.optional_vars, UNKNOWN)
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, node.value)

    def _bind(self, target: ast.expr, value: Union[ast.expr, str]) -> None:
        if isinstance(target, ast.Name):
            assert self._table is not None
            self._table.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element.value if isinstance(element, ast.Starred) else element, value)
        # `self.x = ...`, `row["k"] = ...`: not a local

    def kinds(self, value: ast.expr, seen: FrozenSet[str] = frozenset()) -> Kinds:
        if isinstance(value, ast.Name) and value.id not in seen and value.id in self._assigned:
            found: List[str] = []
            for assigned in self._assigned[value.id]:
                if isinstance(assigned, str):
                    found.append(assigned)
                else:
                    found.extend(self.kinds(assigned, seen | {value.id}))
            return tuple(found)
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id != "self":
            whole = self.kinds(value.value, seen)  # `recipe.slug`: a piece of a known value
            # `seat.grade` of a row from anywhere: what the project's classes declare `grade` as
            return (f"{_ATTRIBUTE}{value.attr}",) if UNKNOWN in whole else whole
        chain = _self_chain(value)
        if self._owner and chain:
            # `self.repos.tags`: typed at query time through the class's attributes
            return (f"{_SELF_ATTRIBUTE}{self._owner}|{'.'.join(chain)}",)
        call = value.value if isinstance(value, ast.Await) else value
        if (
            self._owner and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Attribute) and isinstance(call.func.value.value, ast.Name)
            and call.func.value.value.id == "self"
        ):
            # a method of a property of this class, typed at query time
            return (f"self:{self._owner}|{call.func.value.attr}|{call.func.attr}",)
        return (_return_kind(value, self._names),)


def _self_chain(value: ast.expr) -> List[str]:
    """``self.repos.tags`` -> ``["repos", "tags"]``; anything else -> ``[]``."""
    chain: List[str] = []
    while isinstance(value, ast.Attribute):
        chain.append(value.attr)
        value = value.value
    return chain[::-1] if isinstance(value, ast.Name) and value.id == "self" else []


def _params_with_defaults(args: ast.arguments):
    positional = [*args.posonlyargs, *args.args]
    defaults: List[Optional[ast.expr]] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, defaults)
    yield from zip(args.kwonlyargs, args.kw_defaults)


def _depends_target(expr: Optional[ast.expr]) -> Optional[ast.expr]:
    if isinstance(expr, ast.Call) and _last_name(expr.func) in ("Depends", "Security") and expr.args:
        return expr.args[0]
    return None


def _param_kind(arg: ast.arg, default: Optional[ast.expr], names: Dict[str, str],
                bounds: Dict[str, ast.expr]) -> str:
    """A parameter's value: its dependency's (the annotation of a dependency parameter may
    name a base class of what the dependency returns), a scalar, a model its annotation
    names, a Response (a TypeVar bound to one), or unknown."""
    annotation = _bound(arg.annotation, bounds) if arg.annotation is not None else None
    target = _depends_target(default)
    if target is None and isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Annotated":
        inner = annotation.slice
        for extra in (inner.elts[1:] if isinstance(inner, ast.Tuple) else ()):
            target = target or _depends_target(extra)
    if target is not None:
        dotted = _dotted(target, names)
        return "call:" + dotted if dotted is not None else UNKNOWN
    if annotation is None:
        return UNKNOWN
    if _last_name(annotation) in _SCALARS:
        return PLAIN
    if _last_name(annotation).endswith("Response"):
        return RESPONSE
    dotted = _dotted(annotation, names)
    return "model:" + dotted if dotted is not None else UNKNOWN


def _own_nodes(function) -> List[ast.AST]:
    """The function's nodes, nested scopes excluded (in ``ast.iter_child_nodes``'s depth-first
    order, without the contexts and operators)."""
    out: List[ast.AST] = []
    stack: List[ast.AST] = list(function.body)
    node_type, scopes = ast.AST, _SCOPES
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in scopes:
            continue
        out.append(node)
        for name in walked_fields(kind):
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                stack.append(value)
            elif type(value) is list:
                stack.extend(item for item in value if isinstance(item, node_type))
    return out


_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def _unwrap_container(annotation: ast.expr) -> ast.expr:
    """``list[UserOut]``/``Optional[UserOut]`` -> ``UserOut``; other annotations as they are."""
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) in ("list", "List", "Optional", "Sequence"):
        inner = annotation.slice
        return inner if isinstance(inner, (ast.Name, ast.Attribute)) else annotation
    return annotation


def _returns_by_function(tree: LazyAst) -> Dict[int, List[ast.expr]]:
    """The values of each function's own ``return`` statements (nested scopes have their
    own), keyed by ``id`` of the function node, from the module's node list the project pass
    walked once: the innermost function whose lines hold a ``return`` is its owner."""
    functions = sorted(tree.of_type(*_FUNCTION_TYPES), key=lambda node: node.lineno)  # type: ignore[attr-defined]
    starts = [function.lineno for function in functions]  # type: ignore[attr-defined]
    found: Dict[int, List[ast.expr]] = {}
    for node in tree.of_type(ast.Return):
        value = node.value  # type: ignore[attr-defined]
        if value is None or (type(value) is ast.Constant and value.value is None):
            continue
        line = node.lineno  # type: ignore[attr-defined]
        index = bisect.bisect_right(starts, line) - 1
        while index >= 0 and functions[index].end_lineno < line:  # type: ignore[attr-defined]
            index -= 1
        if index >= 0:
            found.setdefault(id(functions[index]), []).append(value)
    for values in found.values():
        values.sort(key=lambda value: (value.lineno, value.col_offset), reverse=True)
    return found


_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)


def _return_kind(value: ast.expr, names: Dict[str, str]) -> str:
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Call):
        if _last_name(value.func).endswith("Response"):
            return RESPONSE
        if _last_name(value.func) in ("model_dump", "model_dump_json"):
            return PLAIN  # a pydantic model's own fields
        if name_parts(_last_name(value.func))[-1:] == ["redirect"]:
            return RESPONSE  # `client.authorize_redirect(...)`: a RedirectResponse
        dotted = _dotted(value.func, names)
        if dotted is not None:
            return "call:" + dotted
        if isinstance(value.func, ast.Attribute):
            return "method:" + value.func.attr
        if isinstance(value.func, ast.Subscript):
            built = _type_ref(value.func, names, set())  # `Repo[TagIn, TagOut](session)`
            return _NEW + built if built is not None else UNKNOWN
        return UNKNOWN
    if _is_literal(value):
        return PLAIN
    return UNKNOWN


def _is_literal(value: ast.expr) -> bool:
    """Constants and containers of constants (names and attributes inside containers are
    values the code spells out, like ``{"status": status}``)."""
    if isinstance(value, (ast.Constant, ast.JoinedStr)):
        return True
    if isinstance(value, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
        # `{"status": "error", "message": str(e)}`: scalar conversions are spelled out too
        return not any(
            isinstance(node, ast.Call) and _last_name(node.func) not in _SCALAR_CALLS
            for node in ast.walk(value)
        )
    if isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        # `[member.value for member in cls]`, `[{"id": t.value} for t in cls]`: fields of each element
        return isinstance(value.elt, (ast.Attribute, ast.Constant, ast.JoinedStr)) or (
            isinstance(value.elt, ast.Dict) and _is_literal(value.elt)
        )
    return False


# -- queries -----------------------------------------------------------------------------
class ReturnIndex:
    """Whole-project answers: what does calling a project function return?"""

    def __init__(self, project: ProjectIndex) -> None:
        self._project = project
        self._by_method: Dict[str, List[Kinds]] = {}
        self._attributes: Dict[str, Set[str]] = {}
        self._typing: Set[Tuple[Tuple[str, str], str]] = set()
        for summary in project.modules.values():
            found = summary.extra.get(RETURNS)
            if isinstance(found, dict):
                for name, kinds in found.items():
                    if name == _ATTRIBUTES:
                        for entry in kinds:
                            attribute, _, kind = entry.partition("=")
                            self._attributes.setdefault(attribute, set()).add(kind)
                    if name == _STARS or name.startswith("@"):
                        continue
                    self._by_method.setdefault(name.rpartition(".")[2], []).append(kinds)
        self._memo: Dict[str, Optional[str]] = {}
        self._method_memo: Dict[str, Set[str]] = {}

    def of_function(self, dotted: str) -> Optional[str]:
        """``RESPONSE``/``PLAIN``/``UNKNOWN`` for a project function or method, None when it is
        not a project function."""
        if dotted not in self._memo:
            self._memo[dotted] = None  # cycle guard
            kinds = self._kinds(dotted)
            self._memo[dotted] = None if kinds is None else self._combine(kinds, 0)
        return self._memo[dotted]

    def type_of_attribute(self, owner: Tuple[str, str], attr: str) -> Optional[str]:
        """The class a property or method ``attr`` of project class ``owner`` (module, name)
        or of one of its project base classes is annotated to return: ``self.service`` of a
        view whose ``service`` property is annotated ``-> RecipeService``."""
        guard = (owner, attr)
        if guard in self._typing:
            return None  # a property returning itself, through others
        self._typing.add(guard)
        try:
            return self._attribute_type(owner, attr)
        finally:
            self._typing.discard(guard)

    def _attribute_type(self, owner: Tuple[str, str], attr: str) -> Optional[str]:
        index = model_index(self._project)
        for module, name in index.lineage(owner):
            kinds = self._kinds(f"{module}.{name}.{attr}") or self._class_fact(f"{module}.{name}", _FIELD, f".{attr}")
            if not kinds:
                continue
            if kinds[0].startswith("type:"):
                return kinds[0][len("type:"):]
            # unannotated: the instance of a project class every return builds, or one
            # attribute of the view (`return self.repos.tags`)
            built = {kind for kind in kinds if kind.startswith((_NEW, "call:", _SELF_ATTRIBUTE))}
            if len(built) != 1 or len(kinds) != len([k for k in kinds if k in built]):
                return None
            kind = built.pop()
            if kind.startswith(_SELF_ATTRIBUTE):
                return self._chain_type(f"{module}.{name}", kind.partition("|")[2].split("."))
            head, bracket, args = kind.partition(":")[2].partition("[")
            key = self._class_key(head)
            return f"{key[0]}.{key[1]}{bracket}{args}" if key is not None else None
        return None

    def _class_key(self, dotted: str, depth: int = 0) -> Optional[Tuple[str, str]]:
        """The project class ``dotted`` names, also through a module that imports it
        (``from .factory import AllRepositories`` in ``repos/all_repositories.py``)."""
        key = model_index(self._project).find_class(dotted)
        if key is not None or depth > _MAX_DEPTH:
            return key
        module, _, name = dotted.rpartition(".")
        summary = self._project.find_module(module) if module else None
        target = getattr(summary.extra.get(SIGNATURES), "aliases", {}).get(name) if summary is not None else None
        return self._class_key(target, depth + 1) if target and target != dotted else None

    def _chain_type(self, typed: Optional[str], chain: List[str]) -> Optional[str]:
        """The class of ``self.a.b`` for ``self`` of class ``typed`` and ``chain`` ``["a", "b"]``."""
        for part in chain:
            found = self._class_key(typed.partition("[")[0]) if typed else None
            typed = self.type_of_attribute(found, part) if found is not None else None
        return typed

    def of_method(self, typed: str, method: str) -> Optional[str]:
        """``of_function`` for ``method`` of an instance of ``typed`` (``pkg.Repo[pkg.In,pkg.Out]``,
        a class with its type arguments): a method found on the class or its project bases at
        any depth, a return annotated with a class parameter (``-> ReadT``) taking the type
        argument, passed down through the bases' subscripts (``class TagRepo(Repo[TagOut])``)."""
        key = f"{typed}|{method}"
        if key not in self._memo:
            self._memo[key] = None  # cycle guard
            head, _, args = typed.partition("[")
            found = self._method_of(head, _split_args(args), method, 0)
            self._memo[key] = found if found is not None else self.of_function(f"{head}.{method}")
        return self._memo[key]

    def _method_of(self, cls: str, args: List[str], method: str, depth: int) -> Optional[str]:
        found = self._class_key(cls)
        if found is None or depth > _MAX_DEPTH:
            return None
        cls = f"{found[0]}.{found[1]}"
        kinds = self._kinds(f"{cls}.{method}")
        if kinds is not None:
            if kinds and kinds[0].startswith(_TYPE_VAR):
                argument = self._argument(cls, args, kinds[0][len(_TYPE_VAR):])
                model = self.of_model(argument) if argument else None
                if model is not None:
                    return model
                kinds = kinds[1:]  # unsubstituted: the bound and the returns
            return self._combine(kinds, 0)
        # the bases with their type arguments, or (none subscripted) as the model index has them
        for base in self._class_fact(cls, _BASES) or model_index(self._project).bases(found):
            head, _, base_args = base.partition("[")
            passed = [self._argument(cls, args, a[1:]) or "?" if a.startswith("~") else a
                      for a in _split_args(base_args)]
            result = self._method_of(head, passed, method, depth + 1)
            if result is not None:
                return result
        return None

    def _argument(self, cls: str, args: List[str], type_var: str) -> Optional[str]:
        params = self._class_fact(cls, _PARAMS)
        if type_var in params and params.index(type_var) < len(args):
            argument = args[params.index(type_var)]
            return None if argument == "?" else argument
        return None

    def _class_fact(self, cls: str, prefix: str, suffix: str = "") -> Kinds:
        module, _, name = cls.rpartition(".")
        summary = self._project.find_module(module)
        found = summary.extra.get(RETURNS) if summary is not None else None
        return found.get(prefix + name + suffix, ()) if isinstance(found, dict) else ()

    def of_attribute(self, name: str) -> str:
        """``PLAIN`` when every class of the project that declares an attribute ``name`` declares
        a scalar (a column of a scalar type, a ``str`` field) and the name is no credential's."""
        kinds = self._attributes.get(name)
        if not kinds or sensitive_word(name) is not None:
            return UNKNOWN
        for kind in kinds:
            if kind != PLAIN and not (kind.startswith("type:") and self._is_enum_class(kind[len("type:"):])):
                return UNKNOWN
        return PLAIN

    def _is_enum_class(self, dotted: str) -> bool:
        key = self._class_key(dotted)
        return key is not None and model_index(self._project).derives_from(f"{key[0]}.{key[1]}", _is_enum)

    def annotated_class(self, dotted: str) -> Optional[str]:
        """The project class a function is annotated to return (``def current_user() -> User``)."""
        kinds = self._kinds(dotted)
        if not kinds or not kinds[0].startswith("type:"):
            return None
        head, bracket, args = kinds[0][len("type:"):].partition("[")
        key = self._class_key(head)
        return f"{key[0]}.{key[1]}{bracket}{args}" if key is not None else None

    def of_method_name(self, name: str, plain: bool = False) -> Optional[str]:
        """``RESPONSE`` when every project function or method called ``name`` returns a
        Response (a method of an object whose type is not known here: ``backend.login()``);
        with ``plain``, also ``PLAIN`` when every one returns a value spelled out."""
        candidates = self._by_method.get(name)
        if not candidates:
            return None
        kinds = self._method_memo.get(name)
        if kinds is None:
            # cycle guard: a method whose value is that of a method of the same name
            # (`plugin.instance.create_ticket(...)` inside `create_ticket`) is unknown
            self._method_memo[name] = {UNKNOWN}
            kinds = {self._combine(kinds, 0) for kinds in candidates}
            self._method_memo[name] = kinds
        if kinds == {RESPONSE}:
            return RESPONSE
        if plain and kinds == {PLAIN}:
            return PLAIN
        return None

    def _kinds(self, dotted: str, depth: int = 0) -> Optional[Kinds]:
        module, _, name = dotted.rpartition(".")
        for _ in range(2):  # `pkg.mod.func` or `pkg.mod.Class.method`
            if not module:
                return None
            summary = self._project.find_module(module)
            if summary is not None:
                found = summary.extra.get(RETURNS)
                kinds = found.get(name) if isinstance(found, dict) else None
                if kinds is None and depth < _MAX_DEPTH and isinstance(found, dict):
                    for star in found.get(_STARS, ()):
                        kinds = self._kinds(f"{star}.{name}", depth + 1)
                        if kinds is not None:
                            return kinds
                if kinds is None and depth < _MAX_DEPTH:
                    # re-exported: `from .service import get_user` in a package
                    signatures = summary.extra.get(SIGNATURES)
                    target = getattr(signatures, "aliases", {}).get(name.partition(".")[0])
                    if target is not None and target != dotted:
                        rest = name.partition(".")[2]
                        return self._kinds(f"{target}.{rest}" if rest else target, depth + 1)
                return kinds
            module, _, owner = module.rpartition(".")
            name = f"{owner}.{name}"
        return None

    def _combine(self, kinds: Kinds, depth: int) -> str:
        if kinds and kinds[0].startswith(_TYPE_VAR):
            kinds = kinds[1:]  # called on no typed instance: the bound and the returns decide
        if kinds and kinds[0].startswith("type:"):
            model = self._of_typed(kinds[0][len("type:"):])
            if model is not None:
                return model  # annotated with a pydantic model: its fields, nothing else
            kinds = kinds[1:]
            if not kinds:
                return UNKNOWN
        if not kinds:
            return PLAIN  # returns nothing
        results: Set[str] = set()
        for kind in kinds:
            results.add(self._decide(kind, depth))
        if UNKNOWN in results:
            return UNKNOWN
        return RESPONSE if results == {RESPONSE} else PLAIN

    def _decide(self, kind: str, depth: int) -> str:
        if kind in (RESPONSE, PLAIN, UNKNOWN):
            return kind
        if depth > _MAX_DEPTH:
            return UNKNOWN
        head, _, target = kind.partition(":")
        if head == "self":
            owner, attr, method = target.split("|")
            module, _, cls = owner.rpartition(".")
            typed = self.type_of_attribute((module, cls), attr)
            found = self.of_method(typed, method) if typed else None
            return found if found is not None else self.of_method_name(method) or UNKNOWN
        if head == "method":
            return self.of_method_name(target) or UNKNOWN
        if head == "attribute":
            return self.of_attribute(target)
        if head == "new":
            return self.of_model(target.partition("[")[0]) or UNKNOWN  # an instance as is
        if head == "selfattr":
            owner, _, chain = target.partition("|")
            typed = self._chain_type(owner, chain.split("."))
            return (self.of_model(typed.partition("[")[0]) if typed else None) or UNKNOWN
        if head == "typevar":
            return UNKNOWN  # not first: no instance to take the argument from
        model = self.of_model(target)
        if model is not None:
            return model  # `User(...)`, a parameter annotated `user: User`
        if head == "model":
            return UNKNOWN  # annotated with a class that is no project model
        inner = self._kinds(target)
        return UNKNOWN if inner is None else self._combine(inner, depth + 1)

    def _of_typed(self, typed: str) -> Optional[str]:
        """``of_model`` of a class with type arguments (``Page[UserOut]``): each argument must
        be a model too, and the worst decides."""
        head, _, args = typed.partition("[")
        model = self.of_model(head)
        if model is None or not args:
            return model
        kinds = [self.of_model(arg) for arg in _split_args(args)]
        return UNKNOWN if UNKNOWN in kinds or None in kinds else model

    def of_model(self, dotted: str) -> Optional[str]:
        """``PLAIN`` for a project pydantic model none of whose fields (any depth) holds a
        credential, ``UNKNOWN`` for one that holds one, None for anything else."""
        index = model_index(self._project)
        if not index.is_model_ref(dotted):
            return None
        return UNKNOWN if index.holds_secret(dotted) else PLAIN


_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "IntFlag", "Flag"})


def _is_enum(base: str) -> bool:
    return base.rpartition(".")[2] in _ENUM_BASES


def _split_args(args: str) -> List[str]:
    """``a.In,a.Out]`` (the part after ``[``) -> ``["a.In", "a.Out"]``."""
    return [a for a in args.rstrip("]").split(",") if a] if args else []


def return_index(project: Optional[ProjectIndex]) -> Optional[ReturnIndex]:
    if project is None:
        return None
    return project.derived(RETURNS, ReturnIndex)


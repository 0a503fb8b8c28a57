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
"""
from __future__ import annotations

import ast
import bisect
import os
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

from fastapi_lint.astnames import import_bindings, importing_package, module_statements
from fastapi_lint.words import name_parts
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector, walked_fields
from fastapi_lint.rules.models._model_index import model_index
from fastapi_lint.signatures import SIGNATURES

RETURNS = "function_returns"
RESPONSE, PLAIN, UNKNOWN = "response", "plain", "unknown"
_SCALARS = frozenset({"str", "int", "float", "bool", "bytes", "None"})
_SCALAR_CALLS = frozenset({"str", "int", "float", "bool", "len", "round", "repr"})
_MAX_DEPTH = 6

Kinds = Tuple[str, ...]


@collector(RETURNS, triggers=("return", "import *"))
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
    returns = _returns_by_function(tree.nodes())
    for stmt in statements:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[stmt.name] = _function_kinds(stmt, names, returns)
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    owner = f"{summary.module}.{stmt.name}" if summary.module else stmt.name
                    found[f"{stmt.name}.{item.name}"] = _function_kinds(item, names, returns, owner)
    if stars:
        found[_STARS] = tuple(stars)  # `from .security import *`: names re-exported from there
    if found:
        summary.extra[RETURNS] = found


_STARS = "*"


def _star_module(stmt: ast.ImportFrom, package: str) -> str:
    if not stmt.level:
        return stmt.module or ""
    base = package.split(".") if package else []
    base = base[: len(base) - (stmt.level - 1)] if stmt.level > 1 else base
    return ".".join([*base, *([stmt.module] if stmt.module else [])])


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


def _function_kinds(function, names: Dict[str, str], returns: Dict[int, List[ast.expr]], owner: str = "") -> Kinds:
    annotation = function.returns
    if annotation is not None:
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
        if dotted is not None:
            # a model says it all; `list[dict]`, `dict`, an ORM class: the returns decide
            return ("type:" + dotted, *_returns_kinds(function, names, returns, owner))
    return _returns_kinds(function, names, returns, owner)


def _returns_kinds(function, names: Dict[str, str], returns: Dict[int, List[ast.expr]], owner: str) -> Kinds:
    values = returns.get(id(function), ())
    if not values:
        return ()
    local = _Locals(function, names, owner)
    return tuple(kind for value in values for kind in local.kinds(value))


class _Locals:
    """What a function's locals hold, for ``return user``: the values assigned to them (a
    tuple unpacked shares the kind of the whole value), or a parameter's dependency or
    annotation."""

    def __init__(self, function, names: Dict[str, str], owner: str) -> None:
        self._names = names
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
            self._table.setdefault(arg.arg, []).append(_param_kind(arg, default, self._names))
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
            return self.kinds(value.value, seen)  # `recipe.slug`: a piece of a known value
        call = value.value if isinstance(value, ast.Await) else value
        if (
            self._owner and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Attribute) and isinstance(call.func.value.value, ast.Name)
            and call.func.value.value.id == "self"
        ):
            # a method of a property of this class, typed at query time
            return (f"self:{self._owner}|{call.func.value.attr}|{call.func.attr}",)
        return (_return_kind(value, self._names),)


def _params_with_defaults(args: ast.arguments):
    positional = [*args.posonlyargs, *args.args]
    defaults: List[Optional[ast.expr]] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, defaults)
    yield from zip(args.kwonlyargs, args.kw_defaults)


def _depends_target(expr: Optional[ast.expr]) -> Optional[ast.expr]:
    if isinstance(expr, ast.Call) and _last_name(expr.func) in ("Depends", "Security") and expr.args:
        return expr.args[0]
    return None


def _param_kind(arg: ast.arg, default: Optional[ast.expr], names: Dict[str, str]) -> str:
    """A parameter's value: its dependency's (the annotation of a dependency parameter may
    name a base class of what the dependency returns), a scalar, a model its annotation
    names, or unknown."""
    annotation = arg.annotation
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


def _returns_by_function(nodes: List[ast.AST]) -> Dict[int, List[ast.expr]]:
    """The values of each function's own ``return`` statements (nested scopes have their
    own), keyed by ``id`` of the function node, from the module's node list the project pass
    walked once: the innermost function whose lines hold a ``return`` is its owner."""
    functions = sorted((node for node in nodes if type(node) in _FUNCTION_TYPES),
                       key=lambda node: node.lineno)  # type: ignore[attr-defined]
    starts = [function.lineno for function in functions]  # type: ignore[attr-defined]
    found: Dict[int, List[ast.expr]] = {}
    for node in nodes:
        if type(node) is not ast.Return:
            continue
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
        for summary in project.modules.values():
            found = summary.extra.get(RETURNS)
            if isinstance(found, dict):
                for name, kinds in found.items():
                    if name == _STARS:
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
        for module, name in model_index(self._project).lineage(owner):
            kinds = self._kinds(f"{module}.{name}.{attr}")
            if kinds is not None:
                return kinds[0][len("type:"):] if kinds and kinds[0].startswith("type:") else None
        return None

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
        if kinds and kinds[0].startswith("type:"):
            model = self.of_model(kinds[0][len("type:"):])
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
            found = self.of_function(f"{typed}.{method}") if typed else None
            return found if found is not None else self.of_method_name(method) or UNKNOWN
        if head == "method":
            return self.of_method_name(target) or UNKNOWN
        model = self.of_model(target)
        if model is not None:
            return model  # `User(...)`, a parameter annotated `user: User`
        if head == "model":
            return UNKNOWN  # annotated with a class that is no project model
        inner = self._kinds(target)
        return UNKNOWN if inner is None else self._combine(inner, depth + 1)

    def of_model(self, dotted: str) -> Optional[str]:
        """``PLAIN`` for a project pydantic model none of whose fields (any depth) holds a
        credential, ``UNKNOWN`` for one that holds one, None for anything else."""
        index = model_index(self._project)
        if not index.is_model_ref(dotted):
            return None
        return UNKNOWN if index.holds_secret(dotted) else PLAIN


def return_index(project: Optional[ProjectIndex]) -> Optional[ReturnIndex]:
    if project is None:
        return None
    return project.derived(RETURNS, ReturnIndex)


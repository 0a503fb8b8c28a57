"""Project facts for "is this value controlled by the code?": project functions that only
return constant text, and project functions that validate a value.

The project pass (:func:`collect_text_facts`, an ``ast`` read of module-level functions and
the methods of module-level classes) records, per function name:

- whether every ``return`` gives text built only from literals, module constants, its own
  parameters (``param_deps``) and other project functions or properties (``member_deps``,
  ``self.timestamp_now``, ``compat_placeholder(key)``) — so that ``db.timestamp_placeholder("now")``
  is as constant as its argument;
- which parameters it checks against an identifier pattern (``PATTERN.match(p)``,
  ``re.fullmatch(..., p)``, ``p.isidentifier()``) or an allow-list (``p in ALLOWED``), and
  whether it raises when the check fails (a statement ``validate(x)`` guards ``x``) or
  returns the check (``if not is_valid(x): raise``).

Only modules that run SQL, define routes, validate values or declare `Literal` types are
read: a function that merely forwards request data in another module breaks the chain.
Functions are known by their bare name across the project: a call ``db.timestamp_placeholder``
cannot always be traced to its class, and a name counts only when every project definition
of it agrees.
"""
from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Set, Tuple

from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.prefilter import lazy_pattern

TEXT_FACTS = "sql_text_facts"
_UPPER = lazy_pattern(r"^_*[A-Z][A-Z0-9_]*$")
_CHECK_METHODS = frozenset(("match", "fullmatch"))
_CHECK_PREDICATES = frozenset(("isidentifier", "isalnum", "isdigit", "isdecimal", "isnumeric"))
# calls that keep text constant when their arguments are
_TEXT_CALLS = frozenset(("str", "int", "float", "len", "repr", "format", "join", "upper", "lower", "strip",
                         "replace", "dedent"))
_DEPTH = 12


Names = Tuple[str, ...]  # sorted: a summary's repr is part of the cached index's fingerprint


class FunctionText(NamedTuple):
    params: Tuple[str, ...]  # in call order, without ``self``/``cls``
    text: bool  # every return is text built from constants, parameters and project members
    param_deps: Names  # parameters whose values the returned text holds
    member_deps: Names  # project functions/properties whose text it holds
    checks: Names  # parameters checked against a pattern or an allow-list
    raises: bool  # the check raises when it fails (else the function returns the check)
    returns_param: Optional[str]  # returns this checked parameter itself
    # a route's parameters that FastAPI fills from the request (path, query, body, Request...)
    request_params: Names = ()
    # (called function, its parameter: name or "#<position>", our parameter passed to it)
    passes: Tuple[Tuple[str, str, str], ...] = ()


# -- the project pass ------------------------------------------------------------------------
class ModuleText(NamedTuple):
    functions: Dict[str, Tuple[FunctionText, ...]]  # by bare name
    literal_types: Tuple[str, ...] = ()  # `Field = Literal["a", "b"]`: a type of constant values


# the modules worth reading (the project pass reads every module: keep it cheap): those that
# run SQL or hand over text to be run, define routes, validate values or declare `Literal` types
_TRIGGERS = ("execute", "fetch", "text(", "match(", "isidentifier", "isalnum", "Literal[")
_ROUTE_DECORATOR = lazy_pattern(r"@[\w.]+\.(?:get|post|put|patch|delete|options|head|trace|api_route|websocket)\(")


@collector(TEXT_FACTS, triggers=_TRIGGERS + ("@",))
def collect_text_facts(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    if not any(t in text for t in _TRIGGERS) and not _ROUTE_DECORATOR.search(text):
        return
    module = tree.get()
    if module is None:
        return
    constants = _module_constants(module.body)
    found: Dict[str, List[FunctionText]] = {}
    functions = list(_functions(module.body))
    nodes = _nodes_by_function(tree.nodes(), [f for f, _ in functions]) if functions else {}
    for function, is_method in functions:
        fact = _FunctionReader(function, is_method, constants, nodes.get(id(function), [])).read()
        if fact is not None:
            found.setdefault(function.name, []).append(fact)
    literals = tuple(_literal_aliases(module.body))
    if found or literals:
        summary.extra[TEXT_FACTS] = ModuleText({name: tuple(facts) for name, facts in found.items()}, literals)


def _literal_aliases(body: List[ast.stmt]) -> Iterator[str]:
    for stmt in body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Subscript) and _word(value.value) == "Literal":
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]  # type: ignore[union-attr]
            yield from (t.id for t in targets if isinstance(t, ast.Name))


def _module_constants(body: List[ast.stmt]) -> FrozenSet[str]:
    names: Set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Assign) and _literal(stmt.value):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and _literal(stmt.value):
            if isinstance(stmt.target, ast.Name):
                names.add(stmt.target.id)
    return frozenset(names)


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) and _literal(v) for k, v in zip(node.keys, node.values))
    if isinstance(node, ast.Name):
        return bool(_UPPER.match(node.id))
    return False


def _functions(body: List[ast.stmt]) -> Iterator[Tuple[ast.AST, bool]]:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt, False
        elif isinstance(stmt, ast.ClassDef):
            for inner in stmt.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield inner, not any(isinstance(d, ast.Name) and d.id == "staticmethod"
                                         for d in inner.decorator_list)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_WANTED = (ast.Return, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith,
           ast.comprehension, ast.If, ast.Call)
_SCOPE_KINDS = frozenset(_SCOPES)
_KINDS = frozenset(_WANTED) | _SCOPE_KINDS
Position = Tuple[int, int]


def _start(node: ast.AST) -> Position:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def _end(node: ast.AST) -> Position:
    return node.end_lineno or node.lineno, node.end_col_offset or 0  # type: ignore[attr-defined]


def _nodes_by_function(nodes: List[ast.AST], functions: List[ast.AST]) -> Dict[int, List[ast.AST]]:
    """The nodes the reader looks at, grouped by the function (of ``functions``, which do not
    overlap) whose own body holds them: nested functions, lambdas and classes excluded.

    The module's nodes come from the walk the project pass shares among its collectors
    (``LazyAst.nodes``), so no function is walked again; a node belongs to the function
    whose source range holds its position."""
    ordered = sorted(functions, key=_start)
    starts = [_start(f) for f in ordered]
    ends = [_end(f) for f in ordered]
    owned = {id(f) for f in functions}
    nested: Dict[int, List[Tuple[Position, Position]]] = {}
    wanted: List[Tuple[ast.AST, ast.AST]] = []
    kinds, comprehension, bisect_right = _KINDS, ast.comprehension, bisect.bisect_right
    for node in nodes:
        kind = type(node)
        if kind not in kinds:
            continue
        # a comprehension has no position: its target tells where it is
        at_node = node.target if kind is comprehension else node  # type: ignore[attr-defined]
        position = (at_node.lineno, at_node.col_offset)  # type: ignore[attr-defined]
        at = bisect_right(starts, position) - 1
        if at < 0 or ends[at] < position:
            continue
        owner = ordered[at]
        if kind in _SCOPE_KINDS:
            if id(node) not in owned and node is not owner:
                nested.setdefault(id(owner), []).append((_start(node), _end(node)))
        else:
            wanted.append((owner, node))
    out: Dict[int, List[ast.AST]] = {}
    for owner, node in wanted:
        position = _start(node.target) if isinstance(node, ast.comprehension) else _start(node)
        if any(start < position <= end for start, end in nested.get(id(owner), ())):
            continue
        out.setdefault(id(owner), []).append(node)
    return out


class _FunctionReader:
    def __init__(self, function: ast.AST, is_method: bool, constants: FrozenSet[str],
                 nodes: List[ast.AST]) -> None:
        self.function = function
        self.nodes = nodes
        args = function.args  # type: ignore[attr-defined]
        names = [a.arg for a in (*args.posonlyargs, *args.args)]
        self.receiver = names[0] if is_method and names else None
        self.params = tuple(names[1:] if self.receiver is not None else names) + tuple(
            a.arg for a in args.kwonlyargs)
        self.constants = constants
        self.locals: Dict[str, List[ast.expr]] = {}
        self.returns: List[Optional[ast.expr]] = []
        self.checks: Set[str] = set()
        self.raising = False
        self.bool_check = False
        self.passes: List[Tuple[str, str, str]] = []

    def read(self) -> Optional[FunctionText]:
        for node in self.nodes:
            if isinstance(node, ast.Return):
                self.returns.append(node.value)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.comprehension)):
                targets = [node.target] if not isinstance(node, (ast.With, ast.AsyncWith)) else [
                    i.optional_vars for i in node.items if i.optional_vars is not None]
                for target in targets:
                    self._bind(target, None)
            elif isinstance(node, ast.If) and _exits_by_raise(node.body):
                checked = self._failed_check(node.test)
                if checked is not None:
                    self.checks.add(checked)
                    self.raising = True
            elif isinstance(node, ast.Call):
                self._record_passes(node)
        text, params, members = self._returns_text()
        returned = self._returned_check()
        if returned is not None:
            self.checks.add(returned)
            self.bool_check = True
        request = _request_params(self.function, self.params)
        if not text and not self.checks and not request and not self.passes and not self.params:
            return None  # kept otherwise: a parameter may receive request data
        returns_param = None
        if self.raising and len(self.returns) == 1 and isinstance(self.returns[0], ast.Name):
            returns_param = self.returns[0].id if self.returns[0].id in self.checks else None
        return FunctionText(self.params, text, tuple(sorted(params)), tuple(sorted(members)),
                            tuple(sorted(self.checks)),
                            self.raising and not self.bool_check, returns_param, request,
                            tuple(dict.fromkeys(self.passes)))

    def _record_passes(self, call: ast.Call) -> None:
        """Our parameters (or values read from them: `body.name`) handed to another function."""
        func = call.func
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if callee is None:
            return
        for position, arg in enumerate(call.args):
            source = self._param_root(arg)
            if source is not None:
                self.passes.append((callee, f"#{position}", source))
        for keyword in call.keywords:
            source = self._param_root(keyword.value)
            if source is not None and keyword.arg is not None:
                self.passes.append((callee, keyword.arg, source))

    def _param_root(self, node: ast.expr) -> Optional[str]:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) and node.id in self.params else None

    def _bind(self, target: ast.expr, value: Optional[ast.expr]) -> None:
        if isinstance(target, ast.Name):
            self.locals.setdefault(target.id, []).append(value)  # type: ignore[arg-type]
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, None)

    # -- constant text --------------------------------------------------------------------
    def _returns_text(self) -> Tuple[bool, Set[str], Set[str]]:
        params: Set[str] = set()
        members: Set[str] = set()
        if not self.returns:
            return False, params, members
        for value in self.returns:
            if value is None or not self._text(value, params, members, set(), 0):
                return False, params, members
        return True, params, members

    def _text(self, node: ast.expr, params: Set[str], members: Set[str], seen: Set[str], depth: int) -> bool:
        if depth > _DEPTH:
            return False
        again = lambda n: self._text(n, params, members, seen, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (str, int, float, bool)) or node.value is None
        if isinstance(node, ast.JoinedStr):
            return all(again(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.BinOp):
            return again(node.left) and again(node.right)
        if isinstance(node, ast.IfExp):
            return again(node.body) and again(node.orelse)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(again(e) for e in node.elts)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            inner = set(seen) | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            return all(again(g.iter) for g in node.generators) and self._text(node.elt, params, members, inner,
                                                                              depth + 1)
        if isinstance(node, ast.Name):
            return self._name(node.id, params, members, seen, depth)
        if isinstance(node, ast.Attribute):
            if _UPPER.match(node.attr):
                return True
            if isinstance(node.value, ast.Name) and node.value.id == self.receiver:
                members.add(node.attr)  # a property of the same object
                return True
            return False
        if isinstance(node, ast.Call):
            return self._call(node, again, members)
        return False

    def _name(self, name: str, params: Set[str], members: Set[str], seen: Set[str], depth: int) -> bool:
        if name in seen or _UPPER.match(name) or name in ("True", "False", "None"):
            return True
        if name in self.locals:
            values = self.locals[name]
            inner = seen | {name}  # ``where += ...`` reads the earlier ``where``
            return all(v is not None and self._text(v, params, members, inner, depth + 1) for v in values)
        if name in self.params:
            params.add(name)
            return True
        return name in self.constants

    def _call(self, node: ast.Call, again, members: Set[str]) -> bool:
        func = node.func
        args_ok = all(again(a) for a in node.args) and all(again(k.value) for k in node.keywords)
        if isinstance(func, ast.Name):
            if func.id in _TEXT_CALLS:
                return args_ok
            members.add(func.id)  # another project function (unknown ones fail at resolution)
            return args_ok
        if isinstance(func, ast.Attribute):
            if func.attr in _TEXT_CALLS:
                return args_ok and again(func.value)
            if isinstance(func.value, ast.Name) and func.value.id == self.receiver:
                members.add(func.attr)
                return args_ok
        return False

    # -- checks ---------------------------------------------------------------------------
    def _failed_check(self, test: ast.expr) -> Optional[str]:
        """The parameter ``test`` is true for when its check fails (``not P.match(p)``)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self._check(test.operand)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            if isinstance(test.ops[0], ast.NotIn):
                return self._param(test.left)
            if isinstance(test.ops[0], ast.Is) and _is_none(test.comparators[0]):
                return self._check(test.left)
        return None

    def _check(self, node: ast.expr) -> Optional[str]:
        """The parameter ``node`` checks against a pattern or an allow-list, if it does."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool" and node.args:
            return self._check(node.args[0])
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], ast.In):
                return self._param(node.left)
            if isinstance(node.ops[0], ast.IsNot) and _is_none(node.comparators[0]):
                return self._check(node.left)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _CHECK_METHODS:
                for arg in node.args:
                    found = self._param(arg)
                    if found is not None:
                        return found
            if node.func.attr in _CHECK_PREDICATES and not node.args:
                return self._param(node.func.value)
        return None

    def _param(self, node: ast.expr) -> Optional[str]:
        return node.id if isinstance(node, ast.Name) and node.id in self.params else None

    def _returned_check(self) -> Optional[str]:
        if len(self.returns) != 1 or self.returns[0] is None:
            return None
        return self._check(self.returns[0])


_ROUTE_METHODS = frozenset(("get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route",
                            "websocket"))
# parameters FastAPI fills with something other than request text
_NOT_REQUEST = frozenset(("Depends", "Security", "BackgroundTasks", "Response", "Session", "AsyncSession",
                          "int", "float", "bool", "UUID", "datetime", "date", "Decimal"))


def _request_params(function: ast.AST, params: Tuple[str, ...]) -> Names:
    """A route's parameters that carry request data: all but dependencies, responses,
    sessions and values validated to numbers, UUIDs or dates."""
    if not any(_is_route_decorator(d) for d in function.decorator_list):  # type: ignore[attr-defined]
        return ()
    args = function.args  # type: ignore[attr-defined]
    positional = [*args.posonlyargs, *args.args]
    defaults: Dict[str, ast.expr] = dict(zip((a.arg for a in positional[len(positional) - len(args.defaults):]),
                                             args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    out: Set[str] = set()
    for arg in (*positional, *args.kwonlyargs):
        if arg.arg not in params:
            continue
        words = {_word(n) for n in ast.walk(arg.annotation)} if arg.annotation is not None else set()
        default = defaults.get(arg.arg)
        if default is not None:
            words |= {_word(n) for n in ast.walk(default)}
        if not words & _NOT_REQUEST:
            out.add(arg.arg)
    return tuple(sorted(out))


def _word(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _is_route_decorator(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in _ROUTE_METHODS
            and (bool(decorator.args) and isinstance(decorator.args[0], ast.Constant)
                 and isinstance(decorator.args[0].value, str)
                 or any(k.arg == "path" for k in decorator.keywords)))


def _exits_by_raise(body: List[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Raise)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# -- the project-wide table ------------------------------------------------------------------
@dataclass(frozen=True)
class TextTable:
    """Per function name: whether it returns constant text, and what it validates."""

    text: Dict[str, FrozenSet[str]]  # name -> parameters the constant text depends on
    params: Dict[str, Tuple[str, ...]]
    raising_checks: Dict[str, FrozenSet[str]]  # a call statement validates these parameters
    checks: Dict[str, FrozenSet[str]]  # `if not name(x): exit` validates these
    returns_checked: Dict[str, str]  # name(x) returns x once checked
    # name -> its parameters that receive request data, from a route through project calls
    request_params: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    literal_types: FrozenSet[str] = frozenset()  # names of `Literal[...]` type aliases

    def param_index(self, name: str, param: str) -> Optional[int]:
        params = self.params.get(name, ())
        return params.index(param) if param in params else None


def text_table(project: Optional[ProjectIndex]) -> Optional[TextTable]:
    if project is None:
        return None
    return project.derived(TEXT_FACTS, _build_table)


def _build_table(project: ProjectIndex) -> TextTable:
    by_name: Dict[str, List[FunctionText]] = {}
    literal_types: Set[str] = set()
    for summary in project.modules.values():
        facts = summary.extra.get(TEXT_FACTS)
        if isinstance(facts, ModuleText):
            for name, defs in facts.functions.items():
                by_name.setdefault(name, []).extend(defs)
            literal_types.update(facts.literal_types)
    params = {name: defs[0].params for name, defs in by_name.items()
              if all(d.params == defs[0].params for d in defs)}
    text = _constant_text(by_name, params)
    raising = {name: frozenset.intersection(*(frozenset(d.checks) for d in defs)) for name, defs in by_name.items()
               if name in params and all(d.raises for d in defs)}
    checks = {name: frozenset.intersection(*(frozenset(d.checks) for d in defs)) for name, defs in by_name.items()
              if name in params}
    returns = {name: defs[0].returns_param for name, defs in by_name.items()
               if name in raising and defs[0].returns_param is not None
               and all(d.returns_param == defs[0].returns_param for d in defs)}
    return TextTable(text, params, {k: v for k, v in raising.items() if v},
                     {k: v for k, v in checks.items() if v}, returns, _request_flow(by_name),
                     frozenset(literal_types))


def _request_flow(by_name: Dict[str, List[FunctionText]]) -> Dict[str, FrozenSet[str]]:
    """Parameters that receive request data: a route's own, then, repeatedly, those a
    function passes such a parameter to (by position or keyword, to any project function of
    that name)."""
    reached: Dict[str, Set[str]] = {}
    queue: List[Tuple[str, str]] = []
    for name, defs in by_name.items():
        for fact in defs:
            for param in fact.request_params:
                queue.append((name, param))
    while queue:
        name, param = queue.pop()
        if param in reached.setdefault(name, set()):
            continue
        reached[name].add(param)
        for fact in by_name.get(name, ()):
            for callee, key, source in fact.passes:
                if source != param or callee not in by_name:
                    continue
                for target in by_name[callee]:
                    position = int(key[1:]) if key.startswith("#") else None
                    if position is not None and position < len(target.params):
                        queue.append((callee, target.params[position]))
                    elif position is None and key in target.params:
                        queue.append((callee, key))
    return {name: frozenset(params) for name, params in reached.items() if params}


def _constant_text(by_name: Dict[str, List[FunctionText]], params: Dict[str, Tuple[str, ...]]
                   ) -> Dict[str, FrozenSet[str]]:
    """Names whose every definition returns constant text once its members do (a fixed point
    from the names that depend on no other member)."""
    candidates = {name: defs for name, defs in by_name.items() if name in params and all(d.text for d in defs)}
    known: Dict[str, FrozenSet[str]] = {}
    changed = True
    while changed:
        changed = False
        for name, defs in candidates.items():
            if name in known:
                continue
            if all(member in known or member == name for d in defs for member in d.member_deps):
                known[name] = frozenset().union(*(d.param_deps for d in defs))
                changed = True
    return known

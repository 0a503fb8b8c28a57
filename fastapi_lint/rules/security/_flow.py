"""Local value tracking and "is this value controlled by the code?", shared by the security rules.

A rule deriving from :class:`LocalValuesRule` records, per function, every plain-name
assignment in source order. ``binding(name, before)`` answers with the latest binding made
before a given point, so ``q = q + x`` reads the previous ``q`` and evaluation never loops.

``uncontrolled(expr)`` answers with the first part of ``expr`` the code does not control (a
parameter, a value read at run time), or None when only the program chooses its text:
literals, module constants, enum members, table names, casts, values iterated from
constants, values checked against an allow-list or an identifier pattern earlier in the
function (a guard that leaves the function otherwise is a binding of the checked name to a
controlled value), and what the project's own text helpers and validators return
(:mod:`fastapi_lint.rules.security._text_facts`, for rules that set ``self.text_facts``).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import dotted, string_value
from fastapi_lint.rule import Rule
from fastapi_lint.rules.security._text_facts import TextTable
from fastapi_lint.prefilter import lazy_pattern

_UPPER = lazy_pattern(r"^_*[A-Z][A-Z0-9_]*$")
_DEPTH = 16  # `q += ...` six times is twelve levels
# calls whose result cannot carry attacker-chosen text into a query or command
_CASTS = {"builtins.int", "builtins.float", "builtins.len", "builtins.bool", "builtins.round",
          "builtins.abs", "builtins.range", "uuid.uuid4", "uuid.uuid1", "builtins.hash", "builtins.id"}
# calls whose result is as controlled as their arguments
_PASS_THROUGH = {"builtins.str", "builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted",
                 "builtins.reversed", "builtins.enumerate", "builtins.zip", "builtins.dict", "builtins.frozenset",
                 "textwrap.dedent", "builtins.min", "builtins.max", "builtins.repr", "builtins.format"}
# methods whose result is as controlled as their receiver and arguments
_PASS_THROUGH_METHODS = {"upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
                         "items", "values", "copy", "split", "replace", "removeprefix", "removesuffix"}
# identifier/literal quoting helpers of the database drivers (and slugs: [a-z0-9-_] only)
_QUOTERS = {"quote_ident", "quote_identifier", "quote_name", "Identifier", "Literal",
            "escape_identifier", "escape_literal", "escape_string", "slugify"}
# annotations of values that cannot hold SQL text (a route parameter is validated to one)
_SAFE_TYPES = {"int", "float", "bool", "UUID", "uuid.UUID", "datetime", "date", "time", "timedelta", "Decimal",
               "datetime.datetime", "datetime.date", "PositiveInt", "NonNegativeInt", "StrictInt", "StrictBool",
               "Optional", "None", "typing.Optional", "UUID4", "UUID1"}
# generics whose values are all of their type arguments' types (`Optional[int]`, `list[UUID]`)
_SAFE_CONTAINERS = {"Optional", "typing.Optional", "Union", "typing.Union", "list", "List", "typing.List", "set",
                    "Set", "typing.Set", "frozenset", "tuple", "Tuple", "typing.Tuple", "Sequence",
                    "typing.Sequence", "collections.abc.Sequence", "Iterable", "typing.Iterable"}
_CHECK_METHODS = {"match", "fullmatch"}
# calls that return the row a query found, or nothing
_LOOKUPS = {"fetchone", "fetchrow", "fetchval", "first", "one_or_none", "scalar", "scalar_one_or_none"}
_CHECK_PREDICATES = {"isidentifier", "isalnum", "isdigit", "isdecimal", "isnumeric"}
LATEST = 1 << 60  # a point after every binding made so far
_SCHEMA_IDENTIFIER = lazy_pattern(
    r"(?:^|_)(?:table|schema|column|index|trigger|function|constraint|sequence|view)_?name$")
# what a guard binds the name it checked to: a value the code controls
CHECKED = cst.Integer("0")


@dataclass
class Frame:
    order: List[Tuple[str, Optional[cst.BaseExpression]]] = field(default_factory=list)
    by_name: Dict[str, List[int]] = field(default_factory=dict)
    params: FrozenSet[str] = frozenset()
    typed: FrozenSet[str] = frozenset()  # parameters annotated with a type that holds no text
    keys_only: Set[int] = field(default_factory=set)  # bindings of dicts whose keys only are controlled


class Binding(NamedTuple):
    value: Optional[cst.BaseExpression]  # None: bound to something unknown (loop, unpacking)
    index: int


class LocalValuesRule(Rule):
    """A rule that knows what plain local names were last assigned inside the current function."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._frames: List[Frame] = []
        self.text_facts: Optional[TextTable] = None
        # `q += x` is recorded as `q = q + x`: the made-up node -> the real added value
        self.augmented: Dict[int, cst.BaseExpression] = {}

    # -- recording --------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        plain = [*params.posonly_params, *params.params, *params.kwonly_params]
        names = [p.name.value for p in plain]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.append(star.name.value)
        typed = frozenset(p.name.value for p in plain
                          if p.annotation is not None and self.safe_annotation(p.annotation.annotation))
        self._frames.append(Frame(params=frozenset(names), typed=typed))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def safe_annotation(self, annotation: cst.BaseExpression) -> bool:
        """Whether a parameter so annotated holds no text (`int`, `Optional[UUID]`, a `Literal`)."""
        return safe_type(annotation, lambda _: False)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            combined = cst.BinaryOperation(node.target, _binary_of(node.operator), node.value)
            self.augmented[id(combined)] = node.value
            self.bind(node.target.value, combined)

    def visit_For(self, node: cst.For) -> None:
        # `for table, column in (("users", "id"), ...):` iterates constants: the targets are too
        constant = self.in_function and self.is_constant(node.iter)
        self._bind_target(node.target, CHECKED if constant else None)

    def visit_If(self, node: cst.If) -> None:
        # `if name not in ALLOWED: return` / `if not PATTERN.match(name): raise`: past the
        # guard, `name` holds a value the code accepted
        if self.in_function and _leaves(node.body):
            checked = self._failed_check(node.test)
            if checked is not None:
                self.bind(checked, CHECKED)
            for name in self._looked_up(node.test):
                self.bind(name, CHECKED)

    def visit_Assert(self, node: cst.Assert) -> None:
        checked = self._check(node.test) if self.in_function else None
        if checked is not None:
            self.bind(checked, CHECKED)

    def visit_Expr(self, node: cst.Expr) -> None:
        # `validate_identifier(name)` as a statement: a project function that raises otherwise
        call = node.value
        if self.in_function and isinstance(call, cst.Call) and self.text_facts is not None:
            name = last_name(call.func)
            checked = self.text_facts.raising_checks.get(name or "")
            for arg in _args_for(call, self.text_facts.params.get(name or "", ()), checked or ()):
                if isinstance(arg, cst.Name):
                    self.bind(arg.value, CHECKED)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "update" \
                    and isinstance(call.func.value, cst.Name) and self.binding(call.func.value.value) is not None:
                self.bind(call.func.value.value, None)  # `d.update(other)`: keys unknown from here

    def _bind_target(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, CHECKED if value is CHECKED else None)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and self.in_function:
            self._bind_item(target.value.value, target, value)

    def _bind_item(self, name: str, target: cst.Subscript, value: Optional[cst.BaseExpression]) -> None:
        """`d[key] = value`: the keys of ``d`` stay controlled while each key is."""
        bound = self.binding(name)
        if bound is None:
            return
        index = target.slice[0].slice if len(target.slice) == 1 else None
        key_ok = isinstance(index, cst.Index) and self.is_constant(index.value)
        if not key_ok:
            self.bind(name, None)
        elif value is None or not self.is_constant(value):
            keys_ok = self._keys_controlled(cst.Name(name))
            self.bind(name, bound.value)
            if keys_ok:
                self._frames[-1].keys_only.add(len(self._frames[-1].order) - 1)

    def bind(self, name: str, value: Optional[cst.BaseExpression]) -> None:
        if not self._frames:
            return  # module level: the facts' assignments answer
        frame = self._frames[-1]
        frame.by_name.setdefault(name, []).append(len(frame.order))
        frame.order.append((name, value))

    # -- reading ----------------------------------------------------------------------------
    @property
    def in_function(self) -> bool:
        return bool(self._frames)

    def is_param(self, name: str) -> bool:
        return bool(self._frames) and name in self._frames[-1].params

    def binding(self, name: str, before: int = LATEST) -> Optional[Binding]:
        """The latest local binding of ``name`` made before index ``before``."""
        if not self._frames:
            return None
        frame = self._frames[-1]
        indexes = frame.by_name.get(name)
        if not indexes:
            return None
        at = bisect.bisect_left(indexes, before)
        if at == 0:
            return None
        index = indexes[at - 1]
        return Binding(frame.order[index][1], index)

    def module_value(self, name: str) -> Optional[cst.BaseExpression]:
        """A module-level assignment of ``name`` when no local or parameter shadows it."""
        if self.is_param(name):
            return None
        value = self.ctx.constant(cst.Name(name))
        return None if isinstance(value, cst.Name) and value.value == name else value

    # -- controlled values ------------------------------------------------------------------
    def is_constant(self, expr: cst.BaseExpression, before: int = LATEST, depth: int = 0,
                    loop_constants: FrozenSet[str] = frozenset(),
                    sanitizers: FrozenSet[str] = frozenset()) -> bool:
        """Whether ``expr`` can only produce program-chosen text (no outside input)."""
        return self.uncontrolled(expr, before, depth, loop_constants, sanitizers) is None

    def uncontrolled(self, expr: cst.BaseExpression, before: int = LATEST, depth: int = 0,
                     loop_constants: FrozenSet[str] = frozenset(),
                     sanitizers: FrozenSet[str] = frozenset()) -> Optional[cst.BaseExpression]:
        """The first part of ``expr`` whose text the code does not control, or None."""
        if depth > _DEPTH:
            return expr
        again = lambda e, b=before: self.uncontrolled(e, b, depth + 1, loop_constants, sanitizers)  # noqa: E731
        if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
            return None
        if isinstance(expr, cst.ConcatenatedString):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, cst.FormattedString):
            return _first(again(p.expression) for p in expr.parts if isinstance(p, cst.FormattedStringExpression))
        if isinstance(expr, cst.Name):
            return self._uncontrolled_name(expr, before, depth, loop_constants, sanitizers)
        if isinstance(expr, cst.Attribute):
            return self._uncontrolled_attribute(expr, again)
        if isinstance(expr, cst.Call):
            return self._uncontrolled_call(expr, again, sanitizers)
        if isinstance(expr, cst.BinaryOperation):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, cst.UnaryOperation):
            return again(expr.expression)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return _first(again(e.value) if isinstance(e, cst.Element) else e.value for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return _first(again(e.key) or again(e.value) if isinstance(e, cst.DictElement) else e.value
                          for e in expr.elements)
        if isinstance(expr, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            if again(expr.elt) is None:
                return None  # `["?" for _ in ids]`: the same text whatever is iterated
            inner, culprit = self._comprehension_targets(expr.for_in, again, loop_constants)
            return culprit or self.uncontrolled(expr.elt, before, depth + 1, inner, sanitizers)
        if isinstance(expr, cst.IfExp):
            return again(expr.body) or again(expr.orelse)
        if isinstance(expr, cst.Subscript):
            return again(expr.value)
        if isinstance(expr, cst.BooleanOperation):
            return again(expr.left) or again(expr.right)
        if isinstance(expr, cst.Comparison):
            return None  # True or False
        return expr

    def _comprehension_targets(self, for_in: Optional[cst.CompFor], again, loop_constants: FrozenSet[str]
                               ) -> Tuple[FrozenSet[str], Optional[cst.BaseExpression]]:
        """Comprehension targets iterating controlled values: controlled themselves."""
        names: Set[str] = set(loop_constants)
        while for_in is not None:
            culprit = again(for_in.iter) if not _names_in(for_in.iter) & names else None
            if culprit is not None:
                return frozenset(names), culprit
            names |= _target_names(for_in.target)
            for_in = for_in.inner_for_in
        return frozenset(names), None

    def _uncontrolled_name(self, expr: cst.Name, before: int, depth: int,
                           loop_constants: FrozenSet[str], sanitizers: FrozenSet[str]) -> Optional[cst.BaseExpression]:
        name = expr.value
        if name in ("True", "False", "None") or name in loop_constants or _UPPER.match(name):
            return None
        bound = self.binding(name, before)
        if bound is not None:
            if bound.value is None or bound.index in self._frames[-1].keys_only:
                return expr
            inner = self.uncontrolled(bound.value, bound.index, depth + 1, loop_constants, sanitizers)
            return None if inner is None else (expr if isinstance(inner, cst.Name) and inner.value == name else inner)
        if self.in_function and self.is_param(name):
            return None if name in self._frames[-1].typed else expr
        if self.in_function and self._frames[-1].by_name.get(name):
            return expr
        value = self.module_value(name)
        if value is None or isinstance(value, cst.Name):
            return expr
        return None if self._module_constant(value, depth) else expr

    def _module_constant(self, value: cst.BaseExpression, depth: int) -> bool:
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
            return True
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return depth < _DEPTH and all(isinstance(e, cst.Element) and self._module_constant(e.value, depth + 1)
                                          for e in value.elements)
        if isinstance(value, cst.Dict):
            return depth < _DEPTH and all(
                isinstance(e, cst.DictElement) and self._module_constant(e.key, depth + 1)
                and self._module_constant(e.value, depth + 1) for e in value.elements)
        if isinstance(value, cst.Name):
            return value.value in ("True", "False", "None") or bool(_UPPER.match(value.value))
        return isinstance(value, cst.Attribute) and _constant_attribute(value)

    def _uncontrolled_attribute(self, expr: cst.Attribute, again) -> Optional[cst.BaseExpression]:
        if _constant_attribute(expr):
            return None
        deps = self.text_facts.text.get(expr.attr.value) if self.text_facts is not None else None
        if deps is not None and not deps:
            return None  # a project property returning constant text: `db.timestamp_now`
        if isinstance(expr.value, cst.Call) and again(expr.value) is None:
            return None  # `uuid4().hex`: an attribute of a controlled value
        return expr

    def _uncontrolled_call(self, call: cst.Call, again, sanitizers: FrozenSet[str]) -> Optional[cst.BaseExpression]:
        resolved = self.ctx.resolve(call.func) or ""
        if resolved in _CASTS or resolved in sanitizers:
            return None
        func = call.func
        last = last_name(func) or ""
        if last in _QUOTERS:
            return None
        if last == "quote" and "prepar" in (dotted(func) or ""):
            return None  # dialect.identifier_preparer.quote(...)
        args = lambda: _first(again(a.value) for a in call.args)  # noqa: E731
        if resolved in _PASS_THROUGH:
            return args()
        if isinstance(func, cst.Attribute):
            if last in ("join", "format") and string_value(func.value) is not None:
                return args()
            if last in _PASS_THROUGH_METHODS:
                return again(func.value) or args()
            if last == "keys" and not call.args:
                return None if self._keys_controlled(func.value) else func.value
        return self._project_text_call(call, last, again)

    def _project_text_call(self, call: cst.Call, last: str, again) -> Optional[cst.BaseExpression]:
        """A call of a project function that returns constant text or the value it validated."""
        facts = self.text_facts
        if facts is None:
            return call
        if last in facts.returns_checked:
            return None
        deps = facts.text.get(last)
        if deps is not None:
            return _first(again(arg) for arg in _args_for(call, facts.params.get(last, ()), deps))
        return call

    def _keys_controlled(self, expr: cst.BaseExpression) -> bool:
        """Whether the keys of the dict ``expr`` are controlled (its values need not be)."""
        if isinstance(expr, cst.Dict):
            return all(isinstance(e, cst.DictElement) and self.is_constant(e.key) for e in expr.elements)
        if isinstance(expr, cst.Name):
            bound = self.binding(expr.value)
            if bound is not None and bound.index in self._frames[-1].keys_only:
                return True
            if bound is not None and isinstance(bound.value, cst.Dict):
                return self._keys_controlled(bound.value)
        return self.is_constant(expr)

    # -- checks -----------------------------------------------------------------------------
    def _looked_up(self, test: cst.BaseExpression) -> List[str]:
        """`row = db.fetchone("... WHERE id = :id", {"id": name})` then `if not row: raise`:
        ``name`` is one the database knows, an allow-list kept in a table."""
        row = None
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            row = test.expression
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
                isinstance(test.comparisons[0].operator, cst.Is) and _is_none(test.comparisons[0].comparator):
            row = test.left
        bound = self.binding(row.value) if isinstance(row, cst.Name) else None
        value = bound.value if bound is not None else None
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call) or (last_name(value.func) or "") not in _LOOKUPS:
            return []
        names: List[str] = []
        calls: List[cst.BaseExpression] = [value]
        while calls:
            call = calls.pop()
            if not isinstance(call, cst.Call):
                continue
            if isinstance(call.func, cst.Attribute):
                calls.append(call.func.value)  # `session.execute(...).first()`
            for arg in call.args[1:] if last_name(call.func) not in _LOOKUPS else call.args:
                names.extend(_bound_names(arg.value))
        return names

    def _failed_check(self, test: cst.BaseExpression) -> Optional[str]:
        """The local name ``test`` is true for when its check fails (`not P.match(name)`)."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self._check(test.expression)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if isinstance(target.operator, cst.NotIn) and self.is_constant(target.comparator):
                return _plain_name(test.left)
            if isinstance(target.operator, cst.Is) and _is_none(target.comparator):
                return self._check(test.left)
        return None

    def _check(self, test: cst.BaseExpression) -> Optional[str]:
        """The local name ``test`` checks against an identifier pattern or an allow-list."""
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            if isinstance(target.operator, cst.In) and self.is_constant(target.comparator):
                return _plain_name(test.left)
            if isinstance(target.operator, cst.IsNot) and _is_none(target.comparator):
                return self._check(test.left)
            return None
        if not isinstance(test, cst.Call):
            return None
        last = last_name(test.func) or ""
        if last == "bool" and test.args:
            return self._check(test.args[0].value)
        if last in _CHECK_METHODS:
            return _first_name(a.value for a in test.args)
        if last in _CHECK_PREDICATES and isinstance(test.func, cst.Attribute) and not test.args:
            return _plain_name(test.func.value)
        facts = self.text_facts
        checked = facts.checks.get(last) if facts is not None else None
        if checked:
            return _first_name(_args_for(test, facts.params.get(last, ()), checked))
        return None


def _bound_names(expr: cst.BaseExpression) -> List[str]:
    """Plain names passed as parameter values: `{"id": name}`, `(name,)`, `name`."""
    if isinstance(expr, cst.Name):
        return [expr.value]
    if isinstance(expr, cst.Dict):
        return [e.value.value for e in expr.elements
                if isinstance(e, cst.DictElement) and isinstance(e.value, cst.Name)]
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [e.value.value for e in expr.elements if isinstance(e.value, cst.Name)]
    return []


def _first(items) -> Optional[cst.BaseExpression]:
    for item in items:
        if item is not None:
            return item
    return None


def last_name(func: cst.BaseExpression) -> Optional[str]:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _plain_name(expr: cst.BaseExpression) -> Optional[str]:
    return expr.value if isinstance(expr, cst.Name) else None


def _first_name(exprs) -> Optional[str]:
    for expr in exprs:
        if isinstance(expr, cst.Name):
            return expr.value
    return None


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _args_for(call: cst.Call, params: Tuple[str, ...], wanted) -> List[cst.BaseExpression]:
    """The arguments of ``call`` passed to the parameters named in ``wanted``."""
    out: List[cst.BaseExpression] = []
    position = 0
    for arg in call.args:
        if arg.star:
            return [a.value for a in call.args]  # cannot map: every argument counts
        if arg.keyword is not None:
            if arg.keyword.value in wanted:
                out.append(arg.value)
        else:
            if position < len(params) and params[position] in wanted:
                out.append(arg.value)
            position += 1
    return out


def _leaves(body: cst.BaseSuite) -> bool:
    """Whether a block always leaves the enclosing flow (return, raise, continue, break)."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    if not statements:
        return False
    last = statements[-1]
    smalls = last.body if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else []
    return bool(smalls) and isinstance(smalls[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))


def _target_names(target: cst.BaseExpression) -> Set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: Set[str] = set()
        for element in target.elements:
            out |= _target_names(element.value)
        return out
    return set()


def _names_in(expr: cst.BaseExpression) -> Set[str]:
    return {expr.value} if isinstance(expr, cst.Name) else set()


def safe_type(annotation: cst.BaseExpression, is_enum) -> bool:
    """An annotation whose every type holds no text (`int`, `Optional[UUID]`, `date | None`,
    `list[int]`, `Literal["asc", "desc"]`, an enum for which ``is_enum`` answers)."""
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return (dotted(annotation) or "") in _SAFE_TYPES or is_enum(annotation)
    if isinstance(annotation, cst.Subscript):
        wrapper = dotted(annotation.value) or ""
        if wrapper in ("Literal", "typing.Literal", "typing_extensions.Literal"):
            return True
        return wrapper in _SAFE_CONTAINERS and all(
            isinstance(e.slice, cst.Index) and safe_type(e.slice.value, is_enum) for e in annotation.slice)
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        return safe_type(annotation.left, is_enum) and safe_type(annotation.right, is_enum)
    return False


def _constant_attribute(expr: cst.Attribute) -> bool:
    attr = expr.attr.value
    if _UPPER.match(attr) or attr in ("__tablename__", "__name__"):
        return True
    if _SCHEMA_IDENTIFIER.search(attr):
        return True  # self.table_name, self.schema_name: identifiers from the schema definition
    if attr in ("name", "fullname", "key"):
        # the name of a table or model: Model.__table__.name, users_table.name
        owner = dotted(expr.value) or ""
        return owner.endswith("__table__") or "table" in owner.lower()
    if attr == "value":
        inner = expr.value
        return isinstance(inner, cst.Attribute) and bool(_UPPER.match(inner.attr.value))
    return False


def _binary_of(operator: cst.BaseAugOp) -> cst.BaseBinaryOp:
    name = type(operator).__name__.replace("Assign", "")
    return getattr(cst, name)()

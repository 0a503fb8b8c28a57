"""Local value tracking and constant-ness of expressions, shared by the security rules.

A rule deriving from :class:`LocalValuesRule` records, per function, every plain-name
assignment in source order. ``value_of(name, before)`` answers with the latest binding made
before a given point, so ``q = q + x`` reads the previous ``q`` and evaluation never loops.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import dotted, string_value
from fastapi_lint.rule import Rule

_UPPER = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_DEPTH = 8
# calls whose result cannot carry attacker-chosen text into a query or command
_CASTS = {"builtins.int", "builtins.float", "builtins.len", "builtins.bool", "builtins.round",
          "builtins.abs", "builtins.range", "uuid.uuid4", "uuid.uuid1"}
# identifier/literal quoting helpers of the database drivers
_QUOTERS = {"quote_ident", "quote_identifier", "quote_name", "Identifier", "Literal",
            "escape_identifier", "escape_literal", "escape_string"}
LATEST = 1 << 60  # a point after every binding made so far
_SCHEMA_IDENTIFIER = re.compile(
    r"(?:^|_)(?:table|schema|column|index|trigger|function|constraint|sequence|view)_?name$")


@dataclass
class Frame:
    order: List[Tuple[str, Optional[cst.BaseExpression]]] = field(default_factory=list)
    by_name: Dict[str, List[int]] = field(default_factory=dict)
    params: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class Binding:
    value: Optional[cst.BaseExpression]  # None: bound to something unknown (loop, unpacking)
    index: int


class LocalValuesRule(Rule):
    """A rule that knows what plain local names were last assigned inside the current function."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._frames: List[Frame] = []

    # -- recording --------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.append(star.name.value)
        self._frames.append(Frame(params=frozenset(names)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            combined = cst.BinaryOperation(node.target, _binary_of(node.operator), node.value)
            self.bind(node.target.value, combined)

    def visit_For(self, node: cst.For) -> None:
        # `for table in ("users", "items"):` iterates constants: the target is one too
        constant = isinstance(node.target, cst.Name) and self.is_constant(node.iter)
        self._bind_target(node.target, node.iter if constant else None)

    def _bind_target(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, None)

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

    # -- constants --------------------------------------------------------------------------
    def is_constant(self, expr: cst.BaseExpression, before: int = LATEST, depth: int = 0,
                    loop_constants: FrozenSet[str] = frozenset(),
                    sanitizers: FrozenSet[str] = frozenset()) -> bool:
        """Whether ``expr`` can only produce program-chosen text (no outside input)."""
        if depth > _DEPTH:
            return False
        again = lambda e, b=before: self.is_constant(e, b, depth + 1, loop_constants, sanitizers)  # noqa: E731
        if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
            return True
        if isinstance(expr, cst.ConcatenatedString):
            return again(expr.left) and again(expr.right)
        if isinstance(expr, cst.FormattedString):
            return all(again(p.expression) for p in expr.parts if isinstance(p, cst.FormattedStringExpression))
        if isinstance(expr, cst.Name):
            return self._constant_name(expr.value, before, depth, loop_constants, sanitizers)
        if isinstance(expr, cst.Attribute):
            return _constant_attribute(expr)
        if isinstance(expr, cst.Call):
            return self._constant_call(expr, again, sanitizers)
        if isinstance(expr, cst.BinaryOperation):
            return again(expr.left) and again(expr.right)
        if isinstance(expr, cst.UnaryOperation):
            return again(expr.expression)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(isinstance(e, cst.Element) and again(e.value) for e in expr.elements)
        if isinstance(expr, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            inner = loop_constants | _range_targets(expr.for_in)
            return self.is_constant(expr.elt, before, depth + 1, inner, sanitizers)
        if isinstance(expr, cst.IfExp):
            return again(expr.body) and again(expr.orelse)
        if isinstance(expr, cst.Subscript):
            return again(expr.value)
        return False

    def _constant_name(self, name: str, before: int, depth: int,
                       loop_constants: FrozenSet[str], sanitizers: FrozenSet[str]) -> bool:
        if name in ("True", "False", "None") or name in loop_constants or _UPPER.match(name):
            return True
        bound = self.binding(name, before)
        if bound is not None:
            return bound.value is not None and self.is_constant(
                bound.value, bound.index, depth + 1, loop_constants, sanitizers)
        if self.in_function and (self.is_param(name) or self._frames[-1].by_name.get(name)):
            return False
        value = self.module_value(name)
        return value is not None and isinstance(value, (cst.SimpleString, cst.ConcatenatedString,
                                                        cst.Integer, cst.Float))

    def _constant_call(self, call: cst.Call, again, sanitizers: FrozenSet[str]) -> bool:
        resolved = self.ctx.resolve(call.func) or ""
        if resolved in _CASTS or resolved in sanitizers:
            return True
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if last in _QUOTERS:
            return True
        if last == "quote" and "prepar" in (dotted(func) or ""):
            return True  # dialect.identifier_preparer.quote(...)
        if isinstance(func, cst.Attribute) and last in ("join", "format") and string_value(func.value) is not None:
            return all(again(arg.value) for arg in call.args)
        if isinstance(func, cst.Attribute) and last in ("upper", "lower", "strip") and not call.args:
            return again(func.value)
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


def _range_targets(for_in: Optional[cst.CompFor]) -> FrozenSet[str]:
    """Comprehension targets iterating ``range(...)``/``enumerate``'s index: integers."""
    names: Set[str] = set()
    while for_in is not None:
        iterator = for_in.iter
        if isinstance(iterator, cst.Call) and isinstance(iterator.func, cst.Name) and iterator.func.value == "range":
            if isinstance(for_in.target, cst.Name):
                names.add(for_in.target.value)
        for_in = for_in.inner_for_in
    return frozenset(names)


def _binary_of(operator: cst.BaseAugOp) -> cst.BaseBinaryOp:
    name = type(operator).__name__.replace("Assign", "")
    return getattr(cst, name)()

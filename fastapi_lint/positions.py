"""Line/column spans of the few nodes a file's findings point at.

libcst's ``PositionProvider`` generates the whole module and records a span for every node
(a ``CodePosition`` per node, a regex split per token), after a full metadata traversal.
We need spans for a handful of nodes: this state generates the module once, tracks line and
column lazily (only when a span is taken), and records spans only inside the subtrees of the
target nodes — where libcst's rules for syntactic positions (a statement ends where its last
child ends...) need the children's spans. The result is the same span PositionProvider
gives, plus the indentation enclosing each target (for fixes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata.position_provider import NEWLINE_RE


@dataclass
class Span:
    range: CodeRange
    # the indentation of every indented block around the node, outermost first
    indents: Tuple[str, ...]


@dataclass
class _TargetedState(CodegenState):
    targets: frozenset = frozenset()  # ids of the nodes whose spans are wanted
    spans: Dict[int, CodeRange] = field(default_factory=dict)
    indents: Dict[int, Tuple[str, ...]] = field(default_factory=dict)
    _depth: int = 0  # > 0 inside a target's subtree: record every span there
    _starts: List[CodePosition] = field(default_factory=list)
    _line: int = 1
    _column: int = 0
    _folded: int = 0  # tokens already counted into _line/_column
    _pending: int = -1  # targets not yet generated (set by spans_of)

    def _position(self) -> CodePosition:
        tokens = self.tokens
        if self._folded < len(tokens):
            new = tokens[self._folded:]
            self._folded = len(tokens)
            chunk = "".join(new)
            if "\r" in chunk:  # token by token, exactly as PositionProvider splits them
                for token in new:
                    self._fold_slowly(token)
            else:
                newlines = chunk.count("\n")
                if newlines:
                    self._line += newlines
                    self._column = len(chunk) - chunk.rfind("\n") - 1
                else:
                    self._column += len(chunk)
        return CodePosition(self._line, self._column)

    def _fold_slowly(self, token: str) -> None:
        segments = NEWLINE_RE.split(token)
        if len(segments) == 1:
            self._column += len(token)
        else:
            self._line += len(segments) - 1
            self._column = len(segments[-1])

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            self._depth += 1
            self.indents[id(node)] = tuple(self.indent_tokens)
        if self._depth:
            self._starts.append(self._position())

    def after_codegen(self, node: cst.CSTNode) -> None:
        if self._depth:
            start = self._starts.pop()
            if id(node) not in self.spans:  # the syntactic span, when recorded, wins
                self.spans[id(node)] = CodeRange(start, self._position())
        if id(node) in self.targets:
            self._depth -= 1
            self._pending -= 1
            if not self._pending:  # the rest of the module is of no interest
                raise _AllSpansTaken

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> "_NullContext | _Recording":
        # called around most nodes: outside the targets' subtrees, a shared no-op (a
        # generator-based context manager per node cost as much as the code generation)
        if not self._depth:
            return _NULL_CONTEXT
        return _Recording(self, node, start_node, end_node)


class _NullContext:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NULL_CONTEXT = _NullContext()


class _Recording:
    """The syntactic span of ``node``: from where it starts (or ``start_node`` starts) to
    where it ends (or ``end_node`` ends)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _TargetedState, node: cst.CSTNode, start_node: Optional[cst.CSTNode],
                 end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = self.state._position()

    def __exit__(self, *exc: object) -> None:
        state = self.state
        start, end = self.start, state._position()
        if self.start_node is not None:
            start = state.spans[id(self.start_node)].start
        if self.end_node is not None:
            end = state.spans[id(self.end_node)].end
        state.spans[id(self.node)] = CodeRange(start, end)


class _AllSpansTaken(Exception):
    pass


def spans_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[int, Span]:
    """``id(node)`` -> span of each of ``nodes`` found in ``module``."""
    targets = frozenset(id(node) for node in nodes)
    state = _TargetedState(default_indent=module.default_indent, default_newline=module.default_newline,
                           targets=targets, _pending=len(targets))
    try:
        module._codegen(state)
    except _AllSpansTaken:
        pass
    return {key: Span(state.spans[key], state.indents[key]) for key in targets if key in state.spans}

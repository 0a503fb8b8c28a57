"""Line/column spans of the few nodes a file's findings point at.

libcst's ``PositionProvider`` generates the whole module and records a span for every node
(a ``CodePosition`` per node, a regex split per token), after a full metadata traversal.
We need spans for a handful of nodes: this state generates the module once, tracks line and
column lazily (only when a span is taken), and records spans only inside the subtrees of the
target nodes — where libcst's rules for syntactic positions (a statement ends where its last
child ends...) need the children's spans. The result is the same span PositionProvider
gives, plus the indentation enclosing each target (for fixes).

Generating the module up to a target late in a long file was most of the cost of
positions, so when the source text is given only the top-level statements holding targets
are generated: each starts at column 0 of a line the `ast` parse tells (its first token's
line, minus the comment and blank lines libcst attaches in front of it), and the generated
text is checked against the source at that line before its spans are trusted.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata.position_provider import NEWLINE_RE

from fastapi_lint.walk import descendants


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


def spans_of(module: cst.Module, nodes: Iterable[cst.CSTNode], text: Optional[str] = None) -> Dict[int, Span]:
    """``id(node)`` -> span of each of ``nodes`` found in ``module``; ``text``, the source
    ``module`` was parsed from, lets only the statements holding them be generated."""
    targets = frozenset(id(node) for node in nodes)
    if text is not None:
        spans = _spans_by_statement(module, targets, text)
        if spans is not None:
            return spans
    return _generate(module, targets, module, 1)


def _generate(module: cst.Module, targets: frozenset, node: cst.CSTNode, line: int) -> Dict[int, Span]:
    state = _TargetedState(default_indent=module.default_indent, default_newline=module.default_newline,
                           targets=targets, _pending=len(targets), _line=line)
    try:
        node._codegen(state)
    except _AllSpansTaken:
        pass
    return {key: Span(state.spans[key], state.indents[key]) for key in targets if key in state.spans}


def _spans_by_statement(module: cst.Module, targets: frozenset, text: str) -> Optional[Dict[int, Span]]:
    """The spans, from the top-level statements that hold targets; None where this cannot
    be done exactly (a target outside the statements, a CR line end, `ast` failing on
    newer syntax, a statement's text not where its anchor says), and the caller generates
    the module instead."""
    if "\r" in text:
        return None
    holders = _statements_holding(module.body, targets)
    if holders is None:
        return None
    try:
        tree = compile(text, "<positions>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    first_lines = _first_token_lines(module.body, tree.body)
    if first_lines is None:
        return None
    line_starts = [0, *accumulate(len(line) + 1 for line in text.split("\n"))]
    spans: Dict[int, Span] = {}
    for index, wanted in holders.items():
        statement = module.body[index]
        line = first_lines[index] - _lines_before_first_token(statement)
        if not 0 < line < len(line_starts):
            return None
        state = _TargetedState(default_indent=module.default_indent, default_newline=module.default_newline,
                               targets=wanted, _pending=len(wanted), _line=line)
        try:
            statement._codegen(state)
        except _AllSpansTaken:
            pass
        if not text.startswith("".join(state.tokens), line_starts[line - 1]):
            return None
        spans.update((key, Span(state.spans[key], state.indents[key])) for key in wanted if key in state.spans)
    return spans


def _statements_holding(body: Sequence[cst.BaseStatement], targets: frozenset) -> Optional[Dict[int, frozenset]]:
    """Index of each top-level statement -> the targets in its subtree; None if a target is
    elsewhere (the module itself, its header or footer, a trivia node)."""
    holders: Dict[int, frozenset] = {}
    left = set(targets)
    for index, statement in enumerate(body):
        if not left:
            break
        found = {id(statement)} & left
        found.update(key for key in map(id, descendants(statement)) if key in left)
        if found:
            holders[index] = frozenset(found)
            left -= found
    return None if left else holders


def _first_token_lines(body: Sequence[cst.BaseStatement], tree_body: List[ast.stmt]) -> Optional[List[int]]:
    """The line of each top-level statement's first token, from ``ast``: a simple statement
    line holds one ``ast`` statement per small statement (``a = 1; b = 2``)."""
    lines: List[int] = []
    position = 0
    for statement in body:
        if position >= len(tree_body):
            return None
        node = tree_body[position]
        decorators = getattr(node, "decorator_list", None)
        lines.append(min(d.lineno for d in decorators) if decorators else node.lineno)
        position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return lines if position == len(tree_body) else None


def _lines_before_first_token(statement: cst.BaseStatement) -> int:
    """The comment and blank lines libcst generates before a statement's first token."""
    count = len(getattr(statement, "leading_lines", ()))
    decorators = getattr(statement, "decorators", ())
    if decorators:
        count += len(decorators[0].leading_lines)
    return count

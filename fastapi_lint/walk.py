"""A read-only libcst traversal, several times cheaper than ``CSTNode.visit``.

``CSTNode.visit`` is built for transformers: it rebuilds (and re-validates) every node of
the tree even when a plain visitor changes nothing, which costs about twice the parse. We
only read the tree, so this walker descends through each node type's child fields in the
same order libcst visits them, and skips the whitespace and punctuation nodes no rule looks
at — unless a handler asks for one of those types.
"""
from __future__ import annotations

import dataclasses
import functools
import linecache
import re
import typing
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, Tuple, Type

import libcst as cst
from libcst._nodes import op as _op
from libcst._nodes import whitespace as _whitespace

# Nodes that are only layout or punctuation: whitespace, comments, brackets, commas,
# operators. Their subtrees hold nothing but more of the same.
TRIVIA: FrozenSet[type] = frozenset(
    value
    for module in (_op, _whitespace)
    for value in vars(module).values()
    if isinstance(value, type) and issubclass(value, cst.CSTNode)
) | {
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Asynchronous,
}


# ``_visit_and_replace_children`` visits fields with ``visit_required(self, "name", ...)``
# and friends, in source order; some only under a condition (``format_spec`` when present),
# so the order is read from the method's source rather than learned from one instance.
_VISITED_FIELD = re.compile(r"""\bvisit_[a-z_]+\(\s*self,\s*["'](\w+)["']""")

_FIELDS: Dict[Tuple[type, bool], Tuple[str, ...]] = {}


def _visited_fields(node_type: type) -> Tuple[str, ...]:
    source = _method_source(node_type._visit_and_replace_children)
    if source is None:  # no source installed: the dataclass order, close enough
        return tuple(f.name for f in dataclasses.fields(node_type))
    return tuple(dict.fromkeys(_VISITED_FIELD.findall(source)))


def _method_source(method: Callable[..., object]) -> typing.Optional[str]:
    """A method's source, as ``inspect.getsource`` gives it for a tenth of the cost (no
    tokenizing; the first lint of a one-file run reads some forty of them): decorators, the
    signature up to its colon, then the lines indented deeper than the ``def``."""
    code = getattr(method, "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start
    while end < len(lines) and lines[end].lstrip().startswith("@"):
        end += 1
    depth = 0
    while end < len(lines):  # the signature, brackets balanced up to a closing colon
        text = lines[end].split("#", 1)[0].rstrip()
        depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        end += 1
        if depth <= 0 and text.endswith(":"):
            break
    while end < len(lines):
        line = lines[end]
        stripped = line.lstrip()
        if stripped and len(line) - len(stripped) <= indent:
            break
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[start:end])


def _fields_of(node: cst.CSTNode, keep_trivia: bool) -> Tuple[str, ...]:
    key = (type(node), keep_trivia)
    fields = _FIELDS.get(key)
    if fields is None:
        fields = _visited_fields(type(node))
        if not keep_trivia:
            fields = tuple(name for name in fields if not _holds_only_trivia(type(node), name))
        _FIELDS[key] = fields
    return fields


_NOT_A_NODE = (type(None), str, cst.MaybeSentinel)


def _holds_only_trivia(owner: type, name: str) -> bool:
    """Whether a field's declared type admits nothing but trivia (``Sequence[Comma]``,
    ``Optional[LeftParen]``, ``BaseParenthesizableWhitespace``...)."""
    if owner in TRIVIA:
        return True
    hint = _type_hints(owner).get(name)
    if hint is None:  # an annotation this Python cannot evaluate: walk the field
        return False
    return all(t in _NOT_A_NODE or t in TRIVIA for t in _leaf_types(hint))


@functools.lru_cache(maxsize=None)
def _type_hints(owner: type) -> Dict[str, object]:
    try:
        return typing.get_type_hints(owner)
    except Exception:
        return {}


def _leaf_types(hint: object) -> Iterator[object]:
    args = typing.get_args(hint)
    if not args:
        yield hint
        return
    for arg in args:
        yield from _leaf_types(arg)


Handler = Callable[[cst.CSTNode], None]


def walk(root: cst.CSTNode, on_visit: Handler, on_leave: Handler, keep_trivia: bool = False) -> None:
    """Call ``on_visit`` and ``on_leave`` around every node under ``root`` (itself included),
    in libcst's order. Trivia nodes are skipped unless ``keep_trivia``."""
    fields_cache = _FIELDS
    node_type = cst.CSTNode
    # a field may hold trivia or code: ``ImportFrom.names`` is ``*`` or aliases
    skip = TRIVIA if not keep_trivia else frozenset()

    def visit(node: cst.CSTNode) -> None:
        on_visit(node)
        fields = fields_cache.get((type(node), keep_trivia))
        if fields is None:
            fields = _fields_of(node, keep_trivia)
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, node_type):
                if type(value) not in skip:
                    visit(value)
            elif type(value) is tuple or type(value) is list:
                for child in value:
                    visit(child)
        on_leave(node)

    try:
        visit(root)
    finally:
        # ``visit`` holds itself through its closure: without this, the cycle keeps the
        # handlers (and through the rules, the whole tree) alive until a full collection
        del visit


def children(node: cst.CSTNode, keep_trivia: bool = False) -> Iterator[cst.CSTNode]:
    """The direct children of ``node`` in order (a cheap ``node.children``)."""
    skip = TRIVIA if not keep_trivia else frozenset()
    for name in _fields_of(node, keep_trivia):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if type(value) not in skip:
                yield value
        elif type(value) is tuple or type(value) is list:
            yield from value


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (not itself), depth first in source order, trivia skipped."""
    stack = list(reversed(tuple(children(node))))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(tuple(children(current))))


def needs_trivia(node_types: Iterable[Type[cst.CSTNode]]) -> bool:
    """Whether any handled type is (or lives only inside) trivia."""
    return any(t in TRIVIA for t in node_types)

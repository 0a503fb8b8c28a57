"""The read-only walker must see exactly what libcst's own visitor sees, in the same order."""
from __future__ import annotations

import glob
import os
from typing import List, Tuple

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from fastapi_lint import walk
from fastapi_lint.engine import parse
from tests.fastapi_programs import fastapi_programs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRICKY = '''\
from a import *
from .b import (c as d,)
import e.f as g
@dec(1)
@other
async def f(a, /, b: int = 2, *args: str, c, d=3, **kw) -> "T":
    global h
    x: list[int] = [i async for i in y if i if not i]
    async with p as (q, r), s:
        yield from z
    try:
        pass
    except* ValueError as err:
        del x[1:2:3], y
    match v:
        case {"k": [1, *rest], **others} if rest:
            pass
        case Point(x=0) | None as w:
            pass
    return (lambda m=1, *, n: m)(n=f"{a!r:>{w}} {b=}") @ ~x ** -y
class K[T: int, *Ts, **P](Base, metaclass=M):
    type Alias[U] = dict[U, T]
    def g(self): nonlocal_ = {**a, 'b': (yield)}; assert a, b; raise X from Y
while (n := 1) and not done or 1 < x <= 3 is not None: break
else: continue
for i, in z: print(i, sep=''); i += 1; i @= 2
with (a as b, c): ...
t = 1 if x else 2j, 1.5, ..., b"x" b"y", {1, 2}, {k: v for k, v in d}, {*a}
'''


def _libcst_events(module: cst.Module, keep_trivia: bool) -> List[Tuple[str, int]]:
    events: List[Tuple[str, int]] = []

    class Recorder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if not keep_trivia and type(node) in walk.TRIVIA:
                return False
            events.append(("visit", id(node)))
            return True

        def on_leave(self, node: cst.CSTNode) -> None:
            if keep_trivia or type(node) not in walk.TRIVIA:
                events.append(("leave", id(node)))

    module.visit(Recorder())
    return events


def _walk_events(module: cst.Module, keep_trivia: bool) -> List[Tuple[str, int]]:
    events: List[Tuple[str, int]] = []
    walk.walk(module, lambda n: events.append(("visit", id(n))), lambda n: events.append(("leave", id(n))),
              keep_trivia=keep_trivia)
    return events


def _sources() -> List[str]:
    paths = sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True))
    paths += sorted(glob.glob(os.path.join(ROOT, "fastapi_lint", "**", "*.py"), recursive=True))
    return [TRICKY] + [open(p, encoding="utf-8", errors="replace").read() for p in paths]


@pytest.mark.parametrize("keep_trivia", [False, True])
def test_walk_matches_libcst_visit_order(keep_trivia: bool) -> None:
    checked = 0
    for source in _sources():
        try:
            module = parse(source)
        except Exception:
            continue  # the syntax-error fixtures
        assert _walk_events(module, keep_trivia) == _libcst_events(module, keep_trivia)
        checked += 1
    assert checked > 100


def test_trivia_is_skipped_unless_asked_for() -> None:
    module = parse("(f(a, b))  # note\n")
    seen = set()
    walk.walk(module, lambda n: seen.add(type(n)), lambda n: None)
    assert cst.Call in seen and cst.Name in seen
    assert not seen & {cst.Comma, cst.Comment, cst.SimpleWhitespace, cst.LeftParen}
    seen.clear()
    walk.walk(module, lambda n: seen.add(type(n)), lambda n: None, keep_trivia=True)
    assert {cst.Comma, cst.Comment, cst.LeftParen} <= seen


def test_children_and_descendants_follow_source_order() -> None:
    call = parse("f(a, k=b)\n").body[0].body[0].value
    assert [type(c).__name__ for c in walk.children(call)] == ["Name", "Arg", "Arg"]
    names = [n.value for n in walk.descendants(call) if isinstance(n, cst.Name)]
    assert names == ["f", "a", "k", "b"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(fastapi_programs())
def test_walk_matches_libcst_on_generated_programs(source: str) -> None:
    try:
        module = parse(source)
    except Exception:  # the generator also makes programs with syntax errors
        return
    assert _walk_events(module, False) == _libcst_events(module, False)


def test_fields_visited_only_under_a_condition_are_known_from_the_first_node() -> None:
    """``format_spec`` is visited only when present: meeting a spec-less f-string first must
    not hide the spec of the next one."""
    walk._FIELDS.clear()
    module = parse("f'{a}'\nf'{b:>{width}}'\n")
    assert _walk_events(module, False) == _libcst_events(module, False)


def test_every_node_type_has_its_visited_fields_from_source() -> None:
    import dataclasses
    import inspect

    for node_type in vars(cst).values():
        if not (isinstance(node_type, type) and issubclass(node_type, cst.CSTNode)) or inspect.isabstract(node_type):
            continue
        visited = walk._visited_fields(node_type)
        assert set(visited) <= {f.name for f in dataclasses.fields(node_type)}, node_type


def test_method_source_is_what_inspect_reads() -> None:
    """The walker reads each node type's visiting method without ``inspect`` (ten times
    cheaper); it must read the same text: decorators, multi-line signatures, trailing lines."""
    import inspect

    compared = 0
    for node_type in vars(cst).values():
        if not (isinstance(node_type, type) and issubclass(node_type, cst.CSTNode)):
            continue
        method = node_type._visit_and_replace_children
        assert walk._method_source(method) == inspect.getsource(method), node_type
        compared += 1
    assert compared > 100

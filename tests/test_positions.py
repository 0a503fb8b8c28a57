"""Targeted spans equal libcst's PositionProvider, node for node."""
from __future__ import annotations

import glob
import os
import random

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from fastapi_lint.engine import parse
from fastapi_lint.positions import spans_of
from tests.helpers import FIXTURES, REPO

_SOURCES = [
    "x = 1\r\ny = 'a\\\r\nb'\r\nif x:\r\n    f(\r\n        y)\r\n",
    "class A:\n\tdef f(self):\n\t\treturn [\n\t\t\t1,\n\t\t]\n",
    "@d\nasync def f(a,\n      b):  # c\n    await g()\n\n\n# tail\n",
]


def _modules():
    paths = sorted(glob.glob(os.path.join(FIXTURES, "**", "*.py"), recursive=True))
    paths += sorted(glob.glob(os.path.join(REPO, "fastapi_lint", "rules", "**", "*.py"), recursive=True))[:20]
    texts = list(_SOURCES)
    for path in paths:
        with open(path, "rb") as handle:
            texts.append(handle.read().decode("utf-8", "replace"))
    for text in texts:
        try:
            yield parse(text)
        except Exception:
            continue


def _all_nodes(module: cst.Module):
    nodes = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


def test_spans_equal_position_provider_for_every_node() -> None:
    checked = 0
    for module in _modules():
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = _all_nodes(module)
        spans = spans_of(module, nodes)
        for node in nodes:
            assert spans[id(node)].range == expected[node], (type(node).__name__, module.code_for_node(node)[:60])
            checked += 1
    assert checked > 10_000


def test_spans_of_a_few_targets_equal_position_provider() -> None:
    """Alone, a target is measured without its neighbours' spans: the lazy line/column
    counting must still land on the same place."""
    rng = random.Random(7)
    for module in _modules():
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = _all_nodes(module)
        for node in rng.sample(nodes, min(5, len(nodes))):
            assert spans_of(module, [node])[id(node)].range == expected[node]


def test_indents_are_the_enclosing_blocks() -> None:
    module = parse("class A:\n    def f(self):\n        return 1\n")
    ret = module.body[0].body.body[0].body.body[0].body[0]
    assert isinstance(ret, cst.Return)
    assert spans_of(module, [ret])[id(ret)].indents == ("    ", "    ")
    assert spans_of(module, [module.body[0]])[id(module.body[0])].indents == ()

"""The source text of a replacement node, generated for the place of the node it replaces.

``Module.code_for_node`` generates code as if the node stood at the top level. A node whose
whitespace continues lines inside brackets (``ParenthesizedWhitespace(indent=True)``, e.g. a
multi-line parameter list or call) then loses the indentation of the blocks around it: a
method's parameters would shift left by the class body's indentation. Generating with the
enclosing blocks' indentation restores it.
"""
from __future__ import annotations

from typing import List, Mapping

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange


def code_in_place(module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange], old: cst.CSTNode,
                  new: cst.CSTNode) -> str:
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    state.indent_tokens.extend(enclosing_indents(module, positions, old))
    new._codegen(state)
    return "".join(state.tokens)


def enclosing_indents(module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange], target: cst.CSTNode) -> List[str]:
    """The indentation of every indented block that contains ``target``, outermost first."""
    goal = positions.get(target)
    if goal is None:
        return []
    indents: List[str] = []
    node: cst.CSTNode = module
    while node is not target:
        for child in node.children:
            span = positions.get(child)
            if child is target or (span is not None and _contains(span, goal)):
                if isinstance(child, cst.IndentedBlock):
                    indents.append(module.default_indent if child.indent is None else child.indent)
                node = child
                break
        else:
            break  # positions ran out (a node without a span): keep what was found
    return indents


def _contains(outer: CodeRange, inner: CodeRange) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)

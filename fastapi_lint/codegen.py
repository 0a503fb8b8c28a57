"""The source text of a replacement node, generated for the place of the node it replaces.

``Module.code_for_node`` generates code as if the node stood at the top level. A node whose
whitespace continues lines inside brackets (``ParenthesizedWhitespace(indent=True)``, e.g. a
multi-line parameter list or call) then loses the indentation of the blocks around it: a
method's parameters would shift left by the class body's indentation. Generating with the
enclosing blocks' indentation (``positions.Span.indents``) restores it.
"""
from __future__ import annotations

from typing import Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState


def code_in_place(module: cst.Module, indents: Sequence[str], new: cst.CSTNode) -> str:
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    state.indent_tokens.extend(indents)
    new._codegen(state)
    return "".join(state.tokens)

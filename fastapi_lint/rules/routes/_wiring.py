"""Shared by the rules that read the app's route table (FAPI209, FAPI210): which function
or assignment of the module being linted a table entry is."""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.prefilter import has_route
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_decls import ROUTE_DECLS
from fastapi_lint.rule import Rule


def module_of(project: Optional[ProjectIndex], path: Optional[str]) -> Optional[str]:
    summary = project.summary_for(path) if project is not None else None
    return summary.module if summary is not None else None


class QualnameRule(Rule):
    """Tracks the qualified name (``Class.method``, ``factory.<locals>``...) being visited."""

    PROJECT_FACTS = (ROUTE_DECLS,)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._names: List[str] = []

    def qualname(self, name: str) -> str:
        return ".".join([*self._names, name])

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._names.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._names.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.function(node)
        self._names.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._names.pop()

    def function(self, node: cst.FunctionDef) -> None:
        """Called on entering each function, before its name joins the qualified name."""


__all__ = ["QualnameRule", "has_route", "module_of"]

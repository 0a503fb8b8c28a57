"""Shared by the rules that read the app's route table (FAPI206, FAPI207, FAPI209, FAPI210,
FAPI312): which function or assignment of the module being linted a table entry is."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from fastapi_lint.facts import RouteInfo
from fastapi_lint.prefilter import has_route
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_decls import ROUTE_DECLS
from fastapi_lint.project.route_table import Route, table
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




Registration = Tuple[Route, bool]  # a table entry, and whether its full path is complete


def registrations(project: ProjectIndex) -> Dict[Tuple[str, str], List[Registration]]:
    """(module, function qualname) -> the table's entries of its routes. A full path is
    complete when an app serves the route (every prefix of the chain is known); a router no
    app reaches, or one the model cannot place, may still get a prefix at run time."""
    return project.derived("route-registrations", _registrations)


def _registrations(project: ProjectIndex) -> Dict[Tuple[str, str], List[Registration]]:
    found: Dict[Tuple[str, str], List[Registration]] = {}
    routes = table(project)
    for entries, complete in ((routes.routes, True), (routes.unincluded, False), (routes.unresolved, False)):
        for route in entries:
            found.setdefault((route.module, route.function), []).append((route, complete))
    return found


def registered(project: Optional[ProjectIndex], module: str, qualname: str, route: RouteInfo) -> List[Registration]:
    """The table's entries of the facts' ``route`` of function ``qualname``."""
    if project is None or route.path is None:
        return []
    methods = route.methods or ("WEBSOCKET",)
    return [(entry, complete) for entry, complete in registrations(project).get((module, qualname), ())
            if tuple(entry.methods) == tuple(methods) and (entry.path is None or entry.path.endswith(route.path))]


__all__ = ["QualnameRule", "Registration", "has_route", "module_of", "registered", "registrations"]

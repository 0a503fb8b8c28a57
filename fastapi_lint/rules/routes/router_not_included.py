from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_table import Node, table
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.routes._wiring import QualnameRule, module_of


def orphans(project: ProjectIndex) -> Dict[str, Node]:
    """Routers with routes that no app reaches, by key; none when the project has no app
    that includes a router, or includes one it cannot name (``for r in routers: ...``)."""
    return project.derived("orphan-routers", _orphans)


def _orphans(project: ProjectIndex) -> Dict[str, Node]:
    found = table(project)
    if not found.app_includes or found.dynamic_includes:
        return {}
    return {node.key: node for node in found.orphans if not node.is_app}


class RouterNotIncluded(QualnameRule):
    """
    ## What it does
    Reports an `APIRouter` (or a project subclass) with routes that no `include_router` or
    `mount` of the project reaches from an app, directly or through other routers. The
    finding points at the router's creation. Reported only when the project has an app that
    includes at least one router (libraries and partial checkouts stay silent), and not at
    all when some `include_router` call takes a router the linter cannot name (a loop over a
    list of routers, a dynamic import, a router returned by a function). A router that might
    be served is never reported: one included into an app or router the linter cannot name
    (`get_app().include_router(r)`), handed to code it does not follow (`VersionedFastAPI(app,
    routers=[r])`, `app.router.routes.extend(r.routes)`) or collected in a list, tuple or
    dict (`ROUTERS = [r]`).

    ## Why is this bad?
    Its routes are never served: requests get 404, although the code, its tests of the
    handlers and its reviewers all suggest the endpoints exist. Usually a forgotten
    `app.include_router(...)` after adding a module.

    ## Example
    ```python
    # app/api/reports.py
    router = APIRouter(prefix="/reports")

    @router.get("/")
    async def list_reports(): ...

    # app/main.py -- includes users.router, but not reports.router
    app.include_router(users.router)
    ```

    ## Use instead
    ```python
    # app/main.py
    app.include_router(users.router)
    app.include_router(reports.router)
    ```

    ## References
    - [FastAPI: Bigger Applications - Multiple Files](https://fastapi.tiangolo.com/tutorial/bigger-applications/)
    """

    CODE = "FAPI210"
    NAME = "router-not-included"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("routes", "correctness")
    SEEDS = ("000",)
    TRIGGERS = ("Router", "FastAPI", "API")

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        module = module_of(project, path)
        return module is not None and any(n.module == module for n in orphans(project).values())

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.project is None or not isinstance(node.value, cst.Call):
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._check(target.target.value, node.value)
                return

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.ctx.project is not None and isinstance(node.value, cst.Call) and isinstance(node.target, cst.Name):
            self._check(node.target.value, node.value)

    def _check(self, name: str, call: cst.Call) -> None:
        module = self.ctx.facts.module_name
        scope = ".".join(self._names)
        key = f"{module}.{scope}.<locals>.{name}" if scope else f"{module}.{name}"
        if module == "":
            key = f"{scope}.<locals>.{name}" if scope else name
        node: Optional[Node] = orphans(self.ctx.project).get(key)
        if node is not None:
            self.report(call, f"router `{name}` has routes but no `include_router`/`mount` of the project "
                              "reaches it from an app: its routes are never served")

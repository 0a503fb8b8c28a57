from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set

import libcst as cst

from fastapi_lint.names import iter_params, keyword, positional
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.lifecycle._session_dependencies import SESSION_DEPENDENCIES, session_dependencies

# FastAPI ran the cleanup of `yield` dependencies before the response was sent (so before
# background tasks and streaming) from 0.106 until 0.118 moved it after the response
CLEANUP_BEFORE_RESPONSE = ("0.106", "0.118")
_DEPENDS = frozenset({
    f"{module}.{name}" for module in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in ("Depends", "Security")
})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_BACKGROUND_TASK = frozenset({"starlette.background.BackgroundTask", "fastapi.background.BackgroundTask"})
_STREAMING = frozenset({
    "starlette.responses.StreamingResponse", "fastapi.responses.StreamingResponse",
    "sse_starlette.EventSourceResponse", "sse_starlette.sse.EventSourceResponse",
})
_TASK_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})


@dataclass
class _Route:
    node: cst.FunctionDef
    sessions: Set[str]
    # functions nested in the route that use one of its sessions (streamed generators)
    users: Set[str] = field(default_factory=set)
    # calls whose result is thrown away (a task nobody awaits)
    discarded: Set[int] = field(default_factory=set)


class SessionOutlivesRequest(Rule):
    """
    ## What it does
    Reports a database session or connection that a route received from a `yield`
    dependency and hands to work that runs after the dependency's cleanup:
    `BackgroundTasks.add_task(...)`, a `BackgroundTask(...)` (for `background=`), the content
    of a `StreamingResponse`/`EventSourceResponse` (a generator given the session, or a
    generator nested in the route that uses it), or `asyncio.create_task(...)`/
    `asyncio.ensure_future(...)` whose task nobody awaits. The finding points at the session
    where it is handed over.

    A dependency yields a session when what it yields is made by a session or connection
    call (`SessionLocal()`, `async_session_maker()`, `Session(engine)`, `engine.connect()`,
    `pool.acquire()`...), directly or through `with ... as` or a local name, or when its
    return annotation names a `Session`/`Connection` type. The route's parameter takes it with
    `Depends(get_db)`, `Annotated[Session, Depends(get_db)]` or an alias such as
    `SessionDep = Annotated[Session, Depends(get_db)]`, in any module of the project.

    Version-aware: FastAPI 0.106 to 0.117 run the cleanup before the response is sent, so
    background tasks and streamed content get a closed session; before 0.106 and from 0.118
    on the cleanup runs after them. Background tasks and streaming are reported unless the
    project's declared FastAPI (its dependency or lock files, or `target-versions`) is outside
    0.106–0.117 for sure. A task spawned with `asyncio.create_task` outlives the request in
    every version and is always reported.

    ## Why is this bad?
    The dependency's cleanup closes the session (`db.close()`, the end of `async with`)
    while the task or the stream still uses it: the work fails with "session is closed"
    errors, or silently runs on a connection returned to the pool and used by another
    request.

    ## Example
    ```python
    @router.post("/reports")
    async def create_report(background_tasks: BackgroundTasks, db: AsyncSession = Depends(get_db)):
        background_tasks.add_task(build_report, db)
    ```

    ## Use instead
    ```python
    async def build_report() -> None:
        async with SessionLocal() as db:  # a session of the task's own
            ...

    @router.post("/reports")
    async def create_report(background_tasks: BackgroundTasks):
        background_tasks.add_task(build_report)
    ```

    ## References
    - [FastAPI: Dependencies with yield and background tasks](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-httpexception-except-and-background-tasks)
    - [FastAPI 0.106.0 release notes](https://fastapi.tiangolo.com/release-notes/#01060)
    - [FastAPI 0.118.0 release notes](https://fastapi.tiangolo.com/release-notes/#01180)
    """

    CODE = "FAPI408"
    NAME = "session-outlives-request"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("lifecycle", "database")
    SEEDS = ("004",)
    TRIGGERS = ("add_task", "BackgroundTask", "StreamingResponse", "EventSourceResponse", "create_task",
                "ensure_future")
    PROJECT_FACTS = (SESSION_DEPENDENCIES,)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        return bool(session_dependencies(project)[0])

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        low, high = CLEANUP_BEFORE_RESPONSE
        self._cleanup_first = ctx.versions.between("fastapi", low, high) is not False
        self._functions, self._aliases = session_dependencies(ctx.project)
        self._routes: List[_Route] = []

    # -- the routes and their sessions ---------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._routes:
            route = self._routes[-1]
            # a nested function (a streamed generator) using the route's session, not a
            # local of its own of the same name
            if _session_name(node.body, route.sessions - _bound_names(node)) is not None:
                route.users.add(node.name.value)
            return
        if self.ctx.routes_of(node):
            sessions = {p.name.value for p in iter_params(node.params) if self._takes_session(p)}
            if sessions:
                self._routes.append(_Route(node, sessions))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._routes and self._routes[-1].node is node:
            self._routes.pop()

    def _takes_session(self, param: cst.Param) -> bool:
        dependency = None
        if isinstance(param.default, cst.Call) and self._is_depends(param.default):
            dependency = _target(param.default)
        elif param.annotation is not None:
            dependency = self._annotated_dependency(param.annotation.annotation)
        return dependency is not None and dependency in self._functions

    def _annotated_dependency(self, annotation: cst.BaseExpression) -> Optional[str]:
        if isinstance(annotation, cst.Subscript) and self.ctx.resolve(annotation.value) in _ANNOTATED:
            for element in annotation.slice[1:]:
                value = getattr(element.slice, "value", None)
                if isinstance(value, cst.Call) and self._is_depends(value):
                    return _target(value)
            return None
        name = _last_name(annotation)
        return self._aliases.get(name) if name is not None else None

    def _is_depends(self, call: cst.Call) -> bool:
        return self.ctx.resolve(call.func) in _DEPENDS

    # -- where the session goes ----------------------------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        if self._routes:
            self._routes[-1].discarded.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._routes:
            return
        route = self._routes[-1]
        resolved = self.ctx.resolve(node.func) or ""
        if resolved in _TASK_SPAWNERS:
            if id(node) in route.discarded:
                self._handed(route, node.args, "a task nobody awaits may run after the dependency's cleanup closed it",
                             "the task")
        elif not self._cleanup_first:
            return
        elif _is_add_task(node, resolved) or resolved in _BACKGROUND_TASK:
            self._handed(route, node.args, "FastAPI 0.106-0.117 close it before background tasks run", "the task")
        elif resolved in _STREAMING:
            content = positional(node, 0) or keyword(node, "content")
            if content is None:
                return
            called = content.value.func if isinstance(content.value, cst.Call) else None
            if isinstance(called, cst.Name) and called.value in route.users:
                self.report(content.value, f"`{called.value}()` streams with a session of a `yield` dependency: "
                                           "FastAPI 0.106-0.117 close it before the response streams; "
                                           "open a new session inside the generator")
            else:
                self._handed(route, [content], "FastAPI 0.106-0.117 close it before the response streams",
                             "the generator")

    def _handed(self, route: _Route, args, why: str, where: str) -> None:
        for arg in args:
            session = _session_name(arg.value, route.sessions)
            if session is not None:
                self.report(session, f"`{session.value}` comes from a `yield` dependency and {why}: "
                                     f"open a new session inside {where}")
                return


def _is_add_task(node: cst.Call, resolved: str) -> bool:
    func = node.func
    # FastAPI injects BackgroundTasks only into a parameter annotated with it: `progress.add_task`
    # of rich, or a queue's, are other things
    return isinstance(func, cst.Attribute) and func.attr.value == "add_task" and "BackgroundTasks" in resolved


def _target(call: cst.Call) -> Optional[str]:
    arg = positional(call, 0) or keyword(call, "dependency")
    return _last_name(arg.value) if arg is not None else None


def _last_name(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _bound_names(function: cst.FunctionDef) -> Set[str]:
    """Names ``function`` binds itself: parameters, assignment, ``with ... as`` and loop targets."""
    bound = {p.name.value for p in iter_params(function.params)}
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        target = None
        if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.For, cst.CompFor)):
            target = node.target
        elif isinstance(node, cst.AsName):
            target = node.name
        if isinstance(target, cst.Name):
            bound.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            bound.update(e.value.value for e in target.elements if isinstance(e.value, cst.Name))
        if not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            stack.extend(node.children)
    return bound


def _session_name(expr: cst.CSTNode, sessions: Set[str]) -> Optional[cst.Name]:
    """The first use of a session name in ``expr`` (its code, lambdas included)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value in sessions:
            return node
        if isinstance(node, cst.Attribute):
            stack.append(node.value)  # `x.db` names an attribute, not the session `db`
            continue
        if isinstance(node, cst.Arg):
            stack.append(node.value)  # not the keyword (`db=other`)
            continue
        stack.extend(reversed(node.children))
    return None

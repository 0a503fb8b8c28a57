from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from fastapi_lint.prefilter import has_async_def
from fastapi_lint.rule import Default, Related, Rule, Severity
from fastapi_lint.rules.async_._blocking import classify_blocking
from fastapi_lint.project.calls import CALL_GRAPH, blocking_chain, blocking_hops, is_context_manager
from fastapi_lint.project.instances import INSTANCES, project_instance
from fastapi_lint.project.served import SERVED, in_served_code


class TransitiveBlockingCall(Rule):
    """
    ## What it does
    Reports a call, in async context, of a sync function of this project (same module or
    imported from another project module) that makes a blocking call (FAPI101-FAPI105) itself
    or through further project functions, at any depth. The message names the chain, e.g.
    `get_file -> read_user_file -> open`, and each call of it, down to the blocking one, is a
    related location (a note in the text output, `related` in JSON, SARIF `relatedLocations`,
    related information in an editor).

    Module-level functions and the methods of module-level classes are followed: `helper()`,
    `helpers.helper()`, `from .helpers import helper`, re-exports through a package
    `__init__`, `self.method()`, `Class.method()` and `instance.method()` when the instance's
    class is known (annotation, construction, or the return annotation of the project function
    that made it: `session = make_session()` with `def make_session() -> Session`). Calls are
    resolved through each function's parameters annotations and local assignments, so
    `db: Session` then `db.query(...)` is the sync database access of FAPI105. Functions
    referenced rather than called —
    handed to `asyncio.to_thread`, `loop.run_in_executor`, `run_in_threadpool` or
    `BackgroundTasks.add_task` — are not reported, and neither are sync functions whose
    decorator offloads them (`@asyncify`, `@sync_to_async`, `@run_in_threadpool`...).
    A sync `with` over a project `@contextmanager` that blocks on entering or leaving is
    reported with advice that fits (`asyncio.to_thread` cannot run a context manager); one
    that yields a sync database session (`-> Iterator[Session]`) is left to FAPI105, which
    reports the queries the block makes with it — the work that blocks.
    One-time initialization is not followed: memoized functions (`@lru_cache`, `@cache`...)
    and calls whose result fills a module global (`global _conf; _conf = load()`).
    Functions nested in other functions, inherited methods and calls through unannotated
    parameters are not followed.

    Only served code is checked (RULES.md "Served code"): code in migrations and
    `script-paths` (default `scripts/**`, `bin/**`), and functions reached only from
    startup/shutdown hooks (`lifespan`, `on_event`) or command-line entry points (`__main__`
    blocks, module-level `asyncio.run`, typer/click commands) only delay startup or a script.
    A coroutine that startup code hands to `create_task` runs alongside the requests: it is
    served. Functions whose callers the project does not show are checked.

    ## Why is this bad?
    The blocking call is one function away from the route, so the direct checks cannot see
    it, but it blocks the event loop all the same: while it runs, no other request on that
    worker makes progress.

    ## Example
    ```python
    def read_user_file(name: str) -> str:
        with open(name) as f:
            return f.read()

    @app.get("/files/{name}")
    async def get_file(name: str) -> dict:
        return {"content": read_user_file(name)}
    ```

    ## Use instead
    ```python
    @app.get("/files/{name}")
    async def get_file(name: str) -> dict:
        return {"content": await asyncio.to_thread(read_user_file, name)}
    ```
    Or make the route a plain `def`, which FastAPI runs in a thread pool.

    ## References
    - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/)
    - [asyncio.to_thread](https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread)
    """

    CODE = "FAPI106"
    NAME = "transitive-blocking-call"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("async",)
    SEEDS = ("000", "001", "002", "004")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # the file of the async caller reports; the project functions it calls may be anywhere
        return has_async_def(text)
    PROJECT_FACTS = (CALL_GRAPH, INSTANCES, SERVED)
    SKIP_TEST_FILES = True

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._with_items: Set[int] = set()  # ids of calls that are a sync ``with`` item

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None:
            self._with_items.update(id(item.item) for item in node.items if isinstance(item.item, cst.Call))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_context or self.ctx.project is None:
            return
        name = self._callee(node.func)
        # a call the direct rules (FAPI101-105) report is theirs
        if name is None or classify_blocking(name) is not None:
            return
        chain = blocking_chain(self.ctx.project, name)
        if chain is None or not in_served_code(self.ctx):
            return
        caller = self.ctx.current_function
        shown = ([caller.name.value] if caller is not None else []) + chain
        # each hop down to the blocking call, for editors and SARIF viewers to follow
        related = tuple(Related(*hop) for hop in blocking_hops(self.ctx.project, name))
        if id(node) in self._with_items and is_context_manager(self.ctx.project, name):
            if _yields_sync_session(self.ctx.project, name):
                return  # FAPI105 reports what the block does with the session: the real work
            self.report(
                node,
                f"`with {chain[0]}()` blocks the event loop on entering or leaving "
                f"({' -> '.join(shown)}); `asyncio.to_thread` cannot run a context manager: "
                "move the whole `with` block into a sync function run with `asyncio.to_thread`, "
                "or use an async context manager",
                related=related,
            )
            return
        self.report(
            node,
            f"`{chain[0]}()` blocks the event loop ({' -> '.join(shown)}); "
            f"run it in a thread: `await asyncio.to_thread({chain[0]}, ...)`",
            related=related,
        )

    def _callee(self, func: cst.BaseExpression) -> Optional[str]:
        """The resolved name of a call, with ``self.method``/``cls.method`` of the class."""
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
        ):
            owner = self.ctx.enclosing_class
            if owner is not None and self.ctx.facts.classes.get(owner.name.value) is owner:
                return f"{self.ctx.facts.local(owner.name.value)}.{func.attr.value}"
        name = self.ctx.resolve(func)
        if name is None or name.startswith(("builtins.", "<local>.")):
            return None
        return name


def _yields_sync_session(project: object, name: str) -> bool:
    """``@contextmanager def scope() -> Iterator[Session]``: the block gets a sync session."""
    given = project_instance(project, name + "()")  # type: ignore[arg-type]
    return given is not None and classify_blocking(given + ".execute") == "FAPI105"

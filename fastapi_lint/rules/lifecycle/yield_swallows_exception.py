from __future__ import annotations

from typing import Any, List, Mapping, Sequence

import libcst as cst

from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules._text import universal_newlines
from fastapi_lint.rules.lifecycle._dependencies import DEPENDS_TARGETS, defines_dependency, is_dependency
from fastapi_lint.prefilter import lazy_pattern

# FastAPI releases from which an exception swallowed after `yield` hides the route's error
SWALLOWING_BREAKS_FROM = "0.110"
# handlers of what FastAPI never throws into a dependency (closing the generator)
_NOT_ROUTE_ERRORS = frozenset({"GeneratorExit"})
_EXCEPT = lazy_pattern(r"\bexcept\b")


class YieldDependencySwallowsException(Rule):
    """
    ## What it does
    Reports an `except` clause of a `try:` around the `yield` of a dependency when the clause
    neither re-raises the exception (`raise`) nor raises another one (`raise HTTPException(...)`)
    anywhere in its body.

    A *dependency* is a function whose name is passed to `Depends(...)`/`Security(...)`
    somewhere in the project. Clauses catching only `GeneratorExit` are not reported: that is
    the generator being closed, not the route failing.

    Version-aware: not reported in a project whose declared FastAPI is older than 0.110 for
    sure (its dependency or lock files, or `target-versions`); an unknown version is reported.

    ## Why is this bad?
    When the route (or a later dependency) raises, FastAPI throws the exception into the
    dependency at its `yield`. Since FastAPI 0.110 an `except` that catches it and does not
    raise again swallows it: the exception handlers never run, the client gets a bare 500
    without the error being logged where the app logs errors (or, on recent versions, a
    "Response not awaited" error), and before that fix the unfinished response could keep
    memory alive.

    ## Example
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        except SQLAlchemyError:
            db.rollback()
        finally:
            db.close()
    ```

    ## Use instead
    ```python
    def get_db():
        db = SessionLocal()
        try:
            yield db
        except SQLAlchemyError:
            db.rollback()
            raise
        finally:
            db.close()
    ```

    ## References
    - [FastAPI: Dependencies with yield and except](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-and-except)
    - [FastAPI 0.110.0 release notes](https://fastapi.tiangolo.com/release-notes/#01100)
    """

    CODE = "FAPI406"
    NAME = "yield-dependency-swallows-exception"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("lifecycle", "dependencies")
    SEEDS = ("004",)
    TRIGGERS = ("yield",)
    PROJECT_FACTS = (DEPENDS_TARGETS,)

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        text = universal_newlines(text)
        return super().applies_to(text, options) and _EXCEPT.search(text) is not None

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        return defines_dependency(text, project)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._active = ctx.versions.at_least("fastapi", SWALLOWING_BREAKS_FROM) is not False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._active and is_dependency(self.ctx, node):
            for handler in _swallowing_handlers(node.body.body):
                self.report(handler, "this `except` swallows the exception the route raised into the "
                                     "dependency's `yield`: re-raise it (`raise`), or the error is hidden")


def _swallowing_handlers(body: Sequence[cst.CSTNode]) -> List[cst.ExceptHandler]:
    """Handlers of the ``try`` statements around a ``yield`` in ``body`` (this function's own
    statements, not nested functions or classes) that never raise."""
    found: List[cst.ExceptHandler] = []
    for stmt in body:
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            if _contains(stmt.body, _is_yield):
                found.extend(h for h in stmt.handlers
                             if not _catches_only_closing(h) and not _contains(h.body, _is_raise))
            blocks = [stmt.body, *(h.body for h in stmt.handlers)]
            blocks += [clause.body for clause in (stmt.orelse, stmt.finalbody) if clause is not None]
            for block in blocks:
                found.extend(_swallowing_handlers(block.body))
        elif isinstance(stmt, (cst.With, cst.For, cst.While)):
            found.extend(_swallowing_handlers(stmt.body.body))
            if getattr(stmt, "orelse", None) is not None:
                found.extend(_swallowing_handlers(stmt.orelse.body.body))
        elif isinstance(stmt, cst.If):
            branch: Any = stmt
            while isinstance(branch, cst.If):
                found.extend(_swallowing_handlers(branch.body.body))
                branch = branch.orelse
            if branch is not None:
                found.extend(_swallowing_handlers(branch.body.body))
    return found


def _is_yield(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Yield)


def _is_raise(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Raise)


def _catches_only_closing(handler: cst.ExceptHandler) -> bool:
    caught = handler.type
    if caught is None:
        return False
    names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return all(isinstance(n, cst.Name) and n.value in _NOT_ROUTE_ERRORS for n in names)


def _contains(root: cst.CSTNode, wanted) -> bool:
    """Whether a node ``wanted`` accepts is in ``root``, outside nested functions, lambdas and
    classes (their code runs elsewhere)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if wanted(node):
            return True
        if node is not root and isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False

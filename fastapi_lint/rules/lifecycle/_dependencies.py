"""Which functions are FastAPI dependencies, for the lifecycle rules (FAPI404, FAPI405).

A function is a dependency when its name is passed to ``Depends(...)``/``Security(...)``
anywhere in the project (the project pass records the names with a cheap regex, so a
``get_db`` defined in ``db.py`` and used in ``routes.py`` is known in both files).
"""
from __future__ import annotations

from typing import FrozenSet, Optional

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.prefilter import definition_pattern, lazy_pattern
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector

DEPENDS_TARGETS = "depends_targets"
# `Depends(get_db)`, `Security(deps.get_current_user, scopes=...)`, `Depends(dependency=x)`
_DEPENDS = lazy_pattern(r"\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)")


@collector(DEPENDS_TARGETS, triggers=("Depends(", "Security("))
def _collect_depends_targets(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    names = sorted({match.group(1) for match in _DEPENDS.finditer(text)})
    if names:
        summary.extra[DEPENDS_TARGETS] = tuple(names)


def _project_targets(project: Optional[ProjectIndex]) -> FrozenSet[str]:
    """Every name used as a dependency in the project, computed once per index."""
    if project is None:
        return frozenset()
    return project.derived(DEPENDS_TARGETS, _all_targets)


def _all_targets(project: ProjectIndex) -> FrozenSet[str]:
    return frozenset(
        name
        for summary in project.modules.values()
        for name in summary.extra.get(DEPENDS_TARGETS, ())  # type: ignore[union-attr]
    )


def defines_dependency(text: str, project: Optional[ProjectIndex]) -> bool:
    """Prefilter: whether ``text`` may define a function the project uses as a dependency."""
    names = _project_targets(project)
    if not names:
        return False
    assert project is not None
    pattern = project.derived(DEPENDS_TARGETS + ".definition", lambda _: definition_pattern(names))
    return pattern.search(text) is not None


def is_dependency(ctx: FileContext, function: cst.FunctionDef) -> bool:
    return function.name.value in _project_targets(ctx.project)

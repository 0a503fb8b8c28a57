"""The project model: what fastapi-lint knows about the whole project, beyond one file.

Every module of the project is summarised once by a cheap ``ast`` pass (``index.py``);
rules read the resulting tables through ``ctx.project`` and never rebuild them. Where a
fact comes from:

==========================  ====================================================
fact                        module
==========================  ====================================================
modules, name resolution    ``index.py`` (``ProjectIndex``, ``module_name_for``)
an import's binding         ``astnames.py``
apps and routers            ``routers.py`` (subclasses, factories, attributes)
route wiring, route table   ``route_decls.py`` (per module), ``route_table.py``
dependency signatures       ``signatures.py``
served code                 ``served.py`` (what runs while the app serves)
call graph, blocking chains ``calls.py``
clients and sessions        ``instances.py`` (created in one module, used in another)
what a function returns     ``returns.py``
pydantic models             ``models.py``
declared versions           ``versions.py``
the summaries' cache        ``summary_cache.py``; result-cache keys ``fingerprint.py``
==========================  ====================================================

A fact read by one rule family only is registered with :func:`collector` beside that
family (``rules/<family>/_*.py``); a fact several families read lives here.
"""
from __future__ import annotations

from fastapi_lint.project.index import (
    LazyAst,
    ModuleSummary,
    ProjectIndex,
    collector,
    collector_identities,
    prefilter_fact,
    module_name_for,
    walked_fields,
)

__all__ = [
    "LazyAst",
    "ModuleSummary",
    "ProjectIndex",
    "collector",
    "collector_identities",
    "prefilter_fact",
    "module_name_for",
    "walked_fields",
]

"""Blocking clients created at module level in one project module and used in another.

``from app.db.session import SessionLocal`` resolves to ``"app.db.session.SessionLocal"``;
this project-pass collector records that ``app/db/session.py`` binds ``SessionLocal`` to
``sqlalchemy.orm.sessionmaker()``, so :func:`project_instance` can rewrite
``"app.db.session.SessionLocal()().query"`` to ``"sqlalchemy.orm.sessionmaker()().query"``
for :func:`classify_blocking`. Only module-level names bound to instances of the libraries
the blocking vocabulary knows are kept, ``Annotated`` aliases of their types
(``SessionDep = Annotated[Session, Depends(get_db)]``), functions declared to return one
(``def get_session() -> Session``) or to yield one (``-> Generator[Session, None, None]``:
a dependency or a ``@contextmanager``), ``NewType`` aliases of session types, session types
re-exported by any module, and package ``__init__`` re-exports.
"""
from __future__ import annotations

import ast
import os
from typing import Dict, FrozenSet, Optional, Tuple

from fastapi_lint.project.astnames import Lookup, import_bindings, importing_package, module_statements, resolve
from fastapi_lint.project.index import LazyAst, ModuleSummary, ProjectIndex, collector

INSTANCES = "blocking_instances"
# the collector needs one of these in the text: an instance being built, or a re-export
_TRIGGERS = (
    "sessionmaker", "scoped_session", "Session(", "Redis(", "from_url(", "create_engine(",
    "connect(", "Client(", "PoolManager(", "Path(", "Annotated", "Generator[", "Iterator[", "Iterable[",
    "NewType(",
    "import ",
)
_LIBRARIES = (
    "sqlalchemy.", "sqlmodel.", "redis.", "requests.", "httpx.", "urllib3.", "pathlib.", "asyncpg.",
    "psycopg2.", "psycopg.", "pymysql.", "sqlite3.", "mysql.connector.", "MySQLdb.",
)
_MAX_REEXPORTS = 4
_SESSION_TYPES = ("Session", "Connection")
_NEW_TYPE = ("typing.NewType", "typing_extensions.NewType")
_ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
_GENERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions", "collections.abc")
    for name in ("Generator", "Iterator", "Iterable", "AsyncGenerator", "AsyncIterator", "AsyncIterable")
)


@collector(INSTANCES, triggers=_TRIGGERS)
def collect_instances(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    is_package = os.path.basename(path).startswith("__init__.")
    if not is_package and not any(t in text for t in _TRIGGERS[:-1] + _SESSION_TYPES):
        return
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, is_package)
    names, aliases = _module_names(module, summary.module, package)
    kept = {
        name: value for name, value in names.items()
        if _is_instance(value)
        # a package may re-export a client another module creates
        or (is_package and "(" not in value and not value.startswith(_LIBRARIES))
        # any module may re-export a session type (``from app.db import AsyncSession``)
        or ("(" not in value and name.endswith(_SESSION_TYPES) and value.endswith(_SESSION_TYPES))
    }
    kept.update((name, t) for name, t in aliases.items() if t.startswith(_LIBRARIES))
    if kept:
        summary.extra[INSTANCES] = kept


def project_instance(project: Optional[ProjectIndex], resolved: str) -> Optional[str]:
    """``resolved`` with a leading project module-level client replaced by what it is."""
    if project is None:
        return None
    table = _table(project)
    head_end = resolved.find("(")
    head = resolved if head_end < 0 else resolved[:head_end]
    parts = head.split(".")
    for _ in range(_MAX_REEXPORTS):
        for size in range(len(parts), 1, -1):
            value = table.get(".".join(parts[:size]))
            if value is not None:
                resolved = value + resolved[len(".".join(parts[:size])):]
                break
        else:
            return None
        if value.startswith(_LIBRARIES):  # an instance or an aliased type: done
            return resolved
        head = resolved if resolved.find("(") < 0 else resolved[: resolved.find("(")]
        parts = head.split(".")
    return None


def project_instance_names(project: Optional[ProjectIndex], prefixes: Tuple[str, ...]) -> FrozenSet[str]:
    """The short names of the project's module-level names bound to one of ``prefixes``: a
    file can only use one by writing its name (or through ``import *``)."""
    if project is None:
        return frozenset()
    return project.derived(f"{INSTANCES}:names:{prefixes!r}", lambda index: frozenset(
        key.rpartition(".")[2] for key, value in _table(index).items() if value.startswith(prefixes)),
        reads=(INSTANCES,))


def _is_instance(value: str) -> bool:
    """An instance of a library the blocking vocabulary knows (``pathlib.Path().parent`` too)."""
    return value.startswith(_LIBRARIES) and (value.endswith(")") or value.startswith("pathlib.Path("))


# One flat table per project: "<module>.<name>" -> value, also under the module's dotted
# suffixes so that a src-layout module ("src.app.db") answers for "app.db".
def _table(project: ProjectIndex) -> Dict[str, str]:
    return project.derived(INSTANCES, _build_table, reads=(INSTANCES,))


def _build_table(project: ProjectIndex) -> Dict[str, str]:
    table: Dict[str, str] = {}
    for module, summary in project.modules.items():
        found = summary.extra.get(INSTANCES)
        if not isinstance(found, dict):
            continue
        segments = module.split(".") if module else []
        for start in range(len(segments)):
            prefix = ".".join(segments[start:])
            for name, value in found.items():
                table.setdefault(f"{prefix}.{name}", value)
    return table


def _module_names(module: ast.Module, module_name: str, package: str) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Module-level names -> what they are, and ``Annotated[T, ...]`` aliases -> ``T``."""
    names: Dict[str, str] = {}
    aliases: Dict[str, str] = {}
    for stmt in module_statements(module.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update(import_bindings(stmt, package))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = _resolve(stmt.value, names)
            aliased = _annotated_type(stmt.value, names) or _new_type(stmt.value, names, aliases)
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = value or f"{module_name}.{target.id}"
                    if aliased is not None:
                        aliases[target.id] = aliased
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[stmt.name] = f"{module_name}.{stmt.name}"
            returned = _returned_type(stmt, names)
            if returned is not None:
                # calling ``def get_session() -> Session`` gives a Session, like calling Session
                aliases[stmt.name] = returned
    return names, aliases


def _returned_type(stmt: ast.stmt, names: Dict[str, str]) -> Optional[str]:
    returns = getattr(stmt, "returns", None)
    if isinstance(returns, ast.Subscript) and _resolve(returns.value, names) in _GENERATORS:
        # ``def get_db() -> Generator[Session, None, None]`` (a dependency or a
        # @contextmanager): what ``Depends(get_db)`` and ``with get_db() as db`` give is a Session
        first = returns.slice.elts[0] if isinstance(returns.slice, ast.Tuple) and returns.slice.elts else returns.slice
        return _resolve(first, names) if isinstance(first, (ast.Name, ast.Attribute)) else None
    if not isinstance(returns, (ast.Name, ast.Attribute)):
        return None
    return _resolve(returns, names)


def _new_type(node: ast.expr, names: Dict[str, str], aliases: Dict[str, str]) -> Optional[str]:
    """``AsyncSession = NewType("AsyncSession", _AsyncSession)``: the session type itself."""
    if not (isinstance(node, ast.Call) and len(node.args) == 2 and _resolve(node.func, names) in _NEW_TYPE):
        return None
    base = node.args[1]
    if isinstance(base, ast.Name) and base.id in aliases:
        return aliases[base.id]
    return _resolve(base, names)


def _annotated_type(node: ast.expr, names: Dict[str, str]) -> Optional[str]:
    """``Annotated[Session, Depends(get_db)]`` -> ``"sqlalchemy.orm.Session"``."""
    if not isinstance(node, ast.Subscript) or _resolve(node.value, names) not in _ANNOTATED:
        return None
    first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
    return _resolve(first, names)


def _resolve(node: ast.expr, names: Dict[str, str]) -> Optional[str]:
    """The facts' convention on ``ast``: ``httpx.Client()`` -> ``"httpx.Client()"``."""
    return resolve(node, names.get, _path_division)


def _path_division(node: ast.expr, lookup: Lookup) -> Optional[str]:
    """``BASE_DIR / "data"`` is a ``pathlib.Path`` when ``BASE_DIR`` is one."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = resolve(node.left, lookup, _path_division)
        return "pathlib.Path()" if left is not None and left.startswith("pathlib.Path") else None
    return None

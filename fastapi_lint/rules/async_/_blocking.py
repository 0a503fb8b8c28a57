"""Shared machinery of the "blocking call in async context" rules (FAPI101-FAPI105).

``classify_blocking`` is the one vocabulary of blocking calls: the direct rules use it on
calls in async context, and FAPI106's project pass uses it on calls inside sync helpers.

Names follow the facts' resolution convention: an instance is written with ``()``, so
``db: Session`` makes ``db.query`` resolve to ``"sqlalchemy.orm.Session().query"`` and
``SessionLocal = sessionmaker(); SessionLocal().get`` to ``"sqlalchemy.orm.sessionmaker()().get"``.
A name rooted in another project module (``"app.db.SessionLocal()().get"``) is first
rewritten by :func:`fastapi_lint.project.instances.project_instance`.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import dotted, iter_params
from fastapi_lint.rule import Rule
from fastapi_lint.project.instances import INSTANCES, project_instance
from fastapi_lint.project.served import SERVED, in_served_code

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security", "fastapi.params.Security"})
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
PATH_IO = ("read_text", "read_bytes", "write_text", "write_bytes", "open")
_DBAPI_MODULES = ("psycopg2", "psycopg", "pymysql", "sqlite3", "mysql.connector", "MySQLdb")

# exact resolved names -> the rule that reports them
BLOCKING_CALLS: Dict[str, str] = {
    "time.sleep": "FAPI101",
    **{f"requests.{verb}": "FAPI102" for verb in _HTTP_VERBS},
    **{f"requests.api.{verb}": "FAPI102" for verb in _HTTP_VERBS},
    **{f"requests.Session().{verb}": "FAPI102" for verb in _HTTP_VERBS + ("send",)},
    **{f"requests.sessions.Session().{verb}": "FAPI102" for verb in _HTTP_VERBS + ("send",)},
    **{f"requests.session().{verb}": "FAPI102" for verb in _HTTP_VERBS + ("send",)},
    **{f"httpx.{verb}": "FAPI102" for verb in _HTTP_VERBS + ("stream",)},
    **{f"httpx.Client().{verb}": "FAPI102" for verb in _HTTP_VERBS + ("send", "stream")},
    "urllib.request.urlopen": "FAPI102",
    "urllib3.request": "FAPI102",
    **{
        f"urllib3.{pool}().{m}": "FAPI102"
        for pool in (
            "PoolManager", "ProxyManager", "poolmanager.PoolManager", "HTTPConnectionPool",
            "HTTPSConnectionPool", "connectionpool.HTTPConnectionPool", "connection_from_url",
        )
        for m in ("request", "urlopen", "request_encode_url", "request_encode_body")
    },
    **{f"subprocess.{f}": "FAPI103" for f in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")},
    **{f"subprocess.Popen().{m}": "FAPI103" for m in ("wait", "communicate")},
    **{f"os.{f}": "FAPI103" for f in ("system", "popen", "wait", "waitpid", "wait3", "wait4", "waitid")},
    "builtins.open": "FAPI104",
    "io.open": "FAPI104",
    **{f"pathlib.Path.{m}": "FAPI104" for m in PATH_IO},
    **{
        f"shutil.{f}": "FAPI104"
        for f in ("copy", "copy2", "copyfile", "copyfileobj", "copytree", "copymode", "copystat", "move", "rmtree")
    },
    **{f"{mod}.connect": "FAPI105" for mod in _DBAPI_MODULES},
}

# Database (FAPI105) instances whose methods block: receiver -> blocking methods.
_SESSION_METHODS = frozenset({
    "query", "execute", "exec", "scalars", "scalar", "get", "get_one", "commit", "flush", "refresh",
    "rollback", "merge", "delete", "connection", "bulk_save_objects", "bulk_insert_mappings",
    "bulk_update_mappings",
})
_SYNC_SESSIONS = (
    "sqlalchemy.orm.Session()", "sqlalchemy.orm.session.Session()", "sqlmodel.Session()",
    "sqlmodel.orm.session.Session()", "sqlalchemy.orm.sessionmaker()()",
    "sqlalchemy.orm.session.sessionmaker()()", "sqlalchemy.orm.sessionmaker().begin()",
    "sqlalchemy.orm.scoped_session()", "sqlalchemy.orm.scoping.scoped_session()",
    "sqlalchemy.orm.scoped_session()()",
)
_ENGINES = (
    "sqlalchemy.create_engine()", "sqlalchemy.engine.create_engine()", "sqlmodel.create_engine()",
    "sqlalchemy.Engine()", "sqlalchemy.engine.Engine()",
)
_CONNECTION_METHODS = frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback"})
_DBAPI_CONNECTION_METHODS = frozenset({"execute", "executemany", "executescript", "commit", "rollback"})
_DBAPI_CURSOR_METHODS = frozenset({"execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc"})

_DB_INSTANCE_METHODS: Dict[str, FrozenSet[str]] = {
    **{session: _SESSION_METHODS for session in _SYNC_SESSIONS},
    **{engine: frozenset({"connect", "begin", "execute", "raw_connection"}) for engine in _ENGINES},
    **{f"{engine}.{m}()": _CONNECTION_METHODS for engine in _ENGINES for m in ("connect", "begin")},
    **{f"{mod}.connect()": _DBAPI_CONNECTION_METHODS for mod in _DBAPI_MODULES},
    **{f"{mod}.connect().cursor()": _DBAPI_CURSOR_METHODS for mod in _DBAPI_MODULES},
    **{f"{client}.pipeline()": frozenset({"execute"}) for client in (
        "redis.Redis()", "redis.StrictRedis()", "redis.client.Redis()", "redis.from_url()",
        "redis.Redis.from_url()", "redis.StrictRedis.from_url()",
    )},
}

# Every command of a sync redis client is a network round trip, except these local helpers.
_REDIS_CLIENTS = frozenset({
    "redis.Redis()", "redis.StrictRedis()", "redis.client.Redis()", "redis.client.StrictRedis()",
    "redis.from_url()", "redis.Redis.from_url()", "redis.StrictRedis.from_url()",
    "redis.client.Redis.from_url()",
})
_REDIS_LOCAL = frozenset({
    "pipeline", "pubsub", "lock", "register_script", "get_encoder", "get_connection_kwargs",
    "set_response_callback", "close", "from_url",
})

# ``pathlib`` expressions that are Path instances, and the steps that keep them one.
_PATH_INSTANCES = (
    "pathlib.Path()", "pathlib.PosixPath()", "pathlib.WindowsPath()", "pathlib.Path.home()",
    "pathlib.Path.cwd()",
)
_PATH_STEPS = frozenset({
    "parent", "resolve()", "absolute()", "expanduser()", "with_name()", "with_suffix()",
    "with_stem()", "joinpath()", "relative_to()",
})


def classify_blocking(resolved: Optional[str]) -> Optional[str]:
    """The FAPI10x code of a blocking call, given the call's resolved function name."""
    if resolved is None:
        return None
    code = BLOCKING_CALLS.get(resolved)
    if code is not None:
        return code
    receiver, _, method = resolved.rpartition(".")
    if not receiver or method.startswith("_"):
        return None
    methods = _DB_INSTANCE_METHODS.get(receiver)
    if methods is not None:
        return "FAPI105" if method in methods else None
    if receiver in _REDIS_CLIENTS:
        return None if method in _REDIS_LOCAL else "FAPI105"
    if method in PATH_IO and is_path_instance(receiver):
        return "FAPI104"
    return None


def is_path_instance(resolved: str) -> bool:
    """``pathlib.Path()``, ``pathlib.Path().parent.resolve()`` and the like."""
    for prefix in _PATH_INSTANCES:
        if resolved == prefix:
            return True
        if resolved.startswith(prefix + "."):
            return all(step in _PATH_STEPS for step in resolved[len(prefix) + 1:].split("."))
    return False


def blocking_kind(resolved: str) -> str:
    """Which family a FAPI105 name belongs to, for the rule's message."""
    if resolved.startswith("redis."):
        return "redis"
    if any(resolved.startswith(mod + ".connect") for mod in _DBAPI_MODULES):
        return "dbapi"
    return "sqlalchemy"


def call_text(node: cst.Call, resolved: str) -> str:
    """How the user wrote the called function (``db.query``, ``Path(name).read_text``)."""
    written = dotted(node.func)
    if written is not None:
        return written
    written = _EMPTY_MODULE.code_for_node(node.func)
    if len(written) <= _MAX_WRITTEN and "\n" not in written:
        return written
    return "(...)" + resolved[resolved.rfind("."):]


_EMPTY_MODULE = cst.Module(body=[])
_MAX_WRITTEN = 60


class BlockingCallRule(Rule):
    """Reports calls that :func:`classify_blocking` assigns to ``CODE``, in async context.

    Subclasses override :meth:`message`; :meth:`blocking_name` may be overridden for
    patterns the table cannot express.
    """

    SKIP_TEST_FILES = True
    PROJECT_FACTS = (INSTANCES, SERVED)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ids of calls written as ``await call(...)``: whatever the names suggest, an
        # awaited call is not a sync one (e.g. ``sessionmaker(class_=AsyncSession)``)
        self._awaited: Set[int] = set()
        # ``request.state.db = SessionLocal()`` in an async function: (function id, resolved
        # target) -> what was stored there (names and ``self.x`` are the scope tracker's)
        self._stored: Dict[Tuple[int, str], str] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """``session=Depends(get_db)`` without an annotation: the parameter is what the
        dependency gives (``def get_db() -> Generator[Session, ...]`` says a Session)."""
        if node.asynchronous is None:
            return
        frame = self.ctx.frames[-1]
        for param in iter_params(node.params):
            if param.annotation is not None or not isinstance(param.default, cst.Call):
                continue
            if self.ctx.resolve(param.default.func) not in _DEPENDS or not param.default.args:
                continue
            dependency = self.ctx.resolve(param.default.args[0].value)
            if dependency is not None and not dependency.startswith(("<local>", "builtins.")):
                frame.names[param.name.value] = dependency + "()"

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Call):
            self._awaited.add(id(node.expression))

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.ctx.in_async_context or not isinstance(node.value, cst.Call):
            return
        for target in node.targets:
            if isinstance(target.target, cst.Attribute) and not _is_self(target.target.value):
                where = self.ctx.resolve(target.target)
                value = self.ctx.resolve(node.value)
                if where is not None and value is not None:
                    self._stored[(id(self.ctx.current_function), where)] = value

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_context or id(node) in self._awaited:
            return
        name = self.blocking_name(node)
        # a blocking call that only delays startup or a script is not a finding
        if name is not None and in_served_code(self.ctx):
            self.on_blocking_call(node, name)

    def blocking_name(self, node: cst.Call) -> Optional[str]:
        name = self._resolve(node.func)
        return name if classify_blocking(name) == self.CODE else None

    def _resolve(self, func: cst.BaseExpression) -> Optional[str]:
        """``ctx.resolve``, also through clients that another project module creates."""
        name = self.ctx.resolve(func)
        if self._stored and name is not None and isinstance(func, cst.Attribute):
            receiver = name[: -len(func.attr.value) - 1]
            stored = self._stored.get((id(self.ctx.current_function), receiver))
            name = f"{stored}.{func.attr.value}" if stored is not None else name
        if name is not None:
            if classify_blocking(name) is None and not name.startswith("<local>"):
                # ``from app.db import SessionLocal``: what SessionLocal is, app/db says
                return project_instance(self.ctx.project, name) or name
            return name
        if isinstance(func, cst.Attribute) and _is_division(func.value):
            # ``(BASE_DIR / "x").read_text()`` with BASE_DIR a Path of another module
            left = self.ctx.resolve(func.value.left)  # type: ignore[attr-defined]
            left = project_instance(self.ctx.project, left) if left is not None else None
            if left is not None and is_path_instance(left):
                return f"pathlib.Path().{func.attr.value}"
        return None

    def on_blocking_call(self, node: cst.Call, name: str) -> None:
        self.report(node, self.message(call_text(node, name), name))

    def message(self, written: str, resolved: str) -> str:
        raise NotImplementedError


def _is_division(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide)


def _is_self(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("self", "cls")

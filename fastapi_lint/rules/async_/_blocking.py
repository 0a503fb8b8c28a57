"""Shared machinery of the "blocking call in async context" rules (FAPI101-FAPI105).

``classify_blocking`` is the one vocabulary of blocking calls: the direct rules use it on
calls in async context, and FAPI106's project pass uses it on calls inside sync helpers.
"""
from __future__ import annotations

from typing import ClassVar, Dict, Optional

import libcst as cst

from fastapi_lint.rule import Rule

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

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
    **{f"urllib3.PoolManager().{m}": "FAPI102" for m in ("request", "urlopen", "request_encode_url", "request_encode_body")},
    **{f"urllib3.{m}": "FAPI102" for m in ("request",)},
    **{f"urllib3.HTTPConnectionPool().{m}": "FAPI102" for m in ("request", "urlopen")},
    **{f"urllib3.HTTPSConnectionPool().{m}": "FAPI102" for m in ("request", "urlopen")},
    **{f"subprocess.{f}": "FAPI103" for f in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")},
    **{f"subprocess.Popen().{m}": "FAPI103" for m in ("wait", "communicate")},
    **{f"os.{f}": "FAPI103" for f in ("system", "popen", "wait", "waitpid", "wait3", "wait4", "waitid")},
    "builtins.open": "FAPI104",
    "io.open": "FAPI104",
    **{f"pathlib.Path().{m}": "FAPI104" for m in ("read_text", "read_bytes", "write_text", "write_bytes", "open")},
    **{f"pathlib.Path.{m}": "FAPI104" for m in ("read_text", "read_bytes", "write_text", "write_bytes", "open")},
    **{f"shutil.{f}": "FAPI104" for f in ("copy", "copy2", "copyfile", "copyfileobj", "copytree", "move", "rmtree")},
    **{f"{mod}.connect": "FAPI105" for mod in ("psycopg2", "pymysql", "sqlite3", "mysql.connector", "MySQLdb")},
}


def classify_blocking(resolved: Optional[str]) -> Optional[str]:
    """The FAPI10x code of a blocking call, given the call's resolved function name.

    Instance-typed receivers (sync SQLAlchemy sessions, redis clients...) are matched by the
    rules that own them; this table is extended there as the vocabulary grows.
    """
    if resolved is None:
        return None
    return BLOCKING_CALLS.get(resolved)


class BlockingCallRule(Rule):
    """Reports calls that :func:`classify_blocking` assigns to ``CODE``, in async context.

    Subclasses override :meth:`message`; :meth:`blocking_name` may be overridden for
    patterns the table cannot express.
    """

    SKIP_TEST_FILES = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_context:
            return
        name = self.blocking_name(node)
        if name is not None:
            self.on_blocking_call(node, name)

    def blocking_name(self, node: cst.Call) -> Optional[str]:
        name = self.ctx.resolve(node.func)
        return name if classify_blocking(name) == self.CODE else None

    def on_blocking_call(self, node: cst.Call, name: str) -> None:
        self.report(node, self.message(name))

    def message(self, name: str) -> str:
        raise NotImplementedError

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from fastapi_lint.names import keyword, positional
from fastapi_lint.prefilter import resolvable
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.async_._blocking import call_text
from fastapi_lint.project.served import SERVED, MainGuardAware

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# resolved callee -> which library's default applies when no timeout is given
_NEEDS_TIMEOUT: Dict[str, str] = {
    **{f"requests.{verb}": "requests" for verb in _VERBS},
    **{f"requests.api.{verb}": "requests" for verb in _VERBS},
    **{
        f"{session}.{verb}": "requests"
        for session in ("requests.Session()", "requests.sessions.Session()", "requests.session()")
        for verb in _VERBS + ("send",)
    },
    **{f"httpx.{verb}": "httpx" for verb in _VERBS + ("stream",)},
    "httpx.Client": "httpx",
    "httpx.AsyncClient": "httpx",
    "urllib.request.urlopen": "urllib",
}
# in sync code too; resolved from this module's own imports only (not another module's client)
_REPORTED = resolvable(_NEEDS_TIMEOUT)
# urlopen(url, data=None, timeout=...): the timeout may be the third positional argument
_POSITIONAL_TIMEOUT = {"urllib.request.urlopen": 2}

_CONSEQUENCE = {
    "requests": "requests waits forever by default",
    "httpx": "httpx's implicit 5 s default applies",
    "urllib": "urllib uses the global socket timeout, none by default",
}
_HTTPX_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient"})
# the methods of an httpx client that make a request (each may carry its own timeout=)
_CLIENT_REQUESTS = frozenset(_VERBS + ("stream", "send"))


class HttpWithoutTimeout(MainGuardAware, Rule):
    """
    ## What it does
    Reports outbound HTTP that can wait forever, in served code (see below), sync and async
    alike: `requests.get/post/...` and `requests.Session()` method calls without `timeout=`
    or with `timeout=None`, `urllib.request.urlopen` without a timeout, and httpx clients
    (`httpx.Client()`/`httpx.AsyncClient()`) and module functions (`httpx.get/post/...`)
    given `timeout=None` explicitly — except a client bound to a name (`with
    httpx.Client(timeout=None) as client`, `client = ...`, `self.client = ...`) whose every
    request in that scope passes its own `timeout=`.

    A call with a `**kwargs` splat may carry a timeout and is not reported. Calls made on an
    httpx client are judged at the client's construction.

    With `--preview` (at `info`): httpx clients and module calls without `timeout=`, which
    rely on httpx's implicit 5 s default. That default is a timeout, so it is not a default
    finding; seed 000 asks for explicit ones.

    Scripts, migrations, command-line entry points and startup hooks are not served code
    (RULES.md "Served code"): an upstream that hangs there stalls an operator, not the app.

    ## Why is this bad?
    `requests` and `urllib` wait forever by default: one unresponsive upstream ties up a
    worker thread (or the event loop) indefinitely. httpx applies an implicit 5 s timeout,
    which is rarely the right value for a given upstream and is invisible to readers.

    ## Example
    ```python
    requests.get(url)

    async with httpx.AsyncClient(timeout=None) as client:
        response = await client.get(url)
    ```

    ## Use instead
    ```python
    requests.get(url, timeout=10)

    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
        response = await client.get(url)
    ```

    ## References
    - [requests: Timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    - [HTTPX: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    """

    CODE = "FAPI112"
    NAME = "http-without-timeout"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("http", "reliability")
    SEEDS = ("000", "001", "002", "004")
    SKIP_TEST_FILES = True
    PROJECT_FACTS = (SERVED,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _REPORTED(text)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        self._preview = bool(getattr(ctx.config, "preview", False))
        # httpx clients built with timeout=None, with the name they are bound to
        self._clients: List[Tuple[cst.Call, str, Optional[Tuple[int, str]]]] = []
        # bound client names -> whether some request on them lacks a timeout
        self._requests: Dict[Tuple[int, str], bool] = {}
        self._bound: Dict[int, Tuple[int, str]] = {}  # id(construction call) -> binding

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if isinstance(node.item, cst.Call) and node.asname is not None:
            self._bind(node.item, node.asname.name)

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and len(node.targets) == 1:
            self._bind(node.value, node.targets[0].target)

    def _bind(self, call: cst.Call, target: cst.BaseExpression) -> None:
        key = self._binding(target)
        if key is not None:
            self._bound[id(call)] = key

    def _binding(self, target: cst.BaseExpression) -> Optional[Tuple[int, str]]:
        """Where a name lives: the function (a local), the class (``self.x``) or the module."""
        if isinstance(target, cst.Name):
            function = self.ctx.current_function
            return id(function), target.value
        if (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                and target.value.value == "self"):
            return id(self.ctx.enclosing_class), "self." + target.attr.value
        return None

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        self._note_request(node)
        resolved = self.ctx.resolve(node.func)
        library = _NEEDS_TIMEOUT.get(resolved) if resolved is not None else None
        if library is None or _has_timeout(node, resolved) or not self.in_served_code():
            return
        written = call_text(node, resolved)
        if resolved in _HTTPX_CLIENTS and _timeout_none(node):
            # judged at the end: its requests may each pass their own timeout
            self._clients.append((node, written, self._bound.get(id(node))))
        elif _timeout_none(node):
            self.report(node, f"`{written}(timeout=None)` waits forever; pass a timeout")
        elif library != "httpx":
            self.report(node, f"`{written}()` has no explicit `timeout=`: {_CONSEQUENCE[library]}; pass `timeout=`")
        elif self._preview:
            self.report(
                node,
                f"`{written}()` has no explicit `timeout=`: {_CONSEQUENCE[library]}; pass `timeout=`",
                severity=Severity.INFO,
            )

    def _note_request(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _CLIENT_REQUESTS):
            return
        key = self._binding(func.value)
        if key is None:
            return
        timed = keyword(node, "timeout") is not None or any(arg.star == "**" for arg in node.args)
        self._requests[key] = self._requests.get(key, False) or not timed
        if isinstance(func.value, cst.Name):  # a module-level client used in a function
            module_key = (id(None), func.value.value)
            self._requests[module_key] = self._requests.get(module_key, False) or not timed

    def finish(self) -> None:
        for node, written, binding in self._clients:
            if binding is not None and self._requests.get(binding) is False:
                continue  # every request on this client passes its own timeout
            self.report(node, f"`{written}(timeout=None)` waits forever; pass a timeout")


def _has_timeout(node: cst.Call, resolved: str) -> bool:
    """A timeout is given (``timeout=None`` counts as one only for the caller to judge)."""
    # a ``*args``/``**kwargs`` splat may carry the timeout
    if any(arg.star for arg in node.args):
        return True
    given = keyword(node, "timeout")
    if given is not None:
        return not _is_none(given.value)
    index = _POSITIONAL_TIMEOUT.get(resolved)
    return index is not None and positional(node, index) is not None


def _timeout_none(node: cst.Call) -> bool:
    given = keyword(node, "timeout")
    return given is not None and _is_none(given.value)


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"

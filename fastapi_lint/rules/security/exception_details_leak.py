from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import FrozenSet, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import iter_params, keyword, positional
from fastapi_lint.prefilter import definition_pattern, has_route
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rule import Default, Rule, Severity

EXCEPTION_HANDLERS = "exception_handlers"
# `app.add_exception_handler(ValueError, on_value_error)`, also `handlers.on_value_error`
_ADD_HANDLER = re.compile(
    r"\badd_exception_handler\(\s*([\w.]+)\s*,\s*(?:handler\s*=\s*)?(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)")

_FORMAT_TRACEBACK = {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                     "traceback.format_stack", "traceback.format_exception_only"}
_ERROR_CLASSES = {"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                  "starlette.exceptions.HTTPException", "fastapi.WebSocketException",
                  "fastapi.exceptions.WebSocketException", "starlette.exceptions.WebSocketException"}
# response arguments that are not the body
_NOT_BODY = {"status_code", "headers", "media_type", "background"}
# handlers of these report what the application chose to say: str() of them is no leak
_CLIENT_ERRORS = ("HTTPException", "WebSocketException")


# `FastAPI(exception_handlers={404: not_found, Exc: handlers.on_exc})`
_HANDLER_DICT = re.compile(r"\bexception_handlers\s*=\s*\{([^{}]*)\}")
_DICT_VALUE = re.compile(r":\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)")

# Prefilter. A handler registered by name in another module may be any function of this
# one, so the file is judged by what a leak needs: a sink (`return`, a `...Response` or
# `HTTPException`/`WebSocketException` call) and a read of the exception's text.
_GAP = r"(?:\s|\\\n|#[^\n]*\n)*"
_SINKS = ("return", "Response", "Exception")
_ARGS = re.compile(r"\." + _GAP + r"args\b")  # exc.args
_STR_CALL = re.compile(r"(?:str|repr)" + _GAP + r"\(" + _GAP + r"(?:\*+" + _GAP + r")?[^\W\d]")  # str(exc)
# an alias of str/repr: `s = str` (and any use of the `builtins` module: `s = builtins.repr`,
# `from builtins import str as s`)
_STR_ALIAS = re.compile(r"=(?:[\s(]|\\\n)*(?:str|repr)\b")
_F_STRING = re.compile(r"[fF][rRbB]?[\"']")  # f"{exc}", rf"{exc}"
_MODULO = re.compile(r"%" + _GAP + r"[\w(]")  # "..." % exc


def may_leak(text: str) -> bool:
    """Whether some function of ``text`` may put exception text (read by one of the forms
    ``_leaks`` knows) into a response."""
    if "def" not in text or not any(sink in text for sink in _SINKS):
        return False
    if "format" in text:  # traceback.format_*(), "...".format(exc)
        return True
    return (
        ("%" in text and _MODULO.search(text) is not None)
        or _F_STRING.search(text) is not None
        or ("args" in text and _ARGS.search(text) is not None)
        or (("str" in text or "repr" in text)
            and ("builtins" in text or _STR_CALL.search(text) is not None
                 or _STR_ALIAS.search(text) is not None))
    )


def handler_names(text: str) -> Tuple[str, ...]:
    """Names of the functions ``text`` registers as exception handlers (not for HTTPException)."""
    if "exception_handler" not in text:
        return ()
    names = {m.group(2) for m in _ADD_HANDLER.finditer(text) if not m.group(1).endswith(_CLIENT_ERRORS)}
    for mapping in _HANDLER_DICT.finditer(text):
        for entry in mapping.group(1).split(","):
            key, _, _ = entry.partition(":")
            value = _DICT_VALUE.search(entry)
            if value is not None and not key.strip().endswith(_CLIENT_ERRORS):
                names.add(value.group(1))
    return tuple(sorted(names))


@collector(EXCEPTION_HANDLERS, triggers=("add_exception_handler", "exception_handlers"))
def _collect_handlers(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    """Handlers registered by name, so a handler defined in another module is known as one."""
    names = handler_names(text)
    if names:
        summary.extra[EXCEPTION_HANDLERS] = names


def _project_handlers(project: Optional[ProjectIndex]) -> FrozenSet[str]:
    """Every registered handler name of the project, computed once per index."""
    if project is None:
        return frozenset()
    return project.derived(EXCEPTION_HANDLERS, _all_handlers)


def _handler_definition(project: Optional[ProjectIndex]) -> Optional["re.Pattern[str]"]:
    """A pattern for ``def <registered handler>``; None when the project registers none."""
    names = _project_handlers(project)
    if not names:
        return None
    return project.derived(EXCEPTION_HANDLERS + ".definition", lambda _: definition_pattern(names))


def _all_handlers(project: ProjectIndex) -> FrozenSet[str]:
    return frozenset(
        name for summary in project.modules.values()
        for name in summary.extra.get(EXCEPTION_HANDLERS, ())  # type: ignore[union-attr]
    )


@dataclass
class _Context:
    """A handler function or an ``except`` block in a route: where exception text may leak."""

    function: cst.FunctionDef
    exc_names: Set[str]
    leaky: Set[str] = field(default_factory=set)  # locals holding exception text
    handler: Optional[cst.ExceptHandler] = None  # the except block, for the route case


class ExceptionDetailsLeak(Rule):
    """
    ## What it does
    Reports exception text put into a response: `str(exc)`, `repr(exc)`, `exc.args`,
    `traceback.format_exc()` (also inside f-strings, `%`/`.format()`, or through a local
    variable) in a returned value, a `Response`/`JSONResponse`... body, or
    `HTTPException(detail=...)`, when it happens in an exception handler
    (`@app.exception_handler(...)`, or a function registered by name with
    `app.add_exception_handler(Exc, handler)` or `FastAPI(exception_handlers={...})` in any
    module of the project) or in an `except` block inside a route. The finding points at the expression that reads the
    exception. Helpers that are neither routes nor handlers are not judged, and handlers of
    `HTTPException` (whose text the application chose for the client) are not reported.

    ## Why is this bad?
    Exception messages carry internals — SQL statements and constraint names, file paths,
    hostnames, library versions, sometimes data of other users — and tracebacks more so.
    Sent to the client they map the system for an attacker (CWE-209).

    ## Example
    ```python
    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"error": str(exc)})
    ```

    ## Use instead
    ```python
    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(status_code=500, content={"error": "Internal server error"})
    ```

    ## References
    - [FastAPI: Handling errors](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    - [CWE-209: Error Message Containing Sensitive Information](https://cwe.mitre.org/data/definitions/209.html)
    """

    CODE = "FAPI310"
    NAME = "exception-details-leak"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 209
    SEEDS = ("000", "001", "002", "003")
    PROJECT_FACTS = (EXCEPTION_HANDLERS,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return may_leak(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # a context is a route, a decorated handler, or a function registered by name
        if "exception_handler" in text or has_route(text):
            return True
        defines_handler = _handler_definition(project)
        return defines_handler is not None and defines_handler.search(text) is not None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._contexts: List[_Context] = []
        # handlers registered by name, in this module or another one of the project
        self._registered = _project_handlers(self.ctx.project) | frozenset(handler_names(self.ctx.source))

    # -- contexts -------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        handled = self._decorated_handler(node)
        if handled is None:
            handled = node.name.value in self._registered
        params = list(iter_params(node.params))
        if handled and len(params) >= 2:
            self._contexts.append(_Context(node, {params[1].name.value}))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._contexts and self._contexts[-1].function is node:
            self._contexts.pop()

    def _decorated_handler(self, node: cst.FunctionDef) -> Optional[bool]:
        """True: an exception handler; False: a handler of a client error; None: not decorated."""
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == "exception_handler":
                first = positional(call, 0)
                handled = self.ctx.resolve(first.value) if first is not None else None
                return not (handled or "").endswith(_CLIENT_ERRORS)
        return None

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        function = self.ctx.current_function
        if function is None or not self.ctx.routes_of(function):
            return
        names = set()
        if node.name is not None and isinstance(node.name.name, cst.Name):
            names.add(node.name.name.value)
        outer = self._context
        if outer is not None:
            names |= outer.exc_names  # a nested try inside an except block
        self._contexts.append(_Context(function, names, handler=node))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if self._contexts and self._contexts[-1].handler is node:
            self._contexts.pop()

    @property
    def _context(self) -> Optional[_Context]:
        if not self._contexts:
            return None
        context = self._contexts[-1]
        # a nested def/lambda inside the handler or route is another function
        return context if context.function is self.ctx.current_function else None

    # -- sinks ----------------------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        context = self._context
        if context is None:
            return
        leaks = any(True for _ in self._leaks(node.value, context))
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                (context.leaky.add if leaks else context.leaky.discard)(target.target.value)

    def visit_Return(self, node: cst.Return) -> None:
        context = self._context
        if context is not None and node.value is not None:
            self._report_leaks(node.value, context)

    def visit_Call(self, node: cst.Call) -> None:
        context = self._context
        if context is None:
            return
        name = self.ctx.resolve(node.func) or ""
        if name in _ERROR_CLASSES:
            detail = positional(node, 1) or keyword(node, "detail") or keyword(node, "reason")
            if detail is not None:
                self._report_leaks(detail.value, context)
        elif name.endswith("Response"):
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value not in _NOT_BODY:
                    self._report_leaks(arg.value, context)

    def _report_leaks(self, expr: cst.BaseExpression, context: _Context) -> None:
        for leak in self._leaks(expr, context):
            self.report(leak, "exception details reach the response: internals (SQL, paths, hosts) leak "
                              "to the client; log the exception and return a generic message")

    def _leaks(self, expr: cst.CSTNode, context: _Context) -> Iterator[cst.CSTNode]:
        """Sub-expressions of ``expr`` that read the exception's text."""
        names = context.exc_names
        if isinstance(expr, cst.Name) and expr.value in context.leaky:
            yield expr
            return
        if isinstance(expr, cst.Call):
            called = self.ctx.resolve(expr.func) or ""
            if called in _FORMAT_TRACEBACK:
                yield expr
                return
            if called in ("builtins.str", "builtins.repr") and expr.args and _is_name(expr.args[0].value, names):
                yield expr
                return
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format" \
                    and any(_is_name(a.value, names) for a in expr.args):
                yield expr
                return
        if isinstance(expr, cst.Attribute) and expr.attr.value == "args" and _is_name(expr.value, names):
            yield expr
            return
        if isinstance(expr, cst.FormattedString):
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression) and _is_name(part.expression, names):
                    yield part.expression
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo) \
                and _is_name(expr.right, names):
            yield expr.right
            return
        for child in _operands(expr):
            yield from self._leaks(child, context)


def _operands(expr: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The sub-expressions a value is built from (a narrow walk: no lambdas, no comprehensions)."""
    if isinstance(expr, cst.Call):
        yield from (arg.value for arg in expr.args)
    elif isinstance(expr, cst.Dict):
        for element in expr.elements:
            if isinstance(element, cst.DictElement):
                yield element.value
    elif isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        yield from (element.value for element in expr.elements)
    elif isinstance(expr, cst.FormattedString):
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield part.expression
    elif isinstance(expr, cst.BinaryOperation):
        yield expr.left
        yield expr.right
    elif isinstance(expr, cst.ConcatenatedString):
        yield expr.left
        yield expr.right
    elif isinstance(expr, cst.Subscript):
        yield expr.value
    elif isinstance(expr, cst.IfExp):
        yield expr.body
        yield expr.orelse
    elif isinstance(expr, cst.Await):
        yield expr.expression


def _is_name(expr: cst.BaseExpression, names: Set[str]) -> bool:
    return isinstance(expr, cst.Name) and expr.value in names

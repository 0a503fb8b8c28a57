from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import FrozenSet, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastapi_lint.names import iter_params, keyword, positional
from fastapi_lint.prefilter import definition_pattern, has_route, lazy_pattern
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.security._exceptions import EXCEPTION_FLOW, ProjectExceptions, project_exceptions

EXCEPTION_HANDLERS = "exception_handlers"
# `app.add_exception_handler(ValueError, on_value_error)`, also `handlers.on_value_error`
_ADD_HANDLER = lazy_pattern(
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
# exceptions about the client's own input, whose messages are written to be shown to it
_INPUT_ERRORS = frozenset({
    "json.JSONDecodeError", "json.decoder.JSONDecodeError", "pydantic.ValidationError",
    "pydantic_core.ValidationError", "pydantic.error_wrappers.ValidationError",
    "fastapi.exceptions.RequestValidationError", "email_validator.EmailNotValidError",
    "email_validator.EmailUndeliverableError", "email_validator.EmailSyntaxError",
    "email_validator.exceptions_types.EmailNotValidError",
})
# where an except block is: a function that answers the request (route, exception handler,
# middleware) sends what it returns; a function nested in one (the generator of a
# StreamingResponse) sends what it yields; a project function they call (a helper) sends only
# what it raises as HTTPException or builds as a fastapi/starlette response
_ANSWERS, _NESTED, _HELPER = "answers", "nested", "helper"
_RESPONSE_MODULES = ("fastapi.", "starlette.", "sse_starlette.")
_BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})


# `FastAPI(exception_handlers={404: not_found, Exc: handlers.on_exc})`
_HANDLER_DICT = lazy_pattern(r"\bexception_handlers\s*=\s*\{([^{}]*)\}")
_DICT_VALUE = lazy_pattern(r":\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)")

# Prefilter. A handler registered by name in another module may be any function of this
# one, so the file is judged by what a leak needs: a sink (`return`, a `...Response` or
# `HTTPException`/`WebSocketException` call) and a read of the exception's text.
_GAP = r"(?:\s|\\\n|#[^\n]*\n)*"
_SINKS = ("return", "Response", "Exception", "yield")
_ARGS = lazy_pattern(r"\." + _GAP + r"args\b")  # exc.args
_STR_CALL = lazy_pattern(r"(?:str|repr)" + _GAP + r"\(" + _GAP + r"(?:\*+" + _GAP + r")?[^\W\d]")  # str(exc)
# an alias of str/repr: `s = str` (and any use of the `builtins` module: `s = builtins.repr`,
# `from builtins import str as s`)
_STR_ALIAS = lazy_pattern(r"=(?:[\s(]|\\\n)*(?:str|repr)\b")
_F_STRING = lazy_pattern(r"[fF][rRbB]?[\"']")  # f"{exc}", rf"{exc}"
# `@app.middleware("http")`, `async def dispatch(self, request, call_next)`
_DISPATCH = lazy_pattern(r"def\s+dispatch\b")  # (no leading `\b`: `re` can then skip to each "def")


def _defines_middleware(text: str) -> bool:
    # two tests, not one alternation: a pattern with a branch that starts with `\b` is tried
    # at every position of the text (0.4 s over the benchmark corpus; now 0.02 s)
    return ".middleware(" in text or ("dispatch" in text and _DISPATCH.search(text) is not None)
_MODULO = lazy_pattern(r"%" + _GAP + r"[\w(]")  # "..." % exc


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
    kind: str = _ANSWERS


@dataclass
class _Guarded:
    """A ``try`` statement: what its body raises with its own message and what it calls."""

    node: cst.Try
    raised: Set[str] = field(default_factory=set)
    called: Set[str] = field(default_factory=set)
    in_body: bool = True


class ExceptionDetailsLeak(Rule):
    """
    ## What it does
    Reports the text of an unexpected exception sent to the client: `str(exc)`, `repr(exc)`,
    `exc.args`, `traceback.format_exc()` (also inside f-strings, `%`/`.format()`, or through a
    local variable) of an exception caught broadly (`except Exception`, `BaseException`, bare
    `except`) or of a standard-library or third-party type, placed in a response body,
    `HTTPException(detail=...)`, a streamed event or an HTML error page. It looks in exception
    handlers (`@app.exception_handler(...)`, or a function registered by name with
    `app.add_exception_handler(Exc, handler)` or `FastAPI(exception_handlers={...})` in any
    module), middlewares (`@app.middleware("http")`, `dispatch` methods), routes, the functions
    nested in them (a `StreamingResponse` generator: what it yields), and project functions
    they call, any depth (there: what they raise as `HTTPException` or build as a
    fastapi/starlette response). The finding points at the expression that reads the exception.

    Not reported: exceptions whose message the application wrote for the client — classes the
    project defines, `HTTPException`, exception types that the guarded code raises itself with
    a message of its own (`raise ValueError("name must not be empty")`, `assert ..., "..."`),
    directly or in the project functions it calls (any depth) — and errors describing the
    client's own input (`json.JSONDecodeError`, pydantic `ValidationError`, `email_validator`
    errors).

    Preview, not on by default: read on real FastAPI projects, 87 % of its findings were
    what a reviewer wants (33 of 38; 9 of 15 on projects outside that set), under the 90 %
    a default rule must reach. What it still gets wrong: a narrow `except` of an error that
    describes the caller's input (a template error shown to the admin who wrote it, a
    webhook library's `ValueError` for a bad payload), and broad catches around code that
    mostly raises the project's own user-facing errors. Select it (`--extend-select
    FAPI310`) where such leaks matter most.

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
    DEFAULT = Default.PREVIEW
    TAGS = ("security",)
    CWE = 209
    SEEDS = ("000", "001", "002", "003")
    PROJECT_FACTS = (EXCEPTION_HANDLERS, EXCEPTION_FLOW)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return may_leak(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # a context is a route, a handler, a middleware, or a function they call
        if "exception_handler" in text or has_route(text) or _defines_middleware(text):
            return True
        defines_handler = _handler_definition(project)
        if defines_handler is not None and defines_handler.search(text) is not None:
            return True
        # a helper reports only what it raises as HTTPException or builds as a response
        return _helper_sink(text) and _exceptions(project).defines_served_function(text)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._contexts: List[_Context] = []
        # handlers registered by name, in this module or another one of the project
        self._registered = _project_handlers(self.ctx.project) | frozenset(handler_names(self.ctx.source))
        self._flow = _exceptions(self.ctx.project)
        # functions whose except blocks are judged, with their kind
        self._judged: List[Tuple[cst.FunctionDef, str]] = []
        # open `try` statements in judged functions; their bodies are visited before their
        # handlers, so what a body raises and calls is known when an `except` is reached
        self._tries: List[_Guarded] = []

    # -- contexts -------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        handled = self._decorated_handler(node)
        if handled is None:
            handled = node.name.value in self._registered
        params = list(iter_params(node.params))
        if handled and len(params) >= 2:
            self._contexts.append(_Context(node, {params[1].name.value}))
        if handled or self._is_middleware(node) or self.ctx.routes_of(node):
            self._judged.append((node, _ANSWERS))
        elif self._judged and self._judged[-1][1] != _HELPER:
            self._judged.append((node, _NESTED))
        elif self._judged or node.name.value in self._flow.served:
            self._judged.append((node, _HELPER))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._contexts and self._contexts[-1].function is node:
            self._contexts.pop()
        if self._judged and self._judged[-1][0] is node:
            self._judged.pop()

    def _is_middleware(self, node: cst.FunctionDef) -> bool:
        if node.name.value == "dispatch" and self.ctx.enclosing_class is not None:
            return True
        return any(
            isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
            and d.decorator.func.attr.value == "middleware"
            for d in node.decorators
        )

    def _decorated_handler(self, node: cst.FunctionDef) -> Optional[bool]:
        """True: an exception handler; False: a handler of a client error or of the project's
        own exception; None: not decorated."""
        for decorator in node.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == "exception_handler":
                first = positional(call, 0)
                if first is None:
                    return True
                handled = self.ctx.resolve(first.value) or ""
                return not (handled.endswith(_CLIENT_ERRORS) or self._projects_own(first.value))
        return None

    def visit_Try(self, node: cst.Try) -> None:
        if self._judged:
            self._tries.append(_Guarded(node))

    def leave_Try(self, node: cst.Try) -> None:
        if self._tries and self._tries[-1].node is node:
            self._tries.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        if self._tries and isinstance(node.exc, cst.Call) and _own_message(node.exc):
            name = _simple(node.exc.func)
            if name:
                self._guard(name, raised=True)

    def visit_Assert(self, node: cst.Assert) -> None:
        if self._tries and node.msg is not None:
            self._guard("AssertionError", raised=True)

    def _guard(self, name: str, raised: bool) -> None:
        for guarded in self._tries:
            if guarded.in_body:
                (guarded.raised if raised else guarded.called).add(name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if self._tries:
            self._tries[-1].in_body = False  # the handlers raise for the caller, not for this try
        function = self.ctx.current_function
        if function is None or not self._judged or self._judged[-1][0] is not function:
            return
        if self._user_facing(node):
            return
        names = set()
        if node.name is not None and isinstance(node.name.name, cst.Name):
            names.add(node.name.name.value)
        outer = self._context
        if outer is not None:
            names |= outer.exc_names  # a nested try inside an except block
        self._contexts.append(_Context(function, names, handler=node, kind=self._judged[-1][1]))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if self._contexts and self._contexts[-1].handler is node:
            self._contexts.pop()

    # -- which exceptions carry messages for the client -----------------------------------------
    def _user_facing(self, node: cst.ExceptHandler) -> bool:
        """Whether every exception ``node`` catches has a message meant for the client."""
        if node.type is None:
            return False
        types = [e.value for e in node.type.elements] if isinstance(node.type, cst.Tuple) else [node.type]
        guarded = self._tries[-1] if self._tries else None
        return all(self._carries_own_message(t, guarded) for t in types)

    def _carries_own_message(self, expr: cst.BaseExpression, guarded: Optional[_Guarded]) -> bool:
        resolved = self.ctx.resolve(expr) or ""
        if resolved in _BROAD:
            return False
        if resolved.endswith(_CLIENT_ERRORS) or resolved in _INPUT_ERRORS or self._projects_own(expr):
            return True
        simple = _simple(expr)
        if simple is None or guarded is None:
            return False
        return simple in guarded.raised or self._flow.raised_through(guarded.called, simple)

    def _called_name(self, func: cst.BaseExpression) -> Optional[str]:
        """The simple name of a called function, through import aliases."""
        if isinstance(func, cst.Name):
            resolved = self.ctx.resolve(func)
            if resolved:
                return resolved.rpartition(".")[2]
        return _simple(func)

    def _projects_own(self, expr: cst.BaseExpression) -> bool:
        """Whether ``expr`` names an exception class the project defines."""
        resolved = self.ctx.resolve(expr)
        if resolved is not None:
            module = resolved.rpartition(".")[0]
            project = self.ctx.project
            if module in ("builtins", "") or project is None:
                return False
            return project.find_module(module) is not None or module == self.ctx.facts.module_name
        simple = _simple(expr)
        return simple is not None and simple in self._flow.classes

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
        if context is not None and context.kind == _ANSWERS and node.value is not None:
            self._report_leaks(node.value, context)

    def visit_Yield(self, node: cst.Yield) -> None:
        # a streamed event (a generator handed to StreamingResponse / EventSourceResponse)
        context = self._context
        if context is not None and context.kind != _HELPER and isinstance(node.value, cst.BaseExpression):
            self._report_leaks(node.value, context)

    def visit_Call(self, node: cst.Call) -> None:
        if self._tries:
            called = self._called_name(node.func)
            if called:
                self._guard(called, raised=False)
        context = self._context
        if context is None:
            return
        name = self.ctx.resolve(node.func) or ""
        if name in _ERROR_CLASSES:
            detail = positional(node, 1) or keyword(node, "detail") or keyword(node, "reason")
            if detail is not None:
                self._report_leaks(detail.value, context)
        elif name.endswith("Response") and (context.kind != _HELPER or name.startswith(_RESPONSE_MODULES)):
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


def _helper_sink(text: str) -> bool:
    """Whether a helper in ``text`` may raise HTTPException or build a fastapi/starlette response."""
    return "HTTPException" in text or "WebSocketException" in text or (
        "Response" in text and ("fastapi" in text or "starlette" in text))


def _exceptions(project: Optional[ProjectIndex]) -> ProjectExceptions:
    return project_exceptions(project, _project_handlers(project))


def _simple(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _own_message(call: cst.Call) -> bool:
    """The libcst twin of ``_exceptions._own_message``."""
    if not call.args or call.args[0].keyword is not None:
        return any(a.keyword is not None and a.keyword.value in ("message", "msg", "detail") for a in call.args)
    first = call.args[0].value
    if isinstance(first, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.BinaryOperation,
                          cst.Name)):
        return True
    return isinstance(first, cst.Call) and isinstance(first.func, cst.Attribute) and first.func.attr.value == "format"

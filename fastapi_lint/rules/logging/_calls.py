"""What is a logging call (FAPI601, FAPI602): stdlib, structlog and loguru loggers.

A logger is recognised by type (``logging.getLogger(...)``, ``structlog.get_logger()``,
``loguru.logger`` and their ``.bind(...)`` children), and, for loggers imported from
elsewhere or stored on objects, by its name (``logger``, ``log``, ``self._logger``).
"""
from __future__ import annotations

import ast
from typing import List, Optional, Tuple

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.prefilter import any_attribute, any_word, lazy_pattern
from fastapi_lint.project import LazyAst, ModuleSummary, collector

LOG_METHODS = frozenset({
    "debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
    "msg", "trace", "success",
})
_LOGGER_ROOTS = (
    "logging.getLogger()", "logging.Logger()", "logging.LoggerAdapter()", "logging.root",
    "structlog.get_logger()", "structlog.getLogger()", "structlog.stdlib.get_logger()",
    "structlog.wrap_logger()", "loguru.logger",
)


_LOG_METHOD = any_attribute(LOG_METHODS)
# the receiver says logger by its resolved name (`logging.getLogger()`, `structlog...`,
# `loguru.logger`, `logging.root`) or by its own name (`_named_logger`), in any case
_LOGGER_TEXT = ("logger", "logging", "structlog", "loguru")
_ROOT = any_word(["root"])
_LOG = lazy_pattern(r"log_*(?![a-z0-9_])")


def may_log(text: str, lowered: str) -> bool:
    """The prefilter of :func:`log_method`: whether the text may hold such a call.
    ``lowered`` is ``text.lower()``."""
    return (
        any(word in lowered for word in _LOGGER_TEXT) or _log_name(lowered) or _ROOT(text)
    ) and _LOG_METHOD(text)


def _log_name(lowered: str) -> bool:
    """A name that is `log` but for underscores (`LOG`, `_log`), not `catalog` or `log_dir`."""
    for match in _LOG.finditer(lowered):
        start = match.start()
        while start and lowered[start - 1] == "_":
            start -= 1
        if start == 0 or not lowered[start - 1].isalnum():
            return True
    return False


def log_method(ctx: FileContext, call: cst.Call) -> Optional[str]:
    """The method name (``"info"``...) when ``call`` is a logging call, else None."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    receiver = ctx.resolve(func.value)
    if receiver is not None:
        if receiver == "logging" or receiver.startswith(_LOGGER_ROOTS):
            return func.attr.value
        if not receiver.startswith("<local>.") and _named_logger(receiver.rsplit(".", 1)[-1]):
            return func.attr.value
    name = func.value.attr.value if isinstance(func.value, cst.Attribute) else getattr(func.value, "value", None)
    if isinstance(name, str) and _named_logger(name):
        return func.attr.value
    return None


def _named_logger(name: str) -> bool:
    name = name.strip("_").lower()
    return name in ("log", "logger") or name.endswith("logger")


def message_index(method: str) -> int:
    """Position of the message argument: ``logger.log(level, msg, ...)`` puts it second."""
    return 1 if method == "log" else 0


# -- what the project pass's `ast` parse tells the logging rules' prefilters ----------------
# The text of a module's logging (and print) calls, and whether one of them formats its
# message eagerly. Text checks on the whole file pass most library modules (a docstring
# saying "token", a `%` anywhere); the calls themselves rarely do.
LOG_CALLS = "log_calls"
_MAX_CALL_TEXT = 256 * 1024  # beyond this, record nothing: the file is parsed


# without a method name or print in the text there is no such call (and no record: parse)
@collector(LOG_CALLS, triggers=(*sorted(LOG_METHODS), "print"))
def _collect_log_calls(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    if tree.get() is None:
        return
    # `p = print; p(token)` or `from builtins import print as p`: then any plain call may print
    print_aliased = _PRINT_NOT_CALLED.search(text) is not None
    lines: Optional[List[str]] = None
    pieces: List[str] = []
    size = 0
    eager = False
    for node in tree.of_type(ast.Call):
        func = node.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
            eager = eager or any(_eager_ast(arg) for arg in (*node.args, *(k.value for k in node.keywords)))
        elif not (isinstance(func, ast.Name) and (func.id == "print" or print_aliased)):
            continue
        if lines is None:
            lines = _source_lines(text)
        piece = _segment(lines, node)
        size += len(piece)
        if size > _MAX_CALL_TEXT:
            return
        pieces.append(piece)
    summary.extra[LOG_CALLS] = (eager, "\n".join(pieces))


_PRINT_NOT_CALLED = lazy_pattern(r"print(?!\w)(?!\s*\()")  # `= print`, `import print as p`


def _eager_ast(arg: ast.AST) -> bool:
    """A superset of what eager_formatting's ``_eager`` reports, read on the ast."""
    if isinstance(arg, ast.JoinedStr):
        return True
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return True
    return isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format"


# a line as the parser counts them: ended by \r\n, \r or \n only (not form feeds, not
# the other breaks str.splitlines knows); ast's own splitter loops in Python per character
_LINE = lazy_pattern(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _source_lines(text: str) -> List[str]:
    return _LINE.findall(text)


def _segment(lines: List[str], node: ast.AST) -> str:
    """The source of ``node`` (ast columns count UTF-8 bytes)."""
    first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode("utf-8", "replace")  # type: ignore[attr-defined]
    head = lines[first].encode()[node.col_offset:].decode("utf-8", "replace")
    tail = lines[last].encode()[:node.end_col_offset].decode("utf-8", "replace")  # type: ignore[attr-defined]
    return "".join([head, *lines[first + 1:last], tail])


def log_calls(project, path: Optional[str]) -> Optional[Tuple[bool, str]]:
    """(any eager message, the calls' text) of the file at ``path``; None: unknown."""
    return project.file_fact(path, LOG_CALLS) if project is not None else None

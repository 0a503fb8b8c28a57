"""What is a logging call (FAPI601, FAPI602): stdlib, structlog and loguru loggers.

A logger is recognised by type (``logging.getLogger(...)``, ``structlog.get_logger()``,
``loguru.logger`` and their ``.bind(...)`` children), and, for loggers imported from
elsewhere or stored on objects, by its name (``logger``, ``log``, ``self._logger``).
"""
from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from fastapi_lint.context import FileContext
from fastapi_lint.prefilter import any_attribute, any_word

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
_LOG = re.compile(r"log_*(?![a-z0-9_])")


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

from __future__ import annotations

from typing import List

import libcst as cst

from fastapi_lint.names import keyword
from fastapi_lint.prefilter import any_attribute, any_word
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity

# what a receiver of `.error(...)` resolves to when it is the standard library's logging
_LOGGERS = {"logging", "logging.getLogger()", "logging.getLogger().getChild()", "logging.Logger()",
            "logging.LoggerAdapter()", "logging.root"}
_ERROR = any_attribute(["error"])
_EXCEPT = any_word(["except"])
# every way to write those receivers: `logging`, `getLogger`, `Logger`, `LoggerAdapter`, `root`
_STDLIB_LOGGER = any_word(["logging", "getLogger", "Logger", "LoggerAdapter", "root"])


class ErrorLogWithoutTraceback(Rule):
    """
    ## What it does
    Reports `logger.error(...)` (the `logging` module or any `logging.getLogger(...)` logger)
    called inside an `except` block without `exc_info=`. Code in a function defined inside
    the `except` block is not counted: it runs later, outside the handler; nor is a call
    that formats the traceback itself (`traceback.format_exc()` in its arguments).

    ## Why is this bad?
    The log record keeps the message but drops the exception and its traceback, which is the
    one thing needed to diagnose an unexpected error in production.

    ## Example
    ```python
    try:
        process_payment(order)
    except PaymentError:
        logger.error("Payment failed", extra={"order_id": order.id})
        raise
    ```

    ## Use instead
    ```python
    try:
        process_payment(order)
    except PaymentError:
        logger.exception("Payment failed", extra={"order_id": order.id})
        raise
    ```

    ## Fix safety
    The fix renames the call to `.exception(...)`, which logs at the same ERROR level with
    `exc_info=True`. It is safe: only the traceback is added to the record.

    ## References
    - [Python: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    """

    CODE = "FAPI603"
    NAME = "error-log-without-traceback"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    FIX = FixAvailability.SAFE
    TAGS = ("logging",)
    SEEDS = ("000",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _ERROR(text) and _EXCEPT(text) and _STDLIB_LOGGER(text)

    def __init__(self, ctx, options) -> None:
        super().__init__(ctx, options)
        # the scope depth at which each enclosing `except` block was entered
        self._handlers: List[int] = []

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append(len(self.ctx.frames))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._handlers.append(len(self.ctx.frames))

    def leave_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._handlers.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "error"):
            return
        if not self._handlers or self._handlers[-1] != len(self.ctx.frames):
            return
        if keyword(node, "exc_info") is not None or any(arg.star == "**" for arg in node.args):
            return
        if self.ctx.resolve(func.value) not in _LOGGERS:
            return
        if "traceback" in self.ctx.facts.module.code_for_node(node):
            return  # formats the traceback itself (`traceback.format_exc()`): .exception() would repeat it
        fixed = node.with_changes(func=func.with_changes(attr=cst.Name("exception")))
        self.report(
            node,
            "`.error()` in an `except` block drops the traceback; use `.exception()`",
            replace=(node, fixed),
            fix_message="Use `.exception(...)`",
        )

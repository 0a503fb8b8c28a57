from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastapi_lint.names import positional
from fastapi_lint.prefilter import any_attribute, lazy_pattern
from fastapi_lint.rule import Default, FixAvailability, Rule, Severity
from fastapi_lint.rules.logging._calls import log_calls, log_method, may_log, message_index

# loggers whose message takes printf-style `%s` arguments (the fix targets them only)
_STDLIB_LOGGERS = ("logging", "logging.getLogger()", "logging.Logger()", "logging.LoggerAdapter()", "logging.root")
_CONVERSIONS = {None: "%s", "s": "%s", "r": "%r", "a": "%a"}
# what `_eager` reports: an f-string prefix, `.format(`, or `%` after a string literal (or
# its closing parenthesis) — which also matches a `"%s"` opening: lazy arguments
_EAGER = lazy_pattern(r"[fF][rR]?['\"]|[rR][fF]['\"]|['\")](?:\s|\\|#[^\n]*(?![^\n]))*%")
_FORMAT = any_attribute(["format"])


class EagerLogFormatting(Rule):
    """
    ## What it does
    Reports a logging call whose message is formatted before the call: an f-string with
    interpolations, `"..." % values` or `"...".format(...)`.

    ## Why is this bad?
    The message is built even when the level is disabled, so `logger.debug(f"...")` costs
    on every request. Aggregators also cannot group one message template across calls, and
    the values are lost as structured data. Lazy `%s` arguments (or `extra=`) format only
    when the record is emitted.

    ## Example
    ```python
    logger.info(f"Order {order.id} created")
    ```

    ## Use instead
    ```python
    logger.info("Order %s created", order.id)
    ```

    ## Fix safety
    For standard-library loggers, f-strings without format specs and `%` with a tuple or a
    single value are rewritten to lazy arguments. The fix is unsafe: the values are now
    formatted later (a mutable value may have changed), and a single `%` operand that is
    itself a tuple at run time would be spread differently.
    """

    CODE = "FAPI602"
    NAME = "eager-log-formatting"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    FIX = FixAvailability.UNSAFE
    TAGS = ("logging", "performance")
    SEEDS = ("000",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return may_log(text, text.lower()) and (_EAGER.search(text) is not None or _FORMAT(text))

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        calls = log_calls(project, path)
        return calls is None or calls[0]

    def visit_Call(self, node: cst.Call) -> None:
        method = log_method(self.ctx, node)
        if method is None:
            return
        index = message_index(method)
        arg = positional(node, index)
        if arg is None:
            return
        how = _eager(arg.value)
        if how is None:
            return
        message = f"{how} formats the log message eagerly; pass lazy `%s` arguments"
        fixed = self._fixed(node, index) if self._stdlib(node) else None
        if fixed is None:
            self.report(arg.value, message)
        else:
            self.report(arg.value, message, replace=(node, fixed), fix_message="Use lazy `%s` arguments")

    def _stdlib(self, node: cst.Call) -> bool:
        assert isinstance(node.func, cst.Attribute)
        receiver = self.ctx.resolve(node.func.value)
        return receiver is not None and receiver.startswith(_STDLIB_LOGGERS)

    def _fixed(self, node: cst.Call, index: int) -> Optional[cst.Call]:
        args = list(node.args)
        following = args[index + 1:]
        if any(a.keyword is None and not a.star for a in following):
            return None  # already has positional arguments: mixing styles
        value = args[index].value
        if isinstance(value, cst.FormattedString):
            converted = _from_fstring(value)
        elif isinstance(value, cst.BinaryOperation):
            converted = _from_percent(value)
        else:
            converted = None
        if converted is None:
            return None
        template, values = converted
        formatted = args[index].with_changes(value=template, whitespace_after_arg=cst.SimpleWhitespace(""))
        new_args = args[:index] + [formatted] + [cst.Arg(v) for v in values] + following
        # Existing commas keep their line breaks; an argument that gains a follower gets
        # ", "; the new last argument takes the old last one's comma and the whitespace
        # before ")", so a call spread over lines stays laid out as it was.
        new_args = [
            a if a.comma is not cst.MaybeSentinel.DEFAULT else a.with_changes(comma=cst.Comma(
                whitespace_after=cst.SimpleWhitespace(" ")))
            for a in new_args[:-1]
        ] + [new_args[-1].with_changes(comma=args[-1].comma, whitespace_after_arg=args[-1].whitespace_after_arg)]
        return node.with_changes(args=new_args)


def _eager(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.FormattedString):
        if any(isinstance(p, cst.FormattedStringExpression) for p in expr.parts):
            return "an f-string"
        return None
    if isinstance(expr, cst.ConcatenatedString):
        return _eager(expr.left) or _eager(expr.right)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        if isinstance(expr.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return "`%` formatting"
        return None
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "format"
        and isinstance(expr.func.value, (cst.SimpleString, cst.ConcatenatedString))
    ):
        return "`.format()`"
    return None


def _from_fstring(fstring: cst.FormattedString):
    pieces: List[str] = []
    values: List[cst.BaseExpression] = []
    for part in fstring.parts:
        if isinstance(part, cst.FormattedStringText):
            # `{{` is an f-string escape; `%` is a printf one
            text = part.value.replace("{{", "{").replace("}}", "}")
            pieces.append(text.replace("%", "%%"))
            continue
        if part.format_spec is not None or part.equal is not None or part.conversion not in _CONVERSIONS:
            return None
        pieces.append(_CONVERSIONS[part.conversion])
        values.append(part.expression)
    prefix = fstring.prefix.replace("f", "").replace("F", "")
    text = f"{prefix}{fstring.start[len(fstring.prefix):]}{''.join(pieces)}{fstring.end}"
    return cst.SimpleString(text), values


def _from_percent(operation: cst.BinaryOperation):
    if not isinstance(operation.left, cst.SimpleString):
        return None
    right = operation.right
    if isinstance(right, cst.Dict):
        return None  # `%(name)s` mappings have no positional equivalent
    if isinstance(right, cst.Tuple):
        if any(e.star for e in right.elements if isinstance(e, cst.StarredElement)):
            return None
        values = [e.value for e in right.elements]
    else:
        values = [right]
    return operation.left, values

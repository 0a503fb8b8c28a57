"""Is a value masked when it is printed? A shared fact for the rules that judge logged values.

pydantic's ``SecretStr``/``SecretBytes`` render as ``**********`` in ``str()``, ``repr()``,
f-strings and ``%``-formatting: logging one discloses nothing until the code unwraps it with
``.get_secret_value()``. (Starlette's ``Secret`` is not here: its ``str()`` is the value.)
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.context import FileContext

_MASKED_PACKAGES = frozenset({"pydantic", "pydantic_settings"})
_MASKED_CLASSES = frozenset({"SecretStr", "SecretBytes"})
UNWRAP_METHODS = frozenset({"get_secret_value"})


def is_masked_type(resolved: Optional[str]) -> bool:
    """``pydantic.SecretStr()``, ``pydantic.types.SecretBytes()``, ``pydantic.v1.SecretStr()``:
    an instance of a masking class (the project model's dotted instance name)."""
    if resolved is None or not resolved.endswith("()"):
        return False
    dotted = resolved[:-2]
    package, _, rest = dotted.partition(".")
    return package in _MASKED_PACKAGES and rest.rpartition(".")[2] in _MASKED_CLASSES


def is_masked(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """``expr`` holds a masking secret: a name bound to ``SecretStr(...)``, a parameter or
    field annotated ``SecretStr`` (``Optional[SecretStr]``, ``SecretStr | None`` too), or a
    ``self`` attribute assigned from one — as the scope tracker resolved it at this point."""
    if isinstance(expr, cst.Call):
        func = ctx.resolve(expr.func)
        return func is not None and is_masked_type(func + "()")
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return False
    return is_masked_type(ctx.resolve(expr))

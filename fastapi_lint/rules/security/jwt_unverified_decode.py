from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.names import argument, keyword, string_value
from fastapi_lint.prefilter import resolvable
from fastapi_lint.rule import Default, Rule, Severity

# PyJWT and python-jose
_DECODE = {"jwt.decode", "jwt.api_jwt.decode", "jose.jwt.decode", "jwt.PyJWT().decode"}
_VERIFY_OPTIONS = ("verify_signature", "verify_exp")
_DECODES = resolvable(_DECODE)


class JwtUnverifiedDecode(Rule):
    """
    ## What it does
    Reports `jwt.decode(...)` (PyJWT or python-jose, through aliases) called without
    `algorithms=`, with signature or expiry verification switched off
    (`options={"verify_signature": False}`, `options={"verify_exp": False}`, `verify=False`),
    or with `"none"` among the accepted algorithms.

    ## Why is this bad?
    Without a pinned algorithm list, old PyJWT and python-jose versions accept whatever `alg`
    the token names — including `none` or an HMAC keyed with the public key — so anyone can
    forge a token. With verification disabled the claims are simply trusted (CWE-347).

    ## Example
    ```python
    payload = jwt.decode(token, settings.SECRET_KEY)
    ```

    ## Use instead
    ```python
    payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[settings.ALGORITHM])
    ```

    ## References
    - [PyJWT: jwt.decode](https://pyjwt.readthedocs.io/en/stable/api.html#jwt.decode)
    - [CWE-347: Improper Verification of Cryptographic Signature](https://cwe.mitre.org/data/definitions/347.html)
    """

    CODE = "FAPI308"
    NAME = "jwt-unverified-decode"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 347
    SEEDS = ("000", "003")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _DECODES(text)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.resolve(node.func) not in _DECODE:
            return
        problem = self._problem(node)
        if problem is not None:
            self.report(node, f"`jwt.decode()` {problem}: forged or expired tokens are accepted")

    def _problem(self, node: cst.Call) -> Optional[str]:
        if any(arg.star for arg in node.args):
            return None  # **kwargs may carry algorithms=; unknown
        verify = keyword(node, "verify")
        if verify is not None and _is_false(verify.value):
            return "with `verify=False`"
        options = argument(node, 3, "options")
        disabled = self._disabled_option(options)
        if disabled is not None:
            return f'with `"{disabled}": False`'
        algorithms = argument(node, 2, "algorithms")
        if algorithms is None:
            return "without `algorithms=`"
        algorithms = self.ctx.constant(algorithms)
        if isinstance(algorithms, (cst.List, cst.Tuple, cst.Set)):
            names = [string_value(self.ctx.constant(e.value)) for e in algorithms.elements]
            if any(n is not None and n.lower() == "none" for n in names):
                return 'accepting the `"none"` algorithm'
        return None

    def _disabled_option(self, options: Optional[cst.BaseExpression]) -> Optional[str]:
        if options is None:
            return None
        options = self.ctx.constant(options)
        if not isinstance(options, cst.Dict):
            return None
        for element in options.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key in _VERIFY_OPTIONS and _is_false(element.value):
                    return key
        return None


def _is_false(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"

from __future__ import annotations

from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.security._cors import CorsRule, WildcardCors


class CorsWildcardOrigin(CorsRule):
    """
    ## What it does
    Reports `CORSMiddleware` (fastapi or starlette, through aliases) configured with a
    wildcard origin — `allow_origins` containing `"*"` (a literal, a module constant, or a
    project constant or settings field defaulting to `["*"]`) or an
    `allow_origin_regex` that matches any origin — without `allow_credentials=True` (that case
    is FAPI303). The finding points at the origin argument.

    ## Why is this bad?
    Every website may call the API from its visitors' browsers and read the answers. For a
    truly public, unauthenticated API that is intended; for anything else it widens the attack
    surface (intranet APIs reachable from the internet through a browser, data readable by any
    page) and invites someone to add credentials later (CWE-942).

    ## Example
    ```python
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    ```

    ## Use instead
    ```python
    app.add_middleware(CORSMiddleware, allow_origins=settings.CORS_ORIGINS)
    ```

    ## References
    - [FastAPI: CORS](https://fastapi.tiangolo.com/tutorial/cors/)
    - [CWE-942: Permissive Cross-domain Policy](https://cwe.mitre.org/data/definitions/942.html)
    """

    CODE = "FAPI304"
    NAME = "cors-wildcard-origin"
    SEVERITY = Severity.WARNING
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 942
    SEEDS = ("000", "001", "002", "003")
    WITH_CREDENTIALS = False

    def message(self, found: WildcardCors) -> str:
        return "CORS allows every origin; list the origins that may call this API"

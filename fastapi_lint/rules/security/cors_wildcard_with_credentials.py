from __future__ import annotations

from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.security._cors import CorsRule, WildcardCors


class CorsWildcardWithCredentials(CorsRule):
    """
    ## What it does
    Reports `CORSMiddleware` (from `fastapi.middleware.cors` or `starlette.middleware.cors`,
    through aliases) added with `allow_origins` containing `"*"` — a literal or a module
    constant, a constant imported from another project module, or a settings field whose
    default is `["*"]` read as `settings.NAME` — or an `allow_origin_regex` that matches any
    origin, together with
    `allow_credentials=True`. Registrations: `app.add_middleware(CORSMiddleware, ...)`,
    `Middleware(CORSMiddleware, ...)` (e.g. in `FastAPI(middleware=[...])`) and
    `CORSMiddleware(app, ...)`. The finding points at the origin argument.

    ## Why is this bad?
    With credentials allowed, Starlette answers a wildcard configuration by echoing the
    caller's `Origin` back, so any website a logged-in user visits can send authenticated
    requests to the API and read the responses: cookies and auth headers are usable by every
    origin (CWE-942).

    ## Example
    ```python
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=True,
    )
    ```

    ## Use instead
    ```python
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_credentials=True,
    )
    ```

    ## References
    - [FastAPI: CORS](https://fastapi.tiangolo.com/tutorial/cors/)
    - [CWE-942: Permissive Cross-domain Policy](https://cwe.mitre.org/data/definitions/942.html)
    """

    CODE = "FAPI303"
    NAME = "cors-wildcard-with-credentials"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 942
    SEEDS = ("000", "001", "002", "003")
    WITH_CREDENTIALS = True

    def message(self, found: WildcardCors) -> str:
        return ("CORS allows every origin together with `allow_credentials=True`: any website can make "
                "authenticated requests and read the answers; list the trusted origins")

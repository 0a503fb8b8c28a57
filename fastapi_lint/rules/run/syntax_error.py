from __future__ import annotations

from fastapi_lint.rule import Rule, Severity


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that cannot be parsed, at the parser's line and column.

    ## Why is this bad?
    A file that does not parse cannot be checked, and will fail at import time. The run goes
    on with the other files; this finding makes sure the problem is not silently skipped.

    ## Example
    ```python
    def create_item(item: Item:
        ...
    ```

    ## Use instead
    ```python
    def create_item(item: Item):
        ...
    ```
    """

    CODE = "FAPI001"
    NAME = "syntax-error"
    SEVERITY = Severity.ERROR
    TAGS = ("run",)

from __future__ import annotations

from fastapi_lint.rule import Rule, Severity


class UnreadableFileRule(Rule):
    """
    ## What it does
    Reports a file that cannot be read or decoded: no permission, not a regular file, binary
    content, or bytes that are not valid in the encoding its PEP 263 cookie (default UTF-8)
    declares.

    ## Why is this bad?
    Python itself will refuse the file, and a linter that skipped it silently would pass code
    it never read.

    ## Example
    ```python
    # -*- coding: utf-8 -*-
    NAME = "caf\xe9"  # saved as Latin-1
    ```

    ## Use instead
    ```python
    # -*- coding: latin-1 -*-
    NAME = "café"
    ```
    """

    CODE = "FAPI002"
    NAME = "unreadable-file"
    SEVERITY = Severity.ERROR
    TAGS = ("run",)

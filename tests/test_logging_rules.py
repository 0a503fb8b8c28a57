"""FAPI601/FAPI602 behaviour that a single fixture cannot show: options from a real
pyproject.toml, and the test-file exemption."""
from __future__ import annotations

import json
import os
import textwrap

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from fastapi_lint.cli import main
from fastapi_lint.rules.logging._calls import _source_lines
from fastapi_lint.config import Config
from fastapi_lint.runner import run_paths
from tests.helpers import found, lint_text, rules_for

SOURCE = textwrap.dedent(
    """\
    import logging

    logger = logging.getLogger(__name__)


    def verify(otp: str, iban: str, password: str) -> None:
        logger.info("otp %s iban %s pw %s", otp, iban, password)
    """
)


def _run(tmp_path, options: str):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\nselect = [\"FAPI601\"]\n" + options, encoding="utf-8"
    )
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "auth.py").write_text(SOURCE, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["app", "--format", "json", "--no-cache"])
    finally:
        os.chdir(cwd)
    data = json.loads(result.output)
    findings = data["findings"] if isinstance(data, dict) else data
    return {(f["line"], f["column"], f["message"]) for f in findings}


def test_extra_words_from_pyproject_change_the_result(tmp_path) -> None:
    default = _run(tmp_path, "")
    assert {(line, col) for line, col, _ in default} == {(7, 52)}

    configured = _run(
        tmp_path,
        '[tool.fastapi-lint.options.FAPI601]\nextra-secret-words = ["otp"]\nextra-pii-words = ["iban"]\n',
    )
    by_column = {col: message for _, col, message in configured}
    assert set(by_column) == {41, 46, 52}
    assert "secret" in by_column[41]
    assert "PII" in by_column[46]


OUTBOUND = textwrap.dedent(
    """\
    import logging

    import httpx

    logger = logging.getLogger(__name__)


    def fetch(settings):
        form = {"grant_type": "client_credentials", "client_secret": settings.client_secret}
        logger.debug("posting %s", form)
        extra = dict(api_key=settings.key)
        logger.debug("posting %s", extra)
        return httpx.post(settings.url, data=form)
    """
)


def test_logged_local_dict_holding_a_secret_passes_the_project_prefilter(tmp_path) -> None:
    """The logging calls name no secret; the dict they log does (`applies_in_project`)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "client.py").write_text(OUTBOUND, encoding="utf-8")
    config = Config(root=str(tmp_path), select=("FAPI601",))
    runs = [run_paths([str(tmp_path)], config, rules_for(("FAPI601",)), prefilter=on) for on in (True, False)]
    assert [sorted((f.line, f.column) for f in run.findings) for run in runs] == [[(10, 32), (12, 32)]] * 2


def test_test_files_are_not_checked() -> None:
    assert found(lint_text(SOURCE, ["FAPI601"], filename="app/main.py"))
    assert not found(lint_text(SOURCE, ["FAPI601"], filename="tests/test_auth.py"))


SEED_SCRIPT = textwrap.dedent(
    """\
    import logging

    logger = logging.getLogger(__name__)


    def seed(token: str, webhook_secret: str) -> None:
        print(f"APP_TOKEN={token}")
        logger.info("seeded with %s", webhook_secret)
    """
)


def test_print_in_a_script_is_its_output_for_the_operator() -> None:
    # the script prints what whoever runs it asked for (a .env line); its logger still logs
    assert found(lint_text(SEED_SCRIPT, ["FAPI601"], filename="app/seed.py")) == {
        (7, 24, "FAPI601"), (8, 35, "FAPI601")}
    for path in ("scripts/seed.py", "server/scripts/seed.py", "bin/seed.py"):
        assert found(lint_text(SEED_SCRIPT, ["FAPI601"], filename=path)) == {(8, 35, "FAPI601")}


CLI_MODULE = textwrap.dedent(
    """\
    import argparse


    def run(args) -> None:
        print(f"evaluating as {args.user_email}")


    if __name__ == "__main__":
        parsed = argparse.ArgumentParser().parse_args()
        print(f"starting for {parsed.user_email}")
        run(parsed)
    """
)


def test_print_in_command_line_code_is_its_output() -> None:
    # a module run as a script prints to whoever started it; imported by the app, it logs
    assert found(lint_text(CLI_MODULE, ["FAPI601"], filename="app/eval_cli.py")) == set()
    library = CLI_MODULE.split("\n\nif __name__")[0] + "\n"
    assert found(lint_text(library, ["FAPI601"], filename="app/eval_cli.py")) == {(5, 28, "FAPI601")}


EAGER = textwrap.dedent(
    """\
    import logging

    logger = logging.getLogger(__name__)


    def work(order, user) -> None:
        logger.info(f"Order {order.id} at 100% {{ok}}")
        logger.error(f"failed for {user!r}", exc_info=True)
        logger.debug("user %s/%s" % (user.id, order.id))
        logger.info(f"{order.total:.2f}")
    """
)
EAGER_FIXED = textwrap.dedent(
    """\
    import logging

    logger = logging.getLogger(__name__)


    def work(order, user) -> None:
        logger.info("Order %s at 100%% {ok}", order.id)
        logger.error("failed for %r", user, exc_info=True)
        logger.debug("user %s/%s", user.id, order.id)
        logger.info(f"{order.total:.2f}")
    """
)


def test_eager_formatting_unsafe_fix_is_idempotent() -> None:
    from fastapi_lint.fix import apply_fixes, parses

    result = lint_text(EAGER, ["FAPI602"])
    assert len(result.findings) == 4
    fixed, count = apply_fixes(EAGER, [f.fix for f in result.findings if f.fix is not None])
    assert count == 3 and fixed == EAGER_FIXED and parses(fixed)
    again = lint_text(fixed, ["FAPI602"])
    assert [f.fix for f in again.findings] == [None]  # the format spec is left to a human


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \r\n\x0c\x0b\x1c\u2028\u00e9", max_size=40))
def test_log_call_collector_splits_lines_as_the_parser_does(text):
    # ast's columns index these lines; str.splitlines would also split at \x0c, \x1c, \u2028
    assert _source_lines(text) == _parser_lines(text)


def _parser_lines(source):
    """The reference: CPython 3.11's ast._splitlines_no_ff (3.13's adds a final empty line)."""
    lines, line, index = [], "", 0
    while index < len(source):
        char = source[index]
        line += char
        index += 1
        if char == "\r" and index < len(source) and source[index] == "\n":
            line += "\n"
            index += 1
        if char in "\r\n":
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return lines


def test_outbound_request_headers_are_named_in_the_message() -> None:
    text = "import logging\nlogger = logging.getLogger()\n\ndef f(response):\n" \
           "    logger.debug('%s', response.request.headers)\n"
    [finding] = lint_text(text, ["FAPI601"]).findings
    assert "`response.request`" in finding.message and "whole request" not in finding.message

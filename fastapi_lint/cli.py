"""The ``fastapi-lint`` command: argument parsing and wiring only, no analysis."""
from __future__ import annotations

import io
import os
import sys
from typing import IO, List, Optional, Sequence, Tuple

import click

from fastapi_lint import __version__
from fastapi_lint.config import Config, ConfigError, load_config, validate_codes
from fastapi_lint.parallel import default_jobs
from fastapi_lint.registry import all_rules, select_rules
from fastapi_lint.reporters import FORMATS, Report, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageProblem(Exception):
    """Bad usage reported in one line with exit status 2."""


def _split_codes(values: Sequence[str]) -> Tuple[str, ...]:
    codes: List[str] = []
    for value in values:
        codes.extend(c.strip().upper() for c in value.split(",") if c.strip())
    return tuple(codes)


def _error(message: str) -> None:
    click.echo(f"fastapi-lint: error: {message}", err=True)


def _explain(code: str, fmt: str) -> None:
    from fastapi_lint import docs

    rule = all_rules().get(code.upper())
    if rule is None:
        raise UsageProblem(f"unknown rule {code!r} (see --list-rules)")
    text = docs.markdown(rule)
    if fmt == "markdown" or not sys.stdout.isatty():
        click.echo(text, nl=False)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))


def _list_rules(fmt: str) -> None:
    from fastapi_lint import docs

    rules = list(all_rules().values())
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"code": r.CODE, "name": r.NAME, "severity": r.SEVERITY.value, "default": r.DEFAULT.value,
             "fix": r.FIX.value, "cwe": r.CWE, "precision": docs.precision(r),
             "precision_basis": docs.precision_basis(r), "summary": docs.summary(r)} for r in rules
        ], indent=2))
        return
    width = max(len(r.NAME) for r in rules)
    for r in rules:
        click.echo(f"{r.CODE}  {r.NAME:<{width}}  {r.SEVERITY.value:<7}  {r.DEFAULT.value:<7}  fix:{r.FIX.value:<6}  "
                   f"precision:{docs.precision(r):<9}  {docs.summary(r)}")


def _open_output(path: Optional[str]) -> IO[str]:
    if path is None:
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageProblem(f"cannot write {path}: {exc.strerror or exc}") from None


def _progress_callback():
    """A rich progress bar on stderr, only for a terminal."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(TextColumn("linting"), BarColumn(), MofNCompleteColumn(),
                        console=Console(file=sys.stderr), transient=True)
    task = progress.add_task("lint", total=None)

    def update(done: int, total: int) -> None:
        # started on the first update, after the worker processes are forked: a refresh
        # thread alive at fork time could leave a worker with a lock held forever
        progress.start()
        progress.update(task, completed=done, total=total)

    return progress, update


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS + ("markdown",)), default="text",
              show_default=True, help="Output format (markdown: only with --explain).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the configured set).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option("--honor-other-tools/--no-honor-other-tools", default=None,
              help="Let ruff/bandit/flake8-async suppressions (# noqa: S608, # nosec) hide the equivalent rules.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (pyproject.toml).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all CPUs; 1: lint in this process).")
@click.option("--stdin-filename", help="The path of the buffer read from stdin (with PATH '-').")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule with its default and severity.")
@click.option("--color/--no-color", default=None, help="Force or disable colours in text output.")
@click.option("--no-show-source", is_flag=True, help="Text output: omit the offending source line.")
@click.option("--sarif-category", metavar="NAME", help="SARIF output: the GitHub code scanning category of this analysis.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff: apply the unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and write nothing (exit 1 if any).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Hide the findings recorded in this baseline file; report only new ones.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Record the current findings in this baseline file and exit.")
# for checking rule prefilters (and their benchmark): parse every file for every rule
@click.option("--no-prefilter", is_flag=True, hidden=True)
@click.version_option(__version__, "--version", prog_name="fastapi-lint")
def main(paths: Tuple[str, ...], fmt: str, output: Optional[str], select: Tuple[str, ...],
         extend_select: Tuple[str, ...], ignore: Tuple[str, ...], preview: Optional[bool],
         honor_other_tools: Optional[bool], exit_zero: bool, config_file: Optional[str], no_cache: bool, jobs: Optional[int],
         stdin_filename: Optional[str],
         explain: Optional[str], list_rules: bool, color: Optional[bool], no_show_source: bool,
         sarif_category: Optional[str], fix: bool, unsafe_fixes: bool, diff: bool,
         baseline_file: Optional[str], write_baseline: Optional[str], no_prefilter: bool) -> None:
    """Lint FastAPI code. PATHS are files or directories (default: "."); "-" reads stdin."""
    if explain:
        _explain(explain, fmt)
        return
    if list_rules:
        _list_rules(fmt)
        return
    if fmt == "markdown":
        raise UsageProblem("--format markdown only goes with --explain")
    paths = paths or (".",)
    reading_stdin = paths == ("-",)
    if "-" in paths and not reading_stdin:
        raise UsageProblem("'-' (stdin) cannot be combined with other paths")
    start = os.path.dirname(os.path.abspath(stdin_filename)) if reading_stdin and stdin_filename else paths[0]
    config = load_config(config_file, start if os.path.exists(start) else ".")
    config = _apply_cli(config, select, extend_select, ignore, preview)
    if honor_other_tools is not None:
        config = config.with_overrides(honor_other_tools=honor_other_tools)
    rules_by_code = all_rules()
    validate_codes(config, list(rules_by_code), {c: r.option_defaults() for c, r in rules_by_code.items()})
    rules = select_rules(rules_by_code, config.select, config.extend_select, config.ignore, config.preview)
    stream = _open_output(output)

    from fastapi_lint import runner

    if reading_stdin:
        data = sys.stdin.buffer.read()
        result = runner.run_source(stdin_filename or "-", data, config, rules)
    else:
        progress, update = _progress_callback()
        run_options = {"jobs": jobs or default_jobs(), "cache": not no_cache and not no_prefilter,
                       "prefilter": not no_prefilter}
        try:
            result = runner.run_paths(paths, config, rules, update, **run_options)
        finally:
            if progress is not None:
                progress.stop()

    fixed = 0
    if fix or diff:
        stdin = (stdin_filename or "-", data) if reading_stdin else None
        fixed = _apply_fixes(result, unsafe_fixes, diff, stdin)
        if reading_stdin and not diff and stream is sys.stdout:
            stream = sys.stderr  # stdout carries the fixed source
    if write_baseline:
        _write_baseline(write_baseline, result)
    scope = (stdin_filename,) if reading_stdin and stdin_filename else paths
    hidden, stale = _filter_baseline(result, baseline_file, config, scope)
    for problem in result.usage_errors:
        _error(problem)
    for problem in result.errors:
        click.echo(f"fastapi-lint: {problem}", err=True)
    use_color = color if color is not None else (output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    report = Report(tuple(result.findings), tuple(rules), result.files_checked, result.root,
                    tuple(result.errors), color=bool(use_color) and fmt == "text",
                    show_source=not no_show_source, sarif_category=sarif_category,
                    fixed=fixed, baseline_hidden=hidden, baseline_stale=stale)
    try:
        render(fmt, report, stream)
        stream.flush()
    finally:
        if stream not in (sys.stdout, sys.stderr):
            stream.close()
    if result.errors or result.usage_errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN)


def _apply_fixes(result, unsafe: bool, diff: bool, stdin: Optional[Tuple[str, bytes]]) -> int:
    """--fix/--diff: fix in memory, then write, print the diff, or print the fixed stdin buffer."""
    from fastapi_lint import fix as fixing

    summary = fixing.apply_to_run(result, unsafe, stdin)
    if diff:
        for fixed in summary.changed:
            click.echo(fixed.diff(), nl=False)
        count = summary.applied
        click.echo(f"Would fix {count} finding{'s' if count != 1 else ''} in "
                   f"{len(summary.changed)} file{'s' if len(summary.changed) != 1 else ''}.", err=True)
        sys.exit(EXIT_ERROR if result.errors else (EXIT_FINDINGS if summary.changed else EXIT_CLEAN))
    if stdin is not None:
        fixed_text = summary.files[0].encoded() if summary.files else stdin[1]
        sys.stdout.buffer.write(fixed_text)
        sys.stdout.flush()
    else:
        result.errors.extend(fixing.write_fixed(summary))
    return summary.applied


def _write_baseline(path: str, result) -> None:
    from fastapi_lint import baseline

    try:
        count = baseline.write(path, result.findings, result.root)
    except baseline.BaselineError as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(f"fastapi-lint: wrote {count} finding{'s' if count != 1 else ''} to baseline {path}", err=True)
    sys.exit(EXIT_ERROR if result.errors or result.usage_errors else EXIT_CLEAN)


def _filter_baseline(result, cli_value: Optional[str], config: Config, paths: Sequence[str]) -> Tuple[int, int]:
    """Drop the findings the baseline knows; returns (hidden, stale entries)."""
    from fastapi_lint import baseline

    path = baseline.resolve_path(cli_value, config.baseline, config.root)
    if path is None:
        return 0, 0
    try:
        recorded = baseline.read(path)
    except baseline.BaselineError as exc:
        raise UsageProblem(str(exc)) from None
    filtered = baseline.apply(recorded, result.findings, result.root, paths)
    result.findings = filtered.findings
    return filtered.hidden, filtered.stale


def _apply_cli(config: Config, select, extend_select, ignore, preview) -> Config:
    changes = {}
    if select:
        changes["select"] = _split_codes(select)
    if extend_select:
        changes["extend_select"] = config.extend_select + _split_codes(extend_select)
    if ignore:
        changes["ignore"] = config.ignore + _split_codes(ignore)
    if preview is not None:
        changes["preview"] = preview
    return config.with_overrides(**changes) if changes else config


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: every expected problem ends in one line on stderr, never a traceback."""
    try:
        main.main(args=list(argv) if argv is not None else None, prog_name="fastapi-lint",
                  standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_ERROR)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        _error(exc.format_message())
        return EXIT_ERROR
    except click.Abort:
        _error("interrupted")
        return 130
    except (ConfigError, UsageProblem) as exc:
        _error(str(exc))
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except RuntimeError as exc:
        # Ctrl-C landing in a class body being created (a lazy import of libcst's node
        # dataclasses) reaches us as "RuntimeError: Error calling __set_name__" from it
        if not _caused_by_interrupt(exc):
            raise
        _error("interrupted")
        return 130
    return EXIT_CLEAN


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = set()
    cause: Optional[BaseException] = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _silence_stdout() -> None:
    """After the reader of our output went away, let interpreter shutdown flush into nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def entry() -> None:
    sys.exit(run())

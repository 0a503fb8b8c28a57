"""The ``fastapi-lint`` command: argument parsing and wiring only, no analysis."""
from __future__ import annotations

import io
import os
import sys
from dataclasses import replace
from typing import IO, List, Optional, Sequence, Tuple

import click

from fastapi_lint import __version__
from fastapi_lint.__main__ import interrupted
from fastapi_lint.config import (SEVERITY_LEVELS, Config, ConfigError, at_least, did_you_mean, has_own_table,
                                 load_config, validate_codes)
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

    rules = all_rules()
    by_name = {r.NAME: r for r in rules.values()}
    rule = rules.get(code.upper()) or by_name.get(code.lower())
    if rule is None:
        raise UsageProblem(f"unknown rule {code!r} (see --list-rules)")
    text = docs.markdown(rule)
    if fmt == "json":
        import json

        click.echo(json.dumps(dict(_rule_dict(rule), explanation=text), indent=2))
        return
    if fmt == "markdown" or not sys.stdout.isatty():
        click.echo(text, nl=False)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))


def _rule_dict(rule) -> dict:
    from fastapi_lint import docs

    return {"code": rule.CODE, "name": rule.NAME, "severity": rule.SEVERITY.value, "default": rule.DEFAULT.value,
            "fix": rule.FIX.value, "cwe": rule.CWE, "precision": docs.precision(rule),
            "precision_basis": docs.precision_basis(rule), "summary": docs.summary(rule), "url": docs.help_uri(rule)}


def _list_rules(fmt: str, enabled: set) -> None:
    """Every rule, and whether the configuration and command line in effect enable it."""
    from fastapi_lint import docs

    rules = list(all_rules().values())
    if fmt == "json":
        import json

        click.echo(json.dumps([dict(_rule_dict(r), enabled=r.CODE in enabled) for r in rules], indent=2))
        return
    width = max(len(r.NAME) for r in rules)
    for r in rules:
        state = "on" if r.CODE in enabled else "off"
        click.echo(f"{r.CODE}  {r.NAME:<{width}}  {state:<3}  {r.SEVERITY.value:<7}  {r.DEFAULT.value:<7}  "
                   f"fix:{r.FIX.value:<6}  precision:{docs.precision(r):<9}  {docs.summary(r)}")


def _show_files(paths: Sequence[str], config: Config) -> None:
    """--show-files: what a run with these paths and settings would lint (as ruff does)."""
    from fastapi_lint.discovery import discover

    found = discover(paths, config)
    for problem in found.errors:
        _error(problem)
    for source in found.files:
        click.echo(source.display)
    if found.errors:
        sys.exit(EXIT_ERROR)


def _render_statistics(fmt: str, report: Report, stream: IO[str]) -> None:
    if fmt not in ("text", "json"):
        raise UsageProblem("--statistics goes with --format text or json")
    from fastapi_lint.reporters import json as json_report, text as text_report

    (json_report if fmt == "json" else text_report).render_statistics(report, stream)


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
# readable=False: an unreadable file is reported as FAPI002 and the run goes on (click would stop it)
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: text).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--output-format", "output_formats", multiple=True, metavar="FORMAT[:PATH]",
              help="Also write a report in FORMAT to PATH (repeatable, or comma-separated: "
                   "sarif:results.sarif,markdown:summary.md); without PATH, the format of standard output.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the configured set).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option("--honor-other-tools/--no-honor-other-tools", default=None,
              help="Let ruff/bandit/flake8-async suppressions (# noqa: S608, # nosec) hide the equivalent rules.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on", type=click.Choice(SEVERITY_LEVELS), default=None,
              help="Exit 1 only for findings of this severity or above (default: info, any finding).")
@click.option("--min-severity", type=click.Choice(SEVERITY_LEVELS), default=None,
              help="Report only findings of this severity or above (default: info, all).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (pyproject.toml).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--exclude", multiple=True, help="Glob patterns to skip (replaces the configured exclude list).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to skip in addition to the exclude list.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes (default and 0: all CPUs; 1: lint in this process).")
@click.option("--stdin-filename", help="The path of the buffer read from stdin (with PATH '-').")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation (by code or name) and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule with its severity and whether this configuration enables it.")
@click.option("--statistics", is_flag=True, help="Print the number of findings of each rule instead of the findings.")
@click.option("-q", "--quiet", is_flag=True, help="Text output: print the findings, without the summary.")
@click.option("--show-files", is_flag=True, help="Print the files that would be linted, and exit.")
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
@click.option("--new-from-rev", metavar="REF",
              help="Report only the findings the change since the merge-base of HEAD and REF introduced "
                   "(the working tree, uncommitted changes included, against that commit).")
@click.option("--new-from-patch", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only the findings on the lines a unified diff adds.")
@click.option("--add-noqa", is_flag=True, help="Write `# noqa: CODE` on the line of every current finding, and exit.")
# for checking rule prefilters (and their benchmark): parse every file for every rule
@click.option("--no-prefilter", is_flag=True, hidden=True)
@click.option("--project-root", type=click.Path(file_okay=False, exists=True),
              help="The project's root: module names and relative paths start there "
                   "(default: the directory of the configuration, else the nearest one above "
                   "the paths holding pyproject.toml, setup.cfg, setup.py or .git).")
@click.option("--show-settings", is_flag=True,
              help="Print the project root, the configuration file, the module count and the "
                   "declared dependency versions, and exit.")
@click.version_option(__version__, "--version", prog_name="fastapi-lint")
def main(paths: Tuple[str, ...], fmt: Optional[str], output: Optional[str], output_formats: Tuple[str, ...], select: Tuple[str, ...],
         extend_select: Tuple[str, ...], ignore: Tuple[str, ...], preview: Optional[bool],
         honor_other_tools: Optional[bool], exit_zero: bool, fail_on: Optional[str], min_severity: Optional[str],
         config_file: Optional[str], no_cache: bool, exclude: Tuple[str, ...],
         extend_exclude: Tuple[str, ...], jobs: Optional[int], stdin_filename: Optional[str],
         explain: Optional[str], list_rules: bool, statistics: bool, quiet: bool, show_files: bool,
         color: Optional[bool], no_show_source: bool,
         sarif_category: Optional[str], fix: bool, unsafe_fixes: bool, diff: bool,
         baseline_file: Optional[str], write_baseline: Optional[str], new_from_rev: Optional[str],
         new_from_patch: Optional[str], add_noqa: bool, no_prefilter: bool,
         project_root: Optional[str], show_settings: bool) -> None:
    """Lint FastAPI code. PATHS are files or directories (default: "."); "-" reads stdin."""
    fmt, extra_reports = _report_formats(fmt, output_formats)
    if explain:
        _explain(explain, fmt)
        return
    paths, reading_stdin = _stdin_or_paths(paths, stdin_filename)
    start = os.path.dirname(os.path.abspath(stdin_filename)) if reading_stdin and stdin_filename else paths[0]
    config = load_config(config_file, start if os.path.exists(start) else ".")
    rules_by_code = all_rules()
    # the file's settings are checked before the command line's, so that each mistake is
    # blamed on where it was typed
    validate_codes(config, list(rules_by_code), {c: r.option_defaults() for c, r in rules_by_code.items()})
    _validate_cli_codes(list(rules_by_code), select=select, extend_select=extend_select, ignore=ignore)
    config = _apply_cli(config, select, extend_select, ignore, preview)
    config = _apply_cli_excludes(config, exclude, extend_exclude)
    if honor_other_tools is not None:
        config = config.with_overrides(honor_other_tools=honor_other_tools)
    if project_root is not None:
        config = config.with_overrides(root=os.path.abspath(project_root))
    config = _apply_cli_severities(config, fail_on, min_severity)
    if show_settings:
        _show_settings(config, paths)
        return
    rules = select_rules(rules_by_code, config.select, config.extend_select, config.ignore, config.preview)
    if list_rules:
        _list_rules(fmt, {rule.CODE for rule in rules})
        return
    if show_files:
        _show_files(paths, config)
        return
    base = _check_new_from(new_from_rev, new_from_patch, reading_stdin, paths, fix or diff or add_noqa)
    stream = _open_output(output)
    # opened before the run, so that a path that cannot be written stops it at once
    extra_streams = [(name, _open_output(path)) for name, path in extra_reports]

    from fastapi_lint import runner

    if reading_stdin:
        data = sys.stdin.buffer.read()
        result = runner.run_source(stdin_filename or "-", data, config, rules, cache=not no_cache)
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
    if add_noqa:
        _add_noqa(result, reading_stdin)
    scope = (stdin_filename,) if reading_stdin and stdin_filename else paths
    hidden, stale = _filter_baseline(result, baseline_file, config, scope)
    changes_hidden = 0
    if new_from_rev or new_from_patch:
        before = len(result.findings)
        result.findings = _new_findings(result, base, new_from_patch, paths, config, rules,
                                        run_options if not reading_stdin else {})
        changes_hidden = before - len(result.findings)
    result.findings = [f for f in result.findings if at_least(f.severity, config.min_severity)]
    for problem in result.usage_errors:
        _error(problem)
    if not reading_stdin and result.files_checked == 0 and not result.usage_errors and not quiet:
        click.echo("fastapi-lint: warning: no Python files found under the given paths", err=True)
    if not quiet and result.settings is not None:
        for warning in result.settings.versions.warnings:
            click.echo(f"fastapi-lint: warning: {warning}", err=True)
    for problem in result.errors:
        click.echo(f"fastapi-lint: {problem}", err=True)
    use_color = color if color is not None else (output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    report = Report(tuple(result.findings), tuple(rules), result.files_checked, result.root,
                    tuple(result.errors), color=bool(use_color) and fmt == "text",
                    show_source=not no_show_source, sarif_category=sarif_category,
                    fixed=fixed, baseline_hidden=hidden, baseline_stale=stale,
                    path_errors=len(result.usage_errors),
                    # review mode already hides what was there: no adoption hint
                    adoption_paths=None if new_from_rev or new_from_patch else
                    _adoption_paths(config, paths, baseline_file, write_baseline, reading_stdin),
                    quiet=quiet, changes_since=_changes_label(new_from_rev, new_from_patch),
                    changes_hidden=changes_hidden)
    try:
        if statistics:
            _render_statistics(fmt, report, stream)
        else:
            render(fmt, report, stream)
        stream.flush()
    finally:
        if stream not in (sys.stdout, sys.stderr):
            stream.close()
    _write_extra_reports(extra_streams, report)
    if result.errors or result.usage_errors:
        sys.exit(EXIT_ERROR)
    failing = any(at_least(f.severity, config.fail_on) for f in result.findings)
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _report_formats(fmt: Optional[str], values: Sequence[str]) -> Tuple[str, List[Tuple[str, str]]]:
    """The format of the main report, and the (format, path) of each --output-format FORMAT:PATH.

    As golangci-lint's ``--out-format``: one run, several reports, so CI lints once. A value
    without a path names the main report's format (ruff's ``--output-format``).
    """
    extra: List[Tuple[str, str]] = []
    main_formats = [fmt] if fmt else []
    for value in (v.strip() for given in values for v in given.split(",") if v.strip()):
        name, _, path = value.partition(":")
        if name not in FORMATS:
            raise UsageProblem(f"--output-format: unknown format {name!r} (one of {', '.join(FORMATS)})")
        if path:
            extra.append((name, path))
        else:
            main_formats.append(name)
    if len(set(main_formats)) > 1:
        raise UsageProblem(f"two formats for standard output: {' and '.join(main_formats)} "
                           "(write one to a file: --output-format FORMAT:PATH)")
    return (main_formats[0] if main_formats else "text"), extra


def _write_extra_reports(reports: Sequence[Tuple[str, IO[str]]], report: Report) -> None:
    for fmt, stream in reports:
        try:
            render(fmt, replace(report, color=False), stream)
        finally:
            stream.close()


def _check_new_from(rev: Optional[str], patch: Optional[str], reading_stdin: bool,
                    paths: Sequence[str], rewrites: bool) -> Optional[Tuple[str, str]]:
    """Usage, the repository and the merge-base of --new-from-rev, before anything is linted:
    (repository top, merge-base commit), or None without the option."""
    if rev and patch:
        raise UsageProblem("--new-from-rev or --new-from-patch, not both")
    if (rev or patch) and rewrites:
        # they rewrite whole files, old findings included: not what a review mode promises
        raise UsageProblem("--fix, --diff and --add-noqa change every finding of a file: "
                           "not with --new-from-rev or --new-from-patch")
    if (rev or patch) and reading_stdin:
        raise UsageProblem(f"{'--new-from-rev' if rev else '--new-from-patch'} lints files: it does not read stdin")
    if not rev:
        return None
    from fastapi_lint import changes

    try:
        return changes.resolve(rev, paths)
    except changes.ChangeError as exc:
        raise UsageProblem(str(exc)) from None


def _changes_label(rev: Optional[str], patch: Optional[str]) -> Optional[str]:
    if rev:
        return f"the merge-base with {rev}"
    return patch


def _new_findings(result, base: Optional[Tuple[str, str]], patch: Optional[str], paths: Sequence[str],
                  config: Config, rules, run_options: dict) -> list:
    """--new-from-rev / --new-from-patch: the findings the change introduced."""
    from fastapi_lint import changes, runner

    try:
        if patch:
            return changes.on_added_lines(result.findings, changes.read_patch(patch),
                                          changes.patch_base(os.getcwd()))

        def lint(base_paths: Sequence[str], base_config: Config) -> list:
            return runner.run_paths(base_paths, base_config, rules, **run_options).findings

        recorded = changes.base_findings(*base, paths, config, lint)
    except changes.ChangeError as exc:
        raise UsageProblem(str(exc)) from None
    return changes.new_since(recorded, result.findings, result.root)


def _stdin_or_paths(paths: Tuple[str, ...], stdin_filename: Optional[str]) -> Tuple[Tuple[str, ...], bool]:
    """The paths to lint, and whether the buffer comes from stdin.

    As in ruff, ``--stdin-filename`` means "read stdin" even without ``-``: an editor that
    passes the file name and pipes the buffer must not get the whole directory linted.
    """
    if stdin_filename is not None:
        others = [p for p in paths if p != "-"]
        if others:
            click.echo(f"fastapi-lint: warning: ignoring {' '.join(others)}: --stdin-filename reads "
                       "the buffer from stdin", err=True)
        return ("-",), True
    paths = paths or (".",)
    if "-" in paths and paths != ("-",):
        raise UsageProblem("'-' (stdin) cannot be combined with other paths")
    return paths, paths == ("-",)


def _validate_cli_codes(known: Sequence[str], **options: Sequence[str]) -> None:
    from fastapi_lint.registry import is_known_selector

    for option, values in options.items():
        for code in _split_codes(values):
            if not is_known_selector(code, known):
                flag = "--" + option.replace("_", "-")
                raise UsageProblem(f"{flag}: unknown rule code or prefix {code!r}{did_you_mean(code, known)}")


def _adoption_paths(config: Config, paths: Sequence[str], baseline_file: Optional[str],
                    write_baseline: Optional[str], reading_stdin: bool) -> Optional[str]:
    """The paths for the first-run hint, or None when the project already set the linter up."""
    if reading_stdin or baseline_file or write_baseline or config.baseline or has_own_table(config):
        return None
    # pre-commit passes every staged file: a hint with hundreds of paths would not be read
    return " ".join(paths) if len(paths) <= 3 else "."


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


def _add_noqa(result, reading_stdin: bool) -> None:
    """--add-noqa: silence today's findings in place (ruff's adoption path), then exit."""
    from fastapi_lint.add_noqa import add_noqa

    if reading_stdin:
        raise UsageProblem("--add-noqa writes files: it does not read stdin")
    for problem in result.usage_errors:
        _error(problem)
    done = add_noqa(result.findings, {f.path: os.path.abspath(f.path) for f in result.findings})
    for problem in (*result.errors, *done.errors):
        click.echo(f"fastapi-lint: {problem}", err=True)
    message = (f"fastapi-lint: added {done.added} noqa comment{'s' if done.added != 1 else ''} "
               f"to {done.files} file{'s' if done.files != 1 else ''}")
    if done.skipped:
        message += f"; {done.skipped} finding{'s' if done.skipped != 1 else ''} on lines that cannot take a comment"
    click.echo(message + ".", err=True)
    sys.exit(EXIT_ERROR if result.errors or result.usage_errors or done.errors else EXIT_CLEAN)


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


def _apply_cli_excludes(config: Config, exclude: Sequence[str], extend_exclude: Sequence[str]) -> Config:
    """--exclude replaces the exclude list (defaults included) and --extend-exclude adds, as in ruff."""
    changes = {}
    if exclude:
        changes["exclude"] = _split_patterns(exclude)
    if extend_exclude:
        changes["extend_exclude"] = tuple(config.extend_exclude) + _split_patterns(extend_exclude)
    return config.with_overrides(**changes) if changes else config


def _split_patterns(values: Sequence[str]) -> Tuple[str, ...]:
    return tuple(p.strip() for value in values for p in value.split(",") if p.strip())


def _show_settings(config: Config, paths: Sequence[str]) -> None:
    from fastapi_lint.discovery import discover
    from fastapi_lint.runner import project_files, project_versions
    from fastapi_lint.project.versions import TRACKED

    files = discover([p for p in paths if p != "-"] or ["."], config).files
    click.echo(f"project root: {config.root}")
    click.echo(f"config file: {config.config_file or '(none: defaults)'}")
    # the index reads the whole project whatever is linted
    click.echo(f"modules: {len(project_files(config, files))}")
    click.echo(f"fail on: {config.fail_on}")
    click.echo(f"minimum severity shown: {config.min_severity}")
    versions = project_versions(config)
    click.echo("versions:")
    for name in TRACKED:
        click.echo(f"  {name}: {versions.describe(name)}")
    for warning in versions.warnings:
        click.echo(f"fastapi-lint: warning: {warning}", err=True)


def _apply_cli_severities(config: Config, fail_on: Optional[str], min_severity: Optional[str]) -> Config:
    changes = {key: value for key, value in (("fail_on", fail_on), ("min_severity", min_severity)) if value}
    return config.with_overrides(**changes) if changes else config


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


def _serve(args: Sequence[str]) -> int:
    """``fastapi-lint server``: the language server, from the optional ``server`` extra."""
    try:
        from fastapi_lint import server
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        _error("the language server needs the `server` extra: pip install 'fastapi-lint[server]'")
        return EXIT_ERROR
    if os.path.exists("server"):
        click.echo("fastapi-lint: note: `server` starts the language server; "
                   "lint the directory with `fastapi-lint ./server`", err=True)
    return server.main(args)


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: every expected problem ends in one line on stderr, never a traceback."""
    args = list(argv) if argv is not None else sys.argv[1:]
    if args[:1] == ["server"]:
        return _serve(args[1:])
    command, prog = main, "fastapi-lint"
    if args[:1] == ["routes"]:  # a subcommand; a directory named so is linted as ./routes
        from fastapi_lint.routes_cli import routes

        command, prog, args = routes, "fastapi-lint routes", args[1:]
    try:
        command.main(args=args, prog_name=prog, standalone_mode=False)
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
        if not interrupted(exc):
            raise
        _error("interrupted")
        return 130
    return EXIT_CLEAN


def _silence_stdout() -> None:
    """After the reader of our output went away, let interpreter shutdown flush into nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def entry() -> None:
    sys.exit(run())

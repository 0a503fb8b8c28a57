"""A whole run: discover files, build the project index, lint every file, collect results."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from fastapi_lint.config import Config
from fastapi_lint.discovery import SourceFile, discover
from fastapi_lint.cache import ResultCache, digest
from fastapi_lint.engine import FileResult, LintSettings, Unreadable, decode_source, lint_file, read_source
from fastapi_lint.fingerprint import fact_digests
from fastapi_lint import noqa_check
from fastapi_lint.parallel import Task, lint_tasks
from fastapi_lint.project import ModuleSummary, ProjectIndex, module_name_for
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Finding, Rule
from fastapi_lint.summary_cache import SummaryCache


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # internal errors: exit status 2
    usage_errors: List[str] = field(default_factory=list)  # bad paths: exit status 2
    files_checked: int = 0
    rules: Tuple[Type[Rule], ...] = ()
    root: str = "."
    # what linted the files, so that --fix can re-lint them the same way
    settings: Optional[LintSettings] = None

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.errors.sort()


def build_project_index(files: Sequence[SourceFile], root: str, extra: Iterable[Tuple[str, str]] = ()) -> ProjectIndex:
    """The cross-module facts of the run, from a cheap text pass over every file."""

    def texts():
        for source in files:
            try:
                yield source.absolute, decode_source(read_source(source.absolute))
            except Unreadable:
                continue
        yield from extra

    return ProjectIndex.build(texts(), root)


ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class _FileLinter:
    """Lints one file and caches the result; picklable, handed once to each worker."""

    settings: LintSettings
    cache: Optional[ResultCache] = None

    def __call__(self, task: Task) -> FileResult:
        try:
            data = read_source(task.absolute)
        except Unreadable:
            return lint_file(task.display, task.absolute, self.settings)
        result = lint_file(task.display, task.absolute, self.settings, data=data)
        result.findings.extend(noqa_check.check(task.display, task.absolute, data, self.settings))
        if self.cache is not None and not result.errors:
            self.cache.store(task.absolute, digest(data), result.findings)
        return result


@dataclass(frozen=True)
class _Summarizer:
    """Summarizes one module for the project index; picklable, runs in the workers."""

    root: str
    # the run caches results: digest the module's facts here, in the worker (the cache key
    # needs them), not all of them in the main process
    fingerprints: bool = False

    def __call__(self, task: Task) -> Optional[ModuleSummary]:
        # importing the rules registers their collectors (a spawned worker starts bare)
        all_rules()
        try:
            text = decode_source(read_source(task.absolute))
        except Unreadable:
            return None
        summary = ProjectIndex(root=self.root).summarize(task.absolute, text)
        if self.fingerprints:
            fact_digests(summary)
        return summary


def _index_project(files: Sequence[SourceFile], root: str, hashed: bool,
                   summaries: Optional[SummaryCache] = None, jobs: int = 1,
                   ) -> Tuple[ProjectIndex, List[int], Dict[str, str], List[str]]:
    """The project index, each file's size and (for the cache) content digest, and the
    internal errors of summarizing.

    With ``summaries`` a file whose summary is cached is neither decoded nor parsed; the
    others are summarized in ``jobs`` worker processes when there are enough of them.
    """
    sizes: List[int] = []
    digests: Dict[str, str] = {}
    found: Dict[int, ModuleSummary] = {}
    todo: List[int] = []
    contents: Dict[int, str] = {}
    for number, source in enumerate(files):
        try:
            data = read_source(source.absolute)
        except Unreadable:
            sizes.append(0)
            continue
        sizes.append(len(data))
        content = digest(data) if hashed or summaries is not None else ""
        if hashed:
            digests[source.absolute] = content
        if summaries is not None:
            contents[number] = content
            cached = summaries.load(source.absolute, module_name_for(source.absolute, root)[0], content)
            if cached is not None:
                found[number] = cached
                continue
        todo.append(number)
    tasks = [Task(files[i].display, files[i].absolute) for i in todo]
    outcome = lint_tasks(tasks, [sizes[i] for i in todo], _Summarizer(root, fingerprints=hashed), jobs)
    for position, summary in outcome.results.items():
        if summary is None:
            continue
        number = todo[position]
        found[number] = summary
        if summaries is not None:
            summaries.store(files[number].absolute, contents[number], summary)
    index = ProjectIndex(root=root)
    for number in sorted(found):  # file order: a later file of a module replaces an earlier one
        index.insert(found[number], files[number].absolute)
    return index, sizes, digests, outcome.errors


def index_project(config: Config) -> ProjectIndex:
    """The project index of every file under ``config.root`` (the language server keeps it),
    with the summary cache a CLI run uses."""
    files = discover([config.root], config).files
    index, _, _, _ = _index_project(files, config.root, False, SummaryCache.for_run(config))
    return index


def run_paths(paths: Sequence[str], config: Config, rules: Sequence[Type[Rule]],
              progress: Optional[ProgressCallback] = None, *, jobs: int = 1,
              cache: bool = False, prefilter: bool = True) -> RunResult:
    """Lint ``paths``; ``jobs`` > 1 may use worker processes; ``cache`` reads and writes the
    result cache under ``config.cache_dir``; ``prefilter=False`` parses every file for
    every rule."""
    discovery = discover(paths, config)
    files = discovery.files
    # summaries are cached only when the run asks for a cache (never under --no-cache)
    summaries = SummaryCache.for_run(config) if cache else None
    project, sizes, digests, index_errors = _index_project(files, config.root, cache, summaries, jobs)
    settings = LintSettings(config, tuple(rules), project, prefilter)
    result = RunResult(usage_errors=list(discovery.errors), rules=tuple(rules), root=config.root,
                       settings=settings, errors=index_errors)
    store = ResultCache.for_run(config, rules, project) if cache else None
    todo: List[int] = []
    for number, source in enumerate(files):
        cached = None
        if store is not None and source.absolute in digests:
            cached = store.load(source.display, source.absolute, digests[source.absolute])
        if cached is None:
            todo.append(number)
        else:
            result.findings.extend(cached)
    total = len(files)
    done = total - len(todo)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    tasks = [Task(files[i].display, files[i].absolute) for i in todo]
    outcome = lint_tasks(tasks, [sizes[i] for i in todo], _FileLinter(settings, store), jobs, advance)
    for file_result in outcome.results.values():
        result.findings.extend(file_result.findings)
        result.errors.extend(file_result.errors)
    result.errors.extend(outcome.errors)
    result.files_checked = total
    result.sort()
    return result


def run_source(display: str, data: bytes, config: Config, rules: Sequence[Type[Rule]]) -> RunResult:
    """Lint one buffer (stdin): the file may not exist on disk under ``display``."""
    absolute = os.path.abspath(display)
    try:
        text = decode_source(data)
        extra = [(absolute, text)]
    except Unreadable:
        extra = []
    project = build_project_index([], config.root, extra)
    settings = LintSettings(config, tuple(rules), project)
    file_result = lint_file(display, absolute, settings, data=data)
    file_result.findings.extend(noqa_check.check(display, absolute, data, settings))
    result = RunResult(file_result.findings, file_result.errors, files_checked=1,
                       rules=tuple(rules), root=config.root, settings=settings)
    result.sort()
    return result

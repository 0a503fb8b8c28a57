"""A whole run: discover files, build the project index, lint every file, collect results."""
from __future__ import annotations

import functools
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Type

from fastapi_lint.config import Config
from fastapi_lint.discovery import SourceFile, discover
from fastapi_lint.discovery_cache import DiscoveryCache
from fastapi_lint.cache import ResultCache, digest
from fastapi_lint.engine import FileResult, LintSettings, Unreadable, decode_source, lint_file, read_source
from fastapi_lint.project.fingerprint import fact_digests
from fastapi_lint import noqa_check
from fastapi_lint.parallel import Task, lint_tasks, worker_count
from fastapi_lint.project.calls import CALL_GRAPH, call_graph
from fastapi_lint.project.served import SERVED, served_code
from fastapi_lint.project import ModuleSummary, ProjectIndex, module_name_for
from fastapi_lint.registry import all_rules
from fastapi_lint.rule import Finding, Rule
from fastapi_lint.project.summary_cache import (SnapshotDamaged, SnapshotEntry, SummaryCache, load_snapshot, now_ns,
                                                store_snapshot)
from fastapi_lint.project.table_cache import TableStore
from fastapi_lint.project.versions import DeclaredVersions, VersionsCache, read_versions


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


ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class _FileLinter:
    """Lints one file and caches the result; picklable, handed once to each worker."""

    settings: LintSettings
    cache: Optional[ResultCache] = None
    # the main process caches the results (in one pack): say what content was linted
    digests: bool = False

    def __call__(self, task: Task) -> FileResult:
        try:
            data = read_source(task.absolute)
        except Unreadable:
            return lint_file(task.display, task.absolute, self.settings)
        result = lint_file(task.display, task.absolute, self.settings, data=data)
        result.findings.extend(noqa_check.check(task.display, task.absolute, data, self.settings))
        if self.digests:
            result.content_digest = digest(data)
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
    # the summary cache: each entry is written here, in the worker, not serially by the main
    # process (a pickle, a signature and a file creation per module)
    summaries: Optional[SummaryCache] = None

    def __call__(self, task: Task) -> Optional[ModuleSummary]:
        # importing the rules registers their collectors (a spawned worker starts bare)
        all_rules()
        try:
            data = read_source(task.absolute)
            text = decode_source(data)
        except Unreadable:
            return None
        summary = ProjectIndex(root=self.root).summarize(task.absolute, text)
        if self.fingerprints:
            fact_digests(summary)
        if self.summaries is not None:
            self.summaries.store(task.absolute, digest(data), summary)
        return summary


def _index_project(files: Sequence[SourceFile], root: str, hashed: bool,
                   summaries: Optional[SummaryCache] = None, jobs: int = 1, freeze: bool = False,
                   later: Optional[List[Callable[[], None]]] = None,
                   ) -> Tuple[ProjectIndex, List[int], Dict[str, str], List[str]]:
    """The project index, each file's size and (for the cache) content digest, and the
    internal errors of summarizing.

    With ``summaries`` a file whose summary is cached is neither decoded nor parsed; the
    others are summarized in ``jobs`` worker processes when there are enough of them.
    With ``later``, writing the snapshot is appended there instead of done now.
    """
    with _collector_paused():
        try:
            indexed = _index_files(files, root, hashed, summaries, jobs, later)
        except SnapshotDamaged as exc:  # it is removed: the index is made again without it
            indexed = _index_files(files, root, hashed, summaries, jobs, later)
            indexed[3].insert(0, str(exc))
        if freeze:
            # the index (a million objects when read from the snapshot, made while the
            # collector was paused) lives until the run ends: out of the collector's sight
            # before it resumes, or its next pass walks all of it (0.4 s of a cold run of the
            # 12 projects, in the main process while the workers wait), and again as it ages
            gc.freeze()
        return indexed


# changed files a warm run checks one by one before it writes a new snapshot
_SNAPSHOT_SLACK = 16


def _many(changed: int, total: int) -> bool:
    """Too many changed files to cache one by one: the run rewrites one file for all."""
    return changed > max(_SNAPSHOT_SLACK, total // 50)


def _remember(fresh: Dict[str, SnapshotEntry], stats: Dict[int, os.stat_result], number: int,
              absolute: str, content: str, summary: ModuleSummary) -> None:
    """Put a summary read or made this run into the next snapshot, under the file's stat."""
    info = stats.get(number)
    if info is None:
        try:
            info = os.stat(absolute)
        except OSError:
            return
    fresh[absolute] = SnapshotEntry(info.st_mtime_ns, info.st_size, content, summary)


@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while the index is loaded: it allocates tens of
    thousands of long-lived objects and no garbage cycles, and the collector's passes over
    them cost twice the unpickling itself (0.56 s against 0.17 s of CPU on 3,340 cached
    summaries)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _index_files(files: Sequence[SourceFile], root: str, hashed: bool,
                 summaries: Optional[SummaryCache], jobs: int,
                 later: Optional[List[Callable[[], None]]] = None,
                 ) -> Tuple[ProjectIndex, List[int], Dict[str, str], List[str]]:
    sizes: List[int] = []
    digests: Dict[str, str] = {}
    found: Dict[int, ModuleSummary] = {}
    todo: List[int] = []
    contents: Dict[int, str] = {}
    started = now_ns()
    snapshot = load_snapshot(summaries) if summaries is not None else None
    fresh: Dict[str, SnapshotEntry] = {}  # the next snapshot
    stats: Dict[int, os.stat_result] = {}
    missed = 0
    for number, source in enumerate(files):
        if snapshot is not None:
            try:
                stats[number] = info = os.stat(source.absolute)
            except OSError:
                info = None
            entry = snapshot.unchanged(source.absolute, info) if info is not None else None
            # its module name is the one this root gives the path: the snapshot's salt names
            # the root and the code that names modules
            if entry is not None:
                sizes.append(entry.size)
                if hashed:
                    digests[source.absolute] = entry.content_digest
                found[number] = entry.summary
                fresh[source.absolute] = entry
                continue
        missed += 1
        module = module_name_for(source.absolute, root)[0] if summaries is not None else ""
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
            # a file touched but not changed (a checkout, a formatter that changed nothing)
            # keeps its summary from the snapshot; else from its own entry
            entry = snapshot.entries.get(source.absolute) if snapshot is not None else None
            if entry is not None and entry.content_digest == content and entry.summary.module == module:
                cached: Optional[ModuleSummary] = entry.summary
            else:
                cached = summaries.load(source.absolute, module, content)
            if cached is not None:
                found[number] = cached
                _remember(fresh, stats, number, source.absolute, content, cached)
                continue
        todo.append(number)
    # a few changed files are cheap to check one by one; rewriting the snapshot is not
    rewrite = summaries is not None and (snapshot is None or _many(missed, len(files)))
    tasks = [Task(files[i].display, files[i].absolute) for i in todo]
    # the new snapshot will hold every summary made now: no entry per file (creating them
    # cost a cold run about a millisecond a file on the benchmark machine)
    summarizer = _Summarizer(root, hashed, None if rewrite else summaries)
    outcome = lint_tasks(tasks, [sizes[i] for i in todo], summarizer, jobs)
    for position, summary in outcome.results.items():
        if summary is None:
            continue
        number = todo[position]
        found[number] = summary
        if summaries is not None:
            _remember(fresh, stats, number, files[number].absolute, contents[number], summary)
    index = ProjectIndex(root=root)
    for number in sorted(found):  # file order: a later file of a module replaces an earlier one
        index.insert(found[number], files[number].absolute)
    if snapshot is not None:
        index.adopt_fact_sums(snapshot.sums_for(index))
    if rewrite and summaries is not None:
        if later is None:
            store_snapshot(summaries, fresh, started, index)
        else:
            later.append(functools.partial(store_snapshot, summaries, fresh, started, index))
    return index, sizes, digests, outcome.errors


def run_paths(paths: Sequence[str], config: Config, rules: Sequence[Type[Rule]],
              progress: Optional[ProgressCallback] = None, *, jobs: int = 1,
              cache: bool = False, prefilter: bool = True) -> RunResult:
    """Lint ``paths``; ``jobs`` > 1 may use worker processes; ``cache`` reads and writes the
    result cache under ``config.cache_dir``; ``prefilter=False`` parses every file for
    every rule."""
    ours = gc.get_freeze_count() == 0  # never thaw what a caller froze
    try:
        return _run_paths(paths, config, rules, progress, jobs, cache, prefilter, freeze=ours)
    finally:
        if ours:
            gc.unfreeze()


def _run_paths(paths: Sequence[str], config: Config, rules: Sequence[Type[Rule]],
               progress: Optional[ProgressCallback], jobs: int, cache: bool, prefilter: bool,
               freeze: bool) -> RunResult:
    # the last walk of the root is replayed while what it read is unchanged (as summaries are)
    walks = DiscoveryCache.for_run(config) if cache else None
    discovery = discover(paths, config, walks)
    files = discovery.files
    # summaries are cached only when the run asks for a cache (never under --no-cache)
    summaries = SummaryCache.for_run(config) if cache else None
    # the index reads the whole project, whichever files are linted: pre-commit's file list
    # must see the helper module that makes a route block (RULES.md: facts are project-wide)
    indexed = files if _covers_root(paths, config.root) else project_files(config, files, walks)
    # cache writes that need not hold up the lint: done while the workers lint (the main
    # process waits then), or after it (the snapshot of a cold run of the 12 projects costs
    # 0.8 s of serial pickling)
    later: List[Callable[[], None]] = []
    project, all_sizes, digests, index_errors = _index_project(indexed, config.root, cache, summaries, jobs,
                                                               freeze=freeze, later=later)
    size_of = {source.absolute: size for source, size in zip(indexed, all_sizes)}
    sizes = [size_of[source.absolute] for source in files]
    versions = project_versions(config, cache)
    settings = LintSettings(config, tuple(rules), project, prefilter, versions)
    result = RunResult(usage_errors=list(discovery.errors), rules=tuple(rules), root=config.root,
                       settings=settings, errors=index_errors)
    store = ResultCache.for_run(config, rules, project, versions.fingerprint(), digests) if cache else None
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
    in_pool = worker_count(jobs, len(tasks)) > 1
    tables = TableStore.load(summaries, config.fingerprint() + versions.fingerprint()) if summaries is not None else None
    if tables is not None:
        tables.attach(project, writable=not in_pool)
    if in_pool:
        _share_tables(project, config, rules)
    # many files linted afresh: one pack of every file's entry, as the summaries' snapshot;
    # a few: an entry each, written by the workers
    pack = store is not None and _many(len(todo), len(files))
    linter = _FileLinter(settings, None if pack else store, digests=pack)
    outcome = lint_tasks(tasks, [sizes[i] for i in todo], linter, jobs, advance,
                         while_waiting=functools.partial(_run_all, later))
    _run_all(later)  # when there was no pool to wait for
    if tables is not None:
        tables.save()
    for file_result in outcome.results.values():
        result.findings.extend(file_result.findings)
        result.errors.extend(file_result.errors)
    result.errors.extend(outcome.errors)
    if pack and store is not None:
        _store_pack(store, files, todo, outcome.results, result.findings, digests)
    result.files_checked = total
    result.sort()
    return result


def _run_all(actions: List[Callable[[], None]]) -> None:
    """Run and forget each of ``actions`` (each once, whoever calls first)."""
    while actions:
        actions.pop(0)()


def _store_pack(store: ResultCache, files: Sequence[SourceFile], todo: List[int], fresh: Dict[int, FileResult],
                findings: List[Finding], digests: Dict[str, str]) -> None:
    """One pack of the entries of every file linted or read from the cache this run."""
    linted = {files[todo[position]].absolute: file_result for position, file_result in fresh.items()}
    by_path: Dict[str, List[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    entries: Dict[str, Dict[str, object]] = {}
    for source in files:
        file_result = linted.get(source.absolute)
        if file_result is not None:
            if file_result.errors or file_result.content_digest is None:
                continue  # as the workers do: a crashed rule's file is linted again
            content = file_result.content_digest
        else:
            content = digests.get(source.absolute)
            if content is None:
                continue
        entry = store.entry(source.absolute, content, by_path.get(source.display, ()))
        if entry is not None:
            entries[source.absolute] = entry
    store.store_pack(entries)


def _share_tables(project: ProjectIndex, config: Config, rules: Sequence[Type[Rule]]) -> None:
    """Build, before the workers fork, the project-wide tables most rules ask for: each
    worker inherits them instead of building its own (the served code and the call graph:
    about 0.4 s of CPU per extra worker on the benchmark corpus)."""
    facts = {fact for rule in rules for fact in rule.PROJECT_FACTS}
    if SERVED in facts:
        served_code(project, config.test_paths, config.script_paths)
    if CALL_GRAPH in facts:
        call_graph(project)


def project_versions(config: Config, cache: bool = False) -> DeclaredVersions:
    """The dependency versions the project at ``config.root`` declares, with the overrides;
    with ``cache``, read from the cache while the files they come from are unchanged."""
    return read_versions(config.root, dict(config.target_versions),
                         VersionsCache.for_run(config) if cache else None)


def _covers_root(paths: Sequence[str], root: str) -> bool:
    root = os.path.abspath(root)
    return any(os.path.abspath(path) == root for path in paths)


def project_files(config: Config, linted: Sequence[SourceFile] = (),
                  walks: Optional[DiscoveryCache] = None) -> List[SourceFile]:
    """The files the project index reads: every file of the project (discovered from its
    root, minus its excludes), then those of ``linted`` that are not among them (outside the
    root, or excluded but named on the command line)."""
    everything = discover([config.root], config, walks).files
    known = {source.absolute for source in everything}
    return everything + [source for source in linted if source.absolute not in known]


@dataclass(frozen=True)
class ProjectBase:
    """The index of the project's files as they are on disk, and each file's content digest:
    what a buffer is linted against (``run_source``); a long run of buffers (the flake8
    plugin) builds it once."""

    index: ProjectIndex
    digests: Dict[str, str]
    versions: DeclaredVersions
    errors: Tuple[str, ...] = ()


def project_base(config: Config, cache: bool = True) -> ProjectBase:
    summaries = SummaryCache.for_run(config) if cache else None
    walks = DiscoveryCache.for_run(config) if cache else None
    index, _, digests, errors = _index_project(project_files(config, (), walks), config.root, True, summaries)
    return ProjectBase(index, digests, project_versions(config, cache), tuple(errors))


def _buffer_index(base: ProjectBase, absolute: str, data: bytes) -> ProjectIndex:
    """``base``'s index with the file at ``absolute`` summarized from ``data`` instead."""
    if base.digests.get(absolute) == digest(data):
        return base.index  # the buffer is the file on disk (flake8 reads it from there)
    try:
        summary: Optional[ModuleSummary] = base.index.summarize(absolute, decode_source(data))
    except Unreadable:
        summary = None
    old = base.index.summary_for(absolute)
    if old is not None and summary is not None and old.facts() == summary.facts() and old.parses == summary.parses:
        # an edit inside a function body: the tables built from the facts stand (and where
        # things are, when lines moved, is the buffer's)
        return base.index if old.sites == summary.sites else base.index.with_sites(absolute, summary)
    return base.index.with_file(absolute, summary)


def run_source(display: str, data: bytes, config: Config, rules: Sequence[Type[Rule]], *,
               cache: bool = True, base: Optional[ProjectBase] = None) -> RunResult:
    """Lint one buffer (stdin, an editor, the flake8 plugin): the file may not exist on disk
    under ``display``. The index is the whole project's, with this buffer in place of the
    file on disk: the findings are those of a run on the whole project, restricted to it."""
    absolute = os.path.abspath(display)
    base = base if base is not None else project_base(config, cache)
    project = _buffer_index(base, absolute, data)
    settings = LintSettings(config, tuple(rules), project, versions=base.versions)
    file_result = lint_file(display, absolute, settings, data=data)
    file_result.findings.extend(noqa_check.check(display, absolute, data, settings))
    result = RunResult(file_result.findings, list(base.errors) + file_result.errors, files_checked=1,
                       rules=tuple(rules), root=config.root, settings=settings)
    result.sort()
    return result

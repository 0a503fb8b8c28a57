"""A whole run: discover files, build the project index, lint every file, collect results."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Type

from fastapi_lint.config import Config
from fastapi_lint.discovery import SourceFile, discover
from fastapi_lint.engine import LintSettings, Unreadable, decode_source, lint_file, read_source
from fastapi_lint.project import ProjectIndex
from fastapi_lint.rule import Finding, Rule


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


def run_paths(paths: Sequence[str], config: Config, rules: Sequence[Type[Rule]],
              progress: Optional[ProgressCallback] = None) -> RunResult:
    discovery = discover(paths, config)
    project = build_project_index(discovery.files, config.root)
    settings = LintSettings(config, tuple(rules), project)
    result = RunResult(usage_errors=list(discovery.errors), rules=tuple(rules), root=config.root,
                       settings=settings)
    total = len(discovery.files)
    for number, source in enumerate(discovery.files, 1):
        file_result = lint_file(source.display, source.absolute, settings)
        result.findings.extend(file_result.findings)
        result.errors.extend(file_result.errors)
        if progress is not None:
            progress(number, total)
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
    result = RunResult(file_result.findings, file_result.errors, files_checked=1,
                       rules=tuple(rules), root=config.root, settings=settings)
    result.sort()
    return result

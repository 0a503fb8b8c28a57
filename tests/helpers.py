"""Shared test helpers: lint in-process and read inline fixture expectations."""
from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence, Set, Tuple

from fastapi_lint.config import Config
from fastapi_lint.registry import all_rules, select_rules
from fastapi_lint.runner import RunResult, run_paths, run_source

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "fixtures")
SHARED = os.path.join(os.path.dirname(REPO), "shared")
_EXPECT = re.compile(r"\b(FAPI\d{3}):(\d+)\b")


def rules_for(codes: Sequence[str], preview: bool = True):
    return select_rules(all_rules(), tuple(codes), (), (), preview)


def lint_paths(paths: Sequence[str], codes: Sequence[str] = ("FAPI",), root: Optional[str] = None,
               preview: bool = True, **config) -> RunResult:
    root = root or (paths[0] if os.path.isdir(paths[0]) else os.path.dirname(paths[0]))
    cfg = Config(root=os.path.abspath(root), preview=preview, select=tuple(codes), **config)
    return run_paths(paths, cfg, rules_for(codes, preview))


def lint_text(text: str, codes: Sequence[str] = ("FAPI",), filename: str = "app/main.py",
              root: str = "/tmp/fapi-project", preview: bool = True, **config) -> RunResult:
    cfg = Config(root=root, preview=preview, select=tuple(codes), **config)
    return run_source(os.path.join(root, filename), text.encode("utf-8"), cfg, rules_for(codes, preview))


def found(result: RunResult, code: Optional[str] = None) -> Set[Tuple[int, int, str]]:
    return {(f.line, f.column, f.code) for f in result.findings if code is None or f.code == code}


def expectations(path: str, code: str) -> Set[Tuple[int, int, str]]:
    """``# FAPI101:5`` comments: a finding of that code expected at that line, column 5."""
    with open(path, "rb") as handle:
        text = handle.read().decode("latin-1")
    expected = set()
    for number, line in enumerate(text.splitlines(), 1):
        hash_at = line.find("#")
        if hash_at < 0:
            continue
        for match in _EXPECT.finditer(line[hash_at:]):
            if match.group(1) == code:
                expected.add((number, int(match.group(2)), code))
    return expected


def fixture_cases() -> List[Tuple[str, str]]:
    """(code, path) for fixtures/FAPI123.py files and fixtures/FAPI123/ project directories."""
    cases = []
    for name in sorted(os.listdir(FIXTURES)):
        match = re.match(r"^(FAPI\d{3})(?:_[\w-]+)?(\.py)?$", name)
        if match:
            cases.append((match.group(1), os.path.join(FIXTURES, name)))
    return cases

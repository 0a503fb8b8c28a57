"""Baselines: record today's findings once, then report only the new ones.

A finding's identity is its content, not its position: the rule code, the file path relative
to the project root (forward slashes, whatever the OS that wrote the baseline), the offending
source line with its whitespace normalized, and the occurrence index among findings that
share those three. Adding or removing lines elsewhere, or renaming names on other lines,
keeps a known finding hidden; a second copy of the same offending line is a new finding.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from fastapi_lint.rule import Finding

VERSION = 1
Key = Tuple[str, str, str, int]


class BaselineError(Exception):
    """An unreadable or malformed baseline file (one line, exit status 2)."""


def normalize_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def normalize_text(line: str) -> str:
    return " ".join(line.split())


def project_path(finding: Finding, root: str) -> str:
    absolute = os.path.abspath(finding.path)
    return normalize_path(os.path.relpath(absolute, os.path.abspath(root)))


def keys(findings: Iterable[Finding], root: str) -> List[Tuple[Key, Finding]]:
    """Each finding with its identity; occurrences are counted in file order."""
    seen: Counter = Counter()
    out = []
    for finding in sorted(findings, key=Finding.sort_key):
        base = (finding.code, project_path(finding, root), normalize_text(finding.source_line))
        out.append(((*base, seen[base]), finding))
        seen[base] += 1
    return out


def write(path: str, findings: Sequence[Finding], root: str) -> int:
    """Write the baseline of ``findings``; returns the number of entries."""
    entries = [
        {"code": key[0], "path": key[1], "text": key[2], "occurrence": key[3],
         "line": finding.line, "message": finding.message}
        for key, finding in keys(findings, root)
    ]
    payload = {"version": VERSION, "tool": "fastapi-lint", "entries": entries}
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            json.dump(payload, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def read(path: str) -> Counter:
    """The baseline's identities (a multiset: a key may be recorded more than once)."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            payload = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or payload.get("version") != VERSION or not isinstance(payload.get("entries"), list):
        raise BaselineError(f"baseline {path} is not a fastapi-lint baseline (version {VERSION})")
    recorded: Counter = Counter()
    for entry in payload["entries"]:
        try:
            key = (str(entry["code"]), normalize_path(str(entry["path"])),
                   normalize_text(str(entry["text"])), int(entry["occurrence"]))
        except (TypeError, KeyError, ValueError):
            raise BaselineError(f"baseline {path} has a malformed entry: {json.dumps(entry)[:80]}") from None
        recorded[key] += 1
    return recorded


@dataclass(frozen=True)
class Filtered:
    findings: List[Finding]  # the new findings, to report
    hidden: int  # findings the baseline knows
    stale: int  # baseline entries that matched nothing in the checked files


def apply(recorded: Counter, findings: Sequence[Finding], root: str, scope: Sequence[str]) -> Filtered:
    """Hide the recorded findings. ``scope``: the linted paths, so that entries of files that
    were not linted this time do not count as stale."""
    left = Counter(recorded)
    shown: List[Finding] = []
    hidden = 0
    for key, finding in keys(findings, root):
        if left[key] > 0:
            left[key] -= 1
            hidden += 1
        else:
            shown.append(finding)
    stale = sum(count for key, count in left.items() if count > 0 and _in_scope(key[1], root, scope))
    return Filtered(shown, hidden, stale)


def _in_scope(rel: str, root: str, scope: Sequence[str]) -> bool:
    absolute = os.path.normpath(os.path.join(os.path.abspath(root), *rel.split("/")))
    for given in scope:
        top = os.path.abspath(given)
        if absolute == top or absolute.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def resolve_path(cli_value: Optional[str], config_value: Optional[str], root: str) -> Optional[str]:
    """``--baseline`` is relative to the working directory, ``baseline =`` to the project root."""
    if cli_value:
        return cli_value
    if config_value:
        return os.path.join(root, config_value)
    return None


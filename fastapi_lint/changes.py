"""What a change introduced: ``--new-from-rev`` and ``--new-from-patch`` (golangci-lint's names).

``--new-from-rev REF`` compares findings, not lines. The version at the merge-base of HEAD
and REF is extracted (its Python files, from git's object store) into a temporary tree, linted from the same relative
root with the same configuration, and a finding of the working tree is new when its
content-based identity (the baseline's: code, path, normalized line text, rank among
identical ones) is absent there. Lines moving do not make old findings new, and a helper
edit that makes an unchanged route block (FAPI106) does. The working tree is compared as it
is, uncommitted and untracked files included, as golangci-lint does: that is what a
pre-commit hook or a pull-request job wants.

``--new-from-patch FILE`` is line-based, for CI systems without history: a finding is new
when its line is an added line of the unified diff.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from fastapi_lint import baseline
from fastapi_lint.cache import cache_root
from fastapi_lint.config import Config
from fastapi_lint.rule import Finding

LINTED_FILES = (".py", ".pyi", ".gitignore")
SHALLOW_HINT = "fetch the history (actions/checkout with fetch-depth: 0)"
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class ChangeError(Exception):
    """A problem with the revision or the patch: one line, exit status 2."""


def _git(cwd: str, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, errors="surrogateescape")
    except OSError as exc:
        raise ChangeError(f"--new-from-rev needs git: {exc.strerror or exc}") from None


def repository_top(start: str) -> str:
    directory = start if os.path.isdir(start) else os.path.dirname(os.path.abspath(start))
    done = _git(directory, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise ChangeError(f"--new-from-rev: not a git repository: {os.path.abspath(directory)}")
    return os.path.normpath(done.stdout.strip())


def _shallow(top: str) -> bool:
    return _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def merge_base(top: str, ref: str) -> str:
    """The commit of the merge-base of HEAD and ``ref``."""
    found = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        hint = f" in this shallow clone; {SHALLOW_HINT}" if _shallow(top) else ""
        raise ChangeError(f"--new-from-rev: unknown revision {ref!r}{hint}")
    base = _git(top, "merge-base", "HEAD", found.stdout.strip())
    if base.returncode != 0:
        if _shallow(top):
            raise ChangeError(f"--new-from-rev: no merge-base of HEAD and {ref!r} in this shallow clone; {SHALLOW_HINT}")
        raise ChangeError(f"--new-from-rev: HEAD and {ref!r} have no common history")
    return base.stdout.strip()


def _temporary_directory(top: str) -> str:
    """The same path for each run on a repository, so that the cache keys of the base run
    (which hold absolute paths) match the previous run's; another one if it is in use."""
    stable = os.path.join(tempfile.gettempdir(), "fastapi-lint-base-" + hashlib.sha1(top.encode()).hexdigest()[:16])
    try:
        os.mkdir(stable, 0o700)
        return stable
    except OSError:
        return tempfile.mkdtemp(prefix="fastapi-lint-base-")


@contextmanager
def checkout(top: str, commit: str) -> Iterator[str]:
    """The files of ``commit`` in a temporary directory, removed afterwards whatever happens.
    Read from git's object store, so nothing is written in the repository (no worktree to
    prune after a crash)."""
    directory = _temporary_directory(top)
    try:
        _extract(top, commit, directory)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _extract(top: str, commit: str, directory: str) -> None:
    """Write the files a lint reads of ``commit`` under ``directory``: Python sources and the
    .gitignore files discovery honours (the configuration is the working tree's). Only their
    blobs are read (``git cat-file --batch``), not a whole archive with its binaries; regular
    files only, since a link could point out of the tree."""
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listing.returncode != 0:
        raise ChangeError(f"--new-from-rev: cannot list {commit[:12]}: {_last_line(listing.stderr)}")
    wanted = []
    for entry in listing.stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[0] in ("100644", "100755") and path.endswith(LINTED_FILES):
            wanted.append((fields[2], path))
    if not wanted:
        return
    try:
        done = subprocess.run(["git", "cat-file", "--batch"], cwd=top, capture_output=True,
                              input="".join(f"{sha}\n" for sha, _ in wanted).encode())
    except OSError as exc:
        raise ChangeError(f"--new-from-rev needs git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise ChangeError(f"--new-from-rev: cannot read {commit[:12]}: {_last_line(done.stderr.decode(errors='replace'))}")
    _write_blobs(done.stdout, wanted, directory)


def _write_blobs(batch: bytes, wanted: Sequence[Tuple[str, str]], directory: str) -> None:
    """``git cat-file --batch`` output: ``<sha> blob <size>\\n<content>\\n`` per object."""
    at = 0
    for sha, path in wanted:
        header_end = batch.index(b"\n", at)
        header = batch[at:header_end].split()
        at = header_end + 1
        if len(header) != 3:  # "<sha> missing": an object a partial clone lacks
            raise ChangeError(f"--new-from-rev: git cannot read {path} at the merge-base")
        size = int(header[2])
        target = os.path.normpath(os.path.join(directory, *path.split("/")))
        if not target.startswith(directory + os.sep):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(batch[at:at + size])
        at += size + 1


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "git failed"


def _inside(top: str, path: str) -> str:
    # git prints the top with symbolic links resolved: a path through a link must be too
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise ChangeError(f"--new-from-rev: {path} is outside the git repository {top}")
    return rel


LintRun = Callable[[Sequence[str], Config], List[Finding]]


def resolve(ref: str, paths: Sequence[str]) -> Tuple[str, str]:
    """The repository's top and the merge-base commit: checked before anything is linted."""
    top = repository_top(paths[0] if paths else ".")
    return top, merge_base(top, ref)


def base_findings(top: str, commit: str, paths: Sequence[str], config: Config, lint: LintRun) -> "Counter":
    """The identities of the findings at ``commit``, linted by ``lint`` with ``config`` moved
    to the same place in the base tree."""
    root_rel = _inside(top, config.root)
    cache_dir = cache_root(config)
    with checkout(top, commit) as tree:
        root = os.path.normpath(os.path.join(tree, root_rel))
        # a path the change created has no base: everything in it is new
        base_paths = [p for p in (os.path.join(tree, _inside(top, path)) for path in paths) if os.path.exists(p)]
        findings = lint(base_paths, config.with_overrides(root=root, cache_dir=os.path.abspath(cache_dir))) \
            if base_paths else []
        return Counter(key for key, _ in baseline.keys(findings, root))


def new_since(recorded: "Counter", findings: Sequence[Finding], root: str) -> List[Finding]:
    """The findings whose identity ``recorded`` (the base's) lacks, each copy counted."""
    return baseline.apply(recorded, findings, root, ()).findings


# -- --new-from-patch -------------------------------------------------------------------------
def _diff_path(header: str) -> Optional[str]:
    path = header.split("\t")[0].strip()
    if path == "/dev/null":
        return None
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    return path[2:] if path.startswith("b/") else path


def added_lines(diff: str) -> Dict[str, Set[int]]:
    """The added lines of each file of a unified diff (paths without git's ``b/``)."""
    added: Dict[str, Set[int]] = {}
    path: Optional[str] = None
    line = old_left = new_left = 0
    for text in diff.splitlines():
        if old_left > 0 or new_left > 0:
            if text.startswith("+"):
                if path is not None:
                    added.setdefault(path, set()).add(line)
                line, new_left = line + 1, new_left - 1
            elif text.startswith("-"):
                old_left -= 1
            elif not text.startswith("\\"):  # "\ No newline at end of file"
                line, old_left, new_left = line + 1, old_left - 1, new_left - 1
            continue
        if text.startswith("+++ "):
            path = _diff_path(text[4:])
        else:
            hunk = _HUNK.match(text)
            if hunk:
                old_left = int(hunk.group(1) if hunk.group(1) is not None else 1)
                line = int(hunk.group(2))
                new_left = int(hunk.group(3) if hunk.group(3) is not None else 1)
    return added


def read_patch(path: str) -> Dict[str, Set[int]]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return added_lines(handle.read())
    except OSError as exc:
        raise ChangeError(f"--new-from-patch: cannot read {path}: {exc.strerror or exc}") from None


def patch_base(start: str) -> str:
    """Where the diff's paths start: the top of the git repository (git diff's paths), else
    the working directory."""
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True) \
        if shutil.which("git") else None
    return os.path.normpath(done.stdout.strip()) if done is not None and done.returncode == 0 else os.getcwd()


def on_added_lines(findings: Sequence[Finding], added: Dict[str, Set[int]], base: str) -> List[Finding]:
    kept = []
    for finding in findings:
        rel = os.path.relpath(os.path.abspath(finding.path), base).replace(os.sep, "/")
        if finding.line in added.get(rel, ()):
            kept.append(finding)
    return kept

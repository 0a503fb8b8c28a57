"""Which files to lint: walk the given paths, honour excludes and .gitignore."""
from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import pathspec

from fastapi_lint.config import DEFAULT_EXCLUDE, Config

PYTHON_SUFFIXES = (".py", ".pyi")
# Default excludes naming build outputs. A directory of that name inside a package (or one
# that is a package) is source, not output -- `app/server/features/build/` is linted; ruff
# dropped `build` from its defaults for that reason. Outputs (`build/lib/...` next to
# setup.py, `dist/`) sit outside any package, and .gitignore usually names them too.
_BUILD_OUTPUTS = frozenset({"build", "dist"})


@dataclass(frozen=True)
class SourceFile:
    display: str  # the path shown in output (as given / relative to the working directory)
    absolute: str


@dataclass
class Discovery:
    files: List[SourceFile]
    errors: List[str]  # one-line problems with the given paths (missing, unreadable dirs...)


def _matches_exclude(rel_posix: str, name: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatch(rel_posix, pattern) or fnmatch.fnmatch(rel_posix, pattern + "/*"):
                return True
        elif fnmatch.fnmatch(name, pattern):
            return True
    return False


class _GitIgnores:
    """``.gitignore`` files met while walking, each applying to its own directory and below."""

    def __init__(self) -> None:
        self._specs: Dict[str, Optional[pathspec.GitIgnoreSpec]] = {}

    def _spec(self, directory: str) -> Optional[pathspec.GitIgnoreSpec]:
        if directory not in self._specs:
            spec = None
            path = os.path.join(directory, ".gitignore")
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    spec = pathspec.GitIgnoreSpec.from_lines(handle)
            except OSError:
                pass
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: str, is_dir: bool, stop_at: str) -> bool:
        directory = os.path.dirname(path)
        while True:
            spec = self._spec(directory)
            if spec is not None:
                rel = os.path.relpath(path, directory).replace(os.sep, "/")
                if spec.match_file(rel + ("/" if is_dir else "")):
                    return True
            if directory == stop_at or os.path.dirname(directory) == directory:
                return False
            if os.path.isdir(os.path.join(directory, ".git")):
                return False
            directory = os.path.dirname(directory)


def _is_in_package(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(d, "__init__.py")) for d in (directory, os.path.dirname(directory)))


def discover(paths: Sequence[str], config: Config) -> Discovery:
    # the defaults yield to source; patterns the user wrote are exact
    defaults = tuple(config.exclude) if tuple(config.exclude) == DEFAULT_EXCLUDE else ()
    excludes = tuple(config.extend_exclude) + (() if defaults else tuple(config.exclude))
    gitignores = _GitIgnores() if config.respect_gitignore else None
    root = os.path.abspath(config.root)
    files: List[SourceFile] = []
    errors: List[str] = []
    seen = set()

    def excluded(absolute: str, is_dir: bool) -> bool:
        rel = os.path.relpath(absolute, root).replace(os.sep, "/")
        name = os.path.basename(absolute)
        if _matches_exclude(rel, name, excludes):
            return True
        if _matches_exclude(rel, name, defaults) and not (
            is_dir and name in _BUILD_OUTPUTS and _is_in_package(absolute)
        ):
            return True
        return gitignores is not None and gitignores.ignored(absolute, is_dir, root)

    def add(display: str, absolute: str) -> None:
        key = os.path.realpath(absolute)
        if key not in seen:
            seen.add(key)
            files.append(SourceFile(os.path.normpath(display), absolute))

    for given in paths:
        absolute = os.path.abspath(given)
        try:
            mode = os.stat(absolute).st_mode
        except FileNotFoundError:
            errors.append(f"{given}: no such file or directory")
            continue
        except OSError as exc:
            errors.append(f"{given}: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(mode):
            for display, file_abs in _walk(given, absolute, excluded, errors):
                add(display, file_abs)
        else:
            if config.force_exclude and excluded(absolute, False):
                continue
            add(given, absolute)
    files.sort(key=lambda f: f.display)
    return Discovery(files, errors)


def _walk(given: str, top: str, excluded, errors: List[str]) -> Iterator[Tuple[str, str]]:
    visited = set()

    def onerror(exc: OSError) -> None:
        errors.append(f"{exc.filename}: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:  # a symlink loop
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(
            d for d in dirnames if not excluded(os.path.join(dirpath, d), True)
        )
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES):
                continue
            absolute = os.path.join(dirpath, name)
            if excluded(absolute, False):
                continue
            if not os.path.isfile(absolute) and not os.path.islink(absolute):
                continue  # FIFOs and sockets named *.py are not source files
            display = os.path.join(given, os.path.relpath(absolute, top))
            yield display, absolute

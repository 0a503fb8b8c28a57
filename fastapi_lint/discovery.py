"""Which files to lint: walk the given paths, honour excludes and .gitignore."""
from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from fastapi_lint.config import DEFAULT_EXCLUDE, Config
from fastapi_lint.discovery_cache import DiscoveryCache, Watch

if TYPE_CHECKING:  # imported by the first walk that reads a .gitignore: a replayed walk reads none
    import pathspec

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


class _Patterns:
    """Exclude globs compiled once: bare names match any path component's name, patterns
    with a ``/`` match the path relative to the root (and everything below it)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        names, paths = [], []
        for pattern in patterns:
            pattern = os.path.normcase(pattern.rstrip("/"))
            if "/" in pattern:
                paths += [fnmatch.translate(pattern), fnmatch.translate(pattern + "/*")]
            else:
                names.append(fnmatch.translate(pattern))
        self._names = re.compile("|".join(names)).match if names else None
        self._paths = re.compile("|".join(paths)).match if paths else None

    def match(self, rel_posix: str, name: str) -> bool:
        if self._names is not None and self._names(os.path.normcase(name)):
            return True
        return self._paths is not None and self._paths(os.path.normcase(rel_posix)) is not None


def _matcher(spec: pathspec.GitIgnoreSpec) -> Callable[[str], bool]:
    """Whether a path matches ``spec``. Without negated patterns that is "any pattern
    matches", one search of their union instead of one per pattern (most of a walk's time)."""
    patterns = [p for p in spec.patterns if p.include is not None and p.regex is not None]
    if not patterns:
        return lambda rel: False
    flags = {p.regex.flags for p in patterns}
    if len(flags) != 1:
        return spec.match_file
    # the directory marker group is named in each pattern: only the match matters here
    union = "|".join(f"(?:{p.regex.pattern.replace('(?P<ps_d>', '(?:')})" for p in patterns)
    try:
        search = re.compile(union, flags.pop()).search
    except re.error:
        return spec.match_file
    if all(p.include for p in patterns):
        return lambda rel: search(rel) is not None
    # with negations the last matching pattern decides; most paths match none at all
    return lambda rel: search(rel) is not None and spec.match_file(rel)


class _GitIgnores:
    """``.gitignore`` files met while walking, each applying to its own directory and below
    (up to the root, or to the top of the git repository the directory is in)."""

    def __init__(self, stop_at: str, watch: Optional[Watch] = None) -> None:
        self._stop_at = stop_at
        self._watch = watch  # records each .gitignore read, for the discovery cache
        # directory -> the (directory, spec) pairs that apply to its entries, nearest first
        self._chains: Dict[str, Tuple[Tuple[str, Callable[[str], bool]], ...]] = {}

    def _spec(self, directory: str) -> Optional[Callable[[str], bool]]:
        import pathspec

        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                if self._watch is not None:
                    self._watch.add(path, os.fstat(handle.fileno()))
                return _matcher(pathspec.GitIgnoreSpec.from_lines(handle))
        except OSError:
            return None

    def _chain(self, directory: str) -> Tuple[Tuple[str, Callable[[str], bool]], ...]:
        chain = self._chains.get(directory)
        if chain is None:
            spec = self._spec(directory)
            chain = ((directory, spec),) if spec is not None else ()
            parent = os.path.dirname(directory)
            if directory != self._stop_at and parent != directory \
                    and not os.path.isdir(os.path.join(directory, ".git")):
                chain += self._chain(parent)
            self._chains[directory] = chain
        return chain

    def ignored(self, path: str, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        for directory, matches in self._chain(os.path.dirname(path)):
            rel = path[len(directory.rstrip(os.sep)) + 1:].replace(os.sep, "/")
            if matches(rel + suffix):
                return True
        return False


def _is_in_package(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(d, "__init__.py")) for d in (directory, os.path.dirname(directory)))


def discover(paths: Sequence[str], config: Config, cache: Optional[DiscoveryCache] = None) -> Discovery:
    """The files to lint under ``paths``. With ``cache``, a walk of the root alone is replayed
    from the last one while every directory and ``.gitignore`` it read is unchanged."""
    if cache is not None and len(paths) == 1 and os.path.abspath(paths[0]) == os.path.abspath(config.root) \
            and os.path.isdir(paths[0]):
        replayed = cache.load(config, paths[0])
        if replayed is not None:
            return Discovery([SourceFile(display, absolute) for display, absolute in replayed], [])
        watch = Watch()
        found = _discover(paths, config, watch)
        if not found.errors:
            cache.store(config, paths[0], watch, [(f.display, f.absolute) for f in found.files])
        return found
    return _discover(paths, config)


def _discover(paths: Sequence[str], config: Config, watch: Optional[Watch] = None) -> Discovery:
    # the defaults yield to source; patterns the user wrote are exact
    defaults = tuple(config.exclude) if tuple(config.exclude) == DEFAULT_EXCLUDE else ()
    excludes = _Patterns(tuple(config.extend_exclude) + (() if defaults else tuple(config.exclude)))
    default_excludes = _Patterns(defaults)
    root = os.path.abspath(config.root)
    gitignores = _GitIgnores(root, watch) if config.respect_gitignore else None
    files: List[SourceFile] = []
    errors: List[str] = []
    seen = set()

    inside = root.rstrip(os.sep) + os.sep

    def excluded(absolute: str, is_dir: bool) -> bool:
        # relpath is the slow part of a walk: paths under the root only need their prefix cut
        rel = absolute[len(inside):] if absolute.startswith(inside) else os.path.relpath(absolute, root)
        rel = rel.replace(os.sep, "/")
        name = os.path.basename(absolute)
        if excludes.match(rel, name):
            return True
        if default_excludes.match(rel, name):
            if not (is_dir and name in _BUILD_OUTPUTS):
                return True
            if watch is not None:  # an __init__.py created in it makes it source
                watch.add(absolute)
            if not _is_in_package(absolute):
                return True
        return gitignores is not None and gitignores.ignored(absolute, is_dir)

    def add(display: str, absolute: str, key: Optional[str] = None) -> None:
        key = key or os.path.realpath(absolute)
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
            for display, file_abs, real in _walk(given, absolute, excluded, errors, watch):
                add(display, file_abs, real)
        else:
            if config.force_exclude and excluded(absolute, False):
                continue
            add(given, absolute)
    files.sort(key=lambda f: f.display)
    return Discovery(files, errors)


def _walk(given: str, top: str, excluded, errors: List[str],
          watch: Optional[Watch] = None) -> Iterator[Tuple[str, str, str]]:
    """(display, absolute, real path) of the Python files under ``top``, directories top-down
    in name order; symlinked directories are followed once (a loop ends there). ``watch``
    records each directory's stat, taken before it is listed."""
    visited = set()
    top_prefix = top.rstrip(os.sep) + os.sep

    def walk(directory: str) -> Iterator[Tuple[str, str, str]]:
        real = os.path.realpath(directory)
        if real in visited:  # a symlink loop
            return
        visited.add(real)
        if watch is not None:
            watch.add(directory)
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(f"{exc.filename}: {exc.strerror or exc}")
            return
        subdirectories = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not excluded(entry.path, True):
                    subdirectories.append(entry.path)
                continue
            if not entry.name.endswith(PYTHON_SUFFIXES) or excluded(entry.path, False):
                continue
            try:
                symlink = entry.is_symlink()
                if not entry.is_file() and not symlink:
                    continue  # FIFOs and sockets named *.py are not source files
            except OSError:
                continue
            key = os.path.realpath(entry.path) if symlink else os.path.join(real, entry.name)
            yield os.path.join(given, entry.path[len(top_prefix):]), entry.path, key
        for subdirectory in subdirectories:
            yield from walk(subdirectory)

    yield from walk(top)

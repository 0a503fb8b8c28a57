"""The dependency versions a project declares: version-specific advice and fixes ask them.

Read once per run from the project root and the directories right below it (``backend/``,
``server/``: where a repository keeps its Python project): lock files (``uv.lock``,
``poetry.lock``, ``Pipfile.lock``) pin what is installed; ``pyproject.toml`` (PEP 621
dependencies and optional dependencies, PEP 735 groups, Poetry, PDM and uv groups),
``requirements*.txt`` (with ``-r`` includes), ``requirements/*.txt``, ``Pipfile`` and
``setup.cfg`` give ranges. ``[tool.fastapi-lint] target-versions`` overrides a package.

Only the packages whose versions change advice are kept (:data:`TRACKED`), so adding an
unrelated dependency never invalidates the result cache. A file that cannot be read or
parsed is skipped with a one-line warning; a requirement that does not parse is skipped.
"""
from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from fastapi_lint import __version__
from fastapi_lint.discovery_cache import Watch, WatchedCache, signature

if TYPE_CHECKING:  # packaging is imported where a version is compared or a requirement parsed:
    # a run that reads its versions from the cache and compares none does without it
    from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

# the packages (and Python itself) some rule or fix depends on the version of
TRACKED = ("fastapi", "starlette", "pydantic", "httpx", "sqlalchemy", "sqlmodel", "python")
_LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
# directories below the root never holding the project's own dependency files
_SKIPPED_DIRECTORIES = {"node_modules", "site-packages", "__pycache__", "venv", "build", "dist"}
_MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True)
class Declared:
    """One package as the project declares it: exact versions locked, or ranges."""

    name: str
    pins: Tuple[str, ...] = ()  # versions a lock file (or the override) installs
    ranges: Tuple[str, ...] = ()  # PEP 440 specifiers of the declarations
    sources: Tuple[str, ...] = ()  # the files it came from, relative to the root

    def at_least(self, version: str) -> Optional[bool]:
        """Whether the installed version is >= ``version``: True/False for sure, None unknown.

        Locked versions decide when there are any (every one of them must agree); otherwise
        every range holds at once, as a resolver would have it, and one range that decides
        is enough — unless another decides the other way.
        """
        if self.pins:
            answers = {_pin_at_least(pin, version) for pin in self.pins}
            return answers.pop() if len(answers) == 1 else None
        answers = {_range_at_least(spec, version) for spec in self.ranges} - {None}
        return answers.pop() if len(answers) == 1 else None

    def ranges_at_least(self, version: str) -> Optional[bool]:
        """:meth:`at_least` by the declared ranges alone: what the project says it supports
        (a library's lock file pins only its development environment)."""
        return Declared(self.name, ranges=self.ranges).at_least(version)

    def describe(self) -> str:
        """``0.79.1 (poetry.lock)`` / ``>=0.100 (pyproject.toml)`` for messages and settings."""
        what = ", ".join(self.pins) if self.pins else (", ".join(r for r in self.ranges if r) or "any version")
        return f"{what} ({', '.join(self.sources)})" if self.sources else what


@dataclass(frozen=True)
class DeclaredVersions:
    """What the project declares for each tracked package (missing: not declared)."""

    packages: Tuple[Declared, ...] = ()
    warnings: Tuple[str, ...] = field(default=(), compare=False)

    def get(self, name: str) -> Optional[Declared]:
        wanted = canonicalize_name(name)
        return next((p for p in self.packages if p.name == wanted), None)

    def at_least(self, name: str, version: str) -> Optional[bool]:
        """Is ``name`` >= ``version`` for sure (True), for sure not (False), or unknown (None)?"""
        declared = self.get(name)
        return declared.at_least(version) if declared is not None else None

    def between(self, name: str, low: str, high: str) -> Optional[bool]:
        """Is ``low <= name < high`` for sure (True), for sure not (False), or unknown?"""
        above, beyond = self.at_least(name, low), self.at_least(name, high)
        if above is False or beyond is True:
            return False
        if above is True and beyond is False:
            return True
        return None

    def describe(self, name: str) -> str:
        declared = self.get(name)
        return declared.describe() if declared is not None else "unknown"

    def fingerprint(self) -> str:
        """What of the versions can change results (for cache keys)."""
        material = [[p.name, sorted(p.pins), sorted(p.ranges)] for p in self.packages]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()


UNKNOWN = DeclaredVersions()


_SEPARATORS = re.compile(r"[-_.]+")
_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _is_release(version: str) -> bool:
    return _RELEASE.fullmatch(version) is not None


def _written(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _release(version: str) -> Tuple[int, ...]:
    """A plain release's numbers as PEP 440 orders them (``1.0`` is ``1.0.0``)."""
    numbers = list(_written(version))
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def canonicalize_name(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``packaging.utils.canonicalize_name``)."""
    return _SEPARATORS.sub("-", name).lower()


# -- deciding ----------------------------------------------------------------------------------
# Versions are compared as packaging compares them; plain releases (``0.95.1``), what lock
# files and most ranges hold, without importing it (7 ms of a one-file run).
def _pin_at_least(pin: str, floor: str) -> Optional[bool]:
    if _is_release(pin) and _is_release(floor):
        return _release(pin) >= _release(floor)
    from packaging.version import InvalidVersion, Version

    try:
        return Version(pin) >= Version(floor)
    except InvalidVersion:
        return None


_PLAIN_SPECIFIER = re.compile(r"\s*(===|==|>=|<=|~=|!=|>|<)\s*([0-9]+(?:\.[0-9]+)*(?:\.\*)?)\s*")


def _plain_specifier(item: str) -> Optional[Tuple[str, str]]:
    """(operator, version) of a specifier of a plain release that PEP 440 allows."""
    match = _PLAIN_SPECIFIER.fullmatch(item)
    if match is None:
        return None
    operator, text = match.groups()
    if (text.endswith(".*") and operator not in ("==", "!=")) or (operator == "~=" and "." not in text):
        return None  # invalid: packaging says so
    return operator, text


def _range_at_least(spec_text: str, floor: str) -> Optional[bool]:
    """True when every version the range allows is >= ``floor``, False when none is."""
    plain = [_plain_specifier(item) for item in spec_text.split(",")] if spec_text.strip() else []
    if _is_release(floor) and all(plain):
        return _decide([item for item in plain if item is not None], _release(floor), _plain_bounds)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        spec = SpecifierSet(spec_text)
        return _decide([(item.operator, item.version) for item in spec], Version(floor), _bounds)
    except (InvalidSpecifier, InvalidVersion):
        return None


def _decide(items: List[Tuple[str, str]], floor: Any, bounds: Callable[[str, str], Tuple[Any, Any]]) -> Optional[bool]:
    lowest: Any = None  # every allowed version is >= lowest
    below: Any = None  # (limit, inclusive): every allowed version is < (or <=) limit
    for operator, text in items:
        low, high = bounds(operator, text)
        if low is not None and (lowest is None or low > lowest):
            lowest = low
        if high is not None and (below is None or high[0] < below[0]):
            below = high
    if lowest is not None and lowest >= floor:
        return True
    if below is not None:
        limit, inclusive = below
        if limit < floor or (limit == floor and not inclusive):
            return False
    return None


def _bounds(operator: str, text: str) -> Tuple[Optional[Version], Optional[Tuple[Version, bool]]]:
    """(lowest allowed, (upper limit, limit itself allowed)) of one specifier."""
    from packaging.version import Version

    return _bounds_of(operator, text, Version, lambda text: Version(text).release,
                      lambda numbers: Version(_dotted(numbers)))


def _plain_bounds(operator: str, text: str) -> Tuple[Any, Any]:
    """:func:`_bounds` of a plain release, in :func:`_release` numbers."""
    return _bounds_of(operator, text, _release, _written, lambda numbers: _release(_dotted(numbers)))


def _bounds_of(operator: str, text: str, version: Callable[[str], Any], written: Callable[[str], Tuple[int, ...]],
               of_release: Callable[[Tuple[int, ...]], Any]) -> Tuple[Any, Any]:
    """``_bounds`` in the versions ``version`` makes; ``written``: a version's release
    numbers as written (``~=1.2.0`` allows below 1.3), ``of_release``: the version of some."""
    if operator == "!=":
        return None, None  # excludes a version (or a series): no bound
    if operator in ("==", "===") and text.endswith(".*"):
        return version(text[:-2]), (of_release(_next_release(written(text[:-2]))), False)
    exact = version(text)
    if operator in ("==", "==="):
        return exact, (exact, True)
    if operator in (">=", ">"):
        return exact, None
    if operator == "<":
        return None, (exact, False)
    if operator == "<=":
        return None, (exact, True)
    if operator == "~=":
        release = written(text)
        return exact, (of_release(_next_release(release[:-1] or release)), False)
    return None, None


def _next_release(release: Tuple[int, ...]) -> Tuple[int, ...]:
    return (*release[:-1], release[-1] + 1)


def _dotted(release: Tuple[int, ...]) -> str:
    return ".".join(map(str, release))


def poetry_range(text: str) -> str:
    """Poetry's ``^1.2``/``~1.2.3``/``*``/``1.2`` spelled as a PEP 440 range."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out = []
    for part in parts:
        if part == "*":
            continue
        if part.startswith("^"):
            out.append(_caret(part[1:].strip()))
        elif part.startswith("~") and not part.startswith("~="):
            base = part[1:].strip()
            numbers = _numbers(base)
            upper = numbers[:2] if len(numbers) >= 2 else numbers[:1]
            out.append(f">={base},<{_dotted(_next_release(tuple(upper)))}")
        elif part[0].isdigit():
            out.append(f"=={part}")
        else:
            out.append(part)
    return ",".join(out)


def _numbers(text: str) -> Tuple[int, ...]:
    from packaging.version import Version

    return Version(text).release


def _caret(base: str) -> str:
    numbers = list(_numbers(base))
    # the first non-zero component may not change (^0.95.1 -> <0.96; ^2.1 -> <3)
    for index, number in enumerate(numbers):
        if number != 0 or index == len(numbers) - 1:
            upper = tuple(numbers[:index + 1])
            break
    return f">={base},<{_dotted(_next_release(upper))}"


# -- reading -----------------------------------------------------------------------------------
class _Collected:
    """Declarations gathered while reading, per tracked package."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.pins: Dict[str, List[str]] = {}
        self.ranges: Dict[str, List[str]] = {}
        self.sources: Dict[str, List[str]] = {}
        self.warnings: List[str] = []
        self.watch = Watch()  # the directories listed and files read (or looked for)

    def _source(self, name: str, path: str) -> None:
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        found = self.sources.setdefault(name, [])
        if rel not in found:
            found.append(rel)

    def pin(self, name: str, version: Any, path: str) -> None:
        name = canonicalize_name(str(name))
        if name in TRACKED and isinstance(version, str) and version:
            self.pins.setdefault(name, []).append(version)
            self._source(name, path)

    def range(self, name: str, spec: str, path: str) -> None:
        name = canonicalize_name(name)
        if name in TRACKED:
            self.ranges.setdefault(name, []).append(spec)
            self._source(name, path)

    def requirement(self, text: Any, path: str) -> None:
        """A PEP 508 line; markers make a requirement conditional, so it is left out."""
        # parsing is the cost of a pip-compiled file of hundreds of lines: skip the others
        if not isinstance(text, str) or _TRACKED_START.match(text) is None:
            return
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            return
        if requirement.marker is None and requirement.url is None:
            self.range(requirement.name, str(requirement.specifier), path)

    def result(self) -> DeclaredVersions:
        packages = []
        for name in TRACKED:
            if name in self.pins or name in self.ranges:
                packages.append(Declared(name, tuple(dict.fromkeys(self.pins.get(name, ()))),
                                         tuple(dict.fromkeys(self.ranges.get(name, ()))),
                                         tuple(self.sources.get(name, ()))))
        return DeclaredVersions(tuple(packages), tuple(self.warnings))


_TRACKED_START = re.compile(r"\s*(?:" + "|".join(TRACKED) + r")\b", re.I)


class VersionsCache(WatchedCache):
    """What the project's dependency files declared, kept while none of them, and none of
    the directories they were looked for in, changed: a run reads the stats, not a lock
    file and a few hundred requirement lines (15 ms on onyx, with packaging's import most of
    a one-file run's reading besides the sources)."""

    KIND = "versions"
    MAGIC = b"FLVERS1\n"


def _cache_key(root: str) -> str:
    code = signature(os.path.abspath(__file__))  # the code that reads the files
    material = [__version__, code, os.path.abspath(root)]
    return hashlib.blake2b(json.dumps(material).encode(), digest_size=20).hexdigest()


def _as_json(declared: DeclaredVersions) -> Any:
    return {"packages": [[p.name, list(p.pins), list(p.ranges), list(p.sources)] for p in declared.packages],
            "warnings": list(declared.warnings)}


def _from_json(value: Any) -> Optional[DeclaredVersions]:
    try:
        packages = tuple(Declared(str(name), tuple(map(str, pins)), tuple(map(str, ranges)), tuple(map(str, sources)))
                         for name, pins, ranges, sources in value["packages"])
        return DeclaredVersions(packages, tuple(map(str, value["warnings"])))
    except (TypeError, ValueError, KeyError):
        return None


def read_versions(root: str, overrides: Optional[Mapping[str, str]] = None,
                  cache: Optional[VersionsCache] = None) -> DeclaredVersions:
    """The declared versions of the project at ``root``; ``overrides``: package -> a version
    (``"0.115"``) or a range (``">=0.100,<0.110"``) that replaces what the files say."""
    key = _cache_key(root) if cache is not None else ""
    declared = _from_json(cache.load_entry(key)) if cache is not None else None
    if declared is None:
        collected = _Collected(root)
        for directory in _project_directories(root, collected.watch):
            _read_directory(directory, collected)
        declared = collected.result()
        if cache is not None:
            cache.store_entry(key, collected.watch, _as_json(declared))
    if overrides:
        declared = _apply_overrides(declared, overrides)
    return declared


def _project_directories(root: str, watch: Watch) -> List[str]:
    directories = [root]
    watch.add(root)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return directories
    for name in names:
        path = os.path.join(root, name)
        if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES and os.path.isdir(path):
            directories.append(path)
    return directories


def _read_directory(directory: str, collected: _Collected) -> None:
    collected.watch.add(directory)
    try:
        names = set(os.listdir(directory))
    except OSError:
        return
    readers = (
        ("pyproject.toml", _read_pyproject), ("uv.lock", _read_toml_lock), ("poetry.lock", _read_toml_lock),
        ("Pipfile.lock", _read_pipfile_lock), ("Pipfile", _read_pipfile), ("setup.cfg", _read_setup_cfg),
    )
    for name, reader in readers:
        if name in names:
            _guarded(reader, os.path.join(directory, name), collected)
    requirement_files = sorted(n for n in names if n.startswith("requirements") and n.endswith(".txt"))
    if "requirements" in names and os.path.isdir(os.path.join(directory, "requirements")):
        collected.watch.add(os.path.join(directory, "requirements"))
        try:
            requirement_files += sorted(os.path.join("requirements", n) for n in os.listdir(os.path.join(directory, "requirements"))
                                        if n.endswith(".txt"))
        except OSError:
            pass
    seen: Set[str] = set()
    for name in requirement_files:
        _guarded(lambda path, found: _read_requirements(path, found, seen, 0), os.path.join(directory, name), collected)


def _guarded(reader, path: str, collected: _Collected) -> None:
    collected.watch.add(path)
    try:
        reader(path, collected)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, configparser.Error, RecursionError) as exc:
        # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
        rel = os.path.relpath(path, collected.root)
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        collected.warnings.append(f"{rel}: dependency versions not read ({detail})")


def _load_toml(path: str) -> Dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _table(data: Any, *keys: str) -> Dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _strings(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _read_pyproject(path: str, collected: _Collected) -> None:
    data = _load_toml(path)
    project = _table(data, "project")
    for text in _strings(project.get("dependencies")):
        collected.requirement(text, path)
    for group in _table(data, "project", "optional-dependencies").values():
        for text in _strings(group):
            collected.requirement(text, path)
    for group in _table(data, "dependency-groups").values():  # PEP 735 (uv)
        for text in _strings(group):
            collected.requirement(text, path)
    for text in _strings(_table(data, "tool", "uv").get("dev-dependencies")):
        collected.requirement(text, path)
    for group in _table(data, "tool", "pdm", "dev-dependencies").values():
        for text in _strings(group):
            collected.requirement(text, path)
    if isinstance(project.get("requires-python"), str):
        collected.range("python", project["requires-python"], path)
    poetry = _table(data, "tool", "poetry")
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _table(poetry, "group").values()]
    for table in tables:
        for name, value in table.items():
            _poetry_dependency(name, value, path, collected)


def _poetry_dependency(name: str, value: Any, path: str, collected: _Collected) -> None:
    from packaging.version import InvalidVersion

    if isinstance(value, dict):
        if "markers" in value or "python" in value or "version" not in value:
            return  # conditional, or a path/git dependency
        value = value["version"]
    if not isinstance(value, str):
        return  # a list of alternatives by marker
    try:
        collected.range(name, poetry_range(value), path)
    except InvalidVersion:
        return


# a tracked package's entry in uv.lock/poetry.lock: `[[package]]`, then `name`, then `version`
# (both tools write them in this order). A lock file runs to megabytes: scanning it for the
# few tracked names is ~50x cheaper than parsing the TOML.
_LOCKED = re.compile(
    r'^\[\[package\]\]\s*\nname\s*=\s*"(' + "|".join(TRACKED) + r')"\s*\nversion\s*=\s*"([^"\n]+)"',
    re.M | re.I,
)


def _read_toml_lock(path: str, collected: _Collected) -> None:
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    for match in _LOCKED.finditer(text.replace("\r\n", "\n")):
        collected.pin(match.group(1), match.group(2), path)


def _read_pipfile_lock(path: str, collected: _Collected) -> None:
    with open(path, "rb") as handle:
        data = json.loads(handle.read())
    for section in ("default", "develop"):
        for name, entry in _table(data, section).items():
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                collected.pin(name, version[2:], path)


def _read_pipfile(path: str, collected: _Collected) -> None:
    data = _load_toml(path)
    for section in ("packages", "dev-packages"):
        for name, value in _table(data, section).items():
            if isinstance(value, dict):
                if "markers" in value:
                    continue
                value = value.get("version")
            if isinstance(value, str):
                collected.range(name, "" if value == "*" else value, path)


def _read_setup_cfg(path: str, collected: _Collected) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    if parser.has_option("options", "install_requires"):
        for line in parser.get("options", "install_requires").splitlines():
            collected.requirement(line.split("#", 1)[0].strip(), path)
    if parser.has_option("options", "python_requires"):
        collected.range("python", parser.get("options", "python_requires"), path)


_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=)(\S+)")


def _read_requirements(path: str, collected: _Collected, seen: Set[str], depth: int) -> None:
    real = os.path.realpath(path)
    if real in seen or depth > _MAX_INCLUDE_DEPTH:
        return
    seen.add(real)
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include is not None:
            target = os.path.join(os.path.dirname(path), include.group(1))
            collected.watch.add(target, may_be_missing=True)
            if os.path.isfile(target):
                _read_requirements(target, collected, seen, depth + 1)
        elif not line.startswith("-"):
            collected.requirement(line, path)


def _apply_overrides(declared: DeclaredVersions, overrides: Mapping[str, str]) -> DeclaredVersions:
    from packaging.version import InvalidVersion, Version

    replaced = {canonicalize_name(name): text for name, text in overrides.items()}
    packages = [p for p in declared.packages if p.name not in replaced]
    for name, text in replaced.items():
        try:
            Version(text)
            packages.append(Declared(name, pins=(text,), sources=("target-versions",)))
        except InvalidVersion:
            packages.append(Declared(name, ranges=(text,), sources=("target-versions",)))
    order = {name: index for index, name in enumerate(TRACKED)}
    packages.sort(key=lambda p: (order.get(p.name, len(order)), p.name))
    return DeclaredVersions(tuple(packages), declared.warnings)


def check_override(name: str, text: Any) -> Optional[str]:
    """Why ``text`` is no valid target version for ``name`` (None when it is)."""
    if not isinstance(text, str):
        return "must be a string: a version (\"0.115\") or a range (\">=0.100,<0.110\")"
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
        return None
    except InvalidVersion:
        pass
    try:
        SpecifierSet(text)
        return None
    except InvalidSpecifier:
        return f"{text!r} is neither a version (\"0.115\") nor a range (\">=0.100,<0.110\")"

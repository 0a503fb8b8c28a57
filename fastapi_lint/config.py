"""``[tool.fastapi-lint]`` from pyproject.toml, validated into one frozen Config."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d", ".pytype",
    ".ruff_cache", ".svn", ".tox", ".venv", "venv", "__pypackages__", "_build", "buck-out",
    "build", "dist", "node_modules", "site-packages", ".fastapi_lint_cache", ".pytest_cache",
    "__pycache__",
)
DEFAULT_TEST_PATHS: Tuple[str, ...] = (
    "tests/**", "test/**", "**/tests/**", "**/test/**", "**/test_*.py", "**/*_test.py", "**/conftest.py",
)
# command-line code that never runs while the app serves requests (RULES.md "Served code")
DEFAULT_SCRIPT_PATHS: Tuple[str, ...] = ("scripts/**", "bin/**", "**/scripts/**", "**/bin/**")
_LIST_KEYS = {"select", "extend-select", "ignore", "exclude", "extend-exclude", "test-paths", "extend-test-paths",
              "script-paths", "extend-script-paths"}
_BOOL_KEYS = {"preview", "force-exclude", "respect-gitignore", "honor-other-tools"}
_STR_KEYS = {"cache-dir", "baseline"}
# severities from the lowest up: `fail-on` and `min-severity` name one of them
SEVERITY_LEVELS: Tuple[str, ...] = ("info", "warning", "error")
_SEVERITY_KEYS = {"fail-on", "min-severity"}
_TABLE_KEYS = {"per-file-ignores", "options", "target-versions"}
KNOWN_KEYS = _LIST_KEYS | _BOOL_KEYS | _STR_KEYS | _SEVERITY_KEYS | _TABLE_KEYS


class ConfigError(Exception):
    """A configuration problem, reported in one line and exit status 2."""


@dataclass(frozen=True)
class Config:
    root: str = "."
    config_file: Optional[str] = None
    select: Tuple[str, ...] = ("FAPI",)
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    preview: bool = False
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    force_exclude: bool = False
    respect_gitignore: bool = True
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    test_paths: Tuple[str, ...] = DEFAULT_TEST_PATHS
    script_paths: Tuple[str, ...] = DEFAULT_SCRIPT_PATHS
    cache_dir: str = ".fastapi_lint_cache"
    baseline: Optional[str] = None
    options: Tuple[Tuple[str, Tuple[Tuple[str, Any], ...]], ...] = ()
    # `# noqa: S608` / `# nosec` also suppress the equivalent FAPI rule (suppression.EQUIVALENTS)
    honor_other_tools: bool = True
    # the lowest severity that makes the exit status 1, and the lowest that is reported
    # (bandit's --severity-level); neither changes results, so neither is in fingerprint()
    fail_on: str = "info"
    min_severity: str = "info"
    # package -> version or range the project runs, over what its dependency files declare
    target_versions: Tuple[Tuple[str, str], ...] = ()

    def options_for(self, code: str) -> Dict[str, Any]:
        for rule_code, values in self.options:
            if rule_code == code:
                return dict(values)
        return {}

    def with_overrides(self, **changes: Any) -> "Config":
        return replace(self, **changes)

    def fingerprint(self) -> str:
        """What of the configuration changes results (for cache keys)."""
        return repr((self.select, self.extend_select, self.ignore, self.preview,
                     self.per_file_ignores, self.test_paths, self.script_paths, self.options,
                     self.honor_other_tools, self.target_versions))


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml at or above ``start`` that has [tool.fastapi-lint], else the nearest one."""
    directory = os.path.abspath(start)
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    nearest = None
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            nearest = nearest or candidate
            if _has_section(candidate):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return nearest
        directory = parent


def _has_section(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "fastapi-lint" in data.get("tool", {})


# what marks the top of a project when no pyproject.toml does (ruff and black look for these)
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def find_project_root(start: str) -> str:
    """The nearest directory at or above ``start`` holding a project marker, else ``start``'s:
    module names (and so imports) are relative to it, whatever subdirectory is linted."""
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    here = directory
    while True:
        if any(os.path.exists(os.path.join(here, marker)) for marker in ROOT_MARKERS):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return directory
        here = parent


def load_config(config_file: Optional[str], start: str) -> Config:
    """Read ``config_file`` (or the nearest pyproject.toml above ``start``) into a Config."""
    path = config_file or find_pyproject(start)
    if path is None:
        return Config(root=find_project_root(start))
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    # a dedicated file (fastapi-lint.toml) may hold the table at top level
    if "tool" in data or os.path.basename(path) == "pyproject.toml":
        section = data.get("tool", {}).get("fastapi-lint", {})
    else:
        section = data
    return parse_section(section, path)


def parse_section(section: Mapping[str, Any], path: str) -> Config:
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.fastapi-lint] must be a table")
    unknown = sorted(set(section) - KNOWN_KEYS - set(_ALIAS_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} in [tool.fastapi-lint]"
                          f"{did_you_mean(unknown[0], sorted(KNOWN_KEYS | set(_ALIAS_KEYS)))}")
    section = _merge_aliases(section, path)
    values: Dict[str, Any] = {"root": os.path.dirname(os.path.abspath(path)), "config_file": path}
    for key in _LIST_KEYS:
        if key in section:
            values[key.replace("-", "_")] = _str_list(section[key], key, path)
    for key in _BOOL_KEYS:
        if key in section:
            if not isinstance(section[key], bool):
                raise ConfigError(f"{path}: {key!r} must be true or false")
            values[key.replace("-", "_")] = section[key]
    for key in _STR_KEYS:
        if key in section:
            if not isinstance(section[key], str):
                raise ConfigError(f"{path}: {key!r} must be a string")
            values[key.replace("-", "_")] = section[key]
    for key in _SEVERITY_KEYS:
        if key in section:
            values[key.replace("-", "_")] = check_severity(section[key], f"{path}: {key!r}")
    extend_tests = values.pop("extend_test_paths", ())
    if extend_tests:
        values["test_paths"] = tuple(values.get("test_paths", DEFAULT_TEST_PATHS)) + tuple(extend_tests)
    extend_scripts = values.pop("extend_script_paths", ())
    if extend_scripts:
        values["script_paths"] = tuple(values.get("script_paths", DEFAULT_SCRIPT_PATHS)) + tuple(extend_scripts)
    if "per-file-ignores" in section:
        table = section["per-file-ignores"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: 'per-file-ignores' must be a table of glob = [codes]")
        values["per_file_ignores"] = tuple(
            (glob, _str_list(codes, f"per-file-ignores.{glob}", path)) for glob, codes in table.items()
        )
    if "options" in section:
        table = section["options"]
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise ConfigError(f"{path}: 'options' must hold one table per rule code")
        values["options"] = tuple((code, tuple(opts.items())) for code, opts in table.items())
    if "target-versions" in section:
        values["target_versions"] = _target_versions(section["target-versions"], path)
    return Config(**values)


def check_severity(value: Any, where: str) -> str:
    if value not in SEVERITY_LEVELS:
        raise ConfigError(f"{where} must be error, warning or info, not {value!r}")
    return value


def at_least(severity: str, level: str) -> bool:
    """Whether ``severity`` is ``level`` or above (an unknown severity counts as error)."""
    rank = SEVERITY_LEVELS.index(severity) if severity in SEVERITY_LEVELS else len(SEVERITY_LEVELS)
    return rank >= SEVERITY_LEVELS.index(level)


def _target_versions(table: Any, path: str) -> Tuple[Tuple[str, str], ...]:
    from fastapi_lint.project.versions import TRACKED, check_override

    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'target-versions' must be a table of package = \"version\"")
    for name, value in table.items():
        if name.lower() not in TRACKED:
            raise ConfigError(f"{path}: target-versions: unknown package {name!r} (known: {', '.join(TRACKED)})"
                              f"{did_you_mean(name.lower(), TRACKED)}")
        problem = check_override(name, value)
        if problem is not None:
            raise ConfigError(f"{path}: target-versions.{name} {problem}")
    return tuple(sorted((name.lower(), value) for name, value in table.items()))


def _str_list(value: Any, key: str, path: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key!r} must be a list of strings")
    return tuple(value)


def validate_codes(config: Config, known_codes: Sequence[str], option_defaults: Mapping[str, Mapping[str, Any]]) -> None:
    """Unknown rule codes or options are errors, not silently ignored."""
    from fastapi_lint.registry import is_known_selector

    where = config.config_file or "command line"
    groups: List[Tuple[str, Sequence[str]]] = [
        ("select", config.select), ("extend-select", config.extend_select), ("ignore", config.ignore),
    ]
    groups.extend((f"per-file-ignores.{glob}", codes) for glob, codes in config.per_file_ignores)
    for key, codes in groups:
        for code in codes:
            if not is_known_selector(code, known_codes):
                raise ConfigError(f"{where}: unknown rule code or prefix {code!r} in {key}"
                                  f"{did_you_mean(code, known_codes)}")
    for code, opts in config.options:
        if code not in option_defaults:
            raise ConfigError(f"{where}: options given for unknown rule {code!r}")
        for name, _ in opts:
            if name not in option_defaults[code]:
                known = ", ".join(sorted(option_defaults[code])) or "none"
                raise ConfigError(f"{where}: rule {code} has no option {name!r} (known: {known})")


# -- habits from flake8 and ruff, and hints for typos -------------------------------------
# `extend-ignore` is what flake8 and ruff users type; it adds to `ignore`, as in ruff
_ALIAS_KEYS = {"extend-ignore": "ignore"}


def _merge_aliases(section: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    if not any(alias in section for alias in _ALIAS_KEYS):
        return section
    merged = {key: value for key, value in section.items() if key not in _ALIAS_KEYS}
    for alias, key in _ALIAS_KEYS.items():
        if alias in section:
            merged[key] = list(_str_list(section.get(key, []), key, path)) + list(_str_list(section[alias], alias, path))
    return merged


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' when none is close."""
    import difflib

    # a code with an extra character (FAPI1011) names the known code it starts with
    close = [c for c in candidates if len(c) > 4 and word.upper().startswith(c)][:1]
    if not close:
        close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def has_own_table(config: Config) -> bool:
    """Whether the run's configuration file has a [tool.fastapi-lint] table (or is a dedicated file)."""
    if config.config_file is None:
        return False
    if os.path.basename(config.config_file) != "pyproject.toml":
        return True
    return _has_section(config.config_file)

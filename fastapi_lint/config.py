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
_LIST_KEYS = {"select", "extend-select", "ignore", "exclude", "extend-exclude", "test-paths", "extend-test-paths"}
_BOOL_KEYS = {"preview", "force-exclude", "respect-gitignore", "honor-other-tools"}
_STR_KEYS = {"cache-dir", "baseline"}
_TABLE_KEYS = {"per-file-ignores", "options"}
KNOWN_KEYS = _LIST_KEYS | _BOOL_KEYS | _STR_KEYS | _TABLE_KEYS


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
    cache_dir: str = ".fastapi_lint_cache"
    baseline: Optional[str] = None
    options: Tuple[Tuple[str, Tuple[Tuple[str, Any], ...]], ...] = ()
    # `# noqa: S608` / `# nosec` also suppress the equivalent FAPI rule (suppression.EQUIVALENTS)
    honor_other_tools: bool = True

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
                     self.per_file_ignores, self.test_paths, self.options, self.honor_other_tools))


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


def load_config(config_file: Optional[str], start: str) -> Config:
    """Read ``config_file`` (or the nearest pyproject.toml above ``start``) into a Config."""
    path = config_file or find_pyproject(start)
    if path is None:
        return Config(root=os.path.abspath(start if os.path.isdir(start) else os.path.dirname(os.path.abspath(start))))
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
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} in [tool.fastapi-lint]")
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
    extend_tests = values.pop("extend_test_paths", ())
    if extend_tests:
        values["test_paths"] = tuple(values.get("test_paths", DEFAULT_TEST_PATHS)) + tuple(extend_tests)
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
    return Config(**values)


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
                raise ConfigError(f"{where}: unknown rule code or prefix {code!r} in {key}")
    for code, opts in config.options:
        if code not in option_defaults:
            raise ConfigError(f"{where}: options given for unknown rule {code!r}")
        for name, _ in opts:
            if name not in option_defaults[code]:
                known = ", ".join(sorted(option_defaults[code])) or "none"
                raise ConfigError(f"{where}: rule {code} has no option {name!r} (known: {known})")

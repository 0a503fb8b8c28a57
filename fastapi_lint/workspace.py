"""One project of an editor session: its configuration, its rules and a project index kept
in memory and updated from the buffers as they change (the language server's model).

The CLI builds the index once per run; an editor session keeps it and replaces a module's
summary whenever its buffer changes, so findings that read other modules (FAPI106) see
unsaved edits. Nothing here speaks LSP: :mod:`fastapi_lint.server` does.
"""
from __future__ import annotations

import enum
import io
import os
import tokenize
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Type

from fastapi_lint import noqa_check
from fastapi_lint.config import Config, ConfigError, at_least, check_severity, load_config, validate_codes
from fastapi_lint.engine import FileResult, LintSettings, Unreadable, decode_source, lint_file, read_source, relative_to_root
from fastapi_lint.project import ProjectIndex
from fastapi_lint.registry import all_rules, is_known_selector, select_rules
from fastapi_lint.rule import Rule
from fastapi_lint.project.versions import DeclaredVersions


class Change(enum.IntEnum):
    """What a buffer's edit (or a file's change on disk) changed for the other modules."""

    NOTHING = 0
    SITES = 1  # only where things are: findings pointing into the file (Related) move
    FACTS = 2  # facts other modules' findings read


@dataclass(frozen=True)
class ClientSettings:
    """What the editor's settings change over ``pyproject.toml`` (as the CLI's flags do)."""

    select: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    preview: Optional[bool] = None
    # the lowest severity shown, over the project's `min-severity`
    min_severity: Optional[str] = None
    # show only what would fail the CLI's run at this level (the project's `fail-on` decides
    # an exit status, not what an editor shows, so it applies only when given here)
    fail_on: Optional[str] = None

    @staticmethod
    def section(raw: Any) -> Optional[Mapping[str, Any]]:
        """Our settings in an editor's settings object: under a ``fastapi-lint``/``fastapiLint``
        key, else flat when it has any of our keys, else None (the object is another tool's;
        Neovim sends its whole ``settings`` table, empty when only ``init_options`` are set)."""
        if not isinstance(raw, Mapping):
            return None
        for key in _SECTION_KEYS:
            if isinstance(raw.get(key), Mapping):
                return raw[key]
        return raw if any(key in raw for key in _SETTING_KEYS) else None

    @classmethod
    def parse(cls, raw: Any) -> "ClientSettings":
        """From ``initializationOptions`` or ``workspace/didChangeConfiguration`` settings
        (see :meth:`section`); raises ConfigError."""
        raw = cls.section(raw)
        if raw is None:
            return cls()
        known = list(all_rules())
        values: Dict[str, Any] = {}
        for key in ("select", "extend-select", "ignore"):
            value = raw.get(key, raw.get(_camel(key)))
            if value is None:
                continue
            codes = [value] if isinstance(value, str) else value
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise ConfigError(f"editor settings: {key!r} must be a list of rule codes")
            for code in codes:
                if not is_known_selector(code.upper(), known):
                    raise ConfigError(f"editor settings: unknown rule code or prefix {code!r} in {key}")
            values[key.replace("-", "_")] = tuple(c.upper() for c in codes)
        preview = raw.get("preview")
        if preview is not None:
            if not isinstance(preview, bool):
                raise ConfigError("editor settings: 'preview' must be true or false")
            values["preview"] = preview
        for key in ("min-severity", "fail-on"):
            value = raw.get(key, raw.get(_camel(key)))
            if value is not None:
                values[key.replace("-", "_")] = check_severity(value, f"editor settings: {key!r}")
        return cls(**values)

    def apply(self, config: Config) -> Config:
        changes: Dict[str, Any] = {}
        if self.select:
            changes["select"] = self.select
        if self.extend_select:
            changes["extend_select"] = config.extend_select + self.extend_select
        if self.ignore:
            changes["ignore"] = config.ignore + self.ignore
        if self.preview is not None:
            changes["preview"] = self.preview
        if self.min_severity is not None:
            changes["min_severity"] = self.min_severity
        return config.with_overrides(**changes) if changes else config

    def shows(self, severity: str, config: Config) -> bool:
        return at_least(severity, config.min_severity) and (self.fail_on is None or at_least(severity, self.fail_on))


_SECTION_KEYS = ("fastapi-lint", "fastapiLint", "fastapi_lint")
_SETTING_KEYS = ("select", "extend-select", "extendSelect", "ignore", "preview", "min-severity", "minSeverity",
                 "fail-on", "failOn")


def encode_buffer(text: str) -> bytes:
    """An editor buffer's bytes as they would be saved: in the encoding its PEP 263 cookie
    declares (the engine decodes by it), UTF-8 otherwise."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data if encoding in ("utf-8", "utf-8-sig") else text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeEncodeError):
        return data


def _camel(key: str) -> str:
    head, *rest = key.split("-")
    return head + "".join(part.title() for part in rest)


def load_folder_config(folder: str, settings: ClientSettings) -> Tuple[Config, Optional[str]]:
    """The configuration of a workspace folder with the editor's settings over it, and the
    problem with the folder's own configuration (then the defaults are used)."""
    problem = None
    try:
        config = load_config(None, folder)
        rules = all_rules()
        validate_codes(config, list(rules), {c: r.option_defaults() for c, r in rules.items()})
    except ConfigError as exc:
        problem = str(exc)
        config = Config(root=os.path.abspath(folder))
    return settings.apply(config), problem


def _rules_for(config: Config) -> Tuple[Type[Rule], ...]:
    return tuple(select_rules(all_rules(), config.select, config.extend_select, config.ignore, config.preview))


@dataclass
class Project:
    """A workspace folder: configuration, rules, declared dependency versions and the
    in-memory project index."""

    config: Config
    rules: Tuple[Type[Rule], ...]
    index: ProjectIndex
    versions: DeclaredVersions
    settings: ClientSettings = ClientSettings()

    @classmethod
    def open(cls, config: Config, settings: ClientSettings = ClientSettings(), index_files: bool = True) -> "Project":
        """Index the project's files (the CLI's project base, with its summary cache);
        without ``index_files`` the index holds only the buffers given to :meth:`update`."""
        from fastapi_lint.runner import project_base, project_versions

        if not index_files:
            return cls(config, _rules_for(config), ProjectIndex(root=config.root), project_versions(config), settings)
        base = project_base(config)
        return cls(config, _rules_for(config), base.index, base.versions, settings)

    def reconfigured(self, config: Config, settings: ClientSettings) -> "Project":
        """The same project (and index) under another configuration of the same root."""
        from fastapi_lint.runner import project_versions

        return Project(config, _rules_for(config), self.index, project_versions(config), settings)

    def update(self, absolute: str, text: str) -> Change:
        """Take a buffer's text into the index: what changed for the other modules.

        A buffer that does not parse keeps its module's last facts for the other modules:
        a half-typed line must not make findings elsewhere flicker.
        """
        summary = self.index.summarize(absolute, text)
        old = self.index.summary_for(absolute)
        if summary.parses is False:
            self.index.parsed_files.discard(absolute)
            if old is not None:
                return Change.NOTHING
        if old is not None and old.facts() == summary.facts():
            if summary.parses:
                self.index.parsed_files.add(absolute)
            if old.sites == summary.sites:
                return Change.NOTHING
            self.index.refresh(summary, absolute)  # lines moved: the tables stand
            return Change.SITES
        self.index.insert(summary, absolute)
        return Change.FACTS

    def remove(self, absolute: str) -> Change:
        """Drop a deleted file, or every file under a deleted directory, from the index."""
        if self.index.summary_for(absolute) is not None:
            gone = [absolute]
        elif absolute.endswith((".py", ".pyi")):
            return Change.NOTHING  # not in the index: nothing under it either
        else:
            inside = absolute.rstrip(os.sep) + os.sep
            gone = [path for path in self.index.paths() if path.startswith(inside)]
        for path in gone:
            self.index.remove(path)
        return Change.FACTS if gone else Change.NOTHING

    def lint(self, absolute: str, text: str) -> FileResult:
        """The findings of one buffer, with the project's facts (its own from ``update``)."""
        display = relative_to_root(absolute, self.config.root)
        settings = self.lint_settings()
        data = encode_buffer(text)
        result = lint_file(display, absolute, settings, data=data)
        result.findings.extend(noqa_check.check(display, absolute, data, settings))
        result.findings[:] = sorted((f for f in result.findings if self.settings.shows(f.severity, self.config)),
                                    key=lambda f: f.sort_key())
        return result

    def reread(self, absolute: str) -> Change:
        """Take the file's text on disk back into the index (a buffer closed unsaved, a file
        created or changed outside the editor); a file no longer there leaves it."""
        if not os.path.lexists(absolute):
            return self.remove(absolute)
        try:
            text = decode_source(read_source(absolute))
        except Unreadable:
            return Change.NOTHING
        return self.update(absolute, text)

    def lint_settings(self) -> LintSettings:
        return LintSettings(self.config, self.rules, self.index, versions=self.versions)


def folder_for(absolute: str, folders: Sequence[str]) -> Optional[str]:
    """The innermost workspace folder holding ``absolute``."""
    holding = [f for f in folders if not os.path.relpath(absolute, f).startswith("..")]
    return max(holding, key=len) if holding else None

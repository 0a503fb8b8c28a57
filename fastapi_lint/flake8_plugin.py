"""flake8 plugin: ``flake8 --enable-extensions FAP`` reports what ``fastapi-lint --format flake8`` reports.

It is the same engine on the buffer flake8 already read (``runner.run_source``), with the
project configuration (pyproject.toml ``[tool.fastapi-lint]``: select, ignore, preview,
per-file-ignores, options) found from the file's directory, as the command line does.
"""
from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from functools import lru_cache
from typing import TYPE_CHECKING, Dict, Iterator, List, Sequence, Tuple, Type

from fastapi_lint import __version__
from fastapi_lint.config import Config, ConfigError, load_config, validate_codes
from fastapi_lint.registry import all_rules, select_rules
from fastapi_lint.rule import Rule

if TYPE_CHECKING:
    from fastapi_lint.runner import ProjectBase


@lru_cache(maxsize=None)
def settings_for(directory: str) -> Tuple[Config, Tuple[Type[Rule], ...]]:
    """Configuration and enabled rules for files in ``directory`` (flake8 makes one Plugin per file)."""
    config = load_config(None, directory)
    known = all_rules()
    validate_codes(config, list(known), {code: rule.option_defaults() for code, rule in known.items()})
    rules = select_rules(known, config.select, config.extend_select, config.ignore, config.preview)
    return config, tuple(rules)


_BASES: Dict[str, "ProjectBase"] = {}


def base_for(config: Config) -> "ProjectBase":
    """The project's index, built once per process and configuration: flake8 hands the plugin
    one file at a time, and every file is linted against the whole project, as the command
    line does (the files do not change during a flake8 run)."""
    from fastapi_lint.runner import project_base

    key = repr(config)
    if key not in _BASES:
        _BASES[key] = project_base(config)
    return _BASES[key]


def encode(lines: Sequence[str]) -> bytes:
    """The buffer as bytes the engine decodes back to the same text (honouring a PEP 263 cookie)."""
    text = "".join(lines)
    data = text.encode("utf-8")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding not in ("utf-8", "utf-8-sig"):
            data = text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeEncodeError):
        pass
    return data


CONFIG_ERROR = "FAPI000"


class Plugin:
    name = "fastapi-lint"
    version = __version__
    # opt-in, as flake8 allows: installing fastapi-lint next to flake8 must not change what a
    # plain `flake8` reports (nor its speed); `--enable-extensions FAP` (or
    # `enable-extensions = FAP` in the flake8 configuration) turns the plugin on
    off_by_default = True

    def __init__(self, tree: ast.AST, filename: str, lines: List[str]) -> None:
        # the tree is flake8's ast; the engine parses with libcst, so only the text is used
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        from fastapi_lint.runner import run_source

        absolute = os.path.abspath(self.filename)
        try:
            config, rules = settings_for(os.path.dirname(absolute))
        except ConfigError as exc:
            # a traceback would stop flake8's other checks too; say it where the editor looks
            yield 1, 0, f"{CONFIG_ERROR} fastapi-lint configuration error: {exc}", type(self)
            return
        result = run_source(self.filename, encode(self.lines), config, rules, base=base_for(config))
        for error in result.errors:
            print(f"fastapi-lint: {error}", file=sys.stderr)
        for finding in result.findings:
            # flake8 wants a 0-based column and prints it plus one
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)

"""One project model in every mode: linting one file alone -- named on the command line, piped
through stdin, or handed over by the flake8 plugin -- gives exactly the findings a run on the
whole project gives in that file (issue: pre-commit passes only the changed files)."""
from __future__ import annotations

import os
from typing import Dict, List, Tuple

import pytest

from fastapi_lint import flake8_plugin
from fastapi_lint.config import Config
from fastapi_lint.discovery import discover
from fastapi_lint.registry import all_rules, select_rules
from fastapi_lint.runner import project_base, run_paths, run_source
from tests.helpers import FIXTURES

# every multi-module fixture project (their findings depend on other modules)
PROJECTS = sorted(
    name for name in os.listdir(FIXTURES)
    if os.path.isdir(os.path.join(FIXTURES, name)) and name != "fixes"
)

Key = Tuple[int, int, str]


def _rules(config: Config):
    return select_rules(all_rules(), config.select, config.extend_select, config.ignore, preview=True)


def _by_file(findings) -> Dict[str, List[Key]]:
    found: Dict[str, List[Key]] = {}
    for finding in findings:
        found.setdefault(os.path.abspath(finding.path), []).append((finding.line, finding.column, finding.code))
    return found


def _whole_and_files(project: str):
    config = Config(root=project, preview=True)
    rules = _rules(config)
    whole = _by_file(run_paths([project], config, rules).findings)
    files = [source.absolute for source in discover([project], config).files]
    return config, rules, whole, files


@pytest.mark.parametrize("name", PROJECTS)
def test_a_file_alone_on_the_command_line_is_the_project_restricted_to_it(name: str) -> None:
    config, rules, whole, files = _whole_and_files(os.path.join(FIXTURES, name))
    assert files
    for path in files:
        alone = _by_file(run_paths([path], config, rules).findings)
        assert alone.get(path, []) == whole.get(path, []), path
        assert set(alone) <= {path}


@pytest.mark.parametrize("name", PROJECTS)
def test_a_buffer_from_stdin_or_flake8_is_the_project_restricted_to_it(name: str) -> None:
    config, rules, whole, files = _whole_and_files(os.path.join(FIXTURES, name))
    base = project_base(config, cache=False)
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        expected = whole.get(path, [])
        # relative display, as an editor passes it: the finding still belongs to this file
        stdin = run_source(os.path.relpath(path), data, config, rules, cache=False)
        assert [(f.line, f.column, f.code) for f in stdin.findings] == expected, path
        reused = run_source(path, data, config, rules, base=base)
        assert [(f.line, f.column, f.code) for f in reused.findings] == expected, path


def test_the_flake8_plugin_sees_the_whole_project(monkeypatch) -> None:
    project = os.path.join(FIXTURES, "FAPI106")
    config = Config(root=project)
    rules = tuple(_rules(config))
    monkeypatch.setattr(flake8_plugin, "settings_for", lambda directory: (config, rules))
    whole = _by_file(run_paths([project], config, rules).findings)
    routed = [path for path in whole if any(code == "FAPI106" for _, _, code in whole[path])]
    assert routed  # the fixture has a route blocking through another module
    for path in routed:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
        reported = [(line, column + 1, message.split()[0])
                    for line, column, message, _ in flake8_plugin.Plugin(None, path, lines).run()]
        assert reported == whole[path]


def test_an_edited_buffer_replaces_the_file_on_disk(tmp_path) -> None:
    """An editor's unsaved helper: the route file on disk blocks only through the buffer."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "helpers.py").write_text("def load():\n    return 1\n")
    (tmp_path / "app" / "routes.py").write_text(
        "from fastapi import APIRouter\nfrom app.helpers import load\nrouter = APIRouter()\n\n\n"
        "@router.get('/')\nasync def index():\n    return load()\n"
    )
    config = Config(root=str(tmp_path))
    rules = _rules(config)
    base = project_base(config, cache=False)
    route_file = str(tmp_path / "app" / "routes.py")
    with open(route_file, "rb") as handle:
        route = handle.read()
    assert "FAPI106" not in {f.code for f in run_source(route_file, route, config, rules, base=base).findings}
    helper = str(tmp_path / "app" / "helpers.py")
    blocking = b"import time\n\n\ndef load():\n    time.sleep(1)\n    return 1\n"
    edited = run_source(helper, blocking, config, rules, base=base)
    assert edited.settings.project is not base.index
    assert "FAPI106" in {f.code for f in run_source(route_file, route, config, rules,
                                                     base=_with_buffer(base, helper, blocking)).findings}


def _with_buffer(base, path, data):
    from fastapi_lint.runner import ProjectBase, _buffer_index

    return ProjectBase(_buffer_index(base, path, data), {}, base.errors)

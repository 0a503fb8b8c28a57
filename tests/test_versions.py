"""Declared dependency versions: read from the project's files, decided for sure or unknown."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import example, given, settings, strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from fastapi_lint import runner
from fastapi_lint.config import ConfigError, load_config
from fastapi_lint.project.versions import (Declared, DeclaredVersions, _bounds, _decide, _range_at_least, poetry_range,
                                          read_versions)


def _write(root, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("spec,floor,expected", [
    (">=0.100", "0.95", True),
    (">=0.100", "0.110", None),
    (">=0.109.1,<0.110", "0.110", False),
    (">=0.109.1,<0.110", "0.106", True),
    ("==0.79.1", "0.95", False),
    ("==0.95.0", "0.95", True),
    ("~=0.95.1", "0.96", False),
    ("~=0.95", "0.96", None),
    ("==0.9.*", "0.10", False),
    ("<=0.95", "0.95", None),
    ("<0.95", "0.95", False),
    ("", "0.95", None),
    ("!=0.99", "0.95", None),
])
def test_a_range_decides_only_what_every_allowed_version_shares(spec, floor, expected) -> None:
    assert _range_at_least(spec, floor) is expected


_versions = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
_specifiers = st.lists(
    st.builds(lambda op, v: f"{op}{v}", st.sampled_from(["==", ">=", "<=", ">", "<", "~=", "!="]), _versions),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(_specifiers, _versions)
def test_a_decided_range_holds_for_every_version_it_allows(items, floor) -> None:
    spec = ",".join(items)
    answer = _range_at_least(spec, floor)
    grid = [Version(f"{a}.{b}.{c}") for a in range(5) for b in range(5) for c in range(5)]
    allowed = [v for v in grid if v in SpecifierSet(spec)]
    if answer is True:
        assert all(v >= Version(floor) for v in allowed)
    elif answer is False:
        assert all(v < Version(floor) for v in allowed)


_any_specifiers = st.lists(
    st.builds(lambda op, v, star: f"{op} {v}{'.*' if star else ''}",
              st.sampled_from(["==", "===", ">=", "<=", ">", "<", "~=", "!="]),
              st.lists(st.integers(0, 3), min_size=1, max_size=3).map(lambda p: ".".join(map(str, p)))
              | st.sampled_from(["1.0rc1", "2.0.post1"]), st.booleans()),
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(_any_specifiers, st.sampled_from(["0.95", "1", "1.0", "2.0.1", "0.0"]))
@example(["~= 1"], "1")  # invalid: ~= needs two parts
@example([">= 1.2.*"], "1")  # invalid: a wildcard only with == and !=
def test_plain_ranges_are_decided_as_packaging_decides_them(items, floor) -> None:
    """Ranges of plain releases are decided without packaging: the answers are those of
    packaging's specifiers (None for the ones it rejects)."""
    from packaging.specifiers import InvalidSpecifier

    spec = ",".join(items)
    try:
        parsed = SpecifierSet(spec)
        expected = _decide([(item.operator, item.version) for item in parsed], Version(floor), _bounds)
    except (InvalidSpecifier, ValueError):
        expected = None
    assert _range_at_least(spec, floor) is expected


_releases = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))


@settings(max_examples=500, deadline=None)
@given(st.lists(_releases | st.sampled_from(["1.0rc1", "2.0.post1", "0.95.0.dev3", "1!1.0"]), min_size=1, max_size=3),
       _releases | st.sampled_from(["0.95", "1.0a1"]))
@example(["1"], "1.0")  # trailing zeros do not count
@example(["0.95.0", "0.95"], "0.95.0.0")
def test_locked_plain_releases_compare_as_packaging_compares_them(pins, floor) -> None:
    """Plain releases are compared without packaging: the answers are packaging's."""
    answers = {Version(pin) >= Version(floor) for pin in pins}
    expected = answers.pop() if len(answers) == 1 else None
    assert Declared("fastapi", pins=tuple(pins)).at_least(floor) is expected


@pytest.mark.parametrize("poetry,pep440", [
    ("^0.95.1", ">=0.95.1,<0.96"),
    ("^2.1", ">=2.1,<3"),
    ("~1.4.2", ">=1.4.2,<1.5"),
    ("0.79.1", "==0.79.1"),
    ("*", ""),
    (">=0.100,<0.110", ">=0.100,<0.110"),
])
def test_poetry_constraints_read_as_pep440(poetry, pep440) -> None:
    assert poetry_range(poetry) == pep440


def test_pep621_pyproject_ranges(tmp_path) -> None:
    _write(tmp_path, "pyproject.toml", """
[project]
name = "x"
requires-python = ">=3.10"
dependencies = ["fastapi[standard]>=0.115", "requests", "pydantic>=2,<3"]
[project.optional-dependencies]
test = ["httpx<0.28"]
[dependency-groups]
dev = ["sqlalchemy==2.0.1", {include-group = "test"}]
""")
    versions = read_versions(str(tmp_path))
    assert versions.at_least("fastapi", "0.95") is True
    assert versions.at_least("fastapi", "0.120") is None
    assert versions.at_least("pydantic", "2") is True
    assert versions.at_least("httpx", "0.28") is False
    assert versions.at_least("sqlalchemy", "2.0") is True
    assert versions.at_least("python", "3.9") is True
    assert versions.get("requests") is None  # only the packages advice depends on
    assert versions.at_least("starlette", "0.1") is None


def test_poetry_pyproject_and_lock_file_pin_wins(tmp_path) -> None:
    _write(tmp_path, "pyproject.toml", """
[tool.poetry.dependencies]
python = "^3.9"
fastapi = "^0.79.0"
pydantic = {version = "^1.9", extras = ["email"]}
httpx = {version = "^0.23", markers = "sys_platform == 'linux'"}
[tool.poetry.group.dev.dependencies]
sqlalchemy = "^1.4"
""")
    _write(tmp_path, "poetry.lock", """
[[package]]
name = "fastapi"
version = "0.79.1"

[[package]]
name = "Starlette"
version = "0.19.1"
""")
    versions = read_versions(str(tmp_path))
    assert versions.get("fastapi").pins == ("0.79.1",)
    assert versions.at_least("fastapi", "0.79.1") is True
    assert versions.at_least("fastapi", "0.95") is False
    assert versions.at_least("starlette", "0.20") is False
    assert versions.at_least("pydantic", "2") is False
    assert versions.get("httpx") is None  # conditional on a marker
    assert versions.at_least("sqlalchemy", "2") is False
    assert versions.at_least("python", "3.9") is True
    assert versions.describe("fastapi") == "0.79.1 (pyproject.toml, poetry.lock)"


def test_uv_lock_with_two_versions_decides_only_where_both_agree(tmp_path) -> None:
    _write(tmp_path, "uv.lock", """
version = 1
[[package]]
name = "pydantic"
version = "2.5.0"
[[package]]
name = "pydantic"
version = "2.9.0"
""")
    versions = read_versions(str(tmp_path))
    assert versions.at_least("pydantic", "2") is True
    assert versions.at_least("pydantic", "2.6") is None


def test_requirements_files_follow_includes_without_looping(tmp_path) -> None:
    _write(tmp_path, "requirements.txt", "-r requirements/base.txt\nhttpx==0.27.2  # tests\n")
    _write(tmp_path, "requirements/base.txt", "--requirement ../requirements.txt\n"
                                              "fastapi>=0.100,<0.110\n-e .\ngit+https://x/y.git\n"
                                              "pydantic>=2; python_version >= '3.8'\nnot a requirement !!\n")
    versions = read_versions(str(tmp_path))
    assert versions.at_least("fastapi", "0.95") is True
    assert versions.at_least("fastapi", "0.110") is False
    assert versions.at_least("httpx", "0.28") is False
    assert versions.get("pydantic") is None  # behind a marker


def test_pipfile_lock_setup_cfg_and_a_subproject_directory(tmp_path) -> None:
    _write(tmp_path, "Pipfile.lock", json.dumps({"default": {"fastapi": {"version": "==0.110.0"}},
                                                 "develop": {"httpx": {"version": "==0.28.1"}}}))
    _write(tmp_path, "setup.cfg", "[options]\ninstall_requires =\n    pydantic>=2.0\n    click\n")
    _write(tmp_path, "backend/requirements.txt", "sqlalchemy>=2\n")
    versions = read_versions(str(tmp_path))
    assert versions.at_least("fastapi", "0.110") is True
    assert versions.at_least("httpx", "0.28") is True
    assert versions.at_least("pydantic", "2") is True
    assert versions.describe("sqlalchemy") == ">=2 (backend/requirements.txt)"


def test_ranges_that_disagree_decide_nothing(tmp_path) -> None:
    _write(tmp_path, "requirements.txt", "fastapi==0.90.0\n")
    _write(tmp_path, "examples/requirements.txt", "fastapi>=0.100\n")
    assert read_versions(str(tmp_path)).at_least("fastapi", "0.95") is None


@pytest.mark.parametrize("name,text", [
    ("pyproject.toml", "[project\ndependencies = ["),
    ("Pipfile", "[packages\n"),
    ("Pipfile.lock", "{not json"),
    ("setup.cfg", "no section header\n"),
])
def test_malformed_files_give_one_warning_and_no_versions(tmp_path, name, text) -> None:
    _write(tmp_path, name, text)
    _write(tmp_path, "requirements.txt", "fastapi==0.115.0\n")
    versions = read_versions(str(tmp_path))
    assert len(versions.warnings) == 1 and versions.warnings[0].startswith(f"{name}: ")
    assert "\n" not in versions.warnings[0]
    assert versions.at_least("fastapi", "0.95") is True


def test_a_lock_file_is_scanned_for_tracked_packages_only(tmp_path) -> None:
    _write(tmp_path, "uv.lock", 'version = 1\r\n\r\n[[package]]\r\nname = "FastAPI"\r\nversion = "0.115.0"\r\n'
                                'source = { registry = "https://pypi.org/simple" }\r\n\r\n[[package]]\r\n'
                                'name = "fastapi-users"\r\nversion = "1.0"\r\n\r\n[[package]]\r\nname = "broken"\r\n')
    versions = read_versions(str(tmp_path))
    assert [(p.name, p.pins) for p in versions.packages] == [("fastapi", ("0.115.0",))]


def test_binary_and_unreadable_files_never_crash(tmp_path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00fastapi==1\x00")
    (tmp_path / "uv.lock").mkdir()
    read_versions(str(tmp_path))


def test_target_versions_override_the_files(tmp_path) -> None:
    _write(tmp_path, "requirements.txt", "fastapi==0.79.1\nhttpx==0.23.0\n")
    _write(tmp_path, "pyproject.toml", '[tool.fastapi-lint.target-versions]\nfastapi = "0.115"\nhttpx = ">=0.28"\n')
    config = load_config(None, str(tmp_path))
    assert config.target_versions == (("fastapi", "0.115"), ("httpx", ">=0.28"))
    versions = runner.project_versions(config)
    assert versions.at_least("fastapi", "0.95") is True
    assert versions.at_least("httpx", "0.28") is True
    assert versions.describe("fastapi") == "0.115 (target-versions)"


@pytest.mark.parametrize("table,message", [
    ('fastpi = "0.115"', "unknown package 'fastpi'"),
    ('fastapi = 0.115', "must be a string"),
    ('fastapi = "new"', "neither a version"),
])
def test_bad_target_versions_are_config_errors(tmp_path, table, message) -> None:
    _write(tmp_path, "pyproject.toml", f"[tool.fastapi-lint.target-versions]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(None, str(tmp_path))


def test_show_settings_prints_the_versions(tmp_path, monkeypatch, capsys) -> None:
    from fastapi_lint.cli import run

    _write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["fastapi>=0.100"]\n')
    _write(tmp_path, "uv.lock", '[[package]]\nname = "fastapi"\nversion = "0.115.2"\n')
    monkeypatch.chdir(tmp_path)
    assert run(["--show-settings", "."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "versions:" in out
    assert "  fastapi: 0.115.2 (pyproject.toml, uv.lock)" in out
    assert "  pydantic: unknown" in out


def test_a_malformed_file_warns_once_on_a_run(tmp_path, monkeypatch, capsys) -> None:
    from fastapi_lint.cli import run

    _write(tmp_path, "pyproject.toml", "")
    _write(tmp_path, "Pipfile.lock", "{")
    _write(tmp_path, "app.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert run(["--no-cache", "app.py"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("fastapi-lint: warning: Pipfile.lock: dependency versions not read (")


def test_versions_are_part_of_the_result_cache_key(tmp_path) -> None:
    from fastapi_lint.cache import run_salt
    from fastapi_lint.config import Config

    config = Config(root=str(tmp_path))
    old = DeclaredVersions((Declared("fastapi", pins=("0.79.1",)),))
    new = DeclaredVersions((Declared("fastapi", pins=("0.115.0",)),))
    assert run_salt(config, (), old.fingerprint()) != run_salt(config, (), new.fingerprint())
    assert old.fingerprint() == DeclaredVersions((Declared("fastapi", pins=("0.79.1",), sources=("x",)),)).fingerprint()


def test_unknown_everything_without_files(tmp_path) -> None:
    versions = read_versions(os.path.join(str(tmp_path), "missing"))
    assert versions.packages == () and versions.warnings == ()
    assert versions.at_least("fastapi", "0.95") is None
    assert versions.between("fastapi", "0.106", "0.118") is None
    pinned = DeclaredVersions((Declared("fastapi", pins=("0.110.0",)),))
    assert pinned.between("fastapi", "0.106", "0.118") is True
    assert DeclaredVersions((Declared("fastapi", ranges=(">=0.118",)),)).between("fastapi", "0.106", "0.118") is False


# -- the versions cache: the files are read again only when one of them changed ---------------
def _aged(root, seconds: int = 60) -> None:
    """Date everything back: stats within the cache's racy margin are not trusted."""
    for directory, names, files in os.walk(root):
        for name in [*names, *files, "."]:
            path = os.path.join(directory, name)
            info = os.stat(path)
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 10**9))


@pytest.fixture
def versions_cache(tmp_path, monkeypatch):
    from fastapi_lint.project.versions import VersionsCache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return lambda: VersionsCache(str(tmp_path / "cache"), b"k" * 32)


@pytest.fixture
def opened(monkeypatch):
    """The dependency files read."""
    from fastapi_lint.project import versions

    paths = []
    original = versions._guarded

    def counting(reader, path, collected):
        paths.append(os.path.basename(path))
        return original(reader, path, collected)

    monkeypatch.setattr(versions, "_guarded", counting)
    return paths


def _project_with_versions(root) -> None:
    _write(root, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["fastapi>=0.100"]\n')
    _write(root, "backend/requirements.txt", "-r base.txt\n-r missing.txt\npydantic==2.5.0\n")
    _write(root, "backend/base.txt", "httpx==0.27.0\n")
    _aged(root)


def test_cached_versions_are_those_read_and_read_no_file(tmp_path, versions_cache, opened) -> None:
    root = tmp_path / "proj"
    _project_with_versions(root)
    fresh = read_versions(str(root))
    assert read_versions(str(root), cache=versions_cache()) == fresh  # reads, stores
    opened.clear()
    warm = read_versions(str(root), {"fastapi": "0.110.0"}, cache=versions_cache())
    assert opened == []
    assert warm == read_versions(str(root), {"fastapi": "0.110.0"})
    assert warm.describe("httpx") == "==0.27.0 (backend/base.txt)"


@pytest.mark.parametrize("change", ["edit an included file", "create a missing include", "add a requirements file",
                                    "add a directory with a lock file", "remove pyproject.toml"])
def test_a_changed_dependency_file_is_read_again(tmp_path, versions_cache, opened, change) -> None:
    root = tmp_path / "proj"
    _project_with_versions(root)
    read_versions(str(root), cache=versions_cache())
    if change == "edit an included file":
        _write(root, "backend/base.txt", "httpx==0.28.10\n")
    elif change == "create a missing include":
        _write(root, "backend/missing.txt", "starlette==0.36.0\n")
    elif change == "add a requirements file":
        _write(root, "requirements-dev.txt", "sqlalchemy==2.0.0\n")
    elif change == "add a directory with a lock file":
        _write(root, "service/uv.lock", '[[package]]\nname = "fastapi"\nversion = "0.99.0"\n')
    else:
        (root / "pyproject.toml").unlink()
    opened.clear()
    assert read_versions(str(root), cache=versions_cache()) == read_versions(str(root))
    assert opened  # read again

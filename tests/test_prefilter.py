"""Rule prefilters (``Rule.applies_to``) skip files, never findings."""
from __future__ import annotations

import os
import re
from typing import List, Tuple

import pytest

from fastapi_lint import prefilter
from fastapi_lint.config import Config
from fastapi_lint.registry import all_rules
from fastapi_lint.runner import run_paths
from tests.helpers import FIXTURES, SHARED, rules_for


def _findings(path: str, use_prefilter: bool) -> List[Tuple]:
    root = path if os.path.isdir(path) else os.path.dirname(path)
    config = Config(root=os.path.abspath(root), preview=True, select=("FAPI",))
    result = run_paths([path], config, rules_for(("FAPI",)), prefilter=use_prefilter)
    assert not result.errors
    return sorted((f.path, f.line, f.column, f.code, f.message) for f in result.findings)


def _corpora() -> List[str]:
    paths = [os.path.join(FIXTURES, name) for name in sorted(os.listdir(FIXTURES)) if name != "fixes"]
    paths.append(os.path.join(FIXTURES, "fixes"))
    seedcases = os.path.join(SHARED, "seedcases")
    if os.path.isdir(seedcases):
        paths.append(seedcases)
    return paths


@pytest.mark.parametrize("path", _corpora(), ids=os.path.basename)
def test_prefilter_never_drops_a_finding(path: str) -> None:
    assert _findings(path, True) == _findings(path, False)


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_every_rule_accepts_its_own_fixture(code: str) -> None:
    """Per rule: a file where it reports passes its prefilter (with its default options)."""
    rule = all_rules()[code]
    for name in os.listdir(FIXTURES):
        if not name.startswith(code):
            continue
        path = os.path.join(FIXTURES, name)
        files = [path] if path.endswith(".py") else [
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".py")]
        for file in files:
            with open(file, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
            if re.search(rf"#.*\b{code}:\d+", text):
                assert rule.applies_to(text, rule.option_defaults()), file


@pytest.mark.parametrize("text", [
    "@app.get('/')\ndef f(): ...\n",
    "@router . post (\n '/x')\n",
    "@api.v1.router.delete('/{id}')\n",
    "@app.api_route('/', methods=['GET'])\n",
    "@app\\\n    .get('/')\n",
    "app.add_api_route('/', f)\n",
])
def test_route_prefilter_accepts_registrations(text: str) -> None:
    assert prefilter.has_route(text)


@pytest.mark.parametrize("text", [
    "value = mapping.get('key')\n",
    "@property\ndef get(self): return self.cache.get(1)\n",
    "requests.post(url)\n",
])
def test_route_prefilter_rejects_plain_get_calls(text: str) -> None:
    assert not prefilter.has_route(text)


def test_route_prefilter_by_method() -> None:
    assert prefilter.has_route("@r.post('/')\n", methods=("post",))
    assert not prefilter.has_route("@r.get('/')\n", methods=("post",))


def test_async_def_prefilter() -> None:
    assert prefilter.has_async_def("async  def f(): ...")
    assert prefilter.has_async_def("async \\\n    def f(): ...")
    assert not prefilter.has_async_def("import asyncio\nasyncio.run(main())\n")


def test_exception_leak_prefilter_asks_the_project_for_handlers() -> None:
    """FAPI310 judges routes, decorated handlers and functions registered by name anywhere in
    the project: a helper that formats ``str(exc)`` elsewhere is not parsed for it."""
    from fastapi_lint.project import ProjectIndex

    rule = all_rules()["FAPI310"]
    helper = "def describe(request, exc):\n    return {'error': str(exc)}\n"
    assert rule.applies_to(helper, rule.option_defaults())
    project = ProjectIndex(root="/p")
    project.add("/p/app/main.py", "app.add_exception_handler(ValueError, on_value_error)\n")
    assert not rule.applies_in_project(helper, project)
    handler = helper.replace("describe", "on_value_error")
    assert rule.applies_in_project(handler, project)
    assert rule.applies_in_project("async  def on_value_error(r, e): ...\n", project)
    assert rule.applies_in_project("@app.get('/')\ndef f(): ...\n", project)


def test_a_parenthesized_decorator_over_several_lines_may_be_a_route() -> None:
    text = "@(\n    app.get('/')\n)\ndef f(): ...\n"
    assert prefilter.has_route(text)
    assert prefilter.count_routes(text) == 2


def test_dependency_rules_ask_the_project_which_functions_are_dependencies() -> None:
    """FAPI404/405 judge dependencies, which other modules name with Depends(...)."""
    from fastapi_lint.project import ProjectIndex

    generator = "def get_db():\n    db = SessionLocal()\n    yield db\n"
    project = ProjectIndex(root="/p")
    project.add("/p/app/routes.py", "def r(db=Depends(other)): ...\n")
    for code in ("FAPI404", "FAPI405"):
        assert not all_rules()[code].applies_in_project(generator, project)
    project.add("/p/app/more.py", "def s(db=Depends(deps.get_db)): ...\n")
    project._derived.clear()
    for code in ("FAPI404", "FAPI405"):
        assert all_rules()[code].applies_in_project(generator, project)


def test_prefilters_see_cr_only_files_with_newlines(tmp_path) -> None:
    """A CR-only file: a comment in a prefilter pattern must not swallow the rest."""
    source = "import time\r\r# note\rasync def f():\r    time.sleep(1)\r"
    (tmp_path / "m.py").write_bytes(source.encode())
    assert _findings(str(tmp_path / "m.py"), True) == _findings(str(tmp_path / "m.py"), False) != []


def test_sql_in_docstrings_only_is_not_parsed_for_fapi302() -> None:
    """The project pass's ast parse tells FAPI302 whether SQL sits outside docstrings."""
    from fastapi_lint.project import ProjectIndex

    rule = all_rules()["FAPI302"]
    documented = 'def q(t):\n    """Runs SELECT * FROM t, see INSERT INTO."""\n    return t + "x"\n'
    building = 'def q(t):\n    return "SELECT * " + "FROM " + t\n'
    lower = 'def q(t):\n    return f"select * from {t}"\n'
    project = ProjectIndex(root="/p")
    for name, text in (("documented", documented), ("building", building), ("lower", lower)):
        project.add(f"/p/{name}.py", text)
        assert rule.applies_to(text, rule.option_defaults())
    assert not rule.applies_in_project(documented, project, "/p/documented.py")
    assert rule.applies_in_project(building, project, "/p/building.py")
    assert rule.applies_in_project(lower, project, "/p/lower.py")
    assert rule.applies_in_project(documented, project, "/p/unknown.py")  # no summary: parse


def test_logging_rules_read_the_calls_the_project_pass_found() -> None:
    """FAPI601/602 need a logging (or print) call that names a secret / formats eagerly:
    the project pass's ast parse records the calls' text, a docstring saying "token" or a
    `%` elsewhere no longer passes."""
    from fastapi_lint.project import ProjectIndex

    secret, eager = all_rules()["FAPI601"], all_rules()["FAPI602"]
    quiet = 'import logging\nlog = logging.getLogger()\n\ndef f(token):\n    """The token."""\n' \
            '    log.info("done %s", 1)\n    return "%d" % 2\n'
    loud = 'import logging\naudit = logging.getLogger("a")\n\ndef f(token):\n    audit.info(f"got {token}")\n'
    aliased = 'from builtins import print as say\n\ndef f(password):\n    say(password)\n'
    project = ProjectIndex(root="/p")
    for name, text in (("quiet", quiet), ("loud", loud), ("aliased", aliased)):
        project.add(f"/p/{name}.py", text)
    assert secret.applies_to(quiet, secret.option_defaults()) and eager.applies_to(quiet, eager.option_defaults())
    assert not secret.applies_in_project(quiet, project, "/p/quiet.py")
    assert not eager.applies_in_project(quiet, project, "/p/quiet.py")
    assert secret.applies_in_project(loud, project, "/p/loud.py")
    assert eager.applies_in_project(loud, project, "/p/loud.py")
    assert secret.applies_in_project(aliased, project, "/p/aliased.py")
    # words from the options count too
    custom = 'import logging\nlog = logging.getLogger()\nlog.info(f"{pin}")\n'
    project.add("/p/custom.py", custom)
    assert not secret.applies_in_project(custom, project, "/p/custom.py")
    options = dict(secret.option_defaults(), **{"extra-secret-words": ["pin"]})
    assert secret.applies_in_project(custom, project, "/p/custom.py", options)


def test_unused_noqa_alone_never_makes_a_file_parsed(tmp_path, monkeypatch) -> None:
    """FAPI003 has no visitors (noqa_check does its work after the lint): a file with a noqa
    comment that no other rule needs is not parsed by libcst for it, and still gets its
    FAPI003 finding."""
    from fastapi_lint import engine

    (tmp_path / "m.py").write_text("x = 1  # noqa: FAPI101\n")
    parsed: List[str] = []
    real_parse = engine.parse

    def counting(text: str):
        parsed.append(text)
        return real_parse(text)

    monkeypatch.setattr(engine, "parse", counting)
    config = Config(root=str(tmp_path), preview=True, select=("FAPI003", "FAPI101"))
    result = run_paths([str(tmp_path)], config, rules_for(("FAPI003", "FAPI101")))
    assert [(f.line, f.code) for f in result.findings] == [(1, "FAPI003")]
    assert parsed == []


def test_returned_http_exception_needs_the_exception_class_named() -> None:
    """FAPI211 resolves names through this file's imports only: a module importing some
    ``exceptions`` module without naming HTTPException/WebSocketException has nothing to report."""
    rule = all_rules()["FAPI211"]
    options = rule.option_defaults()
    assert not rule.applies_to("from django.core import exceptions\n\ndef f():\n    try:\n        g()\n"
                               "    except Exception:\n        return exceptions.ValidationError('x')\n", options)
    assert rule.applies_to("from starlette import exceptions as e\n\ndef f():\n"
                           "    return e.HTTPException(404)\n", options)
    assert rule.applies_to("from fastapi import WebSocketException as W\n\ndef f():\n    return W(1008)\n", options)


def test_a_lazy_pattern_compiles_on_first_use_and_then_is_the_compiled_pattern() -> None:
    import re

    from fastapi_lint.prefilter import lazy_pattern

    pattern = lazy_pattern(r"(?P<word>sl[e]+p)\b", re.IGNORECASE)
    assert "search" not in vars(pattern)  # nothing compiled at import
    assert pattern.pattern == r"(?P<word>sl[e]+p)\b"
    assert pattern.search("time.SLEEP(1)").group("word") == "SLEEP"
    compiled = re.compile(r"(?P<word>sl[e]+p)\b", re.IGNORECASE)
    assert vars(pattern)["search"].__self__ == compiled  # later calls go straight to it
    assert pattern.sub("x", "sleep sleeper") == compiled.sub("x", "sleep sleeper")
    assert [m.span() for m in pattern.finditer("sleep, Sleep")] == [(0, 5), (7, 12)]
    assert pattern.groupindex == compiled.groupindex and pattern.flags == compiled.flags

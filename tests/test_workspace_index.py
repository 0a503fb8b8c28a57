"""The language server's index after edits: tables derived from facts an edit did not
change are kept, and the findings always equal those of an index built afresh."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

from hypothesis import HealthCheck, given, settings, strategies as st

from fastapi_lint.config import Config
from fastapi_lint.engine import LintSettings
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.calls import CALL_GRAPH, call_graph as _graph
from fastapi_lint.runner import project_base, run_source
from fastapi_lint.workspace import Change, Project
from tests.helpers import rules_for

HELPERS = {
    "blocking": "import time\n\n\ndef load() -> int:\n    time.sleep(1)\n    return 1\n",
    "quiet": "def load() -> int:\n    return 1\n",
    "through": "from app.deep import work\n\n\ndef load() -> int:\n    return work()\n",
    "moved": "# a comment\nimport time\n\n\ndef load() -> int:\n    time.sleep(1)\n    return 1\n",
    "broken": "def load(:\n",
}
DEEP = {
    "blocking": "import requests\n\n\ndef work() -> int:\n    return requests.get('https://x', timeout=1).status_code\n",
    "quiet": "def work() -> int:\n    return 2\n",
}
ROUTES = {
    "calls": textwrap.dedent(
        """\
        from fastapi import FastAPI

        from app.helpers import load
        from app.schemas import UserOut

        app = FastAPI()


        @app.get("/", response_model=UserOut)
        async def root() -> dict:
            return {"value": load()}
        """
    ),
    "two routes": textwrap.dedent(
        """\
        from fastapi import FastAPI

        from app.helpers import load

        app = FastAPI()


        @app.get("/")
        async def root() -> dict:
            return {"value": load()}


        @app.get("/other")
        async def other() -> dict:
            return {}
        """
    ),
    "local helper": textwrap.dedent(
        """\
        import time

        from fastapi import FastAPI

        app = FastAPI()


        def local() -> int:
            time.sleep(1)
            return 1


        @app.get("/")
        async def root() -> dict:
            return {"value": local()}
        """
    ),
    "offloaded": textwrap.dedent(
        """\
        import asyncio

        from fastapi import FastAPI

        from app.helpers import load

        app = FastAPI()


        @app.get("/")
        async def root() -> dict:
            return {"value": await asyncio.to_thread(load)}
        """
    ),
}
SCHEMAS = {
    "secret": "from pydantic import BaseModel\n\n\nclass UserOut(BaseModel):\n    password: str\n",
    "plain": "from pydantic import BaseModel\n\n\nclass UserOut(BaseModel):\n    name: str\n",
}
MODULES = {"helpers": HELPERS, "deep": DEEP, "routes": ROUTES, "schemas": SCHEMAS}
RULES = tuple(rules_for(("FAPI",)))


def write(root: Path, texts: Dict[str, str]) -> None:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    for name, text in texts.items():
        (root / "app" / f"{name}.py").write_text(text)


def findings(project_index: ProjectIndex, root: Path, texts: Dict[str, str]):
    from fastapi_lint.engine import lint_file

    config = Config(root=str(root), preview=True)
    settings = LintSettings(config, RULES, project_index)
    return {name: [(f.line, f.column, f.code, f.message, f.related)
                   for f in lint_file(f"app/{name}.py", str(root / "app" / f"{name}.py"), settings,
                                      data=text.encode()).findings]
            for name, text in texts.items()}


edits = st.lists(st.sampled_from([(module, variant) for module, variants in MODULES.items() for variant in variants]),
                 min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits)
def test_an_edited_index_answers_as_one_built_afresh(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("project")
    texts = {"helpers": HELPERS["blocking"], "deep": DEEP["blocking"], "routes": ROUTES["calls"],
             "schemas": SCHEMAS["secret"]}
    write(root, texts)
    project = Project.open(Config(root=str(root), preview=True), index_files=True)
    project.rules = RULES
    findings(project.index, root, texts)  # every table built once
    for module, variant in steps:
        texts[module] = MODULES[module][variant]
        project.update(str(root / "app" / f"{module}.py"), texts[module])
        kept = {name: text for name, text in texts.items() if "def load(:" not in text}
        fresh = ProjectIndex.build([(str(root / "app" / f"{name}.py"), text) for name, text in kept.items()]
                                   + [(str(root / "app" / "__init__.py"), "")], str(root))
        if len(kept) < len(texts):  # a buffer that does not parse keeps its file's last facts
            continue
        assert findings(project.index, root, texts) == findings(fresh, root, texts)


def test_tables_of_facts_an_edit_did_not_change_are_kept(tmp_path):
    texts = {"helpers": HELPERS["blocking"], "deep": DEEP["quiet"], "routes": ROUTES["calls"],
             "schemas": SCHEMAS["plain"]}
    write(tmp_path, texts)
    project = Project.open(Config(root=str(tmp_path)))
    routes = str(tmp_path / "app" / "routes.py")
    graph = _graph(project.index)
    # another route: route facts change, the call graph's do not
    assert project.update(routes, ROUTES["two routes"]) is Change.FACTS
    assert _graph(project.index) is graph
    project.index.derived("anything", lambda index: object())  # reads everything
    assert project.update(str(tmp_path / "app" / "helpers.py"), HELPERS["quiet"]) is Change.FACTS
    rebuilt = _graph(project.index)
    assert rebuilt is not graph and rebuilt.chain("app.helpers.load") is None
    assert "anything" not in project.index._derived
    # lines that move change no facts: nothing is rebuilt, the sites follow
    assert project.update(str(tmp_path / "app" / "helpers.py"), "\n" + HELPERS["quiet"]) is Change.SITES
    assert _graph(project.index) is rebuilt
    assert project.index.modules["app.helpers"].sites[CALL_GRAPH]["load"][0] == 2


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([(module, variant) for module, variants in MODULES.items() for variant in variants]))
def test_a_buffer_linted_against_a_used_index_answers_as_against_a_fresh_one(tmp_path_factory, edit):
    # the flake8 plugin and stdin: one project base for many buffers, its tables built once
    root = tmp_path_factory.mktemp("project")
    texts = {"helpers": HELPERS["blocking"], "deep": DEEP["blocking"], "routes": ROUTES["calls"],
             "schemas": SCHEMAS["secret"]}
    write(root, texts)
    config = Config(root=str(root), preview=True)
    base = project_base(config, cache=False)
    findings(base.index, root, texts)  # every table built once
    module, variant = edit
    texts[module] = MODULES[module][variant]
    for name, text in texts.items():
        path = str(root / "app" / f"{name}.py")
        if name == module:
            buffer = text.encode()
        else:
            buffer = (root / "app" / f"{name}.py").read_bytes()
        used = run_source(path, buffer, config, RULES, base=base).findings
        fresh = run_source(path, buffer, config, RULES, base=project_base(config, cache=False)).findings
        assert [(f.line, f.column, f.code, f.message, f.related) for f in used] == \
            [(f.line, f.column, f.code, f.message, f.related) for f in fresh]

"""Related locations of a finding: FAPI106's chain hop by hop, FAPI501's response model.

Each output format shows them where it can (JSON ``related``, SARIF ``relatedLocations``,
text ``= note:`` lines; flake8 output has no place for them); they survive the result cache
and the worker processes, and are no part of a finding's identity.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List

from hypothesis import given, strategies as st

from fastapi_lint import parallel
from fastapi_lint.baseline import keys
from fastapi_lint.cache import ResultCache
from fastapi_lint.config import Config, load_config
from fastapi_lint.locations import absolute_path, shown_path
from fastapi_lint.reporters import sarif
from fastapi_lint.rule import Finding, Related
from fastapi_lint.runner import project_base, run_paths, run_source
from tests.helpers import rules_for
from tests.test_sarif import assert_valid

ROUTES = textwrap.dedent(
    """\
    from fastapi import FastAPI

    from app.helpers import load

    app = FastAPI()


    @app.get("/")
    async def root() -> dict:
        return {"value": load()}
    """
)
# `load` -> `Store.deeper` (a method, through an instance) -> `time.sleep`, after a
# non-ASCII string on its line: columns count code points, not UTF-8 bytes
HELPERS = textwrap.dedent(
    """\
    import time


    class Store:
        def deeper(self) -> int:
            label = "caf\u00e9"; time.sleep(1)
            return 1


    def load() -> int:
        store = Store()
        return store.deeper()
    """
)
HOPS = [
    {"path": "app/helpers.py", "line": 12, "column": 12, "message": "`load` calls `Store.deeper`"},
    {"path": "app/helpers.py", "line": 6, "column": 25, "message": "`Store.deeper` calls `time.sleep`, which blocks"},
]
BASE_MODEL = "from pydantic import BaseModel\n\n\nclass UserBase(BaseModel):\n    email: str\n    password: str\n"
SCHEMAS = "from app.base import UserBase\n\n\nclass UserOut(UserBase):\n    id: int\n"
USER_ROUTES = textwrap.dedent(
    """\
    from fastapi import APIRouter

    from app.schemas import UserOut

    router = APIRouter()


    @router.get("/users/{user_id}", response_model=UserOut)
    def read_user(user_id: int):
        ...
    """
)


def make_project(root: Path, **files: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (root / "app" / "__init__.py").write_text("")
    for name, text in {"routes": ROUTES, "helpers": HELPERS, **files}.items():
        (root / "app" / f"{name}.py").write_text(text, encoding="utf-8")
    return root


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastapi_lint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def json_findings(*args: str, cwd: Path) -> List[Dict[str, Any]]:
    done = cli("--format", "json", *args, cwd=cwd)
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)["findings"]


def test_a_cross_module_chain_is_each_hop_in_json(tmp_path):
    root = make_project(tmp_path / "project")
    [finding] = json_findings(".", "--no-cache", cwd=root)
    assert finding["code"] == "FAPI106" and finding["path"] == "app/routes.py"
    assert finding["related"] == HOPS


def test_related_paths_are_shown_as_the_findings_path_is(tmp_path):
    root = make_project(tmp_path / "project")
    [finding] = json_findings("project", "--no-cache", cwd=tmp_path)
    assert finding["path"] == "project/app/routes.py"
    assert [r["path"] for r in finding["related"]] == ["project/app/helpers.py"] * 2
    [finding] = json_findings(str(root), "--no-cache", cwd=tmp_path)
    assert [r["path"] for r in finding["related"]] == [str(root / "app" / "helpers.py")] * 2


def test_findings_without_related_places_have_an_empty_list(tmp_path):
    root = make_project(tmp_path / "project", routes=ROUTES.replace("load()", "load"))
    (root / "app" / "direct.py").write_text("import time\n\n\nasync def f() -> None:\n    time.sleep(1)\n")
    [finding] = json_findings(".", "--no-cache", cwd=root)
    assert finding["code"] == "FAPI101" and finding["related"] == []


def test_text_output_has_a_note_line_per_hop_and_flake8_none(tmp_path):
    root = make_project(tmp_path / "project")
    text = cli(".", "--no-cache", cwd=root).stdout.splitlines()
    at = next(i for i, line in enumerate(text) if "FAPI106" in line)
    assert text[at + 3:at + 5] == [
        "      = note: app/helpers.py:12:12: `load` calls `Store.deeper`",
        "      = note: app/helpers.py:6:25: `Store.deeper` calls `time.sleep`, which blocks",
    ]
    flake8 = cli(".", "--no-cache", "--format", "flake8", cwd=root).stdout
    assert flake8.splitlines() == [line for line in flake8.splitlines() if line.startswith("app/routes.py:10:22: FAPI106 ")]


def test_sarif_has_related_locations_and_stays_valid(tmp_path):
    root = make_project(tmp_path / "project")
    out = tmp_path / "out.sarif"
    cli(".", "--no-cache", "--format", "sarif", "--output", str(out), cwd=root)
    log = assert_valid(out, root)
    [result] = log["runs"][0]["results"]
    assert [(r["id"], r["message"]["text"], r["physicalLocation"]) for r in result["relatedLocations"]] == [
        (number, hop["message"], {"artifactLocation": {"uri": "app/helpers.py", "uriBaseId": "%SRCROOT%"},
                                  "region": {"startLine": hop["line"], "startColumn": hop["column"]}})
        for number, hop in enumerate(HOPS, 1)]


def test_rdjson_has_related_locations_in_utf8_byte_columns(tmp_path):
    root = make_project(tmp_path / "project")
    done = cli(".", "--no-cache", "--format", "rdjson", cwd=root)
    [diagnostic] = json.loads(done.stdout)["diagnostics"]
    assert diagnostic["related_locations"] == [
        {"message": hop["message"], "location": {"path": hop["path"], "range": {"start": {
            "line": hop["line"], "column": hop["column"] + (1 if "time.sleep" in hop["message"] else 0)}}}}
        for hop in HOPS]  # `é` before `time.sleep` is two bytes


def test_markdown_lists_the_notes_under_the_finding(tmp_path):
    root = make_project(tmp_path / "project")
    lines = cli(".", "--no-cache", "--format", "markdown", cwd=root).stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "FAPI106" in line and line.startswith("- **10:22**"))
    assert lines[at + 1:at + 3] == [
        "  - note: `app/helpers.py:12:12` `load` calls `Store.deeper`",
        "  - note: `app/helpers.py:6:25` `Store.deeper` calls `time.sleep`, which blocks",
    ]


def test_fapi501_points_at_the_response_model_that_outputs_a_base_class_field(tmp_path):
    root = make_project(tmp_path / "project", routes=USER_ROUTES, base=BASE_MODEL, schemas=SCHEMAS,
                        helpers="")
    [finding] = json_findings(".", "--no-cache", cwd=root)
    assert (finding["code"], finding["path"], finding["line"]) == ("FAPI501", "app/base.py", 6)
    assert finding["related"] == [{"path": "app/schemas.py", "line": 4, "column": 1,
                                   "message": "response model `UserOut` outputs `password`"}]
    # the field in the response model itself: the finding says it all
    (root / "app" / "schemas.py").write_text(SCHEMAS.replace("    id: int\n", "    id: int\n    password: str\n"))
    findings = json_findings(".", "--no-cache", cwd=root)
    assert [(f["path"], f["related"]) for f in findings if f["path"] == "app/schemas.py"] == [("app/schemas.py", [])]


def test_the_result_cache_keeps_related_places_and_drops_them_when_their_file_moves(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    hits: List[str] = []
    load = ResultCache.load

    def spy(self, display, absolute, content_digest):
        found = load(self, display, absolute, content_digest)
        if found is not None:
            hits.append(display)
        return found

    monkeypatch.setattr(ResultCache, "load", spy)
    config = load_config(None, str(root))
    rules = rules_for(("FAPI106",))

    def related(display: str = "") -> List[Related]:
        hits.clear()
        [finding] = run_paths([display or str(root)], config, rules, cache=True).findings
        return list(finding.related)

    first = related()
    assert first and related() == first and str(root / "app" / "routes.py") in hits  # from the cache
    monkeypatch.chdir(tmp_path)
    assert [r.path for r in related("project")] == ["project/app/helpers.py"] * 2  # another display
    assert "project/app/routes.py" in hits
    # two lines more above the helpers: the same facts (no finding changes), other lines
    helpers = root / "app" / "helpers.py"
    helpers.write_text("# one\n# two\n" + HELPERS, encoding="utf-8")
    assert related() == [replace(r, line=r.line + 2) for r in first]
    assert str(root / "app" / "routes.py") not in hits


def test_workers_hand_related_places_back(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    for number in range(4):
        (root / "app" / f"routes_{number}.py").write_text(ROUTES)
    config = Config(root=str(root))
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    serial = run_paths([str(root)], config, rules_for(("FAPI106",)), jobs=1)
    pooled = run_paths([str(root)], config, rules_for(("FAPI106",)), jobs=2)
    assert len(pooled.findings) == 5
    assert [f.related for f in pooled.findings] == [f.related for f in serial.findings]
    assert all(len(f.related) == 2 for f in pooled.findings)


def test_a_buffer_whose_lines_moved_points_at_its_own_lines(tmp_path):
    # stdin / the flake8 plugin: the buffer's facts equal the file's, its lines do not
    text = ROUTES + "\n\ndef local() -> int:\n    return load()\n"
    root = make_project(tmp_path / "project", routes=text.replace("return {\"value\": load()}",
                                                                 "return {\"value\": local()}"))
    config = load_config(None, str(root))
    base = project_base(config, cache=False)
    path = str(root / "app" / "routes.py")
    buffer = (root / "app" / "routes.py").read_text()
    [before] = run_source(path, buffer.encode(), config, rules_for(("FAPI106",)), base=base).findings
    # a line more in the route's body: its facts (the route table's too) stay, `local` moves
    moved = buffer.replace("async def root() -> dict:\n", "async def root() -> dict:\n    # moved\n")
    [after] = run_source(path, moved.encode(), config, rules_for(("FAPI106",)), base=base).findings
    assert before.related[0].message == "`local` calls `load`"
    assert after.line == before.line + 1 and after.related[0].line == before.related[0].line + 1
    assert after.related[1:] == before.related[1:]


def test_related_places_are_no_part_of_a_findings_identity():
    plain = Finding("app/routes.py", 10, 22, "FAPI106", 10, 28, "transitive-blocking-call", "warning", "m",
                    "    return {}")
    noted = replace(plain, related=(Related("app/helpers.py", 12, 12, "`load` calls `deeper`"),))
    assert plain == noted and hash(plain) == hash(noted)
    assert pickle.loads(pickle.dumps(noted)).related == noted.related
    assert keys([plain], "/r")[0][0] == keys([noted], "/r")[0][0]
    assert sarif.fingerprint(plain, "app/routes.py", 0) == sarif.fingerprint(noted, "app/routes.py", 0)


_SEGMENT = st.text(alphabet="abc_.-", min_size=1, max_size=4).filter(lambda s: s not in (".", ".."))


@given(st.lists(_SEGMENT, max_size=3), st.lists(_SEGMENT, max_size=3), st.lists(_SEGMENT, max_size=3),
       st.booleans())
def test_a_related_path_is_shown_as_the_findings_path_and_back(shared, mine, theirs, shown_absolute):
    absolute = os.path.join("/work", *shared, *mine, "routes.py")
    other = os.path.join("/work", *shared, *theirs, "helpers.py")
    display = absolute if shown_absolute else os.path.join(*mine, "routes.py")
    shown = shown_path(other, display, absolute)
    assert absolute_path(shown, display, absolute) == other
    assert os.path.isabs(shown) == shown_absolute

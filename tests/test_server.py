"""``fastapi-lint server``: the real server over stdio, driven by a minimal JSON-RPC client.

One server process serves the module's tests (two workspace folders: a project, and one
whose pyproject.toml is broken); each test opens its own documents.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("pygls")

from fastapi_lint.workspace import ClientSettings  # noqa: E402
from fastapi_lint.config import ConfigError  # noqa: E402

from tests.helpers import REPO as _REPO  # noqa: E402
from tests.lsp_client import TIMEOUT, Client  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.9/3.10
    import tomli as tomllib

REPO = Path(_REPO)


BLOCKING_ROUTE = textwrap.dedent(
    """\
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    async def root() -> dict:
        time.sleep(1)
        return {}
    """
)
HELPER_BLOCKING = "import time\n\n\ndef load() -> int:\n    time.sleep(1)\n    return 1\n"
HELPER_QUIET = "def load() -> int:\n    return 1\n"
CALLER = textwrap.dedent(
    """\
    from fastapi import FastAPI

    from app.helpers import load

    app = FastAPI()


    @app.get("/")
    async def root() -> dict:
        return {"value": load()}
    """
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("lsp")
    project = base / "project"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "helpers.py").write_text(HELPER_BLOCKING)
    (project / "app" / "caller.py").write_text(CALLER)
    broken = base / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text("[tool.fastapi-lint]\nselect = 3\n")
    return base


@pytest.fixture(scope="module")
def client(workspace: Path):
    client = Client(str(workspace))
    folders = [{"uri": (workspace / name).as_uri(), "name": name} for name in ("project", "broken")]
    capabilities = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}}
    result = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": capabilities,
                                           "workspaceFolders": folders})
    assert result["capabilities"]["codeActionProvider"]
    client.notify("initialized", {})
    yield client
    if client.process.poll() is None:
        client.process.kill()
    client.process.wait()


def open_document(client: Client, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    return uri


def replace_text(client: Client, uri: str, version: int, text: str) -> None:
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                             "contentChanges": [{"text": text}]})


def test_blocking_call_is_a_diagnostic_at_its_range_and_goes_when_removed(client, workspace):
    uri = open_document(client, workspace / "project" / "app" / "routes.py", BLOCKING_ROUTE)
    [found] = client.diagnostics(uri)
    assert found["code"] == "FAPI101" and found["source"] == "fastapi-lint"
    # `time.sleep(1)` on the 10th line, 4 spaces in: 0-based LSP positions
    assert found["range"] == {"start": {"line": 9, "character": 4}, "end": {"line": 9, "character": 17}}
    assert found["severity"] == 1  # FAPI101 is an error
    assert found["codeDescription"]["href"].endswith("/rules/FAPI101.md")
    replace_text(client, uri, 2, BLOCKING_ROUTE.replace("    time.sleep(1)\n", ""))
    assert client.diagnostics(uri) == []


def apply(text: str, edits: List[Dict[str, Any]]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: Dict[str, int]) -> int:
        return offsets[min(position["line"], len(lines))] + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[:offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]):]
    return text


def test_code_actions_fix_disable_and_fix_all(client, workspace):
    uri = open_document(client, workspace / "project" / "app" / "actions.py", BLOCKING_ROUTE)
    [found] = client.diagnostics(uri)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": found["range"], "context": {"diagnostics": [found]}})
    by_title = {action["title"]: action for action in actions}
    fix = next(a for t, a in by_title.items() if t.startswith("fastapi-lint (FAPI101):") and "Disable" not in t)
    fixed = apply(BLOCKING_ROUTE, fix["edit"]["changes"][uri])
    assert "await asyncio.sleep(1)" in fixed and "import asyncio" in fixed
    noqa = by_title["fastapi-lint (FAPI101): Disable for this line"]
    assert "time.sleep(1)  # noqa: FAPI101\n" in apply(BLOCKING_ROUTE, noqa["edit"]["changes"][uri])
    fix_all = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    [action] = fix_all
    assert action["kind"] == "source.fixAll.fastapi-lint"
    assert apply(BLOCKING_ROUTE, action["edit"]["changes"][uri]) == fixed


def test_editing_a_helper_buffer_refreshes_its_callers(client, workspace):
    caller = open_document(client, workspace / "project" / "app" / "caller.py", CALLER)
    assert [d["code"] for d in client.diagnostics(caller)] == ["FAPI106"]
    helper = open_document(client, workspace / "project" / "app" / "helpers.py", HELPER_BLOCKING)
    client.diagnostics(helper)
    replace_text(client, helper, 2, HELPER_QUIET)  # unsaved: the file on disk still blocks
    assert client.diagnostics(helper) == []
    assert client.diagnostics(caller) == []
    replace_text(client, helper, 3, HELPER_BLOCKING)
    client.diagnostics(helper)
    assert [d["code"] for d in client.diagnostics(caller)] == ["FAPI106"]


def test_the_file_watcher_is_registered_when_the_client_can_take_it(client):
    [registration] = client.wait(lambda m: m.get("method") == "client/registerCapability")["params"]["registrations"]
    assert registration["method"] == "workspace/didChangeWatchedFiles"
    watchers = {(w["globPattern"], w.get("kind")) for w in registration["registerOptions"]["watchers"]}
    # a deleted folder is reported alone, whatever its files were
    assert {("**/*.py", None), ("**/pyproject.toml", None), ("**/*", 4)} <= watchers


def test_a_chain_through_another_module_is_related_information(client, workspace):
    caller = open_document(client, workspace / "project" / "app" / "related.py", CALLER)
    [found] = client.diagnostics(caller)
    assert found["code"] == "FAPI106"
    helpers = (workspace / "project" / "app" / "helpers.py").as_uri()
    # `time.sleep(1)` of HELPER_BLOCKING: 5th line, 4 spaces in
    assert found["relatedInformation"] == [{
        "location": {"uri": helpers, "range": {"start": {"line": 4, "character": 4},
                                               "end": {"line": 4, "character": 4}}},
        "message": "`load` calls `time.sleep`, which blocks"}]
    # lines of the helper's buffer move, its facts do not: the caller's note follows them
    helper = open_document(client, workspace / "project" / "app" / "helpers.py", HELPER_BLOCKING)
    client.diagnostics(helper)
    replace_text(client, helper, 2, "# moved\n" + HELPER_BLOCKING)
    client.diagnostics(helper)
    [found] = client.diagnostics(caller)
    assert found["relatedInformation"][0]["location"]["range"]["start"] == {"line": 5, "character": 4}
    replace_text(client, helper, 3, HELPER_BLOCKING)
    client.diagnostics(helper)
    assert client.diagnostics(caller)[0]["relatedInformation"][0]["location"]["range"]["start"]["line"] == 4
    client.notify("textDocument/didClose", {"textDocument": {"uri": helper}})
    assert client.diagnostics(helper) == []


def test_created_and_deleted_files_enter_and_leave_the_index(client, workspace):
    package = workspace / "project" / "watched"
    package.mkdir()
    (package / "__init__.py").write_text("")
    helpers = package / "helpers.py"
    helpers.write_text(HELPER_BLOCKING)
    created = [{"uri": path.as_uri(), "type": 1} for path in (package / "__init__.py", helpers)]
    client.notify("workspace/didChangeWatchedFiles", {"changes": created})
    caller = open_document(client, package / "caller.py", CALLER.replace("app.helpers", "watched.helpers"))
    assert [d["code"] for d in client.diagnostics(caller)] == ["FAPI106"]
    # deleted outside the editor: the finding that went through it goes
    helpers.unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": helpers.as_uri(), "type": 3}]})
    assert client.diagnostics(caller) == []
    helpers.write_text(HELPER_BLOCKING)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": helpers.as_uri(), "type": 1}]})
    assert [d["code"] for d in client.diagnostics(caller)] == ["FAPI106"]
    # deleted while open: the buffer stands for it until it closes
    helper = open_document(client, helpers, HELPER_BLOCKING)
    client.diagnostics(helper)
    helpers.unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": helpers.as_uri(), "type": 3}]})
    client.notify("textDocument/didClose", {"textDocument": {"uri": helper}})
    assert client.diagnostics(helper) == []
    assert client.diagnostics(caller) == []
    # a deleted folder comes as one event
    helpers.write_text(HELPER_BLOCKING)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": helpers.as_uri(), "type": 1}]})
    assert [d["code"] for d in client.diagnostics(caller)] == ["FAPI106"]
    helpers.unlink()
    (package / "__init__.py").unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": package.as_uri(), "type": 3}]})
    assert client.diagnostics(caller) == []
    client.notify("textDocument/didClose", {"textDocument": {"uri": caller}})
    client.diagnostics(caller)


def test_hover_on_a_noqa_code_shows_the_rule_documentation(client, workspace):
    text = "import time\n\n\nasync def f() -> None:\n    time.sleep(1)  # noqa: FAPI101\n"
    uri = open_document(client, workspace / "project" / "app" / "hover.py", text)
    client.diagnostics(uri)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 4, "character": 29}})
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith("# FAPI101: blocking-sleep-in-async\n")
    assert "## What it does" in hover["contents"]["value"]
    on_finding = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                       "position": {"line": 4, "character": 6}})
    assert on_finding is None  # suppressed: no diagnostic there
    route = open_document(client, workspace / "project" / "app" / "hover_route.py", BLOCKING_ROUTE)
    client.diagnostics(route)
    on_finding = client.request("textDocument/hover", {"textDocument": {"uri": route},
                                                       "position": {"line": 9, "character": 8}})
    assert on_finding["contents"]["value"].startswith("# FAPI101: blocking-sleep-in-async\n")
    nothing = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                    "position": {"line": 0, "character": 2}})
    assert nothing is None


def test_unparsable_buffer_is_an_fapi001_diagnostic(client, workspace):
    uri = open_document(client, workspace / "project" / "app" / "broken_syntax.py", "def f(:\n    pass\n")
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI001"]


def test_broken_config_is_a_message_and_the_server_keeps_serving(client, workspace):
    uri = open_document(client, workspace / "broken" / "main.py", BLOCKING_ROUTE)
    shown = client.wait(lambda m: m.get("method") == "window/showMessage")
    assert shown["params"]["type"] == 1 and "select" in shown["params"]["message"]
    # the defaults are used
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101"]
    # a watched pyproject.toml changed: the configuration is read again
    pyproject = workspace / "broken" / "pyproject.toml"
    pyproject.write_text('[tool.fastapi-lint]\nignore = ["FAPI101"]\n')
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": pyproject.as_uri(), "type": 2}]})
    assert client.diagnostics(uri) == []
    # and so when the editor saves it
    pyproject.write_text("[tool.fastapi-lint]\n")
    client.notify("textDocument/didSave", {"textDocument": {"uri": pyproject.as_uri()}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101"]


def test_client_settings_select_and_severity_filter(client, workspace):
    text = BLOCKING_ROUTE.replace("    time.sleep(1)\n", "    time.sleep(1)\n    open('x').read()\n")
    uri = open_document(client, workspace / "project" / "app" / "settings.py", text)
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101", "FAPI104"]
    # FAPI104 is a warning: hidden below "error"
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {"fail-on": "error"}}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101"]
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {"min-severity": "error"}}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101"]
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {"ignore": ["FAPI101"]}}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI104"]
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {}}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101", "FAPI104"]
    # another tool's settings (Neovim sends its whole table) change nothing
    client.notify("workspace/didChangeConfiguration", {"settings": {"pylsp": {"plugins": {}}}})
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {"ignore": ["FAPI104"]}}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["FAPI101"]


def test_an_unsafe_fix_is_labelled_and_not_preferred(client, workspace):
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {"preview": True,
                                                                                      "select": ["FAPI602"]}}})
    text = ("import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
            "def work(order) -> None:\n    logger.info(f\"Order {order.id} created\")\n")
    uri = open_document(client, workspace / "project" / "app" / "unsafe.py", text)
    [found] = client.diagnostics(uri)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": found["range"], "context": {"diagnostics": [found]}})
    [fix] = [a for a in actions if "Disable" not in a["title"]]
    assert fix["title"].startswith("fastapi-lint (FAPI602): ") and fix["title"].endswith(" (unsafe)")
    assert not fix.get("isPreferred")
    assert 'logger.info("Order %s created", order.id)' in apply(text, fix["edit"]["changes"][uri])
    # fix all applies only safe fixes: none here
    assert client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": found["range"],
        "context": {"diagnostics": [], "only": ["source.fixAll.fastapi-lint"]}}) == []
    client.notify("workspace/didChangeConfiguration", {"settings": {"fastapi-lint": {}}})
    assert client.diagnostics(uri) == []


def test_columns_count_utf16_code_units(client, workspace):
    text = BLOCKING_ROUTE.replace("    time.sleep(1)\n", '    x = "\U0001F60B"; time.sleep(1)\n')
    uri = open_document(client, workspace / "project" / "app" / "emoji.py", text)
    [found] = client.diagnostics(uri)
    # `time` is code point 13 of its line; the emoji before it is 2 UTF-16 code units
    assert found["range"]["start"] == {"line": 9, "character": 14}


def test_a_file_outside_the_workspace_is_linted_alone(client, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "app").mkdir(parents=True)
    (elsewhere / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (elsewhere / "app" / "__init__.py").write_text("")
    (elsewhere / "app" / "helpers.py").write_text(HELPER_BLOCKING)
    caller = open_document(client, elsewhere / "app" / "caller.py", CALLER)
    assert client.diagnostics(caller) == []  # its directory was not indexed
    route = open_document(client, elsewhere / "app" / "route.py", BLOCKING_ROUTE)
    assert [d["code"] for d in client.diagnostics(route)] == ["FAPI101"]


def test_shutdown_and_exit_end_the_process(client):
    # last in the module: it ends the shared server
    assert client.request("shutdown") is None
    client.notify("exit")
    assert client.process.wait(timeout=TIMEOUT) == 0


def test_stdin_closed_ends_the_server(tmp_path):
    process = subprocess.run([sys.executable, "-m", "fastapi_lint", "server"], cwd=tmp_path, input=b"",
                             capture_output=True, timeout=TIMEOUT)
    assert process.returncode == 1  # the client went away without asking for a shutdown


def test_without_pygls_the_command_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['pygls'] = None; from fastapi_lint.cli import run; "
            "sys.exit(run(['server']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "fastapi-lint: error: the language server needs the `server` extra: pip install 'fastapi-lint[server]'"]


def test_client_settings_parse_flat_camel_and_nested():
    assert ClientSettings.parse({"select": ["fapi1"], "failOn": "warning", "min-severity": "info"}) == ClientSettings(
        select=("FAPI1",), fail_on="warning", min_severity="info")
    assert ClientSettings.parse({"fastapiLint": {"extendSelect": "FAPI5", "preview": True}}) == ClientSettings(
        extend_select=("FAPI5",), preview=True)
    assert ClientSettings.parse(None) == ClientSettings()
    for bad in ({"select": ["NOPE1"]}, {"preview": "yes"}, {"fail-on": "loud"}, {"minSeverity": 1}, {"ignore": 3}):
        with pytest.raises(ConfigError):
            ClientSettings.parse(bad)


def test_a_buffer_update_refreshes_the_tables_rules_derive_from_the_index(workspace):
    from fastapi_lint.config import load_config
    from fastapi_lint.workspace import Project

    root = workspace / "project"
    project = Project.open(load_config(None, str(root)))
    caller, helper = str(root / "app" / "caller.py"), str(root / "app" / "helpers.py")
    assert [f.code for f in project.lint(caller, CALLER).findings] == ["FAPI106"]
    assert project.update(helper, HELPER_QUIET)
    assert project.lint(caller, CALLER).findings == []
    # a half-typed buffer keeps the module's last facts for the others, and is FAPI001 itself
    assert not project.update(helper, "def load(:\n")
    assert project.lint(caller, CALLER).findings == []
    assert [f.code for f in project.lint(helper, "def load(:\n").findings] == ["FAPI001"]
    assert not project.update(helper, HELPER_QUIET)  # the same facts again: nothing to re-lint


def test_a_crashing_rule_is_logged_and_the_other_findings_stay(workspace, monkeypatch):
    from pygls.workspace import TextDocument

    from fastapi_lint.config import load_config
    from fastapi_lint.registry import all_rules
    from fastapi_lint.server import FastapiLintServer
    from fastapi_lint.workspace import Project

    def crash(self, node):
        raise RuntimeError("boom")

    monkeypatch.setattr(all_rules()["FAPI104"], "visit_Call", crash)
    server = FastapiLintServer()
    logged: List[str] = []
    monkeypatch.setattr(server, "log", lambda message, kind=None: logged.append(message))
    path = workspace / "project" / "app" / "crash.py"
    text = BLOCKING_ROUTE.replace("    time.sleep(1)\n", "    time.sleep(1)\n    open('x').read()\n")
    project = Project.open(load_config(None, str(workspace / "project")))
    findings = server.findings_of(TextDocument(path.as_uri(), text), project)
    assert [f.code for f in findings] == ["FAPI101"]
    assert len(logged) == 1 and "internal error in FAPI104: RuntimeError: boom" in logged[0]


# -- the documentation ----------------------------------------------------------------------
EDITORS = REPO / "docs" / "editors.md"


def blocks(path: Path, language: str) -> List[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)


def test_editor_snippets_parse_and_their_settings_are_accepted():
    found = [json.loads(block) for block in blocks(EDITORS, "json")]
    assert len(found) == 2
    vscode, sublime = found
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["fastapi-lint", "server"]
    assert "source.fixAll.fastapi-lint" in vscode["editor.codeActionsOnSave"]
    client = sublime["clients"]["fastapi-lint"]
    assert client["command"] == ["fastapi-lint", "server"]
    for options in (vscode["glspc.server.initializationOptions"], client["initializationOptions"]):
        assert ClientSettings.parse(options) == ClientSettings(min_severity="info")
    [helix] = [tomllib.loads(block) for block in blocks(EDITORS, "toml")]
    server = helix["language-server"]["fastapi-lint"]
    assert [server["command"], *server["args"]] == ["fastapi-lint", "server"]
    assert ClientSettings.parse(server["config"]) == ClientSettings(min_severity="info")
    assert "fastapi-lint" in helix["language"][0]["language-servers"]
    for block in blocks(EDITORS, "lua") + blocks(EDITORS, "elisp"):
        assert re.search(r"""["']fastapi-lint["'],?\s*["']server["']""", block)


def documented_commands(path: Path, heading: str = "") -> List[List[str]]:
    text = path.read_text(encoding="utf-8")
    if heading:
        text = text[text.index(heading):]
        text = text[:text.index("\n## ", 1)]
    return [shlex.split(line) for block in re.findall(r"^```console\n(.*?)^```", text, re.M | re.S)
            for line in block.splitlines() if line.startswith(("fastapi-lint", "cat "))]


def test_readme_server_commands_run(tmp_path):
    commands = documented_commands(REPO / "README.md", "## Language server")
    assert commands == [["fastapi-lint", "server", "--help"]]
    done = subprocess.run([sys.executable, "-m", "fastapi_lint", *commands[0][1:]], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=tmp_path)
    assert done.returncode == 0 and "Language Server Protocol over stdio" in done.stdout


def test_the_documented_flake8_route_runs(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(BLOCKING_ROUTE)
    commands = documented_commands(EDITORS)
    assert len(commands) == 2
    direct = subprocess.run([sys.executable, "-m", "fastapi_lint", *commands[0][1:]], capture_output=True,
                            text=True, cwd=tmp_path, timeout=TIMEOUT)
    piped_args = commands[1][commands[1].index("|") + 2:]
    piped = subprocess.run([sys.executable, "-m", "fastapi_lint", *piped_args], input=BLOCKING_ROUTE,
                           capture_output=True, text=True, cwd=tmp_path, timeout=TIMEOUT)
    assert direct.stdout == piped.stdout
    assert direct.stdout.startswith("app/main.py:10:5: FAPI101 ")


def test_a_buffer_is_linted_in_the_encoding_its_coding_cookie_declares(workspace):
    from fastapi_lint.config import load_config
    from fastapi_lint.workspace import Project, encode_buffer

    text = "# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f() -> None:\n    x = 'caf\u00e9'; time.sleep(1)\n"
    assert encode_buffer(text) == text.encode("latin-1")
    assert encode_buffer("x = '\U0001F60B'\n") == "x = '\U0001F60B'\n".encode("utf-8")
    project = Project.open(load_config(None, str(workspace / "project")), index_files=False)
    [found] = project.lint(str(workspace / "project" / "app" / "latin.py"), text).findings
    assert (found.code, found.line, found.column) == ("FAPI101", 6, 17)


def test_the_projects_min_severity_applies_and_the_editors_overrides_it(tmp_path):
    from fastapi_lint.config import load_config
    from fastapi_lint.workspace import Project

    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-lint]\nmin-severity = "error"\nfail-on = "error"\n')
    text = BLOCKING_ROUTE.replace("    time.sleep(1)\n", "    time.sleep(1)\n    open('x').read()\n")
    path = str(tmp_path / "main.py")
    project = Project.open(load_config(None, str(tmp_path)), index_files=False)
    assert [f.code for f in project.lint(path, text).findings] == ["FAPI101"]
    editor = ClientSettings(min_severity="info")
    project = Project.open(editor.apply(load_config(None, str(tmp_path))), editor, index_files=False)
    # the project's fail-on sets the CLI's exit status; it hides nothing in the editor
    assert [f.code for f in project.lint(path, text).findings] == ["FAPI101", "FAPI104"]

"""Prefilter, parallel workers and their output: the speed features, tested for behaviour (never timed)."""
from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
from typing import List

import libcst as cst
import pytest

from fastapi_lint import parallel
from fastapi_lint.config import Config
from fastapi_lint.engine import LintSettings, lint_file
from fastapi_lint.project import LazyAst
from fastapi_lint.rule import Rule, Severity
from fastapi_lint.runner import run_paths
from tests.helpers import FIXTURES, REPO, found, lint_text, rules_for


class EveryFileRule(Rule):
    """A test-only rule without TRIGGERS: it needs every file parsed."""

    CODE = "FAPI991"
    NAME = "test-every-file"
    SEVERITY = Severity.INFO

    def visit_Module(self, node: cst.Module) -> None:
        if "marker" in self.ctx.source:
            self.report(node, "marker seen")


class PidRule(Rule):
    """A test-only rule reporting the id of the process that linted the file."""

    CODE = "FAPI992"
    NAME = "test-pid"
    SEVERITY = Severity.INFO
    TRIGGERS = ("def ",)

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node, f"pid {os.getpid()}")


@pytest.fixture
def parse_calls(monkeypatch) -> List[str]:
    calls: List[str] = []
    real = cst.parse_module

    def counting(source, *args, **kwargs):
        calls.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", counting)
    return calls


# -- prefilter -------------------------------------------------------------------------------
def test_file_without_triggers_is_not_parsed_by_libcst(parse_calls) -> None:
    result = lint_text("import os\n\nprint(os.getcwd())\n", codes=("FAPI001", "FAPI002", "FAPI101"))
    assert result.findings == [] and result.errors == []
    assert parse_calls == []


def test_file_with_a_trigger_is_parsed_once(parse_calls) -> None:
    result = lint_text("import time\n\nasync def f():\n    time.sleep(1)\n", codes=("FAPI001", "FAPI101"))
    assert (4, 5, "FAPI101") in found(result)
    assert len(parse_calls) == 1


def test_syntax_error_is_reported_without_a_libcst_parse(parse_calls) -> None:
    result = lint_text("x = 1\n\ndef broken(:\n    pass\n", codes=("FAPI001", "FAPI101"))
    assert found(result) == {(3, 12, "FAPI001")}
    assert result.findings[0].source_line == "def broken(:"
    # at most one libcst parse, to confirm CPython's verdict in the newest grammar (this
    # interpreter's may be older than the code's); a file that parses never needs one
    assert len(parse_calls) <= 1


def test_syntax_cleared_by_the_project_pass_is_not_checked_again(tmp_path, monkeypatch) -> None:
    """A file no rule parses needs only FAPI001's check, which the project pass's own
    ``ast`` parse already made; a broken file is still reported."""
    from fastapi_lint import engine

    (tmp_path / "fine.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "broken.py").write_text("def g(:\n    pass\n")
    checked: List[str] = []
    real = engine._syntax_only
    monkeypatch.setattr(engine, "_syntax_only", lambda display, text, rules: checked.append(display) or real(display, text, rules))
    result = run_paths([str(tmp_path)], Config(root=str(tmp_path)), rules_for(("FAPI001", "FAPI101")))
    assert found(result) == {(1, 7, "FAPI001")}
    assert [os.path.basename(path) for path in checked] == ["broken.py"]


def test_rule_without_triggers_needs_every_file(parse_calls) -> None:
    settings = LintSettings(Config(root="/tmp/p"), (EveryFileRule,))
    result = lint_file("a.py", "/tmp/p/a.py", settings, data=b"marker = 1\n")
    assert [f.code for f in result.findings] == ["FAPI991"]
    assert len(parse_calls) == 1


# -- parallel workers ------------------------------------------------------------------------
def test_plan_keeps_few_files_in_process() -> None:
    assert parallel.worker_count(jobs=2, files=3) == 1
    assert parallel.worker_count(jobs=1, files=10_000) == 1
    assert parallel.worker_count(jobs=2, files=10_000) == 2
    assert parallel.worker_count(jobs=8, files=2 * parallel.MIN_FILES_PER_WORKER) == 2


def test_chunks_cover_every_file_once_largest_first() -> None:
    sizes = [5, 5000, 10, 200, 1, 70_000, 3, 3, 3, 3]
    chunks = parallel.make_chunks(list(range(len(sizes))), sizes, workers=2)
    flat = [i for chunk in chunks for i in chunk]
    assert sorted(flat) == list(range(len(sizes)))
    assert chunks[0] == [5]


def _project(tmp_path, files: int) -> str:
    """At least ``files`` copies of the fixture files in one directory."""
    root = tmp_path / "proj"
    root.mkdir()
    names = sorted(name for name in os.listdir(FIXTURES) if name.endswith(".py"))
    for copy in range(-(-files // len(names))):
        for name in names:
            shutil.copy(os.path.join(FIXTURES, name), root / f"{name[:-3]}_{copy}.py")
    return str(root)


def test_workers_lint_in_other_processes_and_agree_with_in_process(tmp_path, monkeypatch) -> None:
    root = _project(tmp_path, files=24)
    config = Config(root=root, preview=True)
    rules = tuple(rules_for(("FAPI",))) + (PidRule,)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 2)
    serial = run_paths([root], config, rules, jobs=1)
    pooled = run_paths([root], config, rules, jobs=2)
    pids = {f.message for f in pooled.findings if f.code == "FAPI992"}
    assert f"pid {os.getpid()}" not in pids and len(pids) >= 1
    strip = lambda result: [(f.path, f.line, f.column, f.code, f.message if f.code != "FAPI992" else "")
                            for f in result.findings]
    assert strip(serial) == strip(pooled)
    assert serial.errors == pooled.errors == []
    assert pooled.files_checked == serial.files_checked == len(os.listdir(root))


def _cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastapi_lint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_cli_output_is_the_same_for_jobs_1_and_jobs_2(tmp_path) -> None:
    root = _project(tmp_path, files=2 * parallel.MIN_FILES_PER_WORKER)  # enough to use the pool
    assert parallel.worker_count(2, len(os.listdir(root))) == 2
    one = _cli(".", "--jobs", "1", "--no-cache", "--preview", "--format", "json", cwd=root)
    two = _cli(".", "--jobs", "2", "--no-cache", "--preview", "--format", "json", cwd=root)
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert one.stdout == two.stdout
    assert '"FAPI101"' in one.stdout and '"FAPI001"' in one.stdout


def test_cli_rejects_a_bad_jobs_value(tmp_path) -> None:
    result = _cli(".", "--jobs", "-1", cwd=str(tmp_path))  # (0 means all CPUs, as in ruff and flake8)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_worker_crash_is_one_line_error(tmp_path, monkeypatch) -> None:
    root = _project(tmp_path, files=8)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    monkeypatch.setattr(parallel, "_lint_chunk", _die)
    result = run_paths([root], Config(root=root), rules_for(("FAPI",)), jobs=2)
    assert result.errors and all("\n" not in e for e in result.errors)
    assert any("worker process" in e for e in result.errors)


def _die(chunk):
    os._exit(3)


_SHARED_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


def test_the_project_pass_walks_each_module_in_ast_walk_order():
    # collectors that scan whole modules share one walk; FAPI302's relies on its order. The
    # contexts and operators (shared objects, a third of the nodes) are read through their
    # parents' fields and left out of it
    package = os.path.join(REPO, "fastapi_lint")
    paths = [os.path.join(d, n) for d, _, names in os.walk(package) for n in names if n.endswith(".py")]
    paths += [os.path.join(FIXTURES, n) for n in os.listdir(FIXTURES) if n.endswith(".py")]
    for path in paths:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        tree = LazyAst(text)
        if tree.get() is None:
            assert tree.nodes() == []
            continue
        walked = [id(n) for n in ast.walk(tree.get()) if not isinstance(n, _SHARED_LEAVES)]
        assert [id(n) for n in tree.nodes()] == walked, path
    assert LazyAst("def (:").nodes() == []
    assert not [n for n in LazyAst("x = not a + b < c and d[e]").nodes() if isinstance(n, _SHARED_LEAVES)]


def test_workers_start_with_ctrl_c_held_then_ignored_and_the_parent_gets_it_back(monkeypatch):
    """A Ctrl-C between a worker's fork and its initializer must not raise in the worker
    (a traceback on the terminal): the parent holds SIGINT across the fork."""
    if not hasattr(signal, "pthread_sigmask"):
        pytest.skip("no signal masks on this platform")
    real_init = parallel._init_worker

    def recording_init(linter):
        _HELD_AT_START.append(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
        real_init(linter)

    monkeypatch.setattr(parallel, "_init_worker", recording_init)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    tasks = [parallel.Task(str(n), f"/{n}") for n in range(60)]
    outcome = parallel.lint_tasks(tasks, [1] * len(tasks), _sigint_state, jobs=2)
    assert outcome.errors == []
    # held from the fork to the initializer, then ignored and released
    assert set(outcome.results.values()) == {(True, signal.SIG_IGN, False)}
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    assert signal.SIGINT not in before


_HELD_AT_START = []  # in a worker: whether SIGINT was held when its initializer began


def _sigint_state(task):
    return (_HELD_AT_START[0], signal.getsignal(signal.SIGINT),
            signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))


class FrozenCountRule(Rule):
    """A test-only rule reporting whether the collector's permanent generation holds objects."""

    CODE = "FAPI993"
    NAME = "test-frozen"
    SEVERITY = Severity.INFO

    def visit_Module(self, node: cst.Module) -> None:
        import gc

        self.report(node, f"frozen {gc.get_freeze_count() > 0}")


def test_the_index_is_out_of_the_collectors_sight_while_files_are_linted(tmp_path) -> None:
    """A cached index is a million objects made while the collector was paused: left in the
    young generation, the next collections walk all of it. The run freezes it, and thaws
    only what it froze."""
    import gc

    (tmp_path / "app.py").write_text("x = 1\n")
    result = run_paths([str(tmp_path)], Config(root=str(tmp_path)), [FrozenCountRule])
    assert [f.message for f in result.findings] == ["frozen True"]
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run_paths([str(tmp_path)], Config(root=str(tmp_path)), [FrozenCountRule])
        assert gc.get_freeze_count() >= frozen  # the caller's freeze stands
    finally:
        gc.unfreeze()


def test_the_command_leaves_its_objects_out_of_the_collections_at_exit(monkeypatch) -> None:
    """The interpreter's collections at exit would walk every object the run made (a third
    of a one-file run on a large project): the command freezes them once it has its status."""
    import gc

    from fastapi_lint import __main__ as entry
    from fastapi_lint import cli

    events: List[str] = []
    monkeypatch.setattr(cli, "run", lambda: events.append("run") or 1)
    monkeypatch.setattr(gc, "freeze", lambda: events.append("freeze"))
    with pytest.raises(SystemExit) as stop:
        entry.main()
    assert stop.value.code == 1 and events == ["run", "freeze"]


def test_parse_skips_node_validation_and_restores_it(monkeypatch) -> None:
    """libcst's per-node ``_validate`` is off while the engine parses (its parser's output
    passes it by construction) and back on afterwards, for the nodes fixes build."""
    from fastapi_lint import engine

    validated: List[str] = []
    original = cst.Name._validate

    def counting(self) -> None:
        validated.append(self.value)
        original(self)

    monkeypatch.setattr(cst.Name, "_validate", counting)
    source = "def handler(user_id: int):\n    return user_id + 1\n"
    module = engine.parse(source)
    assert validated == []  # no Name of the parse was validated
    assert module.code == source and module.deep_equals(cst.parse_module(source))
    assert validated  # libcst's own parse validates them
    with pytest.raises(cst.CSTValidationError):  # and hand-built nodes are checked again
        cst.Name("not a name")
    # a failed parse restores it too
    with pytest.raises(Exception):
        engine.parse("def (:\n")
    validated.clear()
    cst.Name("ok")
    assert validated == ["ok"]


def test_the_main_process_works_while_the_workers_lint(tmp_path) -> None:
    """``while_waiting`` runs once, after the workers have the work and before their
    results are in (a worker here waits for the main process's mark to appear)."""
    mark = tmp_path / "mark"
    calls = []

    def work() -> None:
        calls.append(1)
        mark.write_text("done")

    tasks = [parallel.Task(str(mark), f"/{n}") for n in range(60)]
    outcome = parallel.lint_tasks(tasks, [1] * len(tasks), _wait_for_mark, jobs=2, while_waiting=work)
    assert outcome.errors == [] and calls == [1]
    assert set(outcome.results.values()) == {True}


def _wait_for_mark(task) -> bool:
    import time

    for _ in range(500):  # up to 5 s: the main process writes it while the workers run
        if os.path.exists(task.display):
            return True
        time.sleep(0.01)
    return False

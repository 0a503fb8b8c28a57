"""Hostile input: every file gives a finding or a one-line error, and the run completes.

The corpus is generated here: most of it cannot be committed as files (binary, FIFOs,
symlink loops, unreadable files).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from fastapi_lint.cli import run

SLEEPY = "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n"


def lint(capsys, *args):
    code = run(["--format", "flake8", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes_at(lines):
    """flake8 lines -> {(basename, line, col, code)}."""
    found = set()
    for line in lines:
        path, ln, col, rest = line.split(":", 3)
        found.add((os.path.basename(path), int(ln), int(col), rest.split()[0]))
    return found


def test_binary_and_encodings(tree, capsys):
    (tree / "binary.py").write_bytes(b"\x00\x01\x02ELF\xff\xfe")
    (tree / "latin1_cookie.py").write_bytes(
        "# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f():\n    x = 'caf\xe9'; time.sleep(1)\n".encode("latin-1"))
    (tree / "latin1_plain.py").write_bytes("NAME = 'caf\xe9'\n".encode("latin-1"))
    (tree / "bad_cookie.py").write_bytes(b"# -*- coding: klingon -*-\nx = 1\n")
    (tree / "bom.py").write_bytes(b"\xef\xbb\xbf" + SLEEPY.encode())
    code, lines, err = lint(capsys, ".")
    assert code == 1, err
    got = codes_at(lines)
    assert ("binary.py", 1, 1, "FAPI002") in got
    assert ("latin1_plain.py", 1, 1, "FAPI002") in got
    assert ("bad_cookie.py", 1, 1, "FAPI002") in got
    assert ("latin1_cookie.py", 6, 17, "FAPI101") in got  # code-point columns: é is one
    assert ("bom.py", 5, 5, "FAPI101") in got
    assert len(got) == 5 and not err


def test_line_endings_tabs_and_form_feeds(tree, capsys):
    (tree / "crlf.py").write_bytes(SLEEPY.replace("\n", "\r\n").encode())
    (tree / "mixed.py").write_bytes(b"import time\r\n\nasync def f():\r\n    time.sleep(1)\n")
    (tree / "tabs.py").write_bytes(b"import time\n\x0c\nasync def f():\n\tx = 1; time.sleep(1)\n")
    code, lines, err = lint(capsys, ".")
    assert codes_at(lines) == {
        ("crlf.py", 5, 5, "FAPI101"), ("mixed.py", 4, 5, "FAPI101"), ("tabs.py", 4, 9, "FAPI101"),
    }
    assert code == 1 and not err


def test_huge_file_and_long_line(tree, capsys):
    body = "".join(f"value_{i} = {i}\n" for i in range(20_000))
    (tree / "huge.py").write_text(body + SLEEPY)
    long_expr = "[" + ", ".join(["1"] * 1_700) + "]"  # ~5,000 characters, flat
    (tree / "long.py").write_text(f"import time\n\n\nasync def f():\n    x = {long_expr}; time.sleep(1)\n")
    code, lines, err = lint(capsys, ".")
    got = codes_at(lines)
    assert ("huge.py", 20_005, 5, "FAPI101") in got
    assert any(name == "long.py" and ln == 5 and col > 4_900 for name, ln, col, _ in got)
    assert code == 1 and not err


def test_pathological_nesting_is_a_syntax_finding_not_a_crash(tree, capsys):
    (tree / "parens.py").write_text("x = " + "(" * 1_000 + "1" + ")" * 1_000 + "\n")
    (tree / "lists.py").write_text("x = " + "[" * 3_000 + "]" * 3_000 + "\n")
    (tree / "defs.py").write_text(
        "".join("    " * i + f"def f{i}():\n" for i in range(200)) + "    " * 200 + "pass\n")
    (tree / "ops.py").write_text("x = " + "+".join(["a"] * 20_000) + "\n")
    (tree / "ok.py").write_text(SLEEPY)
    code, lines, err = lint(capsys, ".")
    got = codes_at(lines)
    syntax = {name for name, *_, c in got if c == "FAPI001"}
    # CPython 3.9 parses a 20,000-term chain, later versions give up: either answer, no crash
    assert syntax - {"ops.py"} == {"parens.py", "lists.py", "defs.py"}
    assert ("ok.py", 5, 5, "FAPI101") in got
    assert code == 1 and not err


def test_empty_comments_only_and_new_syntax(tree, capsys):
    (tree / "empty.py").write_text("")
    (tree / "comments.py").write_text("# just a comment\n# another\n")
    (tree / "pep695.py").write_text(
        "type Point = tuple[float, float]\n\n\ndef first[T](xs: list[T]) -> T:\n    return xs[0]\n\n\n"
        "class Box[T]:\n    pass\n")
    (tree / "pep701.py").write_text('name = "x"\ns = f"{"nested " + name}"\nt = f"{f"{f"{name}"}"}"\n')
    code, lines, err = lint(capsys, ".")
    assert code == 0 and lines == [] and not err


def test_syntax_error_does_not_hide_other_findings(tree, capsys):
    (tree / "broken.py").write_text("def broken(:\n    pass\n")
    (tree / "real.py").write_text(SLEEPY)
    code, lines, err = lint(capsys, ".")
    assert codes_at(lines) == {("broken.py", 1, 12, "FAPI001"), ("real.py", 5, 5, "FAPI101")}
    assert code == 1 and not err


def test_odd_filesystem_entries(tree, capsys):
    (tree / "pkg.py").mkdir()  # a directory named like a module
    (tree / "pkg.py" / "inner.py").write_text(SLEEPY)
    (tree / "loop").mkdir()
    os.symlink(str(tree / "loop"), str(tree / "loop" / "again"))
    os.mkfifo(str(tree / "fifo.py"))
    code, lines, err = lint(capsys, ".")
    assert codes_at(lines) == {("inner.py", 5, 5, "FAPI101")}
    assert code == 1 and not err


def test_fifo_named_explicitly_is_unreadable_not_a_hang(tree, capsys):
    os.mkfifo(str(tree / "fifo.py"))
    code, lines, err = lint(capsys, "fifo.py")
    assert codes_at(lines) == {("fifo.py", 1, 1, "FAPI002")}
    assert "not a regular file" in lines[0]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_by_permissions(tree, capsys):
    secret = tree / "secret.py"
    secret.write_text(SLEEPY)
    secret.chmod(0)
    code, lines, _ = lint(capsys, ".")
    assert codes_at(lines) == {("secret.py", 1, 1, "FAPI002")}


def test_unreadable_file(tree, capsys, monkeypatch):
    """The same as above for root, who may read anything: the OS refusal is simulated."""
    import builtins

    (tree / "secret.py").write_text(SLEEPY)
    (tree / "fine.py").write_text(SLEEPY)
    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if str(file).endswith("secret.py") and "b" in mode:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    code, lines, err = lint(capsys, "--jobs", "1", ".") if "--jobs" in _help() else lint(capsys, ".")
    got = codes_at(lines)
    assert ("secret.py", 1, 1, "FAPI002") in got and ("fine.py", 5, 5, "FAPI101") in got
    assert "Permission denied" in next(l for l in lines if "secret.py" in l)


def _help() -> str:
    proc = subprocess.run([sys.executable, "-m", "fastapi_lint", "--help"], capture_output=True, text=True)
    return proc.stdout


def test_missing_path(tree, capsys):
    (tree / "real.py").write_text(SLEEPY)
    code, lines, err = lint(capsys, "does/not/exist.py", "real.py")
    assert code == 2
    assert err.strip() == "fastapi-lint: error: does/not/exist.py: no such file or directory"
    assert codes_at(lines) == {("real.py", 5, 5, "FAPI101")}


def _big_tree(root, files=300, copies=3):
    for i in range(files):
        (root / f"m{i}.py").write_text(SLEEPY * copies)


def test_broken_pipe_is_quiet(tree):
    _big_tree(tree)
    proc = subprocess.run(
        f"{sys.executable} -m fastapi_lint --no-cache --format flake8 . | head -1",
        shell=True, capture_output=True, text=True, cwd=tree,
    )
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("delay", [0.3, 3.0])  # while importing, and while linting
def test_ctrl_c_ends_cleanly(tree, delay):
    _big_tree(tree, files=3_000, copies=20)  # far more than 3 s of work, however fast we get
    # As a terminal would: a job started in the background by a non-interactive shell (CI
    # runners do this) inherits SIGINT as ignored, and Python then never raises Ctrl-C.
    proc = subprocess.Popen([sys.executable, "-m", "fastapi_lint", "--no-cache", "."], cwd=tree,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay)
    assert proc.poll() is None, "the run ended before Ctrl-C: make the tree bigger"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("fastapi-lint did not stop after Ctrl-C")
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err)
    assert "Traceback" not in err, err


def test_an_ended_pool_leaves_the_exit_hook_nothing_to_wake():
    """The interpreter's exit hook writes to the wake-up pipe of every pool still registered;
    one whose manager thread closes that pipe meanwhile prints "Bad file descriptor" after
    "interrupted". A pool ended by Ctrl-C unregisters itself, its manager ended."""
    import concurrent.futures.process as futures_process

    from fastapi_lint import parallel

    pool = futures_process.ProcessPoolExecutor(max_workers=1, mp_context=parallel._context())
    pool.submit(time.sleep, 30)
    manager = pool._executor_manager_thread
    assert manager in futures_process._threads_wakeups
    parallel._terminate(pool)
    assert manager not in futures_process._threads_wakeups
    manager.join(timeout=10)
    assert not manager.is_alive()


def test_a_worker_ended_while_sending_its_result_does_not_hang_the_exit():
    """A worker terminated by Ctrl-C while writing its result leaves half a message in the
    result pipe: the pool's manager thread then waits for the rest, and the interpreter
    waits for that thread at exit (a hang after "interrupted"). Ending the pool closes our
    end of that pipe too, so the manager reads the end of it and stops."""
    import struct
    import concurrent.futures.process as futures_process

    from fastapi_lint import parallel

    pool = futures_process.ProcessPoolExecutor(max_workers=1, mp_context=parallel._context())
    assert pool.submit(abs, -1).result(timeout=30) == 1
    manager = pool._executor_manager_thread
    # the start of a message announcing 1,000 bytes that never come, as a killed writer leaves it
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1000))
    time.sleep(0.3)  # the manager is reading it
    parallel._terminate(pool)
    manager.join(timeout=10)
    assert not manager.is_alive()


def test_python_warnings_about_the_linted_code_stay_quiet(tree):
    """CPython 3.12+ warns while parsing `"\\d"` (invalid escape): the linted code's business,
    not something to print on our stderr (older versions pass this test either way)."""
    (tree / "warns.py").write_text('x = 1()\ny = "\\d"\n' + SLEEPY)
    (tree / "warns_too.py").write_text('from typing import Annotated\n\n\ndef f(x: "1()") -> None:\n    pass\n')
    proc = subprocess.run([sys.executable, "-m", "fastapi_lint", "--no-cache", "--format", "flake8", "."],
                          cwd=tree, capture_output=True, text=True)
    assert proc.stderr == ""
    assert "warns.py:7:5: FAPI101" in proc.stdout


def test_interrupt_wrapped_by_class_creation_is_still_an_interrupt(monkeypatch, capsys):
    """Python reports a KeyboardInterrupt raised in ``__set_name__`` as a RuntimeError caused
    by it: Ctrl-C during a lazy import must still end in one line and status 130."""
    from fastapi_lint import cli

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    monkeypatch.setattr(cli.main, "main", interrupted)
    assert cli.run(["."]) == 130
    assert capsys.readouterr().err.strip() == "fastapi-lint: error: interrupted"


def test_a_crashing_project_collector_does_not_end_the_run(tree, capsys):
    from fastapi_lint.project import index as project_module

    def crash(path, text, summary, tree):
        summary.extra["crashing"] = "half written"
        raise IndexError("a collector's bug")

    entry = ("crashing", (), crash)
    project_module._COLLECTORS.append(entry)
    try:
        (tree / "app.py").write_text(SLEEPY)
        code, lines, err = lint(capsys, "--jobs", "1", ".")
    finally:
        project_module._COLLECTORS.remove(entry)
    assert code == 1 and codes_at(lines) == {("app.py", 5, 5, "FAPI101")}, (lines, err)

"""Compare ``fastapi-lint routes`` with the routes FastAPI itself reports for the app.

    python bench/routes_vs_app.py ROOT TARGET --venv DIR [--python PY] [--deps DIR] [--substitute NAME=REQ ...]
        [--sys-path P ...] [--env NAME=VALUE ...] [--copy [--py314-compat] [--mkdir DIR ...] [--write PATH=TEXT ...]] [--app KEY] [--lint CMD] [--json OUT]

ROOT is the project root (``fastapi-lint routes --format json`` runs there, as a user would
run it); TARGET the app's import target, ``package.module:app`` (``:create_app()`` calls a
factory). The app is imported in a subprocess of the venv DIR (made with PY when missing;
keep it outside the repository and the corpus, e.g. ``/work/venvs/<project>``), into which
the project's own declared dependencies are installed on first use, found in ``--deps``
(default ROOT): a ``uv.lock`` (``uv export``), a ``poetry.lock`` (the direct dependencies of
``[tool.poetry.dependencies]``, pinned by the lock), ``[project].dependencies`` or a
``requirements.txt``. ``uv`` comes from PATH or ``$UV``. ``--sys-path`` entries (relative to
ROOT) go first on ``sys.path``; ``--env`` sets dummy settings; ``--copy`` imports from a copy
of ROOT under /tmp, for an app that writes files at import time (the checkout is never
modified).

The runtime side walks ``app.routes``: ``APIRoute``/``APIWebSocketRoute`` and Starlette
``Route``/``WebSocketRoute``, recursing into ``Mount``ed sub-applications and routers with
the mount path as prefix. A Starlette ``Route`` answers HEAD for GET by itself; that HEAD is
dropped, as the static table lists the methods the code declares. FastAPI's own docs routes
(``openapi_url``, ``docs_url``, ``redoc_url``, ``swagger_ui_oauth2_redirect_url`` of each
app) are counted apart: the static table leaves them out by design, as they are not routes
of the project's code. Mounts of non-route ASGI apps (``StaticFiles``) are listed apart,
as the table lists them under ``mounts``.

Both sides become sets of (method, full path); the output gives the counts (runtime,
static, matched, missing, extra, the share matched) and the differences.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Set, Tuple

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None  # type: ignore[assignment]

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LINT = os.path.join(os.path.dirname(HERE), ".venv", "bin", "fastapi-lint")

# run by the project's venv: writes {"routes": [[method, path, kind], ...], "docs": [...], "mounts": [...]}
_DUMP = r'''
import importlib, json, sys
target = sys.argv[1]
module, _, attribute = target.partition(":")
obj = importlib.import_module(module)
call = attribute.endswith("()")
for part in (attribute[:-2] if call else attribute or "app").split("."):
    obj = getattr(obj, part)
if call:
    obj = obj()
routes, docs, mounts, skipped = [], [], [], []

def own_docs(app):
    urls = set()
    for name in ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url"):
        value = getattr(app, name, None)
        if value:
            urls.add(value)
    return urls

try:  # FastAPI >= 0.137 keeps included routers lazily (``_IncludedRouter``): flatten them
    from fastapi.routing import iter_route_contexts
except ImportError:
    iter_route_contexts = None

def flat(items):
    """(route, its effective path, its effective methods) in order."""
    if iter_route_contexts is None:
        return [(r, getattr(r, "path", None), getattr(r, "methods", None)) for r in items]
    return [(c.original_route, c.path, c.methods) for c in iter_route_contexts(items)]

def walk(items, prefix, docs_urls, depth=0):
    for route, path, methods in flat(items):
        kind = type(route).__name__
        if kind == "Mount":
            app = getattr(route, "app", None)
            inner = getattr(app, "routes", None)
            if inner is None or depth > 20:
                mounts.append([prefix + path, type(app).__name__])
                continue
            walk(inner, prefix + path, own_docs(app), depth + 1)
            continue
        if path is None:
            skipped.append(kind)
            continue
        if kind in ("APIWebSocketRoute", "WebSocketRoute"):
            routes.append(["WEBSOCKET", prefix + path, kind])
            continue
        methods = set(methods or ())
        if kind == "Route" and "GET" in methods:
            methods.discard("HEAD")  # Starlette adds it
        target = docs if path in docs_urls and kind == "Route" else routes
        for method in sorted(methods):
            target.append([method, prefix + path, kind])

walk(obj.routes, "", own_docs(obj))
with open(sys.argv[2], "w") as out:  # a file: some apps take over stdout
    json.dump({"routes": routes, "docs": docs, "mounts": mounts, "skipped": skipped}, out)
'''


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root")
    parser.add_argument("target")
    parser.add_argument("--venv", required=True)
    parser.add_argument("--python", default=sys.executable, help="interpreter to make the venv with")
    parser.add_argument("--deps", help="where the project declares its dependencies (default ROOT)")
    parser.add_argument("--substitute", action="append", default=[],
                        help="NAME=REQUIREMENT: install REQUIREMENT instead of what the project pins for NAME "
                             "(a git dependency when GitHub is out of reach; empty: leave NAME out); repeatable")
    parser.add_argument("--force", action="append", default=[],
                        help="REQUIREMENT to install without its dependencies and its Requires-Python "
                             "(a pure-Python package that declares a newer Python); repeatable")
    parser.add_argument("--sys-path", action="append", default=[], help="relative to ROOT; repeatable")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE; repeatable")
    parser.add_argument("--copy", action="store_true", help="import from a copy of ROOT under /tmp")
    parser.add_argument("--py314-compat", action="store_true",
                        help="with --copy: make the copy importable by Python 3.13 (parenthesize PEP 758's "
                             "`except A, B:`; defer annotations, PEP 649, with `from __future__ import annotations`)")
    parser.add_argument("--mkdir", action="append", default=[],
                        help="with --copy: a directory the app expects (relative to ROOT); repeatable")
    parser.add_argument("--write", action="append", default=[],
                        help="with --copy: PATH=TEXT, a data file the app reads at import time that the "
                             "checkout lacks (the corpus keeps only Python files); repeatable")
    parser.add_argument("--app", help="the static table's app key to compare (default: the app(s) of TARGET)")
    parser.add_argument("--lint", default=DEFAULT_LINT, help="the fastapi-lint command")
    parser.add_argument("--json", help="write both sides and the differences here")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    venv = os.path.abspath(args.venv)
    if os.path.commonpath([venv, root]) == root or os.path.commonpath([venv, HERE]) == os.path.dirname(HERE):
        parser.error("--venv must be outside the project and the repository")
    python = _venv(venv, args.python, os.path.abspath(args.deps or root), dict(s.split("=", 1) for s in args.substitute),
                   args.force)
    runtime = _runtime(python, root, args)
    static, apps = _static(root, args)
    return _report(runtime, static, apps, args)


# -- the venv --------------------------------------------------------------------------------
def _venv(venv: str, interpreter: str, deps: str, substitutes: Dict[str, str], forced: List[str]) -> str:
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".deps-installed")
    if os.path.exists(marker):
        return python
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        sys.exit("routes_vs_app: needs uv (pip install uv into a throwaway venv; UV=/path/to/uv)")
    if not os.path.exists(python):
        subprocess.run([uv, "venv", "--python", interpreter, venv], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        arguments = _requirements(uv, deps, scratch)
        _substitute(arguments[1], substitutes)
        command = [uv, "pip", "install", "--python", python] + arguments
        print("installing:", shlex.join(command), file=sys.stderr)
        subprocess.run(command, check=True)
    if forced:  # resolved as for a newer Python: pure-Python wheels install all the same
        subprocess.run([uv, "pip", "install", "--python", python, "--no-deps", "--python-version", "3.14",
                        *forced], check=True)
    open(marker, "w").close()
    return python


def _requirements(uv: str, deps: str, scratch: str) -> List[str]:
    """The ``uv pip install`` arguments that install what ``deps`` declares (not the project)."""
    requirements = os.path.join(scratch, "requirements.txt")
    if _up(deps, "uv.lock"):
        exported = subprocess.run(
            [uv, "export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--no-emit-workspace"],
            cwd=deps, check=True, capture_output=True, text=True).stdout
        _write(requirements, exported)
        return ["-r", requirements]
    pyproject = _load_toml(os.path.join(deps, "pyproject.toml"))
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies")
    if poetry and os.path.exists(os.path.join(deps, "poetry.lock")):
        lock = _load_toml(os.path.join(deps, "poetry.lock"))
        pins = {p["name"].lower(): p["version"] for p in lock.get("package", [])}
        direct = [n for n, spec in poetry.items() if n != "python"
                  and not (isinstance(spec, dict) and spec.get("optional"))]
        _write(requirements, "\n".join(_extras(n, poetry[n]) for n in direct))
        constraints = os.path.join(scratch, "constraints.txt")
        _write(constraints, "\n".join(f"{n}=={v}" for n, v in sorted(pins.items())))
        return ["-r", requirements, "-c", constraints]
    declared = pyproject.get("project", {}).get("dependencies")
    if declared:
        _write(requirements, "\n".join(declared))
        return ["-r", requirements]
    if os.path.exists(os.path.join(deps, "requirements.txt")):
        shutil.copy(os.path.join(deps, "requirements.txt"), requirements)  # substitutions edit the copy
        return ["-r", requirements]
    sys.exit(f"routes_vs_app: no declared dependencies found in {deps}")


def _substitute(requirements: str, substitutes: Dict[str, str]) -> None:
    if not substitutes:
        return
    with open(requirements, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    names = {name.lower(): spec for name, spec in substitutes.items()}
    for number, line in enumerate(lines):
        name = re.split(r"[\s=<>!~;@\[]", line.strip(), maxsplit=1)[0].lower()
        if name in names:
            lines[number] = names[name]
    _write(requirements, "\n".join(lines))


def _extras(name: str, spec) -> str:
    extras = spec.get("extras") if isinstance(spec, dict) else None
    return f"{name}[{','.join(extras)}]" if extras else name


def _up(start: str, name: str) -> Optional[str]:
    here = start
    while True:
        if os.path.exists(os.path.join(here, name)):
            return os.path.join(here, name)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _load_toml(path: str) -> Dict:
    if tomllib is None or not os.path.exists(path):
        return {}
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


# -- the two sides ---------------------------------------------------------------------------
def _runtime(python: str, root: str, args) -> Dict:
    where = root
    scratch = None
    if args.copy:
        scratch = tempfile.mkdtemp(prefix="routes-vs-app-")
        where = os.path.join(scratch, os.path.basename(root))
        shutil.copytree(root, where, symlinks=True, ignore=shutil.ignore_patterns("node_modules", ".git"))
        if args.py314_compat:
            _py314_compat(where)
        for folder in args.mkdir:
            os.makedirs(os.path.join(where, folder), exist_ok=True)
        for item in args.write:
            name, _, text = item.partition("=")
            os.makedirs(os.path.dirname(os.path.join(where, name)), exist_ok=True)
            _write(os.path.join(where, name), text.replace("\\n", "\n"))
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env.update(item.split("=", 1) for item in args.env)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(where, p) for p in args.sys_path] + [where])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the checkout
    with tempfile.TemporaryDirectory() as results:
        written = os.path.join(results, "routes.json")
        try:
            done = subprocess.run([python, "-c", _DUMP, args.target, written], cwd=where, env=env,
                                  capture_output=True, text=True, timeout=600)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        if done.returncode != 0 or not os.path.exists(written):
            sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
            sys.exit(f"routes_vs_app: importing {args.target} failed (exit {done.returncode})")
        with open(written, encoding="utf-8") as handle:
            return json.load(handle)


_BARE_EXCEPT = re.compile(r"^(\s*)except ([\w.]+(?:\s*,\s*[\w.]+)+)\s*:", re.MULTILINE)


def _py314_compat(tree: str) -> None:
    """No Python 3.14 on the machine: rewrite the copy's 3.14-only syntax for 3.13."""
    for folder, _, files in os.walk(tree):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                    text = handle.read()
                changed = _future_annotations(_BARE_EXCEPT.sub(r"\1except (\2):", text))
                if changed != text:
                    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
                        handle.write(changed)


def _future_annotations(text: str) -> str:
    if "from __future__ import annotations" in text:
        return text
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return text
    after = 0  # the line after the docstring and other __future__ imports
    for stmt in body:
        docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and after == 0
        if docstring or isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            after = stmt.end_lineno or after
        else:
            break
    lines = text.splitlines(keepends=True)
    return "".join(lines[:after]) + "from __future__ import annotations\n" + "".join(lines[after:])


def _static(root: str, args) -> Tuple[List[Dict], List[str]]:
    done = subprocess.run(shlex.split(args.lint) + ["routes", "--format", "json"], cwd=root,
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    keys = [a["app"] for a in found["apps"]]
    if args.app:
        wanted = [k for k in keys if k == args.app]
    else:
        module = args.target.partition(":")[0]
        wanted = [k for k in keys if _in_module(k, module)] or keys
    return [r for r in found["routes"] if r["app"] in wanted], wanted


def _in_module(key: str, module: str) -> bool:
    """Whether app key ``src.pkg.main.app`` (or ``pkg.main.create_app.<locals>.app``) is made
    in ``pkg.main``, whatever source root the table's module names start from."""
    head = key.split(".<locals>.")[0].rpartition(".")[0]
    return head == module or head.endswith("." + module) or key.split(".<locals>.")[0] == module


def _report(runtime: Dict, static_routes: List[Dict], apps: List[str], args) -> int:
    live: Set[Tuple[str, str]] = {(m, p) for m, p, _ in runtime["routes"]}
    static: Set[Tuple[str, str]] = {(m, r["path"]) for r in static_routes for m in r["methods"] if r["path"]}
    unknown = [r for r in static_routes if not r["path"]]
    matched, missing, extra = live & static, sorted(live - static), sorted(static - live)
    share = len(matched) / len(live) if live else 1.0
    print(f"app {args.target}; static app(s): {', '.join(apps) or 'none'}")
    print(f"runtime routes: {len(live)} (method, path) pairs from {len(runtime['routes'])} route entries; "
          f"left out: {len(runtime['docs'])} FastAPI docs routes, {len(runtime['mounts'])} mounted non-route apps")
    print(f"static routes:  {len(static)} (method, path) pairs; {len(unknown)} routes with an unknown path")
    print(f"matched: {len(matched)}  missing: {len(missing)}  extra: {len(extra)}  share matched: {share:.1%}")
    for title, items in (("missing (runtime only)", missing), ("extra (static only)", extra)):
        if items:
            print(f"\n{title}:")
            for method, path in items:
                print(f"  {method:<9} {path}")
    if runtime["mounts"]:
        print("\nmounted non-route apps:", ", ".join(f"{p} ({k})" for p, k in runtime["mounts"]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"runtime": runtime, "static_apps": apps, "matched": len(matched),
                       "missing": missing, "extra": extra, "share": share}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

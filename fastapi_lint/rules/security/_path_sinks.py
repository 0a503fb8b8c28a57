"""FAPI309's project facts: which parameters of a project function reach a filesystem call.

A route often hands a client-chosen name to a helper in another module (``media_file(user_id,
name)``) that joins it to a directory and opens or serves it. The project pass records, for
every module-level function, the parameters that flow — through assignments, f-strings, ``+``,
``os.path.join``, ``Path(...)``, ``/`` and path methods — into a sink's path argument, unless
the function reduces them to a file name (``os.path.basename``, ``secure_filename``,
``.name``) or makes a containment check (``is_relative_to``, ``relative_to``,
``os.path.commonpath``, ``startswith``). The rule then treats a call of such a function with a
request-controlled argument in one of those places like the sink itself.
"""
from __future__ import annotations

import ast
import os
import re
from bisect import bisect_right
from typing import Callable, Dict, Iterable, Optional, Set, Tuple

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements, resolve
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.prefilter import lazy_pattern

PATH_SINKS = "path_sinks"
# (a parameter's position, its name)
Params = Tuple[Tuple[int, str], ...]

# the same vocabulary as the rule (path_traversal): kept here so the project pass needs no libcst
SINKS: Dict[str, Tuple[Tuple[int, str], ...]] = {
    "builtins.open": ((0, "file"),), "io.open": ((0, "file"),), "codecs.open": ((0, "filename"),),
    "aiofiles.open": ((0, "file"),), "anyio.open_file": ((0, "file"),),
    "fastapi.responses.FileResponse": ((0, "path"),), "starlette.responses.FileResponse": ((0, "path"),),
    "os.remove": ((0, "path"),), "os.unlink": ((0, "path"),), "os.rmdir": ((0, "path"),),
    "os.rename": ((0, "src"), (1, "dst")), "os.replace": ((0, "src"), (1, "dst")),
    "aiofiles.os.remove": ((0, "path"),), "aiofiles.os.unlink": ((0, "path"),),
    **{f"shutil.{f}": ((0, "src"), (1, "dst")) for f in ("copy", "copy2", "copyfile", "copytree", "move")},
    "shutil.rmtree": ((0, "path"),),
}
PATH_SINK_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink",
                               "rmdir", "touch", "rename"})
PROPAGATE = frozenset({
    "os.path.join", "os.path.abspath", "os.path.normpath", "os.path.realpath", "os.path.expanduser",
    "os.path.normcase", "os.fspath", "posixpath.join", "pathlib.Path", "pathlib.PurePath",
    "pathlib.PosixPath", "anyio.Path", "builtins.str", "aiofiles.os.path.join",
})
PATH_METHODS = frozenset({"joinpath", "resolve", "absolute", "expanduser", "with_suffix", "lower", "strip",
                          "replace", "format"})
SANITIZE = frozenset({"os.path.basename", "posixpath.basename", "werkzeug.utils.secure_filename",
                      "werkzeug.secure_filename"})
_CHECKS = frozenset({"is_relative_to", "relative_to", "startswith", "commonpath", "commonprefix"})
_TRIGGERS = ("open", "FileResponse", "remove", "unlink", "rmtree", "copy", "move", "rename", "_text",
             "_bytes", "touch", "rmdir", "replace")


@collector(PATH_SINKS, triggers=_TRIGGERS)
def collect_path_sinks(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, os.path.basename(path).startswith("__init__."))
    names: Dict[str, str] = {}
    for stmt in module_statements(module.body):
        names.update(import_bindings(stmt, package))

    def lookup(name: str) -> Optional[str]:
        return names.get(name, f"builtins.{name}" if name in ("open", "str") else None)

    functions = [s for s in module.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and
                 (s.args.args or s.args.posonlyargs or s.args.kwonlyargs)]
    if not functions:
        return
    # only functions holding a sink call are analysed: one pass over the shared node list
    spans = sorted((f.lineno, f.end_lineno or f.lineno, i) for i, f in enumerate(functions))
    starts = [first for first, _, _ in spans]
    holding: Set[int] = set()
    for node in tree.of_type(ast.Call):
        if _is_sink(node, lookup):  # type: ignore[arg-type]
            index = bisect_right(starts, node.lineno) - 1  # type: ignore[attr-defined]
            if index >= 0 and spans[index][1] >= node.lineno:  # type: ignore[attr-defined]
                holding.add(spans[index][2])
    found = {}
    for index in sorted(holding):
        params = _reaching_params(functions[index], lookup)
        if params:
            found[functions[index].name] = params
    if found:
        summary.extra[PATH_SINKS] = found


def _is_sink(call: ast.Call, lookup: Callable[[str], Optional[str]]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in PATH_SINK_METHODS:
        return True
    return isinstance(func, (ast.Name, ast.Attribute)) and resolve(func, lookup) in SINKS


def _reaching_params(function: ast.AST, lookup: Callable[[str], Optional[str]]) -> Params:
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    args = function.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    taint: Dict[str, Set[str]] = {name: {name} for name in positional + [a.arg for a in args.kwonlyargs]}
    nodes = sorted((n for n in ast.walk(function) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Call))),
                   key=lambda n: (n.lineno, n.col_offset))
    reached: Set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _CHECKS or (
                    isinstance(func, ast.Name) and func.id in _CHECKS):
                return ()  # a containment check: the function guards its paths
            reached |= _sink_labels(node, taint, lookup)
        elif node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            labels = _labels(node.value, taint, lookup)
            for target in targets:
                if isinstance(target, ast.Name):
                    taint[target.id] = labels
    keyword_only = [a.arg for a in args.kwonlyargs]
    return tuple((i, name) for i, name in enumerate(positional) if name in reached) + tuple(
        (-1, name) for name in keyword_only if name in reached)


def _sink_labels(call: ast.Call, taint: Dict[str, Set[str]], lookup: Callable[[str], Optional[str]]) -> Set[str]:
    name = resolve(call.func, lookup)
    spec = SINKS.get(name or "")
    labels: Set[str] = set()
    if spec is not None:
        for index, keyword in spec:
            value = _argument(call, index, keyword)
            if value is not None:
                labels |= _labels(value, taint, lookup)
    elif isinstance(call.func, ast.Attribute) and call.func.attr in PATH_SINK_METHODS:
        labels |= _labels(call.func.value, taint, lookup)
    return labels


def _labels(expr: ast.AST, taint: Dict[str, Set[str]], lookup: Callable[[str], Optional[str]]) -> Set[str]:
    """The parameters whose text ``expr`` keeps (with its directory part)."""
    if isinstance(expr, ast.Name):
        return set(taint.get(expr.id, ()))
    if isinstance(expr, ast.JoinedStr):
        return _union((v.value for v in expr.values if isinstance(v, ast.FormattedValue)), taint, lookup)
    if isinstance(expr, ast.BinOp):
        return _union((expr.left, expr.right), taint, lookup)
    if isinstance(expr, (ast.Tuple, ast.List)):
        return _union(expr.elts, taint, lookup)
    if isinstance(expr, ast.Call):
        func = expr.func
        name = resolve(func, lookup)
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in SANITIZE or last in ("secure_filename", "basename"):
            return set()
        if name in PROPAGATE:
            return _union(expr.args, taint, lookup)
        if isinstance(func, ast.Attribute) and func.attr in PATH_METHODS:
            return _union([func.value, *expr.args], taint, lookup)
        if isinstance(func, ast.Attribute) and func.attr == "join":
            return _union(expr.args, taint, lookup)
    return set()  # attributes (.name, .stem), subscripts, other calls: no path text kept


def _union(exprs: Iterable[ast.AST], taint: Dict[str, Set[str]], lookup: Callable[[str], Optional[str]]) -> Set[str]:
    out: Set[str] = set()
    for expr in exprs:
        out |= _labels(expr, taint, lookup)
    return out


def _argument(call: ast.Call, index: int, keyword: str) -> Optional[ast.AST]:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if 0 <= index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


# -- what the rule asks ----------------------------------------------------------------------
def helper_params(project: Optional[ProjectIndex], qualified: str) -> Params:
    """The parameters of project function ``qualified`` (``app.storage.media_file``) that reach
    a filesystem call; () for anything else."""
    if project is None or "." not in qualified:
        return ()
    module, _, function = qualified.rpartition(".")
    summary = project.find_module(module)
    if summary is None:
        return ()
    found = summary.extra.get(PATH_SINKS)
    return found.get(function, ()) if isinstance(found, dict) else ()


def calls_helper(project: Optional[ProjectIndex], text: str) -> bool:
    """Whether ``text`` may call a project function some of whose parameters reach a
    filesystem call (``name(`` or ``.name(``, as any import or attribute spells it)."""
    if project is None:
        return False
    pattern = project.derived(PATH_SINKS, _call_pattern)
    return pattern is not None and pattern.search(text) is not None


def _call_pattern(project: ProjectIndex) -> Optional["re.Pattern[str]"]:
    names: Set[str] = set()
    for summary in project.modules.values():
        found = summary.extra.get(PATH_SINKS)
        if isinstance(found, dict):
            names.update(found)
    if not names:
        return None
    return lazy_pattern(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")\s*\(")

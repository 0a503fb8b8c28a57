"""Served code: which functions of the project run while the app serves requests.

RULES.md ("Served code"): an async function reachable only from startup/shutdown
(``lifespan``, ``on_event``), from command-line entry points (``if __name__ ==
"__main__":``, ``asyncio.run(...)`` at module level or in a function only called from there,
typer/click commands), or living in migrations or ``script-paths`` is not served code.
FAPI101-FAPI106, FAPI112 and FAPI301 ask :func:`in_served_code` before reporting.

The project pass (:func:`collect_uses`, one ``ast`` walk per module) records for every
module-level function and every method of a module-level class the project names its body
uses — called or merely referenced (``Depends(f)``, ``to_thread(f)``), nested functions
included — and how module-level code uses them: in a served context (route decorators,
``include_router``, defaults), as a startup hook (``lifespan=``, ``on_startup=``,
``add_event_handler``, ``@app.on_event``) or as a command-line entry (``__main__`` block,
module-level ``asyncio.run``, ``@cli.command()`` of a typer/click app).

:class:`ServedCode` then answers, once per index and path configuration, which functions are
served: those reachable from a served use, plus those whose callers are unknown (no use of
them is seen: routes registered by decorators, library functions, methods called through
untyped receivers). A coroutine that startup code hands to ``create_task``/``start_soon``
runs alongside the requests, so it is served. Uses from test code are ignored (tests are
no callers of the app); uses from scripts and migrations are command-line uses.

The call graph's twin (``calls.py``): a reachability question over the same module summaries.
"""
from __future__ import annotations

import ast
import functools
import os
import sys
from sys import intern
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastapi_lint.project.astnames import import_bindings, importing_package, resolve
from fastapi_lint.project.index import LazyAst, ModuleSummary, ProjectIndex, collector

if TYPE_CHECKING:
    from fastapi_lint.context import FileContext

SERVED = "served_code"
# migrations never run while serving, whatever script-paths says
MIGRATION_PATHS: Tuple[str, ...] = ("alembic/**", "migrations/**", "**/alembic/**", "**/migrations/**")

# how a use reaches a function
_CALL = "call"
_SPAWN = "spawn"  # handed to a task runner: runs concurrently with whoever started it
_STARTUP = "startup"
_CLI = "cli"

_RUNNERS = frozenset({"asyncio.run", "anyio.run", "trio.run", "uvloop.run"})
_RUNNER_NAMES = frozenset({"run"})
_SPAWNERS = frozenset({"create_task", "ensure_future", "start_soon", "run_coroutine_threadsafe", "spawn"})
_STARTUP_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown"})
# ``@router.get(...)``, ``@app.middleware("http")``...: a decorator that registers the
# function to handle requests is a served use of it (a CLI may call it too)
_SERVING_DECORATORS = frozenset({
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "route",
    "websocket", "websocket_route", "middleware", "exception_handler",
})
_CLI_LIBRARIES = ("typer.", "click.", "asyncclick.")
_CLI_DECORATORS = frozenset({"command", "group", "callback", "result_callback"})
_REEXPORT_DEPTH = 4
_SKIPPED_HEADS = frozenset({"builtins", "<local>"})


@dataclass(frozen=True)
class FunctionUses:
    calls: Tuple[str, ...]  # project names the body uses (resolved, may be other libraries')
    spawns: Tuple[str, ...] = ()  # names handed to create_task/start_soon...
    registers: Tuple[str, ...] = ()  # names the body registers as startup hooks (lifespan=)
    entry: str = ""  # "startup" / "cli" when a decorator makes it one
    # ``@cli.command()`` with ``cli`` a project name: an entry when that name is a CLI app
    cli_receiver: str = ""


@dataclass(frozen=True)
class ModuleUses:
    path: str  # relative to the project root, posix (from the module name)
    functions: Dict[str, FunctionUses]
    imports: Dict[str, str]
    served: Tuple[str, ...]  # names module-level code uses while the app is built
    startup: Tuple[str, ...]
    cli: Tuple[str, ...]
    cli_apps: Tuple[str, ...]  # module-level names bound to typer/click apps and groups
    # run as a script (a ``__main__`` guard) and serving nothing itself (no app, router or
    # route): unless another module imports it, its functions that nothing visible calls
    # are the script's, not unknown callers'
    script: bool = False


# -- the project pass ------------------------------------------------------------------------
# "import": a package __init__ without functions may still re-export one
@collector(SERVED, triggers=("def ", "import "))
def collect_uses(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    is_package = os.path.basename(path).startswith("__init__.")
    if not is_package and not any(word in text for word in ("def ", "__main__", "run(")):
        return  # no function, no entry point, and re-exports are a package's business
    module = tree.get()
    if module is None:
        return
    # splitlines() counts at least the lines ast numbers (CR-only files too)
    scanner = _Scanner(summary.module, importing_package(summary.module, is_package), len(text.splitlines()) + 2)
    scanner.scan(module.body, tree.nodes())
    rel = _module_path(summary.module, is_package)
    summary.extra[SERVED] = ModuleUses(
        rel, scanner.functions, scanner.imports, _unique(scanner.uses[_CALL] + scanner.uses[_SPAWN]),
        _unique(scanner.uses[_STARTUP]), _unique(scanner.uses[_CLI]), tuple(sorted(scanner.cli_apps)),
        scanner.has_main_guard and not scanner.serves and not summary.apps,
    )


def _unique(names: Iterable[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(names))


class _Scanner:
    """Two cheap passes: the module's statements (functions, entries, line ranges), then the
    module's nodes as the project pass already listed them, each use attributed by its line."""

    def __init__(self, module: str, package: str, lines: int) -> None:
        self.module = module
        self.package = package
        self.names: Dict[str, str] = {}
        self.imports: Dict[str, str] = {}
        self.functions: Dict[str, FunctionUses] = {}
        self.uses: Dict[str, List[str]] = {_CALL: [], _SPAWN: [], _STARTUP: [], _CLI: []}
        self.cli_apps: Set[str] = set()
        # line -> the function or method ("helper", "Class.method") or _MAIN it belongs to
        self._owner: List[Optional[str]] = [None] * lines
        self._entries: Dict[str, Tuple[str, str]] = {}
        self.has_main_guard = False
        self.serves = False  # a route or middleware is registered here

    def local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def scan(self, body: List[ast.stmt], nodes: List[ast.AST]) -> None:
        self._bind_names(body)
        self._scan_statements(body, False)
        uses: Dict[Optional[str], Dict[str, List[str]]] = {}
        self._uses(nodes, uses)
        for owner, found in uses.items():
            if owner is None:
                for how, names in found.items():
                    self.uses[how].extend(names)
            elif owner == _MAIN:
                for names in found.values():
                    self.uses[_CLI].extend(names)
        for key, (entry, receiver) in self._entries.items():
            found = uses.get(key, {})
            self.functions[key] = FunctionUses(
                _unique(found.get(_CALL, []) + found.get(_CLI, [])), _unique(found.get(_SPAWN, [])),
                _unique(found.get(_STARTUP, [])), entry, receiver,
            )

    def _bind_names(self, body: List[ast.stmt]) -> None:
        for stmt in _flatten(body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bound = import_bindings(stmt, self.package)
                self.names.update(bound)
                self.imports.update(bound)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.names[stmt.name] = self.local(stmt.name)
                if not isinstance(stmt, ast.ClassDef) and any(
                        self._cli_decorator(d, group_only=True) for d in stmt.decorator_list):
                    self.cli_apps.add(stmt.name)  # a click group: its .command() makes commands
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                bound = resolve(stmt.value, self._lookup)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.names[target.id] = bound or self.local(target.id)
                        if bound is not None and bound.startswith(_CLI_LIBRARIES):
                            self.cli_apps.add(target.id)

    def _lookup(self, name: str) -> Optional[str]:
        return self.names.get(name)

    def _claim(self, node: ast.AST, owner: str) -> None:
        end = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        for line in range(node.lineno, min(end, len(self._owner) - 1) + 1):  # type: ignore[attr-defined]
            self._owner[line] = owner

    def _scan_statements(self, body: List[ast.stmt], under_main: bool) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
                self.has_main_guard = True
                for inner in stmt.body:
                    self._claim(inner, _MAIN)
                self._scan_statements(stmt.body, True)
                self._scan_statements(stmt.orelse, under_main)
            elif isinstance(stmt, ast.If):
                self._scan_statements(stmt.body, under_main)
                self._scan_statements(stmt.orelse, under_main)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):  # type: ignore[attr-defined]
                    self._scan_statements(block, under_main)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._scan_function(stmt, None, under_main)
            elif isinstance(stmt, ast.ClassDef):
                for inner in stmt.body:
                    if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self._scan_function(inner, stmt.name, under_main)

    def _scan_function(self, node: ast.AST, class_name: Optional[str], under_main: bool) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        entry, receiver = "", ""
        key = f"{class_name}.{node.name}" if class_name else node.name
        for decorator in node.decorator_list:
            found = self._entry(decorator)
            if found is not None:
                entry, receiver = found
                continue
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and target.attr in _SERVING_DECORATORS and not under_main:
                self.uses[_CALL].append(self.local(key))
                self.serves = True
        if not entry and _is_lifespan(node, self._lookup):
            entry = _STARTUP
        self._entries[key] = (entry, receiver)
        self._claim(node, key)  # the def line on: decorators stay module level
        if under_main:  # a function defined under ``if __name__ == "__main__":``
            self.uses[_CLI].append(self.local(key))

    def _entry(self, decorator: ast.expr) -> Optional[Tuple[str, str]]:
        """("startup", "") for ``@app.on_event(...)``, ("cli", receiver) for CLI commands."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not isinstance(target, ast.Attribute):
            return None
        if target.attr == "on_event":
            return _STARTUP, ""
        if target.attr not in _CLI_DECORATORS:
            return None
        receiver = resolve(target.value, self._lookup)
        if receiver is None:
            return None
        if receiver.startswith(_CLI_LIBRARIES) or receiver in _CLI_LIBRARY_NAMES:
            return _CLI, ""
        return _CLI, receiver  # decided once the receiver's module is known

    def _cli_decorator(self, decorator: ast.expr, group_only: bool) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not isinstance(target, ast.Attribute) or target.attr not in ("group",) + (() if group_only else ("command",)):
            return False
        receiver = resolve(target.value, self._lookup)
        return receiver is not None and (receiver in _CLI_LIBRARY_NAMES or receiver.startswith(_CLI_LIBRARIES)
                                         or receiver.rpartition(".")[2] in self.cli_apps)

    # -- uses of names ---------------------------------------------------------------------
    def _uses(self, nodes: List[ast.AST], out: Dict[Optional[str], Dict[str, List[str]]]) -> None:
        """Every project name the module's code uses, by owner (line) and how it is used."""
        project_names = {k: v for k, v in self.names.items() if v.split(".", 1)[0] not in _STDLIB}
        owner_of = self._owner
        special: Dict[int, str] = {}  # id(node) -> how, inside the arguments of a special call
        name_type, attribute_type, call_type, load_type = ast.Name, ast.Attribute, ast.Call, ast.Load
        for node in nodes:
            kind_of = type(node)
            if kind_of is name_type:
                name = project_names.get(node.id)  # type: ignore[attr-defined]
                if name is None or type(node.ctx) is not load_type:  # type: ignore[attr-defined]
                    continue
            elif kind_of is attribute_type:
                base = node.value  # type: ignore[attr-defined]
                if type(base) is name_type and base.id in ("self", "cls"):
                    owner = owner_of[node.lineno]  # type: ignore[attr-defined]
                    if owner is None or "." not in owner:
                        continue
                    name = intern(f"{self.local(owner.split('.', 1)[0])}.{node.attr}")  # type: ignore[attr-defined]
                else:
                    name = self._chain(node, project_names)  # type: ignore[arg-type]
                    if name is None:
                        continue
            elif kind_of is call_type:
                if node.keywords or _short_name(node.func) in _SPECIAL_NAMES:  # type: ignore[attr-defined]
                    self._mark_special(node, special)  # type: ignore[arg-type]
                continue
            else:
                continue
            owner = owner_of[node.lineno]  # type: ignore[attr-defined]
            how = special.get(id(node), _CALL) if special else _CALL
            if how == _RUN:
                how = _CLI if owner is None else _CALL
            by_how = out.get(owner)
            if by_how is None:
                by_how = out[owner] = {}
            by_how.setdefault(how, []).append(name)

    def _chain(self, node: ast.Attribute, project_names: Dict[str, str]) -> Optional[str]:
        """``mod.sub.func`` as a project name, when its head is a module-level name."""
        attributes: List[str] = []
        base: ast.expr = node
        while type(base) is ast.Attribute:
            attributes.append(base.attr)  # type: ignore[attr-defined]
            base = base.value  # type: ignore[attr-defined]
        if type(base) is not ast.Name:
            return None
        head = project_names.get(base.id)  # type: ignore[attr-defined]
        # interned: a module uses the same names again and again, and its summary is pickled
        # (to the main process, into the cache) with one copy of each
        return None if head is None else intern(".".join([head, *reversed(attributes)]))

    def _mark_special(self, node: ast.Call, special: Dict[int, str]) -> None:
        """A task runner's, spawner's or startup registration's arguments are used that way."""
        func = node.func
        short = _short_name(func)
        how = None
        if (short in _RUNNER_NAMES and resolve(func, self._lookup) in _RUNNERS) or short == "run_until_complete":
            how = _RUN
        elif short in _SPAWNERS or short.endswith("Thread"):
            how = _SPAWN
        elif short == "add_event_handler":
            how = _STARTUP
        if how is not None:
            for arg in [*node.args, *(k.value for k in node.keywords if how != _SPAWN or k.arg == "target")]:
                _mark(arg, how, special)
        for keyword in node.keywords:
            if keyword.arg in _STARTUP_KEYWORDS:
                _mark(keyword.value, _STARTUP, special)


_APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})


def _is_lifespan(node: ast.AST, lookup) -> bool:
    """An ``@asynccontextmanager`` over ``(app: FastAPI)``: FastAPI's lifespan protocol, so a
    startup hook wherever it is registered (an app factory's ``lifespan_override=`` too)."""
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    if not isinstance(node, ast.AsyncFunctionDef) or not node.args.args:
        return False
    if not any(_short_name(d) == "asynccontextmanager" for d in node.decorator_list):
        return False
    annotation = node.args.args[0].annotation
    return annotation is not None and resolve(annotation, lookup) in _APP_CLASSES


def _short_name(func: ast.expr) -> str:
    kind_of = type(func)
    if kind_of is ast.Attribute:
        return func.attr  # type: ignore[attr-defined]
    return func.id if kind_of is ast.Name else ""  # type: ignore[attr-defined]


def _mark(root: ast.AST, how: str, special: Dict[int, str]) -> None:
    for node in ast.walk(root):
        if type(node) in (ast.Name, ast.Attribute):
            special.setdefault(id(node), how)


_MAIN = "<main>"
_SPECIAL_NAMES = frozenset({"run", "run_until_complete", "add_event_handler", "Thread"}) | _SPAWNERS
_RUN = "run"  # the argument of asyncio.run: a command-line use at module level, a call elsewhere
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | _SKIPPED_HEADS
_CLI_LIBRARY_NAMES = frozenset({"typer", "click", "asyncclick"})


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def _flatten(body: Sequence[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements of ``body``, looking into ``if``/``try`` blocks (the main guard's too: an
    import under it still binds a name)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _flatten(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _flatten(handler.body)
            yield from _flatten(stmt.orelse)  # type: ignore[attr-defined]
            yield from _flatten(stmt.finalbody)  # type: ignore[attr-defined]
        else:
            yield stmt


# -- the project-wide answer -----------------------------------------------------------------
FunctionKey = Tuple[str, str]  # (module, "helper" or "Class.method")


class ServedCode:
    """Which functions of the project are served, for one set of test and script paths."""

    def __init__(self, project: ProjectIndex, test_paths: Sequence[str], script_paths: Sequence[str]) -> None:
        self.modules: Dict[str, ModuleUses] = {}
        for name, summary in project.modules.items():
            uses = summary.extra.get(SERVED)
            if isinstance(uses, ModuleUses):
                self.modules[name] = uses
        self._resolve_module = project.resolve_module
        scripts = tuple(script_paths) + MIGRATION_PATHS
        tests = tuple(test_paths)
        self._tests = {m for m, u in self.modules.items() if _path_matches(u.path, tests)}
        self._scripts = {m for m, u in self.modules.items()
                         if m not in self._tests and _path_matches(u.path, scripts)}
        self.served = self._solve()

    def is_served(self, module: str, qualname: str) -> bool:
        if module in self._scripts:
            return False
        key = (module, qualname)
        uses = self.modules.get(module)
        if uses is None or qualname not in uses.functions or module in self._tests:
            # nothing known about its callers (test code is not analysed here: the rules
            # that skip tests do so by path, the others apply there)
            return True
        return key in self.served

    # -- resolution of a used name to a project function ------------------------------------
    def _module(self, name: str) -> Optional[str]:
        if name in self.modules:
            return name
        found = self._resolve_module(name)  # as Python imports it (src/ layouts, several roots)
        return found if found in self.modules else None

    def lookup(self, resolved: str, depth: int = 0) -> Optional[FunctionKey]:
        if depth > _REEXPORT_DEPTH:
            return None
        resolved = resolved.replace("()", "")  # an instance's method is its class's
        head, _, last = resolved.rpartition(".")
        if not head:
            return None
        module = self._module(head)
        if module is not None:
            uses = self.modules[module]
            if last in uses.functions:
                return module, last
            target = uses.imports.get(last)
            return self.lookup(target, depth + 1) if target is not None else None
        owner, _, class_name = head.rpartition(".")
        module = self._module(owner) if owner else None
        if module is not None:
            qualname = f"{class_name}.{last}"
            if qualname in self.modules[module].functions:
                return module, qualname
            target = self.modules[module].imports.get(class_name)
            if target is not None:
                return self.lookup(f"{target}.{last}", depth + 1)
        return None

    def _imported_modules(self) -> Set[str]:
        """Modules that app code imports from (a script importing another counts for nothing)."""
        found: Set[str] = set()
        for module, uses in self.modules.items():
            if module in self._tests or module in self._scripts or uses.script:
                continue
            for target in uses.imports.values():
                for candidate in (target, target.rpartition(".")[0]):
                    resolved = self._module(candidate) if candidate else None
                    if resolved is not None and resolved != module:
                        found.add(resolved)
        return found

    def _is_cli_app(self, resolved: str, depth: int = 0) -> bool:
        head, _, last = resolved.replace("()", "").rpartition(".")
        module = self._module(head) if head else None
        if module is None or depth > _REEXPORT_DEPTH:
            return False
        uses = self.modules[module]
        if last in uses.cli_apps:
            return True
        target = uses.imports.get(last)
        return target is not None and self._is_cli_app(target, depth + 1)

    # -- reachability ------------------------------------------------------------------------
    def _solve(self) -> Set[FunctionKey]:
        used: Set[FunctionKey] = set()  # used somewhere outside tests, any way
        served_seeds: List[FunctionKey] = []
        startup: List[FunctionKey] = []
        calls: Dict[FunctionKey, List[FunctionKey]] = {}
        spawns: Dict[FunctionKey, List[FunctionKey]] = {}

        def targets(names: Iterable[str], source: Optional[FunctionKey] = None) -> List[FunctionKey]:
            found = []
            for name in names:
                key = self.lookup(name)
                if key is not None and key != source:
                    used.add(key)
                    found.append(key)
            return found

        for module, uses in self.modules.items():
            if module in self._tests:
                continue
            script = module in self._scripts
            served_here = targets(uses.served)
            targets(uses.cli)
            startup.extend(targets(uses.startup))
            if not script:
                served_seeds.extend(served_here)
            for qualname, function in uses.functions.items():
                key = (module, qualname)
                calls[key] = targets(function.calls, key)
                spawns[key] = targets(function.spawns, key)
                startup.extend(targets(function.registers, key))
                if function.entry == _STARTUP:
                    startup.append(key)
                    used.add(key)
                elif function.entry == _CLI and (not function.cli_receiver
                                                 or self._is_cli_app(function.cli_receiver)):
                    used.add(key)
        imported = self._imported_modules()
        for module, uses in self.modules.items():
            if module in self._tests or module in self._scripts or (uses.script and module not in imported):
                continue
            served_seeds.extend((module, q) for q in uses.functions if (module, q) not in used)
        # a startup hook named by served code (``build_app(lifespan_override=hook)``) is handed
        # to the app, not run while it serves: no served use of it
        hooks = set(startup)
        served_seeds = [key for key in served_seeds if key not in hooks]
        startup_reach = _reach(startup, calls)
        for key in startup_reach:
            served_seeds.extend(spawns.get(key, ()))
        edges = {key: [target for target in calls.get(key, []) + spawns.get(key, []) if target not in hooks]
                 for key in calls}
        return {key for key in _reach(served_seeds, edges) if key[0] not in self._scripts}


def _reach(seeds: Iterable[FunctionKey], edges: Dict[FunctionKey, List[FunctionKey]]) -> Set[FunctionKey]:
    seen: Set[FunctionKey] = set()
    queue = deque(seeds)
    while queue:
        key = queue.popleft()
        if key in seen:
            continue
        seen.add(key)
        queue.extend(edges.get(key, ()))
    return seen


# -- the question rules ask ------------------------------------------------------------------
def served_code(project: ProjectIndex, test_paths: Sequence[str], script_paths: Sequence[str]) -> ServedCode:
    key = f"{SERVED}:{tuple(test_paths)!r}:{tuple(script_paths)!r}"
    return project.derived(key, lambda index: ServedCode(index, test_paths, script_paths), reads=(SERVED,))


def in_served_code(ctx: "FileContext") -> bool:
    """Whether the code at the traversal's current position runs while the app serves
    requests (or may: its callers are unknown). False in scripts, migrations, and in
    functions reachable only from startup/shutdown hooks or command-line entry points."""
    config = getattr(ctx, "config", None)
    project = ctx.project
    if config is None or project is None:
        return True
    facts = ctx.facts
    if _is_script_file(facts.module_name, facts.package == facts.module_name, tuple(config.script_paths)):
        return False
    table = served_code(project, config.test_paths, config.script_paths)
    module = facts.module_name
    qualname = _outer_function(ctx.frames)
    return qualname is None or table.is_served(module, qualname)


class MainGuardAware:
    """Mixin for rules that also report at module level: code under ``if __name__ ==
    "__main__":`` runs from the command line only. (Functions are the project pass's
    business; the guard's own statements are this file's.)"""

    _main_guards = 0

    def visit_If(self, node: cst.If) -> None:
        if _is_cst_main_guard(node.test):
            self._main_guards += 1

    def leave_If(self, original_node: cst.If) -> None:
        if _is_cst_main_guard(original_node.test):
            self._main_guards -= 1

    def in_served_code(self) -> bool:
        return not self._main_guards and in_served_code(self.ctx)  # type: ignore[attr-defined]


def _is_cst_main_guard(test: cst.BaseExpression) -> bool:
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)):
        return False
    sides = [test.left, test.comparisons[0].comparator]
    has_name = any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides)
    has_main = any(isinstance(s, cst.SimpleString) and s.value[1:-1] == "__main__" for s in sides)
    return has_name and has_main


def _is_script_file(module: str, is_package: bool, script_paths: Tuple[str, ...]) -> bool:
    return _matches(module, is_package, script_paths + MIGRATION_PATHS)


# the language server builds ServedCode again after every edit that changes project facts:
# the glob matching of every module's path was most of that
@functools.lru_cache(maxsize=65536)
def _path_matches(path: str, patterns: Tuple[str, ...]) -> bool:
    from fastapi_lint.engine import is_test_path  # engine imports the rules, which import us

    return is_test_path(path, patterns)


@functools.lru_cache(maxsize=4096)
def _matches(module: str, is_package: bool, patterns: Tuple[str, ...]) -> bool:
    from fastapi_lint.engine import is_test_path  # engine imports the rules, which import us

    return is_test_path(_module_path(module, is_package), patterns)


def _module_path(module: str, is_package: bool) -> str:
    """The file's path relative to the root, as the module name spells it."""
    return module.replace(".", "/") + ("/__init__.py" if is_package else ".py")


def _outer_function(frames: Sequence[object]) -> Optional[str]:
    """``helper`` or ``Class.method``: the module-level function or method the position is in."""
    if len(frames) < 2:
        return None
    first = frames[1].node  # type: ignore[attr-defined]
    if isinstance(first, cst.FunctionDef):
        return first.name.value
    if isinstance(first, cst.ClassDef) and len(frames) > 2:
        second = frames[2].node  # type: ignore[attr-defined]
        if isinstance(second, cst.FunctionDef):
            return f"{first.name.value}.{second.name.value}"
    return None


def in_script_paths(ctx: "FileContext") -> bool:
    """Whether the file matches ``script-paths``: command-line code run by hand, which
    ships with no deployment (migrations aside: they run on every deploy)."""
    config = getattr(ctx, "config", None)
    if config is None:
        return False
    facts = ctx.facts
    return _matches(facts.module_name, facts.package == facts.module_name, tuple(config.script_paths))


def in_migrations(ctx: "FileContext") -> bool:
    """Whether the file is a migration: it runs on every deploy, its output in the deploy's logs."""
    facts = ctx.facts
    return _matches(facts.module_name, facts.package == facts.module_name, MIGRATION_PATHS)

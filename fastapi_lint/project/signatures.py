"""The project-wide index of dependency signatures, built in the cheap project pass.

FastAPI reads a route's parameters from the route function *and* from every dependency it
declares, recursively. Rules that reason about which request values a route consumes
(FAPI206's path parameters) and the shared parameter classification (an ``Annotated`` alias
such as ``CurrentUser = Annotated[User, Depends(get_current_user)]`` imported from another
module) need that information for callables defined in any module of the project.

For each module the collector records, from one ``ast`` parse:

- ``callables``: the parameters FastAPI would see for every module-level function
  (``name``), class (``Class``: ``__init__`` parameters, or the annotated class fields of a
  dataclass/pydantic model), callable instance type (``Class()``: ``__call__`` parameters)
  and dependency factory (``factory()``: the signature of the nested function it returns);
- ``aliases``: module-level names bound to another dotted name (``checker = Checker()``
  -> ``"pkg.mod.Checker()"``, and imports, so re-exports resolve);
- ``annotated``: module-level ``Annotated[...]`` aliases carrying a FastAPI marker;
- ``enums``: enum classes (read by FastAPI as scalars, unlike models).

Each parameter is ``(name, dependency)``: the name FastAPI reads (the marker's ``alias=``
when given; ``"*"`` for a callable that reads ``request.path_params`` itself, or hands its
``Request`` to other code in a module that reads them), and ``""`` for a plain parameter, ``"?"`` for a dependency whose target is not
statically known, the dotted name of the dependency callable, or ``"alias:<dotted>"`` when
the annotation is a name that may be an ``Annotated`` alias (decided at query time, since
the alias may live in a module the pass has not read yet).
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Set, Tuple

from fastapi_lint.project.astnames import import_bindings, importing_package, module_statements, resolve
from fastapi_lint.project.index import LazyAst, ModuleSummary, ProjectIndex, collector

SIGNATURES = "signatures"
UNKNOWN = "?"
ALIAS = "alias:"
# the parameter name of a callable that reads ``request.path_params`` itself: every name
ANY_NAME = "*"
_NOT_ALIASES = ("builtins.", "typing.", "fastapi.", "starlette.", "pydantic.", "datetime.", "uuid.")
_DEPENDS_MARKERS = frozenset({"Depends", "Security"})
_FIELD_MARKERS = frozenset({"Path", "Query", "Header", "Cookie", "Body", "Form", "File"})
# any module defining something may hold a dependency (`def get_db(): ...` in db.py)
_TRIGGERS = ("def ", "class ", "Annotated")
_MAX_DEPTH = 8

Param = Tuple[str, str]
Signature = Tuple[Param, ...]


@dataclass(frozen=True)
class ModuleSignatures:
    callables: Dict[str, Signature] = field(default_factory=dict)
    aliases: Dict[str, str] = field(default_factory=dict)
    # alias name -> (marker kind: "depends"/"path"/..., dependency target or "")
    annotated: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    # enum classes: FastAPI reads them as scalars (query/path), unlike models
    enums: Set[str] = field(default_factory=set)


@collector(SIGNATURES)
def _collect(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    # Packages' __init__ files are read even without triggers: they re-export dependencies.
    is_package = os.path.basename(path).startswith("__init__.")
    if not any(t in text for t in _TRIGGERS) and not is_package:
        return
    module = tree.partial()  # what a module defines, also in one this Python cannot parse
    if module is None:
        return
    package = importing_package(summary.module, is_package)
    found = _Collector(summary.module, package, text).run(module)
    if found.callables or found.aliases or found.annotated or found.enums:
        summary.extra[SIGNATURES] = found


class _Collector:
    def __init__(self, module: str, package: str, text: str) -> None:
        self.module = module
        self.package = package
        # lines of a module mentioning `path_params`: some function may read the request's
        # path itself (a line scan is much cheaper than walking every function's tree)
        self.lines = text.splitlines() if "path_params" in text else []
        self.names: Dict[str, str] = {}
        self.module_defs: Set[str] = set()
        self.out = ModuleSignatures()

    def run(self, tree: ast.Module) -> ModuleSignatures:
        statements = list(module_statements(tree.body))
        for stmt in statements:  # bind every name first: definitions may come in any order
            self._bind(stmt)
        for stmt in statements:
            self._record(stmt)
        return self.out

    # -- names ---------------------------------------------------------------------------
    def _bind(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound = import_bindings(stmt, self.package)
            self.names.update(bound)
            if isinstance(stmt, ast.ImportFrom):
                # a re-export (``from .deps import get_db`` in a package): queries follow it
                self.out.aliases.update(bound)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.names[stmt.name] = self._local(stmt.name)
            self.module_defs.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            # ``oauth2_scheme = OAuth2PasswordBearer(...)``: ``Depends(oauth2_scheme)`` names
            # this module's binding, which ``aliases`` follows
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if isinstance(target, ast.Name):
                    self.names[target.id] = self._local(target.id)

    def _local(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def resolve(self, expr: ast.expr) -> Optional[str]:
        return resolve(expr, self._name)

    def _name(self, name: str) -> Optional[str]:
        return self.names.get(name, f"builtins.{name}" if name in _BUILTIN_TYPES else None)

    # -- records -------------------------------------------------------------------------
    def _record(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.out.callables[stmt.name] = self._signature(stmt, skip_first=False)
            factory = _returned_function(stmt)
            if factory is not None:
                self.out.callables[stmt.name + "()"] = self._signature(factory, skip_first=False)
            else:
                returned = self._returned_callables(stmt)
                if returned:
                    # `return a if required else b`: read as a dependency on both
                    self.out.callables[stmt.name + "()"] = tuple(("", target) for target in returned)
        elif isinstance(stmt, ast.ClassDef):
            self._record_class(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self._record_assignment(target.id, stmt.value)

    def _returned_callables(self, func) -> Tuple[str, ...]:
        """Module-level callables a factory returns by name (``return a if flag else b``)."""
        values = [s.value for s in func.body if isinstance(s, ast.Return) and s.value is not None]
        names: list = []
        for value in values:
            names.extend((value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,))
        if not names or not all(isinstance(n, ast.Name) and n.id in self.module_defs for n in names):
            return ()
        return tuple(self._local(n.id) for n in names)

    def _record_class(self, node: ast.ClassDef) -> None:
        if any((self.resolve(b) or "").endswith(_ENUM_BASES) for b in node.bases):
            self.out.enums.add(node.name)
        methods = {
            s.name: s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        init = methods.get("__init__")
        if init is not None:
            self.out.callables[node.name] = self._signature(init, skip_first=True)
        else:
            fields = tuple(
                (s.target.id, "") for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            )
            # without fields or __init__ the parameters come from a base class we do not follow
            if fields or not node.bases:
                self.out.callables[node.name] = fields
        call = methods.get("__call__")
        if call is not None:
            self.out.callables[node.name + "()"] = self._signature(call, skip_first=True)

    def _record_assignment(self, name: str, value: ast.expr) -> None:
        if isinstance(value, ast.Subscript) and self._is_annotated(value.value):
            marker = self._annotated_marker(value)
            if marker is not None:
                self.out.annotated[name] = marker
            return
        if isinstance(value, (ast.Name, ast.Attribute, ast.Call)):
            target = self.resolve(value)
            if target is not None:
                self.out.aliases[name] = target

    def _is_annotated(self, expr: ast.expr) -> bool:
        return (self.resolve(expr) or "").rpartition(".")[2] == "Annotated"

    def _annotated_marker(self, node: ast.Subscript) -> Optional[Tuple[str, str]]:
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for meta in reversed(elements[1:]):  # FastAPI uses the last marker
            kind = self._marker_kind(meta)
            if kind is not None:
                target = self._depends_target(meta, elements[0]) if kind == "depends" else ""
                return kind, target
        return None

    def _marker_kind(self, expr: Optional[ast.expr]) -> Optional[str]:
        if not isinstance(expr, ast.Call):
            return None
        name = (self.resolve(expr.func) or "").rpartition(".")[2]
        if name in _DEPENDS_MARKERS:
            return "depends"
        if name in _FIELD_MARKERS:
            return name.lower()
        return None

    def _depends_target(self, call: ast.Call, annotation: Optional[ast.expr]) -> str:
        dependency = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "dependency"), None
        )
        if dependency is None:  # Depends(): the annotated class itself
            dependency = _unwrap(annotation) if annotation is not None else None
        if dependency is None:
            return UNKNOWN
        return self.resolve(dependency) or UNKNOWN

    def _signature(self, func, skip_first: bool) -> Signature:
        args: ast.arguments = func.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        if skip_first and pairs:
            pairs = pairs[1:]
        params = tuple(self._param(arg, default) for arg, default in pairs)
        if self.lines and (
            any("path_params" in line for line in self.lines[func.lineno - 1:func.end_lineno])
            or _hands_request_on(func)
        ):
            params += ((ANY_NAME, ""),)
        return params

    def _param(self, arg: ast.arg, default: Optional[ast.expr]) -> Param:
        annotation = arg.annotation
        metadata = []
        if isinstance(annotation, ast.Subscript) and self._is_annotated(annotation.value):
            elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
            metadata = elements[1:]
        for marker in [default, *reversed(metadata)]:
            kind = self._marker_kind(marker)
            if kind == "depends":
                assert isinstance(marker, ast.Call)
                inner = annotation.slice.elts[0] if metadata else annotation  # type: ignore[union-attr]
                return arg.arg, self._depends_target(marker, inner)
            if kind is not None:
                assert isinstance(marker, ast.Call)
                return _alias_of(marker) or arg.arg, ""
        if isinstance(annotation, (ast.Name, ast.Attribute)):
            target = self.resolve(annotation)
            if target is not None and not target.startswith(_NOT_ALIASES):
                # maybe an Annotated alias (of this or another module): decided when read
                return arg.arg, ALIAS + target
        return arg.arg, ""


_ENUM_BASES = ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")
_BUILTIN_TYPES = frozenset({"int", "str", "float", "bool", "bytes", "dict", "list", "set", "tuple", "object"})


def _hands_request_on(func) -> bool:
    """The callable passes its ``Request`` parameter to other code (``check(request=request)``):
    in a module that reads ``request.path_params``, that code may read any path parameter."""
    args = func.args
    requests = {
        a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        if a.annotation is not None and _annotation_name(a.annotation) == "Request"
    }
    if not requests:
        return False
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            values = [*node.args, *(k.value for k in node.keywords)]
            if any(isinstance(v, ast.Name) and v.id in requests for v in values):
                return True
    return False


def _annotation_name(annotation: ast.expr) -> str:
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    return annotation.id if isinstance(annotation, ast.Name) else ""


def _returned_function(func: ast.AST) -> Optional[ast.AST]:
    """The nested function a dependency factory returns (``def factory(): def dep(): ...; return dep``)."""
    nested = {
        s.name: s for s in func.body  # type: ignore[attr-defined]
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if not nested:
        return None
    for stmt in func.body:  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name) and stmt.value.id in nested:
            return nested[stmt.value.id]
    return None


def _unwrap(annotation: ast.expr) -> Optional[ast.expr]:
    if isinstance(annotation, ast.Subscript):
        return None  # List[X], Optional[X]...: not a class FastAPI can call
    return annotation


def _alias_of(call: ast.Call) -> Optional[str]:
    """The request name of a marker: ``validation_alias=`` wins over ``alias=``."""
    found = {
        kw.arg: kw.value.value for kw in call.keywords
        if kw.arg in ("alias", "validation_alias")
        and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
    }
    return found.get("validation_alias") or found.get("alias")


# -- queries -----------------------------------------------------------------------------
@dataclass
class _Memo:
    project: ProjectIndex
    modules: Dict[str, Optional[ModuleSummary]] = field(default_factory=dict)
    packages: Set[str] = field(default_factory=set)  # every component of a project module name


def _memo(project: ProjectIndex) -> _Memo:
    return project.derived("signatures-memo", _new_memo)


def _new_memo(project: ProjectIndex) -> _Memo:
    memo = _Memo(project)
    memo.packages = {part for name in project.modules for part in name.split(".")}
    return memo


def _find_module(project: ProjectIndex, module: str) -> Optional[ModuleSummary]:
    """``project.find_module`` memoized per index: its suffix match scans every module."""
    modules = _memo(project).modules
    if module not in modules:
        modules[module] = project.find_module(module)
    return modules[module]


def _lookup(project: ProjectIndex, dotted_name: str) -> Tuple[Optional[ModuleSignatures], str, bool]:
    """(signatures of the module defining ``dotted_name``, the local name, whether the name may
    belong to the project: its module is found, or its top package is one of the project's)."""
    module, _, name = dotted_name.rpartition(".")
    if module.startswith("<"):
        return None, name, True  # "<local>.x": a function nested in another, not indexed
    if not module or dotted_name.startswith(_NOT_ALIASES):
        return None, name, False
    summary = _find_module(project, module)
    if summary is None:
        return None, name, module.split(".", 1)[0] in _memo(project).packages
    found = summary.extra.get(SIGNATURES)
    return (found if isinstance(found, ModuleSignatures) else None), name, True


def is_project_enum(project: Optional[ProjectIndex], dotted_name: str) -> bool:
    """``dotted_name`` is an enum class defined in (or re-exported by) a project module."""
    if project is None:
        return False
    for _ in range(_MAX_DEPTH):
        found, name, _ = _lookup(project, dotted_name)
        if found is None:
            return False
        if name in found.enums:
            return True
        target = found.aliases.get(name)
        if target is None or target == dotted_name:
            return False
        dotted_name = target
    return False


def annotated_alias(project: Optional[ProjectIndex], dotted_name: str) -> Optional[Tuple[str, str]]:
    """``(kind, dependency)`` of an ``Annotated`` alias defined in a project module, else None."""
    if project is None:
        return None
    for _ in range(_MAX_DEPTH):
        found, name, _ = _lookup(project, dotted_name)
        if found is None:
            return None
        if name in found.annotated:
            return found.annotated[name]
        target = found.aliases.get(name)
        if target is None or target == dotted_name:
            return None
        dotted_name = target
    return None


def reached_dependencies(project: Optional[ProjectIndex], target: str) -> Tuple[Tuple[str, ...], bool]:
    """The dotted names ``target`` designates and depends on, any depth: the names along its
    aliases (``oauth2 = OAuth2PasswordBearer(...)`` -> ``fastapi.security.OAuth2PasswordBearer()``)
    and those of its sub-dependencies (``Annotated`` aliases followed); and whether that is
    all of them (False when a project callable on the way cannot be found)."""
    reached: Dict[str, None] = {}
    complete = project is not None and _reach(project, target, reached, 0)
    return tuple(reached), complete


def _reach(project: ProjectIndex, target: str, reached: Dict[str, None], depth: int) -> bool:
    if target == UNKNOWN or depth > _MAX_DEPTH:
        return False
    if target in reached:
        return True
    for _ in range(_MAX_DEPTH):  # the alias chain: every name on it counts
        reached[target] = None
        instance = target.endswith("()")
        found, name, in_project = _lookup(project, target[:-2] if instance else target)
        if not in_project:
            return True
        if found is None:
            return False
        if (name + "()" if instance else name) in found.callables:
            break
        alias = found.aliases.get(name)
        if alias is None or alias in reached:
            return alias is not None
        target = alias + "()" if instance and not alias.endswith("()") else alias
    for _, dependency in _signature_of(project, target) or ():
        if dependency.startswith(ALIAS):
            marker = annotated_alias(project, dependency[len(ALIAS):])
            dependency = marker[1] if marker is not None and marker[0] == "depends" else ""
        if dependency and not _reach(project, dependency, reached, depth + 1):
            return False
    return True


def consumed_names(project: Optional[ProjectIndex], target: str) -> Optional[FrozenSet[str]]:
    """Every request parameter name the dependency ``target`` reads, through sub-dependencies.

    None when some callable on the way cannot be found in the project (its parameters are
    unknown). A target outside the project (a library) reads no names of interest.
    """
    names: Set[str] = set()
    if _consume(project, target, names, set(), 0):
        return frozenset(names)
    return None


def _consume(project: Optional[ProjectIndex], target: str, names: Set[str], seen: Set[str], depth: int) -> bool:
    """Add the names ``target`` reads to ``names``; False when they cannot be known."""
    if project is None or target == UNKNOWN or depth > _MAX_DEPTH:
        return False
    if target in seen:
        return True
    seen.add(target)
    signature = _signature_of(project, target)
    if signature is None:
        return False
    for name, dependency in signature:
        if dependency.startswith(ALIAS):
            marker = annotated_alias(project, dependency[len(ALIAS):])
            dependency = marker[1] if marker is not None and marker[0] == "depends" else ""
        if not dependency:
            names.add(name)
        elif not _consume(project, dependency, names, seen, depth + 1):
            return False
    return True


def _signature_of(project: ProjectIndex, target: str) -> Optional[Signature]:
    """The signature of ``target``; ``()`` for callables outside the project; None if unknown."""
    for _ in range(_MAX_DEPTH):
        instance = target.endswith("()")
        base = target[:-2] if instance else target
        found, name, in_project = _lookup(project, base)
        if not in_project:
            return ()
        if found is None:
            return None
        key = name + "()" if instance else name
        if key in found.callables:
            return found.callables[key]
        alias = found.aliases.get(name)
        if alias is None or alias == base:
            return None
        target = alias + "()" if instance else alias
    return None

"""The project's pydantic models, for FAPI501 and FAPI502.

The project pass (:func:`collect_models`, an ``ast`` walk of module-level statements and
route-decorated functions) records per module:

- every top-level class with its base classes, resolved through the module's imports
  (``from .base import UserBase`` in ``app/schemas/user.py`` -> ``app.schemas.base.UserBase``);
- the names used as response models: the ``response_model=`` of route decorators and
  ``add_api_route`` calls, and the return annotations of route-decorated functions, with
  their containers unwrapped (``List[UserOut]``, ``Optional[...]``, ``Page[UserOut]``);
- whether the module shows a pydantic v1 installation (imports that exist only in v1).

:class:`ModelIndex` answers the questions over the whole project: is a class a pydantic
model (transitively through project classes), which classes are response models, and which
response models expose the fields a class declares (itself and its subclasses).
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from fastapi_lint.astnames import import_bindings, importing_package, parse_quietly
from fastapi_lint.project import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.words import name_parts

MODELS = "models"
PYDANTIC_BASES = frozenset({
    "pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel", "sqlmodel.main.SQLModel",
    "pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.generics.GenericModel",
    "pydantic.RootModel", "pydantic.root_model.RootModel",
})
RESPONSE_SUFFIXES = frozenset({"response", "out", "public", "read"})
_ROUTE_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route",
})
# imports that exist only in pydantic v1: the project runs v1
_V1_ONLY = re.compile(
    r"^\s*from\s+pydantic\s+import\s+(?:\([^)]*\bBaseSettings\b[^)]*\)|[^\n]*\bBaseSettings\b)"
    r"|^\s*from\s+pydantic\.(?:generics|error_wrappers|env_settings|typing)\s+import"
    r"|^\s*from\s+pydantic\.fields\s+import\s+[^\n]*\bModelField\b",
    re.M,
)

Key = Tuple[str, str]  # (module, class name)


@dataclass(frozen=True)
class ModuleModels:
    classes: Dict[str, Tuple[str, ...]]  # class name -> resolved base names
    responses: Tuple[str, ...]  # resolved names used as response models
    pydantic_v1: bool


# -- the project pass ------------------------------------------------------------------------
@collector(MODELS, triggers=("BaseModel", "SQLModel", "BaseSettings", "response_model", "->"))
def collect_models(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, os.path.basename(path).startswith("__init__."))
    names = _module_names(module, summary.module, package)
    classes: Dict[str, Tuple[str, ...]] = {}
    responses: Set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, ast.ClassDef):
            classes[stmt.name] = tuple(
                r for r in (_resolve(_base_expr(b), names) for b in stmt.bases) if r is not None
            )
    # routes are module-level functions or methods of module-level classes (class-based views)
    for stmt in module.body:
        for node in stmt.body if isinstance(stmt, ast.ClassDef) else (stmt,):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                responses.update(_route_responses(node, names))
    if "add_api_route" in text:
        for node in tree.nodes():
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_api_route":
                responses.update(_response_model_refs(node, names))
    v1 = bool(_V1_ONLY.search(text))
    if classes or responses or v1:
        summary.extra[MODELS] = ModuleModels(classes, tuple(sorted(responses)), v1)


def _module_names(module: ast.Module, module_name: str, package: str) -> Dict[str, str]:
    """Top-level imports and classes: local name -> dotted name."""
    names: Dict[str, str] = {}
    for stmt in module.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update(import_bindings(stmt, package))
        elif isinstance(stmt, ast.ClassDef):
            names[stmt.name] = f"{module_name}.{stmt.name}" if module_name else stmt.name
    return names


def _dotted(expr: ast.expr) -> Optional[str]:
    parts: List[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def _resolve(expr: Optional[ast.expr], names: Dict[str, str]) -> Optional[str]:
    text = _dotted(expr) if expr is not None else None
    if text is None:
        return None
    head, _, rest = text.partition(".")
    target = names.get(head)
    if target is None:
        return text
    return f"{target}.{rest}" if rest else target


def _base_expr(base: ast.expr) -> ast.expr:
    """``Generic[T]``-style bases: ``BaseModel`` of ``GenericModel[T]`` is the subscripted value."""
    return base.value if isinstance(base, ast.Subscript) else base


def _is_route_call(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_METHODS
    )


def _route_responses(function: ast.AST, names: Dict[str, str]) -> Set[str]:
    """Response models of a route-decorated function: ``response_model=`` and the return annotation."""
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    route_calls = [d for d in function.decorator_list if _is_route_call(d)]
    if not route_calls:
        return set()
    found: Set[str] = set()
    explicit = False
    for call in route_calls:
        assert isinstance(call, ast.Call)
        for keyword in call.keywords:
            if keyword.arg == "response_model":
                explicit = True
                found.update(_referenced(keyword.value, names))
    # `response_model=` (even None) overrides the return annotation
    if not explicit and function.returns is not None:
        found.update(_referenced(function.returns, names))
    return found


def _response_model_refs(call: ast.Call, names: Dict[str, str]) -> Set[str]:
    for keyword in call.keywords:
        if keyword.arg == "response_model":
            return _referenced(keyword.value, names)
    return set()


def _referenced(annotation: ast.expr, names: Dict[str, str]) -> Set[str]:
    """Every class name an annotation mentions (containers and unions included)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = parse_quietly(annotation.value, mode="eval").body
        except SyntaxError:
            return set()
    found: Set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, (ast.Name, ast.Attribute)):
            resolved = _resolve(node, names)
            if resolved is not None:
                found.add(resolved)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(_referenced(node, names))
    return found


# -- the queries -----------------------------------------------------------------------------
def is_response_name(name: str) -> bool:
    """``UserResponse``, ``UserOut``, ``UserPublic``, ``UserRead`` (not ``Layout``, ``Thread``)."""
    parts = name_parts(name)
    return len(parts) > 1 and parts[-1] in RESPONSE_SUFFIXES


class ModelIndex:
    """Whole-project questions about classes, answered from the project pass."""

    def __init__(self, project: Optional[ProjectIndex]) -> None:
        self._bases: Dict[Key, Tuple[str, ...]] = {}
        self._by_name: Dict[str, List[Key]] = {}
        self._response_refs: Set[str] = set()
        self.pydantic_v1 = False
        modules = project.modules if project is not None else {}
        for module_name, summary in modules.items():
            data = summary.extra.get(MODELS)
            if not isinstance(data, ModuleModels):
                continue
            self.pydantic_v1 = self.pydantic_v1 or data.pydantic_v1
            for name, bases in data.classes.items():
                key = (module_name, name)
                self._bases[key] = bases
                self._by_name.setdefault(name, []).append(key)
            self._response_refs.update(data.responses)
        self._models: Dict[Key, bool] = {}
        self._children: Dict[Key, List[Key]] = {}
        for key, bases in self._bases.items():
            for base in bases:
                parent = self.find_class(base)
                if parent is not None and parent != key:
                    self._children.setdefault(parent, []).append(key)
        self._responses: FrozenSet[Key] = frozenset(
            k for k in (self.find_class(r) for r in self._response_refs) if k is not None
        )

    def find_class(self, ref: str) -> Optional[Key]:
        """The project class a resolved dotted name refers to.

        ``app.schemas.UserOut`` matches a class ``UserOut`` of module ``app.schemas``, of a
        module whose name ends with it (src layout), or of a submodule of the package
        ``app.schemas`` (re-exported by its ``__init__``).
        """
        module, _, name = ref.rpartition(".")
        candidates = self._by_name.get(name)
        if not candidates or not module:
            return None
        for key in candidates:
            if key[0] == module or key[0].endswith("." + module):
                return key
        for key in candidates:
            if key[0].startswith(module + ".") or ("." + module + ".") in key[0]:
                return key
        return None

    def is_model(self, key: Key) -> bool:
        """A pydantic (or SQLModel / pydantic-settings) model, through project base classes."""
        cached = self._models.get(key)
        if cached is not None:
            return cached
        self._models[key] = False  # cycle guard
        result = False
        for base in self._bases.get(key, ()):
            if base in PYDANTIC_BASES:
                result = True
                break
            parent = self.find_class(base)
            if parent is not None and self.is_model(parent):
                result = True
                break
        self._models[key] = result
        return result

    def is_model_ref(self, ref: Optional[str]) -> bool:
        """``ref`` (a resolved name, ``()`` for an instance) is a model class or instance."""
        if ref is None:
            return False
        ref = ref[:-2] if ref.endswith("()") else ref
        if ref in PYDANTIC_BASES:
            return True
        key = self.find_class(ref)
        return key is not None and self.is_model(key)

    def is_response_model(self, key: Key) -> bool:
        return self.is_model(key) and (key in self._responses or is_response_name(key[1]))

    def exposed_by(self, key: Key) -> List[str]:
        """Names of the response models that output the fields declared by ``key``: the
        class itself and its project subclasses, any depth."""
        found: List[str] = []
        seen: Set[Key] = set()
        stack = [key]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if self.is_response_model(current):
                found.append(current[1])
            stack.extend(self._children.get(current, ()))
        return found


def model_index(project: Optional[ProjectIndex]) -> ModelIndex:
    """The index of ``project``, built once per index."""
    if project is None:
        return ModelIndex(None)
    return project.derived(MODELS, ModelIndex)

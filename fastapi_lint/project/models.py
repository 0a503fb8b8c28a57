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
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple

from fastapi_lint.project.astnames import import_bindings, importing_package, parse_quietly
from fastapi_lint.project.index import LazyAst, ModuleSummary, ProjectIndex, collector
from fastapi_lint.rules.models._sensitive import excluded, holds_string, sensitive_word
from fastapi_lint.words import name_parts
from fastapi_lint.prefilter import lazy_pattern

MODELS = "models"
PYDANTIC_BASES = frozenset({
    "pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel", "sqlmodel.main.SQLModel",
    "pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.generics.GenericModel",
    "pydantic.RootModel", "pydantic.root_model.RootModel",
})
RESPONSE_SUFFIXES = frozenset({"response", "out", "public", "read"})
_ROUTE_CALL = lazy_pattern(r"\.(?:get|post|put|patch|delete|options|head|trace|api_route)\(")
_ROUTE_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route",
})
# imports that exist only in pydantic v1: the project runs v1
_V1_ONLY = lazy_pattern(
    r"^\s*from\s+pydantic\s+import\s+(?:\([^)]*\bBaseSettings\b[^)]*\)|[^\n]*\bBaseSettings\b)"
    r"|^\s*from\s+pydantic\.(?:generics|error_wrappers|env_settings|typing)\s+import"
    r"|^\s*from\s+pydantic\.fields\s+import\s+[^\n]*\bModelField\b",
    re.M,
)

Key = Tuple[str, str]  # (module, class name)


class RouteExposure(NamedTuple):
    """A route that returns response models: who gets the fields, and why."""

    refs: Tuple[str, ...]  # resolved names of its response model(s)
    name: str  # the function's name
    method: str  # the first HTTP method, lowercase ("get", "post", "api_route")
    path: str  # the route's own path literal ("" when not a literal)
    admin: bool  # guarded by an admin/superuser dependency or router
    params: Tuple[str, ...]  # its parameter names: values the caller sends
    issues: bool = False  # its body mints a credential (`jwt.create_access_token(...)`)


@dataclass(frozen=True)
class ModuleModels:
    classes: Dict[str, Tuple[str, ...]]  # class name -> resolved base names
    responses: Tuple[str, ...]  # resolved names used as response models
    pydantic_v1: bool
    # class name -> resolved names its field annotations mention (nested models)
    fields: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    routes: Tuple[RouteExposure, ...] = ()
    # field names the module fills with a masked value (`api_key=mask(key)`)
    masked: Tuple[str, ...] = ()
    # class name -> its own fields holding a credential, as FAPI501 judges a field
    secrets: Dict[str, Tuple[str, ...]] = field(default_factory=dict)


# -- the project pass ------------------------------------------------------------------------
# "class ": a model may subclass a project base without naming pydantic (`class X(AppBase)`)
@collector(MODELS, triggers=("class ", "response_model", "->"))
def collect_models(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    module = tree.get()
    if module is None:
        return
    package = importing_package(summary.module, os.path.basename(path).startswith("__init__."))
    names = _module_names(module, summary.module, package)
    classes: Dict[str, Tuple[str, ...]] = {}
    # where each class is (ModuleSummary.sites: no fact), for the note of FAPI501
    where: Dict[str, Tuple[int, int]] = {}
    fields: Dict[str, Tuple[str, ...]] = {}
    secrets: Dict[str, Tuple[str, ...]] = {}
    responses: Set[str] = set()
    routes: List[RouteExposure] = []
    for stmt in module.body:
        if isinstance(stmt, ast.ClassDef):
            where[stmt.name] = (stmt.lineno, stmt.col_offset + 1)  # `class` starts its line: no byte offset
            classes[stmt.name] = tuple(
                r for r in (_resolve(_base_expr(b), names) for b in stmt.bases) if r is not None
            )
            refs = sorted({
                ref for item in stmt.body if isinstance(item, ast.AnnAssign)
                for ref in _referenced(item.annotation, names)
            })
            if refs:
                fields[stmt.name] = tuple(refs)
            held = tuple(
                item.target.id for item in stmt.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                and sensitive_word(item.target.id) is not None and holds_string(item.annotation)
                and not excluded(item.value)
            )
            if held:
                secrets[stmt.name] = held
    # routes are module-level functions, methods of module-level classes (class-based
    # views) or functions nested in a router factory
    for node in tree.of_type(ast.FunctionDef, ast.AsyncFunctionDef) if _ROUTE_CALL.search(text) else ():
        exposure = _route_exposure(node, names)
        if exposure is not None:
            responses.update(exposure.refs)
            routes.append(exposure)
    if "add_api_route" in text:
        for node in tree.of_type(ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "add_api_route":  # type: ignore[attr-defined]
                responses.update(_response_model_refs(node, names))
    v1 = "pydantic" in text and bool(_V1_ONLY.search(text))
    masked = tuple(sorted(_masked_fields(tree))) if _mentions_masking(text) else ()
    if classes or responses or v1 or masked:
        summary.extra[MODELS] = ModuleModels(
            classes, tuple(sorted(responses)), v1, fields, tuple(routes), masked, secrets,
        )
        if where:
            summary.sites[MODELS] = where


# marks a class every field of which some call fills from a masked mapping
MASKED_CLASS = "class:"
_MASK_TEXT = lazy_pattern(r"mask|redact|obfuscat|censor", re.I)
# the text words of _MASK_TEXT: a case-insensitive search of a whole module is slow
_MASK_STEMS = ("mask", "redact", "obfuscat", "censor")


def _mentions_masking(text: str) -> bool:
    """``_MASK_TEXT.search(text)``, answered by plain substring tests when they can decide."""
    lowered = text.lower()
    if any(stem in lowered for stem in _MASK_STEMS):
        return True
    # outside ASCII a case-insensitive match may pair other letters (the Kelvin sign, a long s)
    return not text.isascii() and _MASK_TEXT.search(text) is not None


_MASK_WORDS = frozenset({"mask", "masked", "redact", "redacted", "obfuscate", "obfuscated", "censor", "censored"})


def _masking(expr: ast.expr, masked_names: Set[str]) -> bool:
    """A value made by a masking call (`mask_string(key)`, `secret.get_value(apply_mask=True)`)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in masked_names:
            return True
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if _MASK_WORDS.intersection(name_parts(callee)):
            return True
        for keyword in node.keywords:
            if keyword.arg and _MASK_WORDS.intersection(name_parts(keyword.arg)) and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value in (False, None)
            ):
                return True
    return False


def _masked_fields(tree: LazyAst) -> Set[str]:
    """Field names this module fills with a masked value: ``View(api_key=mask(k))``,
    ``view.api_key = mask(k)``, or a local name holding a masked value passed on; and
    ``class:Name`` for a class built from a masked mapping (``Name(**masked)``)."""
    masked_names: Set[str] = set()
    fields: Set[str] = set()
    for node in tree.of_type(ast.Assign):  # local names first: `api_key = ...get_value(apply_mask=True)`
        if _masking(node.value, set()):  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                if isinstance(target, ast.Name):
                    masked_names.add(target.id)
                elif isinstance(target, ast.Attribute):
                    fields.add(target.attr)
    for node in tree.of_type(ast.Call):
        for keyword in node.keywords:  # type: ignore[attr-defined]
            if not _masking(keyword.value, masked_names):
                continue
            if keyword.arg:
                fields.add(keyword.arg)
            else:  # `Credentials(**secret.get_value(apply_mask=True))`: every field
                fields.add(MASKED_CLASS + _callee(node.func))  # type: ignore[attr-defined]
    return fields


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


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


_ADMIN_WORDS = frozenset({"admin", "superuser", "superadmin"})


def _route_exposure(function: ast.AST, names: Dict[str, str]) -> Optional[RouteExposure]:
    """The response models of a route-decorated function (``response_model=``, else the
    return annotation) and what the route is."""
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    route_calls = [d for d in function.decorator_list if _is_route_call(d)]
    if not route_calls:
        return None
    found: Set[str] = set()
    explicit = False
    admin = False
    path = ""
    for call in route_calls:
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        admin = admin or _says_admin(_dotted(call.func.value) or "")
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            path = path or call.args[0].value
        for keyword in call.keywords:
            if keyword.arg == "response_model":
                explicit = True
                found.update(_referenced(keyword.value, names))
            elif keyword.arg == "dependencies":
                admin = admin or _depends_on_admin(keyword.value)
    # `response_model=` (even None) overrides the return annotation
    if not explicit and function.returns is not None:
        found.update(_referenced(function.returns, names))
    if not found:
        return None
    args = function.args
    params = [a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    admin = admin or path.startswith("/admin") or any(
        _depends_on_admin(a.annotation) for a in params if a.annotation is not None
    ) or any(_depends_on_admin(d) for d in (*args.defaults, *args.kw_defaults) if d is not None)
    route = route_calls[0]
    assert isinstance(route, ast.Call) and isinstance(route.func, ast.Attribute)
    return RouteExposure(
        tuple(sorted(found)), function.name, route.func.attr, path, admin, tuple(a.arg for a in params),
        _mints_credential(function),
    )


_MINT_VERBS = frozenset({"create", "generate", "issue", "encode", "sign", "mint", "new", "make"})
_CREDENTIAL_NOUNS = frozenset({"token", "jwt", "secret", "key", "password", "credential", "credentials"})


def _mints_credential(function: ast.AST) -> bool:
    """The route calls something like ``create_access_token(...)``/``generate_api_key()``."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            parts = set(name_parts(callee))
            if parts & _MINT_VERBS and parts & _CREDENTIAL_NOUNS:
                return True
    return False


def _says_admin(name: str) -> bool:
    return bool(_ADMIN_WORDS.intersection(name_parts(name)))


def _depends_on_admin(expr: ast.expr) -> bool:
    """``Depends(check_admin)``, ``[Depends(get_current_superuser)]``, ``Annotated[..., Depends(require_admin)]``."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and (_dotted(node.func) or "").rpartition(".")[2] in ("Depends", "Security"):
            target = node.args[0] if node.args else None
            inner = target.func if isinstance(target, ast.Call) else target
            if inner is not None and _says_admin(_dotted(inner) or ""):
                return True
            if isinstance(target, ast.Call) and any(_says_admin(_dotted(a) or "") for a in ast.walk(target) if isinstance(a, (ast.Name, ast.Attribute))):
                return True
    return False


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
        self._field_refs: Dict[Key, Tuple[str, ...]] = {}
        self._secrets: Dict[Key, Tuple[str, ...]] = {}
        self._routes: List[RouteExposure] = []
        masked: Set[str] = set()
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
            for name, refs in data.fields.items():
                self._field_refs[(module_name, name)] = refs
            for name, held in data.secrets.items():
                self._secrets[(module_name, name)] = held
            self._routes.extend(data.routes)
            masked.update(data.masked)
        self.masked: FrozenSet[str] = frozenset(masked)
        self._reach: Optional[Dict[Key, List[Tuple[str, RouteExposure]]]] = None
        self._roots: Dict[str, Key] = {}  # name -> class of the response models routes name
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

    def holds_secret(self, ref: Optional[str]) -> bool:
        """The class ``ref`` names (``()`` for an instance) declares, inherits or nests (any
        depth) a field holding a credential, as FAPI501 judges one; True when it is not a
        project class (nothing says what it holds)."""
        if ref is None:
            return True
        key = self.find_class(ref[:-2] if ref.endswith("()") else ref)
        if key is None:
            return True
        stack, seen = [key], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for owner in self._lineage(current):
                if self._secrets.get(owner):
                    return True
                for nested in (self.find_class(r) for r in self._field_refs.get(owner, ())):
                    if nested is not None and nested not in seen and self.is_model(nested):
                        stack.append(nested)
        return False

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


    # -- who outputs a class's fields -----------------------------------------------------------
    def route_exposures(self, key: Key) -> List[Tuple[str, RouteExposure]]:
        """(response model a route names, the route) for every route whose response outputs
        the fields ``key`` declares: the model itself, a subclass of it, or a model nested in
        one (``tokens: list[TokenOut]``), any depth."""
        if self._reach is None:
            self._reach = {}
            for route in self._routes:
                for ref in route.refs:
                    root = self.find_class(ref)
                    if root is not None and self.is_model(root):
                        self._roots.setdefault(root[1], root)
                        self._spread(root, (root[1], route))
        return self._reach.get(key, [])

    def _spread(self, root: Key, exposure: Tuple[str, RouteExposure]) -> None:
        assert self._reach is not None
        stack = [root]
        while stack:
            current = stack.pop()
            for owner in self._lineage(current):
                exposed = self._reach.setdefault(owner, [])
                if exposure in exposed:
                    continue
                exposed.append(exposure)
                for ref in self._field_refs.get(owner, ()):
                    nested = self.find_class(ref)
                    if nested is not None and nested != owner and self.is_model(nested):
                        stack.append(nested)

    def derives_from(self, ref: Optional[str], outside: Callable[[str], bool]) -> bool:
        """``ref`` (a resolved name, ``()`` for an instance) is a project class one of whose
        bases outside the project, through project bases at any depth, satisfies ``outside``
        (``class HXLocationResponse(Response)`` for "a Response class")."""
        if ref is None:
            return False
        key = self.find_class(ref[:-2] if ref.endswith("()") else ref)
        if key is None:
            return False
        return any(outside(base) for current in self._lineage(key) for base in self._bases.get(current, ())
                   if self.find_class(base) is None)

    def bases(self, key: Key) -> Tuple[str, ...]:
        """The resolved names of the class's own bases, type arguments dropped."""
        return self._bases.get(key, ())

    def lineage(self, key: Key) -> List[Key]:
        """``key`` and its project base classes, any depth, nearest first."""
        return self._lineage(key)

    def _lineage(self, key: Key) -> List[Key]:
        """``key`` and its project base classes, any depth."""
        found: List[Key] = []
        stack = [key]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.append(current)
            for base in self._bases.get(current, ()):
                parent = self.find_class(base)
                if parent is not None:
                    stack.append(parent)
        return found

    def response_model(self, key: Key, name: str) -> Optional[Key]:
        """The class of the response model ``name`` that :meth:`route_exposures` or
        :meth:`named_exposures` of ``key`` gave."""
        self.route_exposures(key)
        if name in self._roots:
            return self._roots[name]
        stack, seen = [key], set()
        while stack:
            current = stack.pop()
            if current[1] == name:
                return current
            if current not in seen:
                seen.add(current)
                stack.extend(self._children.get(current, ()))
        return None

    def named_exposures(self, key: Key) -> List[str]:
        """Models named like a response (``*Response``/``*Out``...) that output the fields of
        ``key`` (itself or a subclass) although no route is seen returning them."""
        found: List[str] = []
        stack, seen = [key], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if self.is_model(current) and is_response_name(current[1]) and current not in self._responses:
                found.append(current[1])
            stack.extend(self._children.get(current, ()))
        return found


def model_index(project: Optional[ProjectIndex]) -> ModelIndex:
    """The index of ``project``, built once per index."""
    if project is None:
        return ModelIndex(None)
    return project.derived(MODELS, ModelIndex, reads=(MODELS,))

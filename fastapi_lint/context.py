"""Per-file state shared by the rules during the one traversal: the facts and the scopes.

The :class:`ScopeTracker` runs first on every node (before the rules' ``visit_*``) and last
on leave, so inside a rule's ``visit_FunctionDef`` the function's own frame is already the
current one, and ``ctx.in_async_context`` answers for the node being visited.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

import libcst as cst

from fastapi_lint.facts import ModuleFacts, ParamSource, RouteInfo, import_bindings
from fastapi_lint.names import iter_params
from fastapi_lint.rule import PendingFinding
from fastapi_lint.project.versions import UNKNOWN, DeclaredVersions

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef]


@dataclass
class Frame:
    node: ScopeNode
    names: Dict[str, str] = field(default_factory=dict)
    # attribute types of ``self`` in a class frame (``self.session = session``)
    attributes: Dict[str, str] = field(default_factory=dict)

    @property
    def is_async_function(self) -> bool:
        return isinstance(self.node, cst.FunctionDef) and self.node.asynchronous is not None


@dataclass
class FileContext:
    path: str  # as displayed
    facts: ModuleFacts
    source: str
    is_test_file: bool = False
    project: Any = None
    config: Any = None  # the run's Config (test and script paths for the served-code fact)
    versions: DeclaredVersions = UNKNOWN  # the project's declared dependency versions
    pending: List[PendingFinding] = field(default_factory=list)
    frames: List[Frame] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.frames = [Frame(self.facts.module, self.facts.names)]

    # -- scopes ----------------------------------------------------------------------------
    @property
    def in_async_context(self) -> bool:
        """Inside the body of an ``async def`` (nested def/lambda/class bodies excluded)."""
        return self.frames[-1].is_async_function

    @property
    def current_function(self) -> Optional[cst.FunctionDef]:
        """The innermost enclosing function (lambdas and classes ignored)."""
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.FunctionDef):
                return frame.node
        return None

    @property
    def function_frame(self) -> Optional[Frame]:
        """The frame of the innermost scope if it is a function, else None."""
        frame = self.frames[-1]
        return frame if isinstance(frame.node, cst.FunctionDef) else None

    @property
    def enclosing_class(self) -> Optional[cst.ClassDef]:
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.ClassDef):
                return frame.node
        return None

    def routes_of(self, function: cst.FunctionDef) -> List[RouteInfo]:
        # decorators are evaluated in the scope around the function (a class body's router)
        size = len(self.frames) - 1 if self.frames[-1].node is function else len(self.frames)
        return self.facts.routes_of(function, lambda name: self._lookup(name, size))

    @property
    def current_routes(self) -> List[RouteInfo]:
        """Routes of the innermost function when that function is the innermost scope."""
        frame = self.function_frame
        if frame is None:
            return []
        assert isinstance(frame.node, cst.FunctionDef)
        return self.routes_of(frame.node)

    # -- names -----------------------------------------------------------------------------
    def lookup(self, name: str) -> Optional[str]:
        return self._lookup(name, len(self.frames))

    def _lookup(self, name: str, size: int) -> Optional[str]:
        """``name`` seen from the scope of ``self.frames[size - 1]``."""
        innermost = size - 1
        for index in range(innermost, -1, -1):
            frame = self.frames[index]
            # a class body's names are visible only in the class body itself
            if isinstance(frame.node, cst.ClassDef) and index != innermost:
                continue
            if name in frame.names:
                return frame.names[name]
        return None

    def resolve(self, expr: cst.BaseExpression) -> Optional[str]:
        """The dotted name of ``expr`` through imports, aliases and known variable types."""
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and expr.value.value in ("self", "cls")
        ):
            attr_type = self._self_attribute(expr.attr.value)
            if attr_type is not None:
                return attr_type
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Attribute):
            # ``self.session.execute``: the method of a typed ``self`` attribute
            base = self.resolve(expr.value)
            return f"{base}.{expr.attr.value}" if base is not None else None
        return self.facts.resolve(expr, self.lookup)

    def _self_attribute(self, attr: str) -> Optional[str]:
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.ClassDef):
                return frame.attributes.get(attr)
        return None

    def annotation_type(self, annotation: cst.BaseExpression) -> Optional[str]:
        return self.facts.annotation_type(annotation, self.lookup)

    def param_source(self, param: cst.Param, route: Optional[RouteInfo] = None) -> ParamSource:
        """Where FastAPI takes ``param`` from; ``route`` gives the path placeholders."""
        return self.facts.param_source(param, route.path_params if route is not None else (), self.lookup)

    def constant(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        return self.facts.constant(expr)


class ScopeTracker:
    """Maintains ``ctx.frames`` and the local name bindings while the tree is walked."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = Frame(node)
        for param in iter_params(node.params):
            bound = None
            if param.annotation is not None:
                bound = self.ctx.annotation_type(param.annotation.annotation)
            # an unannotated parameter still shadows a module-level name of the same spelling
            frame.names[param.name.value] = bound or f"<local>.{param.name.value}"
        outer = self.ctx.frames[-1]
        if not isinstance(outer.node, cst.Module):
            outer.names[node.name.value] = f"<local>.{node.name.value}"
        self.ctx.frames.append(frame)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.ctx.frames.append(Frame(node))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.ctx.frames.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        frame = Frame(node)
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        bound = self.ctx.annotation_type(small.annotation.annotation)
                        if bound is not None:
                            frame.attributes[small.target.value] = bound
        self.ctx.frames.append(frame)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.frames.pop()

    def visit_Import(self, node: cst.Import) -> None:
        self._bind_imports(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._bind_imports(node)

    def _bind_imports(self, node: cst.CSTNode) -> None:
        if len(self.ctx.frames) > 1:
            self.ctx.frames[-1].names.update(import_bindings(node, self.ctx.facts.package))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value, node.annotation.annotation)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, node.item, None)

    def _bind(
        self,
        target: cst.BaseExpression,
        value: Optional[cst.BaseExpression],
        annotation: Optional[cst.BaseExpression],
    ) -> None:
        frame = self.ctx.frames[-1]
        if isinstance(frame.node, cst.Module):
            return  # module-level bindings come from the facts pre-pass
        bound = None
        if value is not None:
            bound = self.ctx.facts.value_binding(value, self.ctx.lookup)
            if bound is None and isinstance(value, cst.Attribute):
                bound = self.ctx.resolve(value)
        if bound is None and annotation is not None:
            bound = self.ctx.annotation_type(annotation)
        if isinstance(target, cst.Name):
            frame.names[target.value] = bound or f"<local>.{target.value}"
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
            and bound is not None
        ):
            for outer in reversed(self.ctx.frames):
                if isinstance(outer.node, cst.ClassDef):
                    outer.attributes[target.attr.value] = bound
                    break


def rule_options(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> Dict[str, Any]:
    merged = dict(defaults)
    merged.update(options)
    return merged

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import libcst as cst

from fastapi_lint.facts import DEPENDS, SPECIAL, unwrap_annotation
from fastapi_lint.names import argument, iter_params
from fastapi_lint.prefilter import has_route, lazy_pattern
from fastapi_lint.rule import Default, Rule, Severity
from fastapi_lint.rules.security._path_sinks import (
    PATH_METHODS, PATH_SINK_METHODS, PATH_SINKS, PROPAGATE, SANITIZE, SINKS, calls_helper, helper_params,
)

PATH = "path"  # a string or Path the client chose
UPLOAD = "upload"  # an UploadFile: its .filename is client-chosen
UPLOADS = "uploads"  # a list of UploadFile

_UPLOAD_TYPES = {"fastapi.UploadFile", "fastapi.datastructures.UploadFile",
                 "starlette.datastructures.UploadFile"}
_STR_TYPES = {"builtins.str", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"}
_SEQUENCES = {"typing.List", "builtins.list", "typing.Sequence", "collections.abc.Sequence",
              "typing.Tuple", "builtins.tuple"}
_PROPAGATE = PROPAGATE  # calls whose result keeps the caller's path text
_NORMALIZE = {"os.path.abspath", "os.path.normpath", "os.path.realpath"}
_PATH_METHODS = PATH_METHODS | {"__truediv__"}
_SANITIZE = SANITIZE
_CONTAINMENT = {"is_relative_to", "relative_to"}
_CONTAINMENT_FUNCS = {"os.path.commonpath", "os.path.commonprefix"}
# sink -> indexes of its path arguments (positional index, keyword name)
_SINKS = SINKS
# (Path.replace is left out: str.replace spells the same)
_PATH_SINK_METHODS = PATH_SINK_METHODS

# Prefilter: the last part of a sink's name or a sink method, as a call, import or alias spells it
_SINK_NAMES = lazy_pattern(
    r"\b(?:" + "|".join(sorted({n.rpartition(".")[2] for n in _SINKS} | _PATH_SINK_METHODS)) + r")\b")


@dataclass
class _Frame:
    kinds: Dict[str, str] = field(default_factory=dict)
    normalized: Set[str] = field(default_factory=set)  # names holding a resolve()d/realpath'd path
    checked: bool = False  # a containment check was made: later uses are trusted


class PathTraversal(Rule):
    """
    ## What it does
    Follows, within one function, a value the client controls — a route parameter typed `str`
    or `Path` (not a dependency), or the `filename` of an `UploadFile` (a parameter, an element
    of a `List[UploadFile]` loop) — through assignments, f-strings, `+`, `%`, `.format()`,
    `os.path.join`, `Path(...)` and `/`, into a filesystem sink: `open`, `aiofiles.open`,
    `FileResponse`, `Path.open/read_*/write_*/unlink`, `shutil.copy*/move/rmtree`,
    `os.remove/unlink/rename`. The finding points at the sink call. A call of a module-level
    project function (in any module) whose parameter reaches such a sink unchecked counts as
    the sink: the finding then points at that call.

    Not reported once the value is reduced to a file name (`os.path.basename`,
    `secure_filename`, `Path(x).name`) or after a containment check in the function
    (`resolve()` + `is_relative_to()`/`relative_to()`, `os.path.commonpath`, or `startswith`
    on a `realpath`/`abspath`/`resolve()`d path). Extension or size checks do not count.
    `shutil.copyfileobj` takes file objects, not paths, and is no sink.

    ## Why is this bad?
    A file name such as `../../etc/passwd` (or an absolute path: `os.path.join` and `/` drop
    everything before it) escapes the intended directory: the endpoint reads, overwrites or
    deletes any file the server process can reach (CWE-22).

    ## Example
    ```python
    @app.get("/files/{filename}")
    async def get_file(filename: str):
        return FileResponse(f"/var/app/uploads/{filename}")
    ```

    ## Use instead
    ```python
    BASE = Path("/var/app/uploads").resolve()

    @app.get("/files/{filename}")
    async def get_file(filename: str):
        path = (BASE / filename).resolve()
        if not path.is_relative_to(BASE):
            raise HTTPException(status_code=400, detail="Invalid path")
        return FileResponse(path)
    ```

    ## References
    - [OWASP: Path Traversal](https://owasp.org/www-community/attacks/Path_Traversal)
    - [CWE-22: Path Traversal](https://cwe.mitre.org/data/definitions/22.html)
    """

    CODE = "FAPI309"
    NAME = "path-traversal"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 22
    SEEDS = ("000", "003", "004")

    PROJECT_FACTS = (PATH_SINKS,)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        # a source: an UploadFile anywhere, or a parameter of a route
        return "UploadFile" in text or has_route(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        # a sink, or a call of a project function that passes a parameter on to one; the
        # text check first, as it rejects most files for a fraction of the sink search's cost
        return cls.applies_to(text, options) and (_SINK_NAMES.search(text) is not None or calls_helper(project, text))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._frames: List[_Frame] = []

    # -- sources --------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = _Frame()
        routes = self.ctx.routes_of(node)
        path_params = routes[0].path_params if routes else ()
        for param in iter_params(node.params):
            kind = self._param_kind(param, bool(routes), path_params)
            if kind is not None:
                frame.kinds[param.name.value] = kind
        self._frames.append(frame)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def _param_kind(self, param: cst.Param, is_route: bool, path_params) -> Optional[str]:
        if param.annotation is None:
            return None
        resolve = self.ctx.resolve
        plain = unwrap_annotation(param.annotation.annotation, resolve)
        if plain is None:
            return None
        if isinstance(plain, cst.Subscript):
            if resolve(plain.value) in _SEQUENCES and plain.slice and isinstance(plain.slice[0].slice, cst.Index):
                if resolve(plain.slice[0].slice.value) in _UPLOAD_TYPES:
                    return UPLOADS
            return None
        name = resolve(plain)
        if name in _UPLOAD_TYPES:
            return UPLOAD  # an UploadFile comes from the request wherever it is passed
        if is_route and name in _STR_TYPES:
            source = self.ctx.facts.param_source(param, path_params, self.ctx.lookup)
            if source.kind not in (DEPENDS, SPECIAL):
                return PATH
        return None

    # -- propagation ----------------------------------------------------------------------------
    @property
    def _frame(self) -> Optional[_Frame]:
        return self._frames[-1] if self._frames else None

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        frame = self._frame
        if frame is not None and isinstance(node.target, cst.Name) and self.kind_of(node.value) == PATH:
            frame.kinds[node.target.value] = PATH

    def visit_For(self, node: cst.For) -> None:
        frame = self._frame
        if frame is None or not isinstance(node.target, cst.Name):
            return
        if self.kind_of(node.iter) == UPLOADS:
            frame.kinds[node.target.value] = UPLOAD
        else:
            frame.kinds.pop(node.target.value, None)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        frame = self._frame
        if frame is None or not isinstance(target, cst.Name):
            return
        name = target.value
        kind = self.kind_of(value)
        if kind is None:
            frame.kinds.pop(name, None)
        else:
            frame.kinds[name] = kind
        if _normalizes(self, value):
            frame.normalized.add(name)
        else:
            frame.normalized.discard(name)

    def kind_of(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[str]:
        frame = self._frame
        if frame is None or depth > 10:
            return None
        if isinstance(expr, cst.Name):
            return frame.kinds.get(expr.value)
        if isinstance(expr, cst.Attribute):
            owner = self.kind_of(expr.value, depth + 1)
            if owner == UPLOAD and expr.attr.value == "filename":
                return PATH
            return None  # Path(x).name / .stem / .suffix: no directory part left
        if isinstance(expr, cst.FormattedString):
            return PATH if any(
                isinstance(p, cst.FormattedStringExpression) and self.kind_of(p.expression, depth + 1) == PATH
                for p in expr.parts) else None
        if isinstance(expr, cst.BinaryOperation):
            sides = (self.kind_of(expr.left, depth + 1), self.kind_of(expr.right, depth + 1))
            return PATH if PATH in sides else None
        if isinstance(expr, cst.Subscript):
            return UPLOAD if self.kind_of(expr.value, depth + 1) == UPLOADS else None
        if isinstance(expr, (cst.Tuple, cst.List)) and any(
                self.kind_of(e.value, depth + 1) == PATH for e in expr.elements):
            return PATH
        if isinstance(expr, cst.Call):
            return self._call_kind(expr, depth)
        return None

    def _call_kind(self, call: cst.Call, depth: int) -> Optional[str]:
        func = call.func
        name = self.ctx.resolve(func)
        if name in _SANITIZE or (isinstance(func, (cst.Name, cst.Attribute)) and _last(func) == "secure_filename"):
            return None
        args_tainted = any(self.kind_of(a.value, depth + 1) == PATH for a in call.args)
        if name in _PROPAGATE:
            return PATH if args_tainted else None
        if isinstance(func, cst.Attribute) and func.attr.value in _PATH_METHODS:
            if args_tainted or self.kind_of(func.value, depth + 1) == PATH:
                return PATH
        if isinstance(func, cst.Attribute) and func.attr.value == "join" and args_tainted:
            return PATH  # "/".join([base, filename])
        return None

    # -- checks and sinks -----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        frame = self._frame
        if frame is None or frame.checked or not frame.kinds:
            return
        if self._is_containment_check(node, frame):
            frame.checked = True
            return
        if self._reaches_sink(node):
            self.report(node, "a client-controlled path (route parameter or upload filename) reaches a "
                              "filesystem call: `../` escapes the directory; use `os.path.basename`/"
                              "`secure_filename` or check `resolve().is_relative_to(base)`")
        elif self._reaches_helper(node):
            self.report(node, "a client-controlled path (route parameter or upload filename) is passed to "
                              f"`{_last(node.func)}`, which uses it in a filesystem call: `../` escapes the "
                              "directory; use `os.path.basename`/`secure_filename` or check "
                              "`resolve().is_relative_to(base)`")

    def _is_containment_check(self, node: cst.Call, frame: _Frame) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in _CONTAINMENT:
                return True
            if func.attr.value == "startswith" and _mentions(func.value, frame.normalized):
                return True
        return self.ctx.resolve(func) in _CONTAINMENT_FUNCS

    def _reaches_helper(self, node: cst.Call) -> bool:
        """A project function (any module) that passes one of these arguments to a sink."""
        name = self.ctx.resolve(node.func)
        params = helper_params(self.ctx.project, name) if name else ()
        return any(
            (value := argument(node, index, keyword)) is not None and self.kind_of(value) == PATH
            for index, keyword in params
        )

    def _reaches_sink(self, node: cst.Call) -> bool:
        name = self.ctx.resolve(node.func)
        spec = _SINKS.get(name or "")
        if spec is not None:
            return any(
                (value := argument(node, index, keyword)) is not None and self.kind_of(value) == PATH
                for index, keyword in spec
            )
        func = node.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in _PATH_SINK_METHODS
            and self.kind_of(func.value) == PATH
        )


def _last(func: cst.BaseExpression) -> str:
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""


def _normalizes(rule: PathTraversal, value: cst.BaseExpression) -> bool:
    """``value`` is a resolve()d/realpath'd/abspath'd path."""
    while isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("resolve", "absolute"):
            return True
        if rule.ctx.resolve(func) in _NORMALIZE:
            return True
        if isinstance(func, cst.Attribute):
            value = func.value
        else:
            return False
    return False


def _mentions(expr: cst.BaseExpression, names: Set[str]) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in names
    if isinstance(expr, cst.Call):
        return any(_mentions(a.value, names) for a in expr.args) or _mentions(expr.func, names)
    if isinstance(expr, cst.Attribute):
        return _mentions(expr.value, names)
    return False

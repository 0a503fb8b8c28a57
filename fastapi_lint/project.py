"""The cross-module index of the linted project, built in a cheap first pass.

It never parses with libcst: each collector scans the file text (and, only where a
collector needs it and the text has its triggers, a shared ``ast`` parse). The workers
summarize the modules, the main process assembles the index and hands it to the workers
that lint.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, TypeVar
from fastapi_lint.astnames import parse_quietly

# `name = FastAPI(...)` / `name: APIRouter = APIRouter(...)` at the start of a line
_APP_ASSIGN = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*(?:[\w.]+\.)?(?P<kind>FastAPI|APIRouter)\s*\(",
    re.M,
)


def module_name_for(path: str, root: str) -> Tuple[str, bool]:
    """The dotted module name of ``path`` relative to ``root`` and whether it is a package."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel.startswith(".."):
        rel = os.path.basename(path)
    parts = rel.replace(os.sep, "/").split("/")
    last = parts[-1]
    for suffix in (".pyi", ".py"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    is_package = last == "__init__"
    parts = parts[:-1] if is_package else parts[:-1] + [last]
    parts = [p for p in parts if p and p != "."]
    return ".".join(parts), is_package


@dataclass
class ModuleSummary:
    """What the project pass knows about one module."""

    module: str
    apps: Set[str] = field(default_factory=set)
    # free-form facts contributed by collectors, keyed by collector name
    extra: Dict[str, object] = field(default_factory=dict)
    # whether CPython's parser accepted the module (None: no collector needed its tree)
    parses: Optional[bool] = None
    # digest of each collector's data here (fingerprint.fact_digests), made on first need
    fingerprints: Optional[Dict[str, str]] = None


Collector = Callable[[str, str, "ModuleSummary", "LazyAst"], None]
_COLLECTORS: List[Tuple[str, Tuple[str, ...], Collector]] = []


def collector(name: str, triggers: Tuple[str, ...] = ()) -> Callable[[Collector], Collector]:
    """Register a project-pass collector that runs on files containing any of ``triggers``."""

    def register(fn: Collector) -> Collector:
        _COLLECTORS.append((name, triggers, fn))
        return fn

    return register


def collector_identities() -> List[Tuple[str, Tuple[str, ...], str, str]]:
    """The registered collectors (name, triggers, module, function): what a cached summary
    was made by, since importing more rule modules registers more collectors."""
    return [(name, triggers, fn.__module__, fn.__qualname__) for name, triggers, fn in _COLLECTORS]


class LazyAst:
    """One ``ast`` parse per file, made only when a collector asks for it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tree: Optional[ast.Module] = None
        self._failed = False
        self._nodes: Optional[List[ast.AST]] = None

    @property
    def parsed(self) -> Optional[bool]:
        """True/False once a parse was tried, None if no one asked for the tree."""
        if self._tree is not None:
            return True
        return False if self._failed else None

    def get(self) -> Optional[ast.Module]:
        if self._tree is None and not self._failed:
            try:
                self._tree = parse_quietly(self._text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self._failed = True
        return self._tree

    def nodes(self) -> List[ast.AST]:
        """Every node of the tree in ``ast.walk``'s order (breadth first), walked once for
        all the collectors that scan the whole module; empty if it does not parse."""
        if self._nodes is None:
            tree = self.get()
            self._nodes = [] if tree is None else _breadth_first(tree)
        return self._nodes


def _breadth_first(tree: ast.AST) -> List[ast.AST]:
    # ast.walk's order without its per-node generators (iter_child_nodes, iter_fields)
    nodes = [tree]
    node_type = ast.AST
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                nodes.append(value)
            elif type(value) is list:
                nodes.extend(item for item in value if isinstance(item, node_type))
    return nodes


_T = TypeVar("_T")


@dataclass
class ProjectIndex:
    root: str
    modules: Dict[str, ModuleSummary] = field(default_factory=dict)
    # files CPython's parser accepted during the project pass: the lint need not check
    # their syntax again when no rule parses them
    parsed_files: Set[str] = field(default_factory=set, compare=False)
    # path -> summary of the files the index was built from (a module name may have two)
    _by_path: Dict[str, ModuleSummary] = field(default_factory=dict, repr=False, compare=False)
    # project-wide tables rules derive from the summaries, each computed once per index
    _derived: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: str, compute: Callable[["ProjectIndex"], _T]) -> _T:
        """``compute(self)``, made once for this index and kept under ``key``."""
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]

    @classmethod
    def build(cls, files: Iterable[Tuple[str, str]], root: str) -> "ProjectIndex":
        """``files``: (path, text) pairs of every module of the run."""
        index = cls(root=root)
        for path, text in files:
            index.add(path, text)
        return index

    def add(self, path: str, text: str) -> None:
        self.insert(self.summarize(path, text), path)

    def summarize(self, path: str, text: str) -> ModuleSummary:
        """The summary of one module, without adding it (the summary cache stores it)."""
        module, _ = module_name_for(path, self.root)
        summary = ModuleSummary(module)
        for match in _APP_ASSIGN.finditer(text):
            summary.apps.add(match.group("name"))
        tree = LazyAst(text)
        for name, triggers, fn in _COLLECTORS:
            if not triggers or any(t in text for t in triggers):
                fn(path, text, summary, tree)
        summary.parses = tree.parsed
        return summary

    def insert(self, summary: ModuleSummary, path: Optional[str] = None) -> None:
        # a later file of the same module replaces the earlier one, as ``add`` always did
        self.modules[summary.module] = summary
        if path is not None:
            self._by_path[path] = summary
            if summary.parses:
                self.parsed_files.add(path)

    def summary_for(self, path: Optional[str]) -> Optional[ModuleSummary]:
        """The summary made from the file at ``path`` (absolute), if the index has it."""
        return self._by_path.get(path) if path is not None else None

    def find_module(self, dotted_module: str) -> Optional[ModuleSummary]:
        """The module named ``dotted_module``; a src-layout prefix (``src.app``) also matches."""
        found = self.modules.get(dotted_module)
        if found is not None:
            return found
        suffix = "." + dotted_module
        for name, summary in self.modules.items():
            if name.endswith(suffix):
                return summary
        return None

    def is_app_or_router(self, resolved: str) -> bool:
        module, _, name = resolved.rpartition(".")
        if not module or name.endswith("()"):
            return False
        summary = self.find_module(module)
        return summary is not None and name in summary.apps

    def fingerprint(self) -> str:
        """A digest of the whole index, for cache keys of rules that read other modules."""
        digest = hashlib.sha256()
        for name in sorted(self.modules):
            summary = self.modules[name]
            digest.update(name.encode())
            digest.update(repr(sorted(summary.apps)).encode())
            digest.update(repr(sorted(summary.extra.items(), key=lambda kv: kv[0])).encode())
        return digest.hexdigest()

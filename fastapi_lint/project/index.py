"""The cross-module index of the linted project, built in a cheap first pass.

It never parses with libcst: each collector scans the file text (and, only where a
collector needs it and the text has its triggers, a shared ``ast`` parse). The workers
summarize the modules, the main process assembles the index and hands it to the workers
that lint.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple, TypeVar
from fastapi_lint.project import routers as _routers
from fastapi_lint.project.astnames import parse_quietly

# `name = FastAPI(...)` / `name: APIRouter = APIRouter(...)` at the start of a line
_APP_ASSIGN = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*(?:[\w.]+\.)?(?P<kind>FastAPI|APIRouter)\s*\(",
    re.M,
)


@functools.lru_cache(maxsize=8)
def _root_prefix(root: str) -> str:
    return os.path.join(os.path.abspath(root), "")


def _under(path: str, prefix: str) -> Optional[str]:
    """``path`` relative to the directory ``prefix`` names, when that is a plain cut: an
    absolute path without ``.``/``..`` parts or doubled separators below it (what discovery
    yields; relpath, which normalizes both paths, was most of a warm run's module naming)."""
    if not path.startswith(prefix) or (os.altsep and os.altsep in path):
        return None
    rel = path[len(prefix):]
    sep = os.sep
    if not rel or rel.endswith(sep) or sep + sep in rel or rel.startswith((sep, ".")) or sep + "." in rel:
        return None  # possibly "." or ".." parts (or a hidden name): let relpath decide
    return rel


def module_name_for(path: str, root: str) -> Tuple[str, bool]:
    """The dotted module name of ``path`` relative to ``root`` and whether it is a package."""
    rel = _under(path, _root_prefix(root))
    if rel is None:
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


def _none() -> None:
    return None


@dataclass
class ModuleSummary:
    """What the project pass knows about one module."""

    module: str
    apps: Set[str] = field(default_factory=set)
    # the module is a package's ``__init__`` (module names resolve through packages)
    is_package: bool = False
    # what could make a router here (classes, factories, attributes, include_router calls)
    # (this and fingerprints default by a factory: a class attribute would answer for a
    # summary whose fields are still in the snapshot's file, see __getattr__)
    routers: Optional[_routers.RouterFacts] = field(default_factory=_none)
    # free-form facts contributed by collectors, keyed by collector name
    extra: Dict[str, object] = field(default_factory=dict)
    # whether CPython's parser accepted the module (None: no collector needed its tree)
    parses: Optional[bool] = None
    # digest of each collector's data here (fingerprint.fact_digests), made on first need
    # (derived from the fields above: no part of a summary's equality)
    fingerprints: Optional[Dict[str, int]] = field(default_factory=_none, compare=False)
    # where things are, per collector: positions recorded beside the facts for the places a
    # finding points to (rule.Related). No fact: no table is derived from them and no other
    # module's findings depend on them, so a buffer whose lines merely moved changes no facts
    sites: Dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        """The fields a snapshot's head left in its file (``summary_cache``), read on the
        first use of one; only then is a field missing."""
        stored = self.__dict__.get("_stored") if not name.startswith("__") else None
        if stored is None:
            raise AttributeError(name)
        from fastapi_lint.project.summary_cache import fill_summary

        fill_summary(self, stored)
        del self.__dict__["_stored"]
        return getattr(self, name)

    def __getstate__(self) -> Dict[str, Any]:
        stored = self.__dict__.get("_stored")
        if stored is not None and stored[0].regions is not None:  # (the head's own copy: as it is)
            self.__getattr__("apps")  # a pickle holds every field
        return self.__dict__

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # (defined: unpickling looks it up, and a missing one would cost a __getattr__ call
        # for each of the snapshot's thousands of summaries)
        self.__dict__.update(state)

    def facts(self) -> Tuple[Any, ...]:
        """What other modules read of this one. Compared with ==, not digested (a digest costs
        a serialization): a value without its own __eq__ compares unequal, which costs a
        rebuild of the index's tables, never a stale fact."""
        return self.module, self.is_package, self.apps, self.routers, self.extra


Collector = Callable[[str, str, "ModuleSummary", "LazyAst"], None]
_COLLECTORS: List[Tuple[str, Tuple[str, ...], Collector]] = []


def collector(name: str, triggers: Tuple[str, ...] = ()) -> Callable[[Collector], Collector]:
    """Register a project-pass collector that runs on files containing any of ``triggers``."""

    def register(fn: Collector) -> Collector:
        _COLLECTORS.append((name, triggers, fn))
        return fn

    return register


def prefilter_fact(name: str, triggers: Tuple[str, ...], may_apply: Optional[Callable[[str], bool]],
                   judge: Callable[["LazyAst"], Any]) -> None:
    """Register the fact a rule's project prefilter reads about a file itself
    (``ProjectIndex.file_fact``): False when the rule's own text test ``may_apply`` (if any)
    fails, else what ``judge`` says of the ast; nothing when CPython cannot parse the file
    (the rule then parses it)."""

    def collect(path: str, text: str, summary: "ModuleSummary", tree: "LazyAst") -> None:
        if may_apply is not None and not may_apply(text):
            summary.extra[name] = False
            return
        if tree.get() is None:
            return
        summary.extra[name] = judge(tree)

    # the cache's identity of a collector names the code that decides: the judge's
    collect.__module__, collect.__qualname__ = judge.__module__, judge.__qualname__
    collector(name, triggers)(collect)


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
        self._by_type: Optional[Dict[type, List[ast.AST]]] = None
        self._partial: Optional[ast.Module] = None
        self._outline: Optional[ast.Module] = None
        self._salvaged = False

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

    def partial(self) -> Optional[ast.Module]:
        """The tree; for a module this Python cannot parse (newer syntax: ``def f[T]()``,
        ``except A, B:``), the top-level statements that parse on their own. Enough for
        collectors of what a module defines; not for those that must see every statement
        (they keep ``get``, whose None sends the rules to parse the file themselves)."""
        tree = self.get()
        if tree is None and not self._salvaged:
            self._salvage()
        return tree if tree is not None else self._partial

    def outline(self) -> Optional[ast.Module]:
        """``partial``, and for a top-level function or class whose body does not parse
        (a 3.12 f-string spanning lines, read by 3.11), its decorators and signature over an
        empty body: enough to know the routes a module's decorators register."""
        tree = self.get()
        if tree is None and not self._salvaged:
            self._salvage()
        return tree if tree is not None else self._outline

    def _salvage(self) -> None:
        self._salvaged = True  # one pass over the statements for both
        self._partial, self._outline = _parsable_statements(self._text)

    def nodes(self) -> List[ast.AST]:
        """Every node of the tree in ``ast.walk``'s order (breadth first), walked once for
        all the collectors that scan the whole module; empty if it does not parse. The
        expression contexts and operators (``Load``, ``Add``, ``Eq``...) are left out: they
        are read through their parent's ``ctx``/``op``/``ops``."""
        if self._nodes is None:
            tree = self.get()
            self._nodes = [] if tree is None else _breadth_first(tree)
        return self._nodes

    def of_type(self, *kinds: type) -> List[ast.AST]:
        """The nodes of ``nodes()`` whose type is one of ``kinds`` (exactly), grouped by kind
        in that order, each group breadth first (a shared list: never change it). Grouped
        once per module: a collector that wants a few kinds of a million nodes does not test
        every node (ten loops over every node cost the project pass about a second on the
        benchmark corpus)."""
        if self._by_type is None:
            by_type: Dict[type, List[ast.AST]] = {}
            for node in self.nodes():
                group = by_type.get(type(node))
                if group is None:
                    by_type[type(node)] = [node]
                else:
                    group.append(node)
            self._by_type = by_type
        if len(kinds) == 1:
            return self._by_type.get(kinds[0], [])
        return [node for kind in kinds for node in self._by_type.get(kind, ())]


# a line that continues the statement above it, even at column 0
_CONTINUATION = re.compile(r"(?:else|elif|except|finally|case)\b|[)\]}#]")


# Python 3.14's ``except A, B:`` (PEP 758), read by an older Python: the same handler with
# the parentheses older versions need (lines unchanged, columns only on that line)
_BARE_EXCEPT = re.compile(r"^([ \t]*)except[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)+)[ \t]*:", re.MULTILINE)


def _parsable_statements(text: str) -> Tuple[Optional[ast.Module], Optional[ast.Module]]:
    """The top-level statements of ``text`` that parse, each on its own, at their lines
    (all of them when parenthesizing its ``except A, B:`` handlers is all it takes); and
    the same with the headers of the definitions whose body does not parse."""
    rewritten = _BARE_EXCEPT.sub(r"\1except (\2):", text)
    if rewritten != text:
        try:
            whole = parse_quietly(rewritten)
            return whole, whole
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            text = rewritten
    lines = text.splitlines(keepends=True)
    starts = []
    decorated = False
    for number, line in enumerate(lines):
        if not line.strip() or line[0] in " \t" or _CONTINUATION.match(line):
            continue
        if not decorated:
            starts.append(number)
        decorated = line.startswith("@")
    body: List[ast.stmt] = []
    outline: List[ast.stmt] = []
    for start, end in zip(starts, starts[1:] + [len(lines)]):
        try:
            chunk = parse_quietly("".join(lines[start:end]))
            parsed = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            chunk, parsed = _header(lines[start:end]), False
            if chunk is None:
                continue
        ast.increment_lineno(chunk, start)
        if parsed:
            body.extend(chunk.body)  # type: ignore[attr-defined]
        outline.extend(chunk.body)  # type: ignore[attr-defined]
    return (ast.Module(body=body, type_ignores=[]) if body else None,
            ast.Module(body=outline, type_ignores=[]) if outline else None)


_DEFINITION = re.compile(r"(?:async[ \t]+def|def|class)\b")
_MAX_HEADER = 40  # lines: a signature longer than this is not worth the parses


def _header(lines: List[str]) -> Optional[ast.Module]:
    """The decorators and signature of the definition ``lines`` hold, over ``...``."""
    first = next((n for n, line in enumerate(lines) if _DEFINITION.match(line)), None)
    if first is None:
        return None
    for end in range(first, min(len(lines), first + _MAX_HEADER)):
        if not lines[end].split("#", 1)[0].rstrip().endswith(":"):
            continue
        try:
            chunk = parse_quietly("".join(lines[:end + 1]) + "\n    ...\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if chunk.body and isinstance(chunk.body[-1], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return chunk
    return None


def _breadth_first(tree: ast.AST) -> List[ast.AST]:
    # ast.walk's order without its per-node generators (iter_child_nodes, iter_fields), and
    # without the leaves no collector asks for: a third of a module's nodes are the shared
    # ``Load``/``Store`` contexts and operators, reached through the fields _LEAF_FIELDS names
    nodes = [tree]
    node_type = ast.AST
    walked = _WALKED_FIELDS
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        kind = type(node)
        fields = walked.get(kind)
        if fields is None:
            fields = walked[kind] = _walked_fields(kind)
        for name, mixed in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                if not mixed:
                    nodes.extend(value)
                else:
                    nodes.extend(item for item in value if isinstance(item, node_type))
            elif isinstance(value, node_type):
                nodes.append(value)
    return nodes


# fields that hold a context or an operator (``ctx``, ``op``, ``ops``) or never a node
_LEAF_FIELDS = frozenset({
    "ctx", "op", "ops", "id", "attr", "name", "arg", "asname", "module", "level", "kind",
    "type_comment", "conversion", "is_async", "simple", "tag",
})
# list fields that may hold other things than nodes: ``Dict.keys`` and
# ``arguments.kw_defaults`` (None), ``Global.names`` and ``MatchClass.kwd_attrs`` (names)
_MIXED_LISTS = frozenset({"keys", "kw_defaults", "names", "kwd_attrs"})
_WALKED_FIELDS: Dict[type, Tuple[Tuple[str, bool], ...]] = {}


def walked_fields(kind: type) -> Tuple[str, ...]:
    """The fields of an ``ast`` node type that may hold nodes other than contexts and
    operators: what a walk of a tree must read, in ``_fields`` order."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(name for name, _ in _walked_fields(kind))
    return names


_FIELD_NAMES: Dict[type, Tuple[str, ...]] = {}


def _walked_fields(kind: type) -> Tuple[Tuple[str, bool], ...]:
    """(field, whether a list there may hold non-nodes) for each field a walk must read."""
    if kind is ast.Constant:
        return ()  # its value is a Python object, never a node
    if kind.__name__ == "TypeAlias":
        names: Tuple[str, ...] = kind._fields  # `type X = ...` (3.12): its name is a Name node
    else:
        names = tuple(name for name in kind._fields if name not in _LEAF_FIELDS)
    return tuple((name, name in _MIXED_LISTS) for name in names)


_T = TypeVar("_T")
MISSING = object()  # no table kept from an earlier run


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
    # module -> the file (absolute) its summary was made from
    _paths: Dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # derived table -> the collectors whose data it reads (None: any of the summaries' data)
    _reads: Dict[str, Optional[FrozenSet[str]]] = field(default_factory=dict, repr=False, compare=False)
    # the tables earlier runs derived (table_cache.TableStore), while this index is unchanged
    tables: Optional[Any] = field(default=None, repr=False, compare=False)
    # collector name -> the sum of the modules' digests of its data (fact_sums), kept up
    # to date as modules come and go once made
    _fact_sums: Optional[Dict[str, int]] = field(default=None, repr=False, compare=False)

    def derived(self, key: str, compute: Callable[["ProjectIndex"], _T],
                reads: Optional[Tuple[str, ...]] = None) -> _T:
        """``compute(self)``, made once for this index and kept under ``key``. ``reads``: the
        names of the collectors whose data (``ModuleSummary.extra``) it reads, beside the
        module names (``resolve_module``); then a module's new summary that changes none of
        them keeps the table (an editor's buffer). None: every change drops it."""
        if key not in self._derived:
            store = self.tables
            if store is None:
                value = compute(self)
            else:
                value = store.get(self, key, compute, reads)
                if value is MISSING:
                    started = time.perf_counter()
                    value = compute(self)
                    store.put(self, key, compute, reads, value, time.perf_counter() - started)
            self._derived[key] = value
            self._reads[key] = frozenset(reads) if reads is not None else None
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

    def summarize(self, path: str, text: str, only: Optional[Tuple[str, ...]] = None) -> ModuleSummary:
        """The summary of one module, without adding it (the summary cache stores it);
        ``only``: the names of the collectors to run (default: all)."""
        module, is_package = module_name_for(path, self.root)
        summary = ModuleSummary(module, is_package=is_package)
        for match in _APP_ASSIGN.finditer(text):
            summary.apps.add(match.group("name"))
        tree = LazyAst(text)
        # a package's re-exports (``from .api import app as api_app``) name routers and apps
        # made elsewhere, in words no trigger knows
        if (is_package and "import" in text) or _ROUTER_TRIGGERS.search(text) is not None:
            parsed = tree.partial()
            if parsed is not None:
                summary.routers = _routers.collect(module, is_package, parsed)
        contains = text.__contains__
        for name, triggers, fn in _COLLECTORS:
            if only is not None and name not in only:
                continue
            if not triggers or any(map(contains, triggers)):  # (no generator: 21 collectors a file)
                try:
                    fn(path, text, summary, tree)
                except (KeyboardInterrupt, MemoryError):
                    raise
                except Exception:  # noqa: BLE001 - one collector's bug must not end the run
                    # the module then lacks that collector's facts: rules reading them see
                    # what they see for a module the collector found nothing in
                    summary.extra.pop(name, None)
        summary.parses = tree.parsed
        return summary

    def insert(self, summary: ModuleSummary, path: Optional[str] = None) -> None:
        # (a warm run inserts every module of the snapshot: what an index being built has
        # no use for, sums and derived tables, is skipped without a call)
        self.tables = None
        # a later file of the same module replaces the earlier one, as ``add`` always did
        old = self.modules.get(summary.module)
        counted = self._fact_sums is not None
        if counted:
            self._count(old, -1)
        self.modules[summary.module] = summary
        # the tables derived from what changed are stale now (the language server inserts
        # into an index that rules already read)
        if self._derived:
            self._forget(old, summary)
        if path is not None:
            self._by_path[path] = summary
            self._paths[summary.module] = path
            if summary.parses:
                self.parsed_files.add(path)
        if counted:
            self._count(summary, 1)

    def fact_sums(self) -> Dict[str, int]:
        """Per collector name, the sum of the modules' digests of its data, and under
        ``fingerprint.LAYOUT`` of their names, files and kinds (``fingerprint.count_module``):
        the project's digest of each, once reduced."""
        if self._fact_sums is None:
            from fastapi_lint.project.fingerprint import count_module

            sums: Dict[str, int] = {}
            for module, summary in self.modules.items():
                count_module(sums, summary, self._paths.get(module, ""), 1)
            self._fact_sums = sums
        return self._fact_sums

    def adopt_fact_sums(self, sums: Dict[str, int]) -> None:
        """Take ``fact_sums`` made elsewhere (the snapshot's, moved by what changed since)."""
        self._fact_sums = sums

    def _count(self, summary: Optional[ModuleSummary], sign: int) -> None:
        """Add (1) or take away (-1) an indexed module from the sums, once they are made."""
        if summary is None or self._fact_sums is None:
            return
        from fastapi_lint.project.fingerprint import count_module

        count_module(self._fact_sums, summary, self._paths.get(summary.module, ""), sign)

    def _forget(self, old: Optional[ModuleSummary], new: ModuleSummary) -> None:
        """Drop the derived tables that read what changed from ``old`` to ``new``."""
        if not self._derived:
            return
        if old is None or (old.is_package, old.apps, old.routers) != (new.is_package, new.apps, new.routers):
            self._derived.clear()  # another module, or what every file's facts resolve against
            return
        changed = {name for name in old.extra.keys() | new.extra.keys() if old.extra.get(name) != new.extra.get(name)}
        for key in list(self._derived):
            reads = self._reads.get(key)
            if reads is None or not reads.isdisjoint(changed):
                del self._derived[key]

    def remove(self, path: str) -> bool:
        """Drop the file at ``path`` (absolute; a deleted file); True when the index had it.
        Another file of its module, if any, takes its place."""
        summary = self._by_path.pop(path, None)
        if summary is None:
            return False
        self.tables = None
        self.parsed_files.discard(path)
        if self.modules.get(summary.module) is summary:
            self._count(summary, -1)
            del self.modules[summary.module]
            self._paths.pop(summary.module, None)
            replacement = None
            for other, kept in self._by_path.items():
                if kept.module == summary.module:
                    replacement = other, kept  # the last file of the module, as in insert order
            if replacement is not None:
                other, kept = replacement
                self.modules[kept.module], self._paths[kept.module] = kept, other
                self._count(kept, 1)
        self._derived.clear()
        return True

    def paths(self) -> List[str]:
        """The files (absolute) the index was built from."""
        return list(self._by_path)

    def refresh(self, summary: ModuleSummary, path: str) -> None:
        """Put ``summary`` in place of the file's summary with the same facts (only its
        ``sites`` moved): the derived tables stand."""
        old = self._by_path.get(path)
        self._by_path[path] = summary
        if old is not None and self.modules.get(summary.module) is old:
            self.modules[summary.module] = summary

    def with_sites(self, path: str, summary: ModuleSummary) -> "ProjectIndex":
        """A copy of the index where the file at ``path`` has ``summary``, whose facts are
        its summary's (a buffer whose lines moved): the copy shares the derived tables."""
        index = ProjectIndex(self.root, dict(self.modules), self.parsed_files, dict(self._by_path),
                             self._derived, self._paths, self._reads)
        index.refresh(summary, path)
        return index

    def path_of(self, module: str) -> Optional[str]:
        """The file (absolute) the index's ``module`` was summarized from."""
        return self._paths.get(module)

    def with_file(self, path: str, summary: Optional[ModuleSummary]) -> "ProjectIndex":
        """A new index where the file at ``path`` (absolute) has ``summary`` (an editor's
        unsaved buffer, stdin), or none: the other files keep their summaries and their order
        (which decides between two files of one module)."""
        index = ProjectIndex(root=self.root)
        for other, kept in self._by_path.items():
            if other != path:
                index.insert(kept, other)
            elif summary is not None:
                index.insert(summary, path)
        if path not in self._by_path and summary is not None:
            index.insert(summary, path)
        old = self._by_path.get(path)
        if old is not None and summary is not None and old.module == summary.module:
            # the same modules: the tables that read none of the facts the buffer changed stand
            index._derived, index._reads = dict(self._derived), dict(self._reads)
            index._forget(old, summary)
        return index

    def summary_for(self, path: Optional[str]) -> Optional[ModuleSummary]:
        """The summary made from the file at ``path`` (absolute), if the index has it."""
        return self._by_path.get(path) if path is not None else None

    def file_fact(self, path: Optional[str], name: str) -> Any:
        """What collector ``name`` recorded about the file at ``path`` itself (a prefilter's
        fact); None when it recorded nothing or the index lacks the file: unknown."""
        summary = self.summary_for(path)
        return summary.extra.get(name) if summary is not None else None

    def find_module(self, dotted_module: str, importer: Optional[str] = None) -> Optional[ModuleSummary]:
        """The module ``import dotted_module`` imports (see :meth:`resolve_module`)."""
        found = self.resolve_module(dotted_module, importer)
        return self.modules[found] if found is not None else None

    def resolve_module(self, dotted_module: str, importer: Optional[str] = None) -> Optional[str]:
        """The index's name of the module ``import dotted_module`` imports, as Python would.

        A module is importable under the name its package chain gives it (``backend/onyx/db/
        x.py`` with ``onyx/__init__.py`` and ``onyx/db/__init__.py`` but no
        ``backend/__init__.py`` is ``onyx.db.x``, not ``db.x``; a ``src/`` layout is the same
        case), under its name from the project root, and under longer names through
        directories without ``__init__.py`` (namespace packages). Where several modules
        answer to the name, the one nearest ``importer`` (the index's name of the importing
        module) wins; when none is nearest, the name is ambiguous and resolves to nothing.
        """
        candidates = self.derived("importable-names", _ImportableNames, reads=()).get(dotted_module)
        if not candidates:
            return None
        rank, modules = candidates
        if rank == _SCRIPT_DIRECTORY:
            # a bare module of a directory that is no package: imported from its directory only
            if importer is None or not any(_parent(m) == _parent(importer) for m in modules):
                return None
            modules = tuple(m for m in modules if _parent(m) == _parent(importer))
        if len(modules) == 1:
            return modules[0]
        return _nearest(modules, importer)

    def is_app_or_router(self, resolved: str, importer: Optional[str] = None) -> bool:
        """``resolved`` is a FastAPI app or router of the project (RULES.md "Route")."""
        return _routers.model(self).is_router(resolved, importer)

    def fingerprint(self) -> str:
        """A digest of the whole index, for cache keys of rules that read other modules."""
        from fastapi_lint.project.fingerprint import canonical  # fingerprint.py imports this module

        digest = hashlib.sha256()
        for name in sorted(self.modules):
            summary = self.modules[name]
            # canonical, not repr: a set's order depends on how it was built (fresh, unpickled
            # from the cache, or in a worker), which made equal indexes digest differently
            facts = [sorted(summary.apps), summary.routers, summary.is_package, summary.extra]
            digest.update(name.encode())
            digest.update(json.dumps(canonical(facts), separators=(",", ":")).encode())
        return digest.hexdigest()


# the project pass reads router facts only from modules that may define or use one
_ROUTER_TRIGGERS = re.compile(r"Router|FastAPI|router|class |include_router")

# ranks of the names a module is importable under (lower wins)
_RANKS = _PACKAGE_NAME, _NAMESPACE_NAME, _SCRIPT_DIRECTORY = 0, 1, 2


def _parent(module: str) -> str:
    return module.rpartition(".")[0]


class _ImportableNames:
    """The names the modules of an index are importable under: per name, (rank, the modules
    of the best rank), worked out when the name is first asked. Every name a module answers
    to ends in the module's last part, so a name reads only the modules of its last part
    (the whole table, 15,000 names on onyx, took longer to read back from the table store
    than a one-file run's lookups take to work out)."""

    def __init__(self, index: ProjectIndex) -> None:
        self._packages = {name for name, summary in index.modules.items() if summary.is_package}
        # directories holding a top-level package: their plain modules are top-level too
        self._roots = {_parent(name) for name in self._packages}
        self._by_last: Dict[str, List[str]] = {}
        for module in index.modules:
            if module:
                self._by_last.setdefault(module.rpartition(".")[2], []).append(module)
        self._found: Dict[str, Optional[Tuple[int, Tuple[str, ...]]]] = {}

    def get(self, name: str) -> Optional[Tuple[int, Tuple[str, ...]]]:
        if name in self._found:
            return self._found[name]
        rank, modules = len(_RANKS), []  # worse than any
        for module in self._by_last.get(name.rpartition(".")[2], ()):
            for offered, offered_rank in self._names_of(module):
                if offered != name or offered_rank > rank:
                    continue
                if offered_rank < rank:
                    rank, modules = offered_rank, [module]
                elif module not in modules:
                    modules.append(module)
        found = self._found[name] = (rank, tuple(modules)) if modules else None
        return found

    def _names_of(self, module: str) -> Iterator[Tuple[str, int]]:
        """The names ``module`` is importable under, with their ranks."""
        parts = module.split(".")
        start = len(parts) - 1  # where the package chain above the module begins
        while start > 0 and ".".join(parts[:start]) in self._packages:
            start -= 1
        canonical = ".".join(parts[start:])
        yield module, _PACKAGE_NAME
        if start == len(parts) - 1 > 0 and module not in self._packages and _parent(module) not in self._roots:
            yield canonical, _SCRIPT_DIRECTORY
        else:
            yield canonical, _PACKAGE_NAME
        for longer in range(start - 1, 0, -1):
            yield ".".join(parts[longer:]), _NAMESPACE_NAME


def _nearest(modules: Tuple[str, ...], importer: Optional[str]) -> Optional[str]:
    """The module sharing the longest package path with ``importer``, if only one does."""
    if importer is None:
        return None
    here = importer.split(".")

    def shared(module: str) -> int:
        count = 0
        for mine, theirs in zip(here, module.split(".")):
            if mine != theirs:
                break
            count += 1
        return count

    scores = sorted(((shared(m), m) for m in modules), reverse=True)
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        return None
    return scores[0][1]

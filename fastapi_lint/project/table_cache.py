"""Derived tables kept across runs, reused while the facts they were derived from are unchanged.

A one-file run (pre-commit, an editor saving) re-derives project-wide tables from the
summaries it loaded: the route table of every app, the module names, the project's async
sessions. On onyx that was a tenth of the run, for tables that did not change: the edit
touched none of the facts they read. The store keeps each table with the digest of its
inputs, the same digests the result cache keys on: the module layout (names, files, order),
and per collector the project-wide digest of its data, of the collectors the table declares
it reads (``ProjectIndex.derived``'s ``reads``; all of them when it declares none).

Only the main process of a run writes the store, and only tables that took a while to
derive, are small, and hold no summary or index (their identity is the run's own). Tables
derived by plugins are never kept (the cache's salt knows the built-in code only). The file
is a pickle signed with the summary cache's per-user key, as the snapshot is.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from fastapi_lint.cache import _write_atomic, ensure_cache_directory
from fastapi_lint.project.index import MISSING

if TYPE_CHECKING:
    from fastapi_lint.project.index import ProjectIndex
    from fastapi_lint.project.summary_cache import SummaryCache

_MAGIC = b"FLTABLES1\n"
_FILE = "derived.tables"
# a table cheaper to derive than this is not worth a pickle (nor are the memo tables that
# start empty and fill as rules ask)
MIN_SECONDS = 0.002
# nor is one whose pickle takes about as long to read back as the table took to derive:
# reading back runs at 100-150 MB/s, counted here at 100 (onyx's importable names, 260 KB
# made in 2 ms, were kept, then written again each time a run took 2.1 ms to make them)
SECONDS_PER_BYTE = 1e-8
MAX_BYTES = 2_000_000
MAX_TABLES = 200



class _NotATable(Exception):
    pass


class _Bounded(io.BytesIO):
    """Gives up as soon as a table's pickle grows past ``limit`` bytes (the call graph is tens
    of MB: pickling all of it to learn so would cost more than the store saves)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self._limit:
            raise _NotATable
        return super().write(data)


class _TablePickler(pickle.Pickler):
    """Refuses what belongs to the run: a summary, the index, a snapshot's lazy facts."""

    def __init__(self, stream: Any, refused: Tuple[type, ...]) -> None:
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        self._refused = refused

    def persistent_id(self, obj: Any) -> None:
        if type(obj) in self._refused:  # (called for every object: no isinstance of an ABC)
            raise _NotATable
        return None


class TableStore:
    def __init__(self, cache: "SummaryCache", settings: str = "") -> None:
        self._cache = cache  # its directory holds the store; its key signs it
        self._path = os.path.join(cache.entries, _FILE)
        # what else a table's code may have read: the configuration (a rule's options), the
        # declared versions
        self._settings = settings
        # key -> (inputs digest, pickled table, or None: not worth keeping from those inputs)
        self._tables: Dict[str, Tuple[str, Optional[bytes]]] = {}
        self._changed = False
        self._owner = os.getpid()  # forked workers read the store, never write it
        self._index: Optional["ProjectIndex"] = None
        self._writable = True
        self._digests: Dict[Optional[Tuple[str, ...]], str] = {}

    @classmethod
    def load(cls, cache: "SummaryCache", settings: str) -> "TableStore":
        """The store of the cache's directory; ``settings``: a digest of the configuration
        and the declared versions, which tables are kept under."""
        store = cls(cache, settings)
        from fastapi_lint.project.summary_cache import read_signed

        payload = read_signed(store._path, _MAGIC, store._mac)
        if payload is not None:
            try:
                tables = pickle.loads(payload)
                if isinstance(tables, dict):
                    store._tables = tables
            except Exception:  # a signed file of another layout: a miss
                pass
        return store

    def _mac(self, payload: Any) -> bytes:
        return self._cache.sign(b"tables", payload)

    def attach(self, index: "ProjectIndex", writable: bool = True) -> None:
        """Serve ``index``'s derived tables (the index drops the store when it changes).
        ``writable``: keep the tables this process derives; a run that lints in workers
        derives here only the call graph and the served code, each too big to keep, and
        pickling them far enough to learn so costs a tenth of a second."""
        self._index, self._digests = index, {}
        self._writable = writable
        index.tables = self

    # -- the inputs of a table -------------------------------------------------------------
    def _inputs(self, index: "ProjectIndex", reads: Optional[Tuple[str, ...]]) -> str:
        key = tuple(sorted(reads)) if reads is not None else None
        found = self._digests.get(key)
        if found is None:
            from fastapi_lint.cache import collector_fingerprints
            from fastapi_lint.project.fingerprint import IMPLICIT_FACTS, LAYOUT
            from fastapi_lint.project.index import collector_identities

            names = set(key) if key is not None else {name for name, *_ in collector_identities()}
            # the module layout (names, files, packages) with what the table reads
            digests = collector_fingerprints(index, names | {IMPLICIT_FACTS, LAYOUT})
            material = [self._settings, key is None, sorted(digests.items())]
            found = self._digests[key] = hashlib.blake2b(json.dumps(material).encode(), digest_size=20).hexdigest()
        return found

    # -- reading and writing ---------------------------------------------------------------
    def get(self, index: "ProjectIndex", key: str, compute: Callable[..., Any],
            reads: Optional[Tuple[str, ...]]) -> Any:
        kept = self._tables.get(key)
        if kept is None or kept[1] is None or index is not self._index or not _built_in(compute):
            return MISSING
        if kept[0] != self._inputs(index, reads):
            return MISSING
        try:
            return pickle.loads(kept[1])
        except Exception:
            return MISSING

    def put(self, index: "ProjectIndex", key: str, compute: Callable[..., Any],
            reads: Optional[Tuple[str, ...]], table: Any, seconds: float) -> None:
        if (seconds < MIN_SECONDS or not self._writable or os.getpid() != self._owner
                or index is not self._index or not _built_in(compute)):
            return
        from fastapi_lint.project.index import ModuleSummary, ProjectIndex
        from fastapi_lint.project.summary_cache import LazyFacts

        inputs = self._inputs(index, reads)
        kept = self._tables.get(key)
        if kept is not None and kept[1] is None and kept[0] == inputs:
            return  # found not worth keeping from these inputs: not pickled again
        # past this size, reading it back would save less than half the time it took (the
        # pickling stops there: a big table's pickle costs several times its derivation)
        worth = int(seconds / (2 * SECONDS_PER_BYTE)) if SECONDS_PER_BYTE else MAX_BYTES
        stream = _Bounded(min(MAX_BYTES, worth))
        try:
            _TablePickler(stream, (ModuleSummary, ProjectIndex, LazyFacts)).dump(table)
            data: Optional[bytes] = stream.getvalue()
        except Exception:  # _NotATable (too big, or the run's own), or a value that does not pickle
            data = None  # remembered: the next runs do not pickle it to learn so again
        self._tables.pop(key, None)  # the newest last: the oldest go first when there are many
        self._tables[key] = (inputs, data)
        self._changed = True

    def save(self) -> None:
        """Write the store if this run derived new tables; failing to is no error."""
        if not self._changed or os.getpid() != self._owner:
            return
        tables = dict(list(self._tables.items())[-MAX_TABLES:])
        try:
            payload = pickle.dumps(tables, protocol=pickle.HIGHEST_PROTOCOL)
            ensure_cache_directory(self._cache.directory, self._cache.entries)
            _write_atomic(self._path, _MAGIC + self._mac(payload) + payload)
            self._changed = False
        except Exception:
            return


def _built_in(compute: Callable[..., Any]) -> bool:
    """A table the built-in code derives: the cache's salt changes with that code."""
    return getattr(compute, "__module__", "").startswith("fastapi_lint.")

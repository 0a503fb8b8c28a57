"""The project pass's per-module summaries, cached so that a warm run does not re-parse.

A summary (``ModuleSummary``: apps + the collectors' data) holds arbitrary Python objects,
so entries are pickles. A cache directory inside a repository can be planted by whoever
writes to the repository (a pull request in CI), and unpickling executes code; so every
entry is signed with HMAC-SHA256 under a per-user secret key kept outside the project
(``$XDG_CACHE_HOME/fastapi-lint/key``), and the signature is checked before a byte is
unpickled. The signed message includes the entry's key (content digest, path, module,
tool and collectors), so a genuine entry of another file or version is a miss too.

Anything wrong (no key, missing, truncated, foreign or unsigned entry, unpicklable data)
is a miss: the file is summarized afresh. Entries live next to the result cache
(``<cache_dir>/summaries/<salt>/``), one per file path, written atomically.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import pickle
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, MutableMapping, NamedTuple, Optional, Union

from fastapi_lint.cache import _code_fingerprint, _write_atomic, cache_root, digest, ensure_cache_directory
from fastapi_lint.config import Config
from fastapi_lint.project.index import ModuleSummary, collector_identities

SCHEMA = 6  # 2: ModuleSummary.parses; 3: ModuleSummary.fingerprints; 4: is_package, routers; 5: sites;
# 6: sites unpickled on first read
_MAGIC = b"FLSUM1\n"
_SNAPSHOT_MAGIC = b"FLSNAP3\n"  # 2: each collector's data pickled on its own (LazyFacts); 3: MAC of the SHA-256
_SNAPSHOT = "project.snapshot"
# a file changed less than this before the snapshot was taken may change again within its
# filesystem's timestamp granularity without its mtime moving (git's "racily clean" case):
# its stat is not trusted, its content digest decides
_RACY_NS = 2_000_000_000
_MAC_SIZE = hashlib.sha256().digest_size
_KEY_SIZE = 32


# -- the per-user key ------------------------------------------------------------------------
def key_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fastapi-lint", "key")


def _read_key(path: str) -> Optional[bytes]:
    """The key, if it is ours alone: a key others can read or write could sign their pickles."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            return None
        data = os.read(fd, _KEY_SIZE + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == _KEY_SIZE else None


def _create_key(path: str) -> None:
    """Write a fresh key atomically: a racing run either wins or reads the winner's key."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(os.urandom(_KEY_SIZE))
        try:
            os.link(temporary, path)  # fails if the key exists, unlike os.replace
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def load_key(path: Optional[str] = None) -> Optional[bytes]:
    """The per-user signing key, created on first use; None means: don't cache summaries."""
    path = path or key_path()
    key = _read_key(path)
    if key is None and not os.path.lexists(path):
        try:
            _create_key(path)
        except OSError:
            return None
        key = _read_key(path)
    return key


# -- the cache -------------------------------------------------------------------------------
def _collector_files() -> List[List[object]]:
    """Size and mtime of the modules defining collectors (plugins may live outside the package)."""
    stamps = []
    for module_name in sorted({identity[2] for identity in collector_identities()}):
        path = getattr(sys.modules.get(module_name), "__file__", None)
        try:
            info = os.stat(path) if path else None
        except OSError:
            info = None
        if info is not None:
            stamps.append([os.path.abspath(path), info.st_size, info.st_mtime_ns])
    return stamps


def summary_salt(root: str) -> str:
    """What every summary of this tool and collector set shares: it names their directory."""
    material = [SCHEMA, list(sys.version_info[:3]), pickle.HIGHEST_PROTOCOL, _code_fingerprint(()),
                _collector_files(), sorted(collector_identities()), os.path.abspath(root)]
    return digest(json.dumps(material, separators=(",", ":"), default=repr).encode())



def read_signed(path: str, magic: bytes, mac_of: Callable[[memoryview], bytes]) -> Optional[memoryview]:
    """The payload of a cache file laid out as ``magic + MAC + payload`` (not copied), when
    the MAC is the one ``mac_of`` computes with this user's key; else None."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    start = len(magic) + _MAC_SIZE
    if not data.startswith(magic) or len(data) < start:
        return None
    payload = memoryview(data)[start:]
    return payload if hmac.compare_digest(data[len(magic):start], mac_of(payload)) else None

class SummaryCache:
    def __init__(self, directory: str, salt: str, secret: bytes) -> None:
        self.directory = directory  # the cache root, shared with the result cache
        self.entries = os.path.join(directory, "summaries", salt)
        self.salt = salt
        self._secret = secret

    @classmethod
    def for_run(cls, config: Config, key_file: Optional[str] = None) -> Optional["SummaryCache"]:
        """The cache of this run, or None when no signing key can be had."""
        secret = load_key(key_file)
        if secret is None:
            return None
        return cls(cache_root(config), summary_salt(config.root), secret)

    def _entry(self, absolute: str) -> str:
        return os.path.join(self.entries, digest(absolute.encode()) + ".pickle")

    def _mac(self, absolute: str, module: str, content_digest: str, payload: bytes) -> bytes:
        head = json.dumps([self.salt, absolute, module, content_digest]).encode()
        return hmac.new(self._secret, head + b"\0" + payload, hashlib.sha256).digest()

    def load(self, absolute: str, module: str, content_digest: str) -> Optional[ModuleSummary]:
        """The file's summary, or None; only bytes this user signed are ever unpickled."""
        payload = read_signed(self._entry(absolute), _MAGIC,
                              lambda data: self._mac(absolute, module, content_digest, data))
        if payload is None:
            return None
        try:
            summary = pickle.loads(payload)
        except Exception:  # a signed entry of a changed class layout: a miss, not an error
            return None
        if not isinstance(summary, ModuleSummary) or summary.module != module:
            return None
        return summary

    def store(self, absolute: str, content_digest: str, summary: ModuleSummary) -> None:
        """Write the entry atomically; a summary that cannot be pickled or written is no error."""
        try:
            payload = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
            mac = self._mac(absolute, summary.module, content_digest, payload)
            ensure_cache_directory(self.directory, self.entries)
            _write_atomic(self._entry(absolute), _MAGIC + mac + payload)
        except Exception:
            return


_PENDING = object()


class LazyFacts(MutableMapping[str, Any]):
    """A module's collector data (``ModuleSummary.extra``) as the snapshot keeps it: each
    collector's share pickled on its own and unpickled when first read. A one-file run reads
    a few collectors' data (route wiring, dependency targets), not the call graph or served
    code that are most of the snapshot's bytes; a run that reads nothing new re-stores the
    bytes it loaded. The bytes were checked with the snapshot's signature when it was read."""

    __slots__ = ("_values", "_blobs")

    def __init__(self, values: Optional[Dict[str, Any]] = None, blobs: Optional[Dict[str, bytes]] = None) -> None:
        self._values: Dict[str, Any] = dict(values or {})
        self._blobs: Dict[str, bytes] = dict(blobs or {})
        for name in self._blobs:
            self._values.setdefault(name, _PENDING)

    def __getitem__(self, name: str) -> Any:
        value = self._values[name]
        if value is _PENDING:
            value = self._values[name] = pickle.loads(self._blobs.pop(name))
        return value

    def get(self, name: str, default: Any = None) -> Any:  # the common read, kept cheap
        value = self._values.get(name, default)
        return self[name] if value is _PENDING else value

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __setitem__(self, name: str, value: Any) -> None:
        self._blobs.pop(name, None)
        self._values[name] = value

    def __delitem__(self, name: str) -> None:
        self._blobs.pop(name, None)
        del self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"LazyFacts({sorted(self._values)})"

    def __reduce__(self) -> Any:
        blobs = {name: self._blobs[name] if value is _PENDING else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                 for name, value in self._values.items()}
        return _lazy_facts, (blobs,)


def _lazy_facts(blobs: Dict[str, bytes]) -> LazyFacts:
    return LazyFacts(blobs=blobs)


def _with_lazy_facts(summary: ModuleSummary) -> ModuleSummary:
    """The summary as the snapshot stores it (a copy: the index in use keeps its dicts).
    The sites too: positions of calls and classes, read only for a finding's note, were
    half the time of unpickling a snapshot (13 of 53 ms on onyx's 3,340 modules)."""
    if isinstance(summary.extra, LazyFacts) and isinstance(summary.sites, LazyFacts):
        return summary
    return dataclasses.replace(
        summary,
        extra=summary.extra if isinstance(summary.extra, LazyFacts) else LazyFacts(summary.extra),
        sites=summary.sites if isinstance(summary.sites, LazyFacts) else LazyFacts(summary.sites),
    )


class SnapshotEntry(NamedTuple):
    mtime_ns: int
    size: int
    content_digest: str
    summary: ModuleSummary


class Snapshot(NamedTuple):
    """Every file's summary from the last run, with the stat it was read under: a warm run
    reuses the summary of a file whose stat says it is unchanged without reading the file
    or opening one cache entry per file (one read of a signed file instead)."""

    taken_ns: int
    entries: Dict[str, SnapshotEntry]

    def unchanged(self, absolute: str, info: os.stat_result) -> Optional[SnapshotEntry]:
        entry = self.entries.get(absolute)
        if entry is None or entry.mtime_ns != info.st_mtime_ns or entry.size != info.st_size:
            return None
        return entry if info.st_mtime_ns < self.taken_ns - _RACY_NS else None


def _snapshot_path(cache: "SummaryCache") -> str:
    return os.path.join(cache.entries, _SNAPSHOT)


def _snapshot_mac(cache: "SummaryCache", payload: Union[bytes, memoryview]) -> bytes:
    # the MAC of the payload's SHA-256 (hash-then-MAC): one pass of the hash at its full speed
    # over tens of MB, where HMAC over a copy of them took three times as long
    content = hashlib.sha256(payload).digest()
    return hmac.new(cache._secret, cache.salt.encode() + b"\0snapshot\0" + content, hashlib.sha256).digest()


def load_snapshot(cache: "SummaryCache") -> Optional[Snapshot]:
    """The last run's snapshot, or None; only bytes this user signed are unpickled."""
    payload = read_signed(_snapshot_path(cache), _SNAPSHOT_MAGIC, lambda data: _snapshot_mac(cache, data))
    if payload is None:
        return None
    try:
        snapshot = pickle.loads(payload)
    except Exception:  # a signed snapshot of a changed class layout: a miss, not an error
        return None
    return snapshot if isinstance(snapshot, Snapshot) else None


def store_snapshot(cache: "SummaryCache", entries: Dict[str, SnapshotEntry], taken_ns: int) -> None:
    """Write the snapshot atomically; failing to is no error (the next run reads entries)."""
    try:
        lazy = {path: entry._replace(summary=_with_lazy_facts(entry.summary)) for path, entry in entries.items()}
        payload = pickle.dumps(Snapshot(taken_ns, lazy), protocol=pickle.HIGHEST_PROTOCOL)
        ensure_cache_directory(cache.directory, cache.entries)
        _write_atomic(_snapshot_path(cache), _SNAPSHOT_MAGIC + _snapshot_mac(cache, payload) + payload)
    except Exception:
        return


def now_ns() -> int:
    return time.time_ns()

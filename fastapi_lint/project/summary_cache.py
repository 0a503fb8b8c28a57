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

import hashlib
import hmac
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import time
import weakref
from typing import Any, Callable, Dict, Iterator, List, MutableMapping, NamedTuple, Optional, Tuple, Union

from fastapi_lint.cache import _code_fingerprint, _write_atomic, cache_root, digest, ensure_cache_directory
from fastapi_lint.config import Config
from fastapi_lint.project.fingerprint import count_module
from fastapi_lint.project.index import ModuleSummary, ProjectIndex, collector_identities

SCHEMA = 8  # 2: ModuleSummary.parses; 3: ModuleSummary.fingerprints; 4: is_package, routers; 5: sites;
# 6: sites unpickled on first read; 7: fingerprints are numbers that bind the module name;
# 8: the route, route declaration, model and text facts are named tuples
_MAGIC = b"FLSUM1\n"
_SNAPSHOT_MAGIC = b"FLSNAP6\n"  # 2: each collector's data pickled on its own (LazyFacts); 3: MAC of the SHA-256;
# 4: a signed head, the facts read region by region; 5: the index's fact sums; 6: summaries read when used
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

    def sign(self, label: bytes, *parts: Union[bytes, memoryview]) -> bytes:
        """The MAC of a file of this cache (the snapshot, the derived tables) under ``label``:
        of the parts' SHA-256 (hash-then-MAC), one pass of the hash at its full speed over
        megabytes, where HMAC over a copy of them took three times as long."""
        content = hashlib.sha256()
        for part in parts:
            content.update(part)
        return hmac.new(self._secret, self.salt.encode() + b"\0" + label + b"\0" + content.digest(),
                        hashlib.sha256).digest()

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


class SnapshotDamaged(Exception):
    """A region of the snapshot's facts does not hash to the digest its signed head gives:
    the file was changed by someone else after it was written (or the disk damaged it)."""


class _Regions:
    """The snapshot file's facts section, open for the life of the index read from it. It
    holds one region per collector (every module's data of that collector, side by side):
    a region is read and checked against the head's digest when a module's share of it is
    first used. A one-file run reads a few collectors (route wiring, dependency targets),
    not the call graph or served code that are most of the bytes."""

    def __init__(self, path: str, handle: Any, base: int,
                 table: Dict[str, Tuple[int, int, bytes]]) -> None:
        self.path = path
        self._base = base
        self._table = table  # region -> offset in the section, length, SHA-256
        self._read: Dict[str, bytes] = {}
        if hasattr(os, "pread"):  # no shared file position: forked workers read it too
            self._handle: Any = handle
            weakref.finalize(self, handle.close)
        else:  # Windows: an open file could not be replaced by the next snapshot
            handle.seek(base)
            self._handle, self._base = handle.read(), 0
            handle.close()

    def blob(self, region: str, offset: int, length: int) -> bytes:
        data = self._read.get(region)
        if data is None:
            data = self._read[region] = self._load(region)
        return data[offset:offset + length]

    def _load(self, region: str) -> bytes:
        start, length, expected = self._table[region]
        start += self._base
        if isinstance(self._handle, bytes):  # read at load (Windows)
            data = self._handle[start:start + length]
        else:
            data = os.pread(self._handle.fileno(), length, start)
        if len(data) != length or not hmac.compare_digest(hashlib.sha256(data).digest(), expected):
            _discard(self.path)
            raise SnapshotDamaged(f"the project cache {self.path} was changed after it was written; "
                                  "it is removed, the next run rebuilds it")
        return data


def _discard(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# where a module's share of one collector's region lies: offset and length in the region
_Place = Tuple[int, int]


class LazyFacts(MutableMapping[str, Any]):
    """A module's collector data (``ModuleSummary.extra``) as the snapshot keeps it: each
    collector's share pickled on its own and unpickled when first read. Read from a snapshot,
    the bytes stay in its file until needed (``_stored``: the regions, the prefix of their
    names, and each collector's place); a run that reads nothing new re-stores the bytes."""

    __slots__ = ("_values", "_blobs", "_stored")

    def __init__(self, values: Optional[Dict[str, Any]] = None, blobs: Optional[Dict[str, bytes]] = None) -> None:
        self._values: Dict[str, Any] = dict(values or {})
        self._blobs: Dict[str, bytes] = dict(blobs or {})
        self._stored: Optional[Tuple[_Regions, str, Dict[str, _Place]]] = None
        for name in self._blobs:
            self._values.setdefault(name, _PENDING)

    def _blob(self, name: str) -> bytes:
        blob = self._blobs.pop(name, None)
        if blob is None:  # still in the snapshot file
            regions, prefix, places = self._stored  # type: ignore[misc]
            blob = regions.blob(prefix + name, *places[name])
        return blob

    def __getitem__(self, name: str) -> Any:
        value = self._values[name]
        if value is _PENDING:
            value = self._values[name] = pickle.loads(self._blob(name))
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

    def blob_items(self) -> List[Tuple[str, bytes]]:
        """Each collector's data pickled, as the snapshot stores it (pending bytes as read)."""
        items = []
        for name, value in self._values.items():
            if value is _PENDING:
                blob = self._blobs[name] = self._blob(name)  # kept: the facts may be read later
            else:
                blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            items.append((name, blob))
        return items

    def __reduce__(self) -> Any:
        return _lazy_facts, (dict(self.blob_items()),)


def _lazy_facts(blobs: Dict[str, bytes]) -> LazyFacts:
    return LazyFacts(blobs=blobs)


def _stored_facts(regions: _Regions, prefix: str, places: Dict[str, _Place]) -> LazyFacts:
    facts = LazyFacts()
    facts._values = dict.fromkeys(places, _PENDING)
    facts._stored = (regions, prefix, places)
    return facts


class _Source:
    """The snapshot file a head's summaries were left in. The head is pickled with this one
    object standing for the file; reading the head sets ``regions``."""

    __slots__ = ("regions",)

    def __init__(self) -> None:
        self.regions: Optional[_Regions] = None


# the region of each summary's fields but its name and kind (summary_fields)
_SUMMARIES = "summary"


def fill_summary(summary: ModuleSummary, stored: Tuple[_Source, int, int]) -> None:
    """Read the fields of a summary the snapshot's head left in its file (ModuleSummary
    asks on the first use of one): its apps, routers, collector data and sites (their places
    in the file), and its fact digests."""
    source, offset, length = stored
    regions = source.regions
    assert regions is not None  # set when the head was read
    apps, routers, extra, sites, fingerprints = pickle.loads(regions.blob(_SUMMARIES, offset, length))
    summary.__dict__.update(apps=apps, routers=routers, extra=_stored_facts(regions, "", extra),
                            sites=_stored_facts(regions, "sites:", sites), fingerprints=fingerprints)


class _Section:
    """The facts section being written: one region per collector (and summary field)."""

    def __init__(self) -> None:
        self.regions: Dict[str, List[bytes]] = {}
        self._sizes: Dict[str, int] = {}

    def add(self, prefix: str, facts: Any) -> Dict[str, _Place]:
        """Store each collector's data in its region; where each lies."""
        items = facts.blob_items() if isinstance(facts, LazyFacts) else [
            (name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) for name, value in facts.items()]
        return {name: self.add_blob(prefix + name, blob) for name, blob in items}

    def add_blob(self, region: str, blob: bytes) -> _Place:
        offset = self._sizes.get(region, 0)
        self.regions.setdefault(region, []).append(blob)
        self._sizes[region] = offset + len(blob)
        return offset, len(blob)

    def summary(self, summary: ModuleSummary, source: _Source) -> ModuleSummary:
        """The summary as the head keeps it: its name, kind and whether it parses; the rest
        in the file, read back when first used (a one-file run uses a few of thousands)."""
        fields = (summary.apps, summary.routers, self.add("", summary.extra), self.add("sites:", summary.sites),
                  summary.fingerprints)
        place = self.add_blob(_SUMMARIES, pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
        stub = ModuleSummary.__new__(ModuleSummary)
        stub.__dict__.update(module=summary.module, is_package=summary.is_package, parses=summary.parses,
                             _stored=(source, *place))
        return stub

    def table(self) -> Tuple[Dict[str, Tuple[int, int, bytes]], List[bytes]]:
        """Each region's offset, length and SHA-256, and the section's bytes."""
        table: Dict[str, Tuple[int, int, bytes]] = {}
        chunks: List[bytes] = []
        offset = 0
        for region, blobs in self.regions.items():
            data = b"".join(blobs)
            table[region] = (offset, len(data), hashlib.sha256(data).digest())
            chunks.append(data)
            offset += len(data)
        return table, chunks


class SnapshotEntry(NamedTuple):
    mtime_ns: int
    size: int
    content_digest: str
    summary: ModuleSummary


class Snapshot(NamedTuple):
    """Every file's summary from the last run, with the stat it was read under: a warm run
    reuses the summary of a file whose stat says it is unchanged without reading the file
    or opening one cache entry per file (one read of a signed file instead).

    The file: magic, the MAC of the rest, the head's length, the head, then the facts
    section. The head is the table of the section's regions (with their SHA-256) and this
    tuple pickled, each summary's collector data and sites replaced by where they lie. A run
    reads the head and the regions it uses: the facts are nine tenths of the bytes (27 of
    30 MB on onyx), and reading, hashing and unpickling all of them was a fifth of a
    one-file run."""

    taken_ns: int
    entries: Dict[str, SnapshotEntry]
    # the index its run built from the entries: the file each module's summary came from,
    # and the index's fact sums (ProjectIndex.fact_sums)
    owners: Dict[str, str]
    sums: Dict[str, int]
    source: _Source  # the file its summaries' other fields are in

    def unchanged(self, absolute: str, info: os.stat_result) -> Optional[SnapshotEntry]:
        entry = self.entries.get(absolute)
        if entry is None or entry.mtime_ns != info.st_mtime_ns or entry.size != info.st_size:
            return None
        return entry if info.st_mtime_ns < self.taken_ns - _RACY_NS else None

    def sums_for(self, index: ProjectIndex) -> Dict[str, int]:
        """``index``'s fact sums: the snapshot's, less the modules that are no longer as
        they were, plus what took their place. A one-file run digests the one module it
        changed instead of adding up every module's digests."""
        sums = dict(self.sums)
        entries, owners = self.entries, self.owners
        for module, summary in index.modules.items():
            path = index.path_of(module) or ""
            owner = owners.get(module)
            if owner is not None:
                kept = entries[owner].summary
                if owner == path and kept is summary:
                    continue  # the same summary of the same file
                count_module(sums, kept, owner, -1)
            count_module(sums, summary, path, 1)
        for module, owner in owners.items():
            if module not in index.modules:  # gone since
                count_module(sums, entries[owner].summary, owner, -1)
        return sums


_LENGTH = struct.Struct("<Q")


def _snapshot_path(cache: "SummaryCache") -> str:
    return os.path.join(cache.entries, _SNAPSHOT)


def load_snapshot(cache: "SummaryCache") -> Optional[Snapshot]:
    """The last run's snapshot, or None; only bytes this user signed are unpickled."""
    path = _snapshot_path(cache)
    try:
        handle = open(path, "rb", buffering=0)
    except OSError:
        return None
    snapshot = _read_snapshot(cache, path, handle)
    if snapshot is None:
        handle.close()  # else its facts section is read from it (the regions close it)
    return snapshot


def _read_snapshot(cache: "SummaryCache", path: str, handle: Any) -> Optional[Snapshot]:
    start = len(_SNAPSHOT_MAGIC) + _MAC_SIZE
    try:
        prefix = handle.read(start + _LENGTH.size)
        if len(prefix) != start + _LENGTH.size or not prefix.startswith(_SNAPSHOT_MAGIC):
            return None
        length = prefix[start:]
        (size,) = _LENGTH.unpack(length)
        head = handle.read(size)
    except (OSError, OverflowError, MemoryError):
        return None
    # the head signs the regions' digests
    if len(head) != size or not hmac.compare_digest(prefix[len(_SNAPSHOT_MAGIC):start],
                                                    cache.sign(b"snapshot", length, head)):
        return None
    try:
        reader = io.BytesIO(head)
        table = pickle.load(reader)  # plain data: regions and their digests
        regions = _Regions(path, handle, len(prefix) + size, table)
        snapshot = pickle.loads(memoryview(head)[reader.tell():])
    except Exception:  # a signed snapshot of a changed class layout: a miss, not an error
        return None
    if not isinstance(snapshot, Snapshot):
        return None
    snapshot.source.regions = regions
    return snapshot


def store_snapshot(cache: "SummaryCache", entries: Dict[str, SnapshotEntry], taken_ns: int,
                   index: ProjectIndex) -> None:
    """Write the snapshot atomically; failing to is no error (the next run reads entries).
    ``index``: the index built from ``entries``."""
    try:
        section, source = _Section(), _Source()
        stored = {path: entry._replace(summary=section.summary(entry.summary, source))
                  for path, entry in entries.items()}
        owners = {module: index.path_of(module) or "" for module in index.modules}
        table, chunks = section.table()
        head = (pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
                + pickle.dumps(Snapshot(taken_ns, stored, owners, index.fact_sums(), source),
                               protocol=pickle.HIGHEST_PROTOCOL))
        length = _LENGTH.pack(len(head))
        ensure_cache_directory(cache.directory, cache.entries)
        _write_atomic(_snapshot_path(cache),
                      b"".join([_SNAPSHOT_MAGIC, cache.sign(b"snapshot", length, head), length, head, *chunks]))
    except Exception:
        return


def now_ns() -> int:
    return time.time_ns()

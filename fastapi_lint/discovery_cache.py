"""The last walk of the project root, replayed while nothing it read has changed.

git's untracked-cache idea: a directory whose stat is unchanged lists the same entries, and
a ``.gitignore`` whose stat is unchanged holds the same patterns. A walk records the stat of
every directory it listed, every ``.gitignore`` it read and every build-output directory it
judged (``build/`` is source when it holds an ``__init__.py``); the next run stats those
paths (a few thousand stats) instead of listing and matching again. Creating, deleting or
renaming a file changes its directory's stat; editing a ``.gitignore`` changes its own.

Anything else walks again: a changed or missing path, a stat taken less than the racy
margin before the walk (the directory may have changed again within its timestamp's
granularity), a walk with errors, another configuration or another version of the code
that walks. The file is signed with the summary cache's per-user key: a list planted in a
shared cache directory could hide files from the linter.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any, List, Optional, Sequence, Tuple

from fastapi_lint import __version__
from fastapi_lint.config import Config

SCHEMA = 1
_MAGIC = b"FLWALK1\n"
_RACY_NS = 2_000_000_000  # as the summary snapshot's: coarse filesystem timestamps
# the code that decides which files a walk finds
_WALKERS = ("discovery.py", "discovery_cache.py", "config.py")

Signature = Tuple[int, int, int]  # mtime (ns), size, inode


def signature(path: str) -> Optional[Signature]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


class Watch:
    """What one walk read: the paths whose stats must stay as they were for its result to."""

    def __init__(self) -> None:
        self.taken_ns = time.time_ns()
        self.stats: List[Tuple[str, Signature]] = []
        self.missing: List[str] = []  # paths that must stay missing
        self.complete = True  # a stat failed: the walk cannot be replayed

    def add(self, path: str, info: Optional[os.stat_result] = None, may_be_missing: bool = False) -> None:
        if info is None:
            try:
                info = os.stat(path)
            except OSError as exc:
                if may_be_missing and isinstance(exc, FileNotFoundError):
                    self.missing.append(path)  # its creation changes the result
                else:
                    self.complete = False
                return
        self.stats.append((path, (info.st_mtime_ns, info.st_size, info.st_ino)))


def _key(config: Config, given: str) -> str:
    package = os.path.dirname(os.path.abspath(__file__))
    code = [signature(os.path.join(package, name)) for name in _WALKERS]
    material = [SCHEMA, __version__, code, os.path.abspath(config.root), given, os.path.abspath(given),
                list(config.exclude), list(config.extend_exclude), config.respect_gitignore]
    return hashlib.blake2b(json.dumps(material).encode(), digest_size=20).hexdigest()


class WatchedCache:
    """Results kept while every path they were read from keeps its stat, one signed JSON
    file per key under ``<cache root>/<kind>/``."""

    KIND = ""
    MAGIC = b""

    def __init__(self, directory: str, secret: bytes) -> None:
        self.directory = directory  # the cache root, shared with the result cache
        self.entries = os.path.join(directory, self.KIND)
        self._secret = secret

    @classmethod
    def for_run(cls, config: Config, key_file: Optional[str] = None):  # -> Optional[Self]
        from fastapi_lint.cache import cache_root
        from fastapi_lint.project.summary_cache import load_key

        secret = load_key(key_file)
        if secret is None:
            return None
        return cls(cache_root(config), secret)

    def _path(self, key: str) -> str:
        return os.path.join(self.entries, key + "." + self.KIND)

    def _mac(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, key.encode() + b"\0" + self.KIND.encode() + b"\0" + payload,
                        hashlib.sha256).digest()

    def load_entry(self, key: str) -> Optional[Any]:
        """What was stored under ``key``, if every watched path still has its stat."""
        from fastapi_lint.project.summary_cache import read_signed

        payload = read_signed(self._path(key), self.MAGIC, lambda data: self._mac(key, data))
        if payload is None:
            return None
        try:
            entry = json.loads(bytes(payload))
            oldest_trusted = entry["taken_ns"] - _RACY_NS
            for path, *stat in entry["watched"]:
                if not stat:  # a path that was missing
                    if os.path.lexists(path):
                        return None
                elif stat[0] >= oldest_trusted or signature(path) != tuple(stat):
                    return None
            return entry["value"]
        except (ValueError, TypeError, KeyError):
            return None

    def store_entry(self, key: str, watch: Watch, value: Any) -> None:
        """Remember ``value``; failing to is no error."""
        if not watch.complete:
            return
        from fastapi_lint.cache import _write_atomic, ensure_cache_directory

        payload = json.dumps({
            "taken_ns": watch.taken_ns,
            "watched": [[path, *stat] for path, stat in watch.stats] + [[path] for path in watch.missing],
            "value": value,
        }, separators=(",", ":")).encode()
        try:
            ensure_cache_directory(self.directory, self.entries)
            _write_atomic(self._path(key), self.MAGIC + self._mac(key, payload) + payload)
        except OSError:
            return


class DiscoveryCache(WatchedCache):
    """The cache of walks of one project's root, under its cache directory."""

    KIND = "discovery"
    MAGIC = _MAGIC

    def load(self, config: Config, given: str) -> Optional[List[Tuple[str, str]]]:
        """The (display, absolute) pairs the last walk of ``given`` found, if it still holds."""
        files = self.load_entry(_key(config, given))
        try:
            return [(display, absolute) for display, absolute in files] if files is not None else None
        except (ValueError, TypeError):
            return None

    def store(self, config: Config, given: str, watch: Watch, files: Sequence[Tuple[str, str]]) -> None:
        """Remember a walk that can be replayed; failing to is no error."""
        self.store_entry(_key(config, given), watch, [list(pair) for pair in files])

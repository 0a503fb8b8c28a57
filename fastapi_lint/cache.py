"""Results cached per file, keyed by everything that can change them.

A file's key is the digest of: its bytes, its path, the tool (version and the code of the
package and of the selected rules), the effective configuration and rule selection, and —
for the project collectors the selected rules read (``Rule.PROJECT_FACTS``) plus the
apps/routers every file's facts resolve against — a digest of the collectors' *data* over
the whole project. Editing a module re-lints the files that read the project facts only when
that edit changes those facts.

Entries are JSON files named after the file's path (so a changed file overwrites its entry
rather than piling up), written atomically (temporary file + ``os.replace``): concurrent runs
may race, but every entry is whole and self-checking. A run that lints many files writes
them all into one pack instead (``pack.json``, valid for one project state), read first.
An entry is trusted only when its schema, key and every field check out; anything else is
a miss and the file is re-linted.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type

from fastapi_lint import __version__
from fastapi_lint.config import Config
from fastapi_lint.project.fingerprint import FACT_DIGEST_BITS, IMPLICIT_FACTS, digest
from fastapi_lint.project import ProjectIndex
from fastapi_lint.locations import absolute_path, shown_path
from fastapi_lint.rule import Edit, Finding, Fix, Related, Rule

SCHEMA = 2  # 2: findings' related locations
_PACK = "pack.json"  # every file's entry of the run that wrote it (entries are <digest>.json)
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by fastapi-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def collector_fingerprints(project: Optional[ProjectIndex], names: Iterable[str]) -> Dict[str, str]:
    """Per collector name, a digest of its data over the whole project: the sum of the
    modules' digests of it (each binds its module's name), which the index keeps as its
    modules change."""
    wanted = sorted(set(names))
    if project is None:
        return {name: "" for name in wanted}
    sums = project.fact_sums()
    return {name: format(sums.get(name, 0) % _SUM_MODULUS, "040x") for name in wanted}


_SUM_MODULUS = 1 << FACT_DIGEST_BITS


def _code_fingerprint(rules: Iterable[Type[Rule]]) -> List[Any]:
    """The installed code: the version, and size+mtime of the package and rule modules.

    The version alone would serve stale results to an editable install being worked on.
    """
    files = set()
    package = os.path.dirname(os.path.abspath(__file__))
    for directory, _, names in os.walk(package):
        files.update(os.path.join(directory, n) for n in names if n.endswith(".py"))
    for rule in rules:
        module = sys.modules.get(rule.__module__)
        path = getattr(module, "__file__", None)
        if path:
            files.add(os.path.abspath(path))
    stamps = []
    for path in sorted(files):
        try:
            info = os.stat(path)
        except OSError:
            continue
        stamps.append([path, info.st_size, info.st_mtime_ns])
    return [__version__, stamps]


def run_salt(config: Config, rules: Sequence[Type[Rule]], versions: str = "") -> str:
    """What every entry of one configuration shares: it names the entries' directory.
    ``versions``: the fingerprint of the project's declared dependency versions."""
    codes = sorted(rule.CODE + "@" + rule.__module__ + "." + rule.__qualname__ for rule in rules)
    material = [SCHEMA, _code_fingerprint(rules), config.fingerprint(), os.path.abspath(config.root), codes,
                versions]
    return digest(json.dumps(material, separators=(",", ":"), default=repr).encode())


def project_salt(project: Optional[ProjectIndex], rules: Sequence[Type[Rule]]) -> str:
    names = {IMPLICIT_FACTS}
    for rule in rules:
        names.update(getattr(rule, "PROJECT_FACTS", ()))
    return digest(json.dumps(sorted(collector_fingerprints(project, names).items())).encode())


# -- entries ---------------------------------------------------------------------------------
def _finding_to_json(finding: Finding, absolute: str) -> Dict[str, Any]:
    data = dataclasses.asdict(finding)
    del data["path"]  # the run's display path is put back on load
    # absolute, shown again as the run shows the file's own path
    data["related"] = [{**related, "path": absolute_path(related["path"], finding.path, absolute)}
                       for related in data["related"]]
    return data


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding) if f.name != "path")
_FIX_FIELDS = tuple(f.name for f in dataclasses.fields(Fix))
_EDIT_FIELDS = tuple(f.name for f in dataclasses.fields(Edit))
_RELATED_FIELDS = tuple(f.name for f in dataclasses.fields(Related))


class _Invalid(Exception):
    pass


def _check_scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, (str, int, float)):
        raise _Invalid(type(value).__name__)
    return value


def _exact(data: Any, fields: Tuple[str, ...]) -> Dict[str, Any]:
    if not isinstance(data, dict) or set(data) != set(fields):
        raise _Invalid("fields")
    return data


def _fix_from_json(data: Any) -> Optional[Fix]:
    if data is None:
        return None
    data = _exact(data, _FIX_FIELDS)
    if not isinstance(data["edits"], list):
        raise _Invalid("edits")
    edits = []
    for edit in data["edits"]:
        edit = _exact(edit, _EDIT_FIELDS)
        edits.append(Edit(**{k: _check_scalar(v) for k, v in edit.items()}))
    return Fix(_check_scalar(data["applicability"]), _check_scalar(data["message"]), tuple(edits))


def _related_from_json(data: Any, display: str, absolute: str) -> Tuple[Related, ...]:
    if not isinstance(data, list):
        raise _Invalid("related")
    found = []
    for item in data:
        item = _exact(item, _RELATED_FIELDS)
        values = {k: _check_scalar(v) for k, v in item.items()}
        if not isinstance(values["path"], str) or not all(_is_int(values[k]) for k in ("line", "column")):
            raise _Invalid("related")
        values["path"] = shown_path(values["path"], display, absolute)
        found.append(Related(**values))
    return tuple(found)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finding_from_json(path: str, data: Any, absolute: str = "") -> Finding:
    data = _exact(data, _FINDING_FIELDS)
    values = {k: (_fix_from_json(v) if k == "fix" else _related_from_json(v, path, absolute) if k == "related"
                  else _check_scalar(v)) for k, v in data.items()}
    for name in ("line", "column", "end_line", "end_column"):
        if not _is_int(values[name]):
            raise _Invalid(name)
    return Finding(path=path, **values)



def cache_root(config: Config) -> str:
    """The cache directory of ``config``'s project (a relative ``cache-dir`` is under its root)."""
    if os.path.isabs(config.cache_dir):
        return config.cache_dir
    return os.path.join(config.root, config.cache_dir)

class ResultCache:
    """The cache of one run: one configuration, one project state."""

    def __init__(self, directory: str, salt: str, project_salt: str,
                 digests: Optional[Mapping[str, str]] = None) -> None:
        self.directory = directory  # the cache root (CACHEDIR.TAG, .gitignore)
        self.entries = os.path.join(directory, "results", salt)
        self.project_salt = project_salt
        # absolute path -> content digest of the project's files: a finding pointing into
        # another file (Related) is stale when that file changed, even with the same facts
        self.digests: Mapping[str, str] = digests or {}
        self._pack: Optional[Dict[str, Any]] = None

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_pack"] = None  # workers only store: the pack the main process read stays there
        return state

    @classmethod
    def for_run(cls, config: Config, rules: Sequence[Type[Rule]], project: Optional[ProjectIndex],
                versions: str = "", digests: Optional[Mapping[str, str]] = None) -> "ResultCache":
        return cls(cache_root(config), run_salt(config, rules, versions), project_salt(project, rules), digests)

    def key(self, absolute: str, content_digest: str) -> str:
        return digest(f"{self.project_salt}\0{absolute}\0{content_digest}".encode())

    def _entry(self, absolute: str) -> str:
        return os.path.join(self.entries, digest(absolute.encode()) + ".json")

    def load(self, display: str, absolute: str, content_digest: str) -> Optional[List[Finding]]:
        """The cached findings of the file, or None (missing, stale, corrupt or foreign): from
        the run's pack, else from the file's own entry."""
        packed = self._packed(absolute).get(absolute)
        if packed is not None:
            found = self._findings(packed, display, absolute, content_digest)
            if found is not None:
                return found
        try:
            with open(self._entry(absolute), "rb") as handle:
                data = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        return self._findings(data, display, absolute, content_digest)

    def _findings(self, data: Any, display: str, absolute: str, content_digest: str) -> Optional[List[Finding]]:
        try:
            if not isinstance(data, dict) or data.get("schema") != SCHEMA:
                return None
            if data.get("key") != self.key(absolute, content_digest) or not isinstance(data.get("findings"), list):
                return None
            if data.get("related") != self._related_digests(data["findings"], absolute):
                return None  # a file a finding points into changed (or the entry lies)
            return [_finding_from_json(display, item, absolute) for item in data["findings"]]
        except (ValueError, TypeError, _Invalid):
            return None

    def entry(self, absolute: str, content_digest: str, findings: Sequence[Finding]) -> Optional[Dict[str, Any]]:
        """What is stored of the file's findings; None when it cannot be checked later."""
        stored = [_finding_to_json(f, absolute) for f in findings]
        related = self._related_digests(stored, absolute)
        if related is None:
            return None  # it points into a file the run has no digest of: nothing to check it by
        return {
            "schema": SCHEMA,
            "tool": __version__,
            "key": self.key(absolute, content_digest),
            "findings": stored,
            "related": related,
        }

    def store(self, absolute: str, content_digest: str, findings: Sequence[Finding]) -> None:
        """Write the file's entry atomically; a cache that cannot be written is no error."""
        payload = self.entry(absolute, content_digest, findings)
        if payload is None:
            return
        try:
            ensure_cache_directory(self.directory, self.entries)
            _write_atomic(self._entry(absolute), json.dumps(payload, separators=(",", ":")).encode())
        except (OSError, TypeError, ValueError):
            return

    def store_pack(self, entries: Mapping[str, Dict[str, Any]]) -> None:
        """Write every file's entry in one file (absolute path -> entry), read before the
        files' own entries: creating an entry file per module cost a cold run about a
        millisecond each on the benchmark machine, and a warm run opened each of them."""
        payload = {"schema": SCHEMA, "tool": __version__, "project": self.project_salt, "entries": entries}
        try:
            ensure_cache_directory(self.directory, self.entries)
            _write_atomic(os.path.join(self.entries, _PACK), json.dumps(payload, separators=(",", ":")).encode())
        except (OSError, TypeError, ValueError):
            return

    def _packed(self, absolute: str) -> Dict[str, Any]:
        """The pack's entries when it was written for this project state, else none. Not
        read for a file changed since the pack was written (a run of one edited file would
        parse every file's entry to find none)."""
        if self._pack is None:
            try:
                if os.stat(absolute).st_mtime_ns > os.stat(os.path.join(self.entries, _PACK)).st_mtime_ns:
                    return {}
            except OSError:
                pass
            self._pack = {}
            try:
                with open(os.path.join(self.entries, _PACK), "rb") as handle:
                    data = json.loads(handle.read())
            except (OSError, ValueError):
                return self._pack
            if (isinstance(data, dict) and data.get("schema") == SCHEMA and data.get("project") == self.project_salt
                    and isinstance(data.get("entries"), dict)):
                self._pack = data["entries"]
        return self._pack

    def _related_digests(self, findings: List[Any], absolute: str) -> Optional[Dict[str, str]]:
        """The digests of the other files the (stored) findings point into, or None when one
        is unknown."""
        found: Dict[str, str] = {}
        for finding in findings:
            related = finding.get("related") if isinstance(finding, dict) else None
            for item in related if isinstance(related, list) else ():
                path = item.get("path") if isinstance(item, dict) else None
                if not isinstance(path, str) or path == absolute or path in found:
                    continue
                content = self.digests.get(path)
                if content is None:
                    return None
                found[path] = content
        return found


def _write_atomic(path: str, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def ensure_cache_directory(directory: str, entries: str) -> None:
    """Create ``entries`` under the cache ``directory``, marked so that backup tools
    (CACHEDIR.TAG) and git (.gitignore) skip it; a new one prunes its oldest siblings."""
    if os.path.isdir(entries):
        return
    os.makedirs(entries, exist_ok=True)
    for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by fastapi-lint\n*\n")):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            _write_atomic(path, text.encode())
    _prune_older_salts(entries)


# other salts kept beside a new one: another configuration in use (an editor's, a hook's)
# survives; the salts of past versions of the code go
KEPT_SALTS = 4
_SALT = re.compile(r"[0-9a-f]{16,64}")


def _prune_older_salts(entries: str) -> None:
    """A new salt (a new version of the code, another configuration) leaves the directories
    of the old ones behind, a snapshot of every module each (30 MB for a project of 3,000
    modules): keep the ``KEPT_SALTS`` most recently written. Only directories named like a
    salt, never through a symbolic link; what cannot be removed stays."""
    parent, mine = os.path.split(entries)
    try:
        names = os.listdir(parent)
    except OSError:
        return
    salts = []
    for name in names:
        if name == mine or not _SALT.fullmatch(name):
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            salts.append((info.st_mtime_ns, path))
    salts.sort(reverse=True)
    for _, path in salts[KEPT_SALTS:]:
        shutil.rmtree(path, ignore_errors=True)

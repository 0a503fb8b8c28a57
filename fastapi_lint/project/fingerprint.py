"""Digests of a module's project facts, for the result cache's key and the kept tables.

A cached result of a rule that reads other modules stays valid while the data of the
collectors it reads is unchanged over the whole project. Each module's share of that data
is digested once, with the module's name, when the module is summarized (in the workers,
and kept with the summary in the summary cache). The project's digest of a collector is
the sum of its modules' digests (``ProjectIndex.fact_sums``): a changed module moves it by
its own difference, so an index that changes one module does not re-read every module.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Tuple

from fastapi_lint.project.index import ModuleSummary

# facts.py resolves app/router instances of other modules through the index for every file
# (the apps, the router facts -- classes, factories, attributes -- and which modules are
# packages, which decides how imports resolve)
IMPLICIT_FACTS = "apps"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def canonical(value: Any) -> Any:
    """A JSON-able form that is the same in every process (sets sorted, no hash order)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is tuple or kind is list:
        return [canonical(v) for v in value]
    if kind is dict:
        # a key's form alone orders the pairs (keys are unique): the values' forms, which may
        # be large, are never turned into text to be sorted
        pairs = [[canonical(k), canonical(v)] for k, v in value.items()]
        pairs.sort(key=_first_text)
        return pairs
    if kind is set or kind is frozenset:
        return sorted((canonical(v) for v in value), key=repr)
    names = _field_names(kind)
    if names is not None:
        return [kind.__name__] + [[name, canonical(getattr(value, name))] for name in names]
    return _canonical_subclass(value)


# field names per dataclass type, read once
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _field_names(kind: type) -> Optional[Tuple[str, ...]]:
    """The field names of a dataclass or named tuple type; None for any other type."""
    names = _FIELDS.get(kind)
    if names is None:
        if dataclasses.is_dataclass(kind):
            names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
        elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
            names = _FIELDS[kind] = tuple(kind._fields)
    return names


def _first_text(pair: List[Any]) -> Tuple[bool, str]:
    key = pair[0]
    return (False, key) if type(key) is str else (True, repr(key))


def _canonical_subclass(value: Any) -> Any:
    """Instances of subclasses of the plain types (a ``str`` enum member, a named tuple)."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):  # a dict subclass, or the snapshot's LazyFacts
        return canonical(dict(value))
    if isinstance(value, (set, frozenset)):
        return canonical(frozenset(value))
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return repr(value)  # an object without a stable form at worst makes the cache miss


FACT_DIGEST_BITS = 160
# the key of ``ProjectIndex.fact_sums`` for the modules' names, files and kinds: what every
# import resolves against (no collector has this name)
LAYOUT = "(layout)"


def fact_digests(summary: ModuleSummary) -> Dict[str, int]:
    """Per collector name (and ``IMPLICIT_FACTS``), a digest of this module's name and its
    data, as a number (the project's digest is their sum); made once per summary and kept
    on it. The name is digested with the data: the same facts moved to another module
    change the sum."""
    found = summary.fingerprints
    if found is None:
        facts: Dict[str, Any] = dict(summary.extra)
        if summary.apps or summary.routers or summary.is_package:
            facts[IMPLICIT_FACTS] = [summary.apps, summary.routers, summary.is_package]
        named = f"{len(summary.module)}:{summary.module}"  # length-prefixed: no two pairs give the same text
        found = summary.fingerprints = {name: _number(named + fact_text(value)) for name, value in facts.items()}
    return found


def count_module(sums: Dict[str, int], summary: ModuleSummary, path: str, sign: int) -> None:
    """Add (1) or take away (-1) one module of an index from its ``fact_sums``: its fact
    digests, and under ``LAYOUT`` its name, file (absolute) and kind."""
    for name, value in fact_digests(summary).items():
        sums[name] = sums.get(name, 0) + sign * value
    layout = _number(f"{len(summary.module)}:{summary.module}{len(path)}:{path}{int(summary.is_package)}")
    sums[LAYOUT] = sums.get(LAYOUT, 0) + sign * layout


def _number(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=FACT_DIGEST_BITS // 8).digest(), "big")


def fact_text(value: Any) -> str:
    """The same text in every process for equal facts, whatever order their dicts and sets
    were filled in. ``json``'s C encoder does the lists, tuples, strings and dicts (sorted
    by key); only sets and dataclasses come back to Python (``_plain``): twice as fast as
    building ``canonical``'s form of every value first. Dicts whose keys cannot be sorted
    or encoded (tuples, mixed types) fall back to ``canonical``."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError):
        return json.dumps(canonical(value), separators=(",", ":"))


def _plain(value: Any) -> Any:
    """What the encoder cannot write itself: a dataclass as ``canonical`` lays it out, its
    values left to the encoder; anything else (sets above all) in ``canonical``'s form."""
    kind = type(value)
    names = _field_names(kind)
    if names is not None:
        return [kind.__name__] + [[name, getattr(value, name)] for name in names]
    return canonical(value)


_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=_plain)

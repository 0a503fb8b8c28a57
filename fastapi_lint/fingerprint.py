"""Digests of a module's project facts, for the result cache's key.

A cached result of a rule that reads other modules stays valid while the data of the
collectors it reads is unchanged over the whole project. Each module's share of that data
is digested once, when the module is summarized (in the workers, and kept with the summary
in the summary cache), so a warm run combines a few digests per module instead of
re-serializing every module's facts.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Dict

from fastapi_lint.project import ModuleSummary

# facts.py resolves app/router instances of other modules through the index for every file
# (the apps, the router facts -- classes, factories, attributes -- and which modules are
# packages, which decides how imports resolve)
IMPLICIT_FACTS = "apps"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def canonical(value: Any) -> Any:
    """A JSON-able form that is the same in every process (sets sorted, no hash order)."""
    if isinstance(value, dict):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__] + [[f.name, canonical(getattr(value, f.name))]
                                         for f in dataclasses.fields(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)  # an object without a stable form at worst makes the cache miss


def fact_digests(summary: ModuleSummary) -> Dict[str, str]:
    """Per collector name (and ``IMPLICIT_FACTS``), the digest of this module's data; made
    once per summary and kept on it."""
    if summary.fingerprints is None:
        facts: Dict[str, Any] = dict(summary.extra)
        if summary.apps or summary.routers or summary.is_package:
            facts[IMPLICIT_FACTS] = [summary.apps, summary.routers, summary.is_package]
        summary.fingerprints = {
            name: digest(json.dumps(canonical(value), separators=(",", ":")).encode())
            for name, value in facts.items()
        }
    return summary.fingerprints

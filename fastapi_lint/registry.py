"""Rule discovery and selection.

Built-in rules are found by walking ``fastapi_lint.rules`` (adding a rule is adding a
module); third-party rules come from the entry point group ``fastapi_lint.rules``, whose
entries name a Rule subclass or a module containing Rule subclasses.
"""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Sequence, Type

from fastapi_lint.rule import Default, Rule

ENTRY_POINT_GROUP = "fastapi_lint.rules"


class RegistryError(Exception):
    pass


def _rules_in_module(module: ModuleType) -> List[Type[Rule]]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Rule) and obj is not Rule and obj.CODE and obj.__module__ == module.__name__
    ]


def _builtin_rules() -> List[Type[Rule]]:
    import fastapi_lint.rules as package

    found: List[Type[Rule]] = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        found.extend(_rules_in_module(importlib.import_module(info.name)))
    return found


def _may_have_plugins() -> bool:
    """Whether an installed distribution may declare our entry point group: the metadata
    files on ``sys.path`` that name it, read directly (about a millisecond). Importing
    ``importlib.metadata`` and parsing every distribution's entry points is ten times that,
    a run's largest fixed cost after the imports when, as almost always, there is none."""
    for entry in sys.path:
        try:
            scan = os.scandir(entry or ".")
        except NotADirectoryError:  # a zip or an egg: only importlib.metadata reads those
            return True
        except OSError:
            continue
        with scan:
            for item in scan:
                if not item.name.endswith((".dist-info", ".egg-info")):
                    continue
                try:
                    with open(os.path.join(item.path, "entry_points.txt"), encoding="utf-8",
                              errors="replace") as handle:
                        if ENTRY_POINT_GROUP in handle.read():
                            return True
                except OSError:
                    continue
    return False


def _entry_points():
    if not _may_have_plugins():
        return []
    if sys.version_info >= (3, 10):
        from importlib.metadata import entry_points

        return list(entry_points(group=ENTRY_POINT_GROUP))
    from importlib.metadata import entry_points  # pragma: no cover - 3.9

    return list(entry_points().get(ENTRY_POINT_GROUP, []))


def _plugin_rules() -> List[Type[Rule]]:
    found: List[Type[Rule]] = []
    for ep in _entry_points():
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin must not stop the linter
            print(f"fastapi-lint: could not load plugin {ep.name!r}: {exc}", file=sys.stderr)
            continue
        if inspect.ismodule(loaded):
            found.extend(_rules_in_module(loaded))
        elif inspect.isclass(loaded) and issubclass(loaded, Rule):
            found.append(loaded)
    return found


_ALL: Optional[Dict[str, Type[Rule]]] = None


def all_rules() -> Dict[str, Type[Rule]]:
    """Every known rule by code, built-ins first; a plugin may not reuse a built-in code."""
    global _ALL
    if _ALL is None:
        rules: Dict[str, Type[Rule]] = {}
        for rule in _builtin_rules():
            rules[rule.CODE] = rule
        for rule in _plugin_rules():
            if rule.CODE in rules and rules[rule.CODE] is not rule:
                print(f"fastapi-lint: plugin rule {rule.CODE} clashes with an existing rule; ignored",
                      file=sys.stderr)
                continue
            rules[rule.CODE] = rule
        _ALL = dict(sorted(rules.items()))
    return _ALL


def reset_cache() -> None:
    global _ALL
    _ALL = None


def is_known_selector(selector: str, codes: Iterable[str]) -> bool:
    return selector == "ALL" or any(code.startswith(selector) for code in codes)


def _specificity(code: str, selectors: Sequence[str]) -> int:
    """Length of the longest selector matching ``code`` (-1: none). ``ALL`` is the least specific."""
    best = -1
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 0)
        elif code.startswith(selector):
            best = max(best, len(selector))
    return best


def select_rules(
    rules: Dict[str, Type[Rule]],
    select: Sequence[str],
    extend_select: Sequence[str],
    ignore: Sequence[str],
    preview: bool,
) -> List[Type[Rule]]:
    """ruff's semantics: the most specific selector wins; ignore wins a tie.

    Preview rules run with ``preview`` on, or when selected by their exact code.
    """
    chosen: List[Type[Rule]] = []
    selectors = list(select) + list(extend_select)
    for code, rule in rules.items():
        sel = _specificity(code, selectors)
        if sel < 0 or _specificity(code, ignore) >= sel:
            continue
        if rule.DEFAULT is Default.PREVIEW and not preview and code not in selectors:
            continue
        chosen.append(rule)
    return chosen

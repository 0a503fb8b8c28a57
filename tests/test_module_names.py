"""Module names: the prefix cut taken for discovered paths names them as relpath would."""
from __future__ import annotations

import os
from typing import Tuple

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fastapi_lint.project import module_name_for


def _by_relpath(path: str, root: str) -> Tuple[str, bool]:
    """The definition: the path relative to the root, normalized, as dotted parts."""
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
    return ".".join(p for p in parts if p and p != "."), is_package


_PART = st.sampled_from(["app", "pkg", ".", "..", "", ".hidden", "a.b", "__init__.py", "m.py", "s.pyi"])


@given(st.lists(_PART, max_size=4), st.lists(_PART, min_size=1, max_size=5), st.booleans())
@example([], ["app", "m.py", ""], True)  # a trailing separator
@example(["app", ".."], ["app", "m.py"], True)
@settings(max_examples=400, deadline=None)
def test_module_name_equals_the_relpath_definition(root_parts, parts, absolute) -> None:
    root = os.path.join(os.sep, "work", *root_parts)
    base = root if absolute else os.path.join(os.sep, "elsewhere")
    path = os.sep.join([base] + parts)  # an empty part doubles a separator
    assert module_name_for(path, root) == _by_relpath(path, root)


def test_a_discovered_path_is_named_from_its_root() -> None:
    root = os.path.join(os.sep, "proj")
    assert module_name_for(os.path.join(root, "backend", "app", "__init__.py"), root) == ("backend.app", True)
    assert module_name_for(os.path.join(root, "backend", "app", "main.py"), root + os.sep) == ("backend.app.main", False)

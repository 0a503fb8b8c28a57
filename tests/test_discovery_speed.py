"""Discovery's fast paths answer as the slow ones: compiled globs, the .gitignore union."""
from __future__ import annotations

import fnmatch

import pathspec
from hypothesis import given, settings, strategies as st

from fastapi_lint.discovery import _matcher, _Patterns

_PARTS = st.sampled_from(["app", "build", "dist", "node_modules", "a.py", "x.pyc", ".env", "docs",
                          "test_x.py", "keep.py", "src", "*", "**", "?", "[ab]", "b.md"])
_PATHS = st.lists(st.sampled_from(["app", "build", "docs", "src", "a.py", "keep.py", "x.pyc",
                                   ".env", "test_x.py", "b.md", "node_modules"]), min_size=1, max_size=4)


@st.composite
def _gitignore_line(draw) -> str:
    line = "/".join(draw(st.lists(_PARTS, min_size=1, max_size=3)))
    prefix = draw(st.sampled_from(["", "", "/", "!", "#"]))
    suffix = draw(st.sampled_from(["", "", "/"]))
    return prefix + line + suffix


@settings(max_examples=300, deadline=None)
@given(st.lists(_gitignore_line(), max_size=6), _PATHS, st.booleans())
def test_the_gitignore_union_matches_as_pathspec_does(lines, parts, is_dir) -> None:
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    rel = "/".join(parts) + ("/" if is_dir else "")
    assert _matcher(spec)(rel) == spec.match_file(rel)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["build", "dist", "*.py", "app/*", "docs/", "a?.py", "[bd]*", "src/build"]),
                max_size=4), _PATHS)
def test_compiled_excludes_match_as_fnmatch_does(patterns, parts) -> None:
    rel = "/".join(parts)
    name = parts[-1]
    expected = False
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            expected |= fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*")
        else:
            expected |= fnmatch.fnmatch(name, pattern)
    assert _Patterns(patterns).match(rel, name) == expected

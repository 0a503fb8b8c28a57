"""Paths of the places a finding's related locations name, shown as the finding's own path is.

A rule knows the absolute path of another module (the project index holds it); output shows
paths as they were given (relative to the working directory, or to the workspace folder in
an editor). A related path is shown relative to where the finding's file is shown from, and
stored (the result cache) relative to the finding's file, so both survive another display.
"""
from __future__ import annotations

import os


def shown_path(other: str, display: str, absolute: str) -> str:
    """``other`` (absolute) as a finding shown at ``display`` (the file ``absolute``) shows it."""
    if other == absolute:
        return display
    if os.path.isabs(display):
        return other
    try:
        relative = os.path.relpath(other, os.path.dirname(absolute))
    except ValueError:  # another drive (Windows)
        return other
    return os.path.normpath(os.path.join(os.path.dirname(display), relative))


def absolute_path(shown: str, display: str, absolute: str) -> str:
    """The inverse of :func:`shown_path`."""
    if shown == display:
        return absolute
    if os.path.isabs(shown):
        return shown
    relative = os.path.relpath(shown, os.path.dirname(display) or os.curdir)
    return os.path.normpath(os.path.join(os.path.dirname(absolute), relative))

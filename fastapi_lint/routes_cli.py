"""``fastapi-lint routes [PATH]``: print the app's route table (text, JSON or Markdown).

Only the project pass runs (no rule, no libcst parse): the table is what the project
model resolves statically, the API surface a reviewer wants to see in a pull request and
the JSON a CI step can diff.
"""
from __future__ import annotations

import json
import sys
import os
from typing import IO, Any, Dict, List, Optional

import click

from fastapi_lint.config import load_config
from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.route_decls import ROUTE_DECLS
from fastapi_lint.project.route_table import Route, RouteTable, table

FORMATS = ("text", "json", "markdown")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", required=False, default=".", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="Output format.")
@click.option("--project-root", type=click.Path(file_okay=False, exists=True),
              help="The project root (default: found from PATH).")
def routes(path: str, fmt: str, project_root: Optional[str]) -> None:
    """Print the route table of the app(s) under PATH (default: ".")."""
    from fastapi_lint.discovery import discover

    config = load_config(None, path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path)))
    if project_root is not None:
        config = config.with_overrides(root=os.path.abspath(project_root))
    found = table(_index(discover([path], config).files, config.root))
    stream = sys.stdout
    {"json": _json, "markdown": _markdown, "text": _text}[fmt](found, config.root, stream)


def _index(files, root: str) -> ProjectIndex:
    """The project pass with only what the table reads (router facts and route records):
    a fraction of the whole pass, in this process."""
    from fastapi_lint.engine import Unreadable, decode_source, read_source

    index = ProjectIndex(root=root)
    for source in files:
        try:
            text = decode_source(read_source(source.absolute))
        except Unreadable:
            continue
        index.insert(index.summarize(source.absolute, text, only=(ROUTE_DECLS,)), source.absolute)
    return index


def as_dict(found: RouteTable, root: str) -> Dict[str, Any]:
    """The table as JSON-able data, paths relative to ``root``."""
    return {
        "apps": [{"app": node.key, "location": f"{_relative(node.path, root)}:{node.creation.line}"}
                 for node in found.apps],
        "routes": [_route(r, root) for r in found.routes],
        "unincluded": [_route(r, root) for r in found.unincluded],
        "unresolved": [_route(r, root) for r in found.unresolved],
        "mounts": [{"path": path, "location": f"{_relative(file, root)}:{line}"}
                   for file, path, line in found.mounts],
        "dynamic_includes": found.dynamic_includes,
    }


def _route(route: Route, root: str) -> Dict[str, Any]:
    return {
        "methods": list(route.methods),
        "path": route.path,
        "handler": f"{_relative(route.file, root)}:{route.line}",
        "function": route.function,
        "app": route.app,
        "mounted": list(route.mounted),
        "response_model": route.response_model,
        "status_code": route.status_code,
        "dependencies": [{"target": d.target, "level": d.level} for d in route.dependencies],
        "tags": list(route.tags),
    }


def _relative(path: str, root: str) -> str:
    if not os.path.isabs(path):
        return path
    return os.path.relpath(path, root).replace(os.sep, "/")


def _json(found: RouteTable, root: str, stream: IO[str]) -> None:
    json.dump(as_dict(found, root), stream, indent=2)
    stream.write("\n")


def _rows(found: RouteTable, root: str) -> List[List[str]]:
    rows = []
    for section, routes in (("", found.routes), ("not included", found.unincluded),
                            ("router unknown", found.unresolved)):
        for route in routes:
            rows.append([
                ",".join(route.methods), route.path or "?", _relative(route.file, root) + f":{route.line}",
                route.function, route.response_model or "", route.status_code or "",
                ", ".join(d.target.rpartition(".")[2] for d in route.dependencies), ", ".join(route.tags),
                section,
            ])
    return rows


_HEADER = ["method", "path", "handler", "function", "response_model", "status", "dependencies", "tags", "note"]


def _text(found: RouteTable, root: str, stream: IO[str]) -> None:
    rows = _rows(found, root)
    for row in rows:
        stream.write("  ".join(c for c in [f"{row[0]:<7}", f"{row[1]:<40}", row[2], row[3],
                                           f"[{row[8]}]" if row[8] else ""] if c).rstrip() + "\n")
    apps = ", ".join(node.key for node in found.apps) or "none"
    stream.write(f"{len(found.routes)} routes served by {apps}; {len(found.unincluded)} on routers "
                 f"never included; {len(found.unresolved)} on routers not resolved\n")


def _markdown(found: RouteTable, root: str, stream: IO[str]) -> None:
    stream.write("| " + " | ".join(_HEADER) + " |\n|" + "---|" * len(_HEADER) + "\n")
    for row in _rows(found, root):
        stream.write("| " + " | ".join(_cell(c) for c in row) + " |\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

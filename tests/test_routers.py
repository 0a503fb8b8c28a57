"""The project model's module resolution, routers and default excludes (issue 13)."""
from __future__ import annotations

import os
import textwrap
from typing import Dict

from hypothesis import given, settings, strategies as st

from fastapi_lint.project import routers
from fastapi_lint.project.index import _ImportableNames
from fastapi_lint.config import Config
from fastapi_lint.discovery import discover
from fastapi_lint.project import ProjectIndex

ROOT = "/tmp/fapi-routers"


def _index(files: Dict[str, str]) -> ProjectIndex:
    return ProjectIndex.build([(f"{ROOT}/{path}", textwrap.dedent(text)) for path, text in files.items()], ROOT)


# the onyx layout: backend/ is a source root (no __init__.py), shop and ee.shop mirror paths
MIRRORED = {
    "backend/shop/__init__.py": "",
    "backend/shop/db/__init__.py": "",
    "backend/shop/db/stock.py": "def count(): ...\n",
    "backend/ee/__init__.py": "",
    "backend/ee/shop/__init__.py": "",
    "backend/ee/shop/db/__init__.py": "",
    "backend/ee/shop/db/stock.py": "def count(): ...\n",
}


def test_a_name_resolves_through_its_package_chain_not_a_suffix() -> None:
    index = _index(MIRRORED)
    assert index.resolve_module("shop.db.stock") == "backend.shop.db.stock"
    assert index.resolve_module("ee.shop.db.stock") == "backend.ee.shop.db.stock"
    assert index.find_module("shop.db.stock") is index.modules["backend.shop.db.stock"]
    # from the project root (a namespace package) too, and relative imports' full names
    assert index.resolve_module("backend.ee.shop.db.stock") == "backend.ee.shop.db.stock"
    # a tail of a package path is not importable: `db` is no top-level package
    assert index.resolve_module("db.stock") is None
    assert index.resolve_module("stock") is None


def test_the_order_of_files_does_not_change_the_answer() -> None:
    index = _index(dict(reversed(list(MIRRORED.items()))))
    assert index.resolve_module("shop.db.stock") == "backend.shop.db.stock"


def test_src_layout_and_namespace_directories() -> None:
    index = _index({
        "src/app/__init__.py": "",
        "src/app/core.py": "",
        "services/worker/jobs/run.py": "",  # no __init__.py anywhere
    })
    assert index.resolve_module("app.core") == "src.app.core"
    assert index.resolve_module("src.app.core") == "src.app.core"
    assert index.resolve_module("jobs.run") == "services.worker.jobs.run"
    assert index.resolve_module("worker.jobs.run") == "services.worker.jobs.run"


def test_ambiguous_names_resolve_to_the_importers_own_service_or_nothing() -> None:
    index = _index({
        "api/app/__init__.py": "",
        "api/app/db.py": "",
        "worker/app/__init__.py": "",
        "worker/app/db.py": "",
    })
    assert index.resolve_module("app.db") is None
    assert index.resolve_module("app.db", importer="worker.app.main") == "worker.app.db"
    assert index.resolve_module("app.db", importer="api.app.routes.users") == "api.app.db"


def test_a_script_directory_module_is_imported_only_from_its_directory() -> None:
    index = _index({"scripts/redis.py": "", "scripts/seed.py": "", "app/__init__.py": "", "app/main.py": ""})
    # `import redis` in the app is the library, not scripts/redis.py
    assert index.resolve_module("redis", importer="app.main") is None
    assert index.resolve_module("redis") is None
    assert index.resolve_module("redis", importer="scripts.seed") == "scripts.redis"
    assert index.resolve_module("main") is None
    assert index.resolve_module("app.main") == "app.main"


def _importable_names_table(modules: Dict[str, bool]) -> Dict[str, tuple]:
    """The whole table of importable names, as the index once built it: the oracle of the
    per-name answers."""
    from fastapi_lint.project.index import _NAMESPACE_NAME, _PACKAGE_NAME, _SCRIPT_DIRECTORY, _parent

    packages = {name for name, is_package in modules.items() if is_package}
    roots = {_parent(name) for name in packages}
    best: Dict[str, tuple] = {}

    def offer(name, rank, module):
        found = best.get(name)
        if found is None or rank < found[0]:
            best[name] = (rank, [module])
        elif rank == found[0] and module not in found[1]:
            found[1].append(module)

    for module in modules:
        if not module:
            continue
        parts = module.split(".")
        start = len(parts) - 1
        while start > 0 and ".".join(parts[:start]) in packages:
            start -= 1
        canonical = ".".join(parts[start:])
        offer(module, _PACKAGE_NAME, module)
        if start == len(parts) - 1 > 0 and module not in packages and _parent(module) not in roots:
            offer(canonical, _SCRIPT_DIRECTORY, module)
        else:
            offer(canonical, _PACKAGE_NAME, module)
        for longer in range(start - 1, 0, -1):
            offer(".".join(parts[longer:]), _NAMESPACE_NAME, module)
    return {name: (rank, tuple(found)) for name, (rank, found) in best.items()}


_PARTS = st.sampled_from(["a", "b", "app", "db", "x"])


@given(st.dictionaries(st.lists(_PARTS, min_size=1, max_size=4).map(".".join), st.booleans(), max_size=12),
       st.lists(st.lists(_PARTS, min_size=1, max_size=3).map(".".join), max_size=5))
@settings(max_examples=300, deadline=None)
def test_each_name_resolves_as_the_whole_table_of_names_says(modules, asked) -> None:
    """Names are worked out one at a time, from the modules of their last part: the answer
    for every name (known or not) is the whole table's."""
    from fastapi_lint.project.index import ModuleSummary

    index = ProjectIndex(root=ROOT)
    for name, is_package in modules.items():
        index.insert(ModuleSummary(name, is_package=is_package))
    table = _importable_names_table(modules)
    names = index.derived("importable-names", _ImportableNames, reads=())
    for name in [*table, *asked]:
        assert names.get(name) == table.get(name)


ROUTING = {
    "app/__init__.py": "",
    "app/kit.py": """
        from fastapi import APIRouter as Base

        class Audited(Base): ...

        class Admin(Audited): ...

        def bound_class(route_class):
            class _Bound(Base): ...
            return _Bound

        def make() -> Base:
            return Base()

        def settings():
            return {"debug": True}
    """,
    "app/routing.py": """
        from app.kit import Admin, bound_class, make, settings

        APIRouter = bound_class(object)
        router = APIRouter(prefix="/r")
        made = make()
        admin = Admin()
        config = settings()

        class Views:
            router = APIRouter()

            def __init__(self):
                self.extra = make()
                self.name = "views"
    """,
}


def test_router_classes_factories_and_attributes_across_modules() -> None:
    model = routers.model(_index(ROUTING))
    assert model.is_router_class("app.kit.Admin")
    assert model.is_router_class("app.routing.APIRouter")
    for name in ("app.routing.router", "app.routing.made", "app.routing.admin", "app.kit.make()",
                 "app.routing.Views.router", "app.routing.Views().router", "app.routing.Views().extra",
                 "app.routing.APIRouter()"):
        assert model.is_router(name), name
    for name in ("app.routing.config", "app.kit.settings()", "app.routing.Views().name", "app.routing.Views()",
                 "app.kit.bound_class()", "app.kit.nothing"):
        assert not model.is_router(name), name


def test_include_router_calls_are_recorded_with_their_options() -> None:
    index = _index({
        **ROUTING,
        "app/main.py": """
            from fastapi import Depends, FastAPI
            from app import routing
            from app.deps import current_user

            def create_app():
                app = FastAPI()
                app.include_router(routing.router, prefix="/api", tags=["r", "x"],
                                   dependencies=[Depends(current_user)])
                return app
        """,
    })
    (module, include), = routers.model(index).includes()
    assert module == "app.main"
    assert include.receiver == "fastapi.FastAPI()"
    assert include.router == "app.routing.router"
    assert (include.prefix, include.tags, include.dependencies) == ("/api", ("r", "x"), ("app.deps.current_user",))


def test_a_cycle_of_aliases_is_no_router() -> None:
    model = routers.model(_index({"a.py": "from b import y\nx = y\n", "b.py": "from a import x\ny = x\n"}))
    assert not model.is_router("a.x")


def test_build_directories_inside_packages_are_source(tmp_path) -> None:
    def write(rel: str, text: str = "x = 1\n") -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    write("app/__init__.py")
    write("app/features/__init__.py")
    write("app/features/build/api.py")  # a namespace subpackage named build: source
    write("app/dist/__init__.py")  # a package named dist: source
    write("build/lib/app/__init__.py")  # setuptools' output
    write("dist/tool/main.py")
    config = Config(root=str(tmp_path))
    rel = lambda d: sorted(os.path.relpath(f.absolute, tmp_path) for f in d.files)  # noqa: E731
    assert rel(discover([str(tmp_path)], config)) == [
        "app/__init__.py", "app/dist/__init__.py", "app/features/__init__.py", "app/features/build/api.py",
    ]
    # a pattern the user writes is exact
    explicit = Config(root=str(tmp_path), extend_exclude=("build",))
    assert "app/features/build/api.py" not in rel(discover([str(tmp_path)], explicit))


def test_a_module_that_does_not_parse_still_gives_its_other_statements() -> None:
    index = _index({
        **ROUTING,
        "app/api.py": """
            from app.routing import APIRouter

            def broken(:
                pass

            router = APIRouter()

            @router.get("/")
            def index():
                return {}
        """,
    })
    assert index.modules["app.api"].parses is False
    assert routers.model(index).is_router("app.api.router")
    assert "/tmp/fapi-routers/app/api.py" not in index.parsed_files


def test_the_project_root_is_the_nearest_marked_directory(tmp_path, monkeypatch, capsys) -> None:
    from fastapi_lint.cli import run

    (tmp_path / "setup.cfg").write_text("")
    app = tmp_path / "svc" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "main.py").write_text("x = 1\n")
    monkeypatch.chdir(app)
    assert run(["--show-settings", "."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [f"project root: {tmp_path}", "config file: (none: defaults)", "modules: 2"]
    assert run(["--show-settings", "--project-root", "..", "."]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"project root: {tmp_path / 'svc'}"

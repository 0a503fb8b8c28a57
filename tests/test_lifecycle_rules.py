"""FAPI403/FAPI404 facts that cross modules: session factories and dependencies."""
from __future__ import annotations

import textwrap

from tests.helpers import lint_paths

DB = textwrap.dedent(
    """\
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite://")
    SessionLocal = sessionmaker(bind=engine)


    def get_db():
        db = SessionLocal()
        yield db
        db.close()
    """
)
ROUTES = textwrap.dedent(
    """\
    from fastapi import APIRouter, Depends

    from app.db import SessionLocal, get_db

    router = APIRouter()


    @router.get("/a")
    def a(db=Depends(get_db)):
        other = SessionLocal()
        return [db, other]
    """
)


def _project(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "db.py").write_text(DB, encoding="utf-8")
    (tmp_path / "app" / "routes.py").write_text(ROUTES, encoding="utf-8")
    return tmp_path


def _found(result):
    return {(f.path.replace("\\", "/").rsplit("/", 1)[-1], f.line, f.column, f.code) for f in result.findings}


def test_session_factory_imported_from_another_module(tmp_path) -> None:
    result = lint_paths([str(_project(tmp_path))], ["FAPI403"])
    assert _found(result) == {("routes.py", 10, 13, "FAPI403")}


def test_dependency_used_in_another_module(tmp_path) -> None:
    result = lint_paths([str(_project(tmp_path))], ["FAPI404"])
    assert _found(result) == {("db.py", 10, 5, "FAPI404")}

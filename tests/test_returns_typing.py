"""FAPI201's returns fact typed through classes: generic parameters, properties, columns."""
from __future__ import annotations

import textwrap
from typing import List, Sequence, Tuple

from hypothesis import given, settings, strategies as st

from fastapi_lint.project import ProjectIndex
from fastapi_lint.project.returns import PLAIN, UNKNOWN, return_index

ROOT = "/tmp/fapi-returns-typing"


def index(files: Sequence[Tuple[str, str]]):
    project = ProjectIndex.build([(f"{ROOT}/{path}", textwrap.dedent(text)) for path, text in files], ROOT)
    returns = return_index(project)
    assert returns is not None
    return returns


def generic_source(arity: int, returned: int, secrets: List[bool]) -> str:
    params = [f"T{i}" for i in range(arity)]
    lines = ["from typing import Generic, TypeVar", "from pydantic import BaseModel", ""]
    lines += [f'{p} = TypeVar("{p}", bound=BaseModel)' for p in params]
    for i, secret in enumerate(secrets):
        field = "hashed_password: str" if secret else "name: str"
        lines += ["", f"class M{i}(BaseModel):", f"    {field}"]
    lines += ["", f"class Repo(Generic[{', '.join(params)}]):",
              f"    def pick(self) -> {params[returned]} | None:", "        return self.rows.first()",
              "", "class Child(Repo[" + ", ".join(params) + "]):", "    pass"]
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(0, n - 1), st.lists(st.booleans(), min_size=n, max_size=n))))
def test_a_class_parameter_takes_the_instances_type_argument(case) -> None:
    arity, returned, secrets = case
    returns = index([("app/repo.py", generic_source(arity, returned, secrets))])
    args = ",".join(f"app.repo.M{i}" for i in range(arity))
    expected = UNKNOWN if secrets[returned] else PLAIN
    assert returns.of_method(f"app.repo.Repo[{args}]", "pick") == expected
    # through a subclass that passes its own parameters on
    assert returns.of_method(f"app.repo.Child[{args}]", "pick") == expected
    # no type argument: the bound (pydantic's BaseModel) and the returns decide
    assert returns.of_method("app.repo.Repo", "pick") == UNKNOWN


def test_a_property_typed_through_a_module_that_imports_the_class() -> None:
    returns = index([
        ("app/factory.py", """
            from typing import Generic, TypeVar
            from pydantic import BaseModel
            S = TypeVar("S")

            class TagOut(BaseModel):
                name: str

            class Repo(Generic[S]):
                def create(self, data) -> S:
                    return self.model(**data)

            class TagRepo(Repo[TagOut]):
                pass

            class Repos:
                @property
                def tags(self) -> TagRepo:
                    return TagRepo()
        """),
        ("app/all_repos.py", """
            from .factory import Repos

            def get_repos():
                return Repos()
        """),
        ("app/views.py", """
            from app.all_repos import Repos

            class View:
                _repos: Repos | None = None

                @property
                def repos(self):
                    return self._repos

                @property
                def repo(self):
                    return self.repos.tags
        """),
    ])
    typed = returns.type_of_attribute(("app.views", "View"), "repo")
    assert typed == "app.factory.TagRepo"
    assert returns.of_method(typed, "create") == PLAIN


def test_an_attribute_of_a_row_is_a_scalar_only_when_every_declaration_says_so() -> None:
    returns = index([("app/enums.py", """
        from enum import Enum

        class Grade(str, Enum):
            member = "member"
    """), ("app/schemas.py", """
        from app.enums import Grade

        def default_grade():
            return Grade.member
    """), ("app/read.py", """
        from pydantic import BaseModel
        from app.schemas import Grade  # the enum, imported through another module

        class SeatRead(BaseModel):
            grade: Grade | None = None
    """), ("app/models.py", """
        from sqlalchemy import Column, String
        from sqlalchemy.orm import Mapped, relationship

        class Seat(Base):
            grade = Column(String)
            rank: Mapped[int]
            holder = relationship("Holder", backref="seats")
            password = Column(String)

        class Other(Base):
            rank = relationship("Rank")

        class SeatFactory:
            grade = Faker("word")  # declares no type: says nothing about rows
    """)])
    assert returns.of_attribute("grade") == PLAIN
    assert returns.of_attribute("rank") == UNKNOWN  # a relationship elsewhere
    assert returns.of_attribute("seats") == UNKNOWN  # a backref
    assert returns.of_attribute("password") == UNKNOWN  # a credential's name
    assert returns.of_attribute("undeclared") == UNKNOWN

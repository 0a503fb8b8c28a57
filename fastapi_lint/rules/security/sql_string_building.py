from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import List, Optional, Set, Union

import libcst as cst

from fastapi_lint.names import string_value
from fastapi_lint.project import LazyAst, ModuleSummary, collector
from fastapi_lint.rule import Default, Severity
from fastapi_lint.rules.security._flow import LATEST, LocalValuesRule
from fastapi_lint.astnames import literal_quietly

HOLE = " __X__ "
_IDENT = r"""[\w."`\[\]]"""
_OBJECTS = r"(?:TABLE|INDEX|VIEW|DATABASE|SCHEMA|SEQUENCE|TRIGGER|FUNCTION|PROCEDURE|EXTENSION|TYPE|ROLE|USER)"
# statement structure, not lone words: SELECT <list> FROM <table>, INSERT INTO <table>, ...
_STATEMENT = (
    r"SELECT\s+(?:DISTINCT\s+)?[\w*.,()\s\"`'\[\]:=<>|+-]+?\s+FROM\s+" + _IDENT
    + r"|INSERT\s+(?:OR\s+\w+\s+)?INTO\s+" + _IDENT
    + r"|UPDATE\s+" + _IDENT + r"+\s+SET\s"
    + r"|DELETE\s+FROM\s+" + _IDENT
    + r"|(?:CREATE|DROP)\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+|UNIQUE\s+|MATERIALIZED\s+)?" + _OBJECTS + r"\b"
    + r"|ALTER\s+" + _OBJECTS + r"\b"
    + r"|TRUNCATE\s+(?:TABLE\s+)?" + _IDENT
)
# upper-case keywords may sit anywhere (a CTE, a sub-query); lower-case ones must open the
# string, so prose such as "Please select 3 items from the menu" is not SQL
_UPPER_SQL = re.compile(_STATEMENT)
_LOWER_SQL = re.compile(r"^[\s(]*(?:" + _STATEMENT.lower() + ")")
# Prefilter: the keywords each statement of _STATEMENT needs besides its first one. Both
# sit in string literals of the file, spelled out (not by escapes), maybe in different
# pieces of the built string. A lower-case first keyword opens a literal: after its quote
# come only blanks, `(` and escape sequences. After any first keyword comes a blank, an
# escape, a `{`/`%` hole (the text of a hole starts with a blank) or the end of the literal
# - and then the string goes on (`+`, `%`, `.format`, a `)`, a newline: `q = "select"` may
# be extended by `q += ...`), not a `,` `:` `]` `}` that ends the expression.
_OBJECT_WORDS = tuple(_OBJECTS[3:-1].split("|"))
_SECOND_KEYWORDS = {"SELECT": ("FROM",), "INSERT": ("INTO",), "UPDATE": ("SET",), "DELETE": ("FROM",),
                    "TRUNCATE": ("",), "CREATE": _OBJECT_WORDS, "DROP": _OBJECT_WORDS,
                    "ALTER": _OBJECT_WORDS}
_ESCAPE = r"\\(?:\n|[\\'\"abfnrtv]|x[0-9a-fA-F]{2}|[0-7]{1,3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\})"
_LOWER_OPENING = re.compile(
    r"[\"'](?:[\s(]|" + _ESCAPE + r")*(" + "|".join(_SECOND_KEYWORDS).lower() + r")"
    r"(?:[\s\\{%]|[\"'](?!(?:\s|\\\n|#[^\n]*\n)*[,:\]}]))")

_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
_BRACES = re.compile(r"\{[^{}]*\}")


def may_build_sql(text: str) -> bool:
    """False when no string of ``text`` can read as SQL to ``looks_like_sql``."""
    for first, seconds in _SECOND_KEYWORDS.items():
        if first in text and any(second in text for second in seconds):
            return True
    openings = {m.group(1) for m in _LOWER_OPENING.finditer(text)}
    return any(second.lower() in text for first in openings for second in _SECOND_KEYWORDS[first.upper()])


# What the project pass's `ast` parse tells the prefilter: whether the strings of the module
# that are not docstrings or other bare string statements (whose text is never built into a
# query) may still read as SQL. Sqlalchemy-like code has SQL in its docstrings only.
SQL_STRINGS = "sql_strings"


@collector(SQL_STRINGS, triggers=tuple(_SECOND_KEYWORDS) + tuple(k.lower() for k in _SECOND_KEYWORDS))
def _collect_sql_strings(path: str, text: str, summary: ModuleSummary, tree: LazyAst) -> None:
    if not may_build_sql(text):
        summary.extra[SQL_STRINGS] = False
        return
    if tree.get() is None:  # CPython cannot read it: leave it to the parse
        return
    summary.extra[SQL_STRINGS] = may_build_sql("\n".join(_code_strings(tree.nodes())))


def _code_strings(nodes: List[ast.AST]) -> List[str]:
    """Each string literal outside bare string statements, quoted (an f-string's holes as
    `{}`), so that ``may_build_sql`` reads them as it reads source."""
    bare: Set[int] = set()
    strings: List[str] = []
    for node in nodes:  # breadth first: a statement comes before its value
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            bare.add(id(node.value))
        elif isinstance(node, ast.Constant) and id(node) not in bare:
            value = node.value
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(value, str):
                strings.append('"' + value + '" ')
        elif isinstance(node, ast.FormattedValue):
            strings.append('"{}" ')
    return strings


Piece = Union[str, cst.BaseExpression]


@dataclass
class Built:
    """A string built at runtime: its literal text and the values interpolated into it."""

    pieces: List[Piece] = field(default_factory=list)
    nodes: Set[int] = field(default_factory=set)  # ids of the string-building nodes inside

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else HOLE for p in self.pieces)

    @property
    def holes(self) -> List[cst.BaseExpression]:
        return [p for p in self.pieces if not isinstance(p, str)]


def looks_like_sql(text: str) -> bool:
    return bool(_UPPER_SQL.search(text) or _LOWER_SQL.search(text))


class SqlStringBuilding(LocalValuesRule):
    """
    ## What it does
    Reports a string that reads as a SQL statement — `SELECT ... FROM`, `INSERT INTO`,
    `UPDATE ... SET`, `DELETE FROM`, `CREATE`/`DROP`/`ALTER TABLE ...`, `TRUNCATE` — built
    by f-string interpolation, `+`, `%` or `.format()` from values that are not constants,
    wherever it is built (it usually reaches `execute`, `text()`, `fetch*`, `raw` or
    `exec_driver_sql`). A query built step by step (`q = "SELECT ..."; q += f"... {x}"`) is
    followed through the local variable. The finding points at the string expression.

    Not reported: parameterized queries (`:name`, `$1`, `%s` with the values passed
    separately — `cursor.execute("... %s", (x,))` is not `%` formatting), and interpolations
    of constants: literals, UPPER_CASE names, `__tablename__` and `.name` of a table,
    `int(...)`/`float(...)`/`len(...)` casts, placeholder lists such as
    `", ".join("?" * len(ids))`, and identifiers quoted by the driver
    (`psycopg2.sql.Identifier`, `quote_ident`, `dialect.identifier_preparer.quote`). Upper-case
    keywords count anywhere in the text; lower-case ones only when they open the string, so
    messages such as `f"Please select {n} items from the menu"` or `f"Failed to update {name}"`
    are not SQL.

    ## Why is this bad?
    A value spliced into SQL text is parsed as SQL: `' OR 1=1 --` in `user_id` rewrites the
    query, reads other users' rows or drops tables (CWE-89). Bound parameters are sent apart
    from the statement and can never change its structure.

    ## Example
    ```python
    query = f"SELECT * FROM users WHERE email = '{email}'"
    result = await db.execute(text(query))
    ```

    ## Use instead
    ```python
    query = text("SELECT * FROM users WHERE email = :email")
    result = await db.execute(query, {"email": email})
    ```

    ## References
    - [SQLAlchemy: using textual SQL with bound parameters](https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text)
    - [CWE-89: SQL Injection](https://cwe.mitre.org/data/definitions/89.html)
    """

    CODE = "FAPI302"
    NAME = "sql-string-building"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 89
    SEEDS = ("000", "002")

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return may_build_sql(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        summary = project.summary_for(path) if project is not None else None
        return summary is None or summary.extra.get(SQL_STRINGS, True) is not False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._covered: Set[int] = set()  # string-building nodes already judged as part of a bigger one
        self._reported: Set[int] = set()

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._judge(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._judge(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, (cst.Add, cst.Modulo)):
            self._judge(node)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            self._judge(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        # `query += f" AND name = '{name}'"` extends a SQL string held by a local
        if isinstance(node.target, cst.Name) and isinstance(node.operator, cst.AddAssign):
            start = self.binding(node.target.value)
            prefix = self.build(start.value, start.index) if start is not None and start.value is not None else None
            addition = self.build(node.value)
            if prefix is not None and addition is not None:
                self._covered |= addition.nodes
                combined = Built(prefix.pieces + addition.pieces)
                if looks_like_sql(combined.text) and self._unsafe(addition, None):
                    self._report(node.value)
        super().visit_AugAssign(node)

    def _judge(self, node: cst.BaseExpression) -> None:
        if id(node) in self._covered:
            return
        built = self.build(node)
        if built is None:
            return
        self._covered |= built.nodes
        if looks_like_sql(built.text) and self._unsafe(built, None):
            self._report(node)

    def _report(self, node: cst.BaseExpression) -> None:
        self._reported.add(id(node))
        self.report(node, "SQL built from a non-constant value by string formatting is open to SQL "
                          "injection; pass the value as a bound parameter (`:name`, `$1`, `%s` with params)")

    def _unsafe(self, built: Built, before: Optional[int]) -> bool:
        point = LATEST if before is None else before
        return any(not self.is_constant(hole, point) for hole in built.holes)

    # -- string building -----------------------------------------------------------------------
    def build(self, expr: cst.BaseExpression, before: Optional[int] = None, depth: int = 0) -> Optional[Built]:
        """The pieces of a string built from literal text, or None when ``expr`` is not one."""
        if depth > 6:
            return None
        if isinstance(expr, cst.SimpleString):
            value = _literal(expr)
            return Built([value], {id(expr)}) if value is not None else None
        if isinstance(expr, cst.FormattedString):
            pieces: List[Piece] = []
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringText):
                    pieces.append(part.value)
                else:
                    pieces.append(part.expression)
            return Built(pieces, {id(expr)})
        if isinstance(expr, cst.ConcatenatedString):
            return self._join(expr, [expr.left, expr.right], before, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._join(expr, [expr.left, expr.right], before, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            return self._printf(expr, before, depth)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            return self._format(expr, before, depth)
        if isinstance(expr, cst.Name):
            return self._through_name(expr, before, depth)
        return None

    def _join(self, node: cst.BaseExpression, sides: List[cst.BaseExpression],
              before: Optional[int], depth: int) -> Optional[Built]:
        built = [self.build(side, before, depth + 1) for side in sides]
        if all(b is None for b in built):
            return None
        out = Built([], {id(node)})
        for side, part in zip(sides, built):
            if part is None:
                out.pieces.append(side)
            else:
                out.pieces.extend(part.pieces)
                out.nodes |= part.nodes
        return out

    def _printf(self, node: cst.BinaryOperation, before: Optional[int], depth: int) -> Optional[Built]:
        template = self.build(node.left, before, depth + 1)
        if template is None or template.holes:
            return None
        text = _PRINTF.sub(HOLE, template.text)
        right = node.right
        if isinstance(right, cst.Tuple):
            values = [e.value for e in right.elements]
        elif isinstance(right, cst.Dict):
            values = [e.value for e in right.elements if isinstance(e, cst.DictElement)]
        else:
            values = [right]
        return Built([text, *values], template.nodes | {id(node)})

    def _format(self, node: cst.Call, before: Optional[int], depth: int) -> Optional[Built]:
        assert isinstance(node.func, cst.Attribute)
        template = self.build(node.func.value, before, depth + 1)
        if template is None or template.holes:
            return None  # `sql.SQL("...").format(...)` and other non-str .format
        text = _BRACES.sub(HOLE, template.text)
        return Built([text, *(arg.value for arg in node.args)], template.nodes | {id(node)})

    def _through_name(self, expr: cst.Name, before: Optional[int], depth: int) -> Optional[Built]:
        """A local or module name holding a built string contributes its text; its values
        count here only when the string was not already reported where it was built."""
        bound = self.binding(expr.value, LATEST if before is None else before)
        if bound is None:
            value = self.module_value(expr.value)  # None for parameters
            inner = self.build(value, None, depth + 1) if value is not None else None
            return Built([inner.text]) if inner is not None else None
        if bound.value is None:
            return None
        inner = self.build(bound.value, bound.index, depth + 1)
        if inner is None:
            return None
        if id(bound.value) in self._reported or not self._unsafe(inner, bound.index):
            return Built([inner.text])
        return Built(list(inner.pieces))


def _literal(expr: cst.SimpleString) -> Optional[str]:
    value = string_value(expr)
    if value is not None:
        return value
    try:  # bytes literals: their text still reads as SQL
        raw = literal_quietly(expr.value)
    except (ValueError, SyntaxError):
        return None
    return raw.decode("latin-1") if isinstance(raw, bytes) else None

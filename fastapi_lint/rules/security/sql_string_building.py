from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Union

import libcst as cst

from fastapi_lint.names import iter_params, string_value
from fastapi_lint.project import LazyAst, prefilter_fact
from fastapi_lint.rule import Default, Severity
from fastapi_lint.project import signatures
from fastapi_lint.rules.security._flow import LATEST, LocalValuesRule, last_name, safe_type
from fastapi_lint.rules.security._text_facts import TEXT_FACTS, text_table
from fastapi_lint.project.astnames import literal_quietly
from fastapi_lint.prefilter import lazy_pattern

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
_UPPER_SQL = lazy_pattern(_STATEMENT)
_LOWER_SQL = lazy_pattern(r"^[\s(]*(?:" + _STATEMENT.lower() + ")")
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
_LOWER_OPENING = lazy_pattern(
    r"[\"'](?:[\s(]|" + _ESCAPE + r")*(" + "|".join(_SECOND_KEYWORDS).lower() + r")"
    r"(?:[\s\\{%]|[\"'](?!(?:\s|\\\n|#[^\n]*\n)*[,:\]}]))")

_PRINTF = lazy_pattern(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
_BRACES = lazy_pattern(r"\{[^{}]*\}")


def may_build_sql(text: str) -> bool:
    """False when no string of ``text`` can read as SQL to ``looks_like_sql``."""
    for first, seconds in _SECOND_KEYWORDS.items():
        if first in text and any(second in text for second in seconds):
            return True
    openings = {m.group(1) for m in _LOWER_OPENING.finditer(text)}
    return any(second.lower() in text for first in openings for second in _SECOND_KEYWORDS[first.upper()])


# What the project pass's `ast` parse tells the prefilter: whether the strings the module
# builds may read as SQL. The rule judges only a built string (an f-string with holes, `+`,
# `%`, `.format()`, `+=`), whose pieces are the literals of that expression and of the
# strings its names are bound to; a module whose SQL sits in constants (`text("SELECT 1")`)
# or docstrings builds none.
SQL_STRINGS = "sql_strings"


def _builds_sql(tree: LazyAst) -> bool:
    return may_build_sql("\n".join(_built_strings(tree)))


def _built_strings(tree: LazyAst) -> List[str]:
    """The literals that may be pieces of a built string, quoted (an f-string's holes as
    `{}`), so that ``may_build_sql`` reads them as it reads source (in any order: each is
    quoted on its own): those inside the expressions that build strings, and those of the
    values bound to any name such an expression (or such a value) names, followed as the
    rule follows names (a superset: every binding of the name, anywhere in the module)."""
    strings: List[str] = []
    names: List[str] = []
    seen: Set[int] = set()

    def take(root: ast.AST) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            kind = type(node)
            if kind is ast.Constant:
                value = node.value  # type: ignore[attr-defined]
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                if isinstance(value, str):
                    strings.append('"' + value + '" ')
            elif kind is ast.FormattedValue:
                strings.append('"{}" ')
            elif kind is ast.Name:
                names.append(node.id)  # type: ignore[attr-defined]
            stack.extend(ast.iter_child_nodes(node))

    for node in tree.of_type(ast.BinOp, ast.AugAssign, ast.JoinedStr, ast.Call):
        kind = type(node)
        if kind is ast.BinOp or kind is ast.AugAssign:
            builds = type(node.op) in (ast.Add, ast.Mod)  # type: ignore[attr-defined]
        elif kind is ast.JoinedStr:
            builds = any(type(v) is ast.FormattedValue for v in node.values)  # type: ignore[attr-defined]
        else:
            func = node.func  # type: ignore[attr-defined]
            builds = type(func) is ast.Attribute and func.attr == "format"
        if builds:
            take(node)
    if not names:
        return strings
    bound: Dict[str, List[ast.AST]] = {}
    for node in tree.of_type(ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr):
        value = getattr(node, "value", None)
        if value is None:
            continue
        targets = node.targets if type(node) is ast.Assign else [node.target]  # type: ignore[attr-defined]
        for target in targets:
            for inner in ast.walk(target):
                if type(inner) is ast.Name:
                    bound.setdefault(inner.id, []).append(value)  # type: ignore[attr-defined]
    followed: Set[str] = set()
    while names:
        name = names.pop()
        if name in followed:
            continue
        followed.add(name)
        for value in bound.get(name, ()):
            take(value)
    return strings


prefilter_fact(SQL_STRINGS, tuple(_SECOND_KEYWORDS) + tuple(k.lower() for k in _SECOND_KEYWORDS),
               may_build_sql, _builds_sql)

Piece = Union[str, cst.BaseExpression]
# calls that run their SQL argument, or make it runnable (`text()`)
_SINKS = frozenset(("execute", "executemany", "executescript", "exec_driver_sql", "text", "raw", "read_sql",
                    "read_sql_query", "mogrify"))
# calls and methods whose result is their (first) argument's or receiver's text, reworked
_WRAPPERS = frozenset(("dedent", "str", "cleandoc"))
_WRAPPER_METHODS = frozenset(("strip", "lstrip", "rstrip", "bindparams", "columns", "execution_options",
                              "replace", "rewrite_query"))
# text just before a hole that makes it a value (where a bound parameter belongs), not an
# identifier or a fragment of the statement
_VALUE_POSITION = lazy_pattern(r"(?:[=<>]|\bLIKE|\bIN\s*\(|\bVALUES\s*\(|\bLIMIT|\bOFFSET|\bBETWEEN)\s*$",
                             re.IGNORECASE)
# how far a string is followed through names and `+` (a query extended by `q += ...` a dozen times)
_BUILD_DEPTH = 24
_DDL = lazy_pattern(r"[\s(]*(?:CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|COMMENT)\b", re.IGNORECASE)
_REQUEST_SOURCES = frozenset(("path", "query", "header", "cookie", "body", "special"))


@dataclass
class Built:
    """A string built at runtime: its literal text and the values interpolated into it."""

    pieces: List[Piece] = field(default_factory=list)
    # id of each hole -> the string expression it was written in (where a finding points)
    origins: Dict[int, cst.BaseExpression] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else HOLE for p in self.pieces)

    @property
    def holes(self) -> List[cst.BaseExpression]:
        return [p for p in self.pieces if not isinstance(p, str)]

    def before(self, hole: cst.BaseExpression) -> str:
        """The text of the string up to ``hole``."""
        out: List[str] = []
        for piece in self.pieces:
            if piece is hole:
                break
            out.append(piece if isinstance(piece, str) else HOLE)
        return "".join(out)


def looks_like_sql(text: str) -> bool:
    return bool(_UPPER_SQL.search(text) or _LOWER_SQL.search(text))


def in_value_position(before: str) -> bool:
    """Whether a hole after ``before`` sits where SQL takes a bound parameter: inside a quoted
    literal or after a comparison, `LIKE`, `IN (`, `VALUES (`, `LIMIT` — and not in a DDL
    statement (`CREATE`, `ALTER`...), which takes no parameters at all."""
    if _DDL.match(before):
        return False
    return before.count("'") % 2 == 1 or bool(_VALUE_POSITION.search(before))


class SqlStringBuilding(LocalValuesRule):
    """
    ## What it does
    Reports a string that reads as a SQL statement — `SELECT ... FROM`, `INSERT INTO`,
    `UPDATE ... SET`, `DELETE FROM`, `CREATE`/`DROP`/`ALTER TABLE ...`, `TRUNCATE` — built
    by f-string interpolation, `+`, `%` or `.format()` from a value the code does not
    control, and run: passed to `execute`, `executemany`, `exec_driver_sql`, `text()`,
    `fetch*`, `raw`, `read_sql` (directly, through `dedent`/`.strip()`, or through a local
    variable, also one extended step by step with `q += ...`) or returned from a function. The
    finding points at the string expression and names the uncontrolled value.

    Severity: `error` when the value comes from the request, in any position: a path, query,
    header, cookie or body parameter of the route that builds the query (a `Request`'s
    attributes too), or a parameter of a project function that a route passes request data
    to, directly or through further project functions. `warning` for other uncontrolled
    values (a parameter of a function that is not a route, data read at run time) in a value
    position — inside a quoted SQL literal or after `=`, `<`, `>`, `LIKE`, `IN (`,
    `VALUES (`, `LIMIT`, where a bound parameter belongs (never in DDL: `CREATE`, `ALTER`,
    `DROP`... take no parameters) — in code that serves requests.
    Values that do not come from the request are reported only with the option `all-sources`
    when they are identifiers or SQL fragments (`FROM {table}`, `CREATE SCHEMA "{schema}"`,
    `WHERE {clause}`: no bound parameter can replace them) or sit in code that serves no
    request: tests, migrations (under `alembic/` or `migrations/`, or using `alembic`) and
    scripts (under `scripts/` or `bin/`, run as `__main__`, or reading the command line with
    `argparse`/`click`/`typer`). On real projects such values come from the code's own
    configuration, schema and data, and reviewers dismiss them.

    Not reported, as values the code controls: literals, module constants (strings, numbers
    and collections of them), UPPER_CASE names, enum members, `__tablename__` and `.name` of a
    table, `int(...)`/`float(...)`/`len(...)`/`uuid4()`/`slugify(...)` results, parameters
    annotated `int`, `float`, `bool`, `UUID`, `date`/`datetime`, a `Literal` or a project enum
    (also in `Optional[...]`, `list[...]`, `tuple[...]`),
    names iterated from constants
    (`for table, column in (("users", "id"), ...)`), keys of a dict whose keys are literals
    (`", ".join(f"{k} = :{k}" for k in updates.keys())`), values checked earlier in the
    function against an allow-list or an identifier pattern (`if name not in ALLOWED: return`,
    `if not PATTERN.match(name): raise`, `assert name.isidentifier()`, a project validator
    such as `validate_identifier(name)` that raises otherwise, a lookup that leaves when the
    database does not know the value: `row = db.fetchone("... :id", {"id": name})` then
    `if not row: raise`), placeholder lists such as
    `", ".join("?" * len(ids))`, identifiers quoted by the driver (`psycopg2.sql.Identifier`,
    `quote_ident`, `dialect.identifier_preparer.quote`), and text from project functions and
    properties that only return constant text (`db.timestamp_placeholder("now")`,
    `db.timestamp_now`), as constant as their arguments. Parameterized queries (`:name`, `$1`,
    `%s` with the values passed separately) are not string building. Upper-case keywords
    count anywhere in the text; lower-case ones only when they open the string, so messages
    such as `f"Please select {n} items from the menu"` are not SQL.

    ## Why is this bad?
    A value spliced into SQL text is parsed as SQL: `' OR 1=1 --` in `user_id` rewrites the
    query, reads other users' rows or drops tables (CWE-89). Bound parameters are sent apart
    from the statement and can never change its structure.

    ## Example
    ```python
    @router.get("/users")
    async def find_user(email: str, db: AsyncSession = Depends(get_db)):
        query = f"SELECT * FROM users WHERE email = '{email}'"
        return (await db.execute(text(query))).all()
    ```

    ## Use instead
    ```python
    @router.get("/users")
    async def find_user(email: str, db: AsyncSession = Depends(get_db)):
        query = text("SELECT * FROM users WHERE email = :email")
        return (await db.execute(query, {"email": email})).all()
    ```
    An identifier (a table or column name) cannot be a bound parameter: check it against an
    allow-list, or quote it with the driver (`psycopg2.sql.Identifier`).

    ## Options
    - `all-sources` (default `false`): also report values that do not come from the request
      as identifiers or fragments, and in tests, migrations and scripts.

    ## References
    - [SQLAlchemy: using textual SQL with bound parameters](https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text)
    - [CodeQL: SQL query built from user-controlled sources (py/sql-injection)](https://codeql.github.com/codeql-query-help/python/py-sql-injection/)
    - [CWE-89: SQL Injection](https://cwe.mitre.org/data/definitions/89.html)
    """

    CODE = "FAPI302"
    NAME = "sql-string-building"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 89
    SEEDS = ("000", "002")
    OPTIONS = {"all-sources": False}
    PROJECT_FACTS = (TEXT_FACTS, signatures.SIGNATURES)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return may_build_sql(text)

    @classmethod
    def applies_in_project(cls, text, project, path=None, options=None) -> bool:
        return project is None or project.file_fact(path, SQL_STRINGS) is not False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.text_facts = text_table(self.ctx.project)
        self._reported: Set[int] = set()
        # values that do not come from the request, in identifier positions or in code that
        # does not serve requests: reported only on demand
        self._all_sources = bool(self.options.get("all-sources", False))
        self._serves_requests = not _outside_requests(self.ctx)

    def safe_annotation(self, annotation: cst.BaseExpression) -> bool:
        # a project enum or `Literal` alias too: FastAPI accepts only their values
        literal_types = self.text_facts.literal_types if self.text_facts is not None else frozenset()
        return safe_type(annotation, lambda name: last_name(name) in literal_types or signatures.is_project_enum(
            self.ctx.project, self.ctx.resolve(name) or ""))

    # -- where SQL runs -------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) in _SINKS or (last_name(node.func) or "").startswith("fetch"):
            for arg in node.args:
                self._follow(arg.value, LATEST, 0)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.in_function:
            self._follow(node.value, LATEST, 0)

    def _follow(self, expr: cst.BaseExpression, before: int, depth: int) -> None:
        """Judge every string built by the code that ``expr`` hands over as SQL."""
        if depth > _BUILD_DEPTH:
            return
        if isinstance(expr, cst.Call):
            last = last_name(expr.func)
            if last == "format" and isinstance(expr.func, cst.Attribute):
                self._judge(expr, before)
            elif last in _WRAPPERS or last in _SINKS:
                if expr.args:
                    self._follow(expr.args[0].value, before, depth + 1)
            elif last in _WRAPPER_METHODS and isinstance(expr.func, cst.Attribute):
                self._follow(expr.func.value, before, depth + 1)
        elif isinstance(expr, cst.Name):
            bound = self.binding(expr.value, before)
            if bound is not None and bound.value is not None:
                self._follow(bound.value, bound.index, depth + 1)
        elif isinstance(expr, (cst.Tuple, cst.List)):
            for element in expr.elements:
                self._follow(element.value, before, depth + 1)
        elif isinstance(expr, cst.IfExp):
            self._follow(expr.body, before, depth + 1)
            self._follow(expr.orelse, before, depth + 1)
        elif isinstance(expr, (cst.FormattedString, cst.ConcatenatedString)) or (
                isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo))):
            self._judge(expr, before)

    def _judge(self, node: cst.BaseExpression, before: int) -> None:
        built = self.build(node, before)
        if built is None or not looks_like_sql(built.text):
            return
        for hole in built.holes:
            culprit = self.uncontrolled(hole, before)
            if culprit is None:
                continue
            origin = built.origins.get(id(hole), node)
            if id(origin) in self._reported:
                return
            request = self._request_source(culprit)
            value = in_value_position(built.before(hole))
            if request is None and not self._all_sources and not (value and self._serves_requests):
                continue
            self._reported.add(id(origin))
            self.report(origin, self._message(hole, culprit, request, value),
                        severity=None if request is not None else Severity.WARNING)
            return

    def _message(self, hole: cst.BaseExpression, culprit: cst.BaseExpression, request: Optional[str],
                 value: bool) -> str:
        shown = _code(hole)
        source = _code(culprit)
        if request is not None:
            origin = f"{request} from the request" + ("" if source == shown else f" (`{source}`)")
        elif isinstance(culprit, cst.Name) and self.is_param(culprit.value):
            origin = "a parameter" if source == shown else f"from the parameter `{source}`"
        else:
            origin = "a value the code does not control" + ("" if source == shown else f" (`{source}`)")
        advice = "pass it as a bound parameter (`:name`, `$1`, `%s` with params)" if value else \
            "check it against an allow-list or quote it with the driver's identifier quoting"
        return f"SQL built from `{shown}`, {origin}, is open to SQL injection; {advice}"

    def _request_source(self, culprit: cst.BaseExpression) -> Optional[str]:
        """Which part of the request ``culprit`` comes from, when the current function is a
        route and ``culprit`` derives from one of its request parameters."""
        root = culprit
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        function = self.ctx.current_function
        if not isinstance(root, cst.Name) or function is None or not self.is_param(root.value):
            return None
        routes = self.ctx.routes_of(function)
        if not routes:
            reached = self.text_facts.request_params.get(function.name.value, ()) if self.text_facts else ()
            return "a parameter that receives data" if root.value in reached else None
        for param in iter_params(function.params):
            if param.name.value == root.value:
                kind = self.ctx.param_source(param, routes[0]).kind
                return f"a {kind} parameter, data" if kind in _REQUEST_SOURCES else None
        return None

    # -- string building -----------------------------------------------------------------------
    def build(self, expr: cst.BaseExpression, before: Optional[int] = None, depth: int = 0,
              top: Optional[cst.BaseExpression] = None) -> Optional[Built]:
        """The pieces of a string built from literal text, or None when ``expr`` is not one."""
        if depth > _BUILD_DEPTH:
            return None
        top = self.augmented.get(id(expr)) or top or expr
        if isinstance(expr, cst.SimpleString):
            value = _literal(expr)
            return Built([value]) if value is not None else None
        if isinstance(expr, cst.FormattedString):
            return self._formatted(expr, before, depth, top)
        if isinstance(expr, cst.ConcatenatedString):
            return self._join([expr.left, expr.right], before, depth, top)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._join([expr.left, expr.right], before, depth, top)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            return self._printf(expr, before, depth, top)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            return self._format(expr, before, depth, top)
        if isinstance(expr, cst.Name):
            return self._through_name(expr, before, depth)
        if isinstance(expr, cst.IfExp):
            return self._either(expr, before, depth, top)
        return None

    def _either(self, expr: cst.IfExp, before: Optional[int], depth: int, top: cst.BaseExpression) -> Optional[Built]:
        """`f"AND s = '{schema}'" if schema else ""`: the branch that interpolates, when the
        other one is text the code controls."""
        point = LATEST if before is None else before
        branches = []
        for branch in (expr.body, expr.orelse):
            built = self.build(branch, before, depth + 1, top)
            if built is None and self.uncontrolled(branch, point) is not None:
                return None
            if built is not None:
                branches.append(built)
        return max(branches, key=lambda b: len(b.holes)) if branches else None

    def _formatted(self, expr: cst.FormattedString, before: Optional[int], depth: int,
                   top: cst.BaseExpression) -> Built:
        """An f-string's text and holes; a hole naming a string built earlier in the function
        (`f"... WHERE 1 = 1 {schema_filter}"`) brings that string's pieces."""
        out = Built()
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                out.pieces.append(part.value)
                continue
            inner = self._through_name(part.expression, before, depth) \
                if isinstance(part.expression, cst.Name) and part.format_spec is None else None
            if inner is not None:
                out.pieces.extend(inner.pieces)
                out.origins.update(inner.origins)
            else:
                out.pieces.append(part.expression)
                out.origins[id(part.expression)] = top
        return out

    def _join(self, sides: List[cst.BaseExpression], before: Optional[int], depth: int,
              top: cst.BaseExpression) -> Optional[Built]:
        built = [self.build(side, before, depth + 1, top) for side in sides]
        if all(b is None for b in built):
            return None
        out = Built()
        for side, part in zip(sides, built):
            if part is None:
                out.pieces.append(side)
                out.origins[id(side)] = top
            else:
                out.pieces.extend(part.pieces)
                out.origins.update(part.origins)
        return out

    def _printf(self, node: cst.BinaryOperation, before: Optional[int], depth: int,
                top: cst.BaseExpression) -> Optional[Built]:
        template = self.build(node.left, before, depth + 1, top)
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
        return _rooted(_interleave(text, values), top)

    def _format(self, node: cst.Call, before: Optional[int], depth: int, top: cst.BaseExpression) -> Optional[Built]:
        assert isinstance(node.func, cst.Attribute)
        template = self.build(node.func.value, before, depth + 1)
        if template is None or template.holes:
            return None  # `sql.SQL("...").format(...)` and other non-str .format
        return _rooted(_format_pieces(template.text, node.args), top)

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
        if all(self.uncontrolled(hole, bound.index) is None for hole in inner.holes):
            return Built([inner.text])
        return inner


# where code runs outside requests: migrations, scripts, command-line tools
_OUTSIDE_PATH = lazy_pattern(r"(?:^|/)(?:alembic|migrations?|scripts|bin)/|(?:^|/)migrations?\.py$")
# a module importing these is a migration or a command-line tool
_OUTSIDE_IMPORTS = frozenset(("alembic", "argparse", "click", "typer"))
_MAIN_GUARD = lazy_pattern(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""", re.M)


def _outside_requests(ctx) -> bool:
    """Test code, a migration (under `alembic/` or `migrations/`, or using `alembic`), a script
    (under `scripts/` or `bin/`, run as `__main__`, or reading its command line with
    `argparse`/`click`/`typer`): code that serves no request."""
    path = ctx.path
    root = getattr(ctx.project, "root", None)
    if root and os.path.isabs(path):
        path = os.path.relpath(path, root)
    if ctx.is_test_file or _OUTSIDE_PATH.search(path.replace(os.sep, "/")):
        return True
    if any(target.split(".")[0] in _OUTSIDE_IMPORTS for target in ctx.facts.names.values()):
        return True
    return bool(_MAIN_GUARD.search(ctx.source))


def _rooted(pieces: List[Piece], top: cst.BaseExpression) -> Built:
    return Built(pieces, {id(p): top for p in pieces if not isinstance(p, str)})


def _interleave(text: str, values: List[cst.BaseExpression]) -> List[Piece]:
    """The template ``text`` with its holes (``HOLE``) replaced by ``values`` in order; extra
    values go at the end."""
    parts = text.split(HOLE)
    pieces: List[Piece] = []
    for index, part in enumerate(parts):
        pieces.append(part)
        if index < len(parts) - 1 and index < len(values):
            pieces.append(values[index])
    pieces.extend(values[len(parts) - 1:])
    return pieces


def _format_pieces(template: str, args) -> List[Piece]:
    """``template.format(*args)`` as pieces: each `{field}` replaced by the argument it names
    (`{}`/`{0}` positional, `{name}` keyword); arguments no field names go at the end."""
    positional = [a.value for a in args if a.keyword is None and not a.star]
    named = {a.keyword.value: a.value for a in args if a.keyword is not None}
    pieces: List[Piece] = []
    used: Set[int] = set()
    auto = 0
    last = 0
    for match in _BRACES.finditer(template):
        field_name = match.group(0)[1:-1].split("!")[0].split(":")[0].split(".")[0].split("[")[0]
        if field_name == "":
            value, auto = (positional[auto] if auto < len(positional) else None), auto + 1
        elif field_name.isdigit():
            value = positional[int(field_name)] if int(field_name) < len(positional) else None
        else:
            value = named.get(field_name)
        pieces.append(template[last:match.start()])
        last = match.end()
        if value is not None:
            pieces.append(value)
            used.add(id(value))
    pieces.append(template[last:])
    pieces.extend(a.value for a in args if id(a.value) not in used)
    return pieces


def _code(node: cst.CSTNode) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _literal(expr: cst.SimpleString) -> Optional[str]:
    value = string_value(expr)
    if value is not None:
        return value
    try:  # bytes literals: their text still reads as SQL
        raw = literal_quietly(expr.value)
    except (ValueError, SyntaxError):
        return None
    return raw.decode("latin-1") if isinstance(raw, bytes) else None

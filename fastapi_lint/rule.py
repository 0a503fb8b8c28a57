"""The rule API: the base class every rule subclasses, and the values rules produce."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Tuple

import libcst as cst

if TYPE_CHECKING:
    from fastapi_lint.context import FileContext
    from fastapi_lint.project import ProjectIndex


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def sarif_level(self) -> str:
        return {"error": "error", "warning": "warning", "info": "note"}[self.value]


class Default(str, enum.Enum):
    ON = "on"
    PREVIEW = "preview"


class FixAvailability(str, enum.Enum):
    NONE = "-"
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions; end is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class LinesAbove:
    """The "new" side of a fix pair that inserts whole lines above the "old" statement.

    Used to add an import: ``extra=((first_statement, LinesAbove("import asyncio\\n")),)``.
    """

    text: str


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" | "unsafe"
    message: str
    edits: Tuple[Edit, ...]


@dataclass(frozen=True)
class Related:
    """A place that explains a finding (a hop of FAPI106's chain, the response model that
    outputs FAPI501's field): LSP relatedInformation, SARIF relatedLocations, a text note.
    ``path`` is shown as the finding's own path is (a rule reports the absolute path; the
    engine rewrites it)."""

    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    end_line: int
    end_column: int
    name: str = field(compare=False)
    severity: str = field(compare=False)
    message: str = field(compare=False)
    source_line: str = field(default="", compare=False)
    fix: Optional[Fix] = field(default=None, compare=False)
    # in order; no part of the finding's identity (fingerprints, the baseline)
    related: Tuple[Related, ...] = field(default=(), compare=False)

    def sort_key(self) -> Tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


@dataclass
class PendingFinding:
    """A finding before positions are known: positions are computed only for files that have one."""

    rule: "Rule"
    node: cst.CSTNode
    message: str
    fix_node: Optional[Tuple[cst.CSTNode, cst.CSTNode]] = None
    fix_message: str = ""
    # Extra module-level edits (e.g. an added import) that go with the fix.
    fix_extra: Tuple[Tuple[cst.CSTNode, cst.CSTNode], ...] = ()
    position: Optional[Tuple[int, int, int, int]] = None
    # a lower severity for this finding than the rule's default (RULES gives some cases one)
    severity: Optional[Severity] = None
    # the fix's applicability when it differs from the rule's FIX (a fix valid only from some
    # dependency version on is unsafe where the project's version is unknown)
    fix_applicability: Optional[FixAvailability] = None
    related: Tuple[Related, ...] = ()  # absolute paths


class Rule:
    """Base class of every rule.

    A rule defines ``visit_<Node>``/``leave_<Node>`` methods like a libcst visitor. All
    enabled rules share one traversal; they read the shared facts through ``self.ctx`` and
    report with ``self.report(node, message)``.
    """

    CODE: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    DEFAULT: ClassVar[Default] = Default.ON
    FIX: ClassVar[FixAvailability] = FixAvailability.NONE
    TAGS: ClassVar[Tuple[str, ...]] = ()
    CWE: ClassVar[Optional[int]] = None
    # GitHub code scanning's security-severity (0.1-10.0, CVSS-like) and precision
    # (very-high/high/medium/low); None: docs.SECURITY_SEVERITY / docs.PRECISION decide.
    SECURITY_SEVERITY: ClassVar[Optional[float]] = None
    PRECISION: ClassVar[Optional[str]] = None
    # Seed guidance documents (file prefixes under shared/seeds) the rule comes from.
    SEEDS: ClassVar[Tuple[str, ...]] = ()
    # Substrings without which the rule cannot fire; a file containing none of the enabled
    # rules' triggers is not parsed. Empty tuple: the rule needs every file.
    TRIGGERS: ClassVar[Tuple[str, ...]] = ()
    # Names of the project collectors (project/index.py) whose data the rule reads: a cached result
    # of a file is reused only while the data of those collectors is unchanged.
    PROJECT_FACTS: ClassVar[Tuple[str, ...]] = ()
    # Rules whose checks read test code too (see RULES.md "Test code").
    SKIP_TEST_FILES: ClassVar[bool] = False
    # Default options; [tool.fastapi-lint.options.<CODE>] overrides them.
    OPTIONS: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, ctx: "FileContext", options: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.options = options

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        replace: Optional[Tuple[cst.CSTNode, cst.CSTNode]] = None,
        fix_message: str = "",
        extra: Tuple[Tuple[cst.CSTNode, cst.CSTNode], ...] = (),
        severity: Optional[Severity] = None,
        fix_applicability: Optional[FixAvailability] = None,
        related: Tuple[Related, ...] = (),
    ) -> None:
        """Report ``node``. ``replace=(old, new)`` attaches a fix replacing ``old`` by ``new``;
        ``severity`` overrides the rule's ``SEVERITY`` and ``fix_applicability`` its ``FIX``
        for this one finding; ``related``: places (absolute paths) that explain it."""
        self.ctx.pending.append(
            PendingFinding(self, node, message, replace, fix_message, extra, severity=severity,
                           fix_applicability=fix_applicability, related=related)
        )

    def finish(self) -> None:
        """Called once after the traversal, for rules that decide at the end of the module."""

    @classmethod
    def applies_to(cls, text: str, options: Mapping[str, Any]) -> bool:
        """The prefilter: False when the rule cannot fire on a file with this text (and these
        options), which is then not parsed for it. ``TRIGGERS`` by default; a rule may narrow
        it with a cheap text check (``fastapi_lint.prefilter``) that must never reject a file
        the rule would report on. Rules that read other modules must stay true for every
        file whose findings could change with them."""
        return not cls.TRIGGERS or any(t in text for t in cls.TRIGGERS)

    @classmethod
    def applies_in_project(cls, text: str, project: Optional["ProjectIndex"], path: Optional[str] = None,
                           options: Optional[Mapping[str, Any]] = None) -> bool:
        """A second prefilter, with ``applies_to``, that can use the project index: rules
        whose reach depends on other modules (a handler registered elsewhere), or on what
        the project pass's ``ast`` parse saw in this very file (``project.file_fact(path, name)``).
        Same contract: never False where the rule would report."""
        return True

    @classmethod
    def option_defaults(cls) -> Mapping[str, Any]:
        return cls.OPTIONS

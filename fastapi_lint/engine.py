"""Lint one file: read -> decode -> prefilter -> parse once -> facts -> one traversal -> findings.

Every failure is contained: an unreadable file is an FAPI002 finding, a syntax error an
FAPI001 finding, and a rule that raises is switched off for that file and reported as an
internal error while every other rule's findings are kept.
"""
from __future__ import annotations

import fnmatch
import io
import os
import re
import stat
import tokenize
import traceback
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst

from fastapi_lint.project.astnames import parse_quietly
from fastapi_lint.codegen import code_in_place
from fastapi_lint.config import Config
from fastapi_lint.context import FileContext, ScopeTracker, rule_options
from fastapi_lint.facts import ModuleFacts
from fastapi_lint.locations import shown_path
from fastapi_lint.positions import Span, spans_of
from fastapi_lint.prefilter import universal_newlines
from fastapi_lint.project import ProjectIndex, module_name_for
from fastapi_lint.rule import Edit, Finding, Fix, LinesAbove, PendingFinding, Rule
from fastapi_lint.suppression import parse_suppressions
from fastapi_lint.project.versions import UNKNOWN, DeclaredVersions
from fastapi_lint.walk import needs_trivia, walk

SYNTAX_ERROR = "FAPI001"
UNREADABLE = "FAPI002"


@dataclass
class FileResult:
    findings: List[Finding] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # internal errors (rule crashes)
    content_digest: Optional[str] = None  # of the bytes linted, when the caller caches them


@dataclass(frozen=True)
class LintSettings:
    """Everything a worker needs to lint a file; picklable."""

    config: Config
    rules: Tuple[Type[Rule], ...]
    project: Optional[ProjectIndex] = None
    # False parses every file for every rule (to check that prefilters never drop a finding)
    prefilter: bool = True
    # the project's declared dependency versions (version-specific advice and fixes)
    versions: DeclaredVersions = UNKNOWN

    @property
    def codes(self) -> frozenset:
        return frozenset(rule.CODE for rule in self.rules)


def glob_match(rel_posix: str, pattern: str) -> bool:
    """fnmatch where a leading ``**/`` also matches at the top level."""
    if fnmatch.fnmatch(rel_posix, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatch(rel_posix, pattern[3:]):
        return True
    if "/" not in pattern and fnmatch.fnmatch(rel_posix.rsplit("/", 1)[-1], pattern):
        return True
    return False


def relative_to_root(absolute: str, root: str) -> str:
    rel = os.path.relpath(absolute, root)
    return rel.replace(os.sep, "/")


def is_test_path(rel_posix: str, patterns: Sequence[str]) -> bool:
    return any(glob_match(rel_posix, p) for p in patterns)


def ignored_codes_for(rel_posix: str, config: Config) -> Tuple[str, ...]:
    codes: List[str] = []
    for pattern, ignored in config.per_file_ignores:
        if glob_match(rel_posix, pattern):
            codes.extend(ignored)
    return tuple(codes)


# -- reading ---------------------------------------------------------------------------------
class Unreadable(Exception):
    pass


def read_source(absolute: str) -> bytes:
    try:
        mode = os.stat(absolute).st_mode
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise Unreadable("not a regular file")
    try:
        with open(absolute, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None


def decode_source(data: bytes) -> str:
    """Decode per PEP 263 (cookie or BOM, else UTF-8); binary content is refused."""
    if b"\x00" in data:
        raise Unreadable("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing" in str(exc.msg):
            raise Unreadable("not valid UTF-8 and no PEP 263 coding declaration says otherwise") from None
        raise Unreadable(f"invalid encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Unreadable(f"cannot decode as {encoding} (PEP 263): {exc.reason if isinstance(exc, UnicodeDecodeError) else exc}") from None
    return text[1:] if text.startswith("\ufeff") else text


# -- parsing ---------------------------------------------------------------------------------
# CPython's tokenizer refuses more than 200 nested brackets; libcst's native parser can
# overflow the C stack (a segfault, uncatchable) on a few thousand. Files over the limit are
# judged by `ast` and never reach libcst.
MAX_BRACKET_DEPTH = 200
_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")
_BRACKET_STEP = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def _bracket_depth_exceeds(text: str, limit: int = MAX_BRACKET_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings and comments are not excluded,
    so this can overestimate; callers confirm with ``ast``)."""
    if text.count("(") + text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", text)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > limit


# The newest grammar libcst knows, whatever interpreter runs us: a 3.9 install must still
# read PEP 695 `type` statements and PEP 701 f-strings.
_PARSER_CONFIG = cst.PartialParserConfig(
    python_version=max(cst.KNOWN_PYTHON_VERSION_STRINGS, key=lambda v: tuple(map(int, v.split("."))))
)


def parse(text: str) -> cst.Module:
    """libcst parse, guarded against inputs that crash the native parser."""
    if _bracket_depth_exceeds(text):
        parse_quietly(text)  # raises SyntaxError("too many nested parentheses") for real cases
    # Every node libcst's parser builds runs ``_validate`` (balanced parentheses, required
    # whitespace...), checks meant for trees assembled by hand: the parser's own output
    # passes them by construction, and they are 15 % of a parse. Off while parsing only
    # (nodes a fix builds are still checked); one parse at a time per process.
    _NODE.__post_init__ = _NO_VALIDATION  # type: ignore[assignment]
    try:
        return cst.parse_module(text, config=_PARSER_CONFIG)
    finally:
        _NODE.__post_init__ = _VALIDATION  # type: ignore[assignment]


_NODE = cst.CSTNode
_VALIDATION = _NODE.__post_init__


def _NO_VALIDATION(self: cst.CSTNode) -> None:
    pass


# -- traversal -------------------------------------------------------------------------------
_HANDLER_CACHE: Dict[type, List[Tuple[str, type, bool]]] = {}


def _handlers_of(cls: type) -> List[Tuple[str, type, bool]]:
    """(method name, node type, is_leave) for every visit_/leave_ method of a rule class."""
    cached = _HANDLER_CACHE.get(cls)
    if cached is None:
        cached = []
        for name in dir(cls):
            for prefix, leave in (("visit_", False), ("leave_", True)):
                if name.startswith(prefix):
                    node_type = getattr(cst, name[len(prefix):], None)
                    if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                        cached.append((name, node_type, leave))
        _HANDLER_CACHE[cls] = cached
    return cached


class _Dispatcher:
    """One traversal that fans each node out to every rule interested in its type."""

    def __init__(self, tracker: ScopeTracker, rules: Sequence[Rule], on_crash: Callable[[object, BaseException], None]) -> None:
        self._visits: Dict[type, List[Tuple[object, Callable]]] = {}
        self._leaves: Dict[type, List[Tuple[object, Callable]]] = {}
        self._on_crash = on_crash
        for owner in [tracker, *rules]:
            for name, node_type, leave in _handlers_of(type(owner)):
                table = self._leaves if leave else self._visits
                table.setdefault(node_type, []).append((owner, getattr(owner, name)))
        # the tracker leaves last, so rules still see the scope of the node they leave
        for handlers in self._leaves.values():
            handlers.sort(key=lambda pair: pair[0] is tracker)

    def _crashed(self, owner: object, exc: BaseException) -> None:
        self._on_crash(owner, exc)
        self.drop(owner)

    def drop(self, owner: object) -> None:
        for table in (self._visits, self._leaves):
            for node_type, handlers in table.items():
                table[node_type] = [pair for pair in handlers if pair[0] is not owner]

    @property
    def handled_types(self) -> List[type]:
        return [*self._visits, *self._leaves]

    def on_visit(self, node: cst.CSTNode) -> None:
        handlers = self._visits.get(type(node))
        if handlers:
            for owner, handler in handlers:
                try:
                    handler(node)
                except Exception as exc:  # a rule must never stop the run
                    self._crashed(owner, exc)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handlers = self._leaves.get(type(original_node))
        if handlers:
            for owner, handler in handlers:
                try:
                    handler(original_node)
                except Exception as exc:
                    self._crashed(owner, exc)

    def run(self, module: cst.Module) -> None:
        walk(module, self.on_visit, self.on_leave, keep_trivia=needs_trivia(self.handled_types))


def _crash_line(rule: object, path: str, exc: BaseException) -> str:
    code = getattr(rule, "CODE", "engine")
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"{path}: internal error in {code}: {type(exc).__name__}: {detail}{where}".rstrip()


def _syntax_error_location(text: str, exc: Exception) -> Tuple[int, int, str]:
    """Line, column (1-based) and message of a parse failure, preferring CPython's own."""
    try:
        parse_quietly(text)
    except SyntaxError as err:
        line = err.lineno or 1
        column = max(err.offset or 1, 1)
        return line, column, f"SyntaxError: {err.msg}"
    except RecursionError:
        return 1, 1, "cannot parse: the code is nested too deeply"
    except (ValueError, MemoryError) as err:
        return 1, 1, f"cannot parse: {type(err).__name__}"
    if isinstance(exc, cst.ParserSyntaxError):
        return max(exc.raw_line, 1), exc.raw_column + 1, f"SyntaxError: {exc.message}"
    if isinstance(exc, RecursionError):
        return 1, 1, "cannot parse: the code is nested too deeply"
    return 1, 1, f"cannot parse: {type(exc).__name__}"


def _run_level(code: str, rules: Dict[str, Type[Rule]], display: str, line: int, column: int, message: str, source_line: str = "") -> List[Finding]:
    rule = rules.get(code)
    if rule is None:
        return []
    return [Finding(display, line, column, code, line, column, rule.NAME, rule.SEVERITY.value, message, source_line)]


def _syntax_only(display: str, text: str, rules: Dict[str, Type[Rule]]) -> List[Finding]:
    """FAPI001 for a file no rule needs: CPython's parser is ~6x cheaper than libcst's."""
    try:
        parse_quietly(text)
    except Exception as exc:  # SyntaxError, RecursionError, MemoryError...
        # this interpreter's grammar may be older than the code's (PEP 695 on 3.11):
        # libcst's newest grammar has the last word. Only for a SyntaxError: after a
        # RecursionError libcst would be slower still (it is super-linear on deep nesting)
        if isinstance(exc, SyntaxError):
            try:
                parse(text)
                return []
            except Exception:
                pass
        return _syntax_finding(display, text, exc, rules)
    return []


def _syntax_finding(display: str, text: str, exc: Exception, rules: Dict[str, Type[Rule]]) -> List[Finding]:
    line, column, message = _syntax_error_location(text, exc)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    return _run_level(SYNTAX_ERROR, rules, display, line, column, message, source_line)


def lint_file(display: str, absolute: str, settings: LintSettings, data: Optional[bytes] = None) -> FileResult:
    """Lint one file; ``data`` lets callers (stdin, tests) pass the bytes directly."""
    config = settings.config
    rel = relative_to_root(absolute, config.root)
    ignored = ignored_codes_for(rel, config)
    active = [r for r in settings.rules if not any(r.CODE.startswith(c) for c in ignored)]
    active_codes = {r.CODE: r for r in active}
    try:
        if data is None:
            data = read_source(absolute)
        text = decode_source(data)
    except Unreadable as exc:
        return FileResult(_run_level(UNREADABLE, active_codes, display, 1, 1, str(exc)))

    test_file = is_test_path(rel, config.test_paths)
    rules_here: List[Tuple[Type[Rule], Mapping[str, Any]]] = []
    crashes: List[str] = []
    # prefilters read `\n` line ends (a CR-only file would look like one long line)
    seen = universal_newlines(text)
    for rule in active:
        if rule.CODE in (SYNTAX_ERROR, UNREADABLE) or (test_file and rule.SKIP_TEST_FILES):
            continue
        options = rule_options(config.options_for(rule.CODE), rule.option_defaults())
        try:
            # the project check first: where it says no, it is the cheaper one
            if not settings.prefilter or (rule.applies_in_project(seen, settings.project, absolute, options)
                                          and rule.applies_to(seen, options)):
                rules_here.append((rule, options))
        except Exception as exc:  # a rule's prefilter, like the rule, must never stop the run
            crashes.append(_crash_line(rule, display, exc))
    if not rules_here:
        # the project pass's `ast` parse already cleared most files of FAPI001
        known_good = settings.project is not None and absolute in settings.project.parsed_files
        if SYNTAX_ERROR in active_codes and not known_good:
            return FileResult(_syntax_only(display, text, active_codes), crashes)
        return FileResult(errors=crashes)
    try:
        module = parse(text)
    except Exception as exc:  # ParserSyntaxError, RecursionError, or a parser bug
        return FileResult(_syntax_finding(display, text, exc, active_codes), crashes)
    result = _lint_module(display, absolute, text, module, rules_here, settings, test_file)
    result.errors[:0] = crashes
    return result


def _lint_module(display: str, absolute: str, text: str, module: cst.Module,
                 rule_classes: Sequence[Tuple[Type[Rule], Mapping[str, Any]]], settings: LintSettings,
                 test_file: bool) -> FileResult:
    result = FileResult()
    module_name, is_package = module_name_for(absolute, settings.config.root)
    facts = ModuleFacts.build(module, display, module_name, settings.project, is_package)
    ctx = FileContext(display, facts, text, is_test_file=test_file, project=settings.project,
                      config=settings.config, versions=settings.versions)
    crashed: List[object] = []

    def on_crash(owner: object, exc: BaseException) -> None:
        result.errors.append(_crash_line(owner, display, exc))
        crashed.append(owner)  # the dispatcher stops calling it

    rules: List[Rule] = []
    for rule_class, options in rule_classes:
        try:
            rules.append(rule_class(ctx, options))
        except Exception as exc:
            result.errors.append(_crash_line(rule_class, display, exc))
    dispatcher = _Dispatcher(ScopeTracker(ctx), rules, on_crash)
    try:
        dispatcher.run(module)
        for rule in rules:
            if rule in crashed:
                continue
            try:
                rule.finish()
            except Exception as exc:
                on_crash(rule, exc)
        pending = [p for p in ctx.pending if p.rule not in crashed]
        if pending:
            result.findings = _resolve(display, text, module, pending, settings.config.honor_other_tools,
                                       absolute)
    except RecursionError:
        result.errors.append(f"{display}: too deeply nested to analyse; file skipped")
    finally:
        # findings point back at their rules, which point at the context: break the cycle
        # so the tree is freed now, by reference counting, not by a full collection
        ctx.pending.clear()
    return result


def _span_targets(pending: List[PendingFinding]) -> List[cst.CSTNode]:
    """Every node a finding or its fix needs the position of."""
    nodes: List[cst.CSTNode] = []
    for item in pending:
        nodes.append(item.node)
        if item.fix_node is not None:
            for old, new in (item.fix_node, *item.fix_extra):
                nodes.append(_lines_above_anchor(old) if isinstance(new, LinesAbove) else old)
    return nodes


def _lines_above_anchor(old: cst.CSTNode) -> cst.CSTNode:
    # a decorated statement's position starts at `def`/`class`, below its decorators
    return (getattr(old, "decorators", None) or (old,))[0]


def _resolve(display: str, text: str, module: cst.Module, pending: List[PendingFinding],
             honor_other_tools: bool = True, absolute: str = "") -> List[Finding]:
    """Give pending findings their positions (computed once, only for files that need them)."""
    spans = spans_of(module, _span_targets(pending))
    finding_lines = (spans[id(p.node)].range.start.line for p in pending if id(p.node) in spans)
    suppressions = parse_suppressions(text, finding_lines, honor_other_tools)
    lines = text.splitlines()
    findings = []
    seen = set()
    for item in pending:
        span = spans.get(id(item.node))
        if span is None:
            continue
        start, end = span.range.start, span.range.end
        line, column = start.line, start.column + 1
        code = item.rule.CODE
        if suppressions.is_suppressed(line, code):
            continue
        key = (line, column, code, item.message)
        if key in seen:
            continue
        seen.add(key)
        source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        findings.append(Finding(
            display, line, column, code, end.line, end.column + 1,
            item.rule.NAME, (item.severity or item.rule.SEVERITY).value, item.message, source_line,
            _make_fix(module, spans, item),
            tuple(replace(r, path=shown_path(r.path, display, absolute)) for r in item.related),
        ))
    return findings


def _make_fix(module: cst.Module, spans: Dict[int, Span], item: PendingFinding) -> Optional[Fix]:
    if item.fix_node is None:
        return None
    edits = []
    for old, new in (item.fix_node, *item.fix_extra):
        if isinstance(new, LinesAbove):
            span = spans.get(id(_lines_above_anchor(old)))
            if span is None:
                return None
            text = new.text.replace("\n", module.default_newline)
            edits.append(Edit(span.range.start.line, 1, span.range.start.line, 1, text))
            continue
        span = spans.get(id(old))
        if span is None:
            return None
        start, end = span.range.start, span.range.end
        edits.append(Edit(start.line, start.column + 1, end.line, end.column + 1,
                          code_in_place(module, span.indents, new)))
    applicability = (item.fix_applicability or item.rule.FIX).value
    return Fix(applicability, item.fix_message or f"Fix {item.rule.CODE}", tuple(edits))

"""``fastapi-lint server``: the Language Server Protocol over stdio (pygls).

Findings of the unsaved buffer as diagnostics, with the workspace's project index kept in
memory (:mod:`fastapi_lint.workspace`); quick fixes, ``# noqa`` and "fix all" code actions
named as ruff's server names them; the rule's documentation on hover. Everything runs on
the event loop's thread, one document at a time, so the index is never read while it is
being changed.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from typing import AbstractSet, Dict, Iterable, List, Optional, Sequence, Set, Tuple
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from fastapi_lint import __version__, docs
from fastapi_lint.add_noqa import add_to_text
from fastapi_lint.config import ConfigError, find_project_root
from fastapi_lint.engine import Unreadable, decode_source, read_source
from fastapi_lint.fix import fix_source
from fastapi_lint.registry import all_rules
from fastapi_lint.locations import absolute_path
from fastapi_lint.rule import Edit, Finding, Severity
from fastapi_lint.workspace import Change, ClientSettings, Project, encode_buffer, folder_for, load_folder_config

SOURCE = "fastapi-lint"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
# a burst of keystrokes is linted once, after the typing pauses this long
DEBOUNCE_SECONDS = 0.05
_SEVERITY = {
    Severity.ERROR.value: types.DiagnosticSeverity.Error,
    Severity.WARNING.value: types.DiagnosticSeverity.Warning,
    Severity.INFO.value: types.DiagnosticSeverity.Information,
}
_UNUSED_NOQA = "FAPI003"
_NOT_SUPPRESSIBLE = {"FAPI001", "FAPI002"}
_NEWLINE = re.compile(r"\r\n|\r|\n")  # the LSP's (and libcst's) line breaks, not str.splitlines's
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.I)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.I)

USAGE = """Usage: fastapi-lint server

  The Language Server Protocol over stdio, for editors (docs/editors.md). Reads the
  workspace's pyproject.toml; editor settings: select, extend-select, ignore, preview,
  min-severity, fail-on. Ends on the client's exit notification or when stdin closes.
"""


def _lines(text: str) -> List[str]:
    """The document's lines with their line breaks, split where an LSP client splits them."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _position(doc: TextDocument, lines: Sequence[str], line: int, column: int) -> types.Position:
    """A 1-based (line, code point column) as the client counts (UTF-16 units by default)."""
    line = max(line - 1, 0)
    if line >= len(lines):
        return types.Position(line=len(lines), character=0)
    text = lines[line].rstrip("\r\n")
    return types.Position(line=line, character=doc.position_codec.client_num_units(text[:max(column - 1, 0)]))


def _range(doc: TextDocument, lines: Sequence[str], line: int, column: int, end_line: int, end_column: int) -> types.Range:
    return types.Range(start=_position(doc, lines, line, column), end=_position(doc, lines, end_line, end_column))


def _text_edit(doc: TextDocument, lines: Sequence[str], edit: Edit) -> types.TextEdit:
    return types.TextEdit(range=_range(doc, lines, edit.line, edit.column, edit.end_line, edit.end_column),
                          new_text=edit.content)


def diagnostic(doc: TextDocument, lines: Sequence[str], finding: Finding,
               related: Optional[List[types.DiagnosticRelatedInformation]] = None) -> types.Diagnostic:
    rule = all_rules().get(finding.code)
    href = docs.help_uri(rule) if rule is not None else None
    return types.Diagnostic(
        range=_range(doc, lines, finding.line, finding.column, finding.end_line, finding.end_column),
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        message=finding.message,
        tags=[types.DiagnosticTag.Unnecessary] if finding.code == _UNUSED_NOQA else None,
        data={"name": finding.name},
        related_information=related or None,
    )


def _contains(outer: types.Range, inner: types.Range) -> bool:
    def before(a: types.Position, b: types.Position) -> bool:
        return (a.line, a.character) <= (b.line, b.character)

    return before(outer.start, inner.end) and before(inner.start, outer.end)


class FastapiLintServer(LanguageServer):
    """The session: one :class:`Project` per workspace folder, the findings of each open
    document as last published, and the pending (debounced) lints."""

    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = ClientSettings()
        # (workspace folder, True), or (project root, False) for files outside the workspace
        self.projects: Dict[Tuple[str, bool], Project] = {}
        # uri -> (document version, findings): what code actions and hover answer from
        self.results: Dict[str, Tuple[Optional[int], List[Finding]]] = {}
        self.pending: Dict[str, asyncio.TimerHandle] = {}
        self.shutdown_requested = False
        self.settings_problem: Optional[str] = None

    # -- projects ----------------------------------------------------------------------------
    def folders(self) -> List[str]:
        paths = [to_fs_path(folder.uri) for folder in self.workspace.folders.values()]
        if not paths and self.workspace.root_path:
            paths = [self.workspace.root_path]
        return [os.path.abspath(p) for p in paths if p]

    def project_for(self, path: str) -> Project:
        folder = folder_for(path, self.folders())
        # a file outside the workspace (a library's source, a scratch file) is linted alone:
        # indexing whatever directory holds it could mean a whole site-packages
        key = (folder, True) if folder else (find_project_root(os.path.dirname(path)), False)
        project = self.projects.get(key)
        if project is None:
            project = self.projects[key] = self._open_project(key, None)
        return project

    def _open_project(self, key: Tuple[str, bool], previous: Optional[Project]) -> Project:
        folder, indexed = key
        config, problem = load_folder_config(folder, self.settings)
        if problem is not None:
            self.show_error(f"{problem}; using the default settings")
        if previous is not None and previous.config.root == config.root:
            return previous.reconfigured(config, self.settings)  # the index stays valid
        return Project.open(config, self.settings, index_files=indexed)

    def reconfigure(self) -> None:
        """Read every folder's configuration again and re-lint the open documents."""
        self.projects = {key: self._open_project(key, project) for key, project in self.projects.items()}
        self.lint_open(self.open_uris())

    def show_error(self, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                         message=f"fastapi-lint: {message}"))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=f"fastapi-lint: {message}"))

    # -- linting -----------------------------------------------------------------------------
    def open_uris(self) -> List[str]:
        return [uri for uri, doc in self.workspace.text_documents.items() if _lintable(doc.path)]

    def schedule(self, uri: str) -> None:
        self.cancel(uri)
        self.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self.lint_now, uri)

    def cancel(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def lint_now(self, uri: str) -> None:
        """Lint a changed document, then the other open documents of its project when the
        change touched facts they read (simplest correct: all of them)."""
        self.pending.pop(uri, None)
        doc = self.workspace.get_text_document(uri)
        if not _lintable(doc.path):
            return
        project = self.project_for(doc.path)
        try:
            change = project.update(doc.path, doc.source)
        except Exception as exc:  # noqa: BLE001 - the session outlives a bug in a collector
            self.log(f"{doc.path}: cannot summarize: {type(exc).__name__}: {exc}", types.MessageType.Error)
            change = Change.NOTHING
        self.publish(doc, project)
        self.after_change(project, {doc.path}, change, skip=uri)

    def lint_open(self, uris: Iterable[str]) -> None:
        for uri in list(uris):
            doc = self.workspace.get_text_document(uri)
            self.publish(doc, self.project_for(doc.path))

    def findings_of(self, doc: TextDocument, project: Project) -> List[Finding]:
        try:
            result = project.lint(doc.path, doc.source)
        except Exception as exc:  # noqa: BLE001 - a bug must cost one document, not the session
            self.log(f"{doc.path}: internal error: {type(exc).__name__}: {exc}", types.MessageType.Error)
            return []
        for problem in result.errors:
            self.log(problem, types.MessageType.Error)
        return result.findings

    def publish(self, doc: TextDocument, project: Project) -> None:
        findings = self.findings_of(doc, project)
        self.results[doc.uri] = (doc.version, findings)
        lines = _lines(doc.source)
        texts: Dict[str, Optional[List[str]]] = {doc.path: lines}
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=doc.uri, version=doc.version,
            diagnostics=[diagnostic(doc, lines, f, self.related_information(doc, f, texts)) for f in findings]))

    def related_information(self, doc: TextDocument, finding: Finding,
                            texts: Dict[str, Optional[List[str]]]) -> List[types.DiagnosticRelatedInformation]:
        """The finding's related places as LSP locations (columns counted in the text the
        editor has of that file: its buffer if open, else the file on disk)."""
        found = []
        for related in finding.related:
            path = absolute_path(related.path, finding.path, doc.path)
            if path not in texts:
                texts[path] = self._lines_of(path)
            lines = texts[path] or []
            position = _position(doc, lines, related.line, related.column) if related.line <= len(lines) \
                else types.Position(line=related.line - 1, character=related.column - 1)
            found.append(types.DiagnosticRelatedInformation(
                location=types.Location(uri=from_fs_path(path) or path, range=types.Range(start=position, end=position)),
                message=related.message))
        return found

    def _lines_of(self, path: str) -> Optional[List[str]]:
        for document in self.workspace.text_documents.values():
            if document.path == path:
                return _lines(document.source)
        try:
            return _lines(decode_source(read_source(path)))
        except Unreadable:
            return None

    def after_change(self, project: Project, paths: AbstractSet[str], change: Change, skip: str = "") -> None:
        """Re-lint the open documents of ``project`` (but ``skip``) that a change of the files
        ``paths`` may concern: all of them when facts changed (simplest correct), those
        whose findings point into the files when only their lines moved."""
        if change is Change.NOTHING:
            return
        for uri in self.open_uris():
            if uri == skip:
                continue
            doc = self.workspace.get_text_document(uri)
            if self.project_for(doc.path) is not project:
                continue
            if change is Change.SITES and not any(
                    absolute_path(r.path, f.path, doc.path) in paths
                    for f in self.results.get(uri, (None, []))[1] for r in f.related):
                continue
            self.publish(doc, project)

    def current_findings(self, doc: TextDocument) -> List[Finding]:
        """The document's findings for its current text (linted now if a change is pending)."""
        version, findings = self.results.get(doc.uri, (None, None))
        if findings is None or version != doc.version or doc.uri in self.pending:
            self.cancel(doc.uri)
            self.lint_now(doc.uri)
            findings = self.results.get(doc.uri, (None, []))[1]
        return findings

    # -- code actions --------------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        doc = self.workspace.get_text_document(params.text_document.uri)
        if not _lintable(doc.path):
            return []
        findings = self.current_findings(doc)
        lines = _lines(doc.source)
        only = params.context.only
        actions: List[types.CodeAction] = []
        if _wanted(only, types.CodeActionKind.QuickFix):
            for finding in findings:
                diag = diagnostic(doc, lines, finding)
                if _contains(params.range, diag.range):
                    actions.extend(self._quick_fixes(doc, lines, finding, diag))
        if _wanted(only, FIX_ALL) and any(f.fix is not None and f.fix.applicability == "safe" for f in findings):
            action = self._fix_all(doc, lines, findings)
            if action is not None:
                actions.append(action)
        return actions

    def _quick_fixes(self, doc: TextDocument, lines: Sequence[str], finding: Finding,
                     diag: types.Diagnostic) -> List[types.CodeAction]:
        actions = []
        if finding.fix is not None:
            unsafe = finding.fix.applicability != "safe"
            title = f"{SOURCE} ({finding.code}): {finding.fix.message}" + (" (unsafe)" if unsafe else "")
            edits = [_text_edit(doc, lines, e) for e in finding.fix.edits]
            actions.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag], is_preferred=not unsafe,
                edit=types.WorkspaceEdit(changes={doc.uri: edits})))
        if finding.code not in _NOT_SUPPRESSIBLE:
            edit = _noqa_edit(doc, lines, finding)
            if edit is not None:
                actions.append(types.CodeAction(
                    title=f"{SOURCE} ({finding.code}): Disable for this line", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag], edit=types.WorkspaceEdit(changes={doc.uri: [edit]})))
        return actions

    def _fix_all(self, doc: TextDocument, lines: Sequence[str], findings: List[Finding]) -> Optional[types.CodeAction]:
        project = self.project_for(doc.path)
        fixed = fix_source(findings[0].path, doc.path, encode_buffer(doc.source), project.lint_settings(),
                           unsafe=False, findings=findings)
        if not fixed.changed:
            return None
        everything = types.Range(start=types.Position(line=0, character=0),
                                 end=types.Position(line=len(lines), character=0))
        return types.CodeAction(
            title=f"{SOURCE}: Fix all auto-fixable problems", kind=FIX_ALL,
            edit=types.WorkspaceEdit(changes={doc.uri: [types.TextEdit(range=everything, new_text=fixed.fixed)]}))

    # -- hover ---------------------------------------------------------------------------------
    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        doc = self.workspace.get_text_document(params.text_document.uri)
        if not _lintable(doc.path):
            return None
        lines = _lines(doc.source)
        codes = _noqa_code_at(doc, lines, params.position)
        if not codes:
            point = types.Range(start=params.position, end=params.position)
            lines_findings = self.results.get(doc.uri, (None, []))[1]
            codes = list(dict.fromkeys(f.code for f in lines_findings
                                       if _contains(diagnostic(doc, lines, f).range, point)))
        rules = [all_rules()[c] for c in codes if c in all_rules()]
        if not rules:
            return None
        text = "\n\n---\n\n".join(docs.markdown(rule) for rule in rules)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def _lintable(path: Optional[str]) -> bool:
    return bool(path) and path.endswith((".py", ".pyi"))


def _wanted(only: Optional[Sequence[str]], kind: str) -> bool:
    """Whether the client asked for actions of ``kind`` (kinds are hierarchical: "source"
    asks for "source.fixAll.fastapi-lint")."""
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


def _noqa_edit(doc: TextDocument, lines: Sequence[str], finding: Finding) -> Optional[types.TextEdit]:
    """The edit that adds ``# noqa: CODE`` to the finding's line (as ``--add-noqa`` writes it)."""
    new_text, added, _ = add_to_text(doc.source, [finding])
    if not added:
        return None
    old_line = lines[finding.line - 1]
    new_line = _lines(new_text)[finding.line - 1]
    body = old_line.rstrip("\r\n")
    return types.TextEdit(range=_range(doc, lines, finding.line, 1, finding.line, len(body) + 1),
                          new_text=new_line.rstrip("\r\n"))


def _noqa_code_at(doc: TextDocument, lines: Sequence[str], position: types.Position) -> List[str]:
    """The rule code of a ``# noqa: CODE`` directive under the cursor."""
    if position.line >= len(lines):
        return []
    text = lines[position.line].rstrip("\r\n")
    match = _NOQA.search(text)
    if match is None:
        return []
    for code in _CODE.finditer(text, match.start("codes"), match.end("codes")):
        start = doc.position_codec.client_num_units(text[:code.start()])
        end = doc.position_codec.client_num_units(text[:code.end()])
        if start <= position.character <= end:
            return [code.group().upper()]
    return []


def create_server() -> FastapiLintServer:
    server = FastapiLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: FastapiLintServer, params: types.InitializeParams) -> None:
        try:
            ls.settings = ClientSettings.parse(params.initialization_options)
        except ConfigError as exc:
            ls.settings_problem = str(exc)

    @server.feature(types.INITIALIZED)
    def initialized(ls: FastapiLintServer, params: types.InitializedParams) -> None:
        if ls.settings_problem:
            ls.show_error(f"{ls.settings_problem}; ignoring the editor settings")
        watch = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id=f"{SOURCE}-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
                    types.FileSystemWatcher(glob_pattern="**/*.py"),
                    types.FileSystemWatcher(glob_pattern="**/*.pyi"),
                    # a deleted directory is reported alone, not file by file
                    types.FileSystemWatcher(glob_pattern="**/*", kind=types.WatchKind.Delete),
                ]))]))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FastapiLintServer, params: None) -> None:
        ls.shutdown_requested = True

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FastapiLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint_now(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FastapiLintServer, params: types.DidChangeTextDocumentParams) -> None:
        if _lintable(to_fs_path(params.text_document.uri)):
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FastapiLintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri) or ""
        if os.path.basename(path) == "pyproject.toml":
            ls.reconfigure()
        elif _lintable(path):
            ls.cancel(params.text_document.uri)
            ls.lint_now(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FastapiLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel(uri)
        ls.results.pop(uri, None)
        path = to_fs_path(uri)
        if not _lintable(path):
            return
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        path = os.path.abspath(path)
        project = ls.project_for(path)
        # the buffer may close unsaved: the other modules see the file on disk again (or no
        # file: it was deleted while open)
        ls.after_change(project, {path}, project.reread(path), skip=unquote(uri))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: FastapiLintServer, params: types.DidChangeConfigurationParams) -> None:
        if ClientSettings.section(params.settings) is None:
            return  # nothing of ours: keep what initializationOptions said
        try:
            ls.settings = ClientSettings.parse(params.settings)
        except ConfigError as exc:
            ls.show_error(f"{exc}; keeping the previous editor settings")
            return
        ls.reconfigure()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: FastapiLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        # an open document's buffer is what the index holds of its file, deleted or not
        open_paths = {ls.workspace.get_text_document(u).path for u in ls.open_uris()}
        changes: Dict[int, Tuple[Project, Set[str], Change]] = {}
        for event in params.changes:
            path = to_fs_path(event.uri)
            if not path:
                continue
            if os.path.basename(path) == "pyproject.toml":
                ls.reconfigure()
                return
            path = os.path.abspath(path)
            if path in open_paths or (not _lintable(path) and folder_for(path, ls.folders()) is None):
                continue  # a buffer stands for it; a deleted folder outside the workspace
            if event.type == types.FileChangeType.Deleted:
                # a file, or a directory of them (clients report a deleted folder alone)
                change = ls.project_for(path).remove(path)
            elif _lintable(path):
                change = ls.project_for(path).reread(path)
            else:
                continue
            project = ls.project_for(path)
            _, paths, before = changes.get(id(project), (project, set(), Change.NOTHING))
            changes[id(project)] = (project, paths | {path}, max(before, change))
        for project, paths, change in changes.values():  # one re-lint per project
            ls.after_change(project, paths, change)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL]))
    def code_action(ls: FastapiLintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: FastapiLintServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params)

    return server


def main(args: Sequence[str]) -> int:
    """Serve over stdio until the client sends ``exit`` or closes stdin."""
    if list(args) in (["--help"], ["-h"]):
        sys.stdout.write(USAGE)
        return 0
    if args:
        sys.stderr.write(f"fastapi-lint: error: `server` takes no arguments (got {' '.join(args)})\n")
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="fastapi-lint server: %(message)s")
    server = create_server()
    server.start_io()
    # the LSP's rule: exit status 1 when the client went away without asking to shut down
    return 0 if server.shutdown_requested else 1


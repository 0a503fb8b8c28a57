"""Review fastapi-lint's findings on real projects: lint, sample, compare, re-check verdicts.

    python bench/review.py run --projects DIR --out RUNDIR [--list FILE] [--lint CMD] [--jobs N]
                               [--only A,B] [-- fastapi-lint args, e.g. --select FAPI305]
    python bench/review.py counts RUNDIR
    python bench/review.py sheet RUNDIR --code CODE [--n 30] [--seed 1] [--projects DIR]
                                 [--exclude-judged] [--context 8] [-o FILE]
    python bench/review.py compare OLDRUN NEWRUN [--code CODE,...]
    python bench/review.py check RUNDIR [--verdicts DIR] [--code CODE,...]

A folder of projects holds one folder per project, ``<owner>__<name>`` (as
``make_corpus.sh`` extracts them); a list file of lines ``owner/name commit [subdir]`` names
the commit of each (folders not in it are ``...@unknown``). ``run`` lints each project from
its root as a user would and writes ``RUNDIR/<project>.json`` (fastapi-lint's JSON report)
and ``RUNDIR/counts.json``. Verdicts are lines ``owner/name@commit path:line CODE VERDICT
reason`` in ``bench/verdicts/*.txt``; ``check`` fails when a FALSE is still found or a TRUE
is no longer found. The projects stay outside the repository: review sheets quote their code
and are never written inside it.
"""
from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Counter, Dict, Iterable, List, Optional, Sequence, Set, TextIO, Tuple

try:  # CPU time of the linted projects; Unix only
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _default_list() -> str:
    """``shared/tools/corpus-dev.txt`` beside the repository, or beside a folder of worktrees."""
    candidates = [os.path.join(up, "shared", "tools", "corpus-dev.txt")
                  for up in (os.path.dirname(REPO), os.path.dirname(os.path.dirname(REPO)))]
    return next((c for c in candidates if os.path.exists(c)), candidates[0])


DEFAULT_LIST = _default_list()
DEFAULT_VERDICTS = os.path.join(HERE, "verdicts")
COUNTS = "counts.json"
VERDICTS = ("TRUE", "FALSE", "DEBATABLE")
VERDICT_FORMAT = "owner/name@commit path:line CODE TRUE|FALSE|DEBATABLE reason"
PLACEHOLDER = "VERDICT reason"
_CODE = re.compile(r"[A-Z]+[0-9]+")

Key = Tuple[str, str, int, str]  # project folder, path, line, code


class Problem(Exception):
    """A usage or input error: printed as one message, exit status 2."""


@dataclass(frozen=True)
class Project:
    folder: str
    repo: str
    commit: str

    @property
    def anchor(self) -> str:
        return f"{self.repo}@{self.commit}"

    @property
    def short(self) -> str:
        return self.repo.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Finding:
    project: str
    path: str
    line: int
    column: int
    code: str
    severity: str
    message: str

    @property
    def key(self) -> Key:
        return (self.project, self.path, self.line, self.code)


@dataclass(frozen=True)
class Verdict:
    repo: str
    commit: str
    path: str
    line: int
    code: str
    verdict: str
    reason: str
    where: str  # file:line of the verdict

    @property
    def anchor(self) -> str:
        return f"{self.repo}@{self.commit} {self.path}:{self.line} {self.code}"


@dataclass(frozen=True)
class Run:
    directory: str
    projects: Dict[str, Project]  # the folders with a readable report
    findings: Tuple[Finding, ...]
    projects_dir: Optional[str]


# ---------------------------------------------------------------- projects and the list file


def read_list(path: str, required: bool = False) -> Dict[str, Project]:
    """``owner/name commit [subdir]`` lines -> folder ``owner__name`` -> Project."""
    if not os.path.exists(path):
        if required:
            raise Problem(f"{path}: no such list file")
        print(f"note: no list file {path}: every project is name@unknown", file=sys.stderr)
        return {}
    projects: Dict[str, Project] = {}
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, 1):
            parts = text.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) not in (2, 3) or parts[0].count("/") != 1:
                raise Problem(f"{path}:{number}: expected 'owner/name commit [subdir]', got {text.strip()!r}")
            folder = parts[0].replace("/", "__")
            projects[folder] = Project(folder, parts[0], parts[1])
    return projects


def project_for(folder: str, listed: Dict[str, Project]) -> Project:
    if folder in listed:
        return listed[folder]
    return Project(folder, folder.replace("__", "/", 1), "unknown")


def same_commit(one: str, other: str) -> bool:
    """Abbreviations of one commit match; an unknown commit matches nothing."""
    one, other = one.lower(), other.lower()
    if "unknown" in (one, other):
        return False
    return one.startswith(other) or other.startswith(one)


def project_folders(directory: str, only: Sequence[str] = ()) -> List[str]:
    if not os.path.isdir(directory):
        raise Problem(f"{directory}: not a directory")
    folders = sorted(n for n in os.listdir(directory)
                     if not n.startswith(".") and os.path.isdir(os.path.join(directory, n)))
    if only:
        missing = sorted(set(only) - set(folders))
        if missing:
            raise Problem(f"--only: no project folder {', '.join(missing)} in {directory}")
        folders = [f for f in folders if f in only]
    return folders


# ---------------------------------------------------------------- runs


def _read_json(path: str) -> Optional[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _findings_of(folder: str, data: dict) -> List[Finding]:
    return [Finding(folder, f["path"], int(f["line"]), int(f.get("column", 0)), f["code"],
                    f.get("severity", ""), f.get("message", "")) for f in data["findings"]]


def load_run(directory: str, list_file: str = DEFAULT_LIST) -> Run:
    """Every ``<project>.json`` report of a run directory (``counts.json`` aside).

    The commits recorded by ``run`` in counts.json win over the list file: they are the
    commits that run saw. A report that cannot be read is skipped with a note.
    """
    if not os.path.isdir(directory):
        raise Problem(f"{directory}: not a run directory")
    meta = _read_json(os.path.join(directory, COUNTS)) or {}
    recorded = {folder: _recorded_project(folder, entry)
                for folder, entry in meta.get("projects", {}).items() if "anchor" in entry}
    listed = read_list(list_file)
    projects: Dict[str, Project] = {}
    findings: List[Finding] = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        folder = os.path.basename(path)[: -len(".json")]
        if os.path.basename(path) == COUNTS:
            continue
        data = _read_json(path)
        if data is None or not isinstance(data.get("findings"), list):
            print(f"note: {path} is not a fastapi-lint JSON report; skipped", file=sys.stderr)
            continue
        projects[folder] = recorded.get(folder) or project_for(folder, listed)
        findings.extend(_findings_of(folder, data))
    return Run(directory, projects, tuple(findings), meta.get("projects_dir"))


def _recorded_project(folder: str, entry: dict) -> Project:
    repo, _, commit = entry["anchor"].rpartition("@")
    return Project(folder, repo, commit)


def counts_by_code(findings: Iterable[Finding]) -> Dict[str, Counter[str]]:
    """code -> project folder -> number of findings."""
    table: Dict[str, Counter[str]] = collections.defaultdict(collections.Counter)
    for finding in findings:
        table[finding.code][finding.project] += 1
    return table


# ---------------------------------------------------------------- output helpers


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], out: TextIO) -> None:
    """A Markdown table: first column left-aligned, the others right-aligned."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = lambda row: "| " + " | ".join(
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"
    out.write(line(cells[0]) + "\n")
    out.write("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|\n")
    for row in cells[1:]:
        out.write(line(row) + "\n")


def print_counts(run: Run, out: TextIO) -> None:
    """Rows: rules; columns: the total and each project."""
    folders = sorted(run.projects)
    by_code = counts_by_code(run.findings)
    rows = [[code, sum(per.values())] + [per.get(f, 0) for f in folders] for code, per in sorted(by_code.items())]
    rows.append(["total", len(run.findings)] + [sum(1 for x in run.findings if x.project == f) for f in folders])
    table(["rule", "total"] + [run.projects[f].short for f in folders], rows, out)


# ---------------------------------------------------------------- run


def default_lint_command() -> List[str]:
    """The ``fastapi-lint`` beside this Python (its venv), else ``python -m fastapi_lint``."""
    beside = os.path.join(os.path.dirname(sys.executable), "fastapi-lint")
    return [beside] if os.path.exists(beside) else [sys.executable, "-m", "fastapi_lint"]


def _children_cpu() -> float:
    if resource is None:  # pragma: no cover - Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lint_project(root: str, argv: Sequence[str], report: str, errors: str) -> dict:
    """Lint one project from its root; the report is kept only when it is valid JSON."""
    partial = report + ".partial"
    cpu, start = _children_cpu(), time.perf_counter()
    status: Optional[int] = None
    failure = ""
    with open(partial, "wb") as stdout, open(errors, "wb") as stderr:
        try:
            status = subprocess.run(list(argv), cwd=root, stdout=stdout, stderr=stderr).returncode
        except OSError as error:  # the lint command cannot be started
            failure = str(error)
    outcome = {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(_children_cpu() - cpu, 2)}
    data = _read_json(partial) if status in (0, 1) else None
    if data is None or not isinstance(data.get("findings"), list):
        os.remove(partial)
        reason = failure or f"exit status {status}, {_last_line(errors)}"
        return dict(outcome, status="failed", error=reason)
    os.replace(partial, report)
    if os.path.getsize(errors) == 0:
        os.remove(errors)
    summary = data.get("summary", {})
    by_code = collections.Counter(f["code"] for f in data["findings"])
    return dict(outcome, status="ok", findings=len(data["findings"]), by_code=dict(sorted(by_code.items())),
                file_errors=len(summary.get("errors", [])))


def _last_line(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    return lines[-1] if lines else "no output on stderr"


def command_run(args: argparse.Namespace, extra: Sequence[str], out: TextIO) -> int:
    projects_dir = os.path.abspath(args.projects)
    folders = project_folders(projects_dir, _split(args.only))
    if os.path.isdir(args.out) and os.listdir(args.out):
        raise Problem(f"{args.out}: exists and is not empty; give a new run directory")
    os.makedirs(args.out, exist_ok=True)
    listed = read_list(args.list, required=args.list != DEFAULT_LIST)
    argv = (shlex.split(args.lint) if args.lint else default_lint_command()) + [
        ".", "--format", "json", "--no-cache", "--exit-zero", "--jobs", str(args.jobs), *extra]
    out.write(f"linting {len(folders)} projects of {projects_dir}: {' '.join(argv)}\n")
    entries = {}
    for folder in folders:
        project = project_for(folder, listed)
        outcome = lint_project(os.path.join(projects_dir, folder), argv, os.path.join(args.out, folder + ".json"),
                               os.path.join(args.out, folder + ".err"))
        entries[folder] = dict(anchor=project.anchor, **outcome)
        out.write(f"  {project.anchor}: {_outcome_text(outcome)}\n")
        out.flush()
    write_counts(args.out, projects_dir, args.list, argv, entries)
    run = load_run(args.out, args.list)
    out.write("\n")
    print_counts(run, out)
    out.write("\n")
    print_times(entries, out)
    failed = sorted(f for f, e in entries.items() if e["status"] != "ok")
    if failed:
        out.write(f"\nlint FAILED for {len(failed)} project(s): {', '.join(failed)} (see their .err files)\n")
    return 1 if failed else 0


def _outcome_text(outcome: dict) -> str:
    if outcome["status"] != "ok":
        return f"FAILED ({outcome['error']}) after {outcome['wall_s']:.1f} s"
    return f"{outcome['findings']} findings in {outcome['wall_s']:.1f} s"


def write_counts(directory: str, projects_dir: str, list_file: str, argv: Sequence[str], entries: dict) -> None:
    totals: Counter[str] = collections.Counter()
    for entry in entries.values():
        totals.update(entry.get("by_code", {}))
    meta = {"projects_dir": projects_dir, "list": os.path.abspath(list_file), "command": list(argv),
            "by_code": dict(sorted(totals.items())), "projects": entries}
    with open(os.path.join(directory, COUNTS), "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
        handle.write("\n")


def print_times(entries: dict, out: TextIO) -> None:
    rows = [[e["anchor"], e["status"], e.get("findings", "-"), e.get("file_errors", "-"), f"{e['wall_s']:.1f}",
             f"{e['cpu_s']:.1f}"] for _, e in sorted(entries.items())]
    total = lambda field: f"{sum(e[field] for e in entries.values()):.1f}"
    rows.append(["total", "", sum(e.get("findings", 0) for e in entries.values()), "", total("wall_s"),
                 total("cpu_s")])
    table(["project", "lint", "findings", "unparsed files", "wall s", "CPU s"], rows, out)


# ---------------------------------------------------------------- verdicts


def parse_verdict(text: str, where: str) -> Verdict:
    """One verdict line; a malformed one raises Problem naming ``file:line``."""
    parts = text.split(None, 4)

    def bad(what: str) -> Problem:
        return Problem(f"{where}: {what}; expected '{VERDICT_FORMAT}'")

    if len(parts) < 4:
        raise bad(f"too few fields in {text.strip()!r}")
    anchor, location, code, verdict = parts[:4]
    repo, _, commit = anchor.rpartition("@")
    if not repo or not commit or "/" not in repo:
        raise bad(f"{anchor!r} is not owner/name@commit")
    if commit.lower() == "unknown":
        raise bad(f"{anchor!r} has no commit (add the project to the list file)")
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit() or int(line) < 1:
        raise bad(f"{location!r} is not path:line")
    if not _CODE.fullmatch(code):
        raise bad(f"{code!r} is not a rule code")
    if verdict not in VERDICTS:
        raise bad(f"verdict {verdict!r} is not TRUE, FALSE or DEBATABLE")
    if len(parts) < 5:
        raise bad("the reason is missing")
    return Verdict(repo, commit, path, int(line), code, verdict, parts[4].strip(), where)


def read_verdicts(directory: str) -> List[Verdict]:
    """Every ``*.txt`` of the folder; ``#`` comments and blank lines skipped.

    All malformed lines, and one finding judged both ways, are reported together.
    """
    if not os.path.isdir(directory):
        print(f"note: no verdicts folder {directory}", file=sys.stderr)
    verdicts: List[Verdict] = []
    problems: List[str] = []
    for path in sorted(glob.glob(os.path.join(directory, "*.txt"))):
        shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
        with open(path, encoding="utf-8") as handle:
            for number, text in enumerate(handle, 1):
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                try:
                    verdicts.append(parse_verdict(text, f"{shown}:{number}"))
                except Problem as problem:
                    problems.append(str(problem))
    problems.extend(_conflicts(verdicts))
    if problems:
        raise Problem("malformed verdicts:\n  " + "\n  ".join(problems))
    return _distinct(verdicts)


def _verdict_key(verdict: Verdict) -> Tuple[str, str, str, int, str]:
    return (verdict.repo, verdict.commit.lower(), verdict.path, verdict.line, verdict.code)


def _conflicts(verdicts: Sequence[Verdict]) -> List[str]:
    first: Dict[tuple, Verdict] = {}
    problems = []
    for verdict in verdicts:
        earlier = first.setdefault(_verdict_key(verdict), verdict)
        if earlier.verdict != verdict.verdict:
            problems.append(f"{verdict.where}: {verdict.anchor} is {verdict.verdict} here but "
                            f"{earlier.verdict} at {earlier.where}")
    return problems


def _distinct(verdicts: Sequence[Verdict]) -> List[Verdict]:
    seen: Set[tuple] = set()
    return [v for v in verdicts if not (_verdict_key(v) in seen or seen.add(_verdict_key(v)))]


def locate(verdict: Verdict, run: Run) -> Tuple[Optional[Key], str]:
    """The run's key of a verdict's finding, or None and why the verdict cannot be checked."""
    folders = [p for p in run.projects.values() if p.repo == verdict.repo]
    if not folders:
        return None, f"{verdict.repo}: not in this run"
    matching = [p for p in folders if same_commit(p.commit, verdict.commit)]
    if not matching:
        return None, f"{verdict.repo}: this run has it at {folders[0].commit}, not {verdict.commit}"
    return (matching[0].folder, verdict.path, verdict.line, verdict.code), ""


# ---------------------------------------------------------------- sheet


def sample(findings: Iterable[Finding], code: str, n: int, seed: int, skip: Set[Key] = frozenset()) -> List[Finding]:
    """A seeded sample of distinct findings (project, path, line) of one rule.

    Sorted before shuffling, so the sample depends on the seed and the findings only, never
    on the order of the reports; without skips and duplicates it is tools/sample.py's.
    """
    pool = sorted((f for f in findings if f.code == code), key=lambda f: f.key)
    random.Random(seed).shuffle(pool)
    chosen: List[Finding] = []
    seen: Set[Key] = set()
    for finding in pool:
        if finding.key in seen or finding.key in skip:
            continue
        seen.add(finding.key)
        chosen.append(finding)
        if len(chosen) == n:
            break
    return chosen


def code_around(path: str, line: int, radius: int) -> Optional[List[str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    low, high = max(1, line - radius), min(len(lines), line + radius)
    return [("> " if number == line else "  ") + f"{number:5d}  {lines[number - 1]}" for number in range(low, high + 1)]


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(run) for text in lines for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def write_sheet(run: Run, chosen: Sequence[Finding], projects_dir: str, radius: int,
                heading: Sequence[str], out: TextIO) -> None:
    out.write("\n".join(heading) + "\n")
    for number, finding in enumerate(chosen, 1):
        anchor = f"{run.projects[finding.project].anchor} {finding.path}:{finding.line} {finding.code}"
        out.write(f"\n## {number}. `{anchor}`\n\n{finding.severity}: {finding.message}\n\n")
        lines = code_around(os.path.join(projects_dir, finding.project, finding.path), finding.line, radius)
        if lines is None:
            out.write(f"(source not found under {projects_dir}/{finding.project})\n\n")
        else:
            fence = _fence(lines)
            out.write(f"{fence}python\n" + "\n".join(lines) + f"\n{fence}\n\n")
        out.write(f"```text\n{anchor} {PLACEHOLDER}\n```\n")


def _inside_repo(path: str) -> bool:
    real, repo = os.path.realpath(path), os.path.realpath(REPO)
    return real == repo or real.startswith(repo + os.sep)


def command_sheet(args: argparse.Namespace, out: TextIO) -> int:
    run = load_run(args.run, args.list)
    projects_dir = args.projects or run.projects_dir
    if not projects_dir:
        raise Problem(f"{args.run} does not record its projects folder: pass --projects DIR")
    skip: Set[Key] = set()
    if args.exclude_judged:
        skip = {key for key, _ in (locate(v, run) for v in read_verdicts(args.verdicts)) if key is not None}
    total = sum(1 for f in run.findings if f.code == args.code)
    judged = len({f.key for f in run.findings if f.code == args.code} & skip)
    chosen = sorted(sample(run.findings, args.code, args.n, args.seed, skip), key=lambda f: f.key)
    heading = [f"# Review sheet: {args.code}", "",
               f"{len(chosen)} of {total} findings of {args.code} in `{run.directory}` (seed {args.seed}"
               + (f", {judged} already judged excluded" if args.exclude_judged else "") + "), "
               f"code from `{projects_dir}`, ±{args.context} lines.", "",
               "This sheet quotes the projects' code: keep it outside the repository. Fill in each",
               f"verdict line (`{VERDICT_FORMAT}`) and add it to",
               f"`bench/verdicts/{args.code}.txt`."]
    if args.output:
        if _inside_repo(args.output):
            raise Problem(f"{args.output}: a sheet quotes project code and must not be written inside the repository")
        with open(args.output, "w", encoding="utf-8") as handle:
            write_sheet(run, chosen, projects_dir, args.context, heading, handle)
        out.write(f"wrote {len(chosen)} findings to {args.output}\n")
    else:
        write_sheet(run, chosen, projects_dir, args.context, heading, out)
    return 0


# ---------------------------------------------------------------- compare


def command_compare(args: argparse.Namespace, out: TextIO) -> int:
    old, new = load_run(args.old, args.list), load_run(args.new, args.list)
    common = sorted(set(old.projects) & set(new.projects))
    for name, run, other in (("old", old, new), ("new", new, old)):
        only = sorted(set(run.projects) - set(other.projects))
        if only:
            out.write(f"note: only in the {name} run, not compared: {', '.join(only)}\n")
    codes = set(_split(args.code))
    keep = lambda f: f.project in common and (not codes or f.code in codes)
    before = collections.Counter(f.key for f in old.findings if keep(f))
    after = collections.Counter(f.key for f in new.findings if keep(f))
    removed, added = before - after, after - before
    total = lambda counter, code: sum(n for k, n in counter.items() if k[3] == code)
    rows = [[c, total(before, c), total(after, c), total(removed, c), total(added, c)]
            for c in sorted({k[3] for k in before} | {k[3] for k in after})]
    rows.append(["total", sum(before.values()), sum(after.values()), sum(removed.values()), sum(added.values())])
    table(["rule", "old", "new", "removed", "added"], rows, out)
    silent = sorted({k[3] for k in before} - {k[3] for k in after})
    if silent:
        out.write(f"note: no finding at all of {', '.join(silent)} in the new run: were they selected? "
                  "(--code restricts the comparison to some rules)\n")
    messages = {f.key: f.message for f in old.findings + new.findings}
    for sign, counter, run in (("-", removed, old), ("+", added, new)):
        out.write(f"\n{'removed' if sign == '-' else 'added'} ({sum(counter.values())}):\n")
        for key in sorted(counter, key=lambda k: (k[3], k)):
            times = f" (x{counter[key]})" if counter[key] > 1 else ""
            out.write(f"{sign} {run.projects[key[0]].anchor} {key[1]}:{key[2]} {key[3]}{times}  "
                      f"{messages[key][:120]}\n")
    return 0


# ---------------------------------------------------------------- check


def command_check(args: argparse.Namespace, out: TextIO) -> int:
    run = load_run(args.run, args.list)
    codes = set(_split(args.code))
    verdicts = [v for v in read_verdicts(args.verdicts) if not codes or v.code in codes]
    found = {f.key for f in run.findings}
    present: List[Verdict] = []
    gone: List[Verdict] = []
    skipped: Counter[str] = collections.Counter()
    for verdict in verdicts:
        key, why = locate(verdict, run)
        if key is None:
            skipped[why] += 1
        else:
            (present if key in found else gone).append(verdict)
    out.write(f"{len(verdicts)} verdicts in {args.verdicts}, checked against {run.directory}\n")
    for why, number in sorted(skipped.items()):
        out.write(f"note: {number} verdicts skipped: {why}\n")
    violations = ([("FALSE still found", v) for v in present if v.verdict == "FALSE"]
                  + [("TRUE no longer found", v) for v in gone if v.verdict == "TRUE"])
    print_violations(violations, run, out)
    out.write("\n")
    print_precision(run, present, gone, codes, out)
    return 1 if violations else 0


def print_violations(violations: Sequence[Tuple[str, Verdict]], run: Run, out: TextIO) -> None:
    if not violations:
        out.write("no violations: every FALSE is gone and every TRUE is still found\n")
        return
    out.write(f"VIOLATIONS ({len(violations)}):\n")
    for what, verdict in violations:
        out.write(f"  {what}: {verdict.anchor} ({verdict.reason}) [{verdict.where}]\n")
    silent = sorted({v.code for what, v in violations if what.startswith("TRUE")}
                    - {f.code for f in run.findings})
    if silent:
        out.write(f"  note: no finding at all of {', '.join(silent)} in this run: was it selected? "
                  "(check --code restricts the check to some rules)\n")


def print_precision(run: Run, present: Sequence[Verdict], gone: Sequence[Verdict], codes: Set[str],
                    out: TextIO) -> None:
    """Precision of the judged findings that the run still reports (DEBATABLE counts against)."""
    totals = collections.Counter(f.code for f in run.findings if not codes or f.code in codes)
    judged = collections.defaultdict(collections.Counter)
    for verdict in present:
        judged[verdict.code][verdict.verdict] += 1
    gone_by_code = collections.Counter(v.code for v in gone)
    rows = []
    for code in sorted(set(totals) | set(judged) | set(gone_by_code)):
        counts = judged[code]
        number = sum(counts.values())
        precision = f"{100 * counts['TRUE'] / number:.0f} %" if number else "-"
        rows.append([code, totals[code], number, counts["TRUE"], counts["FALSE"], counts["DEBATABLE"], precision,
                     gone_by_code[code]])
    table(["rule", "findings", "judged", "TRUE", "FALSE", "DEBATABLE", "precision", "judged, gone"], rows, out)


# ---------------------------------------------------------------- command line


def _split(value: Optional[str]) -> List[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="review.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str, *runs: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        for run in runs:
            sub.add_argument(run, help="a run directory (one fastapi-lint JSON report per project)")
        sub.add_argument("--list", default=DEFAULT_LIST,
                         help="'owner/name commit [subdir]' lines naming each project's commit (default: %(default)s)")
        return sub

    run = command("run", "lint every project from its root; everything after -- goes to fastapi-lint")
    run.add_argument("--projects", required=True, help="a folder of project folders <owner>__<name>")
    run.add_argument("--out", required=True, help="a new run directory")
    run.add_argument("--lint", help="the fastapi-lint command (default: the one beside this Python)")
    run.add_argument("--jobs", type=int, default=1, help="fastapi-lint --jobs per project (default: 1)")
    run.add_argument("--only", help="comma-separated project folders to lint (default: all)")
    command("counts", "per-rule counts of a run, per project", "run")
    sheet = command("sheet", "a seeded sample of one rule's findings as a Markdown review sheet", "run")
    sheet.add_argument("--code", required=True)
    sheet.add_argument("--n", type=int, default=30)
    sheet.add_argument("--seed", type=int, default=1)
    sheet.add_argument("--projects", help="the projects' folder (default: the one the run recorded)")
    sheet.add_argument("--context", type=int, default=8, help="lines of code each side (default: 8)")
    sheet.add_argument("--exclude-judged", action="store_true", help="skip findings that have a verdict")
    sheet.add_argument("--verdicts", default=DEFAULT_VERDICTS)
    sheet.add_argument("-o", "--output", help="write the sheet here (never inside the repository)")
    compare = command("compare", "findings removed and added per rule between two runs", "old", "new")
    compare.add_argument("--code", help="comma-separated rules to compare (default: all)")
    check = command("check", "re-check the recorded verdicts against a run (exit 1 on a violation)", "run")
    check.add_argument("--verdicts", default=DEFAULT_VERDICTS, help="folder of *.txt verdicts (default: %(default)s)")
    check.add_argument("--code", help="comma-separated rules to check (default: every rule with verdicts)")
    return parser


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: List[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    args = build_parser().parse_args(argv)
    try:
        if extra and args.command != "run":
            raise Problem("only 'run' passes arguments after -- to fastapi-lint")
        if args.command == "run":
            return command_run(args, extra, out)
        if args.command == "counts":
            print_counts(load_run(args.run, args.list), out)
            return 0
        return {"sheet": command_sheet, "compare": command_compare, "check": command_check}[args.command](args, out)
    except Problem as problem:
        print(f"review.py: {problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # piped into head: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

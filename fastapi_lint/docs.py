"""Rule documentation: one source (the rule docstring) for --explain, rules/*.md and SARIF."""
from __future__ import annotations

import inspect
import os
import re
from typing import Dict, Iterable, List, Optional, Tuple, Type

from fastapi_lint import HOMEPAGE
from fastapi_lint.rule import Rule

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.M)
SEED_TITLES = {
    "000": "seed 000 — FastAPI architecture and security guidance",
    "001": "seed 001 — FastAPI best practices",
    "002": "seed 002 — FastAPI TDD and security patterns",
    "003": "seed 003 — FastAPI project templates",
    "004": "seed 004 — FastAPI routing and dependencies",
}


# GitHub code scanning ranks security alerts by security-severity (a CVSS-like score: > 9.0
# critical, 7.0-8.9 high, 4.0-6.9 medium, < 4.0 low). One value per built-in security rule,
# with the reason shown in rules/README.md; a rule's SECURITY_SEVERITY attribute overrides it.
SECURITY_SEVERITY: Dict[str, Tuple[float, str]] = {
    "FAPI301": (9.8, "request data reaching a shell runs arbitrary commands on the server"),
    "FAPI302": (8.8, "SQL injection reads or alters the database; SQL is recognized by keywords, so not critical"),
    "FAPI303": (8.1, "any website can send credentialed requests and read the answers with the user's session"),
    "FAPI304": (5.3, "any website can read responses, but without the user's cookies"),
    "FAPI305": (7.5, "whoever can read the repository gets the access the credential guards"),
    "FAPI306": (9.8, "deserializing attacker-controlled bytes runs arbitrary code"),
    "FAPI307": (7.5, "a leaked table of fast unsalted hashes is cracked offline"),
    "FAPI308": (8.1, "a token whose signature is not verified lets anyone forge an identity"),
    "FAPI309": (7.5, "a request-controlled path reads or writes files outside the intended directory"),
    "FAPI310": (5.4, "stack traces and internal messages help an attacker, without a direct compromise"),
    "FAPI311": (5.3, "unlimited login attempts allow online password guessing"),
    "FAPI312": (6.5, "a route missing the authentication its siblings have answers anyone; often public by design"),
    "FAPI501": (6.5, "password hashes or tokens are serialized to API clients"),
    "FAPI601": (5.5, "secrets and personal data in logs reach everyone who can read the logs"),
}
# Precision (CodeQL's @precision, SARIF properties.precision: very-high/high/medium/low): the
# share of a rule's findings that reviewers judged true on real FastAPI projects (bench/verdicts/).
# One row per rule: (level, basis) -- the basis says how the level was obtained; it is shown in
# --list-rules and rules/CODE.md. Levels: very-high >= 95 % true with >= 20 judged, high >= 90 %,
# medium >= 70 %, low below (bench/review.py check prints the figures; the corpus is
# ../shared/tools/corpus-dev.txt).
# A rule's PRECISION attribute overrides its level here. Rules not listed: DEFAULT_PRECISION.
DEFAULT_PRECISION: Tuple[str, str] = ("high", "estimate: not measured on real projects yet")
PRECISION: Dict[str, Tuple[str, str]] = {
    "FAPI102": ("high", "measured: 1 of 1 judged true (1 finding) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI103": ("high", "measured: 2 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI104": ("high", "measured: 11 of 11 judged true (11 findings) on 12 FastAPI projects"),
    "FAPI105": ("high", "measured: 17 of 17 judged true (18 findings) on 12 FastAPI projects"),
    "FAPI106": ("high", "measured: 62 of 67 judged true (160 findings) on 12 FastAPI projects"),
    "FAPI110": ("low", "measured: 3 of 30 judged true (439 findings) on 12 FastAPI projects"),
    "FAPI113": ("medium", "estimate, not measured (a preview rule): whether two awaits are independent is inferred from names"),
    "FAPI112": ("very-high", "measured: 29 of 30 judged true (30 findings) on 12 FastAPI projects"),
    "FAPI201": ("high", "measured: 9 of 9 judged true (9 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI202": ("low", "measured: 4 of 6 judged true (6 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI203": ("high", "measured: 2 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI204": ("very-high", "measured: 60 of 61 judged true (116 findings) on 12 FastAPI projects"),
    "FAPI206": ("low", "measured: 1 of 3 judged true (3 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI207": ("low", "measured: 1 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI301": ("low", "measured: 2 of 6 judged true (6 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI302": ("low", "measured: 4 of 6 judged true (6 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI303": ("high", "measured: 1 of 1 judged true (1 finding) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI304": ("low", "measured: 0 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI305": ("high", "measured: 16 of 16 judged true (16 findings) on 12 FastAPI projects"),
    "FAPI306": ("high", "measured: 2 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI307": ("high", "measured: 2 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI308": ("low", "measured: 3 of 5 judged true (5 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI309": ("high", "measured: 5 of 5 judged true (5 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI310": ("medium", "measured: 33 of 38 judged true (83 findings) on 12 FastAPI projects"),
    "FAPI311": ("medium", "estimate, not measured (a preview rule): authentication endpoints are recognized by names and paths"),
    "FAPI312": ("low", "measured: 1 of 10 judged true (10 findings) on 12 FastAPI projects, reads "
                       "included (public reads by design); state-changing routes only: 0 of 1 (a sign-up route)"),
    "FAPI401": ("medium", "measured: 6 of 8 judged true (8 findings) on 12 FastAPI projects"),
    "FAPI402": ("very-high", "measured: 37 of 38 judged true (2848 findings) on 12 FastAPI projects"),
    "FAPI405": ("medium", "measured: 8 of 9 judged true (9 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI406": ("high", "measured: 2 of 2 judged true (2 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI407": ("high", "measured: no finding on 12 FastAPI projects once the declared httpx decides (the 3 "
                        "earlier ones, judged debatable, are in a project pinning httpx 0.23, where `app=` "
                        "works); an estimate"),
    "FAPI408": ("high", "estimate: no finding on 12 FastAPI projects at their declared versions; at FastAPI "
                        "0.110 for all of them, one false finding, fixed"),
    "FAPI501": ("high", "measured: 5 of 5 judged true (5 findings) on 12 FastAPI projects; few findings, an estimate"),
    "FAPI601": ("high", "measured: 50 of 54 judged true (225 findings) on 12 FastAPI projects"),
}
_RULES_PACKAGE = "fastapi_lint.rules."


def family(rule: Type[Rule]) -> Optional[str]:
    """The rule's family folder (``async``, ``security``...); None for a plugin rule."""
    if not rule.__module__.startswith(_RULES_PACKAGE):
        return None
    return rule.__module__[len(_RULES_PACKAGE):].split(".")[0].rstrip("_")


def is_security(rule: Type[Rule]) -> bool:
    return (rule.CWE is not None or "security" in rule.TAGS or family(rule) == "security"
            or rule.SECURITY_SEVERITY is not None)


def security_severity(rule: Type[Rule]) -> Optional[float]:
    if not is_security(rule):
        return None
    if rule.SECURITY_SEVERITY is not None:
        return rule.SECURITY_SEVERITY
    entry = SECURITY_SEVERITY.get(rule.CODE)
    return entry[0] if entry else None


def severity_class(score: float) -> str:
    return "critical" if score > 9.0 else "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"


def precision(rule: Type[Rule]) -> str:
    return rule.PRECISION or PRECISION.get(rule.CODE, DEFAULT_PRECISION)[0]


def precision_basis(rule: Type[Rule]) -> str:
    """How the rule's precision was obtained (a measurement on real code, or an estimate)."""
    if rule.PRECISION is not None and rule.CODE not in PRECISION:
        return "declared by the rule"
    return PRECISION.get(rule.CODE, DEFAULT_PRECISION)[1]


def tags(rule: Type[Rule]) -> List[str]:
    """SARIF tags: the rule's own, its family, ``security`` and ``external/cwe/cwe-N``."""
    found = list(rule.TAGS)
    found.append(family(rule) or "")
    if is_security(rule):
        found.append("security")
    if rule.CWE is not None:
        found.append(f"external/cwe/cwe-{rule.CWE}")
    return list(dict.fromkeys(t for t in found if t))


def help_uri(rule: Type[Rule]) -> Optional[str]:
    """The rule's page in the repository; plugin rules have no page here."""
    if family(rule) is None:
        return None
    return f"{HOMEPAGE}/blob/main/rules/{rule.CODE}.md"


def sections(rule: Type[Rule]) -> Dict[str, str]:
    """``{"What it does": "...", ...}`` from the rule's docstring (``## Heading`` sections)."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    found: Dict[str, str] = {}
    matches = list(_HEADING.finditer(doc))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(doc)
        found[match.group(1)] = doc[match.end():end].strip()
    return found


def summary(rule: Type[Rule]) -> str:
    """The first sentence of "What it does", for short descriptions."""
    text = sections(rule).get("What it does", rule.NAME)
    text = re.sub(r"\s+", " ", text).strip()
    # a sentence does not end at an ellipsis ("SELECT ...") or an abbreviation ("e.g.")
    match = re.match(r"(.+?(?<!\.\.)(?<!\be\.g)(?<!\bi\.e)\.)(\s|$)", text)
    return match.group(1) if match else text


def metadata_rows(rule: Type[Rule]) -> List[List[str]]:
    rows = [
        ["Code", rule.CODE],
        ["Name", rule.NAME],
        ["Severity", rule.SEVERITY.value],
        ["Default", "on" if rule.DEFAULT.value == "on" else "preview (enable with `--preview` or select it)"],
        ["Fix", {"-": "none", "safe": "safe (`--fix`)", "unsafe": "unsafe (`--fix --unsafe-fixes`)"}[rule.FIX.value]],
        ["CWE", f"[CWE-{rule.CWE}](https://cwe.mitre.org/data/definitions/{rule.CWE}.html)" if rule.CWE else "-"],
        ["Tags", ", ".join(rule.TAGS) or "-"],
        ["Precision", f"{precision(rule)} ({precision_basis(rule)})"],
    ]
    score = security_severity(rule)
    if score is not None:
        rows.append(["Security severity", f"{score:.1f} ({severity_class(score)}, GitHub code scanning)"])
    return rows


def markdown(rule: Type[Rule]) -> str:
    lines = [f"# {rule.CODE}: {rule.NAME}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in metadata_rows(rule)]
    lines.append("")
    for title, body in sections(rule).items():
        lines += [f"## {title}", "", body, ""]
    if rule.SEEDS:
        lines += ["## Source guidance", ""]
        lines += [f"- {SEED_TITLES.get(seed, 'seed ' + seed)}" for seed in rule.SEEDS]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def index_markdown(rules: Iterable[Type[Rule]]) -> str:
    rules = list(rules)
    lines = [
        "# fastapi-lint rules",
        "",
        "Generated from the rule definitions by `python -m fastapi_lint.docs`; do not edit.",
        "",
        "| Code | Name | Severity | Default | Fix | Precision | Summary |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        text = summary(rule).replace("|", r"\|")
        lines.append(
            f"| [{rule.CODE}]({rule.CODE}.md) | {rule.NAME} | {rule.SEVERITY.value} | "
            f"{rule.DEFAULT.value} | {rule.FIX.value} | {precision(rule)} | {text} |"
        )
    return "\n".join(lines + _security_severity_table(rules)) + "\n"


def _security_severity_table(rules: List[Type[Rule]]) -> List[str]:
    """Why each security rule has the security-severity that SARIF output gives it."""
    scored = [(rule, security_severity(rule)) for rule in rules]
    scored = [(rule, score) for rule, score in scored if score is not None]
    if not scored:
        return []
    lines = [
        "",
        "## Security severity",
        "",
        "SARIF output (`--format sarif`) gives security rules a `security-severity`, which GitHub",
        "code scanning shows as critical (> 9.0), high (7.0-8.9), medium (4.0-6.9) or low (< 4.0).",
        "",
        "| Code | Name | CWE | Security severity | Why |",
        "|---|---|---|---|---|",
    ]
    for rule, score in scored:
        reason = SECURITY_SEVERITY.get(rule.CODE, (0.0, "-"))[1] if rule.SECURITY_SEVERITY is None else "-"
        cwe = f"CWE-{rule.CWE}" if rule.CWE else "-"
        lines.append(f"| [{rule.CODE}]({rule.CODE}.md) | {rule.NAME} | {cwe} | "
                     f"{score:.1f} ({severity_class(score)}) | {reason} |")
    return lines


def expected_pages(rules: Iterable[Type[Rule]]) -> Dict[str, str]:
    rules = list(rules)
    pages = {f"{rule.CODE}.md": markdown(rule) for rule in rules}
    pages["README.md"] = index_markdown(rules)
    return pages


def write_pages(directory: str, rules: Iterable[Type[Rule]]) -> None:
    os.makedirs(directory, exist_ok=True)
    pages = expected_pages(rules)
    for name in os.listdir(directory):
        if name.endswith(".md") and name not in pages:
            os.remove(os.path.join(directory, name))
    for name, text in pages.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


README_START, README_END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def readme_table(rules: Iterable[Type[Rule]]) -> str:
    """The rule table of README.md (links into rules/)."""
    lines = ["| Code | Name | Severity | Default | Fix | What it finds |", "|---|---|---|---|---|---|"]
    for rule in rules:
        text = summary(rule).replace("|", r"\|")
        lines.append(f"| [{rule.CODE}](rules/{rule.CODE}.md) | {rule.NAME} | {rule.SEVERITY.value} | "
                     f"{rule.DEFAULT.value} | {rule.FIX.value} | {text} |")
    return "\n".join(lines)


def with_readme_table(readme: str, rules: Iterable[Type[Rule]]) -> str:
    """``readme`` with the text between the rules-table markers regenerated."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n" + readme_table(rules) + "\n" + readme[end:]


SUPPRESSIONS_START, SUPPRESSIONS_END = "<!-- equivalents:start -->", "<!-- equivalents:end -->"


def suppressions_table() -> str:
    """The table of other tools' codes whose suppression comments FAPI rules honour."""
    from fastapi_lint.suppression import EQUIVALENTS

    lines = ["| Comment | Tool | Its check | Also suppresses |", "|---|---|---|---|"]
    for entry in EQUIVALENTS:
        comment = f"`# nosec {entry.code}`" if entry.tool == "bandit" else f"`# noqa: {entry.code}`"
        rules = ", ".join(f"[{code}](../rules/{code}.md)" for code in entry.codes)
        lines.append(f"| {comment} | {entry.tool} | {entry.meaning} | {rules} |")
    return "\n".join(lines)


def with_suppressions_table(text: str) -> str:
    start = text.index(SUPPRESSIONS_START) + len(SUPPRESSIONS_START)
    end = text.index(SUPPRESSIONS_END)
    return text[:start] + "\n" + suppressions_table() + "\n" + text[end:]


def _rewrite(path: str, change) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(change(text))


def main() -> None:
    from fastapi_lint.registry import all_rules

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rules = list(all_rules().values())
    write_pages(os.path.join(here, "rules"), rules)
    _rewrite(os.path.join(here, "docs", "suppressions.md"), with_suppressions_table)
    _rewrite(os.path.join(here, "README.md"), lambda text: with_readme_table(text, rules))


if __name__ == "__main__":
    main()

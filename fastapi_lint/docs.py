"""Rule documentation: one source (the rule docstring) for --explain, rules/*.md and SARIF."""
from __future__ import annotations

import inspect
import os
import re
from typing import Dict, Iterable, List, Type

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
    match = re.match(r"(.+?\.)(\s|$)", text)
    return match.group(1) if match else text


def metadata_rows(rule: Type[Rule]) -> List[List[str]]:
    return [
        ["Code", rule.CODE],
        ["Name", rule.NAME],
        ["Severity", rule.SEVERITY.value],
        ["Default", "on" if rule.DEFAULT.value == "on" else "preview (enable with `--preview` or select it)"],
        ["Fix", {"-": "none", "safe": "safe (`--fix`)", "unsafe": "unsafe (`--fix --unsafe-fixes`)"}[rule.FIX.value]],
        ["CWE", f"[CWE-{rule.CWE}](https://cwe.mitre.org/data/definitions/{rule.CWE}.html)" if rule.CWE else "-"],
        ["Tags", ", ".join(rule.TAGS) or "-"],
    ]


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
    lines = [
        "# fastapi-lint rules",
        "",
        "Generated from the rule definitions by `python -m fastapi_lint.docs`; do not edit.",
        "",
        "| Code | Name | Severity | Default | Fix | Summary |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules:
        text = summary(rule).replace("|", r"\|")
        lines.append(
            f"| [{rule.CODE}]({rule.CODE}.md) | {rule.NAME} | {rule.SEVERITY.value} | "
            f"{rule.DEFAULT.value} | {rule.FIX.value} | {text} |"
        )
    return "\n".join(lines) + "\n"


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


def main() -> None:
    from fastapi_lint.registry import all_rules

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    write_pages(os.path.join(here, "rules"), all_rules().values())


if __name__ == "__main__":
    main()

"""Regenerate the README's generated blocks from the catalogs and the registered checks: the rule
table and the list of rules that judge every exchange of a run (tests/test_readme.py checks both
are current)."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from apiconform.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- rules:begin[^>]*-->\n).*?(<!-- rules:end -->)", re.DOTALL)
WHOLE_RUN = re.compile(r"(<!-- whole-run:begin[^>]*-->\n).*?(<!-- whole-run:end -->)", re.DOTALL)


def rule_table() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["rules", "--format", "markdown"])
    return out.getvalue()


def whole_run_table() -> str:
    from apiconform import checks
    from apiconform.catalog import find_rule

    lines = ["| rule | title | judges |", "|---|---|---|"]
    for rule_id in checks.checked_rules():
        title = find_rule(rule_id).title.replace("|", "\\|")
        lines.append(f"| `{rule_id}` | {title} | {checks.scope(rule_id)} |")
    return "\n".join(lines) + "\n"


def render(readme: str) -> str:
    readme = BLOCK.sub(lambda m: m.group(1) + rule_table() + m.group(2), readme)
    return WHOLE_RUN.sub(lambda m: m.group(1) + whole_run_table() + m.group(2), readme)


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    README.write_text(new, encoding="utf-8")

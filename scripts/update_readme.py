"""Regenerate the documentation's generated blocks from the catalogs and the registered checks:
docs/rules.md's rule table (`apiconform rules --format markdown`) and its list of the rules that
judge every exchange of a run, and docs/guide.md's table of what each rule needs beyond the
primary key (the catalogs' `requires`). tests/test_readme.py checks that every block is current.

    .venv/bin/python scripts/update_readme.py           # rewrite the blocks
    .venv/bin/python scripts/update_readme.py --check   # exit 1 when a block is stale
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

from apiconform.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULES_PAGE = ROOT / "docs" / "rules.md"
GUIDE = ROOT / "docs" / "guide.md"

# What gives a rule each thing the catalogs' `requires` names (fixtures/<profile>/rules.yaml).
NEEDS = {
    "token_b": "a second tenant's key: `APICONFORM_TOKEN_B` (or the variable `[credentials] token_b_env` names)",
    "writes": "`--allow-writes` (or `[target] allow_writes = true`); Booga's write rules create, change and "
              "delete on every writable resource the OpenAPI document declares (a JSON POST on a list, PUT, PATCH or "
              "DELETE on its items), and without a document on the files resource (or the one `[paths] list` and "
              "`item` name)",
    "exhaust": "`--exhaust-rate-limit` (or `[target] exhaust_rate_limit = true`); best with a key of its own and a "
               "small limit, named by `[credentials] exhaust_token_env`",
    "scoped_key": "a valid key lacking a scope, named by `[credentials] scoped_token_env`, and the request it must be "
                  "refused (`[scoped_request]`, default `GET /api/files/`)",
    "https": "an `https://` base URL (plain-HTTP rejection is probed only there, without the credential)",
}


def need_words(need: str) -> str:
    if need.startswith("feature:"):
        name = need.split(":", 1)[1]
        return f"a list whose OpenAPI operation declares `{name}` (or `[features] {name}` in a target file)"
    if need not in NEEDS:
        raise SystemExit(f"update_readme.py: the catalogs require {need!r}: say in NEEDS what gives it")
    return NEEDS[need]


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


def needs_table() -> str:
    from apiconform.catalog import PROFILES, load_catalog

    lines = ["| profile | needs | rules that are `skip` without it |", "|---|---|---|"]
    for profile in PROFILES:
        by_need: dict[str, list[str]] = {}
        for rule in load_catalog(profile).rules:
            for need in rule.requires:
                by_need.setdefault(need, []).append(rule.id)
        for need, ids in by_need.items():
            lines.append(f"| {profile} | {need_words(need)} | {', '.join(f'`{i}`' for i in ids)} |")
    return "\n".join(lines) + "\n"


# file -> (block name, generator): each block sits between `<!-- NAME:begin ... -->` and `<!-- NAME:end -->`.
BLOCKS: dict[Path, list[tuple[str, Callable[[], str]]]] = {
    RULES_PAGE: [("rules", rule_table), ("whole-run", whole_run_table)],
    GUIDE: [("needs", needs_table)],
}


def render(text: str, blocks: list[tuple[str, Callable[[], str]]]) -> str:
    for name, make in blocks:
        pattern = re.compile(rf"(<!-- {name}:begin[^>]*-->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"update_readme.py: no <!-- {name}:begin --> ... <!-- {name}:end --> block")
        content = make()
        text = pattern.sub(lambda m, c=content: m.group(1) + c + m.group(2), text)
    return text


def stale() -> list[Path]:
    """The files whose generated blocks are not what the catalogs and checks give now."""
    return [path for path, blocks in BLOCKS.items()
            if render(path.read_text(encoding="utf-8"), blocks) != path.read_text(encoding="utf-8")]


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(1 if stale() else 0)
    for path, blocks in BLOCKS.items():
        text = path.read_text(encoding="utf-8")
        new = render(text, blocks)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")

"""Regenerate the README's rule table from the catalogs (tests/test_readme.py checks it is current)."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from apiconform.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- rules:begin[^>]*-->\n).*?(<!-- rules:end -->)", re.DOTALL)


def rule_table() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["rules", "--format", "markdown"])
    return out.getvalue()


def render(readme: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + rule_table() + m.group(2), readme)


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    README.write_text(new, encoding="utf-8")

"""The README and the user guide stay true: the README is a landing page whose first screen has the
two commands a newcomer needs, CI runs exactly its test command, every command it shows works as
printed from a new shell, every link of both lands on a file and heading that exist, and the
generated tables (docs/rules.md, the guide's table of what each rule needs) are the catalogs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "guide.md"
RULES_PAGE = ROOT / "docs" / "rules.md"
SCREEN = 40  # lines a terminal or a repository page shows before one scrolls


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def update_readme() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts" / "update_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_lines(markdown: str) -> list[str]:
    """The lines of the ```sh blocks: the commands a reader copies."""
    blocks = re.findall(r"```sh\n(.*?)```", markdown, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_generated_tables_are_current() -> None:
    module = update_readme()
    assert module.stale() == [], "generated tables are stale: run `.venv/bin/python scripts/update_readme.py`"
    rules = text(RULES_PAGE)
    assert "| `BGA-LIST-LIMIT` |" in rules and "| `BMR-GZIP` |" in rules and "judged on" in rules


def test_ci_runs_the_readme_test_command() -> None:
    ci = text(ROOT / ".ci" / "run")
    assert [line for line in ci.splitlines() if line and not line.startswith("#")][-1] == "./scripts/test.sh"


def test_the_first_screen_has_the_two_commands_and_what_they_cost() -> None:
    first = "\n".join(text(README).splitlines()[:SCREEN])
    said = " ".join(first.split())  # prose as read, whatever the line breaks
    commands = [line.split("#")[0].strip() for line in code_lines(first)]
    assert commands[:2] == ["./scripts/check.sh", "./scripts/test.sh"]
    assert "8–11 minutes on 2 cores" in said  # how long the kit's own tests take
    assert "reinstall only when `pyproject.toml` changed" in said


def test_the_readme_is_a_landing_page() -> None:
    lines = text(README).splitlines()
    assert len(lines) <= 2 * SCREEN + 10, f"README.md has {len(lines)} lines: the rest belongs in docs/guide.md"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## Start here (a fresh machine, Python ≥ 3.11)", "## Check your API", "## Where to go next",
                        "## Development"]


def test_readme_commands_work_from_a_new_shell() -> None:
    """A new shell has neither `apiconform` nor the venv's pytest on its PATH: every command the
    README shows names the checkout's script or the venv's program by its path."""
    for line in code_lines(text(README)):
        command = line.split("#")[0].strip()
        if not command or command.startswith("export "):
            continue
        first = command.split()[0]
        assert first.startswith(("./scripts/", ".venv/bin/")), line
        assert (ROOT / first).exists() or first.startswith(".venv/bin/"), line
    readme = text(README)
    assert ". .venv/bin/activate" in readme and ".venv/bin/apiconform" in readme


def test_plain_pytest_is_the_venvs() -> None:
    """A system `pytest` does not know the kit (ModuleNotFoundError): the guide runs the suites with
    the environment's own pytest, and says why."""
    guide = text(GUIDE)
    bare = [line for line in code_lines(guide) if re.match(r"\s*pytest\b", line)]
    assert bare == []
    assert ".venv/bin/python -m pytest suites/booga" in guide
    assert "ModuleNotFoundError: No module named 'apiconform'" in guide


def test_the_guide_has_the_sections_a_user_looks_for() -> None:
    headings = {line.lstrip("#").strip() for line in text(GUIDE).splitlines() if line.startswith("#")}
    for wanted in ("Running the commands", "Pointing it at your deployment", "Target files",
                   "A deployment without the documents' example endpoints", "Keys and what each rule needs",
                   "Data the kit needs", "What a run sends", "CI (GitHub Actions)",
                   "Fleets: many targets side by side", "Reading a report", "Command reference"):
        assert wanted in headings, wanted


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in text(path).splitlines() if re.match(r"#{1,6} ", line)}


def test_every_link_lands() -> None:
    """Every relative link of the README and the guide names a file that exists and, after `#`,
    a heading that file has."""
    for page in (README, GUIDE, RULES_PAGE):
        for target in re.findall(r"\]\(([^)\s]+)\)", text(page)):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                assert anchor in anchors(linked), f"{page.name}: {target}: no such heading"


def test_the_data_hint_names_a_section_of_the_guide() -> None:
    """Rules that need data point at the guide's section that says which (probes.DATA_HINT)."""
    from apiconform.profiles.booga.probes import DATA_HINT

    found = re.search(r"\((docs/guide\.md): ([^)]*)\)", DATA_HINT)
    assert found, DATA_HINT
    assert found.group(2) in {line.lstrip("#").strip() for line in text(ROOT / found.group(1)).splitlines()}

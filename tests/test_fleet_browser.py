"""fleet.html in a real browser (headless Chromium, as tests/test_report_browser.py drives it):
20 targets by the 40 Booga rules on a 1366-pixel-wide screen. The page itself never scrolls
sideways; the matrix scrolls inside its own container with the rule column pinned. What needs
attention (each target that failed or is incomplete, and why) comes first, above the matrix.

Skips when Chromium is absent; CI installs it with scripts/install-browser.sh.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from tests import test_report_browser as report_browser
from tests.test_report_browser import WIDTH, Browser

from apiconform.catalog import load_catalog
from apiconform.report.fleet import FleetEntry, write_fleet_artifacts
from apiconform.runner import run
from apiconform.session import Options

# The same browser fixture and the same skip as report.html's test (no Chromium: skip, saying how to get it).
browser = report_browser.browser
pytestmark = report_browser.pytestmark

TARGETS = 20
RULES = len(load_catalog("booga").rules)
BGA_MUTANT = "BGA-RESOURCE-FIELDS"



UNREACHABLE = TARGETS - 2  # the index of the target whose run found nothing listening


def make_fleet(folder: Path) -> dict[str, Any]:
    """Two real Booga runs (conformant, one mutant), copied into 20 targets, one of them crashed,
    and a real run against a port where nothing listens (every rule `error`, for one reason)."""
    runs = {}
    for kind, mutant in (("pass", None), ("fail", BGA_MUTANT)):
        runs[kind] = folder / f"_run-{kind}"
        outcome = run("booga", Options(report_dir=str(runs[kind]), mutant=mutant))
        assert outcome.exit_code == (1 if mutant else 0)
    runs["down"] = folder / "_run-down"
    with socket.socket() as closed, pytest.MonkeyPatch.context() as mp:  # bound, never listening
        closed.bind(("127.0.0.1", 0))
        mp.setenv("APICONFORM_TOKEN", "fleet-browser-token")
        outcome = run("booga", Options(base_url=f"http://127.0.0.1:{closed.getsockname()[1]}",
                                       report_dir=str(runs["down"])))
    assert outcome.exit_code == 3
    entries = []
    for i in range(TARGETS):
        # Names of uneven length, as real vendors' are.
        name = f"vendor-{i:02d}" + ("-eu-west-production-gateway" if i % 5 == 0 else "")
        if i == TARGETS - 1:
            entries.append(FleetEntry(name=name, profile="booga", base_url=f"https://{name}.example", exit_code=3,
                                      report=None, report_path=None, reason="worker timed out after 600 s"))
            continue
        kind = "down" if i == UNREACHABLE else "fail" if i % 3 == 1 else "pass"
        shutil.copytree(runs[kind], folder / name)
        report = json.loads((folder / name / "report.json").read_text(encoding="utf-8"))
        entries.append(FleetEntry(name=name, profile="booga", base_url=f"https://{name}.example",
                                  exit_code={"fail": 1, "down": 3}.get(kind, 0), report=report,
                                  report_path=f"{name}/report.json"))
    return write_fleet_artifacts(entries, folder)


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fleet-browser")
    fleet = make_fleet(folder)
    assert len(fleet["targets"]) == TARGETS and len(fleet["rules"]) == RULES
    return folder


RULE_CELL = "document.querySelector('table.matrix tbody tr[data-rule] th.rule')"
WRAP = "document.querySelector('.matrix-wrap')"


def test_matrix_fits_the_screen_with_the_rule_column_pinned(browser: Browser, fleet_dir: Path) -> None:
    browser.open(fleet_dir / "fleet.html")
    assert browser.eval("window.innerWidth") == WIDTH
    assert browser.eval("document.querySelectorAll('table.matrix tr[data-rule]').length") == RULES
    assert browser.eval("document.querySelectorAll('table.matrix thead th').length") == TARGETS + 1
    # No page-level sideways scrolling: the matrix is wider than the screen, and scrolls in its box.
    assert browser.eval("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.eval(f"{WRAP}.scrollWidth > {WRAP}.clientWidth + 200")
    assert browser.eval(f"getComputedStyle({RULE_CELL}).position") == "sticky"
    assert browser.eval("Array.from(document.querySelectorAll('table.matrix th.rule'))"
                        ".every(e => getComputedStyle(e).position === 'sticky')")
    before = browser.eval(f"[{RULE_CELL}.getBoundingClientRect().left, "
                          "document.querySelector('table.matrix td.cell').getBoundingClientRect().left]")
    # The first rule row in view (the page scrolls down, never sideways), then the matrix sideways.
    browser.eval(f"window.scrollTo(0, {RULE_CELL}.getBoundingClientRect().top + window.scrollY - 200)")
    browser.eval(f"{WRAP}.scrollLeft = 700")
    assert browser.eval(f"{WRAP}.scrollLeft") >= 600
    after = browser.eval(f"(function(){{var w={WRAP}, c={RULE_CELL}.getBoundingClientRect();"
                         "var cell=document.querySelector('table.matrix td.cell').getBoundingClientRect();"
                         "return [c.left, w.getBoundingClientRect().left + w.clientLeft, cell.left,"
                         " c.left + c.width / 2, c.top + c.height / 2];})()")
    rule_left, wrap_left, cell_left, x, y = after
    assert abs(rule_left - wrap_left) < 1, "the rule column stays at the container's left edge"
    assert abs(rule_left - before[0]) < 1
    assert cell_left < before[1] - 600, "the verdict cells did scroll"
    # The pinned cell is on top of the cells scrolling beneath it, not hidden by them.
    assert browser.eval(f"document.elementFromPoint({x}, {y}).closest('th.rule') === {RULE_CELL}")
    assert browser.eval("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.eval("window.scrollX") == 0


def test_cells_show_verdicts_as_text_and_link_to_the_target_report(browser: Browser, fleet_dir: Path) -> None:
    browser.open(fleet_dir / "fleet.html")
    row = browser.eval(f"Array.from(document.querySelectorAll('tr[data-rule=\"{BGA_MUTANT}\"] td.cell'))"
                       ".map(td => [td.innerText.trim(), getComputedStyle(td).backgroundColor])")
    assert len(row) == TARGETS
    texts = [text for text, _ in row]
    assert texts.count("fail") == sum(1 for i in range(TARGETS - 1) if i % 3 == 1)
    assert texts[-1] == "n/a" and texts[UNREACHABLE] == "error" and set(texts[:UNREACHABLE]) == {"pass", "fail"}
    colours = {text: colour for text, colour in row}
    assert colours["pass"] != colours["fail"]  # colour as well as text
    href = browser.eval(f"document.querySelector('tr[data-rule=\"{BGA_MUTANT}\"] td.cell a').href")
    assert href.endswith(f"/vendor-00-eu-west-production-gateway/report.html#rule-{BGA_MUTANT}")
    browser.open(fleet_dir / "vendor-00-eu-west-production-gateway" / "report.html")
    assert browser.eval(f"document.getElementById('rule-{BGA_MUTANT}') !== null")


def test_what_needs_attention_comes_first_with_its_reason(browser: Browser, fleet_dir: Path) -> None:
    """Above the matrix, in view without scrolling: each target that failed or is incomplete, its
    verdict and why, once; the unreachable target's reason is written out, not left to tooltips."""
    browser.open(fleet_dir / "fleet.html")
    block = "document.getElementById('attention')"
    matrix = "document.querySelector('.matrix-wrap')"
    assert browser.eval(f"{block}.getBoundingClientRect().bottom <= {matrix}.getBoundingClientRect().top")
    assert browser.eval(f"{block}.getBoundingClientRect().top < window.innerHeight")
    assert browser.eval(f"Boolean({block}.compareDocumentPosition({matrix}) & Node.DOCUMENT_POSITION_FOLLOWING)")
    items = browser.eval(f"Array.from({block}.querySelectorAll('li[data-target]'))"
                         ".map(li => [li.dataset.target, li.innerText])")
    names = [name for name, _ in items]
    failing = [i for i in range(TARGETS - 1) if i % 3 == 1 and i != UNREACHABLE]
    assert len(names) == len(failing) + 2 and len(set(names)) == len(names)  # each target once
    assert all(text.split()[0] == "fail" for _, text in items[:len(failing)])  # failed targets first
    down = dict(items)[f"vendor-{UNREACHABLE:02d}"]
    assert down.startswith("incomplete")
    assert f"error in {RULES} rules: not run: target unreachable after 3 consecutive faults" in down
    assert "connection to 127.0.0.1:" in down and "refused" in down
    assert "worker timed out after 600 s" in dict(items)[f"vendor-{TARGETS - 1:02d}"]
    assert f"failed: {BGA_MUTANT}" in dict(items)["vendor-01"]

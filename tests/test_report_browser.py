"""report.html in a real browser: headless Chromium, driven over the DevTools protocol.

The browser is driven through `--remote-debugging-pipe` (JSON messages on fds 3 and 4), which
needs no Python package, no WebDriver and no network port. Skips when Chromium is absent;
CI installs it with scripts/install-browser.sh.

Regenerate the documentation screenshot with:
    python tests/test_report_browser.py docs/report-screenshot.png
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from apiconform.report.html import render_html
from apiconform.runner import run
from apiconform.session import Options

WIDTH, HEIGHT = 1366, 768  # a common laptop screen: the report must fit it without sideways scrolling
MUTANT = "BMR-ERROR-FIELDS"


def find_chromium() -> str | None:
    explicit = os.environ.get("APICONFORM_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A minimal DevTools-protocol client over Chromium's pipe transport."""

    def __init__(self, binary: str, width: int = WIDTH, height: int = HEIGHT, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile_dir = tempfile.mkdtemp(prefix="apiconform-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child: Chromium reads commands on fd 3, writes on fd 4
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile_dir}", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # close_fds=False: only fds 3 and 4 are inheritable (PEP 446), so nothing else leaks.
            close_fds=False, preexec_fn=wire_fds,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, page=True)
        self.send("Page.enable", page=True)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, page: bool = False) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)

    def open(self, path: Path, javascript: bool = True) -> None:
        self.send("Emulation.setScriptExecutionDisabled", {"value": not javascript}, page=True)
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, page=True)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, page=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (not element.click()): hit-testing included."""
        box = self.eval(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                        "return [r.left+r.width/2, r.top+r.height/2];})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                   "clickCount": 1}, page=True)

    def screenshot(self, path: Path, height: int | None = None) -> None:
        params: dict[str, Any] = {"format": "png"}
        if height is not None:
            params["clip"] = {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params, page=True)["data"]))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        shutil.rmtree(self.profile_dir, ignore_errors=True)


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found (install it with scripts/install-browser.sh, "
           "or point APICONFORM_CHROMIUM at a Chromium/Chrome binary)")


def mutant_report(folder: Path) -> Path:
    outcome = run("boomerang", Options(report_dir=str(folder), mutant=MUTANT))
    assert outcome.exit_code == 1
    return folder


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mutant_report(tmp_path_factory.mktemp("browser-report"))


@pytest.fixture(scope="module")
def browser() -> Any:
    assert CHROMIUM is not None
    b = Browser(CHROMIUM)
    yield b
    b.close()


VISIBLE_ROWS = "Array.from(document.querySelectorAll('tbody.rule')).filter(r => r.offsetParent !== null)"
# Elements that would scroll sideways inside themselves (a <pre> with its own scrollbar is as
# bad for a reader as a page that scrolls): the page-level scrollWidth alone would not see them.
OVERFLOWING = ("Array.from(document.querySelectorAll('body *'))"
               ".filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)"
               ".map(e => e.tagName + '.' + e.className)")


def assert_fits(browser: Browser) -> None:
    assert browser.eval("window.innerWidth") == WIDTH
    assert browser.eval("document.documentElement.scrollWidth <= window.innerWidth")
    assert browser.eval(OVERFLOWING) == []


def test_rows_summary_and_width(browser: Browser, report_dir: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    browser.open(report_dir / "report.html")
    assert browser.eval("document.querySelectorAll('tbody.rule').length") == len(report["rules"])
    assert browser.eval(f"{VISIBLE_ROWS}.length") == len(report["rules"])
    shown_ids = browser.eval("Array.from(document.querySelectorAll('tbody.rule .rid')).map(e => e.innerText)")
    assert shown_ids == [r["id"] for r in report["rules"]]
    header = browser.eval("document.querySelector('header').innerText")
    for fact in ("boomerang", report["target"]["base_url"], report["tool"]["version"], report["started_at"],
                 str(report["requests_sent"]), "embedded", MUTANT, "read-only"):
        assert fact.lower() in header.lower(), fact
    assert_fits(browser)
    # Every evidence block open: long URLs, headers and bodies still wrap inside the screen.
    browser.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert browser.eval("document.querySelectorAll('details.evidence pre').length") > 0
    assert_fits(browser)


def test_verdict_filter(browser: Browser, report_dir: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    failing = [r["id"] for r in report["rules"] if r["verdict"] == "fail"]
    assert failing == [MUTANT]
    browser.open(report_dir / "report.html")
    assert browser.eval("document.getElementById('filter').offsetParent !== null"), "filter bar shown with JS"
    browser.click("#filter button[data-filter=fail]")
    assert browser.eval(f"{VISIBLE_ROWS}.map(r => r.id)") == [f"rule-{i}" for i in failing]
    browser.click("#filter button[data-filter=error]")
    assert browser.eval(f"{VISIBLE_ROWS}.length") == 0
    assert browser.eval("document.getElementById('empty').offsetParent !== null")
    browser.click("#filter button[data-filter=pass]")
    assert browser.eval(f"{VISIBLE_ROWS}.length") == len(report["rules"]) - len(failing)
    browser.click("#filter button[data-filter=all]")
    assert browser.eval(f"{VISIBLE_ROWS}.length") == len(report["rules"])


def test_without_javascript_every_row_shows(browser: Browser, report_dir: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    try:
        browser.open(report_dir / "report.html", javascript=False)
        assert browser.eval(f"{VISIBLE_ROWS}.length") == len(report["rules"])
        # The filter needs the script, so without it the bar stays hidden rather than dead.
        assert browser.eval("document.getElementById('filter').offsetParent === null")
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False}, page=True)


def test_long_unbroken_values_do_not_scroll_sideways(browser: Browser, report_dir: Path,
                                                     tmp_path: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    stress = copy.deepcopy(report)
    long = "x" * 3000
    stress["target"]["base_url"] = "https://" + "a" * 400 + ".example"
    rule = stress["rules"][0]
    rule["reason"] = "reason-" + long
    rule["notes"] = ["note-" + long]
    rule["evidence"] = [{
        "request": {"method": "GET", "url": "https://h/" + "p" * 2000 + "?q=" + long,
                    "headers": {"X-Long": long}, "body": None},
        "response": {"status": 400, "headers": {"X-Long": long}, "body": json.dumps({"k": long}),
                     "body_bytes": 3010, "elapsed_ms": 1.0},
    }]
    page = tmp_path / "stress.html"
    page.write_text(render_html(stress), encoding="utf-8")
    browser.open(page)
    browser.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_fits(browser)


def take_screenshot(target: Path, mutant: str = "BMR-PATH-VERSIONED", height: int = 1000) -> None:
    """The documentation screenshot: a mutant run, so it shows the summary, pass and fail rows
    (a mutant of an early rule, so its row is near the top), with the failure's evidence open."""
    assert CHROMIUM is not None, "no Chromium found"
    folder = Path(tempfile.mkdtemp(prefix="apiconform-shot-"))
    outcome = run("boomerang", Options(report_dir=str(folder), mutant=mutant))
    assert outcome.exit_code == 1
    b = Browser(CHROMIUM)
    try:
        b.open(folder / "report.html")
        b.eval(f"document.querySelector('#rule-{mutant} details').open = true")
        b.screenshot(target, height=height)
    finally:
        b.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    take_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report-screenshot.png"))


@pytest.fixture(scope="module")
def booga_report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A deployment of several endpoints (files, its items, chat, the schema endpoint) with one
    # rule broken on the chat list only: the coverage table must say where.
    folder = tmp_path_factory.mktemp("browser-coverage")
    outcome = run("booga", Options(report_dir=str(folder), mutant="BGA-FILTER-STATUS"))
    assert outcome.exit_code == 1
    return folder


def test_coverage_table_shows_every_endpoint_and_where_a_rule_failed(browser: Browser,
                                                                     booga_report_dir: Path) -> None:
    report = json.loads((booga_report_dir / "report.json").read_text())
    coverage = report["coverage"]
    browser.open(booga_report_dir / "report.html")
    shown = browser.eval("Array.from(document.querySelectorAll('table.coverage tbody tr'))"
                         ".map(r => r.getAttribute('data-endpoint'))")
    assert shown == [row["endpoint"] for row in coverage["endpoints"]]
    assert len(shown) >= 4
    heads = browser.eval("Array.from(document.querySelectorAll('table.coverage thead th')).map(e => e.innerText)")
    assert [h.lower() for h in heads[2:]] == [f.lower() for f in coverage["families"]]
    cell = browser.eval(
        "(function(){var r=document.querySelector('table.coverage tr[data-endpoint=\"/api/chat/messages/\"]');"
        "var i=Array.from(document.querySelectorAll('table.coverage thead th')).findIndex(h => h.innerText"
        ".toLowerCase()==='filter'); return r.children[i].className + ' ' + r.children[i].innerText})()")
    assert "v-fail" in cell and "fail" in cell, cell
    # The rule's row names the endpoint it failed on.
    browser.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
    where = browser.eval("document.querySelector('#rule-BGA-FILTER-STATUS details.where').innerText")
    assert "fail /api/chat/messages/" in where, where
    assert_fits(browser)


# Words of these elements that the layout broke across two lines ("auth" as "aut/h"): a range over
# each word has client rectangles on more than one line.
BROKEN_WORDS = """(function(sel){var broken=[];document.querySelectorAll(sel).forEach(function(el){
var walk=document.createTreeWalker(el,NodeFilter.SHOW_TEXT),node;while((node=walk.nextNode())){
var re=/\\S+/g,m;while((m=re.exec(node.data))){var r=document.createRange();r.setStart(node,m.index);
r.setEnd(node,m.index+m[0].length);var tops=new Set(Array.from(r.getClientRects()).map(function(c){
return Math.round(c.top);}));if(tops.size>1){broken.push(m[0]);}}}});return broken;})(%s)"""
HEADERS = "table.coverage thead th, table.coverage td.kind, table.rules thead th"


@pytest.mark.parametrize("width", [WIDTH, 800, 480])
def test_table_headers_and_kinds_never_break_a_word(width: int, booga_report_dir: Path) -> None:
    """The coverage table's family headers ("auth", "response") and kinds ("paginated list") wrap
    between words only, on a laptop and on narrow windows (the table then scrolls in its box)."""
    assert CHROMIUM is not None
    narrow = Browser(CHROMIUM, width=width)
    try:
        narrow.open(booga_report_dir / "report.html")
        assert narrow.eval("document.querySelectorAll('table.coverage thead th').length") >= 6
        assert narrow.eval(BROKEN_WORDS % json.dumps(HEADERS)) == []
        if width == WIDTH:
            assert narrow.eval("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        narrow.close()


def test_the_embedded_report_says_where_its_writes_went(browser: Browser, booga_report_dir: Path) -> None:
    browser.open(booga_report_dir / "report.html")
    header = browser.eval("document.querySelector('header').innerText")
    assert "Writes went to the in-process reference mock only." in header and "Not read-only" not in header

"""What every page a browser journey visits goes through: axe, the HTML kept for the validator,
and screenshots at a phone and a desktop width."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Response

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING_IMPACTS = ("serious", "critical")

# Known violations waiting for a fix by whoever owns the file, each as (axe rule id, a piece of
# the failing element's CSS target): left out of the journeys' checks so they stay green, and
# asserted on their own in a test marked xfail(strict=True) naming the rule, which fails (and so
# asks for this entry to go) on the day the fix lands. None at the moment.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()

_axe = Axe()


def url_pattern(url: str) -> str:
    """The page's kind, for keeping one copy of each: ids and references become placeholders."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if segment.isdigit():
            segment = "{id}"
        elif re.fullmatch(r"RB-[A-Z0-9]+", segment):
            segment = "{reference}"
        segments.append(segment)
    path = "/".join(segments)
    if path.startswith("/retreats/") and path.count("/") >= 2:
        # /retreats/<slug>[/…]: every slug is the same page.
        head, _, tail = path[len("/retreats/") :].partition("/")
        path = "/retreats/{slug}" + (f"/{tail}" if tail else "")
    query_names = sorted({name for name, _ in parse_qsl(parts.query) if name != "t"})
    return path + (f"?{'&'.join(query_names)}" if query_names else "")


def file_name_for(pattern: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", pattern).strip("_") or "home"
    return f"{name}.html"


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(
                f"  [{violation['impact']}] {violation['id']}: {violation['help']}\n"
                f"      target: {' '.join(map(str, node['target']))}\n"
                f"      element: {node.get('html', '')[:200]}\n"
                f"      {node.get('failureSummary', '').replace(chr(10), ' ')}"
            )
    return "\n".join(lines)


def serious_violations(page: Page) -> list[dict]:
    """axe's violations of impact serious or critical on the page as it is now."""
    results = _axe.run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def without_known(violations: list[dict]) -> list[dict]:
    kept = []
    for violation in violations:
        nodes = [
            node
            for node in violation["nodes"]
            if not any(
                violation["id"] == rule and piece in " ".join(map(str, node["target"]))
                for rule, piece in KNOWN_VIOLATIONS
            )
        ]
        if nodes:
            kept.append(violation | {"nodes": nodes})
    return kept


def page_kind(url: str, *, method: str = "GET", status: int = 200) -> str:
    """What makes two visited pages the same page for the validator: the URL pattern, and the
    method and status when they are not a plain GET answered 200 (a form shown again with its
    errors, a 404 at a retreat's address)."""
    kind = url_pattern(url)
    if method != "GET":
        kind += f" {method}"
    if status != 200:
        kind += f" {status}"
    return kind


@dataclass
class RenderedPages:
    """The rendered HTML of each kind of page visited in the session, one file per kind."""

    folder: Path
    kinds: dict[str, str] = field(default_factory=dict)

    def keep(self, kind: str, html: str) -> None:
        if kind not in self.kinds:
            name = file_name_for(kind)
            (self.folder / name).write_text(html, encoding="utf-8")
            self.kinds[kind] = name


@dataclass
class PageAudit:
    """One test's checkpoints: every page of the app that the browser lands on must pass one."""

    page: Page
    site_url: str
    journey: str
    rendered: RenderedPages
    # Each document the browser landed on, in order, and whether a checkpoint looked at it.
    visits: list[tuple[str, bool]] = field(default_factory=list)
    steps: int = 0
    _document: Response | None = None

    def watch(self) -> None:
        self.page.on("framenavigated", self._navigated)
        self.page.on("response", self._response)

    def _navigated(self, frame) -> None:
        if frame.parent_frame is None and self._is_app(frame.url):
            url, fragment = frame.url.split("#")[0], "#" in frame.url
            if fragment and self.visits and self.visits[-1][0] == url:
                return  # a link to a place on the same page, not a new page
            self.visits.append((url, False))

    def _response(self, response: Response) -> None:
        request = response.request
        if (
            request.is_navigation_request()
            and request.frame.parent_frame is None
            and not 300 <= response.status < 400
        ):
            self._document = response

    def _is_app(self, url: str) -> bool:
        return url.startswith(self.site_url + "/") or url == self.site_url

    def check(self, step: str, *, screenshot: bool = True) -> None:
        """The page the browser is on: fully loaded, axe-clean, its HTML kept, photographed."""
        page = self.page
        page.wait_for_load_state("load")
        url = page.url.split("#")[0]
        assert self._is_app(url), f"{step}: expected a page of the app, the browser is on {url}"
        self._keep_current_page(url)
        problems = self._inspect(page, step, screenshot=screenshot)
        if self.visits and self.visits[-1][0] == url:
            self.visits[-1] = (url, True)
        assert not problems, f"{url} ({step}): axe (serious/critical) or width problems{problems}"

    def check_email(self, message: EmailMessage, step: str) -> None:
        """An email's HTML part, as a mail program shows it: axe-clean, kept for the validator."""
        html = message.get_body(("html",)).get_content()
        self.rendered.keep(f"email {step}", html)
        reader = self.page.context.new_page()
        try:
            reader.set_content(html)
            problems = self._inspect(reader, f"email-{step}", screenshot=True)
        finally:
            reader.close()
        assert not problems, f"the {step} email: axe (serious/critical) or width problems{problems}"

    def _inspect(self, page: Page, step: str, *, screenshot: bool) -> str:
        """Screenshots, axe and the page's width at a phone and a desktop width; what is wrong,
        as text (empty when nothing is)."""
        self.steps += 1
        name = f"{self.journey}--{self.steps:02d}-{step}"
        size = page.viewport_size
        problems = []
        for width_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            if screenshot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOTS / f"{name}--{width_name}.png", full_page=True)
            found = without_known(serious_violations(page))
            if found:
                problems.append(f"\n at {width_name} width ({viewport['width']} px):\n")
                problems.append(format_violations(found))
            # Responsive down to a 360 px phone: nothing makes the whole page scroll sideways.
            overflow = page.evaluate("document.documentElement.scrollWidth") - viewport["width"]
            if overflow > 0:
                problems.append(f"\n at {width_name} width: the page is {overflow} px too wide")
        if size:
            page.set_viewport_size(size)
        return "".join(problems)

    def _keep_current_page(self, url: str) -> None:
        """Keep the HTML the server sent for this page (what the validator should judge); the
        browser's serialisation of the page only when that response is not at hand."""
        document = self._document
        if document is not None and document.url.split("#")[0] == url:
            kind = page_kind(url, method=document.request.method, status=document.status)
            try:
                self.rendered.keep(kind, document.text())
                return
            except Exception:  # noqa: BLE001  (body evicted: fall back to the DOM)
                pass
        self.rendered.keep(page_kind(url), self.page.content())

    def unchecked_pages(self) -> list[str]:
        return [url for url, checked in self.visits if not checked]

"""Browser journeys: one Debian Chromium for the session, a fresh context and page per test, and
every page of the app a journey lands on checked by axe, kept for the HTML validator and
photographed at a phone and a desktop width (tests/e2e/audit.py)."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from retreats.organizer.accounts.models import Organizer
from tests.e2e.audit import DESKTOP, SCREENSHOTS, PageAudit, RenderedPages
from tests.factories import ORGANIZER_PASSWORD, create_organizer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ORGANIZER_EMAIL = "host@example.org"
VALIDATOR_MODULE = "test_valid_html.py"

expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(session, config, items):
    """The HTML validator judges what the journeys collected, so it runs right after them."""
    here = Path(__file__).parent
    last = [item for item in items if item.path.name == VALIDATOR_MODULE]
    rest = [item for item in items if item.path.name != VALIDATOR_MODULE]
    after = max((i for i, item in enumerate(rest) if item.path.parent == here), default=-1)
    items[:] = rest[: after + 1] + last + rest[after + 1 :]


@pytest.fixture(scope="package", autouse=True)
def fresh_screenshots() -> None:
    """This run's screenshots only: none left over from steps an earlier run named otherwise."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright, once for all the browser tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it as root "
            "(apt-get install chromium chromium-driver)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def rendered_pages(tmp_path_factory) -> RenderedPages:
    """The folder the journeys' rendered pages are written to, one per URL pattern."""
    return RenderedPages(folder=tmp_path_factory.mktemp("rendered-html"))


@pytest.fixture
def page(chromium, live_site) -> Iterator[Page]:
    """A new browser context (own cookies) and page for one test, at a desktop width."""
    context = chromium.new_context(
        base_url=live_site.url, viewport=DESKTOP, accept_downloads=True, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = []  # what the Content-Security-Policy blocked: every page must work within it
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy blocked: {refused}"


@pytest.fixture
def audit(request, page, live_site, rendered_pages) -> Iterator[PageAudit]:
    """Checkpoints for the test's pages; at the end, no page of the app may have gone unchecked."""
    journey = request.node.name.removeprefix("test_").split("[")[0].replace("_", "-")
    checks = PageAudit(page=page, site_url=live_site.url, journey=journey, rendered=rendered_pages)
    checks.watch()
    yield checks
    if getattr(request.node, "rep_call_passed", False):
        unchecked = checks.unchecked_pages()
        assert not unchecked, f"pages visited but never checked with audit.check(): {unchecked}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_passed = report.passed
    return report


@pytest.fixture
def organizer(db) -> Organizer:
    """An organizer who signs in with ORGANIZER_EMAIL and ORGANIZER_PASSWORD."""
    return create_organizer(email=ORGANIZER_EMAIL, name="Test Host", password=ORGANIZER_PASSWORD)


@pytest.fixture
def other_site(tmp_path) -> Iterator[tuple[str, Path]]:
    """A plain static site on 127.0.0.1 at a free port of its own (another origin than the
    app's), serving the files put in its folder; stopped at the end."""
    folder = tmp_path / "other-site"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

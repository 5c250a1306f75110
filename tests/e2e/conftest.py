"""Browser tests: a real server on a free port, Debian's chromium driven by Playwright, the real
database of the backend under test (SQLite and PostgreSQL, see `core.testing`).

Fixtures: `live_server` (`.url`, `.app`), `browser` (one per session), `page` (one per test,
1366×900, fa-IR), `page_log` (requests, console errors and page errors the page produced),
`shot(page, name)` (a screenshot at `tests/e2e/screenshots/<backend>-<name>.png`).
"""
from __future__ import annotations

import dataclasses
import os
import threading
import urllib.parse
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PEYVAND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@dataclasses.dataclass
class LiveServer:
    url: str
    app: object

    @property
    def netloc(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc


@pytest.fixture
def live_server(make_app):
    """The app, with CSRF on (so the real forms are exercised), served on 127.0.0.1 in a thread."""
    app = make_app({"WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free one
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium; "
                    f"or set PEYVAND_CHROMIUM). `playwright install` cannot download browsers here.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclasses.dataclass
class PageLog:
    """What a page did: every request URL, console errors and uncaught page errors."""
    requests: list = dataclasses.field(default_factory=list)
    console_errors: list = dataclasses.field(default_factory=list)
    page_errors: list = dataclasses.field(default_factory=list)

    def foreign_requests(self, netloc: str) -> list[str]:
        """Requests to any host other than the live server (`data:`/`blob:` URLs are local)."""
        foreign = []
        for url in self.requests:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.netloc != netloc:
                foreign.append(url)
        return foreign


@pytest.fixture
def page_log():
    return PageLog()


@pytest.fixture
def page(browser, page_log):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fa-IR",
                                  timezone_id="Asia/Tehran")
    context.set_default_timeout(30_000)  # generous: CI machines are shared
    page = context.new_page()
    page.on("request", lambda request: page_log.requests.append(request.url))
    page.on("console", lambda msg: page_log.console_errors.append(f"{msg.text} ({msg.location.get('url')})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page_log.page_errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shot(backend):
    """`shot(page, name)`: a full-page screenshot at `screenshots/<backend>-<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{backend}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

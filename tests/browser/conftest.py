"""Browser fixtures: the real app on a live port, one headless Chromium, and a page that must stay clean.

Chromium is looked up in order: ``$JWTLENS_CHROMIUM``, ``/usr/bin/chromium``, Playwright's own download.
Without one the browser tests skip, except under ``CI=true`` where a missing browser fails the run.
Every page records its requests, console errors, CSP violations and uncaught exceptions; a test whose
page made any request off the live server's origin, or logged any of those, fails.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import uvicorn
from jwtlens.config import Settings
from jwtlens.main import create_app
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright

from tests.browser.chromium import CHROMIUM_ARGS, NO_BROWSER, BadBrowserPath, find_chromium

WIDE = {"width": 1400, "height": 1000}
# Generous for a slow CI box, short enough that a broken swap fails fast instead of hanging the run.
EXPECT_TIMEOUT_MS = 5_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            path = find_chromium(playwright)
        except BadBrowserPath as exc:
            pytest.fail(str(exc))
        if path is None:
            if _in_ci():
                pytest.fail(f"{NO_BROWSER} (CI=true: the browser tests must run)")
            pytest.skip(NO_BROWSER)
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy


def _get(url: str) -> int:
    with _DIRECT.open(url, timeout=1) as response:
        return int(response.status)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app served by uvicorn in a thread on a free loopback port; yields its origin."""
    settings = Settings(db_path=tmp_path_factory.mktemp("live") / "jwtlens.sqlite3")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves on this very socket, so no race
    port = sock.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="jwtlens-live", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while True:
            if not thread.is_alive():
                pytest.fail("the live server thread exited during startup")
            try:
                if _get(f"{origin}/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the live server did not answer {origin}/healthz within 15 s")
            time.sleep(0.05)
        yield origin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the live server did not shut down"


@dataclass
class PageLog:
    """What the page did that a clean, self-contained page must not do."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        where = message.location.get("url", "")
        if "Content Security Policy" in text:
            self.csp_violations.append(f"{text} ({where})")
        elif message.type == "error":
            self.console_errors.append(f"{text} ({where})")

    def on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.origin)
        foreign = []
        for url in self.requests:
            if url.startswith("data:"):
                continue
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
                foreign.append(url)
        return foreign

    def problems(self) -> list[str]:
        found = [f"request off {self.origin}: {url}" for url in self.foreign_requests()]
        found += [f"CSP violation: {text}" for text in self.csp_violations]
        found += [f"console error: {text}" for text in self.console_errors]
        found += [f"uncaught page error: {text}" for text in self.page_errors]
        return found

    def fail_if_misbehaved(self) -> None:
        """Fail with every problem not reported yet (each is reported once: by the test call or at teardown)."""
        fresh = [problem for problem in self.problems() if problem not in self.reported]
        self.reported.update(fresh)
        if fresh:
            pytest.fail("the page misbehaved:\n  " + "\n  ".join(fresh), pytrace=False)


@pytest.fixture
def page_log(live_server: str) -> PageLog:
    return PageLog(live_server)


@pytest.fixture
def page(browser: Browser, live_server: str, page_log: PageLog) -> Iterator[Page]:
    """A fresh context and page on the live server; fails the test if the page misbehaved."""
    context = browser.new_context(base_url=live_server, viewport=WIDE, service_workers="block")
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    new_page.on("request", page_log.on_request)
    new_page.on("console", page_log.on_console)
    new_page.on("pageerror", page_log.on_page_error)
    try:
        yield new_page
    finally:
        context.close()
    # Backstop for what the call-phase check below did not see: a test that raised, or the context closing.
    page_log.fail_if_misbehaved()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Check the page log as part of the test call, so a misbehaving page fails the test itself."""
    result = yield
    log = getattr(item, "funcargs", {}).get("page_log")
    if isinstance(log, PageLog):
        log.fail_if_misbehaved()
    return result

"""Browser tests: the real application served on loopback, driven by headless Debian chromium through
Playwright. Shared by every tests/web/test_*_browser.py.

Fixtures:
- `live_server` — base URL of the app (the `org` fixture's app: same database, same controlled clock;
  data set up through the services in the test is visible to the pages). One server thread serves the
  whole session; each test points it at its own app.
- `browser` — one headless chromium per test session; `page` — a fresh browser context per test.
- `login(page, username)` — logs in through the login page with the demo password.
Everything is skipped with a reason when Playwright or chromium is missing.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from helpers import PASSWORD
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("KF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--lang=sv-SE"]


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.web)


class _CurrentApp:
    """The WSGI application the live server serves: the running test's app (503 between tests)."""

    app = None

    def __call__(self, environ, start_response):
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is running"]
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _served():
    """One server on 127.0.0.1 (a free port) for the whole session."""
    current = _CurrentApp()
    server = make_server("127.0.0.1", 0, current, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield current, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(_served, org):
    """Serve the test's app while the test runs; the base URL."""
    current, url = _served
    current.app = org
    try:
        yield url
    finally:
        current.app = None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright  # optional: skipped with a reason when missing
    except ImportError:
        pytest.skip("Playwright is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"chromium not found at {CHROMIUM} (make system-deps installs it)")
    with sync_playwright() as playwright:
        executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    # bypass_csp: the accessibility checks inject axe-core into the page themselves, which the app's own
    # Content-Security-Policy (script-src 'self') rightly refuses; the app's pages never need it.
    context = browser.new_context(base_url=live_server, locale="sv-SE", accept_downloads=True, bypass_csp=True)
    context.set_default_timeout(10000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def login():
    def do(page, username: str, password: str = PASSWORD):
        page.goto("/login")
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(password)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"login as {username} failed"

    return do

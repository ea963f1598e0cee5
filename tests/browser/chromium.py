"""Launch Debian's Chromium for the browser tests (never a downloaded browser: `playwright install` is not used)."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--force-device-scale-factor=1",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("TRACKDIFF_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def require_browser():
    """Playwright's sync API and a Chromium binary; skipped with the reason outside CI, a failure in CI."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        reason = "the Python package playwright is not installed (pip install playwright; .ci/run does)"
    if reason is None and chromium_path() is None:
        reason = "no Chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)


@contextlib.contextmanager
def browser_session():
    """A launched Chromium for a test session (requires it and playwright, as :func:`require_browser` says)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()

"""A static page that mounts the editor component (no ComfyUI), served on loopback, in Debian's Chromium."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium import browser_session  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(REPO)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tests/browser/page/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    with browser_session() as browser:
        yield browser


class EditorPage:
    def __init__(self, page):
        self.page = page

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def value(self) -> str:
        return self.js("() => window.editor.getValue()")

    def point(self, nx: float, ny: float) -> tuple[float, float]:
        return tuple(self.js(
            """([nx, ny]) => {
                const e = window.editor;
                const r = e.canvas.getBoundingClientRect();
                const s = r.width / e.canvas.clientWidth;
                const img = e.imageRect();
                return [r.left + (img.x + nx * img.w) * s, r.top + (img.y + ny * img.h) * s];
            }""",
            [nx, ny],
        ))

    def drag(self, start, end, steps: int = 8) -> None:
        mouse = self.page.mouse
        mouse.move(*self.point(*start))
        mouse.down()
        mouse.move(*self.point(*end), steps=steps)
        mouse.up()
        self.settle()

    def click(self, at, modifiers=()) -> None:
        for key in modifiers:
            self.page.keyboard.down(key)
        self.page.mouse.click(*self.point(*at))
        for key in modifiers:
            self.page.keyboard.up(key)
        self.settle()

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
        self.settle()

    def settle(self) -> None:
        self.page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.fixture
def open_editor(chromium, page_server):
    contexts = []

    def _open(kind: str, query: str = "", viewport=(900, 640)) -> EditorPage:
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        page.goto(f"{page_server}?editor={kind}{query}")
        page.wait_for_function("window.editor !== undefined && window.ready !== undefined")
        page.evaluate("window.ready")
        editor = EditorPage(page)
        editor.settle()
        return editor

    yield _open
    for context in contexts:
        errors = context.pages[0].errors if context.pages else []
        context.close()
        assert errors == [], f"uncaught errors in the page: {errors}"

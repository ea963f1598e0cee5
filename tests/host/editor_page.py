"""Drive the real ComfyUI frontend (served by the ``comfy_server`` fixture) in Debian's Chromium with Playwright."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))

from chromium import launch, require_browser  # noqa: E402

__all__ = ["launch", "require_browser", "ComfyPage"]


def post_settings(server, settings: dict) -> None:
    request = urllib.request.Request(
        server.url + "/settings", data=json.dumps(settings).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


class ComfyPage:
    """One browser page on the ComfyUI app, in the classic canvas or in Vue-nodes ("Nodes 2.0") mode."""

    def __init__(self, browser, server, vue: bool):
        post_settings(server, {"Comfy.TutorialCompleted": True, "Comfy.VueNodes.Enabled": vue})
        self.server = server
        self.vue = vue
        self.context = browser.new_context(viewport={"width": 1280, "height": 860})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.open()

    def open(self) -> None:
        self.page.goto(self.server.url)
        self.page.wait_for_function("window.app && window.app.extensionManager && window.app.graph", timeout=90_000)
        self.page.wait_for_function(
            "window.app.extensionManager.setting.get('Comfy.VueNodes.Enabled') === %s" % ("true" if self.vue else "false")
        )
        self.next_frame()

    def close(self) -> None:
        self.context.close()

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def next_frame(self, count: int = 2) -> None:
        for _ in range(count):
            self.page.evaluate("new Promise(requestAnimationFrame)")

    # -- graph --------------------------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.js("() => window.app.graph.clear()")
        self.next_frame()

    def add_node(self, node_type: str, pos=(80, 80), size=None) -> int:
        node_id = self.js(
            """([type, pos, size]) => {
                const node = window.LiteGraph.createNode(type);
                node.pos = pos;
                window.app.graph.add(node);
                if (size) node.setSize(size);
                window.app.graph.setDirtyCanvas(true, true);
                return node.id;
            }""",
            [node_type, list(pos), list(size) if size else None],
        )
        self.wait_for_editor(node_id)
        return node_id

    def show_node(self, node_id: int) -> None:
        """Bring a node into the view, as a person scrolls to it (DOM widgets outside the view are not shown)."""
        self.js("(id) => { const c = window.app.canvas; c.centerOnNode(window.app.graph.getNodeById(id)); "
                "c.setDirty(true, true); }", node_id)
        self.next_frame(2)

    def wait_for_editor(self, node_id: int) -> None:
        self.page.wait_for_function(
            """(id) => {
                const e = window.app.graph.getNodeById(id)?.trackdiffEditor;
                if (!e) return false;
                const r = e.canvas.getBoundingClientRect();
                return e.root.isConnected && r.width > 50 && r.height > 50;
            }""",
            arg=node_id,
        )
        self.next_frame()

    def widget_value(self, node_id: int, name: str):
        return self.js("([id, name]) => window.app.graph.getNodeById(id).widgets.find((w) => w.name === name).value", [node_id, name])

    def set_widget_value(self, node_id: int, name: str, value) -> None:
        self.js(
            "([id, name, value]) => { window.app.graph.getNodeById(id).widgets.find((w) => w.name === name).value = value; }",
            [node_id, name, value],
        )

    def editor_state(self, node_id: int) -> dict:
        return self.js(
            """(id) => {
                const e = window.app.graph.getNodeById(id).trackdiffEditor;
                return {value: e.getValue(), error: e.error ? e.error.message : null, frame: e.frame,
                        background: e.background ? e.background.label : null,
                        errorShown: e.errorBox.classList.contains('td-show')};
            }""",
            node_id,
        )

    def client_point(self, node_id: int, nx: float, ny: float) -> tuple[float, float]:
        """Viewport coordinates of normalised image point (nx, ny) in a node's editor."""
        x, y = self.js(
            """([id, nx, ny]) => {
                const e = window.app.graph.getNodeById(id).trackdiffEditor;
                const r = e.canvas.getBoundingClientRect();
                const s = r.width / e.canvas.clientWidth;
                const img = e.imageRect();
                return [r.left + (img.x + nx * img.w) * s, r.top + (img.y + ny * img.h) * s];
            }""",
            [node_id, nx, ny],
        )
        return x, y

    def drag(self, node_id: int, start, end, button: str = "left", steps: int = 8, modifiers=()) -> None:
        mouse = self.page.mouse
        for key in modifiers:
            self.page.keyboard.down(key)
        mouse.move(*self.client_point(node_id, *start))
        mouse.down(button=button)
        mouse.move(*self.client_point(node_id, *end), steps=steps)
        mouse.up(button=button)
        for key in modifiers:
            self.page.keyboard.up(key)
        self.next_frame()

    def resize_node(self, node_id: int, dx: float, dy: float) -> None:
        """Drag the node's bottom-right corner, as a person resizes it (a Vue node's handle, or the canvas corner)."""
        if self.vue:
            box = self.page.locator(f'[data-node-id="{node_id}"] .cursor-se-resize').first.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        else:
            x, y = self.js(
                """(id) => {
                    const n = window.app.graph.getNodeById(id);
                    const c = window.app.canvas;
                    const r = c.canvas.getBoundingClientRect();
                    const s = c.ds.scale;
                    return [r.left + (n.pos[0] + n.size[0] + c.ds.offset[0]) * s - 3,
                            r.top + (n.pos[1] + n.size[1] + c.ds.offset[1]) * s - 3];
                }""",
                node_id,
            )
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        mouse.move(x + dx, y + dy, steps=10)
        mouse.up()
        self.next_frame(3)

    def serialize_workflow(self) -> dict:
        # Through JSON text, as a saved .json file would be.
        return json.loads(self.js("() => JSON.stringify(window.app.graph.serialize())"))

    def load_workflow(self, workflow: dict) -> None:
        self.js("async (wf) => { await window.app.loadGraphData(wf); }", workflow)
        self.next_frame(3)

    def node_ids(self, node_type: str) -> list[int]:
        return self.js("(type) => window.app.graph.nodes.filter((n) => n.type === type).map((n) => n.id)", node_type)

    def change_tracker(self) -> dict:
        return self.js(
            """() => {
                const t = window.app.extensionManager.workflow.activeWorkflow?.changeTracker;
                return t ? {undo: t.undoQueue.length, redo: t.redoQueue.length} : null;
            }"""
        )

    # -- what a person does -------------------------------------------------------------------------------------------
    @property
    def mod(self) -> str:
        return "Meta" if self.js("() => /Mac/.test(navigator.platform)") else "Control"

    def press(self, keys: str) -> None:
        """Press a shortcut where the keyboard focus is; 'Mod' is Ctrl (Cmd on a Mac)."""
        self.page.keyboard.press(keys.replace("Mod", self.mod))
        self.next_frame(2)

    def editor_button(self, node_id: int, text: str):
        """A button of a node's editor (toolbar or properties panel), by its text."""
        handle = self.page.evaluate_handle(
            """([id, text]) => [...window.app.graph.getNodeById(id).trackdiffEditor.root.querySelectorAll('button')]
                .find((b) => b.textContent.trim() === text)""",
            [node_id, text],
        ).as_element()
        assert handle is not None, f"no button {text!r} in the editor"
        return handle

    def click_empty_canvas(self) -> None:
        """Click the graph's background, right of every node (where a person clicks to leave a widget)."""
        x, y = self.js(
            """() => {
                const c = window.app.canvas;
                const right = Math.max(...window.app.graph.nodes.map((n) => n.pos[0] + n.size[0]));
                const r = c.canvas.getBoundingClientRect();
                const s = c.ds.scale;
                return [r.left + (right + 60 + c.ds.offset[0]) * s, r.top + (140 + c.ds.offset[1]) * s];
            }"""
        )
        self.page.mouse.click(x, y)
        self.next_frame(2)

    def workflow_state(self) -> dict:
        """The open workflow as ComfyUI sees it: modified mark, undo depth, and the path it would save to."""
        return self.js(
            """() => {
                const w = window.app.extensionManager.workflow.activeWorkflow;
                return {modified: w.isModified, undo: w.changeTracker.undoQueue.length, path: w.path,
                        temporary: w.isTemporary};
            }"""
        )

    def reload(self) -> None:
        """Reload the browser tab, as a person presses F5: ComfyUI restores the open workflow from the browser."""
        self.page.reload()
        self.page.wait_for_function("window.app && window.app.extensionManager && window.app.graph", timeout=90_000)
        self.next_frame(3)

    def open_template(self, name: str) -> None:
        """Workflow ▸ Browse Templates, this pack's category, click the template's card."""
        self.js("() => window.app.extensionManager.command.execute('Comfy.BrowseTemplates')")
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_text("ComfyUI-TrackDiff", exact=True).first.click()
        before = self.js("() => window.app.extensionManager.workflow.activeWorkflow?.key ?? null")
        dialog.locator(f'[data-testid="template-workflow-{name}"]').click()
        # A template opened twice opens as a second tab ("name (2)").
        self.page.wait_for_function(
            """([name, before]) => { const w = window.app.extensionManager.workflow.activeWorkflow;
                                     return w && w.key !== before && w.path.startsWith(`workflows/${name}`)
                                            && window.app.graph.nodes.length > 0; }""",
            arg=[name, before],
        )
        self.next_frame(3)

    def template_cards(self) -> dict:
        """This pack's cards in the template browser: name -> the text a person reads on the card."""
        self.js("() => window.app.extensionManager.command.execute('Comfy.BrowseTemplates')")
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_text("ComfyUI-TrackDiff", exact=True).first.click()
        dialog.locator('[data-testid^="template-workflow-"]').first.wait_for()
        cards = self.js(
            """() => Object.fromEntries([...document.querySelectorAll('[data-testid^="template-workflow-"]')]
                .map((e) => [e.dataset.testid.slice('template-workflow-'.length), e.innerText]))"""
        )
        self.page.keyboard.press("Escape")
        return cards

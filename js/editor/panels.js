// The panels around and over the stage: the toolbar, the help sheet, notices, the JSON view (show or paste a
// document), the error sheet of an unreadable document, the right-click menu, and the panel under the timeline where
// the selected thing's fields live (each layer renders its own fields there).

import { clientToLayout } from "./geometry.js";
import { h, isMac, isTextField } from "./ui.js";

export class Panels {
  constructor(editor) {
    this.editor = editor;
    this.menu = null;
    this.noticeTimer = null;
    const ed = editor;
    const mod = modName();
    this.frameLabel = h("span", { class: "td-status" });
    this.playButton = h("button", { text: "▶", title: "Play the motion (Space)", onclick: () => ed.togglePlay() });
    this.undoButton = h("button", { text: "↶", title: `Undo (${mod}+Z)`, onclick: () => ed.undo() });
    this.redoButton = h("button", { text: "↷", title: `Redo (${mod}+Shift+Z)`, onclick: () => ed.redo() });
    this.framesInput = h("input", { type: "number", min: "1", max: "4096", step: "1", title: "Frames on the timeline",
      onchange: () => ed.changeFrameCount(parseInt(this.framesInput.value, 10)) });
    this.notice = h("div", { class: "td-notice", role: "status" });
    this.errorBox = h("div", { class: "td-error", role: "alert" });
    this.help = h("div", { class: "td-help" });
    this.jsonText = h("textarea", { spellcheck: false });
    this.fileInput = h("input", { type: "file", accept: ".json,application/json,text/plain", style: { display: "none" },
      onchange: (e) => this.loadFile(e.target.files?.[0]) });
    this.seedButton = h("button", { text: "Use seed", "data-role": "use-seed", style: { display: "none" },
      title: "Replace this document with the seed document the node was given (one undo step)" });
    this.jsonBox = h("div", { class: "td-json" }, [
      this.jsonText,
      h("div", {}, [
        h("button", { text: "Apply", onclick: () => this.applyJson() }), " ",
        h("button", { text: "Load file…", title: "Read a saved document (.json) into the editor", onclick: () => this.fileInput.click() }),
        this.fileInput, " ",
        h("button", { text: "Close", onclick: () => this.toggleJson(false) }),
      ]),
    ]);
    this.panel = h("div", { class: "td-panel" });
  }

  /** The toolbar: the editor's own tools, then frames, playback, undo / redo, JSON and help. */
  toolbar(tools) {
    const ed = this.editor;
    return h("div", { class: "td-bar" }, [
      ...tools,
      this.seedButton,
      h("span", { class: "td-sep" }),
      h("button", { text: "◀", title: "Previous frame (←)", onclick: () => ed.setFrame(ed.frame - 1) }),
      this.playButton,
      h("button", { text: "▶|", title: "Next frame (→)", onclick: () => ed.setFrame(ed.frame + 1) }),
      this.frameLabel,
      h("label", { title: "Frames on the timeline (Python resamples to the model's frame count)" }, ["frames", this.framesInput]),
      this.undoButton,
      this.redoButton,
      h("button", { text: "{ }", title: "Show or paste the JSON document", onclick: () => this.toggleJson() }),
      h("button", { text: "?", title: "Help (?)", onclick: () => this.toggleHelp() }),
    ]);
  }

  /** Bring the toolbar and the selected thing's fields up to date with the editor. */
  refresh() {
    const ed = this.editor;
    const doc = ed.doc;
    const active = ed.root.ownerDocument.activeElement;
    this.frameLabel.textContent = doc ? `frame ${ed.frame} / ${doc.frame_count - 1}` : "";
    if (doc && active !== this.framesInput) this.framesInput.value = String(doc.frame_count);
    this.playButton.textContent = ed.playing ? "❚❚" : "▶";
    this.playButton.classList.toggle("td-on", ed.playing);
    this.undoButton.disabled = !ed.history.canUndo;
    this.redoButton.disabled = !ed.history.canRedo;
    this.renderError();
    if (!(this.panel.contains(active) && isTextField(active))) { // never under the pointer of someone typing
      this.panel.replaceChildren(...(doc ? ed.panelContent() : []));
    }
  }

  // -- right-click menu ---------------------------------------------------------------------------------------------------
  contextMenu(e) {
    const ed = this.editor;
    e.preventDefault();
    e.stopPropagation();
    if (!ed.doc) return;
    ed.focus();
    const items = ed.menuFor(ed.eventPoint(e));
    if (items.length) this.openMenu(items, e);
  }

  openMenu(items, e) {
    const ed = this.editor;
    this.closeMenu();
    const root = ed.root;
    const at = clientToLayout(e.clientX, e.clientY, root.getBoundingClientRect(), root.clientWidth, root.clientHeight);
    this.menu = h("div", { class: "td-menu", role: "menu" }, items.map((item) => h("div", {
      role: "menuitem", class: item.disabled ? "td-disabled" : "", text: item.label,
      onpointerdown: (ev) => ev.stopPropagation(),
      onclick: (ev) => {
        ev.stopPropagation();
        if (item.disabled) return;
        this.closeMenu();
        item.action();
        ed.focus();
      },
    })));
    root.append(this.menu);
    const mw = this.menu.offsetWidth;
    const mh = this.menu.offsetHeight;
    this.menu.style.left = `${Math.max(0, Math.min(at.x, root.clientWidth - mw))}px`;
    this.menu.style.top = `${Math.max(0, Math.min(at.y, root.clientHeight - mh))}px`;
  }

  closeMenu() {
    this.menu?.remove();
    this.menu = null;
  }

  // -- help, notices, JSON, errors ----------------------------------------------------------------------------------------
  toggleHelp(show) {
    const on = show ?? !this.help.classList.contains("td-show");
    if (on) {
      const m = modName();
      const rows = [
        ...this.editor.helpRows(),
        ["←  →", "previous / next frame (Shift: keyframe)"],
        ["Space", "play / pause"],
        [`${m}+Z`, "undo (inside the editor)"],
        [`${m}+Shift+Z`, "redo"],
        ["C", "camera layer: drag pans, Shift+drag zooms, K / Shift+K key; the panel types numbers"],
        ["V", "preview: what the model gets (camera applied to the objects)"],
        ["Right-click", "menu for what is under the pointer"],
        ["Middle-drag", "pans the graph, as elsewhere in ComfyUI"],
        [`${m}+V / drop`, "use a picture as the background"],
        ["Esc", "cancel the drag / deselect"],
      ];
      this.help.replaceChildren(
        h("b", { text: "TrackDiff editor" }),
        h("table", {}, rows.map(([k, v]) => h("tr", {}, [h("td", { text: k }), h("td", { text: v })]))),
        h("div", { class: "td-muted", text: "Coordinates are stored 0–1, so resizing never moves anything." }),
      );
    }
    this.help.classList.toggle("td-show", on);
  }

  get helpShown() { return this.help.classList.contains("td-show"); }

  showNotice(text, ms = 2500) {
    this.notice.textContent = text;
    this.notice.classList.add("td-show");
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.notice.classList.remove("td-show"), ms);
  }

  toggleJson(show) {
    const on = show ?? !this.jsonBox.classList.contains("td-show");
    if (on) this.jsonText.value = this.editor.text ?? "";
    this.jsonBox.classList.toggle("td-show", on);
  }

  /** Paste a whole document: one undoable edit (a seed from Tracks From Video comes in this way too). */
  applyJson() {
    if (this.editor.adopt(this.jsonText.value, "pasted JSON")) this.toggleJson(false);
  }

  /** A document file: shown in the JSON view and applied (one undoable edit). */
  async loadFile(file) {
    if (!file) return;
    this.jsonText.value = await file.text();
    this.fileInput.value = "";
    this.applyJson();
  }

  /** Show the "Use seed" button (calling `use` when clicked), or hide it (null). */
  showSeed(use) {
    this.seedButton.style.display = use ? "" : "none";
    this.seedButton.onclick = use;
  }

  renderError() {
    const ed = this.editor;
    const on = !!ed.error;
    this.errorBox.classList.toggle("td-show", on);
    if (!on) return;
    this.errorBox.replaceChildren(
      h("b", { text: "This node's stored editor document cannot be read" }),
      h("pre", { "data-role": "error-message", text: ed.error.message }),
      h("div", { text: "Nothing was changed. Fix the JSON, or start again with an empty document." }),
      h("div", {}, [
        h("button", { text: "Edit JSON", onclick: () => this.toggleJson(true) }), " ",
        h("button", { text: "Reset editor", onclick: () => ed.reset() }),
      ]),
    );
  }
}

export const modName = () => (isMac() ? "⌘" : "Ctrl");

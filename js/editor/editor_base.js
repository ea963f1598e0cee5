// What both editors share: the DOM skeleton (toolbar, stage, timeline, object panel), the document/undo life cycle,
// the background image, playback, keyboard and pointer plumbing, notices, help, the JSON view and the error state.
// Framework-free and host-free: mount on any element; a host (the ComfyUI adapter) passes callbacks.

import { History } from "./history.js";
import { clientToLayout, fitRect, layoutToNorm } from "./geometry.js";
import { h, injectStyles, isMac, isTextField, loadImage } from "./ui.js";

export class EditorBase {
  /**
   * @param {HTMLElement} container  where to mount (the editor fills it)
   * @param {object} options
   *   value: the document text to start from; onChange(text): called after every committed edit;
   *   onImageFile(file): an image was pasted or dropped (a host may upload it); aspect: width / height before an
   *   image is known (default 16 / 9); fps: playback speed (default 8).
   */
  constructor(container, options = {}) {
    this.options = options;
    this.onChange = options.onChange || (() => {});
    this.history = new History();
    this.frame = 0;
    this.selectedId = null;
    this.playing = false;
    this.background = null;
    this.aspect = options.aspect || 16 / 9;
    this.doc = null;
    this.text = null;
    this.error = null;
    this.gesture = null;
    this.drawQueued = false;
    this.noticeTimer = null;
    injectStyles(container.ownerDocument);
    this.build();
    container.append(this.root);
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this.stage);
    this.observer.observe(this.timeline);
    this.setValue(options.value ?? this.serialize(this.emptyDocument()));
    this.resize();
  }

  // -- to be provided by subclasses ----------------------------------------------------------------------------------
  get kindName() { return "editor"; }
  emptyDocument() { throw new Error("abstract"); }
  parse() { throw new Error("abstract"); }
  serialize() { throw new Error("abstract"); }
  buildTools() { return []; }
  drawStage() {}
  drawTimelineMarks() {}
  renderPanel() { return []; }
  helpRows() { return []; }
  menuItems() { return []; }
  onStageDown() {}
  onStageMove() {}
  onStageUp() {}
  onStageHover() { return "default"; }
  onKey() { return false; }
  onDocumentLoaded() {}

  // -- DOM ------------------------------------------------------------------------------------------------------------
  build() {
    this.keys = h("input", { class: "td-keys", readonly: true, tabindex: "-1", "aria-label": "TrackDiff editor keyboard shortcuts" });
    this.frameLabel = h("span", { class: "td-status" });
    this.playButton = h("button", { text: "▶", title: "Play the motion (Space)", onclick: () => this.togglePlay() });
    this.undoButton = h("button", { text: "↶", title: `Undo (${this.modName()}+Z)`, onclick: () => this.undo() });
    this.redoButton = h("button", { text: "↷", title: `Redo (${this.modName()}+Shift+Z)`, onclick: () => this.redo() });
    this.framesInput = h("input", { type: "number", min: "1", max: "4096", step: "1", title: "Frames on the timeline",
      onchange: () => this.changeFrameCount(parseInt(this.framesInput.value, 10)) });
    const bar = h("div", { class: "td-bar" }, [
      ...this.buildTools(),
      h("span", { class: "td-sep" }),
      h("button", { text: "◀", title: "Previous frame (←)", onclick: () => this.setFrame(this.frame - 1) }),
      this.playButton,
      h("button", { text: "▶|", title: "Next frame (→)", onclick: () => this.setFrame(this.frame + 1) }),
      this.frameLabel,
      h("label", { title: "Frames on the timeline (Python resamples to the model's frame count)" }, ["frames", this.framesInput]),
      this.undoButton,
      this.redoButton,
      h("button", { text: "{ }", title: "Show or paste the JSON document", onclick: () => this.toggleJson() }),
      h("button", { text: "?", title: "Help (?)", onclick: () => this.toggleHelp() }),
    ]);
    this.canvas = h("canvas", { "data-role": "stage" });
    this.notice = h("div", { class: "td-notice", role: "status" });
    this.errorBox = h("div", { class: "td-error", role: "alert" });
    this.help = h("div", { class: "td-help" });
    this.jsonText = h("textarea", { spellcheck: false });
    this.jsonBox = h("div", { class: "td-json" }, [
      this.jsonText,
      h("div", {}, [
        h("button", { text: "Apply", onclick: () => this.applyJson() }), " ",
        h("button", { text: "Close", onclick: () => this.toggleJson(false) }),
      ]),
    ]);
    this.stage = h("div", { class: "td-stage" }, [this.canvas, this.notice, this.help, this.jsonBox, this.errorBox]);
    this.timelineCanvas = h("canvas", { "data-role": "timeline" });
    this.timeline = h("div", { class: "td-timeline", title: "Timeline: click or drag to scrub" }, [this.timelineCanvas]);
    this.panel = h("div", { class: "td-panel" });
    this.root = h("div", { class: "td-editor", "data-editor": this.kindName }, [bar, this.stage, this.timeline, this.panel, this.keys]);

    this.canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.canvas.addEventListener("pointercancel", (e) => this.pointerUp(e, true));
    this.canvas.addEventListener("contextmenu", (e) => this.contextMenu(e));
    this.timelineCanvas.addEventListener("pointerdown", (e) => this.timelinePointer(e));
    this.timelineCanvas.addEventListener("pointermove", (e) => this.timelinePointer(e));
    this.root.addEventListener("keydown", (e) => this.keyDown(e));
    this.keys.addEventListener("paste", (e) => this.paste(e));
    this.root.addEventListener("dragover", (e) => {
      if ([...(e.dataTransfer?.items || [])].some((i) => i.kind === "file")) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.root.addEventListener("drop", (e) => this.drop(e));
    // After a click on any of the editor's own controls the keyboard goes back to the editor: a focused button (or
    // checkbox, colour, list) would otherwise leave Ctrl+Z to the host, whose undo rebuilds the node from its value.
    this.root.addEventListener("mousedown", (e) => {
      if (e.target.closest?.("button")) e.preventDefault(); // a button never takes the focus from the editor
    });
    this.root.addEventListener("click", (e) => {
      if (e.target.closest?.("button, [role=menuitem]") && this.root.contains(e.target)) this.focus();
    });
    this.root.addEventListener("change", (e) => {
      if (!isTextField(e.target)) this.focus();
    });
    this.outsideDown = (e) => {
      if (!this.root.contains(e.target)) this.closeMenu();
    };
    this.root.ownerDocument.addEventListener("pointerdown", this.outsideDown, true);
  }

  modName() { return isMac() ? "⌘" : "Ctrl"; }

  /** Take keyboard focus. It goes to a read-only text field: hosts (ComfyUI included) leave a focused text field's
   *  keys, Ctrl+Z above all, to it instead of running their own shortcuts. */
  focus() { this.keys.focus({ preventScroll: true }); }

  destroy() {
    this.stopPlay();
    this.observer.disconnect();
    this.root.ownerDocument.removeEventListener("pointerdown", this.outsideDown, true);
    this.root.remove();
  }

  // -- document life cycle --------------------------------------------------------------------------------------------
  getValue() { return this.text; }

  /** Load a document from outside (the host's stored value). A malformed one shows an error and is kept as it is. */
  setValue(text, { clearHistory = true } = {}) {
    if (text === this.text && !this.error) return;
    this.cancelGesture();
    try {
      this.doc = this.parse(text);
      this.error = null;
    } catch (err) {
      this.doc = null;
      this.error = err;
    }
    this.text = text;
    if (clearHistory) this.history.clear();
    if (this.doc) {
      this.frame = Math.min(this.frame, this.doc.frame_count - 1);
      if (!this.doc.objects.some((o) => o.id === this.selectedId)) this.selectedId = null;
      this.onDocumentLoaded();
    }
    this.refresh();
  }

  /** Replace the document with `doc` as one undoable edit. */
  commit(doc, label = "edit") {
    const text = this.serialize(doc);
    if (text === this.text && !this.error) {
      this.doc = doc;
      this.refresh();
      return false;
    }
    this.history.push(this.text, label);
    this.doc = doc;
    this.error = null;
    this.text = text;
    this.onChange(text);
    this.refresh();
    return true;
  }

  /** A drag is one edit: begin, preview as often as needed, end (or cancel with Escape). */
  /** `base`: the document the drag edits (the current one, or one with the object this drag creates). */
  beginGesture(label, base = this.doc) {
    this.gesture = { before: this.text, beforeDoc: this.doc, base, label };
    if (base !== this.doc) this.preview(base);
  }
  preview(doc) {
    this.doc = doc;
    this.requestDraw();
  }
  endGesture() {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    const text = this.serialize(this.doc);
    if (text !== g.before) {
      this.history.push(g.before, g.label);
      this.text = text;
      this.onChange(text);
    }
    this.refresh();
  }
  cancelGesture() {
    if (!this.gesture) return;
    this.doc = this.gesture.beforeDoc;
    this.gesture = null;
    this.refresh();
  }

  undo() { this.travel(this.history.undo(this.text), "Undid"); }
  redo() { this.travel(this.history.redo(this.text), "Redid"); }
  travel(entry, verb) {
    if (!entry) return;
    this.cancelGesture();
    try {
      this.doc = this.parse(entry.state);
      this.error = null;
    } catch (err) {
      this.doc = null;
      this.error = err;
    }
    this.text = entry.state;
    this.onChange(this.text);
    if (this.doc) {
      this.frame = Math.min(this.frame, this.doc.frame_count - 1);
      if (!this.doc.objects.some((o) => o.id === this.selectedId)) this.selectedId = null;
    }
    this.showNotice(`${verb}: ${entry.label}`, 1200);
    this.refresh();
  }

  changeFrameCount(count) {
    if (!this.doc || !Number.isInteger(count) || count < 1 || count > 4096) {
      this.showNotice("The timeline needs between 1 and 4096 frames");
      this.refresh();
      return;
    }
    if (count === this.doc.frame_count) return;
    this.commit(this.retime(this.doc, count), `timeline to ${count} frames`);
    this.setFrame(Math.min(this.frame, count - 1));
  }

  reset() {
    this.commit(this.emptyDocument(this.doc?.frame_count ?? 14), "reset");
    this.selectedId = null;
    this.refresh();
  }

  select(id) {
    this.selectedId = id;
    this.refresh();
  }

  get selected() { return this.doc?.objects.find((o) => o.id === this.selectedId) ?? null; }

  // -- frames and playback --------------------------------------------------------------------------------------------
  setFrame(frame) {
    if (!this.doc) return;
    const f = Math.min(Math.max(0, frame), this.doc.frame_count - 1);
    if (f === this.frame) return;
    this.frame = f;
    this.refresh();
  }

  togglePlay() { if (this.playing) this.stopPlay(); else this.startPlay(); }

  startPlay() {
    if (!this.doc || this.doc.frame_count < 2) return;
    this.playing = true;
    const fps = this.options.fps || 8;
    let last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      if (now - last >= 1000 / fps) {
        last = now;
        this.frame = (this.frame + 1) % this.doc.frame_count;
        this.refresh();
      }
      this.playHandle = requestAnimationFrame(step);
    };
    this.playHandle = requestAnimationFrame(step);
    this.refresh();
  }

  stopPlay() {
    this.playing = false;
    if (this.playHandle) cancelAnimationFrame(this.playHandle);
    this.playHandle = null;
    if (this.playButton) this.refresh();
  }

  // -- background -----------------------------------------------------------------------------------------------------
  /** What the stage says while it has no picture (a host knows best what is missing). */
  setHint(text) {
    this.hint = text || null;
    this.requestDraw();
  }

  /** Show `source` (URL, Blob/File, a loaded image or a canvas) under the drawing; `label` says where it came from. */
  async setBackground(source, label = "") {
    if (!source) {
      this.background = null;
      this.requestDraw();
      return null;
    }
    const token = (this.backgroundToken = (this.backgroundToken || 0) + 1);
    try {
      const ready = source instanceof HTMLImageElement || source instanceof HTMLCanvasElement
        || (typeof ImageBitmap !== "undefined" && source instanceof ImageBitmap);
      const image = ready ? source : await loadImage(source);
      if (token !== this.backgroundToken) return null;
      this.background = { image, label };
      const w = image.naturalWidth || image.width;
      const hgt = image.naturalHeight || image.height;
      // A canvas may be drawn smaller than the picture it stands for; it then carries that picture's exact aspect.
      const exact = parseFloat(image.dataset?.aspect);
      if (exact > 0) this.aspect = exact;
      else if (w > 0 && hgt > 0) this.aspect = w / hgt;
      this.hint = null;
      this.requestDraw();
      return image;
    } catch (err) {
      if (token === this.backgroundToken) this.showNotice(`Background image: ${err.message}`);
      return null;
    }
  }

  imageFromTransfer(list) {
    return [...(list || [])].find((f) => f && f.type && f.type.startsWith("image/")) || null;
  }

  paste(e) {
    const file = this.imageFromTransfer(e.clipboardData?.files);
    if (!file) return;
    e.preventDefault();
    e.stopPropagation();
    this.useImageFile(file, "pasted");
  }

  drop(e) {
    const file = this.imageFromTransfer(e.dataTransfer?.files);
    if (!file) return;
    e.preventDefault();
    e.stopPropagation();
    this.useImageFile(file, "dropped");
  }

  useImageFile(file, label) {
    this.setBackground(file, label);
    this.options.onImageFile?.(file);
  }

  // -- geometry -------------------------------------------------------------------------------------------------------
  imageRect() {
    return fitRect(this.stage.clientWidth, this.stage.clientHeight, this.aspect);
  }

  /** Pointer event -> {x, y} layout px of the stage and {nx, ny} normalised image coordinates. */
  eventPoint(e, element = this.canvas) {
    const rect = element.getBoundingClientRect();
    const p = clientToLayout(e.clientX, e.clientY, rect, element.clientWidth, element.clientHeight);
    const n = layoutToNorm(p, this.imageRect());
    return { x: p.x, y: p.y, nx: n.x, ny: n.y, scale: p.scale };
  }

  // -- pointer --------------------------------------------------------------------------------------------------------
  pointerDown(e) {
    if (e.button === 1) return; // the middle button belongs to the host (pans the graph in ComfyUI)
    e.stopPropagation();
    this.closeMenu();
    this.focus();
    if (!this.doc || e.button !== 0) return;
    e.preventDefault();
    this.stopPlay();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.dragging = true;
    this.onStageDown(this.eventPoint(e), e);
  }

  pointerMove(e) {
    if (!this.doc) return;
    const p = this.eventPoint(e);
    if (this.dragging) {
      e.stopPropagation();
      this.onStageMove(p, e);
    } else {
      this.canvas.style.cursor = this.onStageHover(p, e) || "default";
    }
  }

  pointerUp(e, cancelled = false) {
    if (!this.dragging) return;
    e.stopPropagation();
    this.dragging = false;
    this.canvas.releasePointerCapture?.(e.pointerId);
    if (cancelled) this.cancelGesture();
    else this.onStageUp(this.eventPoint(e), e);
  }

  timelinePointer(e) {
    if (e.type === "pointermove" && !(e.buttons & 1)) return;
    if (e.button === 1 || !this.doc) return;
    e.stopPropagation();
    e.preventDefault();
    if (e.type === "pointerdown") {
      this.focus();
      this.stopPlay();
      this.timelineCanvas.setPointerCapture?.(e.pointerId);
    }
    this.setFrame(this.timelineFrameAt(this.eventPoint(e, this.timelineCanvas).x));
  }

  timelineGeometry() {
    const w = this.timeline.clientWidth;
    const n = this.doc ? this.doc.frame_count : 1;
    const left = 10;
    const right = w - 10;
    const step = n > 1 ? (right - left) / (n - 1) : 0;
    return { left, right, step, n, x: (f) => (n > 1 ? left + f * step : (left + right) / 2) };
  }

  timelineFrameAt(x) {
    const g = this.timelineGeometry();
    return g.n > 1 ? Math.round((x - g.left) / g.step) : 0;
  }

  // -- keyboard -------------------------------------------------------------------------------------------------------
  keyDown(e) {
    const typing = isTextField(e.target) || e.target.tagName === "SELECT";
    if (typing) {
      if (e.key === "Escape") e.target.blur?.();
      e.stopPropagation(); // the host's shortcuts must not fire while typing a label
      return;
    }
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    let handled = true;
    if (mod && !e.altKey && key === "z") {
      if (e.shiftKey) this.redo();
      else this.undo();
    } else if (mod && !e.altKey && key === "y") this.redo();
    else if (mod) handled = false; // leave Ctrl+S, Ctrl+Enter, ... to the host
    else if (key === "ArrowLeft") this.stepFrame(-1, e.shiftKey);
    else if (key === "ArrowRight") this.stepFrame(1, e.shiftKey);
    else if (key === "Home") this.setFrame(0);
    else if (key === "End") this.setFrame(this.doc ? this.doc.frame_count - 1 : 0);
    else if (key === " ") this.togglePlay();
    else if (key === "?") this.toggleHelp();
    else if (key === "Escape") {
      if (this.gesture) this.cancelGesture();
      else if (this.menu) this.closeMenu();
      else if (this.help.classList.contains("td-show")) this.toggleHelp(false);
      else this.select(null);
    } else {
      handled = this.doc ? this.onKey(e, key) : false;
      // Delete / Backspace never reach the host while the editor has focus (in ComfyUI they would delete the node).
      if (key === "Delete" || key === "Backspace") handled = true;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  stepFrame(delta, toKeyframe) {
    if (!toKeyframe) return this.setFrame(this.frame + delta);
    const frames = this.keyframeFrames();
    const target = delta > 0 ? frames.find((f) => f > this.frame) : [...frames].reverse().find((f) => f < this.frame);
    if (target !== undefined) this.setFrame(target);
  }

  keyframeFrames() { return []; }

  // -- context menu ---------------------------------------------------------------------------------------------------
  contextMenu(e) {
    e.preventDefault();
    e.stopPropagation();
    if (!this.doc) return;
    this.focus();
    const p = this.eventPoint(e);
    const items = this.menuItems(p);
    if (!items.length) return;
    this.openMenu(items, e);
  }

  openMenu(items, e) {
    this.closeMenu();
    const rootRect = this.root.getBoundingClientRect();
    const at = clientToLayout(e.clientX, e.clientY, rootRect, this.root.clientWidth, this.root.clientHeight);
    this.menu = h("div", { class: "td-menu", role: "menu" }, items.map((item) => h("div", {
      role: "menuitem", class: item.disabled ? "td-disabled" : "", text: item.label,
      onpointerdown: (ev) => ev.stopPropagation(),
      onclick: (ev) => {
        ev.stopPropagation();
        if (item.disabled) return;
        this.closeMenu();
        item.action();
        this.focus();
      },
    })));
    this.root.append(this.menu);
    const mw = this.menu.offsetWidth;
    const mh = this.menu.offsetHeight;
    this.menu.style.left = `${Math.max(0, Math.min(at.x, this.root.clientWidth - mw))}px`;
    this.menu.style.top = `${Math.max(0, Math.min(at.y, this.root.clientHeight - mh))}px`;
  }

  closeMenu() {
    this.menu?.remove();
    this.menu = null;
  }

  // -- help, notices, JSON, errors ------------------------------------------------------------------------------------
  toggleHelp(show) {
    const on = show ?? !this.help.classList.contains("td-show");
    if (on) {
      const m = this.modName();
      const rows = [
        ...this.helpRows(),
        ["←  →", "previous / next frame (Shift: keyframe)"],
        ["Space", "play / pause"],
        [`${m}+Z`, "undo (inside the editor)"],
        [`${m}+Shift+Z`, "redo"],
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

  showNotice(text, ms = 2500) {
    this.notice.textContent = text;
    this.notice.classList.add("td-show");
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.notice.classList.remove("td-show"), ms);
  }

  toggleJson(show) {
    const on = show ?? !this.jsonBox.classList.contains("td-show");
    if (on) this.jsonText.value = this.text ?? "";
    this.jsonBox.classList.toggle("td-show", on);
  }

  applyJson() {
    const text = this.jsonText.value;
    let doc;
    try {
      doc = this.parse(text);
    } catch (err) {
      this.showNotice(err.message, 6000);
      return;
    }
    this.commit(doc, "pasted JSON");
    this.toggleJson(false);
  }

  renderError() {
    const on = !!this.error;
    this.errorBox.classList.toggle("td-show", on);
    if (!on) return;
    this.errorBox.replaceChildren(
      h("b", { text: "This node's stored editor document cannot be read" }),
      h("pre", { "data-role": "error-message", text: this.error.message }),
      h("div", { text: "Nothing was changed. Fix the JSON, or start again with an empty document." }),
      h("div", {}, [
        h("button", { text: "Edit JSON", onclick: () => this.toggleJson(true) }), " ",
        h("button", { text: "Reset editor", onclick: () => this.reset() }),
      ]),
    );
  }

  // -- rendering ------------------------------------------------------------------------------------------------------
  resize() {
    const dpr = window.devicePixelRatio || 1;
    for (const [canvas, box] of [[this.canvas, this.stage], [this.timelineCanvas, this.timeline]]) {
      const w = Math.max(1, Math.round(box.clientWidth * dpr));
      const hh = Math.max(1, Math.round(box.clientHeight * dpr));
      if (canvas.width !== w || canvas.height !== hh) {
        canvas.width = w;
        canvas.height = hh;
      }
    }
    this.draw();
  }

  refresh() {
    const doc = this.doc;
    this.frameLabel.textContent = doc ? `frame ${this.frame} / ${doc.frame_count - 1}` : "";
    if (doc && this.root.ownerDocument.activeElement !== this.framesInput) this.framesInput.value = String(doc.frame_count);
    this.playButton.textContent = this.playing ? "❚❚" : "▶";
    this.playButton.classList.toggle("td-on", this.playing);
    this.undoButton.disabled = !this.history.canUndo;
    this.redoButton.disabled = !this.history.canRedo;
    this.renderError();
    const active = this.root.ownerDocument.activeElement;
    if (!(this.panel.contains(active) && isTextField(active))) { // never under the pointer of someone typing
      this.panel.replaceChildren(...(doc ? this.renderPanel() : []));
    }
    this.requestDraw();
  }

  requestDraw() {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      this.draw();
    });
  }

  draw() {
    const dpr = window.devicePixelRatio || 1;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const img = this.imageRect();
    if (this.background) {
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.background.image, img.x, img.y, img.w, img.h);
    } else {
      ctx.fillStyle = "#2a2a2a";
      ctx.fillRect(img.x, img.y, img.w, img.h);
      // Centred on an empty stage; along the bottom edge, under the drawing, once there is something drawn.
      const text = this.hint || "No image yet: connect one, run once, or paste or drop a picture here";
      const empty = !this.doc?.objects.length;
      ctx.fillStyle = "#888";
      ctx.font = `${empty ? 12 : 11}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.save();
      ctx.beginPath();
      ctx.rect(img.x, img.y, img.w, img.h);
      ctx.clip();
      ctx.fillText(text, img.x + img.w / 2, empty ? img.y + img.h / 2 : img.y + img.h - 6, Math.max(10, img.w - 12));
      ctx.restore();
      ctx.textAlign = "left";
    }
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(img.x + 0.5, img.y + 0.5, img.w - 1, img.h - 1);
    if (this.doc) this.drawStage(ctx, img);
    this.drawTimeline();
  }

  drawTimeline() {
    const dpr = window.devicePixelRatio || 1;
    const ctx = this.timelineCanvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.timelineCanvas.width, this.timelineCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (!this.doc) return;
    const g = this.timelineGeometry();
    const H = this.timeline.clientHeight;
    ctx.strokeStyle = "#555";
    ctx.beginPath();
    ctx.moveTo(g.left, H - 8.5);
    ctx.lineTo(g.right, H - 8.5);
    ctx.stroke();
    const every = Math.max(1, Math.ceil(24 / Math.max(g.step, 1e-6)));
    ctx.fillStyle = "#888";
    ctx.font = "9px system-ui, sans-serif";
    for (let f = 0; f < g.n; f++) {
      const x = Math.round(g.x(f)) + 0.5;
      ctx.fillRect(x - 0.5, H - 11, 1, f % every === 0 ? 6 : 3);
      if (f % every !== 0 && f !== g.n - 1) continue;
      const label = String(f);
      const w = ctx.measureText(label).width;
      // Labels sit right of their tick, except where that would run past the edge (the last frame's).
      const lx = x + 2 + w > g.right + 8 ? x - 2 - w : x + 2;
      if (f === g.n - 1 && f % every !== 0 && lx < Math.round(g.x(f - (f % every))) + 2 + ctx.measureText(String(f - (f % every))).width + 3) continue;
      ctx.fillText(label, lx, H - 1);
    }
    this.drawTimelineMarks(ctx, g, H);
    const x = g.x(this.frame);
    ctx.fillStyle = "#e8e8e8";
    ctx.fillRect(Math.round(x) - 1, 0, 2, H);
  }
}

// What both editors share: the document and its undo history, the current frame and playback, the selection, and
// the parts an editor is made of (each in its own file):
//   stage.js     the picture, the background and pointer mapping;     timeline.js  frames, scrubbing, a row per layer;
//   panels.js    toolbar, help, notices, JSON view, errors, menu;      keyboard.js  shortcuts;
//   layers       what is drawn on the stage and the timeline (objects, camera), each an object with drawStage /
//                drawTimeline / keyframeFrames; an editor lists its layers in `this.layers`.
// Framework-free and host-free: mount on any element; a host (the ComfyUI adapter) passes callbacks.

import { CameraLayer, layoutTransform } from "./camera_layer.js";
import { History } from "./history.js";
import { keyDown } from "./keyboard.js";
import { Panels, modName } from "./panels.js";
import { offerSeed } from "./seeds.js";
import { Stage } from "./stage.js";
import { Timeline } from "./timeline.js";
import { h, injectStyles, isTextField } from "./ui.js";

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
    this.aspect = options.aspect || 16 / 9;
    this.doc = null;
    this.text = null;
    this.error = null;
    this.gesture = null;
    this.drawQueued = false;
    this.layers = [];
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
    this.stageView = new Stage(this);
    this.timelineView = new Timeline(this);
    this.panels = new Panels(this);
    const p = this.panels;
    this.canvas = this.stageView.canvas;
    this.stage = this.stageView.element;
    this.stage.append(p.notice, p.help, p.jsonBox, p.errorBox);
    this.timelineCanvas = this.timelineView.canvas;
    this.timeline = this.timelineView.element;
    this.notice = p.notice;
    this.errorBox = p.errorBox;
    this.help = p.help;
    this.jsonBox = p.jsonBox;
    this.jsonText = p.jsonText;
    this.panel = p.panel;
    const tools = this.buildTools();
    this.cameraLayer = new CameraLayer(this);
    this.layers.push(this.cameraLayer);
    this.view = "scene";
    this.viewButton = h("button", { text: "Preview", "data-role": "view",
      title: "Show what the model gets: the camera applied to the objects' motion (V). Off: edit in scene coordinates",
      onclick: () => this.setView(this.view === "scene" ? "screen" : "scene") });
    const bar = p.toolbar([...tools, this.cameraLayer.button, this.viewButton]);
    this.root = h("div", { class: "td-editor", "data-editor": this.kindName }, [bar, this.stage, this.timeline, this.panel, this.keys]);

    this.root.addEventListener("keydown", (e) => keyDown(this, e));
    this.keys.addEventListener("paste", (e) => this.stageView.paste(e));
    this.root.addEventListener("dragover", (e) => {
      if ([...(e.dataTransfer?.items || [])].some((i) => i.kind === "file")) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.root.addEventListener("drop", (e) => this.stageView.drop(e));
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

  modName() { return modName(); }

  /** Take keyboard focus. It goes to a read-only text field: hosts (ComfyUI included) leave a focused text field's
   *  keys, Ctrl+Z above all, to it instead of running their own shortcuts. */
  focus() { this.keys.focus({ preventScroll: true }); }

  destroy() {
    this.stopPlay();
    this.observer.disconnect();
    this.root.ownerDocument.removeEventListener("pointerdown", this.outsideDown, true);
    this.root.remove();
  }

  // -- the parts, as the subclasses and hosts use them -----------------------------------------------------------------
  get background() { return this.stageView.background; }
  get hint() { return this.stageView.hint; }
  setHint(text) {
    this.stageView.hint = text || null;
    this.requestDraw();
  }
  setBackground(source, label = "") { return this.stageView.setBackground(source, label); }
  imageRect() { return this.stageView.imageRect(); }
  eventPoint(e, element) { return this.stageView.eventPoint(e, element); }
  timelineGeometry() { return this.timelineView.geometry(); }
  timelineFrameAt(x) { return this.timelineView.frameAt(x); }
  showNotice(text, ms) { this.panels.showNotice(text, ms); }
  toggleHelp(show) { this.panels.toggleHelp(show); }
  toggleJson(show) { this.panels.toggleJson(show); }
  contextMenu(e) { this.panels.contextMenu(e); }
  closeMenu() { this.panels.closeMenu(); }
  get menu() { return this.panels.menu; }

  // -- layers and views -------------------------------------------------------------------------------------------------
  /** Who gets the pointer, the keys, the panel and the menu: the camera layer while it is active, else the editor. */
  get cameraActive() { return this.cameraLayer?.active ?? false; }

  /** "scene": objects are drawn and edited where they are in the scene; "screen": everything as the model gets it
   *  (the picture and the objects moved by the camera), for looking, not editing objects. */
  setView(view) {
    this.view = view;
    this.viewButton.classList.toggle("td-on", view === "screen");
    this.requestDraw();
  }

  frameSize() { return this.stageView.frameSize(); }

  /** The camera's normalised matrix at this frame when the screen view shows it (null otherwise). */
  screenMatrix() {
    return this.view === "screen" && this.doc?.camera ? this.cameraLayer.matrix() : null;
  }

  backgroundMatrix(img) {
    const m = this.screenMatrix();
    return m ? layoutTransform(m, img) : null;
  }

  stageDown(p, e) {
    if (this.cameraActive) return this.cameraLayer.onStageDown(p, e);
    if (this.screenMatrix()) return this.showNotice("Preview shows what the model gets: turn it off (V) to edit the objects");
    return this.onStageDown(p, e);
  }
  stageMove(p, e) { return this.cameraActive ? this.cameraLayer.onStageMove(p, e) : this.onStageMove(p, e); }
  stageUp(p, e) { return this.cameraActive ? this.cameraLayer.onStageUp(p, e) : this.onStageUp(p, e); }
  stageHover(p, e) { return this.cameraActive ? this.cameraLayer.onStageHover(p, e) : this.onStageHover(p, e); }
  layerKey(e, key) {
    if (key === "c") {
      this.cameraLayer.setActive(!this.cameraActive);
      return true;
    }
    if (key === "v") {
      this.setView(this.view === "scene" ? "screen" : "scene");
      return true;
    }
    return this.cameraActive ? this.cameraLayer.onKey(e, key) || this.onKey(e, key) : this.onKey(e, key);
  }
  panelContent() { return this.cameraActive ? this.cameraLayer.renderPanel() : this.renderPanel(); }
  menuFor(p) { return this.cameraActive ? this.cameraLayer.menuItems(p) : this.menuItems(p); }

  // -- document life cycle --------------------------------------------------------------------------------------------
  getValue() { return this.text; }

  /** Load a document from outside (the host's stored value). A malformed one shows an error and is kept as it is. */
  setValue(text, { clearHistory = true } = {}) {
    if (text === this.text && !this.error) return;
    this.cancelGesture();
    this.load(text);
    if (clearHistory) this.history.clear();
    if (this.doc) this.onDocumentLoaded();
    this.refresh();
  }

  /** Parse `text` into the current document (or the error state), keeping the frame and selection where they fit. */
  load(text) {
    try {
      this.doc = this.parse(text);
      this.error = null;
    } catch (err) {
      this.doc = null;
      this.error = err;
    }
    this.text = text;
    if (this.doc) {
      this.frame = Math.min(this.frame, this.doc.frame_count - 1);
      if (!this.doc.objects.some((o) => o.id === this.selectedId)) this.selectedId = null;
    }
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

  /** Take a whole document from outside the editor's own edits (pasted JSON, a seed): one undoable edit. A document
   *  that cannot be read is refused with a notice, and nothing changes. */
  adopt(value, label = "pasted JSON") {
    let doc;
    try {
      doc = this.parse(value);
    } catch (err) {
      this.showNotice(err.message, 6000);
      return false;
    }
    this.cancelGesture();
    if (!doc.objects.some((o) => o.id === this.selectedId)) this.selectedId = null;
    this.frame = Math.min(this.frame, doc.frame_count - 1);
    this.commit(doc, label);
    this.onDocumentLoaded();
    return true;
  }

  /** A seed document (from the node's run): adopted while this document is empty, else offered (seeds.js). */
  offerSeed(text) { return offerSeed(this, text); }

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
    this.load(entry.state);
    this.onChange(this.text);
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
    if (id !== this.selectedId) this.selectedPoint = null;
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
  startPlay() { this.timelineView.play(); }
  stopPlay() { this.timelineView?.stop(); }

  stepFrame(delta, toKeyframe) {
    if (!toKeyframe) return this.setFrame(this.frame + delta);
    const frames = this.keyframeFrames();
    const target = delta > 0 ? frames.find((f) => f > this.frame) : [...frames].reverse().find((f) => f < this.frame);
    if (target !== undefined) this.setFrame(target);
  }

  /** The keyframes Shift+← / → jump between: those of the layers' selected things, in order. */
  keyframeFrames() {
    const frames = new Set(this.layers.flatMap((layer) => layer.keyframeFrames?.() ?? []));
    return [...frames].sort((a, b) => a - b);
  }

  // -- rendering ------------------------------------------------------------------------------------------------------
  resize() {
    const dpr = window.devicePixelRatio || 1;
    this.stageView.fit(dpr);
    this.timelineView.fit(dpr);
    this.draw();
  }

  refresh() {
    this.panels.refresh();
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

  /** The background, then every layer on the stage (clipped to the picture by each), then the timeline. */
  draw() {
    const dpr = window.devicePixelRatio || 1;
    const { ctx, img } = this.stageView.draw(dpr, this.backgroundMatrix?.(this.imageRect()) ?? null);
    if (this.doc) for (const layer of this.layers) layer.drawStage?.(ctx, img);
    this.timelineView.draw(dpr, this.doc ? this.layers : []);
  }
}

// The mask/arrow editor (for MaskArrowToTrajectories): per object a painted mask (or one from the node's MASK input)
// and an arrow, a multi-point path or a static anchor; shows the sampled points moving along the path, with tails.
// Framework-free: `new MaskArrowEditor(element, {value, onChange})` mounts it on any element.

import { EditorBase } from "./editor_base.js";
import { clamp01, hitTestPathPoint } from "./geometry.js";
import {
  addObject, deleteObject, emptyMaskArrows, parseMaskArrows, rleDecode, rleEncode, serializeMaskArrows, setFrameCount, setMask, setPath,
} from "./mask_arrow_document.js";
import { MaskArrowLayer } from "./mask_arrow_layer.js";
import { maskArrowPanel } from "./mask_arrow_panel.js";
import { TOOLS } from "./mask_arrow_tools.js";
import { maskOverlay, stampDisc } from "./mask_paint.js";
import { h } from "./ui.js";

export { TOOLS };
const TOOL_BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));
const TOOL_BY_KEY = new Map(TOOLS.map((t) => [t.key, t]));
const MASK_LONG_SIDE = 512; // painted masks are stored at most this big (Python resizes them to the generation size)

export class MaskArrowEditor extends EditorBase {
  get kindName() { return "mask_arrows"; }
  emptyDocument(frameCount = 14) { return emptyMaskArrows(frameCount); }
  parse(text) { return parseMaskArrows(text); }
  serialize(doc) { return serializeMaskArrows(doc); }
  retime(doc, count) { return setFrameCount(doc, count); }

  constructor(container, options = {}) {
    super(container, options);
    this.setTool(options.tool || "brush");
  }

  buildTools() {
    this.layers = [new MaskArrowLayer(this)];
    this.tool = "brush";
    this.brushSize = 18;
    this.pointCount = 24;
    this.seed = 0;
    this.maskCache = new WeakMap();
    this.sampleCache = new WeakMap();
    this.toolButtons = TOOLS.map((t) => h("button", { text: t.label, title: t.title, "data-tool": t.name, onclick: () => this.setTool(t.name) }));
    this.brushInput = h("input", { type: "number", min: "1", max: "200", step: "1", value: String(this.brushSize), title: "Brush size (screen pixels)",
      onchange: (e) => { this.brushSize = Math.max(1, Math.min(200, parseInt(e.target.value, 10) || 18)); } });
    this.pointsInput = h("input", { type: "number", min: "1", max: "512", step: "1", value: String(this.pointCount),
      title: "Points shown per object (a preview of the node's sampling)",
      onchange: (e) => this.setPreviewPoints(parseInt(e.target.value, 10)) });
    return [
      h("button", { text: "+ Object", title: "A new object (then paint its mask)", onclick: () => this.newObject() }),
      ...this.toolButtons,
      h("label", { title: "Brush size" }, ["size", this.brushInput]),
      h("label", { title: "Sampled points previewed per object" }, ["points", this.pointsInput]),
    ];
  }

  setTool(name) {
    if (!TOOL_BY_NAME.has(name)) return;
    this.tool = name;
    for (const b of this.toolButtons) b.classList.toggle("td-on", b.dataset.tool === name);
    this.canvas.style.cursor = "crosshair";
  }

  /** How many sampled points to preview per object, and the seed (a host can mirror the node's own inputs). */
  setPreviewPoints(count, seed = this.seed) {
    if (Number.isInteger(count) && count >= 1) this.pointCount = Math.min(count, 512);
    if (Number.isInteger(seed)) this.seed = seed;
    this.pointsInput.value = String(this.pointCount);
    this.sampleCache = new WeakMap();
    this.requestDraw();
  }

  newObject(at = [0.5, 0.5], props = {}) {
    const { doc, id } = addObject(this.doc, at, props);
    this.selectedId = id;
    this.selectedPoint = null;
    this.commit(doc, props.shape === "point" ? "new point" : "new object");
    return id;
  }

  // -- masks ----------------------------------------------------------------------------------------------------------
  decoded(obj) {
    if (!obj.mask) return null;
    let m = this.maskCache.get(obj.mask);
    if (!m) {
      m = rleDecode(obj.mask);
      this.maskCache.set(obj.mask, m);
    }
    return m;
  }

  maskGrid() {
    const a = this.aspect;
    return a >= 1 ? { width: MASK_LONG_SIDE, height: Math.max(1, Math.round(MASK_LONG_SIDE / a)) }
      : { width: Math.max(1, Math.round(MASK_LONG_SIDE * a)), height: MASK_LONG_SIDE };
  }

  overlayFor(mask, color) { return maskOverlay(mask, color); }

  stamp(mask, from, to, radiusPx, value) {
    const img = this.imageRect();
    stampDisc(mask, from, to, (radiusPx / img.w) * mask.width, (radiusPx / img.h) * mask.height, value);
  }

  // -- pointer --------------------------------------------------------------------------------------------------------
  onStageHover(p) {
    const obj = this.selected;
    if (obj && hitTestPathPoint(obj.path, p, this.imageRect()) >= 0) return "grab";
    return "crosshair";
  }

  onStageDown(p, e) {
    const inside = p.nx >= 0 && p.nx <= 1 && p.ny >= 0 && p.ny <= 1;
    let obj = this.selected;
    const pointIndex = obj ? hitTestPathPoint(obj.path, p, this.imageRect()) : -1;
    if (pointIndex >= 0 && !(TOOL_BY_NAME.get(this.tool).shiftAddsPoints && e.shiftKey)) {
      this.drag = { mode: "point", id: obj.id, index: pointIndex };
      this.selectedPoint = pointIndex;
      this.beginGesture(`move path point of #${obj.id}`);
      return;
    }
    if (!inside) return;
    // A stroke or an arrow with nothing selected makes its object: one edit with the stroke (one undo step).
    const created = () => {
      const { doc, id } = addObject(this.doc, [p.nx, p.ny]);
      this.selectedId = id;
      return { obj: doc.objects.find((o) => o.id === id), base: doc };
    };
    TOOL_BY_NAME.get(this.tool).down(this, p, e, obj, created);
  }

  /** Begin a brush (value 1) or eraser (0) drag on `obj`, editing document `base`. */
  startPaint(p, { obj, base }, value) {
    const current = this.decoded(obj);
    const grid = current ?? { ...this.maskGrid(), data: null };
    const mask = { width: grid.width, height: grid.height, data: current ? current.data.slice() : new Uint8Array(grid.width * grid.height) };
    this.drag = { mode: "paint", id: obj.id, mask, last: p, value };
    this.beginGesture(value ? `paint #${obj.id}` : `erase #${obj.id}`, base);
    this.stamp(mask, p, p, this.brushSize / 2, value);
    this.requestDraw();
  }

  /** Begin dragging an arrow from `p` for `obj`, editing document `base`. */
  startArrow(p, { obj, base }) {
    this.drag = { mode: "arrow", id: obj.id, start: [p.nx, p.ny] };
    this.beginGesture(`arrow for #${obj.id}`, base);
  }

  addPathPoint(obj, p) {
    this.commit(setPath(this.doc, obj.id, [...obj.path, [p.nx, p.ny]]), `add path point to #${obj.id}`);
  }

  onStageMove(p) {
    const d = this.drag;
    if (!d) return;
    const q = [clamp01(p.nx), clamp01(p.ny)];
    const outside = q[0] !== p.nx || q[1] !== p.ny;
    if (d.mode === "paint") {
      this.stamp(d.mask, d.last, p, this.brushSize / 2, d.value);
      d.last = p;
      this.requestDraw();
      return;
    }
    if (outside) this.showNotice("Clamped to the image edge: paths stay inside the picture", 1500);
    if (d.mode === "arrow") {
      this.preview(setPath(this.gesture.base, d.id, [d.start, q]));
    } else if (d.mode === "point") {
      const obj = this.gesture.base.objects.find((o) => o.id === d.id);
      const path = obj.path.map((pt, i) => (i === d.index ? q : pt));
      this.preview(setPath(this.gesture.base, d.id, path));
    }
  }

  onStageUp() {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.mode === "paint") {
      if (!d.mask.data.some((v) => v)) {
        this.cancelGesture();
        this.showNotice("A painted mask cannot be empty: delete the object, or tick “mask from input”");
        return;
      }
      this.preview(setMask(this.gesture.base, d.id, rleEncode(d.mask.data, d.mask.height, d.mask.width)));
    }
    this.endGesture();
  }

  // -- keys and menu --------------------------------------------------------------------------------------------------
  onKey(e, key) {
    const tool = TOOL_BY_KEY.get(key);
    if (tool) {
      this.setTool(tool.name);
      return true;
    }
    const obj = this.selected;
    if (!obj) return false;
    if (key === "Delete" || key === "Backspace") this.deleteSelected();
    else return false;
    return true;
  }

  deleteSelected() {
    const id = this.selectedId;
    this.selectedId = null;
    this.commit(deleteObject(this.doc, id), `delete object #${id}`);
  }

  objectAt(p) {
    for (const o of [...this.doc.objects].reverse()) {
      const m = this.decoded(o);
      if (m) {
        const x = Math.floor(p.nx * m.width);
        const y = Math.floor(p.ny * m.height);
        if (x >= 0 && y >= 0 && x < m.width && y < m.height && m.data[y * m.width + x]) return o;
      }
      if (hitTestPathPoint(o.path, p, this.imageRect()) >= 0) return o;
    }
    return null;
  }

  menuItems(p) {
    const obj = this.objectAt(p) || this.selected;
    const items = [{ label: "New object here", action: () => this.newObject([clamp01(p.nx), clamp01(p.ny)]) }];
    if (!obj) return items;
    this.select(obj.id);
    const idx = hitTestPathPoint(obj.path, p, this.imageRect());
    return [
      { label: `Anchor #${obj.id} here (static)`, action: () => this.commit(setPath(this.doc, obj.id, [[clamp01(p.nx), clamp01(p.ny)]]), `anchor #${obj.id}`) },
      { label: "Add path point here", action: () => this.commit(setPath(this.doc, obj.id, [...obj.path, [clamp01(p.nx), clamp01(p.ny)]]), `add path point to #${obj.id}`) },
      { label: "Delete this path point", disabled: idx < 0 || obj.path.length < 2,
        action: () => this.commit(setPath(this.doc, obj.id, obj.path.filter((_, i) => i !== idx)), `delete path point of #${obj.id}`) },
      { label: obj.mask ? "Take the mask from the MASK input" : "Paint the mask here instead",
        action: () => this.toggleInputMask(obj) },
      { label: `Delete object #${obj.id}`, action: () => this.deleteSelected() },
      ...items,
    ];
  }

  toggleInputMask(obj) {
    if (obj.mask) this.commit(setMask(this.doc, obj.id, null), `#${obj.id} mask from input`);
    else {
      this.setTool("brush");
      this.showNotice("Paint the object's region with the brush");
    }
  }

  helpRows() {
    return [
      ...TOOLS.map((t) => t.help),
      ["Drag a point", "move a path point"],
      ["Delete", "delete the selected object"],
      ["", "dots: sampled points (a preview), with tails"],
    ];
  }

  renderPanel() { return maskArrowPanel(this); }
}

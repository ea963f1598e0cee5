// The mask/arrow editor (for MaskArrowToTrajectories): per object a painted mask (or one from the node's MASK input)
// and an arrow, a multi-point path or a static anchor; shows the sampled points moving along the path, with tails.
// Framework-free: `new MaskArrowEditor(element, {value, onChange})` mounts it on any element.

import { EditorBase } from "./editor_base.js";
import { clamp01, hitTestPathPoint, normToLayout } from "./geometry.js";
import {
  addObject, deleteObject, displacementAt, emptyMaskArrows, isStatic, parseMaskArrows, rleDecode, rleEncode, samplePreviewPoints,
  serializeMaskArrows, setFrameCount, setMask, setObjectProps, setPath,
} from "./mask_arrow_document.js";
import { TIMINGS } from "./timing.js";
import { h, withAlpha } from "./ui.js";

const MASK_LONG_SIDE = 512; // painted masks are stored at most this big (Python resizes them to the generation size)
const TAIL = 4; // frames of tail behind each sampled point

/**
 * The tools, each in one place: its name, button label, shortcut key, tooltip, help line, and what a press on the
 * picture does (`down(editor, p, e, obj, created)`: `obj` is the selected object or null, `created()` makes a new one
 * at the pointer as part of the same edit). Moving and releasing follow the drag the press started (paint, arrow).
 * Adding a tool is adding an entry here.
 */
export const TOOLS = [
  {
    name: "brush", label: "Brush", key: "b", title: "Paint the selected object's mask (B)",
    help: ["B", "brush: paint the selected object's mask (with nothing selected, a new object)"],
    down: (ed, p, e, obj, created) => ed.startPaint(p, obj ?? created(), 1),
  },
  {
    name: "erase", label: "Erase", key: "e", title: "Erase from the selected object's mask (E)",
    help: ["E", "eraser: erase from the selected object's mask"],
    down: (ed, p, e, obj) => obj && ed.startPaint(p, { obj, base: ed.doc }, 0),
  },
  {
    name: "arrow", label: "Arrow", key: "a", title: "Drag an arrow for where the object goes; Shift+click adds a path point (A)",
    help: ["A", "arrow: drag from the object to where it goes; Shift+click adds a point (a multi-point path)"],
    shiftAddsPoints: true, // so Shift+click on an existing point adds one there instead of dragging it
    down: (ed, p, e, obj, created) => (obj && e.shiftKey ? ed.addPathPoint(obj, p) : ed.startArrow(p, obj ? { obj, base: ed.doc } : created())),
  },
  {
    name: "anchor", label: "Anchor", key: "n", title: "Click to pin the object still: a static anchor (N)",
    help: ["N", "anchor: click to pin the object still"],
    down: (ed, p, e, obj) => (obj ? ed.commit(setPath(ed.doc, obj.id, [[p.nx, p.ny]]), `anchor #${obj.id}`) : ed.newObject([p.nx, p.ny])),
  },
];
const TOOL_BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));
const TOOL_BY_KEY = new Map(TOOLS.map((t) => [t.key, t]));

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

  keyframeFrames() {
    const o = this.selected;
    return o ? [o.start_frame, o.end_frame] : [];
  }

  newObject(at = [0.5, 0.5]) {
    const { doc, id } = addObject(this.doc, at);
    this.selectedId = id;
    this.commit(doc, "new object");
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

  overlayFor(mask, color) {
    const c = document.createElement("canvas");
    c.width = mask.width;
    c.height = mask.height;
    const g = c.getContext("2d");
    const image = g.createImageData(mask.width, mask.height);
    const n = parseInt(color.slice(1), 16);
    const [r, gg, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    for (let i = 0; i < mask.data.length; i++) {
      if (!mask.data[i]) continue;
      image.data[4 * i] = r;
      image.data[4 * i + 1] = gg;
      image.data[4 * i + 2] = b;
      image.data[4 * i + 3] = 110;
    }
    g.putImageData(image, 0, 0);
    return c;
  }

  stamp(mask, from, to, radiusPx, value) {
    const img = this.imageRect();
    const rx = (radiusPx / img.w) * mask.width;
    const ry = (radiusPx / img.h) * mask.height;
    const steps = Math.max(1, Math.ceil(Math.hypot((to.nx - from.nx) * mask.width, (to.ny - from.ny) * mask.height) / Math.max(1, Math.min(rx, ry) / 2)));
    for (let s = 0; s <= steps; s++) {
      const cx = (from.nx + ((to.nx - from.nx) * s) / steps) * mask.width;
      const cy = (from.ny + ((to.ny - from.ny) * s) / steps) * mask.height;
      const x0 = Math.max(0, Math.floor(cx - rx));
      const x1 = Math.min(mask.width - 1, Math.ceil(cx + rx));
      const y0 = Math.max(0, Math.floor(cy - ry));
      const y1 = Math.min(mask.height - 1, Math.ceil(cy + ry));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const dx = (x + 0.5 - cx) / rx;
          const dy = (y + 0.5 - cy) / ry;
          if (dx * dx + dy * dy <= 1) mask.data[y * mask.width + x] = value;
        }
      }
    }
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

  // -- panel ----------------------------------------------------------------------------------------------------------
  renderPanel() {
    const doc = this.doc;
    const inputIndex = new Map();
    doc.objects.filter((o) => !o.mask).forEach((o, i) => inputIndex.set(o.id, i));
    const chips = doc.objects.map((o) => h("button", {
      text: `#${o.id}${o.label ? " " + o.label : ""}`, class: o.id === this.selectedId ? "td-on" : "", "data-object": String(o.id),
      style: { borderLeft: `5px solid ${o.color}` }, onclick: () => { this.select(o.id); this.focus(); },
    }));
    const obj = this.selected;
    if (!obj) {
      return [...chips, h("span", { class: "td-muted", text: doc.objects.length
        ? "Click a chip to edit an object." : "Paint a region with the brush, then draw its arrow (? for help)." })];
    }
    const frameInput = (field, title) => h("input", { type: "number", min: "0", max: String(doc.frame_count - 1), step: "1", value: String(obj[field]),
      title, "data-field": field, onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { [field]: parseInt(e.target.value, 10) || 0 }), field) });
    return [
      ...chips,
      h("label", {}, ["label", h("input", { type: "text", value: obj.label, size: "8", "data-field": "label",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { label: e.target.value }), "rename") })]),
      h("input", { type: "color", value: obj.color, "data-field": "color", title: "Colour",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { color: e.target.value }), "recolour") }),
      h("label", {}, ["timing", h("select", { "data-field": "timing",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { timing: e.target.value }), "timing") },
      TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === obj.timing })))]),
      h("label", { title: "The move starts on this frame" }, ["from", frameInput("start_frame", "First frame of the move")]),
      h("label", { title: "The move ends on this frame" }, ["to", frameInput("end_frame", "Last frame of the move")]),
      h("label", { title: "Take this object's mask from the node's MASK input (in order)" }, [
        h("input", { type: "checkbox", checked: !obj.mask, "data-field": "input-mask", onchange: () => this.toggleInputMask(obj) }),
        obj.mask ? "mask from input" : `mask from input #${inputIndex.get(obj.id)}`]),
      h("span", { class: "td-muted", text: isStatic(obj) ? "static anchor" : `path: ${obj.path.length} points` }),
      h("button", { text: "Delete", title: "Delete this object (Delete)", onclick: () => this.deleteSelected() }),
    ];
  }

  // -- drawing --------------------------------------------------------------------------------------------------------
  drawStage(ctx, img) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(img.x, img.y, img.w, img.h);
    ctx.clip();
    let inputIndex = 0;
    for (const obj of this.doc.objects) {
      const selected = obj.id === this.selectedId;
      const painting = this.drag && this.drag.mode === "paint" && this.drag.id === obj.id;
      const mask = painting ? this.drag.mask : this.decoded(obj);
      if (mask) ctx.drawImage(painting ? this.overlayFor(mask, obj.color) : this.cachedOverlay(obj, mask), img.x, img.y, img.w, img.h);
      else {
        const a = normToLayout({ x: obj.path[0][0], y: obj.path[0][1] }, img);
        ctx.font = "11px system-ui, sans-serif";
        ctx.fillStyle = obj.color;
        ctx.fillText(`mask from MASK input #${inputIndex}`, a.x + 8, a.y + 16);
        inputIndex++;
      }
      if (mask) this.drawPoints(ctx, img, obj, mask);
      this.drawPath(ctx, img, obj, selected);
    }
    ctx.restore();
  }

  cachedOverlay(obj, mask) {
    const key = obj.mask;
    let entry = this.sampleCache.get(key);
    if (!entry || entry.color !== obj.color) {
      entry = { color: obj.color, overlay: this.overlayFor(mask, obj.color), points: null };
      this.sampleCache.set(key, entry);
    }
    return entry.overlay;
  }

  drawPoints(ctx, img, obj, mask) {
    let points;
    const entry = obj.mask ? this.sampleCache.get(obj.mask) : null;
    if (entry && entry.points && entry.count === this.pointCount) points = entry.points;
    else {
      const index = this.doc.objects.indexOf(obj);
      points = samplePreviewPoints(mask, this.pointCount, this.seed, index);
      if (entry) Object.assign(entry, { points, count: this.pointCount });
    }
    const now = displacementAt(obj, this.frame);
    const tailFrom = Math.max(0, this.frame - TAIL);
    const past = displacementAt(obj, tailFrom);
    ctx.lineWidth = 1.5;
    for (const [x, y] of points) {
      const a = normToLayout({ x: x + past[0], y: y + past[1] }, img);
      const b = normToLayout({ x: x + now[0], y: y + now[1] }, img);
      if (tailFrom < this.frame) {
        ctx.strokeStyle = withAlpha(obj.color, 0.6);
        ctx.beginPath();
        for (let f = tailFrom; f <= this.frame; f++) {
          const d = displacementAt(obj, f);
          const q = normToLayout({ x: x + d[0], y: y + d[1] }, img);
          if (f === tailFrom) ctx.moveTo(q.x, q.y);
          else ctx.lineTo(q.x, q.y);
        }
        ctx.stroke();
      }
      void a;
      ctx.fillStyle = "#fff";
      ctx.beginPath();
      ctx.arc(b.x, b.y, 2.6, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = obj.color;
      ctx.beginPath();
      ctx.arc(b.x, b.y, 1.7, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  drawPath(ctx, img, obj, selected) {
    const pts = obj.path.map((p) => normToLayout({ x: p[0], y: p[1] }, img));
    ctx.strokeStyle = obj.color;
    ctx.fillStyle = obj.color;
    ctx.lineWidth = selected ? 3 : 2;
    if (isStatic(obj)) {
      const a = pts[0];
      ctx.beginPath();
      ctx.arc(a.x, a.y, 6, 0, Math.PI * 2);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(a.x - 9, a.y);
      ctx.lineTo(a.x + 9, a.y);
      ctx.moveTo(a.x, a.y - 9);
      ctx.lineTo(a.x, a.y + 9);
      ctx.stroke();
    } else {
      ctx.beginPath();
      pts.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
      ctx.stroke();
      const b = pts[pts.length - 1];
      const a = pts[pts.length - 2];
      const ang = Math.atan2(b.y - a.y, b.x - a.x);
      ctx.beginPath();
      ctx.moveTo(b.x, b.y);
      ctx.lineTo(b.x - 12 * Math.cos(ang - 0.45), b.y - 12 * Math.sin(ang - 0.45));
      ctx.lineTo(b.x - 12 * Math.cos(ang + 0.45), b.y - 12 * Math.sin(ang + 0.45));
      ctx.closePath();
      ctx.fill();
    }
    const tag = `#${obj.id}${obj.label ? " " + obj.label : ""}`;
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.fillText(tag, pts[0].x + 8, pts[0].y - 8);
    if (selected) {
      for (const p of pts) {
        ctx.fillStyle = "#fff";
        ctx.beginPath();
        ctx.arc(p.x, p.y, 4.5, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      }
    }
  }

  drawTimelineMarks(ctx, g) {
    for (const o of this.doc.objects) {
      const mine = o.id === this.selectedId;
      ctx.fillStyle = withAlpha(o.color, mine ? 0.7 : 0.35);
      const y = mine ? 4 : 12;
      ctx.fillRect(g.x(o.start_frame), y, Math.max(2, g.x(o.end_frame) - g.x(o.start_frame)), mine ? 6 : 3);
    }
  }
}

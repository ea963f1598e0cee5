// The box editor (TrackletEditor): a box per object, keyframes on a frame timeline, appear / disappear.
// Framework-free: `new TrackletEditor(element, {value, onChange})` mounts it on any element.

import { EditorBase } from "./editor_base.js";
import { CURSORS, clamp01, dragBox, hitTestBoxes, normToLayout } from "./geometry.js";
import { TIMINGS } from "./timing.js";
import {
  addKeyframe, addObject, appearAt, boxAt, clampBox, deleteKeyframe, deleteObject, disappearAfter, emptyTracklets, keyframeAt,
  parseTracklets, serializeTracklets, setBox, setFrameCount, setObjectProps, showAlways, toggleVisibleAt, visibleAt,
} from "./tracklet_document.js";
import { h, withAlpha } from "./ui.js";

const DEFAULT_BOX = 0.2; // Shift+click adds a box this big (normalised)
const CLICK_SLOP = 4; // layout px: less movement than this is a click

export class TrackletEditor extends EditorBase {
  get kindName() { return "tracklets"; }
  emptyDocument(frameCount = 14) { return emptyTracklets(frameCount); }
  parse(text) { return parseTracklets(text); }
  serialize(doc) { return serializeTracklets(doc); }
  retime(doc, count) { return setFrameCount(doc, count); }

  buildTools() {
    return [h("button", { text: "+ Box", title: "Add a box in the middle (or Shift+click on the image)", onclick: () => this.addBoxAt(0.5, 0.5) })];
  }

  keyframeFrames() { return this.selected ? this.selected.keyframes.map((k) => k.frame) : []; }

  items() {
    return this.doc.objects.map((o) => ({ id: o.id, box: boxAt(o, this.frame), obj: o }));
  }

  addBoxAt(nx, ny) {
    const half = DEFAULT_BOX / 2;
    const { box, clamped } = clampBox([nx - half, ny - half, nx + half, ny + half], "move");
    const { doc, id } = addObject(this.doc, box, this.frame);
    this.selectedId = id;
    this.commit(doc, "add box");
    if (clamped) this.showNotice("Clamped to the image edge");
  }

  // -- pointer --------------------------------------------------------------------------------------------------------
  onStageHover(p) {
    const hit = hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    return hit ? CURSORS[hit.part] : "crosshair";
  }

  onStageDown(p, e) {
    const hit = e.shiftKey ? null : hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    if (hit) {
      this.selectedId = hit.id;
      const obj = this.selected;
      this.drag = { mode: "edit", id: hit.id, part: hit.part, start: p, startBox: boxAt(obj, this.frame), moved: false };
      this.beginGesture(hit.part === "move" ? `move box #${hit.id}` : `resize box #${hit.id}`);
      this.refresh();
    } else {
      this.drag = { mode: "draw", start: p, end: p, shift: e.shiftKey };
    }
  }

  onStageMove(p) {
    const d = this.drag;
    if (!d) return;
    if (Math.hypot(p.x - d.start.x, p.y - d.start.y) >= CLICK_SLOP) d.moved = true;
    if (d.mode === "draw") {
      d.end = p;
      this.requestDraw();
      return;
    }
    if (!d.moved) return;
    const raw = dragBox(d.startBox, d.part, p.nx - d.start.nx, p.ny - d.start.ny);
    const { box, clamped } = clampBox(raw, d.part === "move" ? "move" : "resize");
    if (clamped) this.showNotice("Clamped to the image edge: boxes stay inside the picture", 1500);
    this.preview(setBox(this.gesture.beforeDoc, d.id, this.frame, box));
  }

  onStageUp(p) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.mode === "edit") {
      this.endGesture();
      return;
    }
    if (d.moved) {
      const a = { x: d.start.nx, y: d.start.ny };
      const raw = [Math.min(a.x, p.nx), Math.min(a.y, p.ny), Math.max(a.x, p.nx), Math.max(a.y, p.ny)];
      const clampedBox = raw.map(clamp01);
      const { box, clamped } = clampBox(clampedBox, "resize");
      const { doc, id } = addObject(this.doc, box, this.frame);
      this.selectedId = id;
      this.commit(doc, "draw box");
      if (clamped || raw.some((v, i) => v !== clampedBox[i])) this.showNotice("Clamped to the image edge: boxes stay inside the picture");
    } else if (d.shift) {
      this.addBoxAt(p.nx, p.ny);
    } else {
      this.select(null);
    }
  }

  // -- keyboard and menu ----------------------------------------------------------------------------------------------
  onKey(e, key) {
    const obj = this.selected;
    if (!obj) return false;
    if (key === "Delete" || key === "Backspace") this.deleteSelected();
    else if (key === "k" && !e.shiftKey) this.commit(addKeyframe(this.doc, obj.id, this.frame), `keyframe on frame ${this.frame}`);
    else if (key === "k" && e.shiftKey) this.removeKeyframe();
    else if (key === "h") this.commit(toggleVisibleAt(this.doc, obj.id, this.frame), `visibility on frame ${this.frame}`);
    else if (key === "[") this.commit(appearAt(this.doc, obj.id, this.frame), `appears on frame ${this.frame}`);
    else if (key === "]") this.commit(disappearAfter(this.doc, obj.id, this.frame), `disappears after frame ${this.frame}`);
    else return false;
    return true;
  }

  deleteSelected() {
    const id = this.selectedId;
    this.selectedId = null;
    this.commit(deleteObject(this.doc, id), `delete box #${id}`);
  }

  removeKeyframe() {
    const obj = this.selected;
    if (!obj || !keyframeAt(obj, this.frame)) return;
    if (obj.keyframes.length === 1) {
      this.showNotice("An object keeps at least one keyframe; delete the object instead");
      return;
    }
    this.commit(deleteKeyframe(this.doc, obj.id, this.frame), `remove keyframe on frame ${this.frame}`);
  }

  menuItems(p) {
    const hit = hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    if (!hit) return [{ label: "Add box here", action: () => this.addBoxAt(p.nx, p.ny) }];
    this.select(hit.id);
    const obj = this.selected;
    const f = this.frame;
    const key = keyframeAt(obj, f);
    const shown = visibleAt(obj, f);
    return [
      { label: `◆ Keyframe on frame ${f}`, disabled: !!key, action: () => this.commit(addKeyframe(this.doc, obj.id, f), `keyframe on frame ${f}`) },
      { label: `Remove keyframe on frame ${f}`, disabled: !key || obj.keyframes.length < 2, action: () => this.removeKeyframe() },
      { label: `Appears on frame ${f}`, action: () => this.commit(appearAt(this.doc, obj.id, f), `appears on frame ${f}`) },
      { label: `Disappears after frame ${f}`, action: () => this.commit(disappearAfter(this.doc, obj.id, f), `disappears after frame ${f}`) },
      { label: shown ? `Hide on frame ${f}` : `Show on frame ${f}`, action: () => this.commit(toggleVisibleAt(this.doc, obj.id, f), `visibility on frame ${f}`) },
      { label: "Visible on every frame", disabled: !obj.visibility, action: () => this.commit(showAlways(this.doc, obj.id), "always visible") },
      { label: obj.static ? "Let it move (not static)" : "Static (first box on every frame)",
        action: () => this.commit(setObjectProps(this.doc, obj.id, { static: !obj.static }), "static") },
      { label: "Rename…", action: () => this.panel.querySelector("[data-field=label]")?.focus() },
      { label: `Delete box #${obj.id}`, action: () => this.deleteSelected() },
    ];
  }

  helpRows() {
    return [
      ["Drag", "on empty image: draw a new box"],
      ["Shift+click", "add a box; Shift+drag draws one over others"],
      ["Drag a box", "move it; drag a handle to resize"],
      ["", "an edit on a frame without a keyframe adds one there"],
      ["K / Shift+K", "keyframe here / remove it"],
      ["[  ]", "appears on this frame / disappears after it"],
      ["H", "hide or show on this frame"],
      ["Delete", "delete the selected box"],
    ];
  }

  // -- panel ----------------------------------------------------------------------------------------------------------
  renderPanel() {
    const doc = this.doc;
    const chips = doc.objects.map((o) => h("button", {
      text: `#${o.id}${o.label ? " " + o.label : ""}`, title: "Select", class: o.id === this.selectedId ? "td-on" : "",
      style: { borderLeft: `5px solid ${o.color}` }, "data-object": String(o.id), onclick: () => { this.select(o.id); this.focus(); },
    }));
    const obj = this.selected;
    if (!obj) {
      return [...chips, h("span", { class: "td-muted", text: doc.objects.length
        ? "Click a box or a chip to edit it." : "Drag on the image to draw a box (? for help)." })];
    }
    const box = boxAt(obj, this.frame);
    const key = keyframeAt(obj, this.frame);
    const num = (i, name) => h("input", {
      type: "number", step: "0.001", min: "0", max: "1", value: box[i].toFixed(4), title: `${name} (0 = left/top, 1 = right/bottom)`,
      "data-field": name, onchange: (e) => this.typeCoordinate(i, parseFloat(e.target.value)),
    });
    const curve = h("select", { "data-field": "interpolation", title: "Timing curve between keyframes",
      onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { interpolation: e.target.value }), "timing curve") },
    TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === obj.interpolation })));
    return [
      ...chips,
      h("label", { title: "Label (class name)" }, ["label", h("input", { type: "text", value: obj.label, size: "8", "data-field": "label",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { label: e.target.value }), "rename") })]),
      h("input", { type: "color", value: obj.color, title: "Colour (also the object's identity cue for TrackDiffusion)", "data-field": "color",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { color: e.target.value }), "recolour") }),
      h("label", {}, ["curve", curve]),
      h("label", { title: "The first box holds on every frame" }, [h("input", { type: "checkbox", checked: obj.static, "data-field": "static",
        onchange: (e) => this.commit(setObjectProps(this.doc, obj.id, { static: e.target.checked }), "static") }), "static"]),
      h("span", { class: "td-muted", text: key ? `◆ key ${this.frame}` : `frame ${this.frame}` }),
      num(0, "x1"), num(1, "y1"), num(2, "x2"), num(3, "y2"),
      h("button", { text: "◆ Key", title: "Keyframe on this frame (K)", disabled: !!key,
        onclick: () => this.commit(addKeyframe(this.doc, obj.id, this.frame), `keyframe on frame ${this.frame}`) }),
      h("button", { text: "✕ Key", title: "Remove this frame's keyframe (Shift+K)", disabled: !key || obj.keyframes.length < 2,
        onclick: () => this.removeKeyframe() }),
      h("button", { text: "[ Appears", title: "Appears on this frame ([)",
        onclick: () => this.commit(appearAt(this.doc, obj.id, this.frame), `appears on frame ${this.frame}`) }),
      h("button", { text: "Gone ]", title: "Disappears after this frame (])",
        onclick: () => this.commit(disappearAfter(this.doc, obj.id, this.frame), `disappears after frame ${this.frame}`) }),
      h("button", { text: "Always", title: "Visible on every frame", disabled: !obj.visibility,
        onclick: () => this.commit(showAlways(this.doc, obj.id), "always visible") }),
      h("button", { text: "Delete", title: "Delete this box (Delete)", onclick: () => this.deleteSelected() }),
    ];
  }

  typeCoordinate(index, value) {
    const obj = this.selected;
    if (!obj) return;
    if (!Number.isFinite(value)) {
      this.showNotice("Type a number between 0 and 1");
      this.refresh();
      return;
    }
    const box = boxAt(obj, this.frame);
    box[index] = value;
    const inside = box.map(clamp01);
    const { box: fixed, clamped } = clampBox(inside, "resize");
    if (clamped || inside[index] !== value) this.showNotice("Clamped: boxes stay inside the picture with x1 < x2 and y1 < y2");
    this.commit(setBox(this.doc, obj.id, this.frame, fixed), "typed coordinates");
  }

  // -- drawing --------------------------------------------------------------------------------------------------------
  drawStage(ctx, img) {
    const doc = this.doc;
    ctx.save();
    ctx.beginPath();
    ctx.rect(img.x - 1, img.y - 1, img.w + 2, img.h + 2);
    ctx.clip();
    const order = [...doc.objects].sort((a, b) => (a.id === this.selectedId) - (b.id === this.selectedId));
    for (const obj of order) this.drawObject(ctx, img, obj, obj.id === this.selectedId);
    const d = this.drag;
    if (d && d.mode === "draw" && d.moved) {
      const a = normToLayout({ x: clamp01(d.start.nx), y: clamp01(d.start.ny) }, img);
      const b = normToLayout({ x: clamp01(d.end.nx), y: clamp01(d.end.ny) }, img);
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
      ctx.setLineDash([]);
    }
    ctx.restore();
  }

  drawObject(ctx, img, obj, selected) {
    const box = boxAt(obj, this.frame);
    const shown = visibleAt(obj, this.frame);
    const a = normToLayout({ x: box[0], y: box[1] }, img);
    const b = normToLayout({ x: box[2], y: box[3] }, img);
    if (selected && this.doc.frame_count > 1) this.drawMotionPath(ctx, img, obj);
    ctx.globalAlpha = shown ? 1 : 0.45;
    ctx.setLineDash(shown ? [] : [6, 4]);
    ctx.fillStyle = withAlpha(obj.color, selected ? 0.18 : 0.1);
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.strokeStyle = obj.color;
    ctx.lineWidth = selected ? 2.5 : 2;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.setLineDash([]);
    const key = keyframeAt(obj, this.frame) || (obj.static && obj.keyframes[0]);
    const tag = `${key ? "◆ " : ""}#${obj.id}${obj.label ? " " + obj.label : ""}${shown ? "" : " (hidden)"}`;
    ctx.font = "bold 11px system-ui, sans-serif";
    const tw = ctx.measureText(tag).width + 8;
    const ty = a.y - 16 >= img.y ? a.y - 16 : a.y;
    ctx.fillStyle = obj.color;
    ctx.fillRect(a.x, ty, tw, 16);
    ctx.fillStyle = "#fff";
    ctx.fillText(tag, a.x + 4, ty + 12);
    ctx.globalAlpha = 1;
    if (selected) {
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = obj.color;
      ctx.lineWidth = 1.5;
      const mx = (a.x + b.x) / 2;
      const my = (a.y + b.y) / 2;
      for (const [x, y] of [[a.x, a.y], [mx, a.y], [b.x, a.y], [b.x, my], [b.x, b.y], [mx, b.y], [a.x, b.y], [a.x, my]]) {
        ctx.fillRect(x - 4, y - 4, 8, 8);
        ctx.strokeRect(x - 4, y - 4, 8, 8);
      }
    }
  }

  /** The selected box's centre on every timeline frame: dots, diamonds on keyframes. */
  drawMotionPath(ctx, img, obj) {
    const n = this.doc.frame_count;
    const centres = [];
    for (let f = 0; f < n; f++) {
      const b = boxAt(obj, f);
      centres.push(normToLayout({ x: (b[0] + b[2]) / 2, y: (b[1] + b[3]) / 2 }, img));
    }
    ctx.strokeStyle = withAlpha(obj.color, 0.8);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    centres.forEach((c, i) => (i ? ctx.lineTo(c.x, c.y) : ctx.moveTo(c.x, c.y)));
    ctx.stroke();
    const keys = new Set(obj.keyframes.map((k) => k.frame));
    centres.forEach((c, f) => {
      ctx.fillStyle = f === this.frame ? "#fff" : obj.color;
      if (keys.has(f)) {
        ctx.beginPath();
        ctx.moveTo(c.x, c.y - 5);
        ctx.lineTo(c.x + 5, c.y);
        ctx.lineTo(c.x, c.y + 5);
        ctx.lineTo(c.x - 5, c.y);
        ctx.closePath();
        ctx.fill();
      } else {
        ctx.fillRect(c.x - 1.5, c.y - 1.5, 3, 3);
      }
    });
  }

  drawTimelineMarks(ctx, g, H) {
    const obj = this.selected;
    for (const o of this.doc.objects) {
      const mine = o === obj;
      if (mine) {
        ctx.fillStyle = withAlpha(o.color, 0.45);
        for (let f = 0; f < g.n; f++) {
          if (!visibleAt(o, f)) continue;
          const x0 = g.n > 1 ? g.x(f) - g.step / 2 : g.left;
          const w = g.n > 1 ? g.step : g.right - g.left;
          ctx.fillRect(Math.max(g.left - 4, x0), 4, w, 6);
        }
      }
      ctx.fillStyle = mine ? o.color : withAlpha(o.color, 0.6);
      const r = mine ? 5 : 3;
      const y = mine ? 7 : 15;
      for (const k of o.keyframes) {
        const x = g.x(k.frame);
        ctx.beginPath();
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r, y);
        ctx.lineTo(x, y + r);
        ctx.lineTo(x - r, y);
        ctx.closePath();
        ctx.fill();
      }
    }
  }
}

// The camera layer, in both editors: keys of pan, zoom and rotation about a centre (the document's "camera", see
// camera.js). On the stage it is a dashed frame outline and a faint grid: where the first frame's picture is on screen
// at this frame, so the scene's motion shows while the objects stay drawn in scene coordinates. On the timeline it has
// its own row of key diamonds. While the layer is active ("Camera" in the toolbar), a drag on the picture pans the
// camera on this frame (Shift+drag zooms), K / Shift+K add or remove a key, and the panel holds the key's numbers.

import {
  MAX_PAN, MAX_ROTATION, MAX_ZOOM, MIN_ZOOM, cameraAt, cameraKeyAt, clampKey, deleteCameraKey, normalizedMatrix,
  moveCameraKey, removeCamera, setCameraKey, setCameraProps,
} from "./camera.js";
import { normToLayout } from "./geometry.js";
import { TIMINGS } from "./timing.js";
import { keyFrameField, labelled, numberField } from "./numeric_fields.js";
import { diamond } from "./timeline.js";
import { h } from "./ui.js";

const COLOR = "#f0c040";
const GRID = 8; // grid lines across the shorter side

/** A normalised matrix as a canvas transform in the stage's layout pixels (for ctx.transform / setTransform). */
export function layoutTransform(m, img) {
  const [[a, b, tx], [c, d, ty]] = m;
  const bx = (b * img.w) / img.h;
  const cy = (c * img.h) / img.w;
  return [a, cy, bx, d, img.x + img.w * tx - a * img.x - bx * img.y, img.y + img.h * ty - cy * img.x - d * img.y];
}

export class CameraLayer {
  constructor(editor) {
    this.ed = editor;
    this.row = "camera";
    this.active = false;
    this.drag = null;
    this.button = h("button", { text: "Camera", "data-tool": "camera", title: "Edit the camera layer: drag pans, Shift+drag zooms (C)",
      onclick: () => this.setActive(!this.active) });
  }

  get camera() { return this.ed.doc?.camera ?? null; }

  setActive(on) {
    this.active = on;
    this.button.classList.toggle("td-on", on);
    this.ed.onLayerChanged?.();
    this.ed.refresh();
  }

  keyframeFrames() { return this.active && this.camera ? this.camera.keyframes.map((k) => k.frame) : []; }

  /** The camera's normalised matrix on the current frame (null without a camera). */
  matrix(t = this.ed.frame) {
    if (!this.camera) return null;
    const [w, hgt] = this.ed.frameSize();
    return normalizedMatrix(this.camera, t, w, hgt);
  }

  // -- drawing --------------------------------------------------------------------------------------------------------
  drawStage(ctx, img) {
    const m = this.matrix();
    if (!m) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(img.x, img.y, img.w, img.h);
    ctx.clip();
    ctx.transform(...layoutTransform(m, img));
    const step = Math.min(img.w, img.h) / GRID;
    ctx.strokeStyle = `rgba(240,192,64,${this.active ? 0.35 : 0.18})`;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = img.x + step; x < img.x + img.w - 1; x += step) {
      ctx.moveTo(x, img.y);
      ctx.lineTo(x, img.y + img.h);
    }
    for (let y = img.y + step; y < img.y + img.h - 1; y += step) {
      ctx.moveTo(img.x, y);
      ctx.lineTo(img.x + img.w, y);
    }
    ctx.stroke();
    ctx.strokeStyle = COLOR;
    ctx.lineWidth = this.active ? 2.5 : 1.5;
    ctx.setLineDash([8, 5]);
    ctx.strokeRect(img.x + 1, img.y + 1, img.w - 2, img.h - 2);
    ctx.setLineDash([]);
    ctx.restore();
    if (this.active) {
      const c = normToLayout({ x: this.camera.center[0], y: this.camera.center[1] }, img);
      ctx.strokeStyle = COLOR;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(c.x, c.y, 5, 0, Math.PI * 2);
      ctx.moveTo(c.x - 9, c.y);
      ctx.lineTo(c.x + 9, c.y);
      ctx.moveTo(c.x, c.y - 9);
      ctx.lineTo(c.x, c.y + 9);
      ctx.stroke();
    }
  }

  drawTimeline(ctx, g, row) {
    const y = row.top + row.height / 2;
    ctx.fillStyle = this.active ? "rgba(240,192,64,0.25)" : "rgba(240,192,64,0.1)";
    ctx.fillRect(g.left - 4, row.top + 1, g.right - g.left + 8, row.height - 2);
    if (!this.camera) return;
    ctx.fillStyle = COLOR;
    for (const k of this.camera.keyframes) diamond(ctx, g.x(k.frame), y, this.active ? 4 : 3);
  }

  // -- pointer (while active) -----------------------------------------------------------------------------------------
  onStageHover() { return "move"; }

  onStageDown(p, e) {
    const now = this.camera ? cameraAt(this.camera, this.ed.frame) : { pan: [0, 0], zoom: 1, rotation: 0 };
    this.drag = { start: p, now, zoom: e.shiftKey };
    this.ed.beginGesture(e.shiftKey ? `camera zoom on frame ${this.ed.frame}` : `camera pan on frame ${this.ed.frame}`);
  }

  onStageMove(p) {
    const d = this.drag;
    if (!d) return;
    const values = d.zoom
      ? { zoom: d.now.zoom * Math.exp(-(p.ny - d.start.ny) * 2) }
      : { pan: [d.now.pan[0] + (p.nx - d.start.nx), d.now.pan[1] + (p.ny - d.start.ny)] };
    const { clamped } = clampKey({ ...d.now, ...values });
    if (clamped) this.ed.showNotice(`Clamped: pan stays within ±${MAX_PAN}, zoom within ${MIN_ZOOM}–${MAX_ZOOM}`, 1500);
    this.ed.preview(setCameraKey(this.ed.gesture.beforeDoc, this.ed.frame, values));
  }

  onStageUp() {
    this.drag = null;
    this.ed.endGesture();
  }

  onKey(e, key) {
    if (key === "k" && !e.shiftKey) this.addKey();
    else if (key === "k" && e.shiftKey) this.removeKey();
    else return false;
    return true;
  }

  addKey(frame = this.ed.frame) {
    if (cameraKeyAt(this.camera, frame)) return;
    this.ed.commit(setCameraKey(this.ed.doc, frame, {}), `camera key on frame ${frame}`);
  }

  removeKey(frame = this.ed.frame) {
    if (!cameraKeyAt(this.camera, frame)) return;
    this.ed.commit(deleteCameraKey(this.ed.doc, frame), `remove camera key on frame ${frame}`);
  }

  moveKey(from, to) {
    if (cameraKeyAt(this.camera, to)) {
      this.ed.showNotice(`Frame ${to} has a camera key already`);
      this.ed.refresh();
      return false;
    }
    return this.ed.commit(moveCameraKey(this.ed.doc, from, to), `camera key ${from} to frame ${to}`);
  }

  menuItems() {
    const f = this.ed.frame;
    const key = cameraKeyAt(this.camera, f);
    return [
      { label: `◆ Camera key on frame ${f}`, disabled: !!key, action: () => this.addKey(f) },
      { label: `Remove camera key on frame ${f}`, disabled: !key, action: () => this.removeKey(f) },
      { label: "Remove the camera layer (a still camera)", disabled: !this.camera,
        action: () => this.ed.commit(removeCamera(this.ed.doc), "remove camera") },
    ];
  }

  /** The camera's values on this frame now (typed fields read them when applied: the panel is not redrawn while typing). */
  now() {
    return this.camera ? cameraAt(this.camera, this.ed.frame) : { pan: [0, 0], zoom: 1, rotation: 0 };
  }

  // -- panel: the key on this frame, as numbers -----------------------------------------------------------------------
  renderPanel() {
    const ed = this.ed;
    const f = ed.frame;
    const cam = this.camera;
    const now = cam ? cameraAt(cam, f) : { pan: [0, 0], zoom: 1, rotation: 0 };
    const key = cameraKeyAt(cam, f);
    const [W, H] = ed.frameSize();
    const typed = (values, label) => {
      const { clamped } = clampKey({ ...this.now(), ...values });
      if (clamped) ed.showNotice(`Clamped: pan within ±${MAX_PAN}, zoom ${MIN_ZOOM}–${MAX_ZOOM}, rotation ±${MAX_ROTATION}°`);
      ed.commit(setCameraKey(ed.doc, f, values), label);
    };
    const num = (field, value, step, title, apply) => numberField(ed, field, value, { step, title, digits: 6 }, apply);
    const label = labelled;
    return [
      h("span", { class: "td-muted", style: { color: COLOR }, text: key ? `camera ◆ key ${f}` : `camera, frame ${f}` }),
      label("pan x", num("camera-pan-x", now.pan[0], 0.001, "Pan right, fraction of the width", (v) => typed({ pan: [v, this.now().pan[1]] }, "typed camera pan"))),
      label("px", num("camera-pan-x-px", now.pan[0] * W, 1, `Pan right in pixels of ${W}×${H}`, (v) => typed({ pan: [v / W, this.now().pan[1]] }, "typed camera pan"))),
      label("pan y", num("camera-pan-y", now.pan[1], 0.001, "Pan down, fraction of the height", (v) => typed({ pan: [this.now().pan[0], v] }, "typed camera pan"))),
      label("px", num("camera-pan-y-px", now.pan[1] * H, 1, `Pan down in pixels of ${W}×${H}`, (v) => typed({ pan: [this.now().pan[0], v / H] }, "typed camera pan"))),
      label("zoom", num("camera-zoom", now.zoom, 0.01, "Zoom (1 = none, 2 = twice as large)", (v) => typed({ zoom: v }, "typed camera zoom"))),
      label("rot°", num("camera-rotation", now.rotation, 0.5, "Rotation in degrees (positive: clockwise on screen)", (v) => typed({ rotation: v }, "typed camera rotation"))),
      label("curve", h("select", { "data-field": "camera-interpolation", title: "Timing curve between camera keys",
        disabled: !cam, onchange: (e) => ed.commit(setCameraProps(ed.doc, { interpolation: e.target.value }), "camera curve") },
      TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === (cam?.interpolation ?? "linear") })))),
      label("centre", num("camera-center-x", cam ? cam.center[0] : 0.5, 0.01, "Centre of zoom and rotation, x (0–1)",
        (v) => ed.commit(setCameraProps(setCameraKey(ed.doc, f, {}), { center: [v, cam ? cam.center[1] : 0.5] }), "camera centre"))),
      num("camera-center-y", cam ? cam.center[1] : 0.5, 0.01, "Centre of zoom and rotation, y (0–1)",
        (v) => ed.commit(setCameraProps(setCameraKey(ed.doc, f, {}), { center: [cam ? cam.center[0] : 0.5, v] }), "camera centre")),
      ...(key ? [keyFrameField(ed, "camera-key-frame", f, (to) => this.moveKey(f, to)),
        label("key curve", h("select", { "data-field": "camera-key-interpolation", title: "This key's curve to the next (hold: keep it until the next key)",
          onchange: (e) => ed.commit(setCameraProps(ed.doc, { keyInterpolation: { frame: f, curve: e.target.value || null } }), "camera key curve") },
        [h("option", { value: "", text: "(camera's)", selected: !key.interpolation }),
          ...TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === key.interpolation }))]))] : []),
      h("button", { text: "◆ Key", title: "Camera key on this frame (K)", disabled: !!key, onclick: () => this.addKey() }),
      h("button", { text: "✕ Key", title: "Remove this frame's camera key (Shift+K)", disabled: !key, onclick: () => this.removeKey() }),
      h("button", { text: "No camera", title: "Remove the camera layer", disabled: !cam,
        onclick: () => ed.commit(removeCamera(ed.doc), "remove camera") }),
    ];
  }
}


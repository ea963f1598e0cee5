// The timeline: a strip under the stage with a tick per frame, a row per layer (objects, camera) and the current
// frame's cursor. Clicking or dragging on it scrubs. Layers draw their own rows through `drawTimeline(ctx, g, row)`.

import { h } from "./ui.js";

export const ROW_HEIGHT = { objects: 18, camera: 9 };

export class Timeline {
  constructor(editor) {
    this.editor = editor;
    this.canvas = h("canvas", { "data-role": "timeline" });
    this.element = h("div", { class: "td-timeline", title: "Timeline: click or drag to scrub" }, [this.canvas]);
    this.canvas.addEventListener("pointerdown", (e) => this.pointer(e));
    this.canvas.addEventListener("pointermove", (e) => this.pointer(e));
  }

  // -- playback -----------------------------------------------------------------------------------------------------------
  play() {
    const ed = this.editor;
    if (!ed.doc || ed.doc.frame_count < 2) return;
    ed.playing = true;
    const fps = ed.options.fps || 8;
    let last = performance.now();
    const step = (now) => {
      if (!ed.playing) return;
      if (now - last >= 1000 / fps) {
        last = now;
        ed.frame = (ed.frame + 1) % ed.doc.frame_count;
        ed.refresh();
      }
      this.playHandle = requestAnimationFrame(step);
    };
    this.playHandle = requestAnimationFrame(step);
    ed.refresh();
  }

  stop() {
    const ed = this.editor;
    ed.playing = false;
    if (this.playHandle) cancelAnimationFrame(this.playHandle);
    this.playHandle = null;
    if (ed.panels) ed.refresh();
  }

  pointer(e) {
    const ed = this.editor;
    if (e.type === "pointermove" && !(e.buttons & 1)) return;
    if (e.button === 1 || !ed.doc) return;
    e.stopPropagation();
    e.preventDefault();
    if (e.type === "pointerdown") {
      ed.focus();
      ed.stopPlay();
      this.canvas.setPointerCapture?.(e.pointerId);
      // A press on the camera's row makes the camera layer active (and one on the objects' row, the objects).
      const y = ed.eventPoint(e, this.canvas).y;
      const camera = y >= ROW_HEIGHT.objects && y < ROW_HEIGHT.objects + ROW_HEIGHT.camera;
      if (ed.cameraLayer && y < ROW_HEIGHT.objects + ROW_HEIGHT.camera && camera !== ed.cameraLayer.active) {
        ed.cameraLayer.setActive(camera);
      }
    }
    ed.setFrame(this.frameAt(ed.eventPoint(e, this.canvas).x));
  }

  /** Where frames sit: `x(f)` in layout px, `step` between frames, `n` frames. */
  geometry() {
    const w = this.element.clientWidth;
    const n = this.editor.doc ? this.editor.doc.frame_count : 1;
    const left = 10;
    const right = w - 10;
    const step = n > 1 ? (right - left) / (n - 1) : 0;
    return { left, right, step, n, x: (f) => (n > 1 ? left + f * step : (left + right) / 2) };
  }

  frameAt(x) {
    const g = this.geometry();
    return g.n > 1 ? Math.round((x - g.left) / g.step) : 0;
  }

  fit(dpr) {
    const w = Math.max(1, Math.round(this.element.clientWidth * dpr));
    const hh = Math.max(1, Math.round(this.element.clientHeight * dpr));
    if (this.canvas.width === w && this.canvas.height === hh) return;
    this.canvas.width = w;
    this.canvas.height = hh;
  }

  draw(dpr, layers) {
    const ed = this.editor;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (!ed.doc) return;
    const g = this.geometry();
    const H = this.element.clientHeight;
    this.drawTicks(ctx, g, H);
    let top = 0;
    for (const layer of layers) {
      const height = ROW_HEIGHT[layer.row] ?? 0;
      if (!height) continue;
      layer.drawTimeline?.(ctx, g, { top, height, H });
      top += height;
    }
    const x = g.x(ed.frame);
    ctx.fillStyle = "#e8e8e8";
    ctx.fillRect(Math.round(x) - 1, 0, 2, H);
  }

  drawTicks(ctx, g, H) {
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
  }
}

/** A keyframe diamond of radius `r` centred at (x, y). */
export function diamond(ctx, x, y, r) {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  ctx.fill();
}

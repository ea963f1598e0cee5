// The box editor's objects layer: each object's box on the current frame (dashed where hidden), the selected box's
// handles and its centre's path over the timeline, the box being drawn; on the timeline, keyframe diamonds and the
// selected object's visible frames.

import { clamp01, normToLayout } from "./geometry.js";
import { diamond } from "./timeline.js";
import { boxAt, keyframeAt, screenBoxAt, visibleAt } from "./tracklet_document.js";
import { withAlpha } from "./ui.js";

export class BoxLayer {
  constructor(editor) {
    this.ed = editor;
    this.row = "objects";
  }

  /** The box drawn for `obj` at frame f: where it is in the scene, or in the preview where the model gets it. */
  boxOf(obj, f) {
    if (!this.ed.screenMatrix()) return { box: boxAt(obj, f), onScreen: true };
    const [w, hh] = this.ed.frameSize();
    return screenBoxAt(this.ed.doc, obj, f, w, hh);
  }

  keyframeFrames() { return this.ed.selected ? this.ed.selected.keyframes.map((k) => k.frame) : []; }

  drawStage(ctx, img) {
    const doc = this.ed.doc;
    ctx.save();
    ctx.beginPath();
    ctx.rect(img.x - 1, img.y - 1, img.w + 2, img.h + 2);
    ctx.clip();
    const order = [...doc.objects].sort((a, b) => (a.id === this.ed.selectedId) - (b.id === this.ed.selectedId));
    for (const obj of order) this.drawObject(ctx, img, obj, obj.id === this.ed.selectedId);
    const d = this.ed.drag;
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
    const { box, onScreen } = this.boxOf(obj, this.ed.frame);
    const shown = visibleAt(obj, this.ed.frame) && onScreen;
    const a = normToLayout({ x: box[0], y: box[1] }, img);
    const b = normToLayout({ x: box[2], y: box[3] }, img);
    if (selected && this.ed.doc.frame_count > 1) this.drawMotionPath(ctx, img, obj);
    ctx.globalAlpha = shown ? 1 : 0.45;
    ctx.setLineDash(shown ? [] : [6, 4]);
    ctx.fillStyle = withAlpha(obj.color, selected ? 0.18 : 0.1);
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.strokeStyle = obj.color;
    ctx.lineWidth = selected ? 2.5 : 2;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.setLineDash([]);
    const key = keyframeAt(obj, this.ed.frame) || (obj.static && obj.keyframes[0]);
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
    const n = this.ed.doc.frame_count;
    const centres = [];
    for (let f = 0; f < n; f++) {
      const b = this.boxOf(obj, f).box;
      centres.push(normToLayout({ x: (b[0] + b[2]) / 2, y: (b[1] + b[3]) / 2 }, img));
    }
    ctx.strokeStyle = withAlpha(obj.color, 0.8);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    centres.forEach((c, i) => (i ? ctx.lineTo(c.x, c.y) : ctx.moveTo(c.x, c.y)));
    ctx.stroke();
    const keys = new Set(obj.keyframes.map((k) => k.frame));
    centres.forEach((c, f) => {
      ctx.fillStyle = f === this.ed.frame ? "#fff" : obj.color;
      if (keys.has(f)) {
        diamond(ctx, c.x, c.y, 5);
      } else {
        ctx.fillRect(c.x - 1.5, c.y - 1.5, 3, 3);
      }
    });
  }

  drawTimeline(ctx, g, row) {
    const obj = this.ed.selected;
    for (const o of this.ed.doc.objects) {
      const mine = o === obj;
      if (mine) {
        ctx.fillStyle = withAlpha(o.color, 0.45);
        for (let f = 0; f < g.n; f++) {
          if (!visibleAt(o, f)) continue;
          const x0 = g.n > 1 ? g.x(f) - g.step / 2 : g.left;
          const w = g.n > 1 ? g.step : g.right - g.left;
          ctx.fillRect(Math.max(g.left - 4, x0), row.top + 4, w, 6);
        }
      }
      ctx.fillStyle = mine ? o.color : withAlpha(o.color, 0.6);
      const r = mine ? 5 : 3;
      const y = mine ? 7 : 15;
      for (const k of o.keyframes) {
        diamond(ctx, g.x(k.frame), row.top + y, r);
      }
    }
  }
}

// The mask/arrow editor's objects layer: each object's mask (tinted), its sampled points moving along the path with
// short tails (a preview of the node's sampling), its arrow or path (a cross for a static anchor); on the timeline, each
// object's move from its start to its end frame.

import { applyMatrix } from "./camera.js";
import { layoutTransform } from "./camera_layer.js";
import { normToLayout } from "./geometry.js";
import { isStatic, samplePreviewPoints, screenPointAt } from "./mask_arrow_document.js";
import { withAlpha } from "./ui.js";

const TAIL = 4; // frames of tail behind each sampled point

export class MaskArrowLayer {
  constructor(editor) {
    this.ed = editor;
    this.row = "objects";
  }

  /** In the preview, the camera's normalised matrix at frame f for `obj` (a function of f; null in the scene view and
   *  for a screen anchor, which the camera does not move). */
  cameraOf(obj) {
    if (!this.ed.screenMatrix() || obj.anchor === "screen") return null;
    const layer = this.ed.cameraLayer;
    return (f) => layer.matrix(f);
  }

  /** Where the scene point `p` of `obj` is drawn at frame f: moved along the path, and by the camera in the preview. */
  at(obj, p, f) {
    const camera = this.cameraOf(obj);
    const q = screenPointAt(camera ? this.ed.doc : {}, obj, p, f, 1, 1, camera ? camera(f) : null);
    return q;
  }

  keyframeFrames() {
    const o = this.ed.selected;
    return o ? [o.start_frame, o.end_frame] : [];
  }

  drawStage(ctx, img) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(img.x, img.y, img.w, img.h);
    ctx.clip();
    let inputIndex = 0;
    for (const obj of this.ed.doc.objects) {
      const selected = obj.id === this.ed.selectedId;
      const painting = this.ed.drag && this.ed.drag.mode === "paint" && this.ed.drag.id === obj.id;
      const mask = painting ? this.ed.drag.mask : this.ed.decoded(obj);
      const camera = this.cameraOf(obj);
      if (mask) {
        ctx.save();
        if (camera) ctx.transform(...layoutTransform(camera(this.ed.frame), img));
        ctx.drawImage(painting ? this.ed.overlayFor(mask, obj.color) : this.cachedOverlay(obj, mask), img.x, img.y, img.w, img.h);
        ctx.restore();
      } else if (obj.shape === "point") {
        this.drawPoints(ctx, img, obj, null);
      } else {
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
    let entry = this.ed.sampleCache.get(key);
    if (!entry || entry.color !== obj.color) {
      entry = { color: obj.color, overlay: this.ed.overlayFor(mask, obj.color), points: null };
      this.ed.sampleCache.set(key, entry);
    }
    return entry.overlay;
  }

  drawPoints(ctx, img, obj, mask) {
    let points;
    const entry = mask ? null : { points: [obj.path[0]], count: this.ed.pointCount }; // a point object is its one point
    if (entry) points = entry.points;
    else points = this.sampled(obj, mask);
    this.drawMovingPoints(ctx, img, obj, points);
  }

  sampled(obj, mask) {
    let points;
    const entry = obj.mask ? this.ed.sampleCache.get(obj.mask) : null;
    if (entry && entry.points && entry.count === this.ed.pointCount) points = entry.points;
    else {
      const index = this.ed.doc.objects.indexOf(obj);
      points = samplePreviewPoints(mask, this.ed.pointCount, this.ed.seed, index);
      if (entry) Object.assign(entry, { points, count: this.ed.pointCount });
    }
    return points;
  }

  drawMovingPoints(ctx, img, obj, points) {
    const tailFrom = Math.max(0, this.ed.frame - TAIL);
    ctx.lineWidth = 1.5;
    for (const [x, y] of points) {
      const bn = this.at(obj, [x, y], this.ed.frame);
      const b = normToLayout({ x: bn[0], y: bn[1] }, img);
      if (tailFrom < this.ed.frame) {
        ctx.strokeStyle = withAlpha(obj.color, 0.6);
        ctx.beginPath();
        for (let f = tailFrom; f <= this.ed.frame; f++) {
          const d = this.at(obj, [x, y], f);
          const q = normToLayout({ x: d[0], y: d[1] }, img);
          if (f === tailFrom) ctx.moveTo(q.x, q.y);
          else ctx.lineTo(q.x, q.y);
        }
        ctx.stroke();
      }
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
    const camera = this.cameraOf(obj);
    const m = camera ? camera(this.ed.frame) : null;
    const pts = obj.path.map((p) => (m ? applyMatrix(m, p) : p)).map((p) => normToLayout({ x: p[0], y: p[1] }, img));
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

  drawTimeline(ctx, g, row) {
    for (const o of this.ed.doc.objects) {
      const mine = o.id === this.ed.selectedId;
      ctx.fillStyle = withAlpha(o.color, mine ? 0.7 : 0.35);
      const y = row.top + (mine ? 4 : 12);
      ctx.fillRect(g.x(o.start_frame), y, Math.max(2, g.x(o.end_frame) - g.x(o.start_frame)), mine ? 6 : 3);
    }
  }
}

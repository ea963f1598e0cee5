// Pure geometry for the editors: where the image sits on the stage, pointer -> normalised coordinates, hit-testing
// and handle drags. Pointer maths always starts from getBoundingClientRect(), so CSS transforms (ComfyUI scales DOM
// widgets with transform: scale() in the classic canvas; Vue nodes sit inside a transformed pane) never skew it.

/** The largest rectangle of aspect `aspect` (w / h) centred in an area, with a margin (layout px). */
export function fitRect(areaW, areaH, aspect, margin = 8) {
  const w0 = Math.max(1, areaW - 2 * margin);
  const h0 = Math.max(1, areaH - 2 * margin);
  let w = w0;
  let h = w0 / aspect;
  if (h > h0) {
    h = h0;
    w = h0 * aspect;
  }
  return { x: (areaW - w) / 2, y: (areaH - h) / 2, w, h };
}

/**
 * Client (viewport) coordinates -> the element's own layout pixels, whatever transform is applied to it or its
 * ancestors: `rect` is element.getBoundingClientRect(), `layoutW/H` its clientWidth/clientHeight.
 */
export function clientToLayout(clientX, clientY, rect, layoutW, layoutH) {
  const sx = rect.width > 0 ? layoutW / rect.width : 1;
  const sy = rect.height > 0 ? layoutH / rect.height : 1;
  return { x: (clientX - rect.left) * sx, y: (clientY - rect.top) * sy, scale: sx };
}

export const layoutToNorm = (p, img) => ({ x: (p.x - img.x) / img.w, y: (p.y - img.y) / img.h });
export const normToLayout = (p, img) => ({ x: img.x + p.x * img.w, y: img.y + p.y * img.h });

export const clamp01 = (v) => Math.min(1, Math.max(0, v));

/** Clamp a normalised point into the frame; `clamped` says whether it moved. */
export function clampPoint(p) {
  const q = { x: clamp01(p.x), y: clamp01(p.y) };
  return { point: q, clamped: q.x !== p.x || q.y !== p.y };
}

export const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

export function handlePositions(box) {
  const [x1, y1, x2, y2] = box;
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  return { nw: [x1, y1], n: [mx, y1], ne: [x2, y1], e: [x2, my], se: [x2, y2], s: [mx, y2], sw: [x1, y2], w: [x1, my] };
}

/**
 * What is under a layout-pixel point: the selected box's handles first, then the smallest box containing the point
 * (so a small box inside a big one stays selectable). `items` is [{id, box}] in normalised coordinates.
 */
export function hitTestBoxes(items, point, img, selectedId = null, radius = 7) {
  const sel = items.find((it) => it.id === selectedId);
  if (sel) {
    const handles = handlePositions(sel.box);
    for (const name of HANDLES) {
      const h = normToLayout({ x: handles[name][0], y: handles[name][1] }, img);
      if (Math.abs(h.x - point.x) <= radius && Math.abs(h.y - point.y) <= radius) return { id: sel.id, part: name };
    }
  }
  const n = layoutToNorm(point, img);
  let best = null;
  let bestArea = Infinity;
  for (const it of items) {
    const [x1, y1, x2, y2] = it.box;
    const padX = radius / 2 / img.w;
    const padY = radius / 2 / img.h;
    if (n.x >= x1 - padX && n.x <= x2 + padX && n.y >= y1 - padY && n.y <= y2 + padY) {
      const area = (x2 - x1) * (y2 - y1);
      if (area < bestArea || (area === bestArea && it.id === selectedId)) {
        best = it;
        bestArea = area;
      }
    }
  }
  return best ? { id: best.id, part: "move" } : null;
}

/** The box after dragging `part` by (dx, dy) normalised, before clamping (corners may cross: clampBox orders them). */
export function dragBox(box, part, dx, dy) {
  let [x1, y1, x2, y2] = box;
  if (part === "move") return [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
  if (part.includes("w")) x1 += dx;
  if (part.includes("e")) x2 += dx;
  if (part.includes("n")) y1 += dy;
  if (part.includes("s")) y2 += dy;
  return [x1, y1, x2, y2];
}

export const CURSORS = { nw: "nwse-resize", se: "nwse-resize", ne: "nesw-resize", sw: "nesw-resize", n: "ns-resize", s: "ns-resize",
  e: "ew-resize", w: "ew-resize", move: "move" };

/** Index of the path point within `radius` layout px of `point`, or -1. */
export function hitTestPathPoint(path, point, img, radius = 8) {
  for (let i = path.length - 1; i >= 0; i--) {
    const p = normToLayout({ x: path[i][0], y: path[i][1] }, img);
    if (Math.hypot(p.x - point.x, p.y - point.y) <= radius) return i;
  }
  return -1;
}

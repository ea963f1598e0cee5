// The mask/arrow editor's document ("kind": "mask_arrows"): parse, validate, run-length masks, paths, edits.
// Mirrors trackdiff_core/mask_arrow_document.py and the path maths of trackdiff_core/trackgo_points.py.

import {
  DocumentError, clone, editObject, findObject, integer, join, nextId, paletteColor, parseDocument, readFrame,
  readIdentity, readPoint, rejectUnknown, require, serializeDocument,
} from "./document.js";
import { applyMatrix, normalizedMatrix, retimeCamera } from "./camera.js";
import { TIMINGS, ease, framePositions, nearestFrame } from "./timing.js";

export const KIND = "mask_arrows";
export const ANCHORS = Object.freeze(["scene", "screen"]);
export const SHAPES = Object.freeze(["mask", "point"]);

export function emptyMaskArrows(frameCount = 14) {
  return { version: 1, kind: KIND, frame_count: frameCount, objects: [] };
}

// -- run-length masks ---------------------------------------------------------------------------------------------------

/** Uint8Array(H*W) of 0/1, row-major -> {"size": [H, W], "counts": [...]} starting with a run of 0s. */
export function rleEncode(data, height, width) {
  const counts = [];
  let current = 0;
  let run = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ? 1 : 0;
    if (v === current) run++;
    else {
      counts.push(run);
      current = v;
      run = 1;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

export function rleDecode(rle, field = "mask") {
  if (!rle || typeof rle !== "object" || !("size" in rle) || !("counts" in rle)) {
    throw new DocumentError(field, rle, 'must be {"size": [height, width], "counts": [...]}', "re-draw the mask in the editor");
  }
  const size = rle.size;
  if (!Array.isArray(size) || size.length !== 2) throw new DocumentError(join(field, "size"), size, "must be [height, width]", "give two whole numbers");
  const h = integer(size[0], join(field, "size") + "[0]", 1, 16384);
  const w = integer(size[1], join(field, "size") + "[1]", 1, 16384);
  const counts = rle.counts;
  if (!Array.isArray(counts) || !counts.length) throw new DocumentError(join(field, "counts"), counts, "must be a list of run lengths", "re-draw the mask");
  let total = 0;
  counts.forEach((c, i) => { total += integer(c, `${join(field, "counts")}[${i}]`, 0); });
  if (total !== h * w) {
    throw new DocumentError(join(field, "counts"), `sum ${total}`, `must add up to height × width = ${h * w}`, "re-draw the mask");
  }
  const data = new Uint8Array(h * w);
  let pos = 0;
  counts.forEach((c, i) => {
    if (i % 2 === 1) data.fill(1, pos, pos + c);
    pos += c;
  });
  return { height: h, width: w, data };
}

const maskArea = (data) => data.reduce((s, v) => s + v, 0);

// -- parsing ------------------------------------------------------------------------------------------------------------

export function parseMaskArrows(value, field = "mask_arrows_json") {
  return parseDocument(value, KIND, field, readObject);
}

function readObject(obj, field, frameCount, seen) {
  rejectUnknown(obj, ["id", "label", "color", "mask", "path", "timing", "start_frame", "end_frame", "anchor", "shape"], field);
  const { id, label, color } = readIdentity(obj, field, seen);
  const anchor = obj.anchor ?? null;
  if (anchor !== null && !ANCHORS.includes(anchor)) {
    throw new DocumentError(join(field, "anchor"), anchor, "is not a kind of anchor",
      '"scene" holds the object still in the scene, "screen" on screen; remove the field for an object that follows its path');
  }
  const shape = obj.shape ?? "mask";
  if (!SHAPES.includes(shape)) throw new DocumentError(join(field, "shape"), shape, "is not a shape", '"mask" or "point"');
  const mask = obj.mask ?? null;
  if (shape === "point" && mask !== null) {
    throw new DocumentError(join(field, "mask"), "a painted mask", 'is set on a "point" object', 'remove the mask, or set "shape": "mask"');
  }
  if (mask !== null) {
    const decoded = rleDecode(mask, join(field, "mask"));
    if (!maskArea(decoded.data)) throw new DocumentError(join(field, "mask"), "empty mask", "has no pixel set", "paint the object's region");
  }
  const pathField = join(field, "path");
  const path = require(obj, "path", field);
  if (!Array.isArray(path) || !path.length) {
    throw new DocumentError(pathField, path, "must be a non-empty list of [x, y] points", "draw an arrow or set an anchor");
  }
  const points = path.map((p, i) => readPoint(p, `${pathField}[${i}]`));
  const timing = obj.timing ?? "linear";
  if (!TIMINGS.includes(timing)) throw new DocumentError(join(field, "timing"), timing, "is not a known timing curve", `use one of ${TIMINGS.join(", ")}`);
  const start = readFrame(obj.start_frame ?? 0, join(field, "start_frame"), frameCount);
  const end = readFrame(obj.end_frame ?? frameCount - 1, join(field, "end_frame"), frameCount);
  if (end < start) throw new DocumentError(join(field, "end_frame"), end, `comes before start_frame ${start}`, "swap them");
  const out = { id, label, color, mask: mask === null ? null : { size: [...mask.size], counts: [...mask.counts] }, path: points, timing,
    start_frame: start, end_frame: end, anchor, shape };
  if (obj.ui !== undefined) out.ui = clone(obj.ui);
  return out;
}

export function serializeMaskArrows(doc) {
  const objects = doc.objects.map((o) => {
    const out = { id: o.id, label: o.label, color: o.color, mask: o.mask, path: o.path.map((p) => [p[0], p[1]]), timing: o.timing,
      start_frame: o.start_frame, end_frame: o.end_frame };
    if (o.anchor) out.anchor = o.anchor;
    if (o.shape && o.shape !== "mask") out.shape = o.shape;
    if (o.ui !== undefined) out.ui = o.ui;
    return out;
  });
  return serializeDocument(doc, KIND, objects);
}

// -- motion (the same arithmetic as trackgo_points.path_progress / point_on_path) --------------------------------------

export const isStatic = (obj) => !!obj.anchor || obj.path.length === 1 || obj.path.every((p) => p[0] === obj.path[0][0] && p[1] === obj.path[0][1]);

/** Fraction of the path travelled at timeline position t. */
export function progressAt(obj, t) {
  if (obj.end_frame > obj.start_frame) return ease((t - obj.start_frame) / (obj.end_frame - obj.start_frame), obj.timing);
  return t >= obj.start_frame ? 1 : 0;
}

/** The point at fraction `progress` of the arc length of polyline `path`. */
export function pointOnPath(path, progress) {
  if (path.length === 1) return [...path[0]];
  const lengths = [];
  let total = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const l = Math.hypot(path[i + 1][0] - path[i][0], path[i + 1][1] - path[i][1]);
    lengths.push(l);
    total += l;
  }
  if (total === 0) return [...path[0]];
  if (progress >= 1) return [...path[path.length - 1]];
  const cumulative = [0];
  for (const l of lengths) cumulative.push(cumulative[cumulative.length - 1] + l);
  const distance = Math.min(1, Math.max(0, progress)) * total;
  let seg = -1;
  while (seg + 1 < cumulative.length && cumulative[seg + 1] <= distance) seg++;
  seg = Math.min(Math.max(seg, 0), lengths.length - 1);
  const frac = lengths[seg] > 0 ? (distance - cumulative[seg]) / lengths[seg] : 1;
  return [path[seg][0] + frac * (path[seg + 1][0] - path[seg][0]), path[seg][1] + frac * (path[seg + 1][1] - path[seg][1])];
}

/** How far the object has moved at timeline position t: path(progress) - path[0]. */
export function displacementAt(obj, t) {
  if (obj.anchor) return [0, 0];
  const p = pointOnPath(obj.path, progressAt(obj, t));
  return [p[0] - obj.path[0][0], p[1] - obj.path[0][1]];
}

/** Displacements over `numFrames` output frames (float32), as trackgo_points.path_displacements (which, like
 *  document_to_trajectories, reads the path as float32 first). */
export function displacements(obj, frameCount, numFrames = frameCount) {
  const rounded = { ...obj, path: obj.path.map((p) => [Math.fround(p[0]), Math.fround(p[1])]) };
  return framePositions(frameCount, numFrames).map((t) => displacementAt(rounded, t).map(Math.fround));
}

/** Where a point of `obj` (drawn at `point`, normalised scene coordinates on frame 0) is on screen at position t: moved
 *  along the object's path, then by the document's camera (a screen anchor skips the camera). `matrix`: the camera's
 *  normalised matrix at t, when the caller has it already. */
export function screenPointAt(doc, obj, point, t, width, height, matrix = null) {
  const d = displacementAt(obj, t);
  const scene = [point[0] + d[0], point[1] + d[1]];
  if (!doc.camera || obj.anchor === "screen") return scene;
  return applyMatrix(matrix ?? normalizedMatrix(doc.camera, t, width, height), scene);
}

// -- point sampling preview ---------------------------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A preview of TrackGo's point sampling: farthest-point sampling over the mask's pixel centres, seeded per object.
 * It spreads points the way Python does, but uses its own random stream, so the points are not the same ones
 * (docs/editors.md says so); Python's trackgo_points.sample_points_in_mask decides the real points.
 */
export function samplePreviewPoints(mask, count, seed = 0, stream = 0, maxCandidates = 2048) {
  const { height, width, data } = mask;
  let candidates = [];
  for (let i = 0; i < data.length; i++) if (data[i]) candidates.push(i);
  if (!candidates.length) return [];
  const rand = mulberry32((seed * 7919 + stream * 104729 + 1) >>> 0);
  if (candidates.length > maxCandidates) {
    const stride = candidates.length / maxCandidates;
    const offset = rand() * stride;
    candidates = Array.from({ length: maxCandidates }, (_, i) => candidates[Math.floor(offset + i * stride)]);
  }
  const xs = candidates.map((i) => (i % width) + 0.5);
  const ys = candidates.map((i) => Math.floor(i / width) + 0.5);
  const pick = [];
  if (count >= candidates.length) {
    for (let k = 0; k < count; k++) pick.push(k % candidates.length);
  } else {
    let current = Math.floor(rand() * candidates.length);
    const nearest = new Float64Array(candidates.length).fill(Infinity);
    for (let k = 0; k < count; k++) {
      pick.push(current);
      let best = 0;
      let bestD = -1;
      for (let i = 0; i < candidates.length; i++) {
        const d = (xs[i] - xs[current]) ** 2 + (ys[i] - ys[current]) ** 2;
        if (d < nearest[i]) nearest[i] = d;
        if (nearest[i] > bestD) { bestD = nearest[i]; best = i; }
      }
      current = best;
    }
  }
  return pick.map((i) => [xs[i] / width, ys[i] / height]);
}

// -- edits (pure) ------------------------------------------------------------------------------------------------------

export { findObject };

const edit = editObject;

export function addObject(doc, anchor, props = {}) {
  const next = clone(doc);
  const id = nextId(next.objects);
  next.objects.push({
    id, label: props.label ?? "", color: props.color ?? paletteColor(id), mask: props.mask ?? null, path: [[...anchor]],
    timing: props.timing ?? "linear", start_frame: 0, end_frame: next.frame_count - 1, anchor: props.anchor ?? null,
    shape: props.shape ?? "mask",
  });
  return { doc: next, id };
}

export const deleteObject = (doc, id) => ({ ...clone(doc), objects: doc.objects.filter((o) => o.id !== id).map(clone) });

export const setMask = (doc, id, rle) => edit(doc, id, (o) => { o.mask = rle ? { size: [...rle.size], counts: [...rle.counts] } : null; });
export const setPath = (doc, id, path) => edit(doc, id, (o) => { o.path = path.map((p) => [p[0], p[1]]); });

export function setObjectProps(doc, id, props) {
  return edit(doc, id, (o, next) => {
    if (props.label !== undefined) o.label = String(props.label);
    if (props.color !== undefined) o.color = String(props.color).toLowerCase();
    if (props.anchor !== undefined) o.anchor = props.anchor || null;
    if (props.timing !== undefined) {
      if (!TIMINGS.includes(props.timing)) throw new Error(`unknown timing ${props.timing}`);
      o.timing = props.timing;
    }
    const last = next.frame_count - 1;
    if (props.start_frame !== undefined) o.start_frame = Math.min(Math.max(0, Math.round(props.start_frame)), last);
    if (props.end_frame !== undefined) o.end_frame = Math.min(Math.max(0, Math.round(props.end_frame)), last);
    if (o.end_frame < o.start_frame) [o.start_frame, o.end_frame] = [o.end_frame, o.start_frame];
  });
}

export function setFrameCount(doc, frameCount) {
  const old = doc.frame_count;
  const next = clone(doc);
  next.frame_count = frameCount;
  const map = (f) => (old === 1 ? 0 : Math.min(frameCount - 1, Math.floor((f * (frameCount - 1)) / (old - 1) + 0.5)));
  if (next.camera) next.camera = retimeCamera(next.camera, old, frameCount, nearestFrame);
  for (const o of next.objects) {
    o.start_frame = map(o.start_frame);
    o.end_frame = o.end_frame === old - 1 ? frameCount - 1 : map(o.end_frame);
  }
  return next;
}

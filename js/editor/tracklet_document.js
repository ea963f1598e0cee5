// The box editor's document ("kind": "tracklets"): parse, validate, interpolate, edit, serialise.
// Mirrors trackdiff_core/tracklet_document.py; Python is authoritative and a test compares the two on fixtures.
// Edits are pure functions: each returns a new document, so the undo stack can keep snapshots.

import {
  DocumentError, clone, editObject, findObject, finiteNumber, join, nextId, paletteColor, parseDocument, readFrame,
  readIdentity, rejectUnknown, require, serializeDocument,
} from "./document.js";
import { DEFAULT_SIZE, normalizedMatrix, retimeCamera, transformBox } from "./camera.js";
import { TIMINGS, framePositions, keySegment, nearestFrame } from "./timing.js";

export const KIND = "tracklets";
export const MIN_BOX_SIZE = 0.004; // normalised; keeps x1 < x2 and y1 < y2 while dragging

export function emptyTracklets(frameCount = 14) {
  return { version: 1, kind: KIND, frame_count: frameCount, objects: [] };
}

function checkTiming(name, field) {
  if (!TIMINGS.includes(name)) throw new DocumentError(field, name, "is not a known timing curve", `use one of ${TIMINGS.join(", ")}`);
  return name;
}

/** Parse and validate a document (JSON text or a decoded object) into the editor's normalised form. */
export function parseTracklets(value, field = "tracklets_json") {
  return parseDocument(value, KIND, field, readObject);
}

function readObject(obj, field, frameCount, seen) {
  rejectUnknown(obj, ["id", "label", "color", "interpolation", "static", "visibility", "keyframes"], field);
  const { id, label, color } = readIdentity(obj, field, seen);
  const interpolation = checkTiming(obj.interpolation ?? "linear", join(field, "interpolation"));
  const isStatic = obj.static ?? false;
  if (typeof isStatic !== "boolean") throw new DocumentError(join(field, "static"), isStatic, "must be true or false", "use true or false");
  const visibility = readVisibility(obj.visibility, join(field, "visibility"), frameCount);
  const keysField = join(field, "keyframes");
  const raw = require(obj, "keyframes", field);
  if (!Array.isArray(raw) || !raw.length) {
    throw new DocumentError(keysField, raw, "must be a non-empty list", "give the object at least one keyframe");
  }
  const keyframes = raw.map((k, i) => readKeyframe(k, `${keysField}[${i}]`, frameCount));
  keyframes.sort((a, b) => a.frame - b.frame);
  for (let i = 1; i < keyframes.length; i++) {
    if (keyframes[i].frame === keyframes[i - 1].frame) {
      throw new DocumentError(keysField, keyframes.map((k) => k.frame), `has two keyframes on frame ${keyframes[i].frame}`,
        "keep one keyframe per frame");
    }
  }
  const out = { id, label, color, interpolation, static: isStatic, visibility, keyframes };
  if (obj.ui !== undefined) out.ui = clone(obj.ui);
  return out;
}

function readKeyframe(key, field, frameCount) {
  if (!key || typeof key !== "object" || Array.isArray(key)) {
    throw new DocumentError(field, key, 'must be {"frame": f, "box": [x1, y1, x2, y2]}', "fix the keyframe");
  }
  rejectUnknown(key, ["frame", "box", "interpolation"], field);
  const frame = readFrame(require(key, "frame", field), join(field, "frame"), frameCount);
  const boxField = join(field, "box");
  const box = require(key, "box", field);
  if (!Array.isArray(box) || box.length !== 4) throw new DocumentError(boxField, box, "must be [x1, y1, x2, y2]", "give four normalised numbers");
  const values = box.map((v, i) => finiteNumber(v, `${boxField}[${i}]`, "use a number between 0 and 1"));
  if (values.some((v) => v < 0 || v > 1)) {
    throw new DocumentError(boxField, values, "lies outside the frame [0, 1]",
      "keep the box inside the image (the editor clamps boxes when you drag them out)");
  }
  const [x1, y1, x2, y2] = values;
  if (!(x1 < x2 && y1 < y2)) {
    throw new DocumentError(boxField, values, "is inverted or has no area (need x1 < x2 and y1 < y2)",
      "give the top-left corner first and the bottom-right corner second");
  }
  const out = { frame, box: values };
  if (key.interpolation !== undefined && key.interpolation !== null) {
    out.interpolation = checkTiming(key.interpolation, join(field, "interpolation"));
  }
  return out;
}

function readVisibility(value, field, frameCount) {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new DocumentError(field, value, "must be a list of [first, last] frame ranges", "e.g. [[0, 6], [10, 13]]");
  const ranges = value.map((item, i) => {
    const itemField = `${field}[${i}]`;
    if (!Array.isArray(item) || item.length !== 2) throw new DocumentError(itemField, item, "must be [first, last]", "give two frame numbers");
    const first = readFrame(item[0], itemField + "[0]", frameCount);
    const last = readFrame(item[1], itemField + "[1]", frameCount);
    if (last < first) throw new DocumentError(itemField, [first, last], "ends before it starts", "put the first frame first");
    return [first, last];
  });
  return mergeRanges(ranges);
}

export function mergeRanges(ranges) {
  const out = [];
  for (const [first, last] of [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    if (out.length && first <= out[out.length - 1][1] + 1) out[out.length - 1][1] = Math.max(out[out.length - 1][1], last);
    else out.push([first, last]);
  }
  return out;
}

/** Compact JSON in schema order (what the widget stores); editor state stays under "ui". */
export function serializeTracklets(doc) {
  const objects = doc.objects.map((o) => {
    const out = { id: o.id, label: o.label, color: o.color, interpolation: o.interpolation };
    if (o.static) out.static = true;
    if (o.visibility) out.visibility = o.visibility.map((r) => [r[0], r[1]]);
    out.keyframes = o.keyframes.map((k) => (k.interpolation ? { frame: k.frame, box: [...k.box], interpolation: k.interpolation }
      : { frame: k.frame, box: [...k.box] }));
    if (o.ui !== undefined) out.ui = o.ui;
    return out;
  });
  return serializeDocument(doc, KIND, objects);
}

// -- evaluation (the same arithmetic as BoxObject.boxes_at, in float64) -----------------------------------------------

/** The box of `obj` at real-valued timeline position `t`. */
export function boxAt(obj, t) {
  const keys = obj.keyframes;
  if (obj.static || keys.length === 1) return [...keys[0].box];
  const { a, b, w } = keySegment(keys, t, obj.interpolation);
  return [0, 1, 2, 3].map((i) => a.box[i] + w * (b.box[i] - a.box[i]));
}

export function visibleAt(obj, frame) {
  if (!obj.visibility) return true;
  return obj.visibility.some(([first, last]) => frame >= first && frame <= last);
}

/** The box of `obj` on screen at position t: the drawn (scene) box moved by the document's camera, as the 4 corners'
 *  bounds clipped to the frame (`onScreen` false where it has left it); the drawn box itself without a camera. */
export function screenBoxAt(doc, obj, t, width = DEFAULT_SIZE[0], height = DEFAULT_SIZE[1]) {
  const box = boxAt(obj, t);
  if (!doc.camera) return { box, onScreen: true };
  return transformBox(normalizedMatrix(doc.camera, t, width, height), box);
}

/** Dense tracks over `numFrames` output frames, as TrackletDocument.to_tracklets (boxes rounded to float32): in screen
 *  coordinates, so with a camera each box is the camera's image of the drawn box, hidden where it left the frame.
 *  `width` x `height` matter only for a rotating camera (its aspect ratio). */
export function toTracklets(doc, numFrames = doc.frame_count, width = DEFAULT_SIZE[0], height = DEFAULT_SIZE[1]) {
  const positions = framePositions(doc.frame_count, numFrames);
  const screen = positions.map((t) => doc.objects.map((o) => screenBoxAt(doc, o, t, width, height)));
  const boxes = screen.map((row) => row.map((s) => s.box.map(Math.fround)));
  const visible = positions.map((t, j) => {
    const f = Math.min(nearestFrame(t), doc.frame_count - 1);
    return doc.objects.map((o, i) => visibleAt(o, f) && screen[j][i].onScreen);
  });
  return { boxes, visible, ids: doc.objects.map((o) => o.id), labels: doc.objects.map((o) => o.label) };
}

// -- edits (pure) ------------------------------------------------------------------------------------------------------

export { findObject };
export const keyframeAt = (obj, frame) => obj.keyframes.find((k) => k.frame === frame);

const edit = editObject;

/** Clamp a box into the frame (keeping its size where possible) and to a minimum size; says whether it had to. */
export function clampBox(box, mode = "move") {
  let [x1, y1, x2, y2] = box;
  const before = [x1, y1, x2, y2];
  if (x1 > x2) [x1, x2] = [x2, x1];
  if (y1 > y2) [y1, y2] = [y2, y1];
  if (mode === "move") {
    const w = Math.min(x2 - x1, 1);
    const h = Math.min(y2 - y1, 1);
    if (x1 < 0) [x1, x2] = [0, w];
    if (x2 > 1) [x1, x2] = [1 - w, 1];
    if (y1 < 0) [y1, y2] = [0, h];
    if (y2 > 1) [y1, y2] = [1 - h, 1];
  } else {
    x1 = Math.min(Math.max(x1, 0), 1);
    x2 = Math.min(Math.max(x2, 0), 1);
    y1 = Math.min(Math.max(y1, 0), 1);
    y2 = Math.min(Math.max(y2, 0), 1);
  }
  if (x2 - x1 < MIN_BOX_SIZE) {
    if (x1 + MIN_BOX_SIZE <= 1) x2 = x1 + MIN_BOX_SIZE;
    else x1 = x2 - MIN_BOX_SIZE;
  }
  if (y2 - y1 < MIN_BOX_SIZE) {
    if (y1 + MIN_BOX_SIZE <= 1) y2 = y1 + MIN_BOX_SIZE;
    else y1 = y2 - MIN_BOX_SIZE;
  }
  const out = [x1, y1, x2, y2];
  const clamped = out.some((v, i) => Math.abs(v - before[i]) > 1e-12);
  return { box: out, clamped };
}

export function addObject(doc, box, frame = 0, props = {}) {
  const next = clone(doc);
  const id = nextId(next.objects);
  next.objects.push({
    id, label: props.label ?? "", color: props.color ?? paletteColor(id), interpolation: props.interpolation ?? "linear",
    static: false, visibility: null, keyframes: [{ frame, box: [...box] }],
  });
  return { doc: next, id };
}

export function deleteObject(doc, id) {
  const next = clone(doc);
  next.objects = next.objects.filter((o) => o.id !== id);
  return next;
}

/** Set the box at `frame`: edits the keyframe there, or adds one (auto-key). A static object edits its first keyframe. */
export function setBox(doc, id, frame, box) {
  return edit(doc, id, (obj) => {
    const key = obj.static ? obj.keyframes[0] : keyframeAt(obj, frame);
    if (key) key.box = [...box];
    else {
      obj.keyframes.push({ frame, box: [...box] });
      obj.keyframes.sort((a, b) => a.frame - b.frame);
    }
  });
}

/** Add a keyframe at `frame` holding the box shown there now (so nothing moves until it is dragged). */
export function addKeyframe(doc, id, frame) {
  const obj = findObject(doc, id);
  if (!obj || keyframeAt(obj, frame)) return doc;
  return setBox(doc, id, frame, boxAt(obj, frame));
}

export function deleteKeyframe(doc, id, frame) {
  return edit(doc, id, (obj) => {
    if (obj.keyframes.length > 1) obj.keyframes = obj.keyframes.filter((k) => k.frame !== frame);
  });
}

/** Move the keyframe on frame `from` to frame `to` (nothing when `to` has a keyframe already). */
export function moveKeyframe(doc, id, from, to) {
  return edit(doc, id, (obj) => {
    const key = keyframeAt(obj, from);
    if (!key || keyframeAt(obj, to)) return;
    key.frame = to;
    obj.keyframes.sort((a, b) => a.frame - b.frame);
  });
}

export function setKeyframeInterpolation(doc, id, frame, curve) {
  return edit(doc, id, (obj) => {
    const key = keyframeAt(obj, frame);
    if (!key) return;
    if (curve) key.interpolation = checkTiming(curve, "interpolation");
    else delete key.interpolation;
  });
}

export function setObjectProps(doc, id, props) {
  return edit(doc, id, (obj) => {
    if (props.label !== undefined) obj.label = String(props.label);
    if (props.color !== undefined) obj.color = String(props.color).toLowerCase();
    if (props.interpolation !== undefined) obj.interpolation = checkTiming(props.interpolation, "interpolation");
    if (props.static !== undefined) obj.static = !!props.static;
  });
}

export function visibilityArray(obj, frameCount) {
  const out = new Array(frameCount).fill(obj.visibility ? false : true);
  if (obj.visibility) for (const [a, b] of obj.visibility) for (let f = a; f <= b && f < frameCount; f++) out[f] = true;
  return out;
}

export function rangesFromArray(shown) {
  const ranges = [];
  shown.forEach((on, f) => {
    if (!on) return;
    if (ranges.length && ranges[ranges.length - 1][1] === f - 1) ranges[ranges.length - 1][1] = f;
    else ranges.push([f, f]);
  });
  return ranges;
}

function setVisibility(obj, shown) {
  obj.visibility = shown.every(Boolean) ? null : rangesFromArray(shown);
}

/** The object is present from `frame` on (hidden before it). */
export function appearAt(doc, id, frame) {
  return edit(doc, id, (obj, next) => {
    const shown = visibilityArray(obj, next.frame_count);
    for (let f = 0; f < frame; f++) shown[f] = false;
    shown[frame] = true;
    for (let f = frame + 1; f < shown.length && !shown[f]; f++) shown[f] = true; // fill up to the next visible run
    setVisibility(obj, shown);
  });
}

/** The object is gone after `frame`. */
export function disappearAfter(doc, id, frame) {
  return edit(doc, id, (obj, next) => {
    const shown = visibilityArray(obj, next.frame_count);
    for (let f = frame + 1; f < shown.length; f++) shown[f] = false;
    shown[frame] = true;
    setVisibility(obj, shown);
  });
}

export function toggleVisibleAt(doc, id, frame) {
  return edit(doc, id, (obj, next) => {
    const shown = visibilityArray(obj, next.frame_count);
    shown[frame] = !shown[frame];
    setVisibility(obj, shown);
  });
}

export function showAlways(doc, id) {
  return edit(doc, id, (obj) => { obj.visibility = null; });
}

/** Change the timeline length, moving keyframes and visibility proportionally (first to first, last to last). */
export function setFrameCount(doc, frameCount) {
  const old = doc.frame_count;
  const next = clone(doc);
  next.frame_count = frameCount;
  const map = (f) => (old === 1 ? 0 : Math.min(frameCount - 1, nearestFrame((f * (frameCount - 1)) / (old - 1))));
  if (next.camera) next.camera = retimeCamera(next.camera, old, frameCount, nearestFrame);
  for (const obj of next.objects) {
    const keys = new Map();
    for (const k of obj.keyframes) keys.set(map(k.frame), { ...k, frame: map(k.frame) }); // a later key wins a collision
    obj.keyframes = [...keys.values()].sort((a, b) => a.frame - b.frame);
    if (obj.visibility) {
      const shown = visibilityArray(obj, old);
      const mapped = new Array(frameCount).fill(false);
      for (let f = 0; f < frameCount; f++) {
        const src = frameCount === 1 ? 0 : nearestFrame((f * (old - 1)) / (frameCount - 1));
        mapped[f] = shown[Math.min(src, old - 1)];
      }
      setVisibility(obj, mapped);
    }
  }
  return next;
}

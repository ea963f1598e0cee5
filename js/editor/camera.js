// The camera layer of both editor documents (the optional top-level "camera"): parse, evaluate, edit, serialise.
// Mirrors trackdiff_core/camera.py (parse_camera, Camera.parameters / matrices, normalized_matrices, apply_to_points,
// transform_boxes); Python is authoritative and tests/js/parity.test.mjs compares the two on fixtures.
//
// The camera says how the scene moves on screen. At a real-valued timeline position t, pan (fractions of the width and
// height), zoom and rotation (degrees) are interpolated between keys like box keyframes. In pixels of W x H, with
// c = center * (W, H):   screen = c + pan * (W, H) + zoom * R(rotation) @ (scene - c),   R(a) = [[cos, -sin], [sin, cos]]
// (y down: a positive rotation turns the content clockwise on screen).

import { DocumentError, clone, finiteNumber, integer, join, rejectUnknown, require } from "./document.js";
import { TIMINGS, keySegment } from "./timing.js";

export const CAMERA_VERSION = 1;
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 20;
export const MAX_ROTATION = 360;
export const MAX_PAN = 2;
export const DEFAULT_SIZE = [1024, 576]; // the box editor's frame without an image (SVD's), as in Python

const checkTiming = (name, field) => {
  if (!TIMINGS.includes(name)) throw new DocumentError(field, name, "is not a known timing curve", `use one of ${TIMINGS.join(", ")}`);
  return name;
};

// -- parsing ------------------------------------------------------------------------------------------------------------

/** Validate a document's `camera` (a decoded object) into {center, interpolation, keyframes: [{frame, pan, zoom,
 *  rotation, interpolation?}]} with every field set; keys sorted by frame. Errors name the same fields as Python. */
export function parseCamera(value, field = "camera", frameCount = 4096) {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new DocumentError(field, value, 'must be a JSON object {"version": 1, "keyframes": [...]}',
      'remove "camera" for a still camera');
  }
  rejectUnknown(value, ["version", "center", "interpolation", "keyframes"], field);
  const version = require(value, "version", field);
  if (version !== CAMERA_VERSION) {
    throw new DocumentError(join(field, "version"), version,
      `is not a camera version this TrackDiff reads (it reads version ${CAMERA_VERSION})`, "update TrackDiff");
  }
  const center = readCenter(value.center ?? [0.5, 0.5], join(field, "center"));
  const interpolation = checkTiming(value.interpolation ?? "linear", join(field, "interpolation"));
  const last = frameCount - 1;
  const keysField = join(field, "keyframes");
  const raw = require(value, "keyframes", field);
  if (!Array.isArray(raw) || !raw.length) throw new DocumentError(keysField, raw, "must be a non-empty list", "give the camera at least one key");
  if (raw.length > last + 1) throw new DocumentError(keysField, `${raw.length} keys`, "has more keys than frames", "keep one key per frame at most");
  const keyframes = raw.map((k, i) => readKey(k, `${keysField}[${i}]`, last)).sort((a, b) => a.frame - b.frame);
  for (let i = 1; i < keyframes.length; i++) {
    if (keyframes[i].frame === keyframes[i - 1].frame) {
      throw new DocumentError(keysField, keyframes.map((k) => k.frame), `has two keys on frame ${keyframes[i].frame}`, "keep one camera key per frame");
    }
  }
  return { center, interpolation, keyframes };
}

function readCenter(value, field) {
  if (!Array.isArray(value) || value.length !== 2) throw new DocumentError(field, value, "must be [x, y]", "give two normalised numbers");
  const x = finiteNumber(value[0], field + "[0]", "use a number between 0 and 1");
  const y = finiteNumber(value[1], field + "[1]", "use a number between 0 and 1");
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) throw new DocumentError(field, [x, y], "lies outside the frame [0, 1]", "put the centre inside the image");
  return [x, y];
}

function readKey(key, field, last) {
  if (!key || typeof key !== "object" || Array.isArray(key)) {
    throw new DocumentError(field, key, 'must be {"frame": f, "pan": [x, y], "zoom": z, "rotation": degrees}', "fix the camera key");
  }
  rejectUnknown(key, ["frame", "pan", "zoom", "rotation", "interpolation"], field);
  const frame = integer(require(key, "frame", field), join(field, "frame"), 0, last,
    `use a frame between 0 and ${last} (the timeline has ${last + 1})`);
  const panField = join(field, "pan");
  const pan = key.pan ?? [0, 0];
  if (!Array.isArray(pan) || pan.length !== 2) throw new DocumentError(panField, pan, "must be [x, y]", "give two numbers");
  pan.forEach((v, i) => finiteNumber(v, `${panField}[${i}]`, `use a number between -${MAX_PAN} and ${MAX_PAN}`));
  if (pan.some((v) => Math.abs(v) > MAX_PAN)) throw new DocumentError(panField, pan, `moves more than ${MAX_PAN} frame widths / heights`, `keep each pan between -${MAX_PAN} and ${MAX_PAN}`);
  const zoomField = join(field, "zoom");
  const zoom = finiteNumber(key.zoom ?? 1, zoomField, `use a number between ${MIN_ZOOM} and ${MAX_ZOOM}`);
  if (!(zoom >= MIN_ZOOM && zoom <= MAX_ZOOM)) throw new DocumentError(zoomField, zoom, `is outside [${MIN_ZOOM}, ${MAX_ZOOM}]`, `use a zoom between ${MIN_ZOOM} and ${MAX_ZOOM}`);
  const rotationField = join(field, "rotation");
  const rotation = finiteNumber(key.rotation ?? 0, rotationField, "use degrees between -360 and 360");
  if (Math.abs(rotation) > MAX_ROTATION) throw new DocumentError(rotationField, rotation, `turns more than ${MAX_ROTATION} degrees`, "use degrees between -360 and 360");
  const out = { frame, pan: [pan[0], pan[1]], zoom, rotation };
  if (key.interpolation !== undefined && key.interpolation !== null) out.interpolation = checkTiming(key.interpolation, join(field, "interpolation"));
  return out;
}

/** The camera as Python's Camera.to_json writes it (every field, schema order). */
export function cameraJson(camera) {
  return {
    version: CAMERA_VERSION, center: [camera.center[0], camera.center[1]], interpolation: camera.interpolation,
    keyframes: camera.keyframes.map((k) => {
      const out = { frame: k.frame, pan: [k.pan[0], k.pan[1]], zoom: k.zoom, rotation: k.rotation };
      if (k.interpolation) out.interpolation = k.interpolation;
      return out;
    }),
  };
}

// -- evaluation ---------------------------------------------------------------------------------------------------------

/** {pan: [x, y], zoom, rotation} at timeline position t (Camera.parameters). */
export function cameraAt(camera, t) {
  const keys = camera.keyframes;
  if (keys.length === 1) return { pan: [...keys[0].pan], zoom: keys[0].zoom, rotation: keys[0].rotation };
  const { a, b, w } = keySegment(keys, t, camera.interpolation);
  return {
    pan: [a.pan[0] + w * (b.pan[0] - a.pan[0]), a.pan[1] + w * (b.pan[1] - a.pan[1])],
    zoom: a.zoom + w * (b.zoom - a.zoom),
    rotation: a.rotation + w * (b.rotation - a.rotation),
  };
}

/** Screen-from-scene matrix [[a, b, tx], [c, d, ty]] in pixels of width x height at position t (Camera.matrices). */
export function pixelMatrix(camera, t, width, height) {
  const { pan, zoom, rotation } = cameraAt(camera, t);
  const cx = camera.center[0] * width;
  const cy = camera.center[1] * height;
  const angle = rotation * (Math.PI / 180);
  const cos = Math.cos(angle) * zoom;
  const sin = Math.sin(angle) * zoom;
  return [
    [cos, -sin, cx + pan[0] * width - (cos * cx + -sin * cy)],
    [sin, cos, cy + pan[1] * height - (sin * cx + cos * cy)],
  ];
}

/** The pixel matrix restated in normalised coordinates, S^-1 M S with S = diag(W, H, 1) (normalized_matrices). */
export function normalizedMatrix(camera, t, width = DEFAULT_SIZE[0], height = DEFAULT_SIZE[1]) {
  const m = pixelMatrix(camera, t, width, height);
  const s = [width, height];
  return [0, 1].map((i) => [((1 / s[i]) * m[i][0]) * width, ((1 / s[i]) * m[i][1]) * height, (1 / s[i]) * m[i][2]]);
}

/** A point [x, y] moved by a matrix [[a, b, tx], [c, d, ty]]. */
export const applyMatrix = (m, p) => [m[0][0] * p[0] + m[0][1] * p[1] + m[0][2], m[1][0] * p[0] + m[1][1] * p[1] + m[1][2]];

/** A box [x1, y1, x2, y2] (normalised) moved by a normalised matrix: its corners' axis-aligned bounds, clipped to the
 *  frame; `onScreen` is false when nothing of it is left in the frame (transform_boxes). */
export function transformBox(m, box) {
  const [x1, y1, x2, y2] = box;
  const corners = [[x1, y1], [x2, y1], [x1, y2], [x2, y2]].map((p) => applyMatrix(m, p));
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const clip = (v) => Math.min(1, Math.max(0, v));
  const out = [clip(Math.min(...xs)), clip(Math.min(...ys)), clip(Math.max(...xs)), clip(Math.max(...ys))];
  return { box: out, onScreen: out[2] > out[0] && out[3] > out[1] };
}

// -- edits (pure: each returns a new document) --------------------------------------------------------------------------

export const emptyCamera = () => ({ center: [0.5, 0.5], interpolation: "linear", keyframes: [{ frame: 0, pan: [0, 0], zoom: 1, rotation: 0 }] });
export const cameraKeyAt = (camera, frame) => camera?.keyframes.find((k) => k.frame === frame) ?? null;

/** Clamp a key's values into the camera's limits; `clamped` says whether any had to move. */
export function clampKey(values) {
  const pan = values.pan.map((v) => Math.min(MAX_PAN, Math.max(-MAX_PAN, v)));
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, values.zoom));
  const rotation = Math.min(MAX_ROTATION, Math.max(-MAX_ROTATION, values.rotation));
  const clamped = pan[0] !== values.pan[0] || pan[1] !== values.pan[1] || zoom !== values.zoom || rotation !== values.rotation;
  return { key: { pan, zoom, rotation }, clamped };
}

/** Set (or add) the camera key on `frame` to `values` ({pan?, zoom?, rotation?}, the rest as shown there now). A
 *  document without a camera gets one, with an identity key on frame 0 when `frame` is later. */
export function setCameraKey(doc, frame, values) {
  const next = clone(doc);
  if (!next.camera) {
    next.camera = emptyCamera();
    if (frame === 0) next.camera.keyframes = [];
  }
  const now = cameraAt(next.camera.keyframes.length ? next.camera : emptyCamera(), frame);
  const { key } = clampKey({ pan: values.pan ?? now.pan, zoom: values.zoom ?? now.zoom, rotation: values.rotation ?? now.rotation });
  const existing = cameraKeyAt(next.camera, frame);
  if (existing) Object.assign(existing, key);
  else {
    next.camera.keyframes.push({ frame, ...key });
    next.camera.keyframes.sort((a, b) => a.frame - b.frame);
  }
  return next;
}

/** Remove the camera key on `frame`; removing the last key removes the camera layer (a still camera). */
export function deleteCameraKey(doc, frame) {
  if (!doc.camera) return doc;
  const next = clone(doc);
  next.camera.keyframes = next.camera.keyframes.filter((k) => k.frame !== frame);
  if (!next.camera.keyframes.length) delete next.camera;
  return next;
}

/** Move the camera key on `from` to frame `to` (nothing when `to` has a key already). */
export function moveCameraKey(doc, from, to) {
  const key = cameraKeyAt(doc.camera, from);
  if (!key || cameraKeyAt(doc.camera, to)) return doc;
  const next = clone(doc);
  cameraKeyAt(next.camera, from).frame = to;
  next.camera.keyframes.sort((a, b) => a.frame - b.frame);
  return next;
}

export function setCameraProps(doc, props) {
  if (!doc.camera) return doc;
  const next = clone(doc);
  if (props.center) next.camera.center = props.center.map((v) => Math.min(1, Math.max(0, v)));
  if (props.interpolation) next.camera.interpolation = checkTiming(props.interpolation, "interpolation");
  if (props.keyInterpolation) {
    const key = cameraKeyAt(next.camera, props.keyInterpolation.frame);
    if (key && props.keyInterpolation.curve) key.interpolation = checkTiming(props.keyInterpolation.curve, "interpolation");
    else if (key) delete key.interpolation;
  }
  return next;
}

export function removeCamera(doc) {
  if (!doc.camera) return doc;
  const next = clone(doc);
  delete next.camera;
  return next;
}

/** Camera keys moved to a new timeline length (first to first, last to last; a later key wins a collision). */
export function retimeCamera(camera, oldCount, frameCount, nearestFrame) {
  if (!camera) return camera;
  const map = (f) => (oldCount === 1 ? 0 : Math.min(frameCount - 1, nearestFrame((f * (frameCount - 1)) / (oldCount - 1))));
  const keys = new Map();
  for (const k of camera.keyframes) keys.set(map(k.frame), { ...k, frame: map(k.frame) });
  return { ...camera, keyframes: [...keys.values()].sort((a, b) => a.frame - b.frame) };
}

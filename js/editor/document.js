// What both editor documents share (docs/editor-documents.md): JSON parsing, the version/kind header and checked readers.
// Python (trackdiff_core/document.py) is authoritative; these checks mirror it so the widget can say what is wrong
// before a run, with the same field paths, instead of breaking the graph.

import { cameraJson, parseCamera } from "./camera.js";

export const DOCUMENT_VERSION = 1;
export const MAX_FRAMES = 4096;
export const MAX_OBJECTS = 256;
export const PALETTE = Object.freeze([
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]);

/** A bad document: names the field, the bad value and the fix, like Python's TrackDiffError. */
export class DocumentError extends Error {
  constructor(field, value, problem, fix) {
    super(`${field}: ${problem} (got ${describe(value)}). Fix: ${fix}`);
    this.name = "DocumentError";
    this.field = field;
    this.value = value;
    this.problem = problem;
    this.fix = fix;
  }
}

function describe(value) {
  let text;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

export const join = (parent, child) => (typeof child === "number" ? `${parent}[${child}]` : `${parent}.${child}`);

export function loadJsonObject(value, field) {
  if (value && typeof value === "object" && !Array.isArray(value)) return value;
  if (typeof value !== "string") throw new DocumentError(field, value, "is not JSON text", "pass the editor's JSON string");
  if (!value.trim()) throw new DocumentError(field, value, "is empty", "draw something in the editor, or paste a saved document");
  let data;
  try {
    data = JSON.parse(value);
  } catch (err) {
    throw new DocumentError(field, value, `is not valid JSON (${err.message})`, "fix the JSON syntax, or reset the editor");
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new DocumentError(field, data, "must be a JSON object {...}", 'start from {"version": 1, ...}');
  }
  return data;
}

export function require(data, key, field) {
  if (!(key in data)) throw new DocumentError(join(field, key), null, "is missing", `add "${key}"`);
  return data[key];
}

export function rejectUnknown(data, allowed, field) {
  const unknown = Object.keys(data).filter((k) => !allowed.includes(k) && k !== "ui").sort();
  if (unknown.length) {
    throw new DocumentError(join(field, unknown[0]), data[unknown[0]], "is not a field of this document",
      `remove it, or use one of ${[...allowed].sort().join(", ")} (editor state may go under "ui")`);
  }
}

export function integer(value, field, minimum, maximum, fix) {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new DocumentError(field, value, "is not a whole number", fix || "use an integer");
  }
  if (minimum !== undefined && value < minimum) {
    throw new DocumentError(field, value, `must be at least ${minimum}`, fix || `use a value of ${minimum} or more`);
  }
  if (maximum !== undefined && value > maximum) {
    throw new DocumentError(field, value, `must be at most ${maximum}`, fix || `use a value of ${maximum} or less`);
  }
  return value;
}

export function finiteNumber(value, field, fix) {
  if (typeof value !== "number") throw new DocumentError(field, value, "is not a number", fix);
  if (!Number.isFinite(value)) throw new DocumentError(field, value, "is not a finite number", fix);
  return value;
}

export function readHeader(data, kind, field) {
  const version = data.version;
  if (version !== DOCUMENT_VERSION) {
    if (version === undefined || version === null) {
      throw new DocumentError(join(field, "version"), null, "is missing", `add "version": ${DOCUMENT_VERSION}`);
    }
    throw new DocumentError(join(field, "version"), version,
      `is not a document version this TrackDiff reads (it reads version ${DOCUMENT_VERSION})`,
      "update TrackDiff, or re-save the document from this version's editor");
  }
  if (data.kind !== kind) {
    throw new DocumentError(join(field, "kind"), data.kind ?? null, `must be "${kind}" for this node`, `connect a ${kind} document`);
  }
  return integer(require(data, "frame_count", field), join(field, "frame_count"), 1, MAX_FRAMES,
    `set the timeline length to between 1 and ${MAX_FRAMES} frames`);
}

export function readObjects(data, field) {
  const objects = require(data, "objects", field);
  if (!Array.isArray(objects)) {
    throw new DocumentError(join(field, "objects"), objects, "must be a list", "give a list of objects, possibly []");
  }
  if (objects.length > MAX_OBJECTS) {
    throw new DocumentError(join(field, "objects"), `${objects.length} objects`, `has more than ${MAX_OBJECTS} objects`, "remove objects");
  }
  objects.forEach((obj, i) => {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
      throw new DocumentError(join(join(field, "objects"), i), obj, "must be a JSON object", "fix it");
    }
  });
  return objects;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

export function readIdentity(obj, field, seen) {
  const id = integer(require(obj, "id", field), join(field, "id"), 0, undefined, "give the object a non-negative integer id");
  if (seen.has(id)) throw new DocumentError(join(field, "id"), id, "is used by an earlier object", "give each object its own id");
  seen.add(id);
  const label = obj.label ?? "";
  if (typeof label !== "string") throw new DocumentError(join(field, "label"), label, "is not a string", 'use text such as "car" or ""');
  const color = require(obj, "color", field);
  if (typeof color !== "string" || !HEX.test(color)) {
    throw new DocumentError(join(field, "color"), color, "is not a colour in #rrggbb form", 'write it like "#1f77b4"');
  }
  return { id, label, color: color.toLowerCase() };
}

export function readFrame(value, field, frameCount) {
  return integer(value, field, 0, frameCount - 1,
    `use a frame between 0 and ${frameCount - 1} (the timeline has ${frameCount})`);
}

export function readPoint(value, field) {
  if (!Array.isArray(value) || value.length !== 2) throw new DocumentError(field, value, "must be [x, y]", "give two normalised numbers");
  const x = finiteNumber(value[0], field + "[0]", "use a number between 0 and 1");
  const y = finiteNumber(value[1], field + "[1]", "use a number between 0 and 1");
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
    throw new DocumentError(field, [x, y], "lies outside the frame [0, 1]",
      "keep points inside the image (0 is the left/top edge, 1 the right/bottom edge)");
  }
  return [x, y];
}

export const paletteColor = (index) => PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];

/** The smallest non-negative id not used by `objects`. */
export function nextId(objects) {
  const used = new Set(objects.map((o) => o.id));
  let id = 0;
  while (used.has(id)) id++;
  return id;
}

export const clone = (value) => JSON.parse(JSON.stringify(value));

/** Parse a document of `kind`: the header, then each object through `readObject(obj, field, frameCount, seenIds)`. */
export function parseDocument(value, kind, field, readObject) {
  const data = loadJsonObject(value, field);
  rejectUnknown(data, ["version", "kind", "frame_count", "objects", "camera"], field);
  const frameCount = readHeader(data, kind, field);
  const seen = new Set();
  const objects = readObjects(data, field).map((obj, i) => readObject(obj, `${field}.objects[${i}]`, frameCount, seen));
  const doc = { version: DOCUMENT_VERSION, kind, frame_count: frameCount, objects };
  if (data.camera !== undefined && data.camera !== null) doc.camera = parseCamera(data.camera, join(field, "camera"), frameCount);
  if (data.ui !== undefined) doc.ui = clone(data.ui);
  return doc;
}

// -- edits (pure: each returns a new document, so the undo stack can keep snapshots) --------------------------------

export const findObject = (doc, id) => doc.objects.find((o) => o.id === id);

/** A copy of `doc` with `fn(object, copy)` applied to the object `id` (the same `doc` when there is no such object). */
export function editObject(doc, id, fn) {
  const next = clone(doc);
  const obj = findObject(next, id);
  if (!obj) return doc;
  fn(obj, next);
  return next;
}

/** The document's header and objects (already in schema order) as JSON text, with the camera layer and "ui" after them. */
export function serializeDocument(doc, kind, objects) {
  const out = { version: DOCUMENT_VERSION, kind, frame_count: doc.frame_count, objects };
  if (doc.camera) out.camera = cameraJson(doc.camera);
  if (doc.ui !== undefined) out.ui = doc.ui;
  return JSON.stringify(out);
}

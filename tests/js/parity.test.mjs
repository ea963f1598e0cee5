// The JavaScript editor draws exactly what Python computes: fixtures from tests/js/parity_fixtures.py (Python).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { cameraJson, normalizedMatrix, parseCamera, pixelMatrix } from "../../js/editor/camera.js";
import {
  displacements, parseMaskArrows, rleDecode, rleEncode, screenPointAt, serializeMaskArrows,
} from "../../js/editor/mask_arrow_document.js";
import { parseTracklets, serializeTracklets, toTracklets } from "../../js/editor/tracklet_document.js";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/python_parity.json", import.meta.url), "utf8"));

test("in-between boxes equal Python's float32 results exactly, for every curve and frame count", () => {
  let compared = 0;
  for (const { document, resampled } of fixtures.tracklets) {
    const doc = parseTracklets(JSON.stringify(document));
    for (const [n, expected] of Object.entries(resampled)) {
      const got = toTracklets(doc, Number(n));
      assert.deepEqual(got.visible, expected.visible, `visibility, ${n} frames`);
      assert.deepEqual(got.boxes, expected.boxes, `boxes, ${n} frames`);
      compared += expected.boxes.flat().length;
    }
  }
  assert.ok(compared > 500);
});

test("the editor writes the same document Python writes (same keys, order and values)", () => {
  const same = (ours, theirs) => {
    assert.deepEqual(JSON.parse(ours), JSON.parse(theirs));
    assert.deepEqual(Object.keys(JSON.parse(ours).objects[0] ?? {}), Object.keys(JSON.parse(theirs).objects[0] ?? {}));
  };
  for (const { document, canonical } of fixtures.tracklets) same(serializeTracklets(parseTracklets(document)), canonical);
  const { document, canonical } = fixtures.mask_document;
  same(serializeMaskArrows(parseMaskArrows(document)), canonical);
});

test("arrow displacements equal Python's path_displacements", () => {
  for (const { object, displacements: expected } of fixtures.arrows) {
    const obj = { ...object, id: 0, label: "", color: "#000000", mask: null };
    for (const [n, rows] of Object.entries(expected)) {
      assert.deepEqual(displacements(obj, 14, Number(n)), rows, `${JSON.stringify(object.path)} over ${n} frames`);
    }
  }
});

test("run-length masks round-trip with Python's encoding", () => {
  for (const { mask, height, width, rle } of fixtures.masks) {
    assert.deepEqual(rleEncode(Uint8Array.from(mask), height, width), rle);
    assert.deepEqual([...rleDecode(rle).data], mask);
  }
});

test("every document Python refuses, the editor refuses, naming the same field", () => {
  for (const { kind, text, field } of fixtures.invalid) {
    const parse = kind === "tracklets" ? parseTracklets : parseMaskArrows;
    assert.throws(() => parse(text), (err) => {
      assert.equal(err.field, field, `${text}\n${err.message}`);
      return true;
    });
  }
});

// -- the camera layer (trackdiff_core/camera.py) ------------------------------------------------------------------------
// Cosine and sine may differ from numpy's in the last bit, so matrices and what they move agree to 1e-12, not bit for bit.
const close = (got, expected, tol, what) => {
  const a = got.flat(Infinity);
  const b = expected.flat(Infinity);
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}: ${v} vs ${b[i]} (entry ${i})`));
};

test("camera matrices at real-valued positions equal Python's Camera.matrices, in pixels and normalised", () => {
  for (const { camera, width, height, positions, pixels, normalized, canonical } of fixtures.camera.cameras) {
    const cam = parseCamera(camera, "camera", 14);
    assert.deepEqual(cameraJson(cam), canonical, "written like Camera.to_json");
    close(positions.map((t) => pixelMatrix(cam, t, width, height)), pixels, 1e-9, `pixels ${width}x${height}`);
    close(positions.map((t) => normalizedMatrix(cam, t, width, height)), normalized, 1e-12, `normalised ${width}x${height}`);
  }
});

test("boxes under a camera equal Python's to_tracklets (corners' bounds, clipped, hidden off screen)", () => {
  let hidden = 0;
  for (const { document, width, height, resampled, canonical } of fixtures.camera.boxes) {
    const doc = parseTracklets(JSON.stringify(document));
    assert.deepEqual(JSON.parse(serializeTracklets(doc)), JSON.parse(canonical));
    for (const [n, expected] of Object.entries(resampled)) {
      const got = toTracklets(doc, Number(n), width, height);
      assert.deepEqual(got.visible, expected.visible, `visibility, ${n} frames at ${width}x${height}`);
      close(got.boxes, expected.boxes, 1e-6, `boxes, ${n} frames at ${width}x${height}`);
      hidden += expected.visible.flat().filter((v) => !v).length;
    }
  }
  assert.ok(hidden > 0, "some box leaves the frame in the fixtures");
});

test("mask/arrow points under a camera: the path, then the camera (a screen anchor skips it), as Python composes them", () => {
  for (const { camera, object, scene, width, height, points } of fixtures.camera.points) {
    const doc = { camera: parseCamera(camera, "camera", 14) };
    const obj = { ...object, id: 0, label: "", color: "#000000", mask: null };
    const got = points.map((_, t) => scene.map((p) => screenPointAt(doc, obj, p, t, width, height)));
    close(got, points, 1e-6, `${JSON.stringify(object)}`); // Python moves points by float32 displacements
  }
});

test("every camera Python refuses, the editor refuses, naming the same field", () => {
  for (const { kind, text, field } of fixtures.camera.invalid) {
    const parse = kind === "tracklets" ? parseTracklets : parseMaskArrows;
    assert.throws(() => parse(text), (err) => {
      assert.equal(err.field, field, `${text}\n${err.message}`);
      return true;
    });
  }
});

// The JavaScript editor draws exactly what Python computes: fixtures from tests/js/parity_fixtures.py (Python).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { displacements, parseMaskArrows, rleDecode, rleEncode, serializeMaskArrows } from "../../js/editor/mask_arrow_document.js";
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

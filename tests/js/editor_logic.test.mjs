// Pure editor logic: timing, geometry and hit-testing, the undo stack, and document edits.
import assert from "node:assert/strict";
import { test } from "node:test";

import { clientToLayout, dragBox, fitRect, hitTestBoxes, hitTestPathPoint, layoutToNorm, normToLayout } from "../../js/editor/geometry.js";
import { History } from "../../js/editor/history.js";
import * as ma from "../../js/editor/mask_arrow_document.js";
import * as td from "../../js/editor/tracklet_document.js";
import { ease, framePositions, nearestFrame } from "../../js/editor/timing.js";

test("timing curves start at 0, end at 1 and clip u", () => {
  for (const name of ["linear", "ease_in", "ease_out", "ease_in_out", "hold"]) {
    assert.equal(ease(0, name), 0);
    assert.equal(ease(1, name), 1);
    assert.equal(ease(2, name), 1);
    assert.equal(ease(-1, name), 0);
  }
  assert.equal(ease(0.5, "ease_in"), 0.25);
  assert.equal(ease(0.5, "ease_out"), 0.75);
  assert.equal(ease(0.99, "hold"), 0);
  assert.throws(() => ease(0.5, "bounce"), /unknown timing/);
  assert.deepEqual(framePositions(14, 1), [0]);
  assert.deepEqual(framePositions(3, 5), [0, 0.5, 1, 1.5, 2]);
  assert.equal(nearestFrame(2.5), 3);
  assert.equal(nearestFrame(2.49), 2);
});

test("pointer maths undoes CSS scaling: a transformed element maps back to its own pixels", () => {
  // An element 400 px wide shown at 0.5× (ComfyUI scales DOM widgets with transform: scale()).
  const rect = { left: 100, top: 50, width: 200, height: 150 };
  const p = clientToLayout(200, 125, rect, 400, 300);
  assert.deepEqual([p.x, p.y], [200, 150]);
  const img = fitRect(400, 300, 16 / 9, 0);
  assert.equal(img.w, 400);
  assert.equal(img.h, 225);
  assert.equal(img.y, 37.5);
  const n = layoutToNorm({ x: 100, y: 37.5 + 112.5 }, img);
  assert.deepEqual([n.x, n.y], [0.25, 0.5]);
  assert.deepEqual(normToLayout(n, img), { x: 100, y: 150 });
});

test("resizing the stage never changes normalised coordinates", () => {
  for (const [w, h] of [[300, 200], [900, 240], [200, 700]]) {
    const img = fitRect(w, h, 4 / 3);
    const back = layoutToNorm(normToLayout({ x: 0.3, y: 0.7 }, img), img);
    assert.ok(Math.abs(back.x - 0.3) < 1e-12 && Math.abs(back.y - 0.7) < 1e-12);
    assert.ok(Math.abs(img.w / img.h - 4 / 3) < 1e-9);
  }
});

test("hit-testing: handles of the selected box first, then the smallest box under the pointer", () => {
  const img = { x: 0, y: 0, w: 1000, h: 1000 };
  const items = [{ id: 1, box: [0.1, 0.1, 0.9, 0.9] }, { id: 2, box: [0.4, 0.4, 0.5, 0.5] }];
  assert.deepEqual(hitTestBoxes(items, { x: 450, y: 450 }, img, 1), { id: 2, part: "move" });
  assert.deepEqual(hitTestBoxes(items, { x: 200, y: 200 }, img, null), { id: 1, part: "move" });
  assert.deepEqual(hitTestBoxes(items, { x: 902, y: 898 }, img, 1), { id: 1, part: "se" });
  assert.deepEqual(hitTestBoxes(items, { x: 500, y: 103 }, img, 1), { id: 1, part: "n" });
  assert.equal(hitTestBoxes(items, { x: 950, y: 50 }, img, 1), null);
  assert.deepEqual(dragBox([0.1, 0.1, 0.3, 0.3], "se", 0.1, 0.2), [0.1, 0.1, 0.4, 0.5]);
  assert.deepEqual(dragBox([0.1, 0.1, 0.3, 0.3], "move", 0.1, 0.2).map((v) => +v.toFixed(9)), [0.2, 0.3, 0.4, 0.5]);
  assert.equal(hitTestPathPoint([[0.1, 0.1], [0.5, 0.5]], { x: 503, y: 498 }, img), 1);
});

test("clamping keeps a box inside the frame, its size when moved, and says so", () => {
  const moved = td.clampBox([0.9, 0.2, 1.1, 0.4], "move");
  assert.deepEqual(moved.box.map((v) => +v.toFixed(9)), [0.8, 0.2, 1, 0.4]);
  assert.equal(moved.clamped, true);
  assert.deepEqual(td.clampBox([-0.1, 0.2, 0.3, 0.4], "resize"), { box: [0, 0.2, 0.3, 0.4], clamped: true });
  assert.deepEqual(td.clampBox([0.1, 0.2, 0.3, 0.4], "move"), { box: [0.1, 0.2, 0.3, 0.4], clamped: false });
  const { box } = td.clampBox([0.5, 0.5, 0.5, 0.5], "resize");
  assert.ok(box[2] > box[0] && box[3] > box[1], "never a box without area");
  assert.deepEqual(td.clampBox([0.4, 0.6, 0.2, 0.1], "resize").box, [0.2, 0.1, 0.4, 0.6]);
});

test("undo stack: push, undo, redo, and a new edit clears redo", () => {
  const h = new History(3);
  h.push("a", "one");
  h.push("b", "two");
  assert.equal(h.undo("c").state, "b");
  assert.equal(h.redo("b").state, "c");
  assert.equal(h.undo("c").state, "b");
  h.push("b", "three");
  assert.equal(h.canRedo, false);
  h.push("x");
  h.push("y");
  assert.equal(h.undoStack.length, 3, "bounded");
  assert.equal(new History().undo("z"), null);
});

test("box edits: auto-keyframe, keyframe removal, appear / disappear, static, retime", () => {
  let doc = td.emptyTracklets(14);
  let id;
  ({ doc, id } = td.addObject(doc, [0.1, 0.1, 0.2, 0.2], 0));
  doc = td.setBox(doc, id, 7, [0.5, 0.5, 0.6, 0.6]);
  let obj = td.findObject(doc, id);
  assert.deepEqual(obj.keyframes.map((k) => k.frame), [0, 7]);
  assert.deepEqual(td.boxAt(obj, 3.5).map((v) => +v.toFixed(9)), [0.3, 0.3, 0.4, 0.4]);
  assert.deepEqual(td.boxAt(obj, 12), [0.5, 0.5, 0.6, 0.6], "the last box holds");
  doc = td.setBox(doc, id, 7, [0.4, 0.5, 0.6, 0.6]);
  assert.equal(td.findObject(doc, id).keyframes.length, 2, "editing on a keyframe edits it");
  const same = td.addKeyframe(doc, id, 3);
  assert.deepEqual(td.boxAt(td.findObject(same, id), 3), td.boxAt(td.findObject(doc, id), 3), "a new keyframe moves nothing");
  doc = td.appearAt(doc, id, 2);
  assert.deepEqual(td.findObject(doc, id).visibility, [[2, 13]]);
  doc = td.disappearAfter(doc, id, 9);
  assert.deepEqual(td.findObject(doc, id).visibility, [[2, 9]]);
  doc = td.toggleVisibleAt(doc, id, 5);
  assert.deepEqual(td.findObject(doc, id).visibility, [[2, 4], [6, 9]]);
  doc = td.showAlways(doc, id);
  assert.equal(td.findObject(doc, id).visibility, null);
  doc = td.setObjectProps(doc, id, { static: true, label: "car", color: "#ABCDEF", interpolation: "ease_in" });
  obj = td.findObject(doc, id);
  assert.deepEqual(td.boxAt(obj, 7), [0.1, 0.1, 0.2, 0.2], "static: the first box everywhere");
  assert.equal(obj.color, "#abcdef");
  doc = td.setBox(doc, id, 9, [0.2, 0.2, 0.3, 0.3]);
  assert.deepEqual(td.findObject(doc, id).keyframes.map((k) => k.frame), [0, 7], "a static object edits its first box");
  const retimed = td.setFrameCount(doc, 27);
  assert.deepEqual(td.findObject(retimed, id).keyframes.map((k) => k.frame), [0, 14]);
  assert.equal(retimed.frame_count, 27);
  doc = td.deleteKeyframe(doc, id, 7);
  assert.equal(td.findObject(doc, id).keyframes.length, 1);
  assert.equal(td.findObject(td.deleteKeyframe(doc, id, 0), id).keyframes.length, 1, "the last keyframe stays");
  assert.equal(td.deleteObject(doc, id).objects.length, 0);
  // Every document the edits produce parses again (Python's rules, mirrored).
  assert.doesNotThrow(() => td.parseTracklets(td.serializeTracklets(retimed)));
});

test("the editor keeps its own state under \"ui\" and keeps other editors' ui too", () => {
  const text = JSON.stringify({ version: 1, kind: "tracklets", frame_count: 3, ui: { zoom: 2 }, objects: [
    { id: 4, color: "#000000", ui: { locked: true }, keyframes: [{ frame: 0, box: [0, 0, 1, 1] }] }] });
  const out = JSON.parse(td.serializeTracklets(td.parseTracklets(text)));
  assert.deepEqual(out.ui, { zoom: 2 });
  assert.deepEqual(out.objects[0].ui, { locked: true });
  assert.equal(out.objects[0].label, "");
});

test("mask/arrow edits and motion along the path", () => {
  let doc = ma.emptyMaskArrows(14);
  let id;
  ({ doc, id } = ma.addObject(doc, [0.2, 0.5]));
  assert.ok(ma.isStatic(ma.findObject(doc, id)));
  doc = ma.setPath(doc, id, [[0.2, 0.5], [0.6, 0.5], [0.6, 0.9]]);
  const obj = ma.findObject(doc, id);
  assert.deepEqual(ma.displacementAt(obj, 0), [0, 0]);
  assert.deepEqual(ma.displacementAt(obj, 13).map((v) => +v.toFixed(9)), [0.4, 0.4], "lands on the tip");
  assert.deepEqual(ma.pointOnPath(obj.path, 0.5).map((v) => +v.toFixed(9)), [0.6, 0.5], "by arc length");
  doc = ma.setObjectProps(doc, id, { start_frame: 9, end_frame: 3, timing: "ease_out" });
  assert.deepEqual([ma.findObject(doc, id).start_frame, ma.findObject(doc, id).end_frame], [3, 9]);
  const mask = new Uint8Array(6 * 4);
  mask.fill(1, 5, 11);
  doc = ma.setMask(doc, id, ma.rleEncode(mask, 6, 4));
  const points = ma.samplePreviewPoints(ma.rleDecode(ma.findObject(doc, id).mask), 4, 0, 0);
  assert.equal(points.length, 4);
  for (const [x, y] of points) assert.ok(mask[Math.floor(y * 6) * 4 + Math.floor(x * 4)], "points fall inside the mask");
  assert.equal(new Set(points.map(String)).size, 4, "spread out, no repeats while the mask has room");
  assert.doesNotThrow(() => ma.parseMaskArrows(ma.serializeMaskArrows(doc)));
  assert.equal(ma.setFrameCount(doc, 27).objects[0].end_frame, 18);
});

test("camera keys: the first edit makes the layer with a still key on frame 0, the last removal removes it", async () => {
  const cam = await import("../../js/editor/camera.js");
  const empty = td.emptyTracklets(14);
  const panned = cam.setCameraKey(empty, 13, { pan: [-0.1, 0] });
  assert.deepEqual(panned.camera.keyframes.map((k) => k.frame), [0, 13]);
  assert.deepEqual(panned.camera.keyframes[0], { frame: 0, pan: [0, 0], zoom: 1, rotation: 0 });
  assert.equal(empty.camera, undefined, "edits are pure");
  const zoomed = cam.setCameraKey(panned, 13, { zoom: 50 });
  assert.equal(zoomed.camera.keyframes[1].zoom, cam.MAX_ZOOM, "clamped into the camera's limits");
  assert.deepEqual(zoomed.camera.keyframes[1].pan, [-0.1, 0], "the other values stay");
  const halfway = cam.setCameraKey(zoomed, 6, {});
  assert.deepEqual(cam.cameraKeyAt(halfway.camera, 6), { frame: 6, ...cam.cameraAt(zoomed.camera, 6) }, "a new key holds what is shown there");
  assert.deepEqual(cam.moveCameraKey(halfway, 6, 9).camera.keyframes.map((k) => k.frame), [0, 9, 13]);
  assert.equal(cam.moveCameraKey(halfway, 6, 13), halfway, "never onto another key");
  const gone = cam.deleteCameraKey(cam.deleteCameraKey(cam.deleteCameraKey(halfway, 0), 6), 13);
  assert.equal(gone.camera, undefined);
  assert.equal(td.serializeTracklets(gone), td.serializeTracklets(empty), "no camera: the document is as before");
  const retimed = td.setFrameCount(halfway, 27);
  assert.deepEqual(retimed.camera.keyframes.map((k) => k.frame), [0, 12, 26], "keys move with the timeline");
});

test("a box under the camera: its corners' bounds, clipped; off screen once it has left the frame", async () => {
  const cam = await import("../../js/editor/camera.js");
  const doc = cam.setCameraKey(td.emptyTracklets(14), 13, { pan: [0.5, 0], zoom: 2 });
  const m = cam.normalizedMatrix(doc.camera, 13, 1024, 576);
  assert.deepEqual(cam.applyMatrix(m, [0.5, 0.5]), [1, 0.5], "the centre moves by the pan alone");
  const moved = cam.transformBox(m, [0.4, 0.4, 0.6, 0.6]);
  assert.ok(moved.onScreen);
  moved.box.forEach((v, i) => assert.ok(Math.abs(v - [0.8, 0.3, 1, 0.7][i]) < 1e-12, `${moved.box}`));
  assert.equal(cam.transformBox(m, [0.8, 0.4, 0.9, 0.6]).onScreen, false);
  const turned = cam.setCameraKey(td.emptyTracklets(14), 0, { rotation: 90 });
  const r = cam.pixelMatrix(turned.camera, 0, 100, 100);
  const p = cam.applyMatrix(r, [100, 50]); // right of the centre -> below it (y down: clockwise on screen)
  assert.ok(Math.abs(p[0] - 50) < 1e-9 && Math.abs(p[1] - 100) < 1e-9);
});

test("mask/arrow anchors: an anchored object holds still whatever its path; a screen anchor skips the camera", async () => {
  const cam = await import("../../js/editor/camera.js");
  let { doc, id } = ma.addObject(ma.emptyMaskArrows(14), [0.2, 0.3]);
  doc = ma.setPath(doc, id, [[0.2, 0.3], [0.6, 0.3]]);
  doc = cam.setCameraKey(doc, 13, { pan: [0.1, 0] });
  const obj = () => doc.objects[0];
  assert.ok(!ma.isStatic(obj()));
  const moving = ma.screenPointAt(doc, obj(), [0.2, 0.3], 13, 1024, 576);
  assert.ok(Math.abs(moving[0] - 0.7) < 1e-12, "the path, then the camera");
  doc = ma.setObjectProps(doc, id, { anchor: "scene" });
  assert.ok(ma.isStatic(obj()));
  assert.ok(Math.abs(ma.screenPointAt(doc, obj(), [0.2, 0.3], 13, 1024, 576)[0] - 0.3) < 1e-12, "still in the scene: the camera moves it");
  doc = ma.setObjectProps(doc, id, { anchor: "screen" });
  assert.deepEqual(ma.screenPointAt(doc, obj(), [0.2, 0.3], 13, 1024, 576), [0.2, 0.3], "still on screen");
  const text = ma.serializeMaskArrows(doc);
  assert.equal(JSON.parse(text).objects[0].anchor, "screen");
  assert.deepEqual(ma.parseMaskArrows(text), ma.parseMaskArrows(JSON.parse(text)));
  doc = ma.setObjectProps(doc, id, { anchor: null });
  assert.equal("anchor" in JSON.parse(ma.serializeMaskArrows(doc)).objects[0], false);
});

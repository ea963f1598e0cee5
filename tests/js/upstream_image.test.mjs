// The linked picture as the node will receive it: ImageScale's crop and size, with ComfyUI's own arithmetic
// (comfy.utils.common_upscale, nodes.ImageScale.upscale; Python's round() sends halves to the even neighbour).
import assert from "node:assert/strict";
import { test } from "node:test";

import { imageScaleGeometry, parseImageValue, roundHalfEven } from "../../js/upstream_image.js";

test("Python's round: halves go to the even neighbour", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -2, 2, 3]);
});

test("ImageScale with crop=center cuts the picture to the target aspect, centred", () => {
  // 96×64 (3:2) to 1024×576 (16:9): y = round((64 - 64·(16/9)/(3/2)... )/2) = 5 rows off the top and bottom.
  assert.deepEqual(imageScaleGeometry(96, 64, { width: 1024, height: 576, crop: "center" }),
    { crop: { x: 0, y: 5, w: 96, h: 54 }, width: 1024, height: 576 });
  // Taller than the target: the sides stay, rows go.
  assert.deepEqual(imageScaleGeometry(64, 96, { width: 1024, height: 576, crop: "center" }).crop, { x: 0, y: 30, w: 64, h: 36 });
  // Wider than the target: columns go; (100 - 88.88…)/2 = 5.55… rounds to 6.
  assert.deepEqual(imageScaleGeometry(100, 50, { width: 1024, height: 576, crop: "center" }).crop, { x: 6, y: 0, w: 88, h: 50 });
  // Already the target aspect: nothing is cut.
  assert.deepEqual(imageScaleGeometry(1920, 1080, { width: 1024, height: 576, crop: "center" }).crop, { x: 0, y: 0, w: 1920, h: 1080 });
});

test("ImageScale without crop stretches; a zero side keeps the aspect; both zero leaves the picture alone", () => {
  assert.deepEqual(imageScaleGeometry(96, 64, { width: 1024, height: 576, crop: "disabled" }),
    { crop: { x: 0, y: 0, w: 96, h: 64 }, width: 1024, height: 576 });
  assert.deepEqual(imageScaleGeometry(96, 64, { width: 0, height: 576, crop: "center" }),
    { crop: { x: 0, y: 0, w: 96, h: 64 }, width: 864, height: 576 });
  assert.deepEqual(imageScaleGeometry(96, 64, { width: 0, height: 0, crop: "center" }),
    { crop: { x: 0, y: 0, w: 96, h: 64 }, width: 96, height: 64 });
});

test("Load Image's value names the file, its subfolder and its folder", () => {
  assert.deepEqual(parseImageValue("example.png"), { filename: "example.png", subfolder: "", type: "input" });
  assert.deepEqual(parseImageValue("clips/a b.png [output]"), { filename: "a b.png", subfolder: "clips", type: "output" });
});

// The box editor's panel: the object chips and, for the selected box, its label, colour, timing curve, static flag,
// its box on this frame as numbers, and the keyframe and visibility buttons.

import { clamp01 } from "./geometry.js";
import { TIMINGS } from "./timing.js";
import {
  addKeyframe, appearAt, boxAt, clampBox, disappearAfter, keyframeAt, moveKeyframe, setBox, setKeyframeInterpolation, setObjectProps,
  showAlways,
} from "./tracklet_document.js";
import { keyFrameField, labelled, numberField } from "./numeric_fields.js";
import { h } from "./ui.js";

export function boxPanel(ed) {
  const doc = ed.doc;
  const chips = doc.objects.map((o) => h("button", {
    text: `#${o.id}${o.label ? " " + o.label : ""}`, title: "Select", class: o.id === ed.selectedId ? "td-on" : "",
    style: { borderLeft: `5px solid ${o.color}` }, "data-object": String(o.id), onclick: () => { ed.select(o.id); ed.focus(); },
  }));
  const obj = ed.selected;
  if (!obj) {
    return [...chips, h("span", { class: "td-muted", text: doc.objects.length
      ? "Click a box or a chip to edit it." : "Drag on the image to draw a box (? for help)." })];
  }
  const box = boxAt(obj, ed.frame);
  const key = keyframeAt(obj, ed.frame);
  const num = (i, name) => h("input", {
    type: "number", step: "0.001", min: "0", max: "1", value: box[i].toFixed(4), title: `${name} (0 = left/top, 1 = right/bottom)`,
    "data-field": name, onchange: (e) => typeCoordinate(ed, i, parseFloat(e.target.value)),
  });
  const curve = h("select", { "data-field": "interpolation", title: "Timing curve between keyframes",
    onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { interpolation: e.target.value }), "timing curve") },
  TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === obj.interpolation })));
  return [
    ...chips,
    h("label", { title: "Label (class name)" }, ["label", h("input", { type: "text", value: obj.label, size: "8", "data-field": "label",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { label: e.target.value }), "rename") })]),
    h("input", { type: "color", value: obj.color, title: "Colour (also the object's identity cue for TrackDiffusion)", "data-field": "color",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { color: e.target.value }), "recolour") }),
    h("label", {}, ["curve", curve]),
    h("label", { title: "The first box holds on every frame" }, [h("input", { type: "checkbox", checked: obj.static, "data-field": "static",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { static: e.target.checked }), "static") }), "static"]),
    h("span", { class: "td-muted", text: key ? `◆ key ${ed.frame}` : `frame ${ed.frame}` }),
    num(0, "x1"), num(1, "y1"), num(2, "x2"), num(3, "y2"),
    ...pixelFields(ed, obj, box),
    ...(key ? keyFields(ed, obj, key) : []),
    h("button", { text: "◆ Key", title: "Keyframe on this frame (K)", disabled: !!key,
      onclick: () => ed.commit(addKeyframe(ed.doc, obj.id, ed.frame), `keyframe on frame ${ed.frame}`) }),
    h("button", { text: "✕ Key", title: "Remove this frame's keyframe (Shift+K)", disabled: !key || obj.keyframes.length < 2,
      onclick: () => ed.removeKeyframe() }),
    h("button", { text: "[ Appears", title: "Appears on this frame ([)",
      onclick: () => ed.commit(appearAt(ed.doc, obj.id, ed.frame), `appears on frame ${ed.frame}`) }),
    h("button", { text: "Gone ]", title: "Disappears after this frame (])",
      onclick: () => ed.commit(disappearAfter(ed.doc, obj.id, ed.frame), `disappears after frame ${ed.frame}`) }),
    h("button", { text: "Always", title: "Visible on every frame", disabled: !obj.visibility,
      onclick: () => ed.commit(showAlways(ed.doc, obj.id), "always visible") }),
    h("button", { text: "Delete", title: "Delete this box (Delete)", onclick: () => ed.deleteSelected() }),
  ];
}

export function typeCoordinate(ed, index, value) {
  const obj = ed.selected;
  if (!obj) return;
  if (!Number.isFinite(value)) {
    ed.showNotice("Type a number between 0 and 1");
    ed.refresh();
    return;
  }
  const box = boxAt(obj, ed.frame);
  box[index] = value;
  typeBox(ed, obj, box, "typed coordinates");
}

/** x, y, w, h of the box on this frame in pixels of the first frame; typing one keeps the others. */
function pixelFields(ed, obj, box) {
  const [W, H] = ed.frameSize();
  const pixels = (b) => [b[0] * W, b[1] * H, (b[2] - b[0]) * W, (b[3] - b[1]) * H];
  const px = pixels(box);
  const typed = (index, v) => {
    const current = ed.doc.objects.find((o) => o.id === obj.id);
    if (!current) return;
    const next = pixels(boxAt(current, ed.frame)); // now, not when the panel was drawn (it is not redrawn while typing)
    next[index] = v;
    const [x, y, w, hh] = next;
    typeBox(ed, current, [x / W, y / H, (x + w) / W, (y + hh) / H], "typed pixels");
  };
  return ["x", "y", "w", "h"].map((name, i) => labelled(`${name} px`, numberField(ed, `box-${name}-px`, px[i],
    { step: 1, digits: 2, title: `${name} in pixels of ${W}×${H}` }, (v) => typed(i, v))));
}

/** On a keyframe: its frame (type another to move it) and its own timing curve ("hold": keep this box until the next). */
function keyFields(ed, obj, key) {
  const curve = h("select", { "data-field": "key-interpolation", title: "This key's curve to the next one (hold: keep this box until the next key)",
    onchange: (e) => ed.commit(setKeyframeInterpolation(ed.doc, obj.id, key.frame, e.target.value || null), "key curve") },
  [h("option", { value: "", text: "(object's)", selected: !key.interpolation }),
    ...TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === key.interpolation }))]);
  return [
    keyFrameField(ed, "key-frame", key.frame, (to) => {
      if (keyframeAt(obj, to)) {
        ed.showNotice(`Frame ${to} has a keyframe already`);
        ed.refresh();
        return false;
      }
      return ed.commit(moveKeyframe(ed.doc, obj.id, key.frame, to), `key ${key.frame} to frame ${to}`);
    }),
    labelled("key curve", curve),
  ];
}

/** Set the box on this frame to `box` (normalised) with a drag's checks: inside the picture, x1 < x2 and y1 < y2. */
export function typeBox(ed, obj, box, label) {
  const inside = box.map(clamp01);
  const { box: fixed, clamped } = clampBox(inside, "resize");
  if (clamped || inside.some((v, i) => v !== box[i])) ed.showNotice("Clamped: boxes stay inside the picture with x1 < x2 and y1 < y2");
  ed.commit(setBox(ed.doc, obj.id, ed.frame, fixed), label);
}

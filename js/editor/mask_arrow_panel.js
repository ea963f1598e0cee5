// The mask/arrow editor's panel: the object chips and, for the selected object, its label, colour, timing, the
// frames its move spans, where its mask comes from, and whether it is a static anchor.

import { clamp01 } from "./geometry.js";
import { isStatic, setObjectProps, setPath } from "./mask_arrow_document.js";
import { labelled, numberField } from "./numeric_fields.js";
import { TIMINGS } from "./timing.js";
import { h } from "./ui.js";

const HOLDS = [["", "moves"], ["scene", "still in the scene"], ["screen", "still on screen"]];

export function maskArrowPanel(ed) {
  const doc = ed.doc;
  const inputIndex = new Map();
  doc.objects.filter((o) => !o.mask && o.shape !== "point").forEach((o, i) => inputIndex.set(o.id, i));
  const chips = doc.objects.map((o) => h("button", {
    text: `#${o.id}${o.label ? " " + o.label : ""}`, class: o.id === ed.selectedId ? "td-on" : "", "data-object": String(o.id),
    style: { borderLeft: `5px solid ${o.color}` }, onclick: () => { ed.select(o.id); ed.focus(); },
  }));
  const obj = ed.selected;
  if (!obj) {
    return [...chips, h("span", { class: "td-muted", text: doc.objects.length
      ? "Click a chip to edit an object." : "Paint a region with the brush, then draw its arrow (? for help)." })];
  }
  const frameInput = (field, title) => h("input", { type: "number", min: "0", max: String(doc.frame_count - 1), step: "1", value: String(obj[field]),
    title, "data-field": field, onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { [field]: parseInt(e.target.value, 10) || 0 }), field) });
  return [
    ...chips,
    h("label", {}, ["label", h("input", { type: "text", value: obj.label, size: "8", "data-field": "label",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { label: e.target.value }), "rename") })]),
    h("input", { type: "color", value: obj.color, "data-field": "color", title: "Colour",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { color: e.target.value }), "recolour") }),
    h("label", {}, ["timing", h("select", { "data-field": "timing",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { timing: e.target.value }), "timing") },
    TIMINGS.map((t) => h("option", { value: t, text: t, selected: t === obj.timing })))]),
    h("label", { title: "The move starts on this frame" }, ["from", frameInput("start_frame", "First frame of the move")]),
    h("label", { title: "The move ends on this frame" }, ["to", frameInput("end_frame", "Last frame of the move")]),
    obj.shape === "point" ? h("span", { class: "td-muted", text: "a point (one track)" })
      : h("label", { title: "Take this object's mask from the node's MASK input (in order)" }, [
        h("input", { type: "checkbox", checked: !obj.mask, "data-field": "input-mask", onchange: () => ed.toggleInputMask(obj) }),
        obj.mask ? "mask from input" : `mask from input #${inputIndex.get(obj.id)}`]),
    labelled("hold", h("select", { "data-field": "anchor",
      title: "A static anchor holds the whole object still: in the scene (the camera still moves it) or on screen",
      onchange: (e) => ed.commit(setObjectProps(ed.doc, obj.id, { anchor: e.target.value || null }), "anchor") },
    HOLDS.map(([value, text]) => h("option", { value, text, selected: (obj.anchor ?? "") === value })))),
    h("span", { class: "td-muted", text: isStatic(obj) ? "static anchor" : `path: ${obj.path.length} points` }),
    ...pointFields(ed, obj),
    h("button", { text: "Delete", title: "Delete this object (Delete)", onclick: () => ed.deleteSelected() }),
  ];
}

/** The selected path point (the last one clicked or dragged), as numbers: normalised and in pixels of the first frame. */
function pointFields(ed, obj) {
  const index = ed.selectedPoint;
  if (!Number.isInteger(index) || index < 0 || index >= obj.path.length) return [];
  const [W, H] = ed.frameSize();
  const typed = (axis, value) => {
    const current = ed.doc.objects.find((o) => o.id === obj.id);
    if (!current || index >= current.path.length) return;
    const point = [...current.path[index]];
    point[axis] = clamp01(value);
    if (point[axis] !== value) ed.showNotice("Clamped to the image edge: paths stay inside the picture");
    ed.commit(setPath(ed.doc, obj.id, current.path.map((p, i) => (i === index ? point : p))), `typed path point ${index} of #${obj.id}`);
  };
  const [x, y] = obj.path[index];
  return [
    h("span", { class: "td-muted", text: `point ${index}` }),
    labelled("x", numberField(ed, "point-x", x, { min: 0, max: 1, title: "0 = left edge, 1 = right edge" }, (v) => typed(0, v))),
    labelled("px", numberField(ed, "point-x-px", x * W, { step: 1, digits: 2, title: `pixels of ${W}×${H}` }, (v) => typed(0, v / W))),
    labelled("y", numberField(ed, "point-y", y, { min: 0, max: 1, title: "0 = top edge, 1 = bottom edge" }, (v) => typed(1, v))),
    labelled("px", numberField(ed, "point-y-px", y * H, { step: 1, digits: 2, title: `pixels of ${W}×${H}` }, (v) => typed(1, v / H))),
  ];
}

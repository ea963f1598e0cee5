// The mask/arrow editor's panel: the object chips and, for the selected object, its label, colour, timing, the
// frames its move spans, where its mask comes from, and whether it is a static anchor.

import { isStatic, setObjectProps } from "./mask_arrow_document.js";
import { TIMINGS } from "./timing.js";
import { h } from "./ui.js";

export function maskArrowPanel(ed) {
  const doc = ed.doc;
  const inputIndex = new Map();
  doc.objects.filter((o) => !o.mask).forEach((o, i) => inputIndex.set(o.id, i));
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
    h("label", { title: "Take this object's mask from the node's MASK input (in order)" }, [
      h("input", { type: "checkbox", checked: !obj.mask, "data-field": "input-mask", onchange: () => ed.toggleInputMask(obj) }),
      obj.mask ? "mask from input" : `mask from input #${inputIndex.get(obj.id)}`]),
    h("span", { class: "td-muted", text: isStatic(obj) ? "static anchor" : `path: ${obj.path.length} points` }),
    h("button", { text: "Delete", title: "Delete this object (Delete)", onclick: () => ed.deleteSelected() }),
  ];
}

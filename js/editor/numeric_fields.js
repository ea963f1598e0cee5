// Numeric entry: small number fields for the selected box, path point or camera key. A typed value goes through the
// same edit functions, checks and undo history as a drag (one edit per field change); pixels are those of the first
// frame (the picture's size, or 1024 x 576 before there is one).

import { h } from "./ui.js";

/** A number input showing `value` (rounded for display only); `apply(v)` receives exactly what was typed. */
export function numberField(ed, field, value, { step = 0.001, title = "", digits = 4, min, max } = {}, apply) {
  return h("input", {
    type: "number", step: String(step), value: String(+Number(value).toFixed(digits)), title, "data-field": field,
    min: min === undefined ? undefined : String(min), max: max === undefined ? undefined : String(max),
    onchange: (e) => {
      const v = parseFloat(e.target.value);
      if (!Number.isFinite(v)) {
        ed.showNotice("Type a number");
        ed.refresh();
        return;
      }
      apply(v);
    },
  });
}

export const labelled = (text, input, title = "") => h("label", { title }, [text, input]);

/** The frame a key sits on, as a field: typing another frame moves the key there (refused onto another key). */
export function keyFrameField(ed, field, frame, move) {
  return labelled("key at", numberField(ed, field, frame, { step: 1, digits: 0, min: 0, max: ed.doc.frame_count - 1,
    title: "The frame of this key: type another to move it" }, (v) => {
    const to = Math.round(v);
    if (to < 0 || to >= ed.doc.frame_count || to !== v) {
      ed.showNotice(`A key sits on a whole frame between 0 and ${ed.doc.frame_count - 1}`);
      ed.refresh();
      return;
    }
    if (to === frame) return;
    if (move(to) !== false) ed.setFrame(to);
  }));
}

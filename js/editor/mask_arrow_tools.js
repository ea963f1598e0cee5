// The mask/arrow editor's tools, as objects: each says its name, button, shortcut, tooltip, help line and what a
// press on the picture does. Moving and releasing follow the drag the press started (the editor's paint and arrow
// gestures).

import { setPath } from "./mask_arrow_document.js";

/**
 * The tools, each in one place: its name, button label, shortcut key, tooltip, help line, and what a press on the
 * picture does (`down(editor, p, e, obj, created)`: `obj` is the selected object or null, `created()` makes a new one
 * at the pointer as part of the same edit). Moving and releasing follow the drag the press started (paint, arrow).
 * Adding a tool is adding an entry here.
 */
export const TOOLS = [
  {
    name: "brush", label: "Brush", key: "b", title: "Paint the selected object's mask (B)",
    help: ["B", "brush: paint the selected object's mask (with nothing selected, a new object)"],
    down: (ed, p, e, obj, created) => ed.startPaint(p, obj ?? created(), 1),
  },
  {
    name: "erase", label: "Erase", key: "e", title: "Erase from the selected object's mask (E)",
    help: ["E", "eraser: erase from the selected object's mask"],
    down: (ed, p, e, obj) => obj && ed.startPaint(p, { obj, base: ed.doc }, 0),
  },
  {
    name: "arrow", label: "Arrow", key: "a", title: "Drag an arrow for where the object goes; Shift+click adds a path point (A)",
    help: ["A", "arrow: drag from the object to where it goes; Shift+click adds a point (a multi-point path)"],
    shiftAddsPoints: true, // so Shift+click on an existing point adds one there instead of dragging it
    down: (ed, p, e, obj, created) => (obj && e.shiftKey ? ed.addPathPoint(obj, p) : ed.startArrow(p, obj ? { obj, base: ed.doc } : created())),
  },
  {
    name: "anchor", label: "Anchor", key: "n", title: "Click to pin the selected object still; with nothing selected, a point that stays (N)",
    help: ["N", "anchor: pin the selected object still; with nothing selected, add a point that stays (one track)"],
    down: (ed, p, e, obj) => (obj ? ed.commit(setPath(ed.doc, obj.id, [[p.nx, p.ny]]), `anchor #${obj.id}`)
      : ed.newObject([p.nx, p.ny], { shape: "point" })),
  },
];

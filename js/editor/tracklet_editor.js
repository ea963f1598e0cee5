// The box editor (TrackletEditor): a box per object, keyframes on a frame timeline, appear / disappear.
// Framework-free: `new TrackletEditor(element, {value, onChange})` mounts it on any element.

import { EditorBase } from "./editor_base.js";
import { CURSORS, clamp01, dragBox, hitTestBoxes } from "./geometry.js";
import {
  addKeyframe, addObject, appearAt, boxAt, clampBox, deleteKeyframe, deleteObject, disappearAfter, emptyTracklets, keyframeAt,
  parseTracklets, serializeTracklets, setBox, setFrameCount, setKeyframeInterpolation, setObjectProps, showAlways, toggleVisibleAt, visibleAt,
} from "./tracklet_document.js";
import { BoxLayer } from "./tracklet_layer.js";
import { boxPanel, typeCoordinate } from "./tracklet_panel.js";
import { h } from "./ui.js";

const DEFAULT_BOX = 0.2; // Shift+click adds a box this big (normalised)
const CLICK_SLOP = 4; // layout px: less movement than this is a click

export class TrackletEditor extends EditorBase {
  get kindName() { return "tracklets"; }
  emptyDocument(frameCount = 14) { return emptyTracklets(frameCount); }
  parse(text) { return parseTracklets(text); }
  serialize(doc) { return serializeTracklets(doc); }
  retime(doc, count) { return setFrameCount(doc, count); }

  buildTools() {
    this.layers = [new BoxLayer(this)];
    return [h("button", { text: "+ Box", title: "Add a box in the middle (or Shift+click on the image)", onclick: () => this.addBoxAt(0.5, 0.5) })];
  }

  items() {
    return this.doc.objects.map((o) => ({ id: o.id, box: boxAt(o, this.frame), obj: o }));
  }

  addBoxAt(nx, ny) {
    const half = DEFAULT_BOX / 2;
    const { box, clamped } = clampBox([nx - half, ny - half, nx + half, ny + half], "move");
    const { doc, id } = addObject(this.doc, box, this.frame);
    this.selectedId = id;
    this.commit(doc, "add box");
    if (clamped) this.showNotice("Clamped to the image edge");
  }

  // -- pointer --------------------------------------------------------------------------------------------------------
  onStageHover(p) {
    const hit = hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    return hit ? CURSORS[hit.part] : "crosshair";
  }

  onStageDown(p, e) {
    const hit = e.shiftKey ? null : hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    if (hit) {
      this.selectedId = hit.id;
      const obj = this.selected;
      this.drag = { mode: "edit", id: hit.id, part: hit.part, start: p, startBox: boxAt(obj, this.frame), moved: false };
      this.beginGesture(hit.part === "move" ? `move box #${hit.id}` : `resize box #${hit.id}`);
      this.refresh();
    } else {
      this.drag = { mode: "draw", start: p, end: p, shift: e.shiftKey };
    }
  }

  onStageMove(p) {
    const d = this.drag;
    if (!d) return;
    if (Math.hypot(p.x - d.start.x, p.y - d.start.y) >= CLICK_SLOP) d.moved = true;
    if (d.mode === "draw") {
      d.end = p;
      this.requestDraw();
      return;
    }
    if (!d.moved) return;
    const raw = dragBox(d.startBox, d.part, p.nx - d.start.nx, p.ny - d.start.ny);
    const { box, clamped } = clampBox(raw, d.part === "move" ? "move" : "resize");
    if (clamped) this.showNotice("Clamped to the image edge: boxes stay inside the picture", 1500);
    this.preview(setBox(this.gesture.beforeDoc, d.id, this.frame, box));
  }

  onStageUp(p) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.mode === "edit") {
      this.endGesture();
      return;
    }
    if (d.moved) {
      const a = { x: d.start.nx, y: d.start.ny };
      const raw = [Math.min(a.x, p.nx), Math.min(a.y, p.ny), Math.max(a.x, p.nx), Math.max(a.y, p.ny)];
      const clampedBox = raw.map(clamp01);
      const { box, clamped } = clampBox(clampedBox, "resize");
      const { doc, id } = addObject(this.doc, box, this.frame);
      this.selectedId = id;
      this.commit(doc, "draw box");
      if (clamped || raw.some((v, i) => v !== clampedBox[i])) this.showNotice("Clamped to the image edge: boxes stay inside the picture");
    } else if (d.shift) {
      this.addBoxAt(p.nx, p.ny);
    } else {
      this.select(null);
    }
  }

  // -- keyboard and menu ----------------------------------------------------------------------------------------------
  onKey(e, key) {
    const obj = this.selected;
    if (!obj) return false;
    if (key === "Delete" || key === "Backspace") this.deleteSelected();
    else if (key === "k" && !e.shiftKey) this.commit(addKeyframe(this.doc, obj.id, this.frame), `keyframe on frame ${this.frame}`);
    else if (key === "k" && e.shiftKey) this.removeKeyframe();
    else if (key === "h") this.commit(toggleVisibleAt(this.doc, obj.id, this.frame), `visibility on frame ${this.frame}`);
    else if (key === "[") this.commit(appearAt(this.doc, obj.id, this.frame), `appears on frame ${this.frame}`);
    else if (key === "]") this.commit(disappearAfter(this.doc, obj.id, this.frame), `disappears after frame ${this.frame}`);
    else return false;
    return true;
  }

  deleteSelected() {
    const id = this.selectedId;
    this.selectedId = null;
    this.commit(deleteObject(this.doc, id), `delete box #${id}`);
  }

  removeKeyframe() {
    const obj = this.selected;
    if (!obj || !keyframeAt(obj, this.frame)) return;
    if (obj.keyframes.length === 1) {
      this.showNotice("An object keeps at least one keyframe; delete the object instead");
      return;
    }
    this.commit(deleteKeyframe(this.doc, obj.id, this.frame), `remove keyframe on frame ${this.frame}`);
  }

  menuItems(p) {
    const hit = hitTestBoxes(this.items(), p, this.imageRect(), this.selectedId);
    if (!hit) return [{ label: "Add box here", action: () => this.addBoxAt(p.nx, p.ny) }];
    this.select(hit.id);
    const obj = this.selected;
    const f = this.frame;
    const key = keyframeAt(obj, f);
    const shown = visibleAt(obj, f);
    return [
      { label: `◆ Keyframe on frame ${f}`, disabled: !!key, action: () => this.commit(addKeyframe(this.doc, obj.id, f), `keyframe on frame ${f}`) },
      { label: `Remove keyframe on frame ${f}`, disabled: !key || obj.keyframes.length < 2, action: () => this.removeKeyframe() },
      { label: key?.interpolation === "hold" ? "Let this key move on (object's curve)" : "Hold this key until the next", disabled: !key,
        action: () => this.commit(setKeyframeInterpolation(this.doc, obj.id, f, key.interpolation === "hold" ? null : "hold"), "hold key") },
      { label: `Appears on frame ${f}`, action: () => this.commit(appearAt(this.doc, obj.id, f), `appears on frame ${f}`) },
      { label: `Disappears after frame ${f}`, action: () => this.commit(disappearAfter(this.doc, obj.id, f), `disappears after frame ${f}`) },
      { label: shown ? `Hide on frame ${f}` : `Show on frame ${f}`, action: () => this.commit(toggleVisibleAt(this.doc, obj.id, f), `visibility on frame ${f}`) },
      { label: "Visible on every frame", disabled: !obj.visibility, action: () => this.commit(showAlways(this.doc, obj.id), "always visible") },
      { label: obj.static ? "Let it move (not static)" : "Static (first box on every frame)",
        action: () => this.commit(setObjectProps(this.doc, obj.id, { static: !obj.static }), "static") },
      { label: "Rename…", action: () => this.panel.querySelector("[data-field=label]")?.focus() },
      { label: `Delete box #${obj.id}`, action: () => this.deleteSelected() },
    ];
  }

  helpRows() {
    return [
      ["Drag", "on empty image: draw a new box"],
      ["Shift+click", "add a box; Shift+drag draws one over others"],
      ["Drag a box", "move it; drag a handle to resize"],
      ["", "an edit on a frame without a keyframe adds one there"],
      ["K / Shift+K", "keyframe here / remove it"],
      ["[  ]", "appears on this frame / disappears after it"],
      ["H", "hide or show on this frame"],
      ["Delete", "delete the selected box"],
    ];
  }

  renderPanel() { return boxPanel(this); }
  typeCoordinate(index, value) { typeCoordinate(this, index, value); }
}

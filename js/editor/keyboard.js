// The editors' keyboard: undo / redo, frames, playback, help and Escape here; everything else goes to the editor's
// own `onKey` (its tools and layers). Keys a host owns (Ctrl+S, Ctrl+Enter, ...) are left to the host, and Delete /
// Backspace never reach it while the editor has focus (in ComfyUI they would delete the node).

import { isTextField } from "./ui.js";

export function keyDown(ed, e) {
  const typing = isTextField(e.target) || e.target.tagName === "SELECT";
  if (typing) {
    if (e.key === "Escape") e.target.blur?.();
    e.stopPropagation(); // the host's shortcuts must not fire while typing a label
    return;
  }
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  let handled = true;
  if (mod && !e.altKey && key === "z") {
    if (e.shiftKey) ed.redo();
    else ed.undo();
  } else if (mod && !e.altKey && key === "y") ed.redo();
  else if (mod) handled = false;
  else if (key === "ArrowLeft") ed.stepFrame(-1, e.shiftKey);
  else if (key === "ArrowRight") ed.stepFrame(1, e.shiftKey);
  else if (key === "Home") ed.setFrame(0);
  else if (key === "End") ed.setFrame(ed.doc ? ed.doc.frame_count - 1 : 0);
  else if (key === " ") ed.togglePlay();
  else if (key === "?") ed.toggleHelp();
  else if (key === "Escape") {
    if (ed.gesture) ed.cancelGesture();
    else if (ed.panels.menu) ed.closeMenu();
    else if (ed.panels.helpShown) ed.toggleHelp(false);
    else ed.select(null);
  } else {
    handled = ed.doc ? ed.layerKey(e, key) : false;
    if (key === "Delete" || key === "Backspace") handled = true;
  }
  if (handled) {
    e.preventDefault();
    e.stopPropagation();
  }
}

// Seeds: a whole document from outside the editor's own edits, e.g. the document output of Tracks From Video that an
// editor node used because its widget's document was empty (the node sends it back under "trackdiff_seed"). Adopting
// one is one undoable edit; after that it is edited like any other document (keyframes, undo, save and reload).

/** Adopt `text` at once while the editor's document is empty (no object, no camera); otherwise keep it and show a
 *  "Use seed" button, so nothing the person drew is replaced without their say. */
export function offerSeed(ed, text) {
  if (typeof text !== "string" || !text.trim() || text === ed.text) return false;
  if (ed.doc && !ed.doc.objects.length && !ed.doc.camera) {
    ed.pendingSeed = null;
    ed.panels.showSeed(null);
    return ed.adopt(text, "seed document");
  }
  ed.pendingSeed = text;
  ed.panels.showSeed(() => {
    if (ed.adopt(ed.pendingSeed, "seed document")) {
      ed.pendingSeed = null;
      ed.panels.showSeed(null);
    }
  });
  return false;
}

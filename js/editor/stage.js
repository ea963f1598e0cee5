// The stage: the picture area of an editor. It owns the canvas, the background picture, where the picture sits on
// the stage, and the mapping of pointer events to normalised picture coordinates; it draws the background and then
// hands the canvas to the editor's layers. Pointer presses, moves and releases go to the editor's tool hooks.

import { DEFAULT_SIZE } from "./camera.js";
import { clientToLayout, fitRect, layoutToNorm } from "./geometry.js";
import { h, loadImage } from "./ui.js";

export class Stage {
  /** @param {object} editor  the EditorBase this stage belongs to (its hooks receive the pointer) */
  constructor(editor) {
    this.editor = editor;
    this.background = null;
    this.hint = null;
    this.dragging = false;
    this.canvas = h("canvas", { "data-role": "stage" });
    this.element = h("div", { class: "td-stage" }, [this.canvas]);
    this.canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.canvas.addEventListener("pointercancel", (e) => this.pointerUp(e, true));
    this.canvas.addEventListener("contextmenu", (e) => editor.contextMenu(e));
  }

  // -- where the picture is ---------------------------------------------------------------------------------------------
  imageRect() {
    return fitRect(this.element.clientWidth, this.element.clientHeight, this.editor.aspect);
  }

  /** Pointer event -> {x, y} layout px of `element` and {nx, ny} normalised picture coordinates. */
  eventPoint(e, element = this.canvas) {
    const rect = element.getBoundingClientRect();
    const p = clientToLayout(e.clientX, e.clientY, rect, element.clientWidth, element.clientHeight);
    const n = layoutToNorm(p, this.imageRect());
    return { x: p.x, y: p.y, nx: n.x, ny: n.y, scale: p.scale };
  }

  // -- background ---------------------------------------------------------------------------------------------------------
  /** Show `source` (URL, Blob/File, a loaded image or a canvas) under the drawing; `label` says where it came from. */
  async setBackground(source, label = "") {
    const ed = this.editor;
    if (!source) {
      this.background = null;
      ed.requestDraw();
      return null;
    }
    const token = (this.backgroundToken = (this.backgroundToken || 0) + 1);
    try {
      const ready = source instanceof HTMLImageElement || source instanceof HTMLCanvasElement
        || (typeof ImageBitmap !== "undefined" && source instanceof ImageBitmap);
      const image = ready ? source : await loadImage(source);
      if (token !== this.backgroundToken) return null;
      this.background = { image, label };
      const w = image.naturalWidth || image.width;
      const hgt = image.naturalHeight || image.height;
      // A canvas may be drawn smaller than the picture it stands for; it then carries that picture's exact aspect.
      const exact = parseFloat(image.dataset?.aspect);
      if (exact > 0) ed.aspect = exact;
      else if (w > 0 && hgt > 0) ed.aspect = w / hgt;
      this.hint = null;
      ed.requestDraw();
      return image;
    } catch (err) {
      if (token === this.backgroundToken) ed.showNotice(`Background image: ${err.message}`);
      return null;
    }
  }

  /** The frame's size in pixels: the picture's, or 576 rows at the editor's aspect (SVD's 1024 x 576 by default). */
  frameSize() {
    const image = this.background?.image;
    const w = image?.naturalWidth || image?.width;
    const hh = image?.naturalHeight || image?.height;
    if (w > 0 && hh > 0 && !image.dataset?.aspect) return [w, hh];
    return [Math.max(1, Math.round(DEFAULT_SIZE[1] * this.editor.aspect)), DEFAULT_SIZE[1]];
  }

  // -- pasted and dropped pictures (and pasted documents) ----------------------------------------------------------------------------------------
  imageFromTransfer(list) {
    return [...(list || [])].find((f) => f && f.type && f.type.startsWith("image/")) || null;
  }

  /** Ctrl+V in the editor: a picture becomes the background; a document's JSON text replaces the document (one
   *  undoable edit, refused with a notice when it cannot be read). */
  paste(e) {
    const file = this.imageFromTransfer(e.clipboardData?.files);
    const text = file ? "" : (e.clipboardData?.getData("text/plain") ?? "").trim();
    if (!file && !text.startsWith("{")) return;
    e.preventDefault();
    e.stopPropagation();
    if (file) this.useImageFile(file, "pasted");
    else this.editor.adopt(text, "pasted document");
  }

  drop(e) {
    const file = this.imageFromTransfer(e.dataTransfer?.files);
    if (!file) return;
    e.preventDefault();
    e.stopPropagation();
    this.useImageFile(file, "dropped");
  }

  useImageFile(file, label) {
    this.setBackground(file, label);
    this.editor.options.onImageFile?.(file);
  }

  // -- pointer ------------------------------------------------------------------------------------------------------------
  pointerDown(e) {
    const ed = this.editor;
    if (e.button === 1) return; // the middle button belongs to the host (pans the graph in ComfyUI)
    e.stopPropagation();
    ed.closeMenu();
    ed.focus();
    if (!ed.doc || e.button !== 0) return;
    e.preventDefault();
    ed.stopPlay();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.dragging = true;
    ed.stageDown(this.eventPoint(e), e);
  }

  pointerMove(e) {
    const ed = this.editor;
    if (!ed.doc) return;
    const p = this.eventPoint(e);
    if (this.dragging) {
      e.stopPropagation();
      ed.stageMove(p, e);
    } else {
      this.canvas.style.cursor = ed.stageHover(p, e) || "default";
    }
  }

  pointerUp(e, cancelled = false) {
    if (!this.dragging) return;
    e.stopPropagation();
    this.dragging = false;
    this.canvas.releasePointerCapture?.(e.pointerId);
    if (cancelled) this.editor.cancelGesture();
    else this.editor.stageUp(this.eventPoint(e), e);
  }

  // -- drawing ------------------------------------------------------------------------------------------------------------
  /** Size the canvas to its box (device pixels); true when it changed. */
  fit(dpr) {
    const w = Math.max(1, Math.round(this.element.clientWidth * dpr));
    const hh = Math.max(1, Math.round(this.element.clientHeight * dpr));
    if (this.canvas.width === w && this.canvas.height === hh) return false;
    this.canvas.width = w;
    this.canvas.height = hh;
    return true;
  }

  /** The background (transformed by `matrix`, a layout-px [a, b, c, d, e, f] as for setTransform, when given). */
  draw(dpr, matrix = null) {
    const ed = this.editor;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const img = this.imageRect();
    if (this.background) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(img.x, img.y, img.w, img.h);
      ctx.clip();
      if (matrix) {
        ctx.fillStyle = "#161616";
        ctx.fillRect(img.x, img.y, img.w, img.h);
        ctx.transform(...matrix);
      }
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.background.image, img.x, img.y, img.w, img.h);
      ctx.restore();
    } else {
      ctx.fillStyle = "#2a2a2a";
      ctx.fillRect(img.x, img.y, img.w, img.h);
      // Centred on an empty stage; along the bottom edge, under the drawing, once there is something drawn.
      const text = this.hint || "No image yet: connect one, run once, or paste or drop a picture here";
      const empty = !ed.doc?.objects.length;
      ctx.fillStyle = "#888";
      ctx.font = `${empty ? 12 : 11}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.save();
      ctx.beginPath();
      ctx.rect(img.x, img.y, img.w, img.h);
      ctx.clip();
      ctx.fillText(text, img.x + img.w / 2, empty ? img.y + img.h / 2 : img.y + img.h - 6, Math.max(10, img.w - 12));
      ctx.restore();
      ctx.textAlign = "left";
    }
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(img.x + 0.5, img.y + 0.5, img.w - 1, img.h - 1);
    return { ctx, img };
  }
}

// ComfyUI adapter for the TrackDiff editors: a thin layer between the framework-free component (./editor/) and the
// ComfyUI frontend. It attaches by *widget name*, not node class: a STRING widget `tracklets_json` gets the box editor,
// `mask_arrows_json` the mask/arrow editor. The state is that STRING widget's value (the versioned JSON document, so it
// lands in widgets_values and API prompts); the canvas is a DOM widget with serialize: false. Docs: docs/editors.md.
//
// Only the extension surface is used: window.comfyAPI (what the frontend's own /scripts/*.js shims re-export),
// registerExtension, nodeCreated, node.addDOMWidget, onExecuted, the workflow's change tracker (as the frontend's own
// commands call it), the api's graphChanged event, /view and /upload/image. Nothing polls: every edit is pushed to
// ComfyUI at once, and outside changes arrive through the widget's value setter and ComfyUI's events.

import { MaskArrowEditor } from "./editor/mask_arrow_editor.js";
import { TrackletEditor } from "./editor/tracklet_editor.js";
import { applySteps, findUpstreamImage } from "./upstream_image.js";
import { loadImage } from "./editor/ui.js";
import { fillVueNode } from "./vue_fill.js";

const EDITORS = { tracklets_json: TrackletEditor, mask_arrows_json: MaskArrowEditor };
const DOM_WIDGET_NAME = "trackdiff_editor";
const MIN_HEIGHT = 360;

const comfyAPI = window.comfyAPI;
const app = comfyAPI?.app?.app;
const api = comfyAPI?.api?.api;

const viewUrl = ({ filename, subfolder = "", type = "input" }) =>
  api.apiURL(`/view?filename=${encodeURIComponent(filename)}&type=${encodeURIComponent(type)}&subfolder=${encodeURIComponent(subfolder)}`);

function chain(object, method, fn) {
  const original = object[method];
  object[method] = function (...args) {
    const result = original?.apply(this, args);
    fn.apply(this, args);
    return result;
  };
}

/** Tell ComfyUI the graph changed now: the workflow is marked modified, an undo checkpoint is taken, and the
 *  workflow is persisted (so Ctrl+S and a reload right after an edit keep it). The frontend's own commands do this. */
function graphChanged() {
  app.extensionManager?.workflow?.activeWorkflow?.changeTracker?.checkState?.();
}

/** Call `onSet(value)` whenever something assigns `widget.value` (ComfyUI's configure and undo, other extensions).
 *  A DOM widget's value setter goes through its `options.setValue`; other widgets get an accessor on the instance. */
function watchValue(widget, onSet) {
  const options = widget.options;
  if (options && typeof options.setValue === "function") {
    const set = options.setValue;
    options.setValue = function (value) {
      const result = set.call(this, value);
      onSet(widget.value);
      return result;
    };
    return true;
  }
  let holder = widget;
  let descriptor;
  while (holder && !(descriptor = Object.getOwnPropertyDescriptor(holder, "value"))) holder = Object.getPrototypeOf(holder);
  if (!descriptor || (holder === widget && !descriptor.configurable)) return false;
  let stored = descriptor.value;
  Object.defineProperty(widget, "value", {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get() { return descriptor.get ? descriptor.get.call(this) : stored; },
    set(value) {
      if (descriptor.set) descriptor.set.call(this, value);
      else stored = value;
      onSet(this.value);
    },
  });
  return true;
}

async function uploadTemp(file) {
  const body = new FormData();
  body.append("image", file, file.name || "trackdiff_background.png");
  body.append("type", "temp");
  body.append("overwrite", "true");
  const response = await api.fetchApi("/upload/image", { method: "POST", body });
  if (!response.ok) throw new Error(`upload failed (${response.status})`);
  const data = await response.json();
  return { filename: data.name, subfolder: data.subfolder || "", type: data.type || "temp" };
}

/** Vue nodes: when ComfyUI rebuilds the graph in place (its own undo / redo), a node component with the same id is
 *  reused and keeps the previous node's widget element, now empty, instead of mounting the new one. Put the new
 *  editor where the old one was, as soon as that shows (within a couple of seconds of the node being created). */
function adoptStaleHost(container, node) {
  let tries = 0;
  const attempt = () => {
    if (container.isConnected || !node.graph?.nodes?.includes?.(node)) {
      if (!container.isConnected && ++tries < 120) requestAnimationFrame(attempt);
      return;
    }
    const stale = [...document.querySelectorAll(`[data-node-id="${node.id}"] .trackdiff-editor-host`)]
      .find((el) => el !== container && !el.querySelector(".td-editor"));
    if (stale) stale.replaceWith(container);
    else if (++tries < 120) requestAnimationFrame(attempt);
  };
  requestAnimationFrame(attempt);
}

/** The node's own output preview (the images it returns, for other frontends and the API) would sit under the
 *  editor and take its height; the editor already shows the run's frame, so ComfyUI's preview is left out here. */
function hideOutputPreview(node) {
  // Classic canvas: the preview widget is (re)made by the node's onDrawBackground, which does nothing else.
  node.onDrawBackground = function () {};
  // Vue nodes: the preview is a sibling of the widgets.
  if (document.getElementById("trackdiff-host-styles")) return;
  const style = document.createElement("style");
  style.id = "trackdiff-host-styles";
  style.textContent = "[data-node-id]:has(.trackdiff-editor-host) .lg-node-content .image-preview{display:none!important}";
  document.head.append(style);
}

function attach(node) {
  const widget = node.widgets?.find((w) => EDITORS[w.name]);
  if (!widget || node.widgets.some((w) => w.name === DOM_WIDGET_NAME)) return;
  const Editor = EDITORS[widget.name];

  // The JSON stays in its STRING widget (saved and sent to Python) but is shown by the editor, not as a text box.
  widget.hidden = true;
  widget.options = { ...(widget.options || {}), hidden: true };

  const container = document.createElement("div");
  container.className = "trackdiff-editor-host";
  Object.assign(container.style, { width: "100%", height: "100%", minHeight: `${MIN_HEIGHT - 20}px`, display: "flex" });

  const editor = new Editor(container, {
    value: typeof widget.value === "string" && widget.value.trim() ? widget.value : undefined,
    onChange(text) {
      widget.value = text;
      node.graph?.setDirtyCanvas?.(true, false);
      graphChanged();
    },
    onImageFile(file) {
      uploadTemp(file).then((ref) => {
        node.properties.trackdiff_background = ref;
        graphChanged();
      }).catch((err) => editor.showNotice(`The picture is shown but was not saved with the workflow: ${err.message}`, 5000));
    },
  });
  node.trackdiffEditor = editor;
  // A new node's empty value becomes an empty document (a stored document is kept exactly as it is written).
  if ((typeof widget.value !== "string" || !widget.value.trim()) && !editor.error) widget.value = editor.getValue();

  const domWidget = node.addDOMWidget(DOM_WIDGET_NAME, "trackdiff-editor", container, {
    serialize: false,
    hideOnZoom: false,
    getMinHeight: () => MIN_HEIGHT,
    margin: 6,
  });
  domWidget.serialize = false; // not in widgets_values either: the document already is, in its STRING widget

  // Middle-drag pans the graph. Vue nodes forward it themselves; over the classic canvas the widget floats above it.
  const forwardMiddle = (e) => {
    if (!(e.button === 1 || e.buttons & 4) || container.closest("[data-node-id]")) return;
    const target = app.canvas?.canvas;
    if (!target) return;
    e.preventDefault();
    e.stopPropagation();
    target.dispatchEvent(new PointerEvent(e.type, e));
  };
  for (const type of ["pointerdown", "pointermove", "pointerup"]) container.addEventListener(type, forwardMiddle, true);

  if (node.size[0] < 560 || node.size[1] < 520) node.setSize([Math.max(node.size[0], 560), Math.max(node.size[1], 520)]);
  hideOutputPreview(node);
  const stopFill = fillVueNode(container, node, MIN_HEIGHT - 20);
  adoptStaleHost(container, node);

  // -- outside changes of the document: ComfyUI's undo and configure, the API, other extensions ----------------------
  const fromHost = (value) => {
    if (typeof value !== "string") return;
    if (!value.trim()) {
      // An empty value (a new node: see addCustomNodeDefs below) is an empty document.
      const empty = editor.serialize(editor.emptyDocument());
      editor.setValue(empty);
      if (widget.value !== empty) widget.value = empty;
      return;
    }
    if (value !== editor.getValue()) editor.setValue(value);
  };
  const watched = watchValue(widget, fromHost);

  // -- background: the linked image before a run, the node's own first frame after one, or a pasted picture ---------
  // The most recent wins: the linked picture is shown again only when what reaches the input changes.
  let upstreamKey = null;
  let keepShown = false; // a saved picture stays until the link's picture changes
  const upstreamNow = () => {
    const found = findUpstreamImage(node);
    return { found, key: JSON.stringify([found.ref, found.src, found.steps, found.missing]) };
  };
  const showUpstream = async () => {
    if (!node.graph) return;
    const { found, key } = upstreamNow();
    if (key === upstreamKey) return;
    upstreamKey = key;
    if (keepShown) {
      keepShown = false;
      return;
    }
    if (found.missing !== undefined) {
      if (found.missing && !editor.background) editor.setHint(found.missing);
      return;
    }
    const url = found.ref ? viewUrl(found.ref) : found.src;
    try {
      const image = await loadImage(url);
      if (key !== upstreamKey) return;
      const label = found.steps.length ? "linked image, as resized" : "linked image";
      await editor.setBackground(applySteps(image, found.steps), label);
    } catch {
      if (key !== upstreamKey) return;
      const name = found.ref ? `“${found.ref.filename}”` : "The picture";
      const where = found.ref ? `is not in ComfyUI's ${found.ref.type} folder` : "could not be loaded";
      if (!editor.background) editor.setHint(`${name} (${found.source.title || found.source.type}) ${where}: pick or upload one there, or paste or drop one here`);
    }
  };
  const restoreSaved = () => {
    const ref = node.properties?.trackdiff_background;
    if (!ref?.filename) return false;
    keepShown = upstreamKey === null;
    editor.setBackground(viewUrl(ref), ref.type === "temp" ? "saved picture" : "image");
    return true;
  };

  // -- the mask/arrow preview follows the node's own sampling inputs ---------------------------------------------------
  const syncPreview = () => {
    if (!(editor instanceof MaskArrowEditor)) return;
    const value = (name) => node.widgets.find((w) => w.name === name)?.value;
    // MaskArrowToTrajectories samples K·s points per object (TrackGo's notation); other hosts may say it directly.
    const k = value("K");
    const s = value("s");
    const count = Number.isInteger(k) && Number.isInteger(s) ? k * s : value("points_per_object");
    const seed = value("point_seed") ?? value("seed");
    if ((Number.isInteger(count) && count !== editor.pointCount) || (Number.isInteger(seed) && seed !== editor.seed)) {
      editor.setPreviewPoints(count, seed);
    }
  };
  for (const name of ["K", "s", "points_per_object", "point_seed", "seed"]) {
    const w = node.widgets.find((x) => x.name === name);
    if (w) watchValue(w, () => queueMicrotask(syncPreview));
  }

  const sync = () => {
    if (!node.graph) return;
    if (!watched) fromHost(widget.value);
    syncPreview();
    showUpstream();
  };
  api.addEventListener("graphChanged", sync);

  chain(node, "onConfigure", () => {
    restoreSaved();
    queueMicrotask(sync);
  });
  chain(node, "onExecuted", (message) => {
    // A seed document the node used (its widget's document was empty): the widget adopts it as one undoable edit.
    const seed = message?.trackdiff_seed?.[0];
    if (typeof seed === "string") editor.offerSeed(seed);
    const frame = message?.trackdiff_frame?.[0];
    if (!frame?.filename) return;
    node.properties.trackdiff_background = { filename: frame.filename, subfolder: frame.subfolder || "", type: frame.type || "temp" };
    upstreamKey = upstreamNow().key;
    editor.setBackground(`${viewUrl(frame)}&rand=${Math.random()}`, "last run");
  });
  chain(node, "onConnectionsChange", () => queueMicrotask(sync));
  chain(node, "onRemoved", () => {
    api.removeEventListener("graphChanged", sync);
    stopFill();
    editor.destroy();
  });
  queueMicrotask(sync);
}

if (app) {
  app.registerExtension({
    name: "TrackDiff.Editors",
    // The document inputs' default is an empty document in JSON: the node search's preview would show that text, and a
    // new node gets its empty document from the editor anyway. Previews show the input as empty instead.
    addCustomNodeDefs(defs) {
      for (const def of Object.values(defs || {})) {
        for (const group of [def?.input?.required, def?.input?.optional]) {
          for (const name of Object.keys(EDITORS)) {
            const spec = group?.[name];
            if (Array.isArray(spec) && spec[0] === "STRING" && spec[1]) spec[1] = { ...spec[1], default: "" };
          }
        }
      }
    },
    nodeCreated(node) {
      attach(node);
    },
  });
}

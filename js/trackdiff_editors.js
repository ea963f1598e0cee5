// ComfyUI adapter for the TrackDiff editors: a thin layer between the framework-free component (./editor/) and the
// ComfyUI frontend. It attaches by *widget name*, not node class: a STRING widget `tracklets_json` gets the box editor,
// `mask_arrows_json` the mask/arrow editor. The state is that STRING widget's value (the versioned JSON document, so it
// lands in widgets_values and API prompts); the canvas is a DOM widget with serialize: false. Docs: docs/editors.md.
//
// Only the stable extension surface is used: window.comfyAPI (what the frontend's own /scripts/*.js shims re-export),
// registerExtension, nodeCreated, node.addDOMWidget, onExecuted, /view and /upload/image.

import { MaskArrowEditor } from "./editor/mask_arrow_editor.js";
import { TrackletEditor } from "./editor/tracklet_editor.js";

const EDITORS = { tracklets_json: TrackletEditor, mask_arrows_json: MaskArrowEditor };
const DOM_WIDGET_NAME = "trackdiff_editor";
const POLL_MS = 600;
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

/** The picture the linked `image` input will carry, read from the upstream node before anything runs. */
function upstreamImageUrl(node) {
  const slot = node.inputs?.findIndex((i) => i.name === "image") ?? -1;
  if (slot < 0 || node.inputs[slot].link == null) return null;
  const source = node.getInputNode?.(slot);
  if (!source) return null;
  const shown = source.imgs?.[0]?.src;
  if (shown) return shown;
  const widget = source.widgets?.find((w) => (w.name === "image" || w.name === "upload") && typeof w.value === "string" && w.value);
  if (!widget) return null;
  // LoadImage's value: "sub/folder/name.png" optionally followed by " [input]" / " [output]" / " [temp]".
  const m = /^(.*?)(?: \[(input|output|temp)\])?$/.exec(widget.value);
  const path = m[1];
  const cut = path.lastIndexOf("/");
  return viewUrl({ filename: path.slice(cut + 1), subfolder: cut >= 0 ? path.slice(0, cut) : "", type: m[2] || "input" });
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
    value: typeof widget.value === "string" ? widget.value : undefined,
    onChange(text) {
      widget.value = text;
      node.graph?.setDirtyCanvas?.(true, false);
    },
    onImageFile(file) {
      uploadTemp(file).then((ref) => { node.properties.trackdiff_background = ref; })
        .catch((err) => editor.showNotice(`The picture is shown but was not saved with the workflow: ${err.message}`, 5000));
    },
  });
  node.trackdiffEditor = editor;

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

  // Background: the linked image before a run, the node's own first frame after a run, or a pasted / dropped picture.
  let upstreamSeen = null;
  const showBackground = (url, label) => editor.setBackground(url, label);
  const restoreSaved = () => {
    const ref = node.properties?.trackdiff_background;
    if (ref?.filename) showBackground(viewUrl(ref), ref.type === "temp" ? "saved picture" : "image");
  };

  const sync = () => {
    if (!node.graph) return;
    if (typeof widget.value === "string" && widget.value !== editor.getValue()) editor.setValue(widget.value);
    const url = upstreamImageUrl(node);
    if (url && url !== upstreamSeen) showBackground(url, "linked image");
    upstreamSeen = url;
    if (editor instanceof MaskArrowEditor) {
      const widgetValue = (name) => node.widgets.find((w) => w.name === name)?.value;
      // MaskArrowToTrajectories samples K·s points per object (TrackGo's notation); other hosts may say it directly.
      const k = widgetValue("K");
      const s = widgetValue("s");
      const count = Number.isInteger(k) && Number.isInteger(s) ? k * s : widgetValue("points_per_object");
      const seed = widgetValue("point_seed") ?? widgetValue("seed");
      if ((Number.isInteger(count) && count !== editor.pointCount) || (Number.isInteger(seed) && seed !== editor.seed)) {
        editor.setPreviewPoints(count, seed);
      }
    }
  };
  const timer = setInterval(sync, POLL_MS);

  chain(node, "onConfigure", () => {
    restoreSaved();
    queueMicrotask(sync);
  });
  chain(node, "onExecuted", (message) => {
    const frame = message?.trackdiff_frame?.[0];
    if (!frame?.filename) return;
    node.properties.trackdiff_background = { filename: frame.filename, subfolder: frame.subfolder || "", type: frame.type || "temp" };
    showBackground(`${viewUrl(frame)}&rand=${Math.random()}`, "last run");
  });
  chain(node, "onConnectionsChange", () => queueMicrotask(sync));
  chain(node, "onRemoved", () => {
    clearInterval(timer);
    editor.destroy();
  });
}

if (app) {
  app.registerExtension({
    name: "TrackDiff.Editors",
    nodeCreated(node) {
      attach(node);
    },
  });
}

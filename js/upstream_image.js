// The picture a node's `image` input will carry, found before anything runs: follow the link upstream through
// pass-through and resize nodes to the node that holds the picture, and replay the resizes (ComfyUI's own arithmetic:
// comfy.utils.common_upscale and ImageScale), so what is drawn on it lands where the node will see it.
// Reads the graph only through LiteGraph's node API (inputs, getInputNode, widgets, imgs).

const PASS_THROUGH = new Set(["Reroute", "RepeatImageBatch", "ImageFromBatch"]);
// Resizes that keep the aspect ratio: normalised coordinates are unchanged, so nothing to replay.
const KEEP_ASPECT = new Set(["ImageScaleBy", "ImageScaleToTotalPixels", "ImageScaleToMaxDimension", "ImageUpscaleWithModel"]);
const MAX_STEPS = 32;

const widgetValue = (node, name) => node.widgets?.find((w) => w.name === name)?.value;
const title = (node) => `“${node.title || node.type}”`;

/** Python's round(): halves go to the even neighbour (ComfyUI computes the crop with it). */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ImageScale on a w×h picture: the crop taken from it (source px) and the size it is scaled to. */
export function imageScaleGeometry(w, h, { width, height, crop }) {
  if (!width && !height) return { crop: { x: 0, y: 0, w, h }, width: w, height: h };
  const outW = width || Math.max(1, roundHalfEven((w * height) / h));
  const outH = height || Math.max(1, roundHalfEven((h * width) / w));
  let x = 0;
  let y = 0;
  if (crop === "center") {
    const oldAspect = w / h;
    const newAspect = outW / outH;
    if (oldAspect > newAspect) x = roundHalfEven((w - w * (newAspect / oldAspect)) / 2);
    else if (oldAspect < newAspect) y = roundHalfEven((h - h * (oldAspect / newAspect)) / 2);
  }
  return { crop: { x, y, w: w - 2 * x, h: h - 2 * y }, width: outW, height: outH };
}

function inputNode(node, name) {
  let slot = node.inputs?.findIndex((i) => i.name === name) ?? -1;
  if (slot < 0) slot = node.inputs?.findIndex((i) => i.link != null) ?? -1; // a Reroute's one unnamed input
  if (slot < 0 || node.inputs[slot].link == null) return null;
  return node.getInputNode?.(slot) ?? null;
}

/** LoadImage's value: "sub/folder/name.png" optionally followed by " [input]" / " [output]" / " [temp]". */
export function parseImageValue(value) {
  const m = /^(.*?)(?: \[(input|output|temp)\])?$/.exec(value);
  const path = m[1];
  const cut = path.lastIndexOf("/");
  return { filename: path.slice(cut + 1), subfolder: cut >= 0 ? path.slice(0, cut) : "", type: m[2] || "input" };
}

/**
 * Where the picture for `node`'s `image` input comes from.
 * Returns {ref: {filename, subfolder, type}} or {src: url} (a picture a node already shows), the `steps` to replay
 * (ImageScale settings, source first), `source` (the node holding it), or {missing: what a person must do}.
 */
export function findUpstreamImage(node) {
  const slot = node.inputs?.findIndex((i) => i.name === "image") ?? -1;
  if (slot < 0) return { missing: null };
  if (node.inputs[slot].link == null) {
    return { missing: "No image yet: connect one to the image input, run once, or paste or drop a picture here" };
  }
  let current = node.getInputNode?.(slot);
  const steps = [];
  for (let i = 0; current && i < MAX_STEPS; i++) {
    const type = current.type || current.comfyClass;
    if (type === "LoadImage" || type === "LoadImageMask" || type === "LoadImageOutput") {
      const value = widgetValue(current, "image");
      if (typeof value !== "string" || !value) {
        return { missing: `${title(current)} has no picture chosen: pick or upload one there, or paste one here` };
      }
      return { ref: parseImageValue(value), steps: steps.reverse(), source: current };
    }
    if (type === "ImageScale") {
      steps.push({ width: widgetValue(current, "width"), height: widgetValue(current, "height"), crop: widgetValue(current, "crop") });
      current = inputNode(current, "image");
      continue;
    }
    if (PASS_THROUGH.has(type) || KEEP_ASPECT.has(type)) {
      current = inputNode(current, "image");
      continue;
    }
    const shown = current.imgs?.[0]?.src;
    if (shown) return { src: shown, steps: steps.reverse(), source: current };
    const pick = widgetValue(current, "image");
    if (typeof pick === "string" && /\.(png|jpe?g|webp|gif|bmp)( \[\w+\])?$/i.test(pick)) {
      return { ref: parseImageValue(pick), steps: steps.reverse(), source: current };
    }
    return {
      missing: `The image comes through ${title(current)}, which cannot be shown before a run: run once, or paste or drop the picture here`,
    };
  }
  return { missing: "No image yet: the image input's link leads nowhere; reconnect it, or paste or drop a picture here" };
}

/** Replay the resizes on a loaded picture; returns a canvas (or the picture itself when nothing changes it). */
export function applySteps(image, steps, maxSide = 1600) {
  let source = image;
  for (const step of steps) {
    const w = source.naturalWidth || source.width;
    const h = source.naturalHeight || source.height;
    const g = imageScaleGeometry(w, h, step);
    if (g.width === w && g.height === h && g.crop.w === w && g.crop.h === h) continue;
    const scale = Math.min(1, maxSide / Math.max(g.width, g.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(g.width * scale));
    canvas.height = Math.max(1, Math.round(g.height * scale));
    // The exact aspect ImageScale produces, even when drawn smaller.
    canvas.dataset.aspect = String(g.width / g.height);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, g.crop.x, g.crop.y, g.crop.w, g.crop.h, 0, 0, canvas.width, canvas.height);
    source = canvas;
  }
  return source;
}

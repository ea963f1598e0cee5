// Small DOM helpers and the editors' stylesheet (injected once; no framework, no external CSS file).

export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "style") Object.assign(el.style, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) if (child !== null && child !== undefined) el.append(child);
  return el;
}

const CSS = `
.td-editor{position:relative;display:flex;flex-direction:column;width:100%;height:100%;min-height:200px;box-sizing:border-box;
  font:12px/1.3 system-ui,sans-serif;color:#ddd;background:#1b1b1b;border-radius:6px;overflow:hidden;user-select:none;outline:none}
.td-editor *{box-sizing:border-box}
.td-bar{display:flex;flex-wrap:wrap;align-items:center;gap:4px;padding:4px;background:#262626;border-bottom:1px solid #333}
.td-bar .td-sep{flex:1 1 auto}
.td-editor button{background:#383838;color:#eee;border:1px solid #4a4a4a;border-radius:4px;padding:2px 7px;font:inherit;cursor:pointer;min-height:22px}
.td-editor button:hover{background:#474747}
.td-editor button:disabled{opacity:.4;cursor:default}
.td-editor button.td-on{background:#2f5f8f;border-color:#4c86c0}
.td-editor input,.td-editor select{background:#121212;color:#eee;border:1px solid #444;border-radius:3px;font:inherit;padding:1px 3px;min-height:20px}
.td-editor input[type=number]{width:70px}
.td-editor input[type=color]{width:28px;padding:0 1px}
.td-editor label{display:inline-flex;align-items:center;gap:3px}
.td-stage{position:relative;flex:1 1 auto;min-height:80px;overflow:hidden;background:#111}
.td-stage canvas{position:absolute;left:0;top:0;width:100%;height:100%;touch-action:none}
.td-timeline{position:relative;height:40px;flex:0 0 40px;background:#202020;border-top:1px solid #333;cursor:pointer;touch-action:none}
.td-timeline canvas{position:absolute;left:0;top:0;width:100%;height:100%}
.td-panel{display:flex;flex-wrap:wrap;align-items:center;align-content:flex-start;gap:4px 8px;padding:4px;background:#232323;border-top:1px solid #333;flex:0 0 auto;min-height:92px;max-height:45%;overflow-y:auto}
.td-panel .td-muted{color:#888}
.td-notice{position:absolute;left:8px;bottom:8px;max-width:calc(100% - 16px);padding:3px 8px;border-radius:4px;background:rgba(170,110,0,.92);
  color:#fff;pointer-events:none;opacity:0;transition:opacity .2s}
.td-notice.td-show{opacity:1}
.td-error{position:absolute;inset:0;display:none;flex-direction:column;gap:8px;align-items:flex-start;justify-content:center;padding:14px;
  background:rgba(60,8,8,.94);color:#fdd;overflow:auto;user-select:text}
.td-error.td-show{display:flex}
.td-error pre{white-space:pre-wrap;word-break:break-word;margin:0;font:11px/1.35 ui-monospace,monospace}
.td-help{position:absolute;right:6px;top:6px;max-width:min(360px,calc(100% - 12px));max-height:calc(100% - 12px);overflow:auto;display:none;padding:8px 10px;
  background:rgba(20,20,20,.95);border:1px solid #555;border-radius:6px;z-index:3;user-select:text}
.td-help.td-show{display:block}
.td-help table{border-collapse:collapse}.td-help td{padding:1px 6px 1px 0;vertical-align:top}.td-help td:first-child{color:#9cf;white-space:nowrap}
.td-menu{position:absolute;z-index:5;min-width:150px;padding:3px 0;background:#2a2a2a;border:1px solid #555;border-radius:5px;box-shadow:0 4px 14px rgba(0,0,0,.5)}
.td-menu div{padding:3px 12px;cursor:pointer;white-space:nowrap}.td-menu div:hover{background:#3d5f85}
.td-menu div.td-disabled{color:#777;cursor:default;background:none}
.td-json{position:absolute;inset:0;display:none;flex-direction:column;gap:4px;padding:6px;background:rgba(18,18,18,.97);z-index:4}
.td-json.td-show{display:flex}
.td-json textarea{flex:1 1 auto;width:100%;resize:none;background:#0d0d0d;color:#cfe;border:1px solid #444;font:11px/1.3 ui-monospace,monospace}
.td-keys{position:absolute;left:0;top:0;width:1px;height:1px;opacity:0;border:0;padding:0;pointer-events:none}
.td-status{color:#aaa;margin-left:4px;white-space:nowrap}
`;

export function injectStyles(doc = document) {
  if (doc.getElementById("trackdiff-editor-styles")) return;
  doc.head.append(h("style", { id: "trackdiff-editor-styles", text: CSS }));
}

/** A hex colour with alpha, for fills. */
export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Load an image from a URL, Blob or File; resolves to an HTMLImageElement. */
export function loadImage(source) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = source instanceof Blob ? URL.createObjectURL(source) : source;
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load image ${typeof source === "string" ? source : "(file)"}`));
    img.src = url;
  });
}

export const isMac = () => typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || "");

const TEXT_INPUTS = new Set(["text", "number", "search", "email", "url", "tel", "password"]);

/** A field a person types into (its keys, Ctrl+Z included, belong to it), as opposed to a button, box or list. */
export function isTextField(el) {
  if (!el || !el.tagName) return false;
  if (el.tagName === "TEXTAREA") return true;
  return el.tagName === "INPUT" && TEXT_INPUTS.has((el.type || "text").toLowerCase()) && !el.classList.contains("td-keys");
}

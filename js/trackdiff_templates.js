// Titles and one-line descriptions for this pack's workflows in ComfyUI's template browser.
//
// ComfyUI 0.8.0 lists a custom node pack's templates by file name only (GET /workflow_templates), and frontend 1.35.9
// shows that name as the title and, with "_" and "-" turned into spaces, as the description: a custom pack has no way
// to give either. The frontend's own templates come with an index (title, description, thumbnail type, tags, models)
// and it already loads templates of any module from /api/workflow_templates/<module>/<name>.json. So this pack keeps
// such an index in workflows/templates/index.json (the core index format) and hands its templates to the browser as
// an indexed category of its module instead of as bare names. Without the index (or this file), the browser shows the
// bare names as before. Format and how to add a workflow: workflows/README.md.

const api = window.comfyAPI?.api?.api;
// This file is served at /extensions/<pack folder>/…; the pack folder is also its module name in /workflow_templates.
const MODULE = decodeURIComponent(new URL(import.meta.url).pathname.split("/extensions/")[1]?.split("/")[0] ?? "");
const INDEX = "templates/index.json";

let index = null;
function readIndex() {
  index ??= api.fetchApi(`/workflow_templates/${encodeURIComponent(MODULE)}/${INDEX}`, { cache: "no-store" })
    .then((response) => (response.ok ? response.json() : null))
    .then((categories) => (Array.isArray(categories)
      ? categories.map((category) => ({ ...category, moduleName: MODULE })) : null))
    .catch(() => null);
  return index;
}

if (api && MODULE && typeof api.getWorkflowTemplates === "function" && typeof api.getCoreWorkflowTemplates === "function") {
  const listCustom = api.getWorkflowTemplates.bind(api);
  api.getWorkflowTemplates = async (...args) => {
    const byModule = await listCustom(...args);
    const indexed = await readIndex();
    if (!indexed || !byModule?.[MODULE]) return byModule;
    // Those in the index come with it (below); any others still show by file name.
    const known = new Set(indexed.flatMap((category) => category.templates.map((t) => t.name)));
    const rest = byModule[MODULE].filter((name) => !known.has(name));
    const { [MODULE]: _ours, ...others } = byModule;
    return rest.length ? { ...others, [MODULE]: rest } : others;
  };
  const listCore = api.getCoreWorkflowTemplates.bind(api);
  api.getCoreWorkflowTemplates = async (...args) => {
    const core = await listCore(...args);
    const indexed = await readIndex();
    return indexed && Array.isArray(core) ? [...core, ...indexed] : core;
  };
}

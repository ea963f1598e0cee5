// Vue-nodes ("Nodes 2.0") mode lays a node's widgets out in a grid whose rows are min-content (only the frontend's own
// textarea / markdown / 3D widgets get a stretching row), so a DOM widget keeps the height it first had, whatever the
// node's size. This keeps the editor filling its node: the editor's height is the node's height minus everything else
// in it, kept up to date as the node is resized (or opened from a workflow saved in the classic canvas). In the classic
// canvas the DOM widget is already given the node's free height, and this does nothing.

/** Start keeping `host` (inside `node`'s Vue element, once mounted) as tall as the node allows; returns a stop function. */
export function fillVueNode(host, node, minHeight) {
  let nodeEl = null;
  let frame = 0;
  const resize = new ResizeObserver(() => schedule());
  const attributes = new MutationObserver(() => schedule());
  resize.observe(host);

  function schedule() {
    if (!frame) frame = requestAnimationFrame(fit);
  }

  function fit() {
    frame = 0;
    const el = host.closest("[data-node-id]");
    if (el !== nodeEl) {
      if (nodeEl) {
        resize.unobserve(nodeEl);
        attributes.disconnect();
      }
      nodeEl = el;
      if (nodeEl) {
        resize.observe(nodeEl);
        attributes.observe(nodeEl, { attributes: true, attributeFilter: ["style"] });
      }
    }
    const grid = host.closest(".lg-node-widgets");
    if (!nodeEl || !grid || !host.isConnected) return;
    // Layout pixels throughout (offset*/client*), so the graph's zoom never enters.
    const wanted = parseFloat(nodeEl.style.getPropertyValue("--node-height")) || node.size?.[1] || 0;
    const scale = nodeEl.getBoundingClientRect().height / Math.max(1, nodeEl.offsetHeight) || 1;
    const gridBox = grid.getBoundingClientRect();
    let bottom = gridBox.top;
    for (const row of grid.children) bottom = Math.max(bottom, row.getBoundingClientRect().bottom);
    const free = (gridBox.bottom - bottom) / scale;
    const excess = Math.max(0, nodeEl.offsetHeight - wanted);
    const height = Math.max(minHeight, Math.round(host.offsetHeight + free - excess));
    if (Math.abs(height - host.offsetHeight) >= 1) host.style.height = `${height}px`;
  }

  schedule();
  return () => {
    cancelAnimationFrame(frame);
    resize.disconnect();
    attributes.disconnect();
  };
}

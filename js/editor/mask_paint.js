// Painting masks: a brush stroke stamped into a mask grid, and the tinted overlay a mask is drawn with.
// A mask is {width, height, data: Uint8Array(width * height) of 0/1}, row-major, as rleDecode returns it.

/** Stamp an elliptic brush (radii rx, ry in mask cells) of `value` along the segment from -> to ({nx, ny}). */
export function stampDisc(mask, from, to, rx, ry, value) {
  const steps = Math.max(1, Math.ceil(Math.hypot((to.nx - from.nx) * mask.width, (to.ny - from.ny) * mask.height) / Math.max(1, Math.min(rx, ry) / 2)));
  for (let s = 0; s <= steps; s++) {
    const cx = (from.nx + ((to.nx - from.nx) * s) / steps) * mask.width;
    const cy = (from.ny + ((to.ny - from.ny) * s) / steps) * mask.height;
    const x0 = Math.max(0, Math.floor(cx - rx));
    const x1 = Math.min(mask.width - 1, Math.ceil(cx + rx));
    const y0 = Math.max(0, Math.floor(cy - ry));
    const y1 = Math.min(mask.height - 1, Math.ceil(cy + ry));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = (x + 0.5 - cx) / rx;
        const dy = (y + 0.5 - cy) / ry;
        if (dx * dx + dy * dy <= 1) mask.data[y * mask.width + x] = value;
      }
    }
  }
}

/** A canvas the size of the mask, tinted `color` (#rrggbb) where the mask is set. */
export function maskOverlay(mask, color) {
  const c = document.createElement("canvas");
  c.width = mask.width;
  c.height = mask.height;
  const g = c.getContext("2d");
  const image = g.createImageData(mask.width, mask.height);
  const n = parseInt(color.slice(1), 16);
  const [r, gg, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    image.data[4 * i] = r;
    image.data[4 * i + 1] = gg;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 110;
  }
  g.putImageData(image, 0, 0);
  return c;
}

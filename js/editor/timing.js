// Timing curves and the resampling rule, exactly as trackdiff_core/timing.py defines them.
// Every number the editor draws between keyframes comes from here, so the widget shows what Python will compute.

export const TIMINGS = Object.freeze(["linear", "ease_in", "ease_out", "ease_in_out", "hold"]);

/** w(u) for timing curve `name`; u is clipped to [0, 1] first (as numpy.clip in ease()). */
export function ease(u, name) {
  const v = Math.min(1, Math.max(0, u));
  switch (name) {
    case "linear":
      return v;
    case "ease_in":
      return v * v;
    case "ease_out":
      return 1 - (1 - v) * (1 - v);
    case "ease_in_out":
      return v * v * (3 - 2 * v);
    case "hold":
      return v >= 1 ? 1 : 0;
    default:
      throw new Error(`unknown timing curve ${JSON.stringify(name)} (use one of ${TIMINGS.join(", ")})`);
  }
}

/**
 * The keyframe segment around real-valued timeline position `t` and how far along it is (timing.interpolate_keys):
 * {a, b, w} with a value at t of a + w·(b − a). `keys` are sorted by frame (at least two); the curve is the earlier
 * key's `interpolation`, else `curve`. Before the first key w = 0 on the first segment, after the last w = 1.
 */
export function keySegment(keys, t, curve) {
  // searchsorted(frames, t, side="right") - 1, clipped to [0, len - 2]
  let seg = -1;
  while (seg + 1 < keys.length && keys[seg + 1].frame <= t) seg++;
  seg = Math.min(Math.max(seg, 0), keys.length - 2);
  const a = keys[seg];
  const b = keys[seg + 1];
  const u = Math.min(1, Math.max(0, (t - a.frame) / (b.frame - a.frame)));
  return { a, b, w: ease(u, a.interpolation || curve) };
}

/** Where each of `numDst` output frames falls on a timeline of `numSrc` frames (first to first, last to last). */
export function framePositions(numSrc, numDst) {
  if (!(numSrc >= 1 && numDst >= 1)) throw new Error("frame counts must be at least 1");
  if (numDst === 1) return [0];
  const step = (numSrc - 1) / (numDst - 1);
  const out = new Array(numDst);
  for (let j = 0; j < numDst; j++) out[j] = j * step;
  return out;
}

/** Round timeline positions to frame indices, halves upwards: floor(x + 0.5). */
export function nearestFrame(position) {
  return Math.floor(position + 0.5);
}

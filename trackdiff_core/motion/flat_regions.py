"""Flat-coloured regions tracked as whole silhouettes (for query points without texture of their own).

A point inside a region of one flat colour has nothing for Lucas–Kanade or correlation to hold on to, and a dense
flow only fills such a region slowly from its edges. The region as a whole has a shape, though: its silhouette (the
pixels of its colour) is matched from frame to frame like one large template, and every flat point inside it moves
with it. The model is a translation per step (a rigid shift of the silhouette), found by normalised correlation of
the region's query-frame mask against the map of pixels of the region's colour, first on a reduced image (large
regions) and then at full size with a sub-pixel peak."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .templates import score_peak


#: Colour difference (0-255, per channel, from the seed pixel) within which a pixel belongs to the seed's region.
COLOUR_TOLERANCE = 8.0
#: Regions smaller than this many pixels are not tracked as regions (too little shape to match).
MIN_AREA = 40
#: Regions larger than this fraction of the frame are not tracked as regions (a flat sky or wall: the camera's job).
MAX_FRACTION = 0.25
#: Colour difference (0-255, largest channel) from the region's colour that a pixel just outside it must reach to
#: count as a crisp edge, and the share of its rim that must be crisp, for a region to be followed as a silhouette.
EDGE_CONTRAST = 40.0
SHARP_SHARE = 0.85
#: A flat point outside every region (on a region's anti-aliased rim) joins the nearest region within this many px.
NEAR = 3
#: Pixels of background kept around a region's bounding box in its mask template.
MARGIN = 4
#: Largest template side matched at full size; larger regions are first found on an image reduced to this.
COARSE_SIDE = 48
#: Balanced agreement (0.5: chance, 1: exact) of the silhouette a region needs to count as found in a frame.
FOUND = 0.8


class FlatRegions:
    """The regions of the flat query points of one sweep, and where each is now."""

    def __init__(self, search_radius: int):
        self.radius = int(search_radius)
        self.template: list[np.ndarray] = []  # float32[s, s] query-frame mask, centred on ``centre``
        self.known: list[np.ndarray] = []  # float32[s, s] 1 where the template lay inside the query frame
        self.colour: list[np.ndarray] = []  # float32[3] mean colour of the region where last found
        self.centre: list[np.ndarray] = []  # float32[2] where the template's centre is now
        self.velocity: list[np.ndarray] = []
        self.found: list[bool] = []
        self.stepped: list[int] = []  # the step count at which each region was last looked for
        self.steps = 0

    def add(self, frame: np.ndarray, points: np.ndarray) -> np.ndarray:
        """``int[N]``: the region of each point of ``frame`` (``uint8[H, W, 3]``), -1 where it has none (a region too
        small or too large); points inside one connected region share it."""
        height, width = frame.shape[:2]
        smooth = cv2.GaussianBlur(frame, (3, 3), 0)
        labels = np.full((height, width), -1, np.int64)
        tried = np.zeros((height + 2, width + 2), np.uint8)
        out = np.full(len(points), -1, np.int64)
        for row, (x, y) in enumerate(points):
            px, py = int(round(float(x))), int(round(float(y)))
            if not (0 <= px < width and 0 <= py < height):
                continue
            if labels[py, px] >= 0 or tried[py + 1, px + 1]:
                out[row] = labels[py, px]
                continue
            mask = np.zeros((height + 2, width + 2), np.uint8)
            tolerance = (COLOUR_TOLERANCE,) * 3
            cv2.floodFill(smooth, mask, (px, py), (0, 0, 0), tolerance, tolerance,
                          4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
            region = mask[1:-1, 1:-1] > 0
            tried[1:-1, 1:-1] |= region
            area = int(region.sum())
            if area < MIN_AREA or area > MAX_FRACTION * height * width:
                continue
            colour = frame[region].astype(np.float32).mean(axis=0)
            # The rim 2 px outside the region (past an anti-aliased or blurred edge pixel).
            ring = (cv2.dilate(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
                    & ~cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))
            contrast = np.abs(frame[ring].astype(np.float32) - colour).max(axis=1)
            if len(contrast) == 0 or (contrast > EDGE_CONTRAST).mean() < SHARP_SHARE:
                continue  # a shaded area without a crisp outline: its silhouette is no shape to follow
            ys, xs = np.nonzero(region)
            x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
            side = int(max(x1 - x0, y1 - y0)) + 1 + 2 * MARGIN
            side += 1 - side % 2
            centre = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0], np.float32)
            template = cv2.getRectSubPix(region.astype(np.float32), (side, side), (float(centre[0]), float(centre[1])))
            # getRectSubPix replicates borders: what lies outside the frame is unknown, counted as not the region.
            gx = np.arange(side) - side // 2 + centre[0]
            gy = np.arange(side) - side // 2 + centre[1]
            known = np.ones((side, side), np.float32)
            known[:, (gx < 0) | (gx > width - 1)] = 0.0
            known[(gy < 0) | (gy > height - 1), :] = 0.0
            template *= known
            labels[region] = len(self.template)
            out[row] = len(self.template)
            self.template.append(template)
            self.known.append(known)
            self.colour.append(colour)
            self.centre.append(centre)
            self.velocity.append(np.zeros(2, np.float32))
            self.found.append(True)
            self.stepped.append(self.steps)
        for row in np.flatnonzero(out < 0):  # on a region's (anti-aliased) rim: the nearest region within NEAR px
            px, py = int(round(float(points[row, 0]))), int(round(float(points[row, 1])))
            x0, y0 = max(px - NEAR, 0), max(py - NEAR, 0)
            near = labels[y0:py + NEAR + 1, x0:px + NEAR + 1]
            ys, xs = np.nonzero(near >= 0)
            if len(ys):
                closest = np.argmin((ys + y0 - py) ** 2 + (xs + x0 - px) ** 2)
                out[row] = near[ys[closest], xs[closest]]
        return out

    def step(self, frame: np.ndarray, regions: np.ndarray) -> None:
        """Find the regions ``regions`` in the next ``frame``; a region not found coasts at its last velocity (a
        region not asked for stays where it was)."""
        self.steps += 1
        for k in regions:
            guess = self.centre[k] + self.velocity[k]
            position, score = self._find(frame, k, guess)
            current = self.stepped[k] == self.steps - 1  # found in the frame before: its shift is this step's
            self.stepped[k] = self.steps
            if score >= FOUND:
                shift = position - self.centre[k] if current else np.zeros(2)
                self.velocity[k] = shift.astype(np.float32)
                self.centre[k] = position.astype(np.float32)
                self.found[k] = current
            else:
                self.centre[k] = guess.astype(np.float32)
                self.found[k] = False

    def previous_centres(self, regions: np.ndarray) -> np.ndarray:
        """``float32[N, 2]``: where the regions' template centres were before the last :meth:`step`."""
        return np.array([self.centre[k] - self.velocity[k] for k in regions], np.float32).reshape(-1, 2)

    def shift(self, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(step float32[N, 2], found bool[N])`` of the regions ``regions`` in the last :meth:`step`."""
        step = np.array([self.velocity[k] for k in regions], np.float32).reshape(-1, 2)
        found = np.array([self.found[k] for k in regions], bool)
        return step, found

    def _find(self, frame: np.ndarray, k: int, guess: np.ndarray) -> tuple[np.ndarray, float]:
        """Where region ``k``'s template centre is in ``frame`` near ``guess``, and the match's score."""
        template = self.template[k]
        side = template.shape[0]
        pad = side // 2 + self.radius + 2
        height, width = frame.shape[:2]
        # Only the part of the frame the search can reach, in a window padded with "outside the frame".
        gx, gy = int(round(float(guess[0]))), int(round(float(guess[1])))
        left, top = gx - pad, gy - pad
        span = 2 * pad + 1
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + span, width), min(top + span, height)
        similar = np.zeros((span, span), np.float32)
        known = np.zeros((span, span), np.float32)
        inside = None
        if x1 > x0 and y1 > y0:
            crop = frame[y0:y1, x0:x1].astype(np.float32)
            inside = np.abs(crop - self.colour[k]).max(axis=2) <= 2 * COLOUR_TOLERANCE
            similar[y0 - top:y1 - top, x0 - left:x1 - left] = inside
            known[y0 - top:y1 - top, x0 - left:x1 - left] = 1.0
        offset = np.array([left, top], np.float32)
        centre = np.asarray(guess, np.float32) - offset
        factor = max(1, math.ceil(side / COARSE_SIDE))
        radius = self.radius
        if factor > 1:
            size = (similar.shape[1] // factor, similar.shape[0] // factor)
            small_side = max(side // factor, 5)
            small_side += 1 - small_side % 2
            small = [cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in (similar, known)]
            small_template = [cv2.resize(image, (small_side, small_side), interpolation=cv2.INTER_AREA)
                              for image in (template, self.known[k])]
            found, score = _masked_search(*small, *small_template, (centre + 0.5) / factor - 0.5, radius // factor + 1)
            if score < FOUND:
                return guess, score
            centre, radius = (found + 0.5) * factor - 0.5, factor + 1
        found, score = _masked_search(similar, known, template, self.known[k], centre, radius)
        if score >= FOUND and inside is not None:
            self._recolour(k, frame[y0:y1, x0:x1], inside, found + offset - np.array([x0, y0], np.float32))
        return found + offset, score

    def _recolour(self, k: int, frame: np.ndarray, inside: np.ndarray, centre: np.ndarray) -> None:
        """Follow a slow change of the region's colour (lighting) from the pixels matched now."""
        template = self.template[k]
        half = template.shape[0] // 2
        cx, cy = int(round(float(centre[0]))), int(round(float(centre[1])))
        height, width = inside.shape
        x0, y0 = max(cx - half, 0), max(cy - half, 0)
        x1, y1 = min(cx + half + 1, width), min(cy + half + 1, height)
        if x1 <= x0 or y1 <= y0:
            return
        mask = template[y0 - (cy - half):y1 - (cy - half), x0 - (cx - half):x1 - (cx - half)] > 0.5
        mask &= inside[y0:y1, x0:x1]
        if mask.sum() >= MIN_AREA:
            self.colour[k] = frame[y0:y1, x0:x1][mask].astype(np.float32).mean(axis=0)


def _masked_search(similar: np.ndarray, known: np.ndarray, template: np.ndarray, template_known: np.ndarray,
                   centre: np.ndarray, radius: int) -> tuple[np.ndarray, float]:
    """Best position of the template's centre within ``radius`` of ``centre``: the shift with the best balanced
    agreement between the template (region / not region, where known) and the image's colour map (where inside the
    frame), i.e. the mean of the share of the region found in the region's colour and the share of its surroundings
    found in another colour. Pixels outside either frame count for neither, so a region entering or leaving the frame
    is still matched on its visible part. Sub-pixel by a parabola through the peak."""
    side = template.shape[0]
    half = side // 2
    cx, cy = int(round(float(centre[0]))), int(round(float(centre[1])))
    x0, y0 = cx - radius - half, cy - radius - half
    x1, y1 = cx + radius + half + 1, cy + radius + half + 1
    if x0 < 0 or y0 < 0 or x1 > similar.shape[1] or y1 > similar.shape[0]:
        return np.asarray(centre, np.float32), -1.0
    region, rest = template * template_known, (1.0 - template) * template_known
    window, window_known = similar[y0:y1, x0:x1], known[y0:y1, x0:x1]
    other = (1.0 - window) * window_known

    def correlate(image, kernel):
        return cv2.matchTemplate(np.ascontiguousarray(image), np.ascontiguousarray(kernel), cv2.TM_CCORR)

    region_total = correlate(window_known, region)
    rest_total = correlate(window_known, rest)
    enough = region_total >= 0.25 * max(float(region.sum()), 1e-6)
    hit = correlate(window, region) / np.maximum(region_total, 1e-6)
    miss = np.where(rest_total > 1e-6, correlate(other, rest) / np.maximum(rest_total, 1e-6), 1.0)
    scores = np.where(enough, 0.5 * (hit + miss), 0.0).astype(np.float32)
    return score_peak(scores, x0 + half, y0 + half)

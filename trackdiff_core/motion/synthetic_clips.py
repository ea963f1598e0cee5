"""Synthetic tracking clips with exact ground truth, made by warping real photographs.

A clip is a background photograph seen through a moving camera (a homography per frame: pan, zoom, rotation and a
little perspective), with textured objects (patches cut from other photographs, with an alpha mask) pasted on top.
The object photographs are those with texture by :func:`photo_texture` (:data:`OBJECT_PHOTOS`); the benchmark scores
the photographs without (:data:`TEXTURELESS_OBJECT_PHOTOS`) in a clip set of their own, as a limit.
The objects move, turn and scale, occlude each other and the background, and one of them leaves the frame and comes
back. The lighting changes over time (global gain and bias plus a moving brightness gradient), some frames are
blurred (Gaussian or motion blur) and every frame gets a little sensor noise.

Ground truth is exact: a background point follows the camera homography, an object point follows its object's
transform; a point is visible where it lies inside the frame and no object in front of it covers it (alpha ≥ 0.5).
Each point's query is its first visible frame (TAP-Vid "query first").

The generator takes the photographs as arrays, so this module needs no extra package; :func:`skimage_photos` loads
the photographs that ship inside scikit-image (a test / benchmark dependency only, imported when called).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Seed of the benchmark's clip set (``python -m bench tracking``).
BENCH_SEED = 2026

BACKGROUND_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "motorcycle")
#: Object photographs: scikit-image's photographs, other than the backgrounds, whose :func:`photo_texture` is at
#: least :data:`TEXTURED`.
OBJECT_PHOTOS = ("brick", "gravel", "coins", "grass", "page", "text")
#: scikit-image's photographs below :data:`TEXTURED` (smooth colour, dark sky, fundus, a sky over a meadow): objects
#: no patch tracker can follow from their texture, scored apart as a limit.
TEXTURELESS_OBJECT_PHOTOS = ("camera", "colorwheel", "retina", "hubble_deep_field")
#: :func:`photo_texture` from which a photograph counts as textured: twice the grey-level spread under which the
#: tracker's templates count as flat (``tracker.FLAT_CONTRAST``).
TEXTURED = 8.0


@dataclass(frozen=True)
class SyntheticClip:
    """A rendered clip and its exact ground truth (pixels of ``frames``).

    Attributes:
        frames: ``uint8[T, H, W, 3]`` RGB.
        points: ``float32[T, N, 2]`` true pixel ``x, y`` of every point at every frame.
        visible: ``bool[T, N]`` true visibility.
        queries: ``float64[N, 3]`` rows ``(frame, x, y)``: each point at its first visible frame.
        on_object: ``int64[N]``: -1 for a background point, else the index of its object.
        homographies: ``float64[T, 3, 3]`` the true camera: frame-0 pixel → frame-t pixel.
    """

    frames: np.ndarray
    points: np.ndarray
    visible: np.ndarray
    queries: np.ndarray
    on_object: np.ndarray
    homographies: np.ndarray


def skimage_photos() -> dict[str, np.ndarray]:
    """The photographs shipped in scikit-image's wheel, as ``uint8[H, W, 3]`` RGB (imports scikit-image here)."""
    from skimage import data  # a test / benchmark dependency only

    def rgb(image: np.ndarray) -> np.ndarray:
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        return np.ascontiguousarray(image[..., :3]).astype(np.uint8)

    names = BACKGROUND_PHOTOS + OBJECT_PHOTOS + TEXTURELESS_OBJECT_PHOTOS
    photos = {name: rgb(getattr(data, name)()) for name in names if name != "motorcycle"}
    photos["motorcycle"] = rgb(data.stereo_motorcycle()[0])
    return photos


def photo_texture(photo: np.ndarray) -> float:
    """The median, over a photograph, of the grey-level standard deviation in 15-pixel windows (the tracker's template
    size) after a 1-pixel smoothing, as the tracker measures a template's texture. Below :data:`TEXTURED`, most of the
    photograph is too smooth for a patch to be told from its neighbours."""
    photo = np.asarray(photo)
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY) if photo.ndim == 3 else photo
    grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    mean = cv2.blur(grey, (15, 15))
    spread = np.sqrt(np.maximum(cv2.blur(grey * grey, (15, 15)) - mean * mean, 0.0))
    return float(np.median(spread))


def _smooth_path(rng: np.random.Generator, count: int, amplitude: float) -> np.ndarray:
    """``float64[count]``: a smooth random curve in ``[-amplitude, amplitude]`` starting at 0 (two sinusoids)."""
    t = np.linspace(0.0, 1.0, count)
    curve = np.zeros(count)
    for frequency in (rng.uniform(0.3, 0.8), rng.uniform(0.8, 1.6)):
        phase = rng.uniform(0, 2 * np.pi)
        curve += np.sin(2 * np.pi * frequency * t + phase) - np.sin(phase)
    return curve * (amplitude / max(np.abs(curve).max(), 1e-9))


def _camera(rng: np.random.Generator, photo_size: tuple[int, int], width: int, height: int, count: int) -> np.ndarray:
    """``float64[T, 3, 3]`` photo pixel → frame pixel, a smooth camera path that never sees past the photo's edge."""
    photo_w, photo_h = photo_size
    base = max(width / photo_w, height / photo_h) * 1.45
    amplitude = 1.0
    for _ in range(40):
        pan_x = _smooth_path(rng, count, 0.12 * width / base * amplitude)
        pan_y = _smooth_path(rng, count, 0.10 * height / base * amplitude)
        zoom = 1.0 + _smooth_path(rng, count, 0.15 * amplitude)
        angle = _smooth_path(rng, count, np.deg2rad(6.0) * amplitude)
        tilt = _smooth_path(rng, count, 2e-4 * amplitude / base)
        matrices = []
        for t in range(count):
            centre = np.array([[1, 0, -(photo_w - 1) / 2 - pan_x[t]], [0, 1, -(photo_h - 1) / 2 - pan_y[t]], [0, 0, 1]])
            c, s = np.cos(angle[t]), np.sin(angle[t])
            turn = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) * np.array([1, 1, 1])[:, None]
            scale = np.diag([base * zoom[t], base * zoom[t], 1.0])
            perspective = np.array([[1, 0, 0], [0, 1, 0], [tilt[t], 0, 1]])
            to_frame = np.array([[1, 0, (width - 1) / 2], [0, 1, (height - 1) / 2], [0, 0, 1]])
            matrices.append(to_frame @ perspective @ scale @ turn @ centre)
        matrices = np.array(matrices)
        corners = np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], np.float64)
        inside = True
        for matrix in matrices:
            back = cv2.perspectiveTransform(corners[None], np.linalg.inv(matrix))[0]
            if back.min() < 1 or back[:, 0].max() > photo_w - 2 or back[:, 1].max() > photo_h - 2:
                inside = False
                break
        if inside:
            return matrices
        amplitude *= 0.85
    raise RuntimeError("no camera path stays inside the photograph")  # never with the shipped photos


def _object_sprite(rng: np.random.Generator, photo: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured patch (``uint8[s, s, 3]``) cut from ``photo`` and its alpha (``float32[s, s]``, an ellipse or a
    rounded rectangle, anti-aliased edge)."""
    h, w = photo.shape[:2]
    y0 = int(rng.integers(0, h - size))
    x0 = int(rng.integers(0, w - size))
    texture = np.ascontiguousarray(photo[y0:y0 + size, x0:x0 + size])
    big = np.zeros((size * 4, size * 4), np.uint8)
    centre = (size * 2, size * 2)
    axes = (int(size * 2 * rng.uniform(0.75, 0.98)), int(size * 2 * rng.uniform(0.55, 0.98)))
    if rng.random() < 0.5:
        cv2.ellipse(big, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    else:
        radius = size // 2
        cv2.rectangle(big, (centre[0] - axes[0] + radius, centre[1] - axes[1]),
                      (centre[0] + axes[0] - radius, centre[1] + axes[1]), 255, -1)
        cv2.rectangle(big, (centre[0] - axes[0], centre[1] - axes[1] + radius),
                      (centre[0] + axes[0], centre[1] + axes[1] - radius), 255, -1)
        for dx in (-1, 1):
            for dy in (-1, 1):
                cv2.circle(big, (centre[0] + dx * (axes[0] - radius), centre[1] + dy * (axes[1] - radius)), radius, 255, -1)
    alpha = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return texture, alpha


def _object_motion(rng: np.random.Generator, width: int, height: int, size: int, count: int,
                   leaves: bool) -> np.ndarray:
    """``float64[T, 2, 3]`` sprite pixel → frame pixel: a similarity along a smooth path (or out and back)."""
    t = np.linspace(0.0, 1.0, count)
    if leaves:  # from near one side out of the frame (wholly) and back in
        side = rng.choice([-1, 1])
        start = np.array([width / 2 + side * (width / 2 - 0.7 * size), rng.uniform(0.3, 0.7) * height])
        out = np.array([side * 1.6 * size, rng.uniform(-0.1, 0.1) * height])
        centres = start[None] + np.sin(np.pi * t)[:, None] * out[None]
    else:
        start = np.array([rng.uniform(0.15, 0.85) * width, rng.uniform(0.2, 0.8) * height])
        end = np.array([rng.uniform(0.15, 0.85) * width, rng.uniform(0.2, 0.8) * height])
        wobble = np.stack([_smooth_path(rng, count, 0.05 * width), _smooth_path(rng, count, 0.05 * height)], 1)
        ease = 0.5 - 0.5 * np.cos(np.pi * t)
        centres = start[None] + ease[:, None] * (end - start)[None] + wobble
    angle = np.deg2rad(rng.uniform(-25, 25)) * t + np.deg2rad(rng.uniform(0, 360))
    scale = 1.0 + _smooth_path(rng, count, 0.12)
    half = (size - 1) / 2
    motions = []
    for k in range(count):
        c, s = np.cos(angle[k]) * scale[k], np.sin(angle[k]) * scale[k]
        linear = np.array([[c, -s], [s, c]])
        motions.append(np.concatenate([linear, (centres[k] - linear @ np.array([half, half]))[:, None]], 1))
    return np.array(motions)


def _lighting(rng: np.random.Generator, count: int, width: int, height: int):
    """Per frame: (gain, bias, gradient strength, gradient direction) of a smoothly changing illumination."""
    gain = 1.0 + _smooth_path(rng, count, 0.3)
    bias = _smooth_path(rng, count, 18.0)
    gradient = _smooth_path(rng, count, 0.35)
    direction = rng.uniform(0, 2 * np.pi)
    xs, ys = np.meshgrid(np.linspace(-0.5, 0.5, width), np.linspace(-0.5, 0.5, height))
    ramp = (np.cos(direction) * xs + np.sin(direction) * ys).astype(np.float32)
    return gain, bias, gradient, ramp


def _blur(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    if rng.random() < 0.5:
        return cv2.GaussianBlur(image, (0, 0), float(rng.uniform(1.0, 2.0)))
    length = int(rng.integers(5, 10))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    return cv2.filter2D(image, -1, kernel / kernel.sum())


def _bilinear(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Sample a float image at sub-pixel points (0 outside)."""
    map_x = xy[:, 0].astype(np.float32).reshape(1, -1)
    map_y = xy[:, 1].astype(np.float32).reshape(1, -1)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(-1)


def make_clip(background: np.ndarray, object_photos: list[np.ndarray], seed: int, width: int = 512,
              height: int = 288, frames: int = 24, background_points: int = 96, object_points: int = 24,
              blur_share: float = 0.2, noise: float = 2.0) -> SyntheticClip:
    """Render one clip (see the module docstring); the same arguments always give the same clip.

    Args:
        background: ``uint8[h, w, 3]`` photograph seen by the moving camera (at least as large as the frames / 1.45).
        object_photos: photographs to cut one object each from (``len`` objects; the first leaves and comes back).
        seed: the clip's random seed.
    """
    rng = np.random.default_rng(seed)
    photo_h, photo_w = background.shape[:2]
    camera = _camera(rng, (photo_w, photo_h), width, height, frames)
    sprites, motions = [], []
    for index, photo in enumerate(object_photos):
        size = int(rng.integers(int(0.2 * height), int(0.36 * height)))
        size = min(size, photo.shape[0] - 1, photo.shape[1] - 1)
        sprites.append(_object_sprite(rng, photo, size))
        motions.append(_object_motion(rng, width, height, size, frames, leaves=index == 0))
    gain, bias, gradient, ramp = _lighting(rng, frames, width, height)
    blurred = rng.random(frames) < blur_share
    blurred[0] = False

    # Points: background points anywhere the camera sees at some frame, object points inside their sprites.
    seen_at = rng.integers(0, frames, background_points)
    frame_xy = rng.uniform([2, 2], [width - 3, height - 3], (background_points, 2))
    scene = np.array([cv2.perspectiveTransform(p[None, None], np.linalg.inv(camera[f]))[0, 0]
                      for p, f in zip(frame_xy, seen_at)]).reshape(-1, 2)
    tracks = [np.stack([cv2.perspectiveTransform(scene[None], camera[t])[0] for t in range(frames)])]
    owner = [np.full(background_points, -1)]
    for index, (texture, alpha) in enumerate(sprites):
        inner = np.argwhere(alpha > 0.99)
        chosen = inner[rng.choice(len(inner), size=min(object_points, len(inner)), replace=False)][:, ::-1]
        local = np.concatenate([chosen.astype(np.float64), np.ones((len(chosen), 1))], 1)
        tracks.append(np.einsum("tij,nj->tni", motions[index], local))
        owner.append(np.full(len(chosen), index))
    points = np.concatenate(tracks, axis=1)
    on_object = np.concatenate(owner)
    inside = (points[..., 0] >= 0) & (points[..., 0] <= width - 1) & (points[..., 1] >= 0) & (points[..., 1] <= height - 1)
    visible = inside.copy()

    rendered = np.zeros((frames, height, width, 3), np.uint8)
    for t in range(frames):
        image = cv2.warpPerspective(background, camera[t], (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT).astype(np.float32)
        for index, (texture, alpha) in enumerate(sprites):
            colour = cv2.warpAffine(texture, motions[index][t], (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT).astype(np.float32)
            cover = cv2.warpAffine(alpha, motions[index][t], (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            image = image * (1 - cover[..., None]) + colour * cover[..., None]
            behind = on_object < index  # background (-1) and earlier objects are behind this one
            covered = _bilinear(cover, points[t, behind]) >= 0.5
            visible[t, np.flatnonzero(behind)[covered]] = False
        light = gain[t] * (1.0 + gradient[t] * ramp)
        image = image * light[..., None] + bias[t]
        if blurred[t]:
            image = _blur(rng, image)
        image = image + rng.normal(0.0, noise, image.shape).astype(np.float32)
        rendered[t] = np.clip(np.round(image), 0, 255).astype(np.uint8)

    ever = visible.any(axis=0)
    points, visible, on_object = points[:, ever], visible[:, ever], on_object[ever]
    first = visible.argmax(axis=0)
    queries = np.concatenate([first[:, None], points[first, np.arange(points.shape[1])]], axis=1).astype(np.float64)
    to_frame0 = np.array([m @ np.linalg.inv(camera[0]) for m in camera])
    return SyntheticClip(rendered, points.astype(np.float32), visible, queries, on_object, to_frame0 / to_frame0[:, 2:, 2:])


def make_clip_set(photos: dict[str, np.ndarray], seed: int = BENCH_SEED, count: int = 6, objects: int = 3,
                  object_photos: tuple[str, ...] = OBJECT_PHOTOS, **clip_args) -> list[SyntheticClip]:
    """``count`` clips: clip ``i`` uses background ``BACKGROUND_PHOTOS[i % 6]`` and ``objects`` of ``object_photos``,
    all drawn from ``seed`` (the benchmark uses :data:`BENCH_SEED`)."""
    rng = np.random.default_rng(seed)
    clips = []
    for index in range(count):
        names = [object_photos[k] for k in rng.choice(len(object_photos), size=objects, replace=False)]
        clip_seed = int(rng.integers(0, 2**31 - 1))
        background = photos[BACKGROUND_PHOTOS[index % len(BACKGROUND_PHOTOS)]]
        clips.append(make_clip(background, [photos[n] for n in names], clip_seed, **clip_args))
    return clips

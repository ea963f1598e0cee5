"""Object colours: a default palette and ``#rrggbb`` <-> 0-1 RGB conversion.

The colour is part of an object's identity in TrackDiffusion (each box is fed to the model with its RGB colour), so it
is stored exactly: as ``#rrggbb`` in editor documents and as float RGB in ``[0, 1]`` in :class:`Tracklets`.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import TrackDiffError

# Ten well separated colours (the "tab10" set that KJNodes' editors also use), so ids read the same across tools.
PALETTE_HEX = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")


def palette_color(index: int) -> str:
    """The default ``#rrggbb`` colour of the object at ``index``."""
    return PALETTE_HEX[index % len(PALETTE_HEX)]


def hex_to_rgb(value: object, field: str = "color") -> tuple[float, float, float]:
    """``"#ff8000"`` -> ``(1.0, 0.50196, 0.0)``."""
    if not isinstance(value, str) or not _HEX.match(value):
        raise TrackDiffError(field, value, "is not a colour in #rrggbb form", 'write it like "#1f77b4"')
    digits = value[1:]
    return tuple(int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def rgb_to_hex(rgb) -> str:
    """``(1.0, 0.5, 0.0)`` -> ``"#ff8000"`` (rounded to the nearest 8-bit step)."""
    values = np.clip(np.round(np.asarray(rgb, dtype=np.float64) * 255.0), 0, 255).astype(int)
    return "#" + "".join(f"{v:02x}" for v in values)


def rgb_to_255(rgb) -> tuple[int, int, int]:
    """0-1 RGB -> a tuple of 0-255 ints (for drawing on RGB frames; OpenCV writes channels in the order given)."""
    r, g, b = (int(round(float(c) * 255.0)) for c in rgb)
    return (r, g, b)

"""The one exception type of TrackDiff's data layer.

Every validation failure names three things, so that a person reading the message in ComfyUI's error panel can act on it
without a traceback: the *field* (a path such as ``objects[2].keyframes[1].box``), the *bad value* and the *fix*.
"""

from __future__ import annotations

import reprlib

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlist = 6
_short.maxtuple = 6
_short.maxdict = 4


def describe_value(value: object) -> str:
    """A short, readable rendering of a bad value (arrays are summarised, long strings cut)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(value, (int, float)):
        return f"array of shape {tuple(shape)} and dtype {dtype}"
    return _short.repr(value)


class TrackDiffError(ValueError):
    """Bad input to TrackDiff: names the field, the bad value and the fix.

    It subclasses :class:`ValueError` so callers that already catch that keep working.
    """

    def __init__(self, field: str, value: object, problem: str, fix: str):
        self.field = field
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem} (got {describe_value(value)}). Fix: {fix}")


def join_field(parent: str, child: str | int) -> str:
    """``join_field("objects", 2)`` -> ``objects[2]``; ``join_field("objects[2]", "box")`` -> ``objects[2].box``."""
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else child

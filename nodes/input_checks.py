"""What a node's ``validate_inputs`` answers for the one widget input it checks before the graph runs.

A node names only that input in its ``validate_inputs`` signature (no ``**kwargs``), so ComfyUI's own type, range and
list checks stay on for every other input, and a bad value gives one clear error before anything runs.
"""

from __future__ import annotations

from typing import Any, Callable

from ..trackdiff_core.errors import TrackDiffError


def early_check(value: Any, check: Callable[[Any], Any], kind: type = str) -> bool | str:
    """``True`` when ``value`` is not a widget's value of ``kind`` (a linked input: checked when the node runs) or
    ``check`` accepts it; otherwise the message of the :class:`TrackDiffError` it raised (input, bad value, fix)."""
    if not isinstance(value, kind):
        return True
    try:
        check(value)
    except TrackDiffError as exc:
        return str(exc)
    return True

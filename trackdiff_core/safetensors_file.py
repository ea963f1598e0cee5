"""The one safetensors reader for the pack's own weight formats (TrackDiffusion weights, TrackGo adapters).

Before ``safetensors`` opens a file, :func:`diagnose` looks at its size and its header (the first 8 bytes are the
header's length, then the header is JSON that starts with ``{`` and gives every tensor's byte range), so a file that
cannot be read gets a message that is true of it:

* ``empty``: 0 bytes (nothing was written or downloaded);
* ``truncated``: a safetensors header whose own length, or whose tensors' byte ranges, run past the end of the file (an
  interrupted download or copy);
* ``pickle``: a PyTorch pickle or zip checkpoint (``.ckpt`` / ``.pt`` / ``.bin``), recognised by its magic bytes and
  never unpickled (that could run code);
* ``not_safetensors``: anything else that does not start with a safetensors header.

Messages name the file by the name the user gave (never a server path) and never quote its content.
"""

from __future__ import annotations

import json
import os

from .errors import TrackDiffError

MAX_HEADER = 100_000_000  # safetensors' own limit on the header's size
KINDS = ("missing", "empty", "truncated", "pickle", "not_safetensors", "unreadable")


def diagnose(path: str) -> tuple[str, str] | None:
    """``(kind, problem)`` for a file that cannot be a whole safetensors file, or ``None`` when it looks whole."""
    if not os.path.isfile(path):
        return "missing", "does not exist"
    size = os.path.getsize(path)
    if size == 0:
        return "empty", "is empty (0 bytes): nothing was written or downloaded"
    with open(path, "rb") as handle:
        head = handle.read(9)
        if len(head) == 9 and head[8:9] == b"{":
            length = int.from_bytes(head[:8], "little")
            if length > MAX_HEADER:
                return "not_safetensors", "is not a safetensors file (its header length is not plausible)"
            if 8 + length > size:
                return "truncated", (f"is truncated: its header alone needs {8 + length} bytes but the file has "
                                     f"{size} (an interrupted download or copy?)")
            handle.seek(8)
            try:
                header = json.loads(handle.read(length))
            except (ValueError, UnicodeDecodeError):
                return "not_safetensors", "is not a safetensors file (its header is not valid JSON)"
            if not isinstance(header, dict):
                return "not_safetensors", "is not a safetensors file (its header is not a table of tensors)"
            ends = [entry["data_offsets"][1] for key, entry in header.items()
                    if key != "__metadata__" and isinstance(entry, dict) and isinstance(entry.get("data_offsets"), list)
                    and len(entry["data_offsets"]) == 2 and isinstance(entry["data_offsets"][1], int)]
            need = 8 + length + max(ends, default=0)
            if need > size:
                return "truncated", (f"is truncated: its tensors need {need} bytes but the file has {size} "
                                     "(an interrupted download or copy?)")
            return None
    if head.startswith(b"PK\x03\x04") or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        return "pickle", ("is a PyTorch pickle or zip checkpoint (.ckpt / .pt / .bin); TrackDiff never unpickles "
                          "weights (it could run code)")
    if size < 9:
        return "not_safetensors", f"is {size} bytes, too short to be a safetensors file"
    return "not_safetensors", "is not a safetensors file (it does not start with a safetensors header)"


def open_safetensors(path: str, field: str, name: str, fixes: dict[str, str]):
    """``safe_open`` on ``path`` after :func:`diagnose`; errors name ``field`` and ``name`` and take the fix for their
    kind from ``fixes`` (``"default"`` for kinds it does not list)."""
    from safetensors import safe_open

    found = diagnose(path)
    if found is not None:
        kind, problem = found
        raise TrackDiffError(field, name, problem, fixes.get(kind, fixes["default"]))
    try:
        return safe_open(path, framework="pt", device="cpu")
    except Exception:  # SafetensorError is not importable by name on every version; its text may hold the path
        raise TrackDiffError(field, name, "could not be read as safetensors although its header looks whole",
                             fixes.get("unreadable", fixes["default"])) from None

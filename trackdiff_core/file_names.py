"""File names a person (or a file they were given) hands to TrackDiff: checked as text, and resolved inside one folder
before anything is opened or written.

Messages name the input and the value the person gave, never the server path it resolved to, and say the same thing
whether or not a refused file exists, so an error answer tells a caller nothing about the server's files.
"""

from __future__ import annotations

import os
import re
import unicodedata

from .errors import TrackDiffError

MAX_COMPONENT_BYTES = 200  # one folder or file name; file systems allow 255, the rest is left for suffixes we add
MAX_PATH_CHARS = 512
MAX_DEPTH = 16
_INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # controls, format (bidi overrides), surrogates, unassigned
_PUNCTUATION = " ._-+()[]',!@#&=~"  # besides letters and digits of any script; never / \ : * ? " < > | { } %


def check_text(field: str, value: object, fix: str) -> str:
    """``value`` as a name that can be written on any file system: a string, not too long, no invisible characters."""
    if not isinstance(value, str):
        raise TrackDiffError(field, value, "is not text", fix)
    if len(value) > MAX_PATH_CHARS:
        raise TrackDiffError(field, value, f"is {len(value)} characters long (at most {MAX_PATH_CHARS})",
                             "use a shorter name")
    for char in value:
        if unicodedata.category(char) in _INVISIBLE:
            raise TrackDiffError(field, value, f"holds the invisible or control character U+{ord(char):04X}",
                                 f"retype it without that character; {fix}")
    return value


def _check_component(field: str, whole: str, part: str, extra: str, fix: str) -> None:
    if part in (".", ".."):
        raise TrackDiffError(field, whole, f"uses {part!r} to leave its folder", fix)
    if part.startswith("."):
        raise TrackDiffError(field, whole, "names a hidden file (it starts with '.')", fix)
    if part != part.strip():
        raise TrackDiffError(field, whole, "has a name that starts or ends with a space", fix)
    bad = next((c for c in part if not (c.isalnum() or c in _PUNCTUATION or c in extra)), None)
    if bad is not None:
        raise TrackDiffError(field, whole, f"holds {bad!r}, which a file name here may not hold",
                             f"use letters, digits, spaces and . _ - + ( ) [ ] ' , ! @ # & = ~; {fix}")
    if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        raise TrackDiffError(field, whole, f"has a name longer than {MAX_COMPONENT_BYTES} bytes", "use a shorter name")


def plain_file_name(field: str, value: object, fix: str) -> str:
    """One file name (no folders) made of ordinary characters, e.g. for a file TrackDiff writes."""
    name = check_text(field, value, fix)
    if not name:
        raise TrackDiffError(field, value, "is empty", fix)
    if "/" in name or "\\" in name:
        raise TrackDiffError(field, value, "names a folder; only a file name is allowed here", fix)
    _check_component(field, name, name, "", fix)
    return name


def relative_prefix(field: str, value: object, fix: str, extra: str = "") -> list[str]:
    """The parts of a relative ``folder/…/name`` prefix (``extra``: more characters allowed, e.g. ``%``)."""
    text = check_text(field, value, fix)
    if not text.strip():
        raise TrackDiffError(field, value, "is empty", fix)
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
        raise TrackDiffError(field, value, "is an absolute path", f"give a path relative to the folder; {fix}")
    parts = re.split(r"[\\/]", text)
    if len(parts) > MAX_DEPTH:
        raise TrackDiffError(field, value, f"is {len(parts)} folders deep (at most {MAX_DEPTH})", "use fewer folders")
    for part in parts:
        if not part:
            raise TrackDiffError(field, value, "has an empty folder name ('//' or a trailing '/')", fix)
        _check_component(field, text, part, extra, fix)
    return parts


def resolve_inside(folder: str, name: object, field: str, where: str, fix: str) -> str:
    """The real path of ``name`` inside ``folder`` (links followed); refused, with the same message whether or not
    the file exists, when it is absolute, uses ``..`` or leads out of ``folder`` through a link."""
    refusal = TrackDiffError(field, name, f"is not a file in {where}", fix)
    if not isinstance(name, str) or not name:
        raise refusal
    try:
        check_text(field, name, fix)
    except TrackDiffError:
        raise refusal from None
    parts = re.split(r"[\\/]", name)
    if os.path.isabs(name) or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise refusal
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(root, *parts))
    if path == root or os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        raise refusal
    return path

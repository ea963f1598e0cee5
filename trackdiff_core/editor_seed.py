"""Seeding an editor: which document an editor node uses when a seed document is connected.

The rule (``docs/editor-documents.md``, *Seeds*): the widget's document wins when it holds anything (an object or a
camera layer), since those are the person's edits; an empty widget document gives way to the seed, read with the same
parser, so a seed of the wrong kind or with a bad field is refused naming the seed input.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

Document = TypeVar("Document")

SEED_UI_KEY = "trackdiff_seed"  # the node's UI output carrying the seed it used, for the widget to adopt


def choose_document(widget_text: Any, seed_text: Any, parse: Callable[[Any, str], Document], widget_field: str,
                    seed_field: str = "seed_document") -> tuple[Document, bool]:
    """``(document, seeded)``: the widget's document unless it is empty and a seed is given (``seeded`` is then
    True). ``parse(text, field)`` is the document kind's parser; a blank seed counts as no seed."""
    document = parse(widget_text, widget_field)
    if seed_text is None or (isinstance(seed_text, str) and not seed_text.strip()):
        return document, False
    seed = parse(seed_text, seed_field)  # checked even when unused: a bad connection is never silently ignored
    if document.is_empty:
        return seed, True
    return document, False

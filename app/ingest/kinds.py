"""The kinds of file Lexiscope indexes, and the extensions that are images: one list, read everywhere.

The reader registry (``app.ingest.readers``) reads each format; this module holds what other rooms need to
know without loading any reader or parser library: query parsing (an image path in a query), the window
(a dropped or pasted picture) and the image reader itself. A new image format is one entry here (and a
reader that can open it: Pillow's formats).
"""

from __future__ import annotations

# The kinds a document can be (the `kind` column, `--kind`, the window's kind filter).
TEXT = "text"
IMAGE = "image"
NEWS = "news"
KINDS = (TEXT, IMAGE, NEWS)

# Files read as pictures (app.ingest.readers.images, through Pillow).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")


def is_image_name(name: str) -> bool:
    """True when a file name (or path) ends with an image extension, in any case."""
    return name.lower().endswith(IMAGE_EXTENSIONS)


__all__ = ["IMAGE", "IMAGE_EXTENSIONS", "KINDS", "NEWS", "TEXT", "is_image_name"]

"""Image reader (metadata only: the pixels are for the CLIP encoder) and thumbnails."""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image, ImageOps

from app.ingest.kinds import IMAGE_EXTENSIONS
from app.ingest.model import Extracted, Skip
from app.ingest.readers.common import check_size

EXTENSIONS = IMAGE_EXTENSIONS

# Larger than any camera's photos (a 100 MP medium-format frame fits); decoding more costs gigabytes.
MAX_PIXELS = 120_000_000

_EXIF_DATE_TAGS = (ExifTags.Base.DateTimeOriginal, ExifTags.Base.DateTimeDigitized)


def read_image(path: Path, *, max_bytes: int) -> Extracted:
    """Fully decode an image (so a truncated file fails here) and return its size, camera and date."""
    check_size(path, max_bytes)
    try:
        with warnings.catch_warnings():
            # PIL warns above 89 MP and refuses above 179 MP when opening; our own limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise Skip(f"image too large to decode ({exc})") from None
    with img:
        # The header gives the size before any pixel is decoded: a 445 KB PNG can hold 12000×12000
        # pixels (1.3 GB decoded). Check before load().
        pixels = img.width * img.height
        if pixels > MAX_PIXELS:
            raise Skip(f"image of {img.width}×{img.height} pixels ({pixels / 1e6:.0f} megapixels, limit "
                       f"{MAX_PIXELS / 1e6:.0f}): not decoded")
        # load() decodes every byte: a truncated JPEG raises OSError now, not later in the encoder.
        img.load()
        exif = img.getexif()
        meta: dict = {"width": img.width, "height": img.height, "format": img.format}
    camera = _camera(exif)
    if camera:
        meta["camera"] = camera
    return Extracted(kind="image", title=image_title(path), text="", date=_exif_date(exif), meta=meta)


def image_title(path: Path) -> str:
    """A readable title from the file name: ``summer_trip-01`` becomes ``summer trip 01``."""
    return " ".join(re.sub(r"[_\-]+", " ", path.stem).split()) or path.stem


def _clean(value) -> str:
    """An EXIF string value without NUL padding or surrounding spaces."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def _camera(exif: Image.Exif) -> str:
    """EXIF Make and Model, without repeating the make when the model already starts with it."""
    make, model = _clean(exif.get(ExifTags.Base.Make)), _clean(exif.get(ExifTags.Base.Model))
    if make and model.lower().startswith(make.lower()):
        return model
    return " ".join(part for part in (make, model) if part)


def _exif_date(exif: Image.Exif) -> str | None:
    """ISO date from EXIF DateTimeOriginal (falling back to DateTimeDigitized), or None."""
    # The capture dates live in the Exif sub-IFD, not in IFD0 with Make and Model.
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for tag in _EXIF_DATE_TAGS:
        value = _clean(sub.get(tag) or exif.get(tag))
        try:
            # EXIF writes "YYYY:MM:DD HH:MM:SS"; cameras with an unset clock write zeros or blanks.
            return datetime.strptime(value[:10], "%Y:%m:%d").date().isoformat()
        except ValueError:
            continue
    return None


def make_thumbnail(src: Path, dest: Path, size: int = 256) -> None:
    """Write a JPEG thumbnail of ``src`` that fits ``size``×``size``, upright, atomically to ``dest``."""
    with Image.open(src) as opened:
        # draft() lets the JPEG decoder scale down while decoding: much faster for camera photos.
        opened.draft("RGB", (size * 2, size * 2))
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((size, size))
        img = _to_rgb(img)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            img.save(handle, format="JPEG", quality=85)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas become white rather than black."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")

"""Render resources/icons/lexiscope.svg to the icon files each platform wants.

    python packaging/icons.py OUT_DIR

Writes lexiscope.png (256 px: Linux desktop entries and the window), lexiscope.ico (Windows: 16-256 px)
and lexiscope.icns (macOS). Qt's own SVG renderer draws it (PySide6 is a dependency already) and Pillow
writes the container formats, so no Inkscape/ImageMagick is needed on any build machine.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "lexiscope.svg"


def render(size: int) -> bytes:
    """The SVG drawn at ``size`` × ``size`` pixels, as PNG bytes (transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication([sys.argv[0], "-platform", "offscreen"])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def main(out: Path) -> None:
    """Write the three icon files into ``out``."""
    from PIL import Image

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out.mkdir(parents=True, exist_ok=True)
    big = Image.open(io.BytesIO(render(1024))).convert("RGBA")
    png256 = render(256)
    (out / "lexiscope.png").write_bytes(png256)
    Image.open(io.BytesIO(png256)).save(out / "lexiscope.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(out / "lexiscope.icns")
    print(f"icons in {out}: " + ", ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons")

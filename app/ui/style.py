"""The look: application icon and the light style sheet from resources/."""

from __future__ import annotations

from app.resources import resource
from app.ui.qt import QColor, QIcon, QPalette


def app_icon() -> QIcon:
    """The Lexiscope icon (SVG: Qt's SVG icon engine ships with PySide6-Essentials)."""
    return QIcon(str(resource("icons", "lexiscope.svg")))


def apply_style(app) -> None:
    """Fusion style with a light palette and our style sheet, so the window looks the same everywhere."""
    app.setStyle("Fusion")
    pal = app.palette()
    for role, colour in ((QPalette.ColorRole.Window, "#ffffff"), (QPalette.ColorRole.Base, "#ffffff"),
                         (QPalette.ColorRole.AlternateBase, "#f8fafc"), (QPalette.ColorRole.Text, "#1f2328"),
                         (QPalette.ColorRole.WindowText, "#1f2328"), (QPalette.ColorRole.Highlight, "#dce7f7"),
                         (QPalette.ColorRole.HighlightedText, "#1f2328"), (QPalette.ColorRole.Button, "#f3f5f7")):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    try:
        app.setStyleSheet(resource("styles", "light.qss").read_text(encoding="utf-8"))
    except OSError:
        pass  # a missing style sheet leaves the plain Fusion look, never a broken start
    app.setWindowIcon(app_icon())

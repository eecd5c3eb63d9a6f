"""The look: application icon, and a light or dark palette and style sheet that follow the system.

The style sheet (resources/styles/light.qss) is written for the light scheme; the dark scheme is the same
sheet with each colour swapped through DARK, so the two can never drift apart in layout. The scheme
follows the system's (Qt's style hints, live: a switch in the desktop settings restyles the open window);
``LEXISCOPE_COLOR_SCHEME=dark|light`` overrides it (screenshots, tests, a user's preference).
"""

from __future__ import annotations

import os

from app.resources import resource
from app.ui.qt import QColor, QGuiApplication, QIcon, QPalette, Qt

LIGHT_PALETTE = {"Window": "#ffffff", "Base": "#ffffff", "AlternateBase": "#f8fafc", "Text": "#1f2328",
                 "WindowText": "#1f2328", "Highlight": "#dce7f7", "HighlightedText": "#1f2328",
                 "Button": "#f3f5f7", "ButtonText": "#1f2328", "ToolTipBase": "#ffffff", "ToolTipText": "#1f2328",
                 "PlaceholderText": "#8c959f"}
# Light colour -> dark colour, for the palette and the style sheet alike.
DARK = {"#ffffff": "#1e2227", "#f8fafc": "#23282e", "#f6f8fa": "#262b31", "#fcfcfd": "#1a1d21",
        "#f3f5f7": "#2d333b", "#1f2328": "#e6edf3", "#656d76": "#9da7b3", "#444c56": "#adbac7",
        "#d8dee4": "#3d444d", "#e1e6eb": "#3d444d", "#c4ccd4": "#545d68", "#dce7f7": "#2e4a6e",
        "#e8eef8": "#2b3a52", "#b8c8e4": "#44597a", "#fff4d6": "#3b3220", "#ecd58e": "#6b5a2a",
        "#8c959f": "#768390", "#4f7bbf": "#4f7bbf", "#3f6aa8": "#3f6aa8", "#5b88cc": "#6a95d6"}


def app_icon() -> QIcon:
    """The Lexiscope icon (SVG: Qt's SVG icon engine ships with PySide6-Essentials)."""
    return QIcon(str(resource("icons", "lexiscope.svg")))


def color_scheme() -> str:
    """"dark" or "light": the override in LEXISCOPE_COLOR_SCHEME, else the system's."""
    forced = os.environ.get("LEXISCOPE_COLOR_SCHEME", "").strip().lower()
    if forced in ("dark", "light"):
        return forced
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)  # Qt 6.5+
    return "dark" if scheme is not None and scheme() == Qt.ColorScheme.Dark else "light"


def style_sheet(scheme: str) -> str:
    """The style sheet for ``scheme`` ("" when the file is missing: the plain Fusion look, never a crash)."""
    try:
        text = resource("styles", "light.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    if scheme == "dark":
        for light, dark in DARK.items():
            text = text.replace(light, dark)
    return text


def apply_scheme(app, scheme: str) -> None:
    """Set the palette and style sheet of ``scheme`` on ``app``."""
    pal = app.palette()
    for role, colour in LIGHT_PALETTE.items():
        value = DARK.get(colour, colour) if scheme == "dark" else colour
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    app.setPalette(pal)
    app.setStyleSheet(style_sheet(scheme))
    app.setProperty("lexiscopeScheme", scheme)


def apply_style(app) -> None:
    """Fusion style with the system's scheme (light or dark), kept in step when the system switches."""
    app.setStyle("Fusion")
    apply_scheme(app, color_scheme())
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda *_: apply_scheme(app, color_scheme()))
    app.setWindowIcon(app_icon())


def highlight_colours(scheme: str | None = None) -> tuple[str, str]:
    """(background, text) of a highlighted match: readable on either scheme."""
    app = QGuiApplication.instance()
    scheme = scheme or (app.property("lexiscopeScheme") if app is not None else None) or "light"
    return ("#6b5a1e", "#fff6d5") if scheme == "dark" else ("#fff1b8", "#1f2328")

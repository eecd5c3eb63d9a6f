"""The window's menus and keyboard shortcuts, declared once: the menus and the shortcut list read this.

Each entry is (menu, label, shortcut, method of the window). A shortcut is a standard key where the
platform defines one, with an explicit fallback where it does not (Preferences has no key on Linux, so
Settings gets Ctrl+, as in most Linux apps).
"""

from __future__ import annotations

from app.ui.qt import QAction, QDialog, QDialogButtonBox, QKeySequence, QLabel, QMenu, QVBoxLayout
from app.ui.text import esc

S = QKeySequence.StandardKey
MENU_ITEMS = (
    ("&File", "&Add folder…", S.Open, "choose_folder"),
    ("&File", "&Export results…", "Ctrl+E", "export_dialog"),
    ("&File", "&Settings…", (S.Preferences, "Ctrl+,"), "settings_dialog"),
    ("&File", "&Quit", S.Quit, "close"),
    ("&Search", "&Find", S.Find, "focus_search"),
    ("&Search", "&Save this search…", "Ctrl+S", "save_search_dialog"),
    ("&Search", "Show &more results", "Ctrl+M", "show_more"),
    ("&View", "&Next match in the passage", "F3", "next_match"),
    ("&View", "&Previous match in the passage", "Shift+F3", "previous_match"),
    ("&Help", "&Keyboard shortcuts", ("F1", "Ctrl+/"), "show_shortcuts"),
    ("&Help", "&About Lexiscope", None, "about"),
)
# Keys handled by widgets themselves (not menu actions), listed for the shortcut list.
WIDGET_KEYS = (
    ("Enter (in the search field)", "Search"),
    ("Down / Up (in the results)", "Select the next / previous result"),
    ("Enter (in the results)", "Open the selected file"),
    ("Space (in the results)", "Quick look at the selected result"),
    ("Right-click a result", "Open, show in folder, copy path, more like this"),
)


def _sequences(shortcut) -> list[QKeySequence]:
    """The key sequences for an entry: a standard key if the platform has one, else the fallback."""
    if shortcut is None:
        return []
    options = shortcut if isinstance(shortcut, tuple) else (shortcut,)
    out: list[QKeySequence] = []
    for option in options:
        if isinstance(option, S):
            out += [k for k in QKeySequence.keyBindings(option) if not k.isEmpty()]
        else:
            out.append(QKeySequence(option))
        if out:
            return out
    return out


def build_menus(window) -> dict[str, QAction]:
    """Fill ``window``'s menu bar from MENU_ITEMS; returns the actions by method name."""
    menus: dict[str, QMenu] = {}
    actions: dict[str, QAction] = {}
    for menu, label, shortcut, method in MENU_ITEMS:
        if menu not in menus:
            menus[menu] = window.menuBar().addMenu(menu)
        action = QAction(label, window)
        action.setShortcuts(_sequences(shortcut))
        action.triggered.connect(getattr(window, method))
        menus[menu].addAction(action)
        actions[method] = action
    window.menu_by_name = menus
    return actions


def shortcut_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut, as this platform spells the keys."""
    rows = []
    for _, label, shortcut, _ in MENU_ITEMS:
        keys = _sequences(shortcut)
        if keys:
            # The first binding is the one people know ("Ctrl+O"; later ones are media keys such as "Open").
            text = keys[0].toString(QKeySequence.SequenceFormat.NativeText)
            rows.append((text, label.replace("&", "").rstrip("…")))
    return rows + list(WIDGET_KEYS)


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut in one table (Help → Keyboard shortcuts)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = "".join(f"<tr><td style='padding-right:18px'><b>{esc(k)}</b></td><td>{esc(v)}</td></tr>"
                       for k, v in shortcut_rows())
        self.table = QLabel(f"<table>{rows}</table>")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

"""The one place that imports Qt (as qutebrowser's ``qutebrowser/qt/``).

Every other module in ``app.ui`` imports Qt names from here, so a binding change (or a check that
only the UI touches Qt) concerns one file.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QFileSystemWatcher,
    QMimeData,
    QModelIndex,
    QObject,
    QPoint,
    QPointF,
    QProcess,
    QRect,
    QRectF,
    QRunnable,
    QSize,
    QSortFilterProxyModel,
    QStringListModel,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QGradient,
    QGuiApplication,
    QIcon,
    QImage,
    QImageReader,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QTextCursor,
    QTextCharFormat,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _guard_none_refcount() -> bool:
    """Work around PySide6 6.12.0 on CPython < 3.12 dropping references to None, True and False.

    Measured here: each call of a plain-function slot (lambda or def, on a timer, button, any signal)
    lowers None's reference count by one, and each ``signal.emit()`` from Python lowers True's or
    False's; after a few thousand calls CPython aborts ("none_dealloc: deallocating None",
    "bool_dealloc"). 6.11.3 and
    6.10.3 do not do this, and from Python 3.12 None is immortal. None is a static singleton that is
    never freed, so raising its count by a large constant is harmless and removes the crash; the proper
    fix is pinning PySide6-Essentials to 6.11.3 (or moving to Python 3.12+).
    """
    if PySide6.__version__ != "6.12.0" or sys.version_info >= (3, 12):
        return False
    # ob_refcnt is the first field of every PyObject. Signal.emit() drops a reference to its bool
    # result the same way, so True and False get the same headroom.
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    return True


NONE_GUARD = _guard_none_refcount()

__all__ = ["NONE_GUARD"] + [name for name in dir() if name.startswith("Q") or name in ("Qt", "Signal", "Slot")]

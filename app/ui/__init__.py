"""The desktop window (PySide6): the only package that imports Qt, always through ``app.ui.qt``."""

"""Lexiscope: desktop search for a researcher's folders (text, photos, newspaper OCR)."""

__version__ = "0.1.0"

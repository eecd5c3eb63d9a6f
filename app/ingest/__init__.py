"""Turning files on disk into documents and passages: scan, read, split."""

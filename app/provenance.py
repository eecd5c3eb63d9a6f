"""Provenance in words: how an export's provenance keys read to a person (HTML and Markdown reports)."""

from __future__ import annotations

import json

from app.search.modes import COMPONENTS


# How each provenance key reads to a person (HTML and Markdown reports; the JSON keeps the keys).
_PROV_LABELS = {
    "query": "Query",
    "masked_query": "Searched as (names masked)",
    "mode": "Retrieval",
    "filters": "Filters",
    "exported_at": "Exported",
    "app": "Made with",
    "index_schema_version": "Index format version",
}
_MODE_WORDS = COMPONENTS


def _filters_in_words(filters: dict) -> str:
    parts = []
    if filters.get("kinds"):
        parts.append("only " + " and ".join(filters["kinds"]))
    if filters.get("folder"):
        parts.append(f"under {filters['folder']}")
    if filters.get("after"):
        parts.append(f"from {filters['after']}")
    if filters.get("before"):
        parts.append(f"until {filters['before']}")
    for key, value in (filters.get("extra") or {}).items():
        if value:
            parts.append(f"{key} {value}")
    return "; ".join(parts) or "none"


def provenance_in_words(prov: dict) -> list[tuple[str, str]]:
    """Provenance as (label, text) rows a reader understands: no raw keys, no ``None``, no ``{}``."""
    rows = []
    for key, value in prov.items():
        if value in (None, "", {}):
            continue  # e.g. no masked query: nothing to say
        if key == "filters":
            text = _filters_in_words(value)
        elif key == "mode":
            text = ", ".join(_MODE_WORDS.get(m, m) for m in str(value).split("+"))
        else:
            text = value if isinstance(value, str) else json.dumps(value)
        rows.append((_PROV_LABELS.get(key, key.replace("_", " ").capitalize()), str(text)))
    return rows

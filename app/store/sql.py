"""Filters on the tables, in LanceDB's SQL: built here, values quoted in one place."""

from __future__ import annotations

# Filters are LanceDB (DataFusion) SQL. They are built here and nowhere else: other modules hold a filter
# only as the opaque string one of these functions or a Store method made, and values are quoted by
# sql_str alone.

def sql_str(value: str) -> str:
    """Quote a string literal for a LanceDB filter (the one place values are quoted)."""
    return "'" + value.replace("'", "''") + "'"


def in_list(column: str, values) -> str:
    """A SQL ``column IN (...)`` filter for string values."""
    return f"{column} IN ({', '.join(sql_str(v) for v in values)})"


def passage_filter(*, kinds=(), folder: str | None = None, after: str | None = None, before: str | None = None,
                   newspaper: str | None = None, place: str | None = None, entity: str | None = None) -> str | None:
    """The filter on passages for a search's restrictions (app.search.types.Filters), or None for none.

    ``folder`` matches itself and everything under it; ``after``/``before`` are inclusive ISO days; ``place``
    is a case-insensitive substring; ``entity`` a facet value ("PER:Woodrow Wilson", see PASSAGE_BASE).
    """
    parts = []
    if kinds:
        parts.append("kind IN (" + ", ".join(sql_str(k) for k in kinds) + ")")
    if folder is not None:
        parts.append(f"(folder = {sql_str(folder)} OR starts_with(folder, {sql_str(folder + '/')}))")
    if after:
        parts.append(f"date >= {sql_str(after)}")
    if before:
        parts.append(f"date <= {sql_str(before)}")
    if newspaper:
        parts.append(f"source = {sql_str(newspaper)}")
    if place:
        parts.append(f"lower(place) LIKE {sql_str('%' + place.lower() + '%')}")
    if entity:
        parts.append(f"array_has(entities, {sql_str(entity)})")
    return " AND ".join(parts) or None

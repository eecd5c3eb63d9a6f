"""Search inputs and outputs, shared by the CLI, the GUI and exports."""

from __future__ import annotations

import re
from datetime import date
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.search.explanation import Explanation
from app.store import passage_filter

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def normalise_date(value: str | None, *, end: bool = False) -> str | None:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD; return a full ISO day (the last day for ``end``)."""
    if not value:
        return None
    value = value.strip()
    if not _DATE.match(value):
        raise ValueError(f"not a date: {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    parts = value.split("-")
    try:  # a real day or month: "1916-13-45" matched the pattern and silently found nothing
        date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError(f"not a date: {value!r} (no such month or day)") from None
    if len(parts) == 1:
        return f"{value}-12-31" if end else f"{value}-01-01"
    if len(parts) == 2:
        return f"{value}-31" if end else f"{value}-01"  # string comparison: -31 bounds every month
    return value


@dataclass
class Filters:
    """Restrictions on what a search may return. Dates are inclusive ISO days."""

    kinds: tuple[str, ...] = ()
    folder: str | None = None
    after: str | None = None
    before: str | None = None
    extra: dict = field(default_factory=dict)  # later facets (newspaper, place, entity)

    def where(self) -> str | None:
        """The store's filter for these restrictions (app.store.passage_filter), or None."""
        return passage_filter(
            kinds=self.kinds,
            folder=self.folder.rstrip("/\\") if self.folder else None,
            after=normalise_date(self.after),
            before=normalise_date(self.before, end=True),
            newspaper=self.extra.get("newspaper") or None,
            place=self.extra.get("place") or None,
            # Facet values are "TYPE:Name" (e.g. "PER:Woodrow Wilson"), see app.store.PASSAGE_BASE.
            entity=self.extra.get("entity") or None,
        )

    def as_dict(self) -> dict:
        """JSON-friendly form, for provenance."""
        return {k: v for k, v in asdict(self).items() if v not in ((), None, {})}


@dataclass(frozen=True)
class SearchOptions:
    """How one search runs beyond its query, ``k`` and filters: what the retrievers and the explainer are told."""

    mode: str = "auto"  # one of app.search.modes.MODES; "auto" runs every component the index supports
    mask_entities: bool = False  # search the query with the names of people, places and organisations masked
    explain: bool | str = False  # attach explanations; "terms" leaves out the dense token alignment
    image: Path | str | None = None  # a query image given apart from the text (the window's image search)


@dataclass
class Result:
    """One document in a result list (its best passage stands for it)."""

    rank: int
    score: float
    doc_id: str
    path: str
    kind: str
    title: str
    date: str
    snippet: str
    highlights: list[tuple[int, int]]  # spans in ``snippet``
    passage_id: str
    passage_start: int  # offsets of the best passage in the document text
    passage_end: int
    passage_text: str = ""
    scores: dict = field(default_factory=dict)  # {dense, sparse, bm25, fused}; None where not run
    folder: str = ""
    thumb: str = ""
    meta: dict = field(default_factory=dict)
    explanation: Explanation | None = None  # app.explain, with explain=True
    ranks: dict = field(default_factory=dict)  # per component, 1-based, before grouping
    parts: dict = field(default_factory=dict)  # per component, its share of the fused score
    # "words": only pass 1 (words, dates, facets) has reached this passage so far; "meaning": pass 2 too.
    ready: str = "meaning"

    def to_json(self, *, full: bool = False) -> dict:
        """The stable JSON shape of a result (see docs/json.md)."""
        out = {
            "rank": self.rank,
            "score": round(self.score, 6),
            "path": self.path,
            "kind": self.kind,
            "title": self.title,
            "date": self.date or None,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "passage": {"id": self.passage_id, "start": self.passage_start, "end": self.passage_end},
            "scores": {k: (None if v is None else round(v, 6)) for k, v in self.scores.items()},
            "folder": self.folder,
            "thumbnail": self.thumb or None,
            "ready": self.ready,
        }
        for key in ("newspaper", "place", "printings", "entities"):
            if key in self.meta:
                out[key] = self.meta[key]
        if full:
            out["passage_text"] = self.passage_text
        if self.explanation is not None:
            out["explanation"] = self.explanation.to_json()
        return out


@dataclass
class SearchResponse:
    """A whole search: what was asked, what was searched, and the ranked results."""

    query: str
    filters: Filters
    results: list[Result]
    mode: str = "lexical"
    masked_query: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "image model missing: images matched by name"

    def to_json(self) -> dict:
        """The stable ``--json`` object: the query as searched and a ``results`` list."""
        return {
            "query": self.query,
            "masked_query": self.masked_query,
            "mode": self.mode,
            "filters": self.filters.as_dict(),
            "notes": self.notes,
            "results": [r.to_json() for r in self.results],
        }

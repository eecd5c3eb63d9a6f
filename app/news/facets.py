"""Facets of the indexed newspapers: papers, places, dates and the most mentioned entities, with counts.

Counts are of documents (a page or an article record), not of mentions: "PER:Woodrow Wilson 31" means 31
pages or articles name him, which is what a filter on that facet would return.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Facets:
    """Facet values with document counts, most frequent first."""

    documents: int = 0
    n_newspapers: int = 0  # distinct values, not only the ``top`` listed
    n_places: int = 0
    newspapers: list[tuple[str, int]] = field(default_factory=list)
    places: list[tuple[str, int]] = field(default_factory=list)
    dates: list[tuple[str, int]] = field(default_factory=list)  # by day, in date order
    first_date: str | None = None
    last_date: str | None = None
    entities: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # type -> [(name, n)]

    def to_json(self) -> dict:
        """JSON-friendly form for ``lexiscope facets --json``."""
        def pairs(items):
            return [{"value": v, "count": n} for v, n in items]

        return {
            "documents": self.documents,
            "n_newspapers": self.n_newspapers,
            "n_places": self.n_places,
            "date_range": {"first": self.first_date, "last": self.last_date},
            "dates": pairs(self.dates),
            "newspapers": pairs(self.newspapers),
            "places": pairs(self.places),
            "entities": {t: pairs(v) for t, v in self.entities.items()},
        }


def news_facets(store, *, top: int = 20, where: str | None = None) -> Facets:
    """Facets over the news passages in ``store`` (optionally restricted by a filter)."""
    rows = store.news_passages(["doc_id", "source", "place", "date", "entities"], where)
    docs: dict[str, dict] = {}
    for r in rows:
        d = docs.setdefault(r["doc_id"], {"source": r["source"], "place": r["place"], "date": r["date"], "entities": set()})
        d["entities"].update(r["entities"] or [])
    papers = Counter(d["source"] for d in docs.values() if d["source"])
    places = Counter(d["place"] for d in docs.values() if d["place"])
    dates = Counter(d["date"] for d in docs.values() if d["date"])
    by_type: dict[str, Counter] = {}
    for d in docs.values():
        for value in d["entities"]:
            kind, _, name = value.partition(":")
            by_type.setdefault(kind, Counter())[value] += 1
    days = sorted(dates.items())
    return Facets(
        documents=len(docs),
        n_newspapers=len(papers),
        n_places=len(places),
        newspapers=papers.most_common(top),
        places=places.most_common(top),
        dates=days,
        first_date=days[0][0] if days else None,
        last_date=days[-1][0] if days else None,
        entities={kind: c.most_common(top) for kind, c in sorted(by_type.items())},
    )


__all__ = ["Facets", "news_facets"]

"""Why a result matched, as data: what app.explain attaches to a result, with one JSON form (docs/json.md).

``Explanation.to_json`` writes exactly the keys, in the order, that ``--json``, the JSONL export and the
search process have always carried; ``from_json`` reads them back. The window, the exports and the command
line read the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Span:
    """Where in the passage text a match sits: an exact vocabulary term, or a dense token alignment."""

    start: int
    end: int
    term: str
    kind: str = "term"  # "term" (exact vocabulary match) | "dense" (query token ↔ passage token, MaxSim)
    similarity: float | None = None  # dense only

    def to_json(self) -> dict:
        """``{start, end, term, kind[, similarity]}``."""
        out: dict = {"start": self.start, "end": self.end, "term": self.term, "kind": self.kind}
        if self.similarity is not None:
            out["similarity"] = self.similarity
        return out

    @classmethod
    def from_json(cls, data: dict) -> Span:
        """The span a ``to_json`` dict describes."""
        return cls(**data)


@dataclass
class Term:
    """One term of an explanation and its share of the score.

    Which fields are set depends on the list: ``terms`` of a sparse score (query_weight, doc_weight, pieces),
    of a BM25 score (query_word), ``all_terms`` (id for the sparse vocabulary), ``expansion``, and
    ``image_words`` (weight, shared instead of a contribution).
    """

    term: str
    contribution: float | None = None
    id: int | None = None
    weight: float | None = None  # image words: the word's weight in the image's vocabulary vector
    shared: bool | None = None  # image words: the query has the word too
    query_weight: float | None = None
    doc_weight: float | None = None
    query_word: str | None = None  # BM25: the query word this passage word matched
    pieces: list[str] | None = None  # the WordPiece pieces credited to this whole word

    # The JSON key order (the order each list has always been written in); unset fields are left out.
    _ORDER = ("id", "term", "contribution", "weight", "shared", "query_weight", "doc_weight", "query_word", "pieces")

    def to_json(self) -> dict:
        """The term's set fields, in the documented order."""
        return {k: getattr(self, k) for k in self._ORDER if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, data: dict) -> Term:
        """The term a ``to_json`` dict describes."""
        return cls(**data)


@dataclass
class Explanation:
    """Why one result matched: its components' shares, the terms, where they sit, and for images the words
    the picture activates. See docs/json.md for each field."""

    components: dict[str, dict] = field(default_factory=dict)  # {name: {score, rank, fused_part}, fused: {score}}
    terms: list[Term] = field(default_factory=list)
    coverage: float | None = None
    sparse_score: float | None = None
    spans: list[Span] = field(default_factory=list)
    score_kind: str | None = None  # "sparse" | "bm25"; None when neither explained it
    all_terms: list[Term] | None = None
    image_words: list[Term] | None = None
    expansion: list[Term] | None = None
    dense_spans: bool = False  # whether the dense alignment spans were computed

    def to_json(self) -> dict:
        """The ``explanation`` object of the JSON output (docs/json.md)."""
        out: dict = {"terms": [t.to_json() for t in self.terms], "coverage": self.coverage,
                     "sparse_score": self.sparse_score, "spans": [s.to_json() for s in self.spans],
                     "components": self.components}
        if self.score_kind is not None:
            out["score_kind"] = self.score_kind
        for name in ("all_terms", "image_words", "expansion"):
            value = getattr(self, name)
            if value is not None:
                out[name] = [t.to_json() for t in value]
        out["dense_spans"] = self.dense_spans
        return out

    @classmethod
    def from_json(cls, data: dict) -> Explanation:
        """The explanation a ``to_json`` dict describes (unknown keys are an error, not dropped)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown explanation keys: {sorted(unknown)}")
        def terms(name: str) -> list[Term] | None:
            value = data.get(name)
            return None if value is None else [Term.from_json(t) for t in value]

        return cls(components=data.get("components") or {}, terms=terms("terms") or [],
                   coverage=data.get("coverage"), sparse_score=data.get("sparse_score"),
                   spans=[Span.from_json(s) for s in data.get("spans") or []], score_kind=data.get("score_kind"),
                   all_terms=terms("all_terms"), image_words=terms("image_words"), expansion=terms("expansion"),
                   dense_spans=bool(data.get("dense_spans", False)))

__all__ = ["Explanation", "Span", "Term"]

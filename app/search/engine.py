"""The searcher: run the retrieval components, fuse them, group passages into documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.search.doc_cache import DocumentCache
from app.search.fusion import FUSION_METHOD
from app.search.lexical import Bm25Retriever
from app.search.modes import COMPONENTS
from app.search.retriever import CandidateScorer, ExplainContext, Hits, Retriever
from app.search.snippets import make_snippet, match_spans, query_stems
from app.search.types import Filters, Result, SearchOptions, SearchResponse
from app.store import Store

# Passages fetched per component for each result wanted: documents have several passages, and fusion
# needs some depth below the cut to reorder well.
DEPTH_PER_RESULT = 8
MIN_DEPTH = 100

PASSAGE_COLUMNS = ["passage_id", "doc_id", "path", "folder", "kind", "title", "date", "start", "end", "text",
                   "enriched"]
# The passage's own columns: the others are its document's (copied into the passage rows when written),
# taken from the documents in memory when app.search.doc_cache holds them all.
# Not doc_id: a passage id is "<doc_id>:<ordinal>" (doc_of), and each column read costs ~1 ms for ten rows at 1M.
OWN_COLUMNS = ["passage_id", "start", "end", "text", "enriched"]
DOC_LEVEL = [c for c in PASSAGE_COLUMNS if c not in OWN_COLUMNS and c != "doc_id"]


@dataclass
class Candidate:
    """A passage with its per-component scores, ranks (1-based) and shares of the fused score."""

    row: dict
    scores: dict = field(default_factory=dict)
    ranks: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)


class Searcher:
    """Searches one store with its ``retrievers`` (default: BM25 alone, a words-only searcher)."""

    def __init__(self, store: Store, retrievers: Sequence[Retriever] | None = None, *,
                 weights: dict[str, float] | None = None, fusion: str = FUSION_METHOD,
                 query_masker: Callable[[str], str] | None = None,
                 explainer: Callable[..., None] | None = None, notes: list[str] | None = None):
        """Complete at construction: app.session.make_searcher passes every part the app uses — fusion
        weights and method (measured, see app.search.fusion), the query masker (app.news), the explainer
        (app.explain) and the notes the components' models left."""
        self.store = store
        self.retrievers: list[Retriever] = list(retrievers) if retrievers is not None else [Bm25Retriever()]
        self._documents = DocumentCache()
        self.weights = weights
        # "minmax" or "rrf": the app's measured method by default, so a Searcher built by hand with several
        # retrievers fuses as make_searcher's does (one retriever alone passes through fuse() unchanged).
        self.fusion = fusion
        self.query_masker = query_masker
        self.explainer = explainer
        self.notes: list[str] = list(notes or [])

    def search(self, query: str, *, k: int = 10, filters: Filters | None = None, mode: str = "auto",
               mask_entities: bool = False, explain: bool | str = False,
               image: Path | str | None = None) -> SearchResponse:
        """Search for ``query`` (text, query arithmetic, or an ``image`` file); top ``k`` documents.

        ``mode``: auto | lexical | dense | sparse | hybrid (app.search.modes); ``mask_entities``: search the
        query with names masked ("find parallels"); ``explain``: attach an explanation to each result
        (``"terms"``: without the dense token alignment). See :class:`app.search.types.SearchOptions`.
        """
        return self.run(query, SearchOptions(mode=mode, mask_entities=mask_entities, explain=explain, image=image),
                        k=k, filters=filters)

    def run(self, query: str, options: SearchOptions, *, k: int = 10, filters: Filters | None = None) -> SearchResponse:
        """:meth:`search` with its options as one :class:`SearchOptions`."""
        # One version of the tables for the whole search, read once (app.store.reads.Reads.pinned).
        with self.store.pinned():
            response = self._run(query, options, k, filters)
        # Beside the answer, not before it: reading the documents table's version is a LanceDB round trip.
        _pool().submit(self._documents.search_done, self.store)
        return response

    def _run(self, query: str, options: SearchOptions, k: int, filters: Filters | None) -> SearchResponse:
        from app.search.query import images_as_names, lexical_text, parse

        filters = filters or Filters()
        where = filters.where()
        depth = max(MIN_DEPTH, k * DEPTH_PER_RESULT)
        mode = options.mode
        notes: list[str] = []
        terms = parse(query, options.image)
        if any(t.image is not None for t in terms) and not self._images_encodable():
            terms, note = images_as_names(terms)
            if note:
                notes.append(note)
                # Words only: the dense text model would match a file name against every passage.
                mode = "lexical"
                options = replace(options, mode=mode)
        masked = None
        if options.mask_entities:
            terms, masked, mask_notes = self.mask_terms(terms)
            notes += mask_notes
        components: dict[str, Hits] = {}
        # The query's stems for the snippets, made beside the components (Snowball, ~1 ms of Python).
        stems_job = _pool().submit(query_stems, lexical_text(terms))
        if self.retrievers:
            # The first retriever runs in this thread (the model retriever encodes the query here); the
            # others run beside it in the search pool (BM25 in LanceDB: native, the GIL released). Their hits
            # join in list order, which is the order fusion adds the components' shares in.
            first, *others = self.retrievers
            jobs = [_pool().submit(r.retrieve, self.store, terms, where, depth, options) for r in others]
            scorers = [r for r in self.retrievers if isinstance(r, CandidateScorer)]
            # A scorer starts on what the pool's components find (BM25's hits) while the first one (the dense
            # search) runs here. Pool jobs wait only on jobs submitted before them: no deadlock on two workers.
            begun = [_pool().submit(_begin, s, self.store, terms, jobs, options) if jobs else None for s in scorers]
            components.update(first.retrieve(self.store, terms, where, depth, options))
            for job in jobs:
                components.update(job.result())
            for scorer, start in zip(scorers, begun):  # components that rank what the others found (hybrid sparse)
                if more := scorer.score_candidates(self.store, terms, dict(components), depth, options,
                                                   start.result() if start is not None else None):
                    # In the order they would have come from the retrievers (dense, clip, sparse, bm25): fusion
                    # adds the shares in this order, so the fused scores are those of every other path, bit for bit.
                    merged = {**components, **more}
                    components = {name: merged[name] for name in sorted(merged, key=list(COMPONENTS).index)}
        notes += self.notes
        fused = fuse(components, self.weights, self.fusion)
        from app.news.reprints import group

        # Printings of one wire story collapse into one result (app.news): up to 3k documents may be needed
        # to still fill ``k``. Their rows are read only when needed (reading a row by id costs 1.3-1.7 ms
        # at 1M passages): k first; if none is a newspaper result and none was dropped, grouping changes nothing.
        best = self._best_passages(fused, k * 3)
        results = self._results(best[:k])
        if len(results) < len(best[:k]) or any(r.kind == "news" for r in results):
            results += self._results(best[k:])
        results = group(results, self.store)[:k]
        # Snippets only for the results shown (the 3k candidates cost ~2/3 of a words-only search).
        stems = stems_job.result()
        for r in results:
            r.snippet, r.highlights = make_snippet(r.passage_text, match_spans(r.passage_text, stems))
        if options.explain and self.explainer is not None:
            # explain="terms" skips the dense token alignment (exports of many rows need only the terms).
            self.explainer(self.explain_context(), terms, results, dense_spans=options.explain != "terms")
        names = sorted(components)
        return SearchResponse(query=query, filters=filters, results=results, mode="+".join(names) or "none",
                              masked_query=masked, notes=notes)

    def explain_context(self) -> ExplainContext:
        """What app.explain is given to explain this searcher's results."""
        return ExplainContext.of(self.store, self.retrievers)

    def _images_encodable(self) -> bool:
        return any(getattr(getattr(r, "models", None), "image", None) is not None for r in self.retrievers)

    def mask_terms(self, terms):
        """Mask entity names in the text terms; returns (terms, masked query text, notes)."""
        from app.search.query import Term

        if self.query_masker is None:
            return terms, None, ["entity masking is unavailable (no NER model): searched unmasked"]
        out, shown = [], []
        for t in terms:
            if t.text:
                masked_text = self.query_masker(t.text)
                out.append(Term(t.weight, masked_text))
                shown.append(masked_text)
            else:
                out.append(t)
        return out, " ".join(shown) or None, []

    @staticmethod
    def _best_passages(fused: list[Candidate], k: int) -> list[Candidate]:
        """Each document's best passage, in fused order, up to ``k`` documents."""
        best: list[Candidate] = []
        seen: set[str] = set()
        for cand in fused:
            doc_id = doc_of(cand.row)
            if doc_id not in seen:
                seen.add(doc_id)
                best.append(cand)
                if len(best) >= k:
                    break
        return best

    def _results(self, best: list[Candidate]) -> list[Result]:
        """Results for these candidates, with their rows read from the store (ranks are set by grouping)."""
        if not best:
            return []
        doc_ids = [doc_of(c.row) for c in best]
        docs = self._documents.in_memory(self.store, doc_ids)
        if docs is not None:  # every document in memory: only the passages' own columns are read
            rows = self.store.passages_of_hits([c.row for c in best], OWN_COLUMNS)
            for row in rows:
                row["doc_id"] = doc_of(row)
                row.update((c, docs.get(row["doc_id"], {}).get(c)) for c in DOC_LEVEL)
        else:
            # The documents' rows (thumbnail, metadata) are read beside the passages' rows: the components
            # are done, the pool is idle, and the two reads wait on LanceDB, not on Python.
            docs_job = _pool().submit(self._documents.read, self.store, doc_ids)
            rows = self.store.passages_of_hits([c.row for c in best], PASSAGE_COLUMNS)
            docs = docs_job.result()
        full = {r["passage_id"]: r for r in rows}
        best = [c for c in best if c.row["passage_id"] in full]  # a concurrent re-index may drop one
        # A passage whose document row is missing is an orphan of a killed run (the next run sweeps it):
        # never shown, so a crash cannot produce a duplicate or a deleted file in the results.
        best = [c for c in best if docs.get(full[c.row["passage_id"]]["doc_id"])]
        results: list[Result] = []
        for cand in best:
            row = full[cand.row["passage_id"]]
            doc = docs.get(row["doc_id"], {})
            text = row.get("text") or ""
            results.append(
                Result(
                    rank=len(results) + 1,
                    score=cand.scores["fused"],
                    doc_id=row["doc_id"],
                    path=row["path"],
                    kind=row["kind"],
                    title=row["title"],
                    date=row["date"],
                    snippet="",  # filled in for the results kept (Searcher.search)
                    highlights=[],
                    passage_id=row["passage_id"],
                    passage_start=row["start"],
                    passage_end=row["end"],
                    passage_text=text,
                    scores=dict(cand.scores),
                    ranks=dict(cand.ranks),
                    parts=dict(cand.parts),
                    folder=row["folder"],
                    thumb=doc.get("thumb", ""),
                    meta=doc.get("meta", {}),
                    ready="meaning" if row.get("enriched") else "words",
                )
            )
        return results


def _ties_by_id(hits: list[tuple[dict, float]]) -> list[tuple[dict, float]]:
    """``hits`` with each run of equal scores in passage-id order, the rest in place: a full-text search returns
    equal scores in its rows' order, which differs between two indexes of the same passages (a serial and a
    pipelined run), and a reciprocal rank depends on it."""
    out: list[tuple[dict, float]] = []
    i = 0
    while i < len(hits):
        j = i + 1
        while j < len(hits) and hits[j][1] == hits[i][1]:
            j += 1
        out += hits[i:j] if j == i + 1 else sorted(hits[i:j], key=lambda h: h[0]["passage_id"])
        i = j
    return out


def doc_of(row: dict) -> str:
    """The document of a passage hit (passage ids are "<doc_id>:<ordinal>")."""
    return row.get("doc_id") or row["passage_id"].rsplit(":", 1)[0]


_executor = None


def _begin(scorer: CandidateScorer, store: Store, terms: list, jobs: list, options: SearchOptions):
    """A pool job: ``scorer.begin_candidates`` on the hits of the components the other ``jobs`` find."""
    found: dict[str, Hits] = {}
    for job in jobs:
        found.update(job.result())
    return scorer.begin_candidates(store, terms, found, options)


def _pool():
    """A small shared thread pool for running retrieval components side by side."""
    global _executor
    if _executor is None:
        from concurrent.futures import ThreadPoolExecutor

        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lexiscope-search")
    return _executor


# Reciprocal rank fusion constant (Cormack et al. 2009). Which fusion, and its weights, are chosen by
# measurement in app.search.fusion.
RRF_K = 60


def fuse(components: dict[str, list[tuple[dict, float]]], weights: dict[str, float] | None = None,
         method: str = "rrf") -> list[Candidate]:
    """Fuse ranked passage lists; one component passes through unchanged.

    ``method`` "rrf": weighted reciprocal rank, sum of w / (RRF_K + rank). "minmax": each component's
    scores scaled to [0, 1] over the passages it returned (best 1, worst 0, absent 0), weighted sum.
    Each candidate's ``parts`` holds every component's share; the shares add up to the fused score.
    """
    by_id: dict[str, Candidate] = {}
    for name, hits in components.items():
        for rank, (row, score) in enumerate(_ties_by_id(hits), start=1):
            cand = by_id.get(row["passage_id"])
            if cand is None:
                cand = by_id[row["passage_id"]] = Candidate(dict(row))
            else:  # what each component knows of the passage (a row id, say: app.store.reads)
                cand.row.update((key, value) for key, value in row.items() if key not in cand.row)
            cand.scores[name] = score
            cand.ranks[name] = rank
    names = list(components)
    w = weights or {}
    spans = {}
    for name, hits in components.items():
        values = [s for _, s in hits if s is not None]
        spans[name] = (min(values), max(values)) if values else (0.0, 0.0)
    for cand in by_id.values():
        for name in COMPONENTS:
            cand.scores.setdefault(name, None)
        if len(names) == 1:  # nothing to fuse: the component's own score, all of it its share
            cand.scores["fused"] = cand.parts[names[0]] = cand.scores[names[0]]
            continue
        for name, rank in cand.ranks.items():
            if method == "minmax":
                lo, hi = spans[name]
                score = cand.scores[name]
                scaled = 1.0 if hi <= lo else (score - lo) / (hi - lo)
                cand.parts[name] = w.get(name, 1.0) * scaled
            else:
                cand.parts[name] = w.get(name, 1.0) / (RRF_K + rank)
        cand.scores["fused"] = sum(cand.parts.values())
    return sorted(by_id.values(), key=_fused_order)


def _fused_order(cand: Candidate) -> tuple:
    """Sort key of a fused candidate: best score first; equal scores by their shares in component order
    (meaning before words), then in passage-id order.

    Min-max fusion gives each component's best passage a share of exactly its weight, so when two components'
    best passages differ and neither finds the other's, the two tie; the shares order them by what found them,
    the same way in every index of the same files (a passage id begins with a random document id). Equal
    scores with equal shares (the same words in several passages: a repeated line, a reprint) stay in
    passage-id order, so a search shows the same list every time: LanceDB's full-text search returns ties in
    any order.
    """
    return (-cand.scores["fused"], *(-cand.parts.get(name, 0.0) for name in COMPONENTS), cand.row["passage_id"])

"""What one search from the window does, without Qt: the request, the call, the image fallback.

The window's search process (``app.ui.search_process``) runs these; nothing here touches a widget, so it
lives outside ``app.ui``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from app.ingest.kinds import IMAGE_EXTENSIONS
from app.search.types import Filters, SearchResponse

# Results asked of the engine per search: enough to scroll, few enough to render instantly.
RESULTS_PER_SEARCH = 50


# The relevance floor: results scoring below this share of the best one are kept behind "Show more".
# Fused scores are min-max scaled per component (app.search.fusion): a passage that is best in one of two
# components and absent from the other scores half of one best in both; 0.45 keeps such a hit and the few
# after it, and cuts the long tail found deep down ("cat" no longer lists 50 documents). Words only, one
# component passes through fusion unchanged (app.search.engine.fuse): the floor is 45% of the best BM25 score.
FLOOR_RATIO = 0.45
MIN_SHOWN = 3
PAGE = RESULTS_PER_SEARCH


def above_floor(results, ratio: float = FLOOR_RATIO, min_shown: int = MIN_SHOWN) -> int:
    """How many of ``results`` (in rank order) to show before "Show more": those above the floor."""
    if not results:
        return 0
    top = results[0].score or 0.0
    n = 0
    for r in results:
        if top > 0 and (r.score or 0.0) < ratio * top:
            break
        n += 1
    return max(n, min(min_shown, len(results)))


def is_image(path: str | Path) -> bool:
    """True for a file whose suffix is an image format Lexiscope reads."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def parse_query(text: str) -> tuple[str, Path | None]:
    """Split ``image:PATH`` (the --query form for searching by an image) from a words query."""
    text = text.strip()
    if text.lower().startswith("image:"):
        return "", Path(text[6:].strip()).expanduser().resolve()
    return text, None


@dataclass
class SearchRequest:
    """Everything the window asks for in one search."""

    query: str = ""
    image: Path | None = None
    filters: Filters = field(default_factory=Filters)
    mask_entities: bool = False
    k: int = RESULTS_PER_SEARCH

    def is_empty(self) -> bool:
        """Nothing to search for."""
        from app.search.query import has_words

        return not has_words(self.query) and self.image is None

    def label(self) -> str:
        """How the request reads in the status bar and in exports."""
        return f"image: {self.image.name}" if self.image else self.query


def run_search(searcher, req: SearchRequest) -> SearchResponse:
    """Run ``req`` on ``searcher`` (with no image model, the engine searches a picture's file-name words
    and says so in the response's notes)."""
    return searcher.search(req.query, k=req.k, filters=req.filters, mask_entities=req.mask_entities, explain=True,
                           image=req.image)


def refresh(store) -> None:
    """Make an open store see writes made since it was opened (another run, or the indexer)."""
    store.see_latest()


def open_store_retrying(attempts: int = 4, delay_s: float = 0.25):
    """Open the store, retrying briefly: on a fresh data folder the search process may be creating the
    tables at the same moment, and the loser of that race gets "Table 'documents' already exists"."""
    from app.session import open_store

    for attempt in range(attempts):
        try:
            return open_store()
        except Exception:  # noqa: BLE001 - retried, then raised as it was
            if attempt == attempts - 1:
                raise
            time.sleep(delay_s)
    raise AssertionError("unreachable")


def needs_dense_spans(result) -> bool:
    """True for a text hit whose explanation lacks the dense (MaxSim) alignment (only the top hit has it).

    Images have no passage tokens to align; a result with no explanation (words-only search) has nothing
    to add them to.
    """
    if result is None or result.kind == "image" or result.explanation is None:
        return False
    return not result.explanation.dense_spans


def dense_spans(searcher, req: SearchRequest, result) -> list[dict]:
    """The dense alignment spans of ``result`` for the search ``req`` made (runs in the search process).

    The query text follows the search's own explanation: the positive text terms
    (``app.explain.dense_query_text``), masked the way the engine masks them for "Find parallels".
    """
    from app.explain import dense_query_text, dense_spans_for
    from app.search.query import parse

    terms = parse(req.query, req.image)
    if req.mask_entities and hasattr(searcher, "mask_terms"):
        terms = searcher.mask_terms(terms)[0]  # the top hit's explanation aligned the masked text too
    return dense_spans_for(searcher.explain_context(), dense_query_text(terms), result)


def merge_dense_spans(result, spans: list[dict]) -> None:
    """Add ``spans`` to ``result``'s explanation (in place), ordered as app.explain orders them."""
    from app.search.explanation import Span

    exp = result.explanation
    kept = [s for s in exp.spans if s.kind != "dense"]  # never twice
    exp.spans = sorted(kept + [Span.from_json(s) for s in spans], key=lambda s: (s.start, s.kind))
    exp.dense_spans = True

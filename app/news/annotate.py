"""The news annotator: run before embedding on each batch of new passages (``run_index(annotators=...)``).

For every news passage: clean the OCR, recognise entities in the cleaned text, fill the passage's
``entities`` facet column, and set ``_embed_text`` to the cleaned text with the entity types of
``Settings.mask_entity_types`` replaced by the mask token. The stored ``text`` stays the original OCR
(what users read, and what BM25 and the sparse encoder see: exact names stay findable, "same actors").
For every news document: its most frequent entities and, per article, a MinHash signature for reprints.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from app.config import Settings
from models.ner import apply_mask
from app.news.clean import clean_ocr
from app.news.masking import MASK_TOKEN, recogniser
from app.news.reprints import signature

# Entities kept in a document's meta (the full list per passage is in the passages table).
DOC_ENTITIES = 30
_MAX_ENTITY_WORDS = 6


def normalise_entity(kind: str, text: str) -> str | None:
    """The facet value "TYPE:Name" for an entity mention, or None for OCR junk.

    Whitespace is collapsed, surrounding punctuation and a possessive 's dropped, a leading "the"
    removed, and ALL-CAPS headline names title-cased, so "WILSON'S" and "Wilson" count together.
    """
    name = re.sub(r"\s+", " ", text).strip(" .,;:!?'\"()[]-—|*")
    name = re.sub(r"['’][sS]$", "", name)
    name = re.sub(r"^(?i:the)\s+", "", name)
    letters = [c for c in name if c.isalpha()]
    # Names start with a capital; two-letter "names" ("ho", "li", "mm") are nearly always OCR specks.
    if len(letters) < 3 or not name[0].isupper() or any(c.isdigit() for c in name):
        return None
    if len(name.split()) > _MAX_ENTITY_WORDS:
        return None
    if sum(c.isupper() for c in letters) / len(letters) > 0.8:
        name = name.title()
    return f"{kind}:{name}"


class NewsAnnotator:
    """Entities, masked embedding text and reprint signatures for news passages; see the module doc."""

    def __init__(self, settings: Settings | None = None, root=None):
        self.settings = settings or Settings.load(root)
        self.root = root
        self.notes: list[str] = []
        self._ner = None
        self._tried = False

    def _recogniser(self):
        if not self._tried:
            self._tried = True
            from models.ner import NerUnavailable

            try:
                self._ner = recogniser(self.settings, self.root)
            except NerUnavailable as exc:
                self.notes.append(f"entity recogniser not available ({exc}): newspapers indexed without "
                                  "entity masking or entity facets")
        return self._ner

    def annotate(self, docs: list[dict], passages: list[dict]) -> None:
        """Fill ``entities`` and ``_embed_text`` of news passages and the meta of their documents."""
        news = [p for p in passages if p.get("kind") == "news"]
        if not news:
            return
        cleaned = [clean_ocr(p["text"]) for p in news]
        ner = self._recogniser()
        masked_types = set(self.settings.mask_entity_types)
        if ner is not None:
            found = ner.entities([c.text for c in cleaned])
        else:
            found = [[] for _ in cleaned]
        per_doc: dict[str, Counter] = {}
        for p, c, spans in zip(news, cleaned, found):
            names = [n for s in spans if (n := normalise_entity(s[2], s[3]))]
            p["entities"] = sorted(set(names))
            per_doc.setdefault(p["doc_id"], Counter()).update(names)
            p["_embed_text"] = apply_mask(c.text, [s for s in spans if s[2] in masked_types], MASK_TOKEN)
            p["_clean"] = c.text
        by_doc: dict[str, list[dict]] = {}
        for p in news:
            by_doc.setdefault(p["doc_id"], []).append(p)
        for doc in docs:
            if doc["doc_id"] in by_doc:
                self._annotate_doc(doc, by_doc[doc["doc_id"]], per_doc.get(doc["doc_id"], Counter()))

    def _annotate_doc(self, doc: dict, passages: list[dict], counts: Counter) -> None:
        meta = json.loads(doc.get("meta") or "{}")
        meta["entities"] = [name for name, _ in counts.most_common(DOC_ENTITIES)]
        articles = meta.get("articles") or [[min(p["start"] for p in passages), max(p["end"] for p in passages), ""]]
        for art in articles:
            # Passages never cross an article boundary (split_segments), so an article is its passages.
            text = " ".join(p["_clean"] for p in sorted(passages, key=lambda p: p["start"]) if art[0] <= p["start"] < art[1])
            del art[3:]
            art.append(signature(text))
        meta["articles"] = articles
        if self._ner is not None:
            meta["ner_model"] = self._ner.model_id
        doc["meta"] = json.dumps(meta, ensure_ascii=False, default=str)


def annotators_for(settings: Settings, root=None) -> tuple:
    """The annotators an indexing run needs: the news annotator (its model loads on first news passage)."""
    return (NewsAnnotator(settings, root),)


__all__ = ["NewsAnnotator", "annotators_for", "normalise_entity"]

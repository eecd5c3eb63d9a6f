"""Why a result matched, in words (the VDR way: a match decomposes over vocabulary terms).

For each result:
- ``terms``: the shared vocabulary terms of query q and passage d with their exact contributions
  q_t·d_t. ``all_terms`` holds every shared id, and their contributions add up to the sparse score;
  ``terms`` merges WordPiece pieces into the passage words they came from (each shown term is a whole word
  of the passage; punctuation is counted in ``all_terms`` but not shown), and orders stop words after
  content words so they never lead. ``coverage`` is the share of the sparse score the
  displayed top terms carry.
- ``spans``: where in the passage the match sits: exact vocabulary-term matches (kind "term"), and for
  the dense score the ColBERT-style MaxSim alignment of query tokens to passage tokens (kind "dense").
  Offsets are into the passage text, which is the original document text (OCR noise and all).
- ``image_words``: for images, the strongest words of the image's vocabulary vector, shared ones marked.
- ``components``: each retrieval component's score, rank and its share of the fused score (the shares
  add up to it).
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from app.search.explanation import Explanation, Span, Term
from app.search.retriever import ExplainContext


TOP_TERMS = 10
# The dense token alignment costs one encoder pass per passage (~50 ms here); within the 100 ms budget
# for explaining a result list it is computed for the top result, and for any other on request
# (``dense_spans_for``).
DENSE_ALIGN_TOP = 1
# A query token's best passage token must be at least this similar to be shown as an alignment:
# below it MaxSim picks noise (cosine of unrelated contextual MiniLM tokens is typically 0.2–0.4).
ALIGN_MIN_SIM = 0.55
_tok_lock = threading.Lock()
# Pieces of image file extensions ("cat.jpg" -> "cat", ".", "jp", "##g"): not words a picture "activates".
_FILE_NAME_DEBRIS = frozenset({"jp", "jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "web", "webp", "heic"})


@lru_cache(maxsize=1)
def _tokenizer():
    from models.tokenizer import load
    from models.vocab import vocab_dir

    return load(str(vocab_dir()))


@lru_cache(maxsize=1)
def _vocab() -> tuple[str, ...]:
    from models.vocab import load_vocab

    return tuple(load_vocab())


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from models.vocab import stop_words

    return stop_words()


def _is_weak(word: str) -> bool:
    """Stop words and punctuation: counted, never leading."""
    w = word.lower().lstrip("#")
    return w in _stop() or not any(ch.isalnum() for ch in w) or len(w) < 2


def contributions(q: tuple[np.ndarray, np.ndarray], d: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, float, float, float]]:
    """Every shared id with (id, contribution q_t·d_t, q_t, d_t), largest first; they sum to q·d."""
    common, qi, di = np.intersect1d(q[0], d[0], assume_unique=True, return_indices=True)
    qw, dw = q[1][qi].astype(np.float64), d[1][di].astype(np.float64)
    rows = [(int(t), float(a * b), float(a), float(b)) for t, a, b in zip(common, qw, dw)]
    return sorted(rows, key=lambda r: -r[1])


def passage_tokens(text: str) -> list[tuple[int, int, int]]:
    """(token id, start, end) of the passage's WordPiece tokens, offsets into ``text``."""
    with _tok_lock:  # fast tokenizers are not safe to call from two threads at once
        enc = _tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
    return [(i, s, e) for i, (s, e) in zip(enc["input_ids"], enc["offset_mapping"])]


def _is_word_char(ch: str) -> bool:
    """A character of a word, as a regular expression's ``\\w`` counts it (letters, digits, "_")."""
    return ch.isalnum() or ch == "_"


def _is_word(piece: str) -> bool:
    """Whether a passage span is a word at all (not punctuation or a symbol like "(" or "±")."""
    return any(_is_word_char(ch) for ch in piece)


def _word_at(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a piece's span to the whole word it belongs to (punctuation stays itself: "7," is not a word)."""
    if not _is_word(text[start:end]):
        return start, end
    while start > 0 and _is_word_char(text[start - 1]):
        start -= 1
    while end < len(text) and _is_word_char(text[end]):
        end += 1
    return start, end


def _words_of(text: str, tokens: list[tuple[int, int, int]]) -> list[tuple[int, int, list[int]]]:
    """The passage's words as (start, end, [token ids]) in order: WordPiece pieces joined back together."""
    words: list[tuple[int, int, list[int]]] = []
    for tid, s, e in tokens:
        ws, we = _word_at(text, s, e)
        if words and words[-1][0] == ws and words[-1][1] == we:
            words[-1][2].append(tid)
        else:
            words.append((ws, we, [tid]))
    return words


def term_view(contribs, text: str, tokens: list[tuple[int, int, int]]) -> tuple[list[dict], list[dict], list[dict]]:
    """Readable terms: whole passage words (pieces merged), their spans, and expansion terms.

    Each shared vocabulary id is credited to the passage word it is part of ("qu", "##aran", "##tine" all
    to "quarantine"). An id found in several different words ("qu" in "quarantine" and "quota") goes to
    the word most of whose pieces matched, so a word the query named wins over one that merely shares a
    piece. Ids the passage does not contain (a learned model's expansion terms) are not words of the
    passage: they are returned apart, as ``expansion``. Contributions are only moved, never changed, so
    terms + expansion still add up to the sparse score.
    """
    vocab = _vocab()
    shared = {tid for tid, *_ in contribs}
    words = _words_of(text, tokens)
    occurrences: dict[int, list[int]] = {}  # token id -> indices into words
    for i, (_, _, ids) in enumerate(words):
        for tid in ids:
            occurrences.setdefault(tid, []).append(i)

    def matched_share(i: int) -> float:
        ids = words[i][2]
        return sum(t in shared for t in ids) / len(ids)

    merged: dict[str, dict] = {}
    expansion: list[dict] = []
    spans: dict[tuple[int, int], dict] = {}
    for tid, c, qw, dw in contribs:
        piece = vocab[tid]
        where = occurrences.get(tid)
        if not where:
            expansion.append({"term": piece, "contribution": round(c, 6)})
            continue
        best = max(matched_share(i) for i in where)
        chosen = [i for i in where if matched_share(i) == best]
        word = text[words[chosen[0]][0]:words[chosen[0]][1]].lower()
        entry = merged.setdefault(word, {"term": word, "contribution": 0.0, "query_weight": 0.0, "doc_weight": 0.0,
                                         "pieces": []})
        entry["contribution"] += c
        entry["query_weight"] = max(entry["query_weight"], qw)
        entry["doc_weight"] = max(entry["doc_weight"], dw)
        entry["pieces"].append(piece)
        for i in chosen:
            ws, we, _ = words[i]
            if text[ws:we].lower() == word and _is_word(word):
                spans[(ws, we)] = {"start": ws, "end": we, "term": word, "kind": "term"}
    # Punctuation and symbols ("(", "%", "±") are shared vocabulary ids too, but not words a reader can
    # look for: they stay counted in ``all_terms`` (the sum rule) and are not shown.
    terms = order_terms(t for t in merged.values() if _is_word(t["term"]))
    for t in terms:
        t["query_weight"] = round(t["query_weight"], 4)
        t["doc_weight"] = round(t["doc_weight"], 4)
    # Expansion terms a reader can take as words: whole vocabulary words, not pieces or stop words.
    expansion = [e for e in expansion if not e["term"].startswith("##") and not _is_weak(e["term"])]
    return terms, sorted(spans.values(), key=lambda s: s["start"]), expansion


def order_terms(terms) -> list[dict]:
    """Content words by contribution, then stop words and punctuation (counted, never leading).

    With only stop words in common, none is listed: a list led by "the" explains nothing.
    """
    terms = list(terms)
    for t in terms:
        t["contribution"] = round(t["contribution"], 6)
    strong = sorted((t for t in terms if not _is_weak(t["term"])), key=lambda t: -t["contribution"])
    weak = sorted((t for t in terms if _is_weak(t["term"])), key=lambda t: -t["contribution"])
    return strong + weak if strong else []


def bm25_terms(store, query_text: str, results) -> dict[str, list[dict]]:
    """Each query word's exact BM25 contribution to each result, as whole passage words.

    BM25 adds up over query tokens, so one full-text search per distinct query word, restricted to the
    shown passages, gives every word's share (a word typed twice counts twice, as in the full query);
    the shares add up to the BM25 score. The word shown is the passage's own form of it ("striking" for
    the query word "strikes"), found with the same stemmer that marks snippets.
    """
    import re

    from app.search.snippets import match_spans, query_stems

    counts: dict[str, int] = {}
    for w in re.findall(r"\w+", query_text.lower()):
        counts[w] = counts.get(w, 0) + 1
    ids = [r.passage_id for r in results]
    by_passage: dict[str, dict[str, dict]] = {pid: {} for pid in ids}
    if not ids or not counts or store.passage_count() == 0:
        return {pid: [] for pid in ids}
    texts = {r.passage_id: r.passage_text or "" for r in results}
    for word, n in counts.items():
        hits = store.full_text_search(word, passage_ids=ids, limit=len(ids), columns=["passage_id"])
        stems = query_stems(word) or {word}
        for row, bm25 in hits:
            pid, score = row["passage_id"], bm25 * n
            text = texts.get(pid, "")
            found = match_spans(text, stems)
            shown = text[found[0][0]:found[0][1]].lower() if found else word
            entry = by_passage[pid].setdefault(shown, {"term": shown, "contribution": 0.0, "query_word": word,
                                                       "spans": []})
            entry["contribution"] += score
            entry["spans"] += [{"start": s, "end": e, "term": shown, "kind": "term"} for s, e in found]
    return {pid: list(terms.values()) for pid, terms in by_passage.items()}


def dense_alignment(text_encoder, query: str | tuple, passage: str, query_text: str = "") -> list[dict]:
    """MaxSim: each query token's most similar passage token (above a floor), as spans in ``passage``.

    ``query`` is the text, or its ``token_embeddings`` already computed (reused across results, with the
    text as ``query_text``). The query side is named by its whole word ("quarantine", never "aran").
    """
    if isinstance(query, str):
        query_text = query
    q_tokens, q_offsets, q_vecs = text_encoder.token_embeddings(query) if isinstance(query, str) else query
    p_tokens, p_offsets, p_vecs = text_encoder.token_embeddings(passage)
    if not len(q_vecs) or not len(p_vecs):
        return []
    sims = q_vecs @ p_vecs.T
    best = sims.argmax(axis=1)
    out: dict = {}
    for qi, pi in enumerate(best):
        sim = float(sims[qi, pi])
        word = q_tokens[qi].lstrip("#")
        if query_text and qi < len(q_offsets):
            qs, qe = _word_at(query_text, *q_offsets[qi])
            word = query_text[qs:qe].lower() or word
        if sim < ALIGN_MIN_SIM or _is_weak(word):
            continue
        s, e = _word_at(passage, *p_offsets[pi])
        prev = out.get((s, e))
        if prev is None or prev["similarity"] < sim:
            out[(s, e)] = {"start": s, "end": e, "term": word, "kind": "dense",
                           "similarity": round(sim, 4)}
    return sorted(out.values(), key=lambda s: s["start"])


def components(result) -> dict:
    """Each component's score, rank and share of the fused score (the shares add up to it)."""
    out = {}
    for name, score in result.scores.items():
        if name == "fused":
            continue
        part = result.parts.get(name)
        out[name] = {"score": score, "rank": result.ranks.get(name),
                     "fused_part": None if part is None else round(part, 6)}
    out["fused"] = {"score": result.scores.get("fused")}
    return out


def dense_query_text(terms) -> str:
    """The query text the dense alignment aligns: the words of the positive text terms.

    Public so that a later request (``dense_spans_for`` from the GUI) aligns exactly what the search's
    own explanation aligned; negative terms and images have no tokens to align.
    """
    from app.search.query import text_of

    return text_of(terms)


def explain_results(context: ExplainContext, terms, results, *, dense_spans: bool = True) -> None:
    """Attach ``explanation`` to each result (in place); ``context`` is the searcher's (its explain_context())."""
    if context.vocabulary is None:  # words only: no model runs, and torch need not even be imported
        _explain(context, terms, results, dense_spans)
        return
    from models.device import query_threads

    with query_threads():  # many small forward passes: latency-bound, see query_threads
        _explain(context, terms, results, dense_spans)


def _explain(context: ExplainContext, terms, results, dense_spans: bool) -> None:
    retriever = context.vocabulary
    matrix = q = None
    vectors: dict = {}
    if retriever is not None and context.store.vocab_model():
        matrix = retriever.sparse_matrix(context.store)
        q = retriever.sparse_vector(terms, matrix)
        if q is not None:
            vectors = retriever.passage_vectors(context.store, [r.passage_id for r in results])
    query_text = dense_query_text(terms)
    lexical = {}
    if matrix is None and any(r.scores.get("bm25") is not None for r in results):
        # Words only (no vocabulary model): BM25's own term contributions are exact and cheap.
        from app.search.query import lexical_text

        lexical = bm25_terms(context.store, lexical_text(terms), results)
    text_encoder = context.text_encoder
    query_tokens = None
    for i, r in enumerate(results):
        exp = Explanation(components=components(r))
        if lexical.get(r.passage_id) and r.scores.get("bm25"):
            found = lexical[r.passage_id]
            exp.score_kind = "bm25"
            exp.spans = sorted((Span.from_json(s) for t in found for s in t.pop("spans")), key=lambda s: s.start)
            exp.all_terms = [Term(t["term"], t["contribution"]) for t in found]
            exp.terms = [Term.from_json(t) for t in order_terms(found)[:TOP_TERMS]]
            total = float(r.scores["bm25"])
            exp.coverage = round(sum(t.contribution or 0.0 for t in exp.terms) / total, 4) if total > 0 else None
        if matrix is not None and q is not None and r.passage_id in vectors:
            d = vectors[r.passage_id]
            contribs = contributions(q, d)
            exp.score_kind = "sparse"
            total = float(sum(c for _, c, _, _ in contribs))
            exp.sparse_score = round(total, 6)
            exp.all_terms = [Term(_vocab()[t], c, id=t) for t, c, _, _ in contribs]
            if r.kind == "image":
                shared = {_vocab()[t] for t, *_ in contribs}
                order = np.argsort(-d[1])
                # Shown words only: file-name debris ("##ng", ".", "jp") stays in all_terms, not here.
                words = [(_vocab()[int(d[0][i])], float(d[1][i])) for i in order]
                exp.image_words = [Term(w, weight=round(x, 4), shared=w in shared)
                                   for w, x in words if not w.startswith("##") and not _is_weak(w)
                                   and w not in _FILE_NAME_DEBRIS]
                view = [Term(_vocab()[t], round(c, 6), query_weight=round(a, 4), doc_weight=round(b, 4))
                        for t, c, a, b in contribs]
            else:
                found_terms, spans, expansion = term_view(contribs, r.passage_text, passage_tokens(r.passage_text))
                view = [Term.from_json(t) for t in found_terms]
                exp.spans = [Span.from_json(s) for s in spans]
                exp.expansion = [Term.from_json(t) for t in expansion[:TOP_TERMS]]
            exp.terms = view[:TOP_TERMS]
            shown = sum(t.contribution or 0.0 for t in exp.terms)
            exp.coverage = round(shown / total, 4) if total > 0 else None
        if dense_spans and i < DENSE_ALIGN_TOP and text_encoder is not None and r.kind != "image" and query_text:
            query_tokens = query_tokens or text_encoder.token_embeddings(query_text)
            aligned = dense_alignment(text_encoder, query_tokens, r.passage_text, query_text)
            exp.spans = sorted(exp.spans + [Span.from_json(s) for s in aligned], key=lambda s: (s.start, s.kind))
            exp.dense_spans = True
        else:
            exp.dense_spans = False
        r.explanation = exp


def dense_spans_for(context: ExplainContext, query: str, result) -> list[dict]:
    """The dense (MaxSim) alignment spans of one result, on request (e.g. when a hit is selected)."""
    from models.device import query_threads

    text_encoder = context.text_encoder
    if text_encoder is None or result.kind == "image" or not query.strip():
        return []
    with query_threads():
        return dense_alignment(text_encoder, query, result.passage_text)

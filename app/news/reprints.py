"""Reprints: the same wire story printed by many papers, found with MinHash + LSH and shown once.

Decision: the MinHash signature of every article is computed at index time (the annotator stores it,
base64, in the document meta next to the article's span), and grouping happens at search time: an LSH
index over all stored signatures (app.news.reprint_index: persisted, updated by the indexer with the
documents that changed) answers it, so "40 printings" lists every printing in the index, not only those
that made the result list. No cluster ids are stored, so
an incremental run never has to renumber old documents when a new printing links two clusters.

Shingles are pairs of consecutive content words (4+ letters) of the cleaned text: OCR slips hit short
function words ("tho", "nnd") most, and different papers' OCR of one story keep more long-word pairs in
common than the usual 5-word shingles. Measured on chronam-1916 (docs/newspapers.md): true reprints
score 0.31-0.58 estimated Jaccard with these shingles (0.30-0.48 with 3-word shingles of all words).
Each LSH candidate is confirmed by its estimated Jaccard.
"""

from __future__ import annotations

import base64
import re


# Pinned: signatures are persisted, and MinHashes of other permutations cannot be compared. They are
# datasketch's MinHash(num_perm=64, seed=1, scheme="affine32") (app.news.minhash computes the same).
NUM_PERM = 64
SEED = 1
SHINGLE = 2
MIN_LETTERS = 4  # words shorter than this are left out of shingles
THRESHOLD = 0.3  # estimated Jaccard; see the module doc for the measurements behind it
MIN_WORDS = 25  # content words; shorter items (a one-line notice) are too generic to call reprints
_WORDS = re.compile(r"[a-z]{2,}")


def signature(clean_text: str) -> str | None:
    """Base64 MinHash of the text's word shingles, or None when the text is too short to compare."""
    from app.news.minhash import minhash

    words = [w for w in _WORDS.findall(clean_text.lower()) if len(w) >= MIN_LETTERS]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}
    # affine32 hash values fit 32 bits: half the size in the document meta.
    return base64.b64encode(minhash(shingles, NUM_PERM, SEED).astype("<u4").tobytes()).decode("ascii")


def article_at(meta: dict, offset: int) -> tuple[int, list] | None:
    """(index, [start, end, title, signature]) of the stored article holding ``offset``, or None."""
    for i, art in enumerate(meta.get("articles") or []):
        if art[0] <= offset < art[1] and len(art) > 3 and art[3]:
            return i, art
    return None


def _printings(store, doc_id: str, meta: dict, offset: int) -> tuple[str | None, list[dict]]:
    """(key of the article at ``offset``, its printings with internal keys), earliest first."""
    found = article_at(meta, offset)
    if found is None:
        return None, []
    from app.news.reprint_index import decode, for_store, jaccard

    lsh = for_store(store)
    info = lsh.info
    me = f"{doc_id}|{found[0]}"
    sig = info[me]["_sig"] if me in info else decode(found[1][3])
    best: dict[str, dict] = {}
    for k in lsh.query(sig):
        item = info[k]
        if k != me and jaccard(sig, item["_sig"]) < THRESHOLD:
            continue  # LSH gives candidates; the estimate confirms them
        if item["doc_id"] not in best or k == me:
            best[item["doc_id"]] = item  # one printing per page
    return me, sorted(best.values(), key=lambda p: (p["date"] or "9999", p["newspaper"], p["path"]))


def printings(store, doc_id: str, meta: dict, offset: int) -> list[dict]:
    """Every printing of the article at ``offset`` of a document (itself included), earliest first."""
    return [_public(p) for p in _printings(store, doc_id, meta, offset)[1]]


def _public(item: dict) -> dict:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def group(results: list, store) -> list:
    """Collapse news results that are printings of one story into one result (the earliest printing in the
    list, at the best rank), with ``meta["printings"]`` listing every printing in the index, earliest first.

    Similarity is not transitive (A~B and B~C but not A~C when each paper cut the story differently), so
    a result whose printings overlap an earlier group joins that group.
    """
    out: list = []
    claimed: dict[str, int] = {}  # article key -> position in ``out`` of the result standing for its story
    for r in results:
        if r.kind != "news":
            out.append(r)
            continue
        key, prints = _printings(store, r.doc_id, r.meta, r.passage_start)
        keys = [key] if key else []
        keys += [p["_key"] for p in prints]
        position = next((claimed[k] for k in keys if k in claimed), None)
        if position is not None:
            _merge(out, position, r, prints)
        elif len(prints) > 1:
            r.meta = {**r.meta, "printings": [_public(p) for p in prints]}
            position = len(out)
            out.append(r)
        else:
            out.append(r)
            continue
        for k in keys:
            claimed.setdefault(k, position)
    for i, r in enumerate(out, start=1):
        r.rank = i
    return out


def _merge(out: list, position: int, other, prints: list[dict]) -> None:
    """Fold ``other`` (a printing of the story at ``position``) in: union of printings, earliest shown."""
    current = out[position]
    merged = {p["path"]: p for p in current.meta.get("printings", [])}
    for p in prints:
        merged.setdefault(p["path"], _public(p))
    printings = sorted(merged.values(), key=lambda p: (p["date"] or "9999", p["newspaper"], p["path"]))
    if other.date and current.date and other.date < current.date:
        # Show the earlier printing; the score of the better-ranked hit stays, with the ranks and fused
        # shares it came from (the explanation's component shares must add up to the score shown).
        other.score, other.scores = current.score, current.scores
        other.ranks, other.parts = current.ranks, current.parts
        out[position] = current = other
    current.meta = {**current.meta, "printings": printings}


__all__ = ["NUM_PERM", "THRESHOLD", "article_at", "group", "printings", "signature"]

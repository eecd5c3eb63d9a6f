"""Reprints: the same wire story printed by many papers, found with MinHash + LSH and shown once.

Decision: the MinHash signature of every article is computed at index time (the annotator stores it,
base64, in the document meta next to the article's span), and grouping happens at search time: an LSH
index over all stored signatures is built once per process and index version, so "40 printings" lists
every printing in the index, not only those that made the result list. No cluster ids are stored, so
an incremental run never has to renumber old documents when a new printing links two clusters.

Shingles are pairs of consecutive content words (4+ letters) of the cleaned text: OCR slips hit short
function words ("tho", "nnd") most, and different papers' OCR of one story keep more long-word pairs in
common than the usual 5-word shingles. Measured on chronam-1916 (docs/newspapers.md): true reprints
score 0.31-0.58 estimated Jaccard with these shingles (0.30-0.48 with 3-word shingles of all words).
Each LSH candidate is confirmed by its estimated Jaccard.
"""

from __future__ import annotations

import base64
import json
import re
import threading

import numpy as np

NUM_PERM = 64
# Pinned: signatures are persisted, and MinHashes of different schemes cannot be compared.
SCHEME = "affine32"
SEED = 1  # datasketch's default seed: signatures made with another seed are not comparable
SHINGLE = 2
MIN_LETTERS = 4  # words shorter than this are left out of shingles
THRESHOLD = 0.3  # estimated Jaccard; see the module doc for the measurements behind it
MIN_WORDS = 25  # content words; shorter items (a one-line notice) are too generic to call reprints
_WORDS = re.compile(r"[a-z]{2,}")
_lock = threading.Lock()
_lsh_cache: dict[tuple, tuple] = {}


def signature(clean_text: str) -> str | None:
    """Base64 MinHash of the text's word shingles, or None when the text is too short to compare."""
    from datasketch import MinHash

    words = [w for w in _WORDS.findall(clean_text.lower()) if len(w) >= MIN_LETTERS]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    mh.update_batch(list(shingles))
    # affine32 hash values fit 32 bits: half the size in the document meta.
    return base64.b64encode(mh.hashvalues.astype("<u4").tobytes()).decode("ascii")


def _minhash(sig: str):
    # LeanMinHash: a plain MinHash would regenerate its 64 permutations for every stored signature;
    # this way the LSH over chronam-1916's 1,619 articles builds in 0.12 s (datasketch import aside).
    from datasketch import LeanMinHash

    values = np.frombuffer(base64.b64decode(sig), dtype="<u4").astype(np.uint64)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


def article_at(meta: dict, offset: int) -> tuple[int, list] | None:
    """(index, [start, end, title, signature]) of the stored article holding ``offset``, or None."""
    for i, art in enumerate(meta.get("articles") or []):
        if art[0] <= offset < art[1] and len(art) > 3 and art[3]:
            return i, art
    return None


def _index(store):
    """(LSH over every stored article signature, key -> printing info), cached per documents version."""
    from datasketch import MinHashLSH

    key = (str(store.root), store.documents.version)
    with _lock:
        if key in _lsh_cache:
            return _lsh_cache[key]
    # Weighted towards few false negatives: every candidate is confirmed by its estimated Jaccard anyway,
    # and with equal weights a true reprint at 0.41 was missed on chronam-1916.
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, weights=(0.1, 0.9))
    info: dict[str, dict] = {}
    for row in store.document_rows(["doc_id", "path", "date", "title", "meta"], where="kind = 'news' AND state = 'indexed'"):
        meta = json.loads(row["meta"] or "{}")
        for i, art in enumerate(meta.get("articles") or []):
            if len(art) > 3 and art[3]:
                k = f"{row['doc_id']}|{i}"
                mh = _minhash(art[3])
                lsh.insert(k, mh)
                info[k] = {"_key": k, "doc_id": row["doc_id"], "path": row["path"], "newspaper": meta.get("newspaper", ""),
                           "place": meta.get("place", ""), "date": row["date"] or None, "title": art[2] or row["title"],
                           "_mh": mh}
    with _lock:
        _lsh_cache.clear()  # one index version at a time: older ones are stale
        _lsh_cache[key] = (lsh, info)
    return lsh, info


def _printings(store, doc_id: str, meta: dict, offset: int) -> tuple[str | None, list[dict]]:
    """(key of the article at ``offset``, its printings with internal keys), earliest first."""
    found = article_at(meta, offset)
    if found is None:
        return None, []
    lsh, info = _index(store)
    me = f"{doc_id}|{found[0]}"
    mh = info[me]["_mh"] if me in info else _minhash(found[1][3])
    best: dict[str, dict] = {}
    for k in lsh.query(mh):
        item = info[k]
        if k != me and mh.jaccard(item["_mh"]) < THRESHOLD:
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

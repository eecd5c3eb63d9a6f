"""The reprint LSH, persisted next to the index and updated by the news documents that changed.

Same banding as datasketch's ``MinHashLSH(threshold=0.3, num_perm=64, weights=(0.1, 0.9))`` (b=32
bands of r=2 values; a test checks the parameters against datasketch), so the candidates are the same;
each candidate is still confirmed by its estimated Jaccard in app.news.reprints. Stored as numpy arrays
(signatures, keys) and a JSON list of each article's printing info, under ``index/reprints/``.

Which documents changed is read from the documents table (``indexed_at`` above the last refresh's
watermark, or gone), as for the sparse postings (app.search.postings_store). ``meta.json`` records the
documents table version it matches; a reader that finds another version applies the delta in memory.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
from pathlib import Path

import numpy as np

from app.news.reprints import NUM_PERM
from app.snapshots import current_snapshot, new_snapshot, publish

FORMAT = 1
DIRNAME = "reprints"
BANDS, ROWS = 32, 2  # datasketch's optimum for threshold 0.3, 64 permutations, weights (0.1, 0.9)


def decode(sig: str) -> np.ndarray:
    """A stored base64 signature as its 64 uint32 hash values."""
    return np.frombuffer(base64.b64decode(sig), dtype="<u4").astype(np.uint32)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard of two signatures (share of equal hash values, as datasketch computes it)."""
    return float(np.count_nonzero(a == b)) / float(len(a))


class ReprintIndex:
    """Article signatures with their band keys; ``query`` gives LSH candidates."""

    def __init__(self, keys: list[str], sigs: np.ndarray, info: list[dict], version: int, watermark: float):
        self.keys = keys
        self.sigs = sigs.reshape(-1, NUM_PERM).astype(np.uint32, copy=False)
        self.info = {k: {**i, "_key": k, "_sig": self.sigs[n]} for n, (k, i) in enumerate(zip(keys, info))}
        self.version = version
        self.watermark = watermark
        self._infos = info
        # Per band: the band's values packed into one uint64, sorted, with the row order.
        packed = self._pack(self.sigs)
        self._order = np.argsort(packed, axis=0, kind="stable")
        self._sorted = np.take_along_axis(packed, self._order, axis=0)

    @staticmethod
    def _pack(sigs: np.ndarray) -> np.ndarray:
        bands = sigs.reshape(len(sigs), BANDS, ROWS).astype(np.uint64)
        return (bands[:, :, 0] << np.uint64(32)) | bands[:, :, 1]  # exact: two 32-bit values per band

    def query(self, sig: np.ndarray) -> list[str]:
        """Keys of every article sharing at least one band with ``sig``."""
        if not self.keys:
            return []
        q = self._pack(sig[None, :])[0]
        hits: set[int] = set()
        for b in range(BANDS):
            col = self._sorted[:, b]
            lo, hi = np.searchsorted(col, q[b], "left"), np.searchsorted(col, q[b], "right")
            hits.update(self._order[lo:hi, b].tolist())
        return [self.keys[i] for i in sorted(hits)]

    def doc_ids(self) -> set[str]:
        """Documents with at least one article in the index."""
        return {i["doc_id"] for i in self._infos}


def _articles(rows: list[dict]) -> tuple[list[str], list[np.ndarray], list[dict]]:
    keys, sigs, info = [], [], []
    for row in rows:
        meta = json.loads(row["meta"] or "{}")
        for i, art in enumerate(meta.get("articles") or []):
            if len(art) > 3 and art[3]:
                keys.append(f"{row['doc_id']}|{i}")
                sigs.append(decode(art[3]))
                info.append({"doc_id": row["doc_id"], "path": row["path"], "newspaper": meta.get("newspaper", ""),
                             "place": meta.get("place", ""), "date": row["date"] or None,
                             "title": art[2] or row["title"]})
    return keys, sigs, info


_COLUMNS = ["doc_id", "path", "date", "title", "meta"]


def _stamps(store) -> tuple[dict[str, float], float]:
    rows = store.indexed_news_documents(["doc_id", "indexed_at"])
    stamps = {r["doc_id"]: float(r["indexed_at"] or 0.0) for r in rows}
    return stamps, max(stamps.values(), default=0.0)


def build(store) -> ReprintIndex:
    """The index over every stored article signature."""
    version = store.documents_version()
    rows = store.indexed_news_documents(_COLUMNS + ["indexed_at"])
    keys, sigs, info = _articles(rows)
    watermark = max((float(r["indexed_at"] or 0.0) for r in rows), default=0.0)
    return ReprintIndex(keys, np.array(sigs, dtype=np.uint32).reshape(-1, NUM_PERM), info, version, watermark)


def update(store, old: ReprintIndex) -> ReprintIndex:
    """``old`` with the news documents changed since it was made taken out and their articles added."""
    version = store.documents_version()
    stamps, watermark = _stamps(store)
    changed = {d for d, t in stamps.items() if t > old.watermark} | (old.doc_ids() - stamps.keys())
    if not changed:
        return ReprintIndex(old.keys, old.sigs, old._infos, version, max(old.watermark, watermark))
    keep = [n for n, i in enumerate(old._infos) if i["doc_id"] not in changed]
    fresh = sorted(d for d in changed if d in stamps)
    rows = store.indexed_news_documents(_COLUMNS, fresh)
    keys, sigs, info = _articles(rows)
    all_sigs = np.concatenate([old.sigs[keep], np.array(sigs, dtype=np.uint32).reshape(-1, NUM_PERM)])
    return ReprintIndex([old.keys[n] for n in keep] + keys, all_sigs, [old._infos[n] for n in keep] + info,
                        version, max(old.watermark, watermark))


def _folder(store) -> Path:
    return store.root / "index" / DIRNAME


def save(store, idx: ReprintIndex) -> None:
    """Write ``idx`` to a new folder and switch ``current`` to it atomically."""
    folder = new_snapshot(_folder(store))
    np.save(folder / "sigs.npy", idx.sigs)
    meta = {"format": FORMAT, "version": idx.version, "watermark": idx.watermark, "keys": idx.keys,
            "info": idx._infos}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    publish(folder)


def load(store) -> ReprintIndex | None:
    """The saved index, or None when there is none of this format."""
    try:
        folder = current_snapshot(_folder(store))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        return ReprintIndex(meta["keys"], np.load(folder / "sigs.npy"), meta["info"], int(meta["version"]),
                            float(meta["watermark"]))
    except (OSError, ValueError, KeyError):
        return None


def current(store, have: ReprintIndex | None = None) -> tuple[ReprintIndex, bool]:
    """The index for the documents table now (saved or ``have``, plus any delta); and whether it changed."""
    idx = have if have is not None else load(store)
    version = store.documents_version()
    if idx is not None and idx.version <= version:
        if idx.version == version:
            return idx, False
        return update(store, idx), True
    return build(store), True


def refresh(store) -> None:
    """After an index run (writer side): bring the saved index up to date."""
    idx, changed = current(store)
    if changed or load(store) is None:
        save(store, idx)


def forget(store) -> None:
    """Remove the saved index (the documents it described are gone)."""
    shutil.rmtree(_folder(store), ignore_errors=True)


_lock = threading.Lock()
_cache: dict[str, ReprintIndex] = {}


def for_store(store) -> ReprintIndex:
    """This process's index for ``store``, re-checked against the documents version on each call."""
    key = str(store.root)
    with _lock:
        have = _cache.get(key)
        version = store.documents_version()
        if have is None or have.version != version:
            saved = load(store)
            if saved is not None and saved.version == version:
                have = saved
            else:
                have, _ = current(store, have if have is not None else saved)
            _cache[key] = have
        return have

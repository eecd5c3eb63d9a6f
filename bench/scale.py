"""Search at scale: build indexes of 10k / 100k / 1M passages of real text and time every search mode.

Run from the repo root (the 1M size needs ~25 minutes, ~6 GB of disk and stays under ~5 GB of memory):

    python bench/scale.py --sizes 10000 100000 1000000 [--json] [--work DIR]

What the collection is (honest about what is synthetic):
- text: SciFact abstracts and Chronicling America 1916 front pages, split into ~1,000-character passages
  as the indexer splits them. Passage ``j`` is base passage ``j mod B`` with ~10% of its words dropped
  and two words from another passage inserted, so copies differ for BM25.
- sparse vectors: the real default vocabulary encoder's (IDF) vector of the base passage, with ~10% of
  its ids dropped and weights jittered by ±20% per copy (tokenising a million perturbed texts would
  measure the tokenizer, not the search).
- dense vectors: real vectors from the default text encoder (MiniLM int8) for ``--real`` base passages
  (default 1,000; cached in the work folder); every other row is its base's real vector plus 0.1-0.5 times
  another random real vector plus Gaussian noise, renormalised, so the collection keeps real structure
  without encoding a million passages on two cores.
- queries: the first ``--queries`` SciFact test queries, encoded by the real models at search time.

Per size, the index is written with ``Store`` and finished with ``app.search.indexes.finish`` (the same index
maintenance an index run does: FTS, the vector index past ``ANN_MIN_ROWS``, the sparse postings), then
searched in a fresh process (so start-up, first-query and RSS are what a user's process sees), then a
one-file change (10 passages of one document replaced) is re-indexed with ``app.search.indexes.finish`` again.
Dense recall@10 compares the top 10 of the dense component's list, fetched at the depth a 10-result search
asks for (100 passages), with exact cosine search over every stored vector.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
BATCH = 20_000
PER_DOC = 10
MODES = ("lexical", "dense", "sparse", "hybrid")


# --- the base collection ---------------------------------------------------------------------------

def base_passages(data: Path) -> list[str]:
    """SciFact abstracts and chronam pages split into passages (as the indexer splits them)."""
    from app.ingest.chunk import split_passages

    texts = []
    with open(data / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append((row.get("title", "") + "\n" + row.get("text", "")).strip())
    for path in sorted((data / "chronam-1916" / "dates").rglob("*.txt")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    out = []
    for text in texts:
        for s, e in split_passages(text, 1000, 1500):
            piece = text[s:e]
            if len(re.findall(r"[^\W\d_]{3,}", piece)) >= 3:
                out.append(piece)
    return out


def queries(data: Path, n: int) -> list[str]:
    """The first ``n`` SciFact test queries."""
    wanted = set()
    with open(data / "scifact" / "qrels" / "test.tsv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            wanted.add(line.split("\t")[0])
    out = []
    with open(data / "scifact" / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["_id"] in wanted:
                out.append(row["text"])
    return out[:n]


def base_vectors(work: Path, texts: list[str], n_real: int, models) -> np.ndarray:
    """Real text-encoder vectors of the first ``n_real`` base passages (cached in ``work``)."""
    cache = work / f"real_vectors_{n_real}.npy"
    if cache.exists():
        return np.load(cache)
    t0 = time.perf_counter()
    vecs = np.asarray(models.text.encode_documents(texts[:n_real]), dtype=np.float32)
    print(f"# encoded {n_real} real passages in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    np.save(cache, vecs)
    return vecs


def base_sparse(texts: list[str], models) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vocabulary encoder's (ids, weights) of every base passage, flattened with offsets."""
    vecs = models.vocab.encode_documents(texts)
    lengths = np.array([len(i) for i, _ in vecs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ids = np.concatenate([np.asarray(i, dtype=np.int32) for i, _ in vecs])
    w = np.concatenate([np.asarray(x, dtype=np.float32) for _, x in vecs])
    return ids, w, offsets


# --- the synthetic rows ------------------------------------------------------------------------------

def _perturb_text(text: str, other: str, rng) -> str:
    words = text.split()
    keep = [w for w in words if rng.random() > 0.1] or words
    extra = other.split()
    if extra:
        for _ in range(2):
            keep.insert(int(rng.integers(0, len(keep) + 1)), extra[int(rng.integers(0, len(extra)))])
    return " ".join(keep)


def batch_rows(start: int, n: int, texts, sparse, real: np.ndarray, schema, rng, enriched: str = ""):
    """Rows ``start .. start+n`` of the synthetic collection as an arrow table of the passages schema."""
    import pyarrow as pa

    n_base, n_real = len(texts), len(real)
    j = np.arange(start, start + n)
    base = j % n_base
    other = (j * 7919 + 13) % n_base
    text = [texts[b] if jj < n_base else _perturb_text(texts[b], texts[o], rng)
            for jj, b, o in zip(j.tolist(), base.tolist(), other.tolist())]
    # sparse: gather the base rows, drop ~10% of ids of copies, jitter weights
    ids, w, off = sparse
    lengths = off[base + 1] - off[base]
    total = int(lengths.sum())
    starts = np.repeat(off[base], lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat = starts + within
    copy = np.repeat(j >= n_base, lengths)
    keep = ~copy | (rng.random(total) > 0.1)
    new_ids = ids[flat][keep]
    new_w = (w[flat] * np.where(copy, rng.uniform(0.8, 1.2, total), 1.0).astype(np.float32))[keep]
    row_of = np.repeat(np.arange(n), lengths)[keep]
    new_len = np.bincount(row_of, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(new_len)]).astype(np.int32)
    # dense: real vectors for the first rows, mixtures of two real vectors plus noise for the rest
    a, b = real[j % n_real], real[rng.integers(0, n_real, n)]
    mix = rng.uniform(0.1, 0.5, (n, 1)).astype(np.float32)
    vec = a + mix * b + 0.05 * rng.standard_normal(a.shape).astype(np.float32)
    vec[j < n_real] = real[j[j < n_real]]
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    doc = [f"doc{x // PER_DOC}" for x in j.tolist()]
    cols = {
        "passage_id": [f"{d}:{x % PER_DOC}" for d, x in zip(doc, j.tolist())],
        "doc_id": doc, "path": [f"/scale/{d}.txt" for d in doc], "folder": ["/scale"] * n, "kind": ["text"] * n,
        "title": doc, "date": ["2024-01-01"] * n, "ordinal": (j % PER_DOC).astype(np.int32), "start": np.zeros(n, np.int32),
        "end": np.array([len(t) for t in text], np.int32), "text": text, "source": [""] * n, "place": [""] * n,
        "entities": pa.array([[]] * n, pa.list_(pa.string())),
        "sparse_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(new_ids, pa.int32())),
        "sparse_w": pa.ListArray.from_arrays(pa.array(offsets), pa.array(new_w.astype(np.float32), pa.float32())),
        "vec_text": pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel()), vec.shape[1]),
    }
    if "enriched" in schema.names:  # done by the models pass (app.enrich): nothing left to embed
        cols["enriched"] = [enriched] * n
    return pa.table({f.name: (cols[f.name] if isinstance(cols[f.name], pa.Array) else pa.array(cols[f.name], f.type))
                     if f.name in cols else pa.nulls(n, f.type) for f in schema}, schema=schema)


def doc_rows(first_doc: int, n_docs: int) -> list[dict]:
    """Document rows for the synthetic documents."""
    now = time.time()
    return [{"doc_id": f"doc{d}", "parent": "", "path": f"/scale/doc{d}.txt", "root": "/scale", "folder": "/scale",
             "kind": "text", "title": f"doc{d}", "date": "2024-01-01", "mtime": 1.0, "size": 1, "content_hash": f"h{d}",
             "state": "indexed", "reason": "", "meta": "{}", "thumb": "", "n_passages": PER_DOC, "indexed_at": now}
            for d in range(first_doc, first_doc + n_docs)]


def du(path: Path) -> int:
    """Bytes under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- one size ----------------------------------------------------------------------------------------

def build(size: int, home: Path, texts, sparse, real, models) -> dict:
    """Write ``size`` passages and finish the index; returns the build figures."""
    import pyarrow as pa

    from app.search.indexes import finish
    from app.store import DOC_SCHEMA, Store, VectorColumn

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    store = Store(home, vectors=(VectorColumn("vec_text", int(models.text.dim), models.text.spec.id),),
                  vocab_model=models.vocab.spec.id)
    rng = np.random.default_rng(size)
    t0 = time.perf_counter()
    for start in range(0, size, BATCH):
        n = min(BATCH, size - start)
        store.passages.add(batch_rows(start, n, texts, sparse, real, store.passages.schema, rng, store.enrich_key()))
    store.documents.add(pa.Table.from_pylist(doc_rows(0, -(-size // PER_DOC)), schema=DOC_SCHEMA))
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    steps = finish(store)
    finish_s = time.perf_counter() - t0
    return {"write_s": round(write_s, 2), "index_build_s": round(finish_s, 2), "index_steps_s": steps,
            "disk_mb": round(du(home) / 1e6, 1)}


def one_file_change(home: Path, texts, sparse, real) -> dict:
    """Replace one document's passages (a changed file) and re-run the index maintenance."""
    from app.search.indexes import finish
    from app.store import Store

    store = Store(home)
    rng = np.random.default_rng(1)
    table = batch_rows(len(texts) * 3 + 5, PER_DOC, texts, sparse, real, store.passages.schema, rng, store.enrich_key())
    rows = table.to_pylist()
    for i, r in enumerate(rows):
        r.update(doc_id="doc0", passage_id=f"doc0:{i}", path="/scale/doc0.txt", title="doc0", ordinal=i)
    doc = doc_rows(0, 1)
    t0 = time.perf_counter()
    store.write_batch(doc, rows)
    steps = finish(store)
    return {"one_file_change_s": round(time.perf_counter() - t0, 2), "one_file_change_steps_s": steps}


def search_child(home: Path, qs: list[str], out: Path) -> None:
    """In a fresh process: first query after start, warm latencies per mode, dense top-10 ids, RSS."""
    t_start = time.perf_counter()
    from app.config import Settings
    from app.search.engine import DEPTH_PER_RESULT, MIN_DEPTH
    from app.search.query import parse
    from app.session import make_searcher, open_store, prewarm_in_background

    store = open_store(home)
    searcher = make_searcher(store, Settings())
    t0 = time.perf_counter()
    searcher.search(qs[0], k=10, mode="hybrid")
    first = {"first_query_s": round(time.perf_counter() - t0, 3),
             "start_to_first_result_s": round(time.perf_counter() - t_start, 3)}
    # As the window's search process does once it has answered (app.ui.search_process): the indexes load
    # into memory beside the searches timed next.
    prewarm_in_background(store)
    res: dict = {**first}
    for mode in MODES:
        lat = []
        for q in qs[1:]:
            t0 = time.perf_counter()
            searcher.search(q, k=10, mode=mode)
            lat.append((time.perf_counter() - t0) * 1000)
        res[mode] = {"p50_ms": round(float(np.percentile(lat, 50)), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1)}
    retriever = searcher.retrievers[0]
    indexed = retriever.indexed_columns(store)
    qvecs, tops = [], []
    for q in qs:
        v = retriever.text_vector(parse(q))
        qvecs.append(v)
        # The depth a search of 10 results asks the dense component for (the ANN settings depend on it).
        hits = retriever._vector_search(store, v, "vec_text", None, max(MIN_DEPTH, 10 * DEPTH_PER_RESULT), indexed)
        tops.append([h["passage_id"] for h, _ in hits[:10]])
    res["ann_index"] = sorted(indexed)
    res["rss_mb"] = peak_rss_mb()
    np.save(out.with_suffix(".q.npy"), np.asarray(qvecs, dtype=np.float32))
    res["dense_top10"] = tops
    out.write_text(json.dumps(res), encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB since it started: the kernel's VmHWM where there is one.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux a spawned process starts with its parent's peak as its
    own (measured: a child of a 2 GB parent reports 1,933 MB against a VmHWM of 10 MB), so the search child
    reported the building parent's memory (4.2 GB after a 1M build) and part of the reusing one's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # no /proc: ru_maxrss is bytes on macOS, KB elsewhere
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mb, 1)


def exact_recall(home: Path, result: dict, qvecs: np.ndarray) -> float:
    """Mean overlap of the dense component's top-10 with exact cosine top-10 over every stored vector."""
    from app.store import Store

    store = Store(home)
    best = [[] for _ in qvecs]  # per query: (score, id) candidates
    reader = store.passages.search().select(["passage_id", "vec_text"]).limit(None).to_batches(50_000)
    for batch in reader:
        ids = batch.column("passage_id").to_pylist()
        mat = np.asarray(batch.column("vec_text").values, dtype=np.float32).reshape(len(ids), -1)
        scores = qvecs @ mat.T
        for qi in range(len(qvecs)):
            top = np.argpartition(-scores[qi], 10)[:10] if len(ids) > 10 else np.arange(len(ids))
            best[qi].extend((float(scores[qi, i]), ids[i]) for i in top)
    recalls = []
    for qi, cand in enumerate(best):
        exact = {pid for _, pid in sorted(cand, reverse=True)[:10]}
        recalls.append(len(exact & set(result["dense_top10"][qi])) / 10)
    return round(float(np.mean(recalls)), 4)


def main() -> int:
    """Parse arguments, run each size, print the table (or one JSON object)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--real", type=int, default=1000, help="base passages encoded by the real text model")
    ap.add_argument("--queries", type=int, default=51, help="SciFact test queries (the first is the cold one)")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the indexes")
    ap.add_argument("--reuse", action="store_true", help="search an index kept (--keep) by an earlier run instead of building")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--child", nargs=2, metavar=("HOME", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    qs = queries(args.data, args.queries)
    if args.child:
        search_child(Path(args.child[0]), qs, Path(args.child[1]))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="lexiscope-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["LEXISCOPE_HOME"] = str(work / "models-home")
    from app.config import Settings
    from app.embed import load_models

    models = load_models(Settings(), roles=("text", "vocab"))
    texts = base_passages(args.data)
    real = base_vectors(work, texts, min(args.real, len(texts)), models)
    sparse = base_sparse(texts, models)
    print(f"# {len(texts)} base passages, {len(real)} with real vectors", file=sys.stderr)
    out: dict = {"sizes": {}, "base_passages": len(texts), "real_vectors": len(real)}
    for size in args.sizes:
        home = work / f"idx{size}"
        if args.reuse and (home / "index").exists():
            fig = {"write_s": None, "index_build_s": None, "disk_mb": round(du(home) / 1e6, 1), "reused": True}
        else:
            fig = build(size, home, texts, sparse, real, models)
        print(f"# {size}: built {fig}", file=sys.stderr)
        res_file = work / f"search{size}.json"
        # Models come from the shared model cache; the index is the size's own folder.
        env = {**os.environ, "LEXISCOPE_HOME": str(work / "models-home"), "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, __file__, "--child", str(home), str(res_file), "--queries", str(args.queries),
               "--data", str(args.data)]
        # Copy the model cache reference: the child's searcher reads models from the data root.
        subprocess.run(cmd, check=True, env=env)
        res = json.loads(res_file.read_text(encoding="utf-8"))
        fig["dense_recall@10"] = exact_recall(home, res, np.load(res_file.with_suffix(".q.npy")))
        res.pop("dense_top10")
        fig.update(res)
        fig.update(one_file_change(home, texts, sparse, real))
        out["sizes"][str(size)] = fig
        print(f"# {size}: {json.dumps(fig)}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_table(out)
    return 0


def print_table(out: dict) -> None:
    """The figures as a markdown table."""
    sizes = list(out["sizes"])
    rows = [("index build (finish), s", lambda f: f["index_build_s"]), ("write rows, s", lambda f: f["write_s"]),
            ("on disk, MB", lambda f: f["disk_mb"]), ("search process RSS, MB", lambda f: f["rss_mb"]),
            ("start → first result, s", lambda f: f["start_to_first_result_s"]),
            ("first query after start, s", lambda f: f["first_query_s"])]
    for m in MODES:
        rows.append((f"{m} p50 / p95, ms", lambda f, m=m: f"{f[m]['p50_ms']} / {f[m]['p95_ms']}"))
    rows += [("dense recall@10 vs exact", lambda f: f["dense_recall@10"]),
             ("ANN index", lambda f: ", ".join(f["ann_index"]) or "none (exact)"),
             ("one-file change re-index, s", lambda f: f["one_file_change_s"])]
    print("| passages | " + " | ".join(f"{int(s):,}" for s in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, get in rows:
        print(f"| {name} | " + " | ".join(str(get(out["sizes"][s])) for s in sizes) + " |")


if __name__ == "__main__":
    sys.exit(main())

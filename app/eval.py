"""Built-in evaluation on any data set in BEIR layout, through the same pipeline and search as the app.

The corpus is written once as one text file per document (title on the first line) under the eval
folder, and indexed there into its own store, so a second run with the same corpus and models reuses it.
Metrics follow BEIR/trec_eval: nDCG@10 (graded gains, log2 discount), Recall@100, MRR@10.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.config import Settings, data_root
from app.search.modes import MEASURED_MODES

MODES = MEASURED_MODES
LATENCY_QUERIES = 100


def load_beir(folder: Path, split: str = "test") -> tuple[dict, dict, dict]:
    """(corpus {id: (title, text)}, queries {id: text}, qrels {qid: {docid: grade}}) of a BEIR folder."""
    folder = Path(folder)
    corpus = {}
    with open(folder / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = (d.get("title") or "", d.get("text") or "")
    queries = {}
    with open(folder / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if i == 0 and not parts[-1].lstrip("-").isdigit():
                continue  # header
            qid, did, grade = parts[0], parts[1], int(parts[2])
            if grade > 0:
                qrels.setdefault(qid, {})[did] = grade
    return corpus, {q: t for q, t in queries.items() if q in qrels}, qrels


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    """nDCG@k with the grade as gain (trec_eval's ndcg_cut)."""
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    """Share of relevant documents in the top k."""
    return len(set(ranked[:k]) & set(rels)) / len(rels) if rels else 0.0


def mrr_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top k."""
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in rels), 0.0)


def _safe(doc_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", doc_id)[:80] + "-" + hashlib.sha1(doc_id.encode()).hexdigest()[:8]


def materialise(corpus: dict, folder: Path) -> dict[str, str]:
    """Write each document as ``<safe id>.txt`` (once); returns {file stem: doc id}."""
    folder.mkdir(parents=True, exist_ok=True)
    stems = {}
    for doc_id, (title, text) in corpus.items():
        stem = _safe(doc_id)
        stems[stem] = doc_id
        path = folder / f"{stem}.txt"
        if not path.exists():
            path.write_text(f"{title}\n\n{text}\n" if title else f"{text}\n", encoding="utf-8")
    return stems


def evaluate(beir_dir: Path, modes: tuple[str, ...] = MODES, split: str = "test", settings: Settings | None = None,
             root: Path | None = None, on_progress: Callable[[str], None] | None = None, limit: int | None = None) -> dict:
    """Index the corpus (or reuse the index) and score every mode; returns the JSON report."""
    from app.index_run import index_paths
    from app.session import make_searcher
    from app.store import Store

    settings = settings or Settings.load()
    beir_dir = Path(beir_dir)
    corpus, queries, qrels = load_beir(beir_dir, split)
    if limit:
        queries = dict(list(queries.items())[:limit])
    tag = hashlib.sha1(str(beir_dir.resolve()).encode()).hexdigest()[:8]
    work = (root or data_root()) / "eval" / f"{beir_dir.name}-{tag}"
    stems = materialise(corpus, work / "docs")
    say = on_progress or (lambda _msg: None)
    say(f"indexing {len(corpus)} documents")
    report = index_paths([work / "docs"], settings, root=work / "index")
    stats_file = work / "index-stats.json"
    if report.indexed:
        stats = {"documents": report.indexed, "seconds": round(report.seconds, 2),
                 "docs_per_s": round(report.indexed / max(report.seconds, 1e-9), 1)}
        stats_file.write_text(json.dumps(stats), encoding="utf-8")
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    store = Store(work / "index")
    searcher = make_searcher(store, settings)
    out: dict[str, Any] = {
        "dataset": beir_dir.name,
        "split": split,
        "queries": len(queries),
        "documents": len(corpus),
        "index": {**stats, "reused": report.indexed == 0,
                  "models": {"vectors": [c.__dict__ for c in store.vector_columns()], "vocab": store.vocab_model()}},
        "modes": {},
    }
    searcher.search("warm up", k=10)  # load models and caches outside the timings
    for mode in modes:
        say(f"searching: {mode}")
        ndcg, rec, mrr, times = [], [], [], []
        for qid, text in queries.items():
            response = searcher.search(text, k=100, mode=mode)
            ranked = [stems.get(Path(r.path).stem, "") for r in response.results]
            ndcg.append(ndcg_at(ranked, qrels[qid]))
            rec.append(recall_at(ranked, qrels[qid]))
            mrr.append(mrr_at(ranked, qrels[qid]))
        # Latency as a user sees it: a first page of 10 results, query encoding included.
        for text in list(queries.values())[:LATENCY_QUERIES]:
            t0 = time.perf_counter()
            searcher.search(text, k=10, mode=mode)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out["modes"][mode] = {
            "ndcg@10": round(statistics.fmean(ndcg), 4),
            "recall@100": round(statistics.fmean(rec), 4),
            "mrr@10": round(statistics.fmean(mrr), 4),
            "latency_ms_p50": round(times[len(times) // 2], 1),
            "latency_ms_p95": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            "components": response.mode,
        }
    return out

"""Does entity masking find parallels better, and does unmasked search still find the same actors?

Built from chronam-1916: every article (app.ingest.readers.news.split) with enough words and named entities is a
document. For a sample of them, two queries are made from the article itself:

- parallels: half of its ordinary words dropped (other wording of the same kind of event) and every
  person, place and organisation swapped for another of the same type from the collection (other actors);
- same actors: 70% of its ordinary words dropped, names kept (the names are the main clue).

The target is the source article. Systems, as the app serves them without doubling the index (dense
vectors of MASKED text; BM25 over the UNMASKED stored text):
- bm25 / bm25-masked: LanceDB native BM25 with the query as typed / with its entities removed;
- dense: all-MiniLM-L6-v2 query vs masked-document vectors, query unmasked / masked;
- hybrid (RRF of bm25 + dense): "same actors" mode (unmasked) and "parallels" mode (masked);
- dense-unmasked-docs: the doubled-index alternative (a second vector per passage, of unmasked text).

    .venv/bin/python bench/masking_eval.py [--data ../shared/data/chronam-1916] [--queries 150]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.news.clean import clean_ocr  # noqa: E402
from app.ingest.readers.news.split import split_articles  # noqa: E402
from models.ner import DEFAULT_MASK, EntityRecogniser, apply_mask  # noqa: E402

TYPES = ("PER", "ORG", "LOC")
DOC_CHARS = 1200  # about one passage: what the index embeds per row
QUERY_CHARS = 700
RRF_K = 60


def articles(data: Path) -> list[str]:
    """Cleaned article texts (cut to a passage) of every page."""
    out = []
    for page in sorted(data.glob("dates/*/*.txt")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for seg in split_articles(text) or []:
            clean = clean_ocr(text[seg.start:seg.end]).text[:DOC_CHARS]
            if len(clean.split()) >= 80:
                out.append(clean)
    return out


def make_queries(docs, ents, targets, rng, drops=(0.5, 0.7)):
    """(parallels query, same-actors query) per target article, from its own words and entities."""
    pools: dict[str, list[str]] = {t: [] for t in TYPES}
    for spans in ents:
        for s in spans:
            if s[2] in pools and len(s[3]) > 3 and s[3][0].isupper():
                pools[s[2]].append(s[3])
    out = []
    for i in targets:
        text = docs[i][:QUERY_CHARS]
        spans = [s for s in ents[i] if s[1] <= QUERY_CHARS and s[2] in pools]
        own = {s[3] for s in spans}
        swapped = [(s[0], s[1], s[2], rng.choice([n for n in pools[s[2]] if n not in own] or [s[3]])) for s in spans]
        out.append((_rewrite(text, swapped, drops[0], rng), _rewrite(text, spans, drops[1], rng)))
    return out


def _rewrite(text, spans, drop, rng) -> str:
    """``text`` with span i replaced by spans[i][3] and each other word dropped with probability ``drop``."""
    parts, pos = [], 0
    for start, end, _, name in spans:
        parts += [w for w in text[pos:start].split() if rng.random() >= drop] + [name]
        pos = end
    parts += [w for w in text[pos:].split() if rng.random() >= drop]
    return " ".join(parts)


class Bm25:
    """LanceDB native BM25 over the unmasked documents (the app's lexical component)."""

    def __init__(self, docs: list[str]):
        import lancedb
        from lancedb.index import FTS

        self.tmp = tempfile.TemporaryDirectory()
        db = lancedb.connect(self.tmp.name)
        self.table = db.create_table("d", data=[{"i": i, "text": t} for i, t in enumerate(docs)])
        self.table.create_index("text", config=FTS(with_position=True))

    def ranks(self, query: str, depth: int = 100) -> list[int]:
        """Document indexes, best first."""
        from lancedb.query import MatchQuery

        if not query.strip():
            return []
        return [r["i"] for r in self.table.search(MatchQuery(query, "text"), query_type="fts").limit(depth).to_list()]


def doc_vectors(model, docs, masked_docs, cache: Path):
    """(masked, unmasked) document vectors, from ``cache`` when it holds these very texts."""
    import hashlib

    key = hashlib.sha256("\x00".join(docs + masked_docs + [model.spec.id]).encode()).hexdigest()
    if cache.exists():
        data = np.load(cache)
        if str(data["key"]) == key:
            return data["masked"], data["plain"]
    masked, plain = model.encode_documents(masked_docs), model.encode_documents(docs)
    np.savez(cache, key=key, masked=masked, plain=plain)
    return masked, plain


def dense_ranks(qvec: np.ndarray, dvecs: np.ndarray, depth: int = 100) -> list[int]:
    """Document indexes by cosine similarity (vectors are unit length), best first."""
    return list(np.argsort(-(dvecs @ qvec))[:depth])


def rrf(*lists: list[int]) -> list[int]:
    """Reciprocal rank fusion, as the searcher does."""
    score: dict[int, float] = {}
    for ranked in lists:
        for r, i in enumerate(ranked, start=1):
            score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + r)
    return sorted(score, key=lambda i: -score[i])


def metrics(ranked_lists: list[list[int]], targets: list[int]) -> tuple[float, float, float]:
    """(MRR@10, recall@1, recall@10) of the targets."""
    rr, r1, r10 = [], [], []
    for ranked, t in zip(ranked_lists, targets):
        pos = ranked.index(t) + 1 if t in ranked[:10] else 0
        rr.append(1 / pos if pos else 0.0)
        r1.append(pos == 1)
        r10.append(pos > 0)
    return float(np.mean(rr)), float(np.mean(r1)), float(np.mean(r10))


def main() -> int:
    """Build the task, run every system, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "chronam-1916"))
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1916)
    ap.add_argument("--drop", type=float, nargs=2, default=(0.5, 0.7), metavar=("PARALLELS", "SAME"),
                    help="share of ordinary words dropped from the parallels / same-actors queries")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "lexiscope-masking-eval.npz"),
                    help="document vectors are kept here between runs (same articles, same model)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    docs = articles(Path(args.data))
    ner = EntityRecogniser()
    ents = ner.entities(docs, TYPES + ("MISC",))
    masked_docs = [apply_mask(d, e, DEFAULT_MASK) for d, e in zip(docs, ents)]
    eligible = [i for i, e in enumerate(ents) if sum(s[2] in TYPES and s[1] <= QUERY_CHARS for s in e) >= 3]
    targets = rng.sample(eligible, min(args.queries, len(eligible)))
    queries = make_queries(docs, ents, targets, rng, tuple(args.drop))
    print(f"{len(docs)} articles, {len(eligible)} with >= 3 PER/ORG/LOC, {len(targets)} queries per task "
          f"(seed {args.seed}, words dropped {args.drop[0]:.0%} / {args.drop[1]:.0%})")

    from app.config import Settings
    from app.embed import load_models

    text_model = load_models(Settings(), Path(tempfile.mkdtemp()), roles=("text",)).text
    bm25 = Bm25(docs)
    dvec_masked = dvec_plain = None
    if text_model is not None:
        dvec_masked, dvec_plain = doc_vectors(text_model, docs, masked_docs, Path(args.cache))
    if text_model is None:
        print("text model not available: dense rows skipped")

    for task, qi in (("parallels (other actors, same event)", 0), ("same actors (names kept)", 1)):
        qs = [q[qi] for q in queries]
        masked_q = ner.mask(qs, TYPES + ("MISC",))
        lexical_masked = [apply_mask(q, spans, " ") for q, (_, spans) in zip(qs, masked_q)]
        runs = {
            "bm25 (query as typed)": [bm25.ranks(q) for q in qs],
            "bm25, query entities removed": [bm25.ranks(q) for q in lexical_masked],
        }
        if text_model is not None:
            qv = np.stack([text_model.encode_query(q) for q in qs])
            qv_m = np.stack([text_model.encode_query(m) for m, _ in masked_q])
            runs["dense, masked docs, query unmasked"] = [dense_ranks(v, dvec_masked) for v in qv]
            runs["dense, masked docs, query masked"] = [dense_ranks(v, dvec_masked) for v in qv_m]
            runs["dense, unmasked docs (2nd index), unmasked q"] = [dense_ranks(v, dvec_plain) for v in qv]
            runs["dense, unmasked docs, query masked only"] = [dense_ranks(v, dvec_plain) for v in qv_m]
            runs["hybrid, unmasked docs, masked q (query-only masking)"] = [
                rrf(b, d) for b, d in zip(runs["bm25, query entities removed"],
                                          runs["dense, unmasked docs, query masked only"])]
            runs["hybrid 'same actors' (bm25 + dense, unmasked q)"] = [
                rrf(b, d) for b, d in zip(runs["bm25 (query as typed)"], runs["dense, masked docs, query unmasked"])]
            runs["hybrid 'parallels' (both masked)"] = [
                rrf(b, d) for b, d in zip(runs["bm25, query entities removed"], runs["dense, masked docs, query masked"])]
        print(f"\n{task}")
        print(f"  {'system':<50} {'MRR@10':>7} {'R@1':>6} {'R@10':>6}")
        for name, ranked in runs.items():
            mrr, r1, r10 = metrics(ranked, targets)
            print(f"  {name:<50} {mrr:7.3f} {r1:6.3f} {r10:6.3f}")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

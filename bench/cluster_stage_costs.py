"""CPU cost of each indexing stage per passage and per page, the inputs of the 20M-page plan (docs/scale.md).

    python bench/cluster_stage_costs.py FOLDER... [--files N]

Runs the cluster runner's stage functions (app.cluster.stages: read/clean/split, entities and masking,
embedding, fragment writing) in this process on up to N files, after loading every model (loading is not
counted), and prints CPU-seconds (process time: all threads, so ONNX Runtime's too) per passage and per
indexed file, passages per file, and the bytes each passage takes in the written fragments. CPU time moves
less with other people's load than wall time, but a shared core still runs slower: quote the machine state.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("LANCEDB_LOG", "error")
    os.environ.setdefault("LANCE_LOG", "error")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--files", type=int, default=40)
    args = ap.parse_args()

    import pyarrow as pa
    from lance.fragment import write_fragments

    from app.cluster import stages
    from app.config import Settings
    from app.embed import build_embedder
    from app.ingest.scan import scan
    from app.news.annotate import annotators_for
    from app.store import DOC_SCHEMA, passage_schema

    settings = Settings.load()
    files = []
    for folder in args.folders:
        root = Path(os.path.abspath(folder))
        files += [{"path": str(p), "root": str(root), "doc_id": stages.stable_doc_id(str(p))} for p in scan([root])]
    files = files[: args.files] if len(files) > args.files else files
    embedder = build_embedder(settings)
    annotators = annotators_for(settings)
    work = Path(tempfile.mkdtemp(prefix="lexiscope-stage-costs-"))
    warm = stages.read_units(files[:2], thumbs=str(work / "thumbs"), passage_chars=settings.passage_chars,
                             max_bytes=int(settings.max_file_mb * 1e6))
    stages.annotate_units(warm, annotators)  # loads spaCy
    stages.embed_units(warm, embedder, "warm-up")  # first batch builds/loads the ONNX graph

    cost = {}
    t = time.process_time()
    units = stages.read_units(files, thumbs=str(work / "thumbs"), passage_chars=settings.passage_chars,
                              max_bytes=int(settings.max_file_mb * 1e6))
    cost["read_clean_split"] = time.process_time() - t
    t = time.process_time()
    stages.annotate_units(units, annotators)
    cost["entities_masking"] = time.process_time() - t
    t = time.process_time()
    for i in range(0, len(units), 8):
        stages.embed_units(units[i : i + 8], embedder, "bench")
    cost["embed"] = time.process_time() - t
    stages.strip_units(units)
    passages = [p for u in units for p in u["passages"]]
    schema = passage_schema(embedder.vector_columns(), embedder.vocab_model)
    t = time.process_time()
    table = pa.Table.from_pylist(passages, schema=schema)
    frags = write_fragments(table, str(work / "passages.lance"), schema=schema)
    cost["write_fragments"] = time.process_time() - t
    docs = [d for u in units for d in u["docs"]]
    pa.Table.from_pylist(docs, schema=DOC_SCHEMA)
    size = sum(f.stat().st_size for f in (work / "passages.lance").rglob("*") if f.is_file())
    pages = sum(1 for d in docs if d["state"] == "indexed" and not d["parent"])
    n = max(1, len(passages))
    out = {
        "files": len(files), "indexed_files": pages, "passages": len(passages),
        "passages_per_file": round(len(passages) / max(1, pages), 2),
        "cpu_ms_per_passage": {k: round(1000 * v / n, 2) for k, v in cost.items()},
        "cpu_ms_per_passage_total": round(1000 * sum(cost.values()) / n, 2),
        "cpu_s_per_file_total": round(sum(cost.values()) / max(1, pages), 3),
        "fragment_bytes_per_passage": round(size / n),
        "fragments": len(frags),
        "models": {"vectors": [c.model_id for c in embedder.vector_columns()], "vocab": embedder.vocab_model},
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

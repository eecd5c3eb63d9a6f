"""How much faster can pass 2 get across the cores than in one process? Its stages, timed one by one.

Pass 2 (app.enrich) annotates (spaCy NER on one thread, OCR clean-up, reprint signatures), embeds (the dense
encoder on ONNX Runtime, which runs on every core in the serial run; the sparse vocabulary) and writes each
slice. Indexes the first ``--pages`` pages words-only (the real pass 1), cuts pass 2's own slices, and times
each stage over all of them, here, in this order: annotate; embed on all cores (as the serial run does);
embed on one thread (as each pipeline worker does); write. Then prints per passage:

- the serial run: annotate + embed (all cores) + write, one after another;
- the best a pipeline of one single-thread worker per core can do: every stage's one-thread CPU shared out
  over the cores with nothing idle and no cost of its own (no second model copy, no tail, no contention);

and their ratio: the ceiling for ``bench/pipelined_vs_serial.py`` on this machine. Reading, the FTS and
vector indexes, and loading the models are left out: both runs pay them, which lowers the real ratio.

    python bench/pass2_ceiling.py [FOLDER] [--pages 16]   (--pages 0: the whole folder)
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all its threads) of ``fn()``."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "data" / "chronam-1916"))
    ap.add_argument("--pages", type=int, default=16, help="the first N pages (path order); 0: all")
    args = ap.parse_args()
    from bench.pipelined_vs_serial import subset

    if not Path(args.folder).is_dir():
        raise SystemExit(f"{args.folder}: no such folder")
    if args.pages < 0:
        raise SystemExit("--pages: a number of pages, or 0 for all")

    with tempfile.TemporaryDirectory(prefix="lexiscope-ceiling-") as where:
        tmp = Path(where)
        home = tmp / "home"
        os.environ["LEXISCOPE_HOME"] = str(home)
        from app.config import Settings
        from app.embed import build_embedder
        from app.enrich import BATCH_PASSAGES, _slices, pending_by_doc
        from app.index_run import index_paths
        from app.news.annotate import annotators_for
        from app.stages import annotate_batch, embed_batch, strip_working_fields
        from app.store import Store
        from models.device import configure_threads, physical_cores

        settings = Settings.load(home)
        folder = Path(args.folder).resolve()
        if args.pages:
            folder = subset(folder, args.pages, tmp / "pages")
        index_paths([folder], settings, root=home, use_models=False)  # pass 1: words only
        cores = physical_cores()
        configure_threads()  # every core, as the serial run's encoder
        embedder = build_embedder(settings)
        store = Store(home)
        store.rebuild_passages(embedder.vector_columns(), embedder.vocab_model)
        key = store.enrich_key()
        annotators = annotators_for(settings, home)
        slices = list(_slices(store, pending_by_doc(store), BATCH_PASSAGES))
        n = sum(len(part) for _, part in slices)
        if not n:
            raise SystemExit(f"{args.folder}: no passages to time (no readable text in the pages taken)")
        # Load spaCy and warm both encoders outside the timings (each pipeline worker loads its own copy too).
        warm = copy.deepcopy(slices[0])
        annotate_batch(annotators, *warm)
        embed_batch(embedder, warm[1][:4], key, {})

        def annotate() -> None:
            for docs, part in slices:
                annotate_batch(annotators, docs, part)

        def embed_all(batches) -> None:
            for _, part in batches:
                embed_batch(embedder, part, key, {})

        stages: dict[str, tuple[float, float]] = {"annotate": timed(annotate)}
        for_one = copy.deepcopy(slices)  # annotated passages, to embed a second time on one thread
        stages[f"embed, {cores} threads"] = timed(lambda: embed_all(slices))
        configure_threads(1)
        stages["embed, 1 thread"] = timed(lambda: embed_all(for_one))

        def write() -> None:
            for docs, part in slices:
                strip_working_fields(part)
                store.write_enriched(docs, part)

        stages["write"] = timed(write)
        print(f"{args.pages or 'all'} pages, {n} passages in {len(slices)} slices; {cores} cores")
        for name, (w, c) in stages.items():
            print(f"  {name:<16} {1000 * w / n:6.1f} ms wall  {1000 * c / n:6.1f} ms CPU per passage")
        serial = (stages["annotate"][0] + stages[f"embed, {cores} threads"][0] + stages["write"][0]) / n
        best = (stages["annotate"][1] + stages["embed, 1 thread"][1] + stages["write"][1]) / n / cores
        print(f"serial run: {1000 * serial:.1f} ms per passage; a pipeline on {cores} cores at best "
              f"{1000 * best:.1f} ms -> ceiling {serial / best:.2f}x (before reading, indexes, model loads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

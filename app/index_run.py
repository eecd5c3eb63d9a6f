"""One indexing run with the configured models, as used by the CLI, the GUI and eval: pass 1, then pass 2.

Pass 1 (app.pipeline) makes every new or changed file searchable by words without loading any model;
pass 2 (app.enrich) then loads the models and adds meaning to every passage still without it, wherever
it came from (this run, a ``--lexical-only`` run, a cancelled run, or a model change).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from app.config import Settings, data_root
from app.pipeline import IndexReport, Progress, run_index
from app.store import Store


def _drive(gen: Generator[Progress, None, Any], on_progress: Callable[[Progress], None] | None) -> Any:
    """Run a progress generator to its end, forwarding each step; returns its value."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress:
            on_progress(progress)


def index_paths(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    root: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    use_models: bool = True,
    embedder=None,
    on_note: Callable[[str], None] | None = None,
    serial: bool = False,
) -> IndexReport:
    """Index ``paths`` into the store under ``root`` (default: the data root), holding the writer lock.

    ``use_models=False`` runs pass 1 only (``lexiscope index --lexical-only``); a later run with models
    completes pass 2 for those files. Pass 2 runs in worker processes (app.enrich_pool) on a CPU with 2+
    cores when there is enough to do, unless ``serial`` or an ``embedder`` is given (then in this process).
    """
    from app import catalog

    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    root = root or data_root()
    if embedder is None:
        # Nothing changed since the last complete run: answered from the catalog, with no LanceDB and no model
        # (the window's resume and re-index of unchanged folders land here).
        quick = catalog.quick_noop(paths, settings, root, use_models=use_models)
        if quick is not None:
            report = IndexReport(seen=quick["seen"], unchanged=quick["unchanged"])
            if on_progress:
                on_progress(Progress("done"))
            return report
    if on_progress:
        on_progress(Progress("scanning"))  # at once: opening LanceDB below takes a second or two
    _refuse_damaged(root)
    notes: list[str] = []
    store = Store(root)
    if use_models and embedder is None:
        from app.embed import require_index_models

        require_index_models(store, settings)  # before anything is written: a broken model stops the run
    with store.lock():
        catalog.invalidate(root)
        report = _drive(run_index(store, paths, passage_chars=settings.passage_chars,
                                  max_bytes=int(settings.max_file_mb * 1e6), should_stop=should_stop), on_progress)
        annotators: tuple = ()
        pool = None
        if use_models and not report.cancelled:
            if on_progress:
                on_progress(Progress("loading", unit="passages"))
            if embedder is None:
                from app.enrich_pool import EnrichPool, pipeline_workers

                counts = store.pass_counts()
                workers = 0 if serial else pipeline_workers(settings, counts["words"] - counts["meaning"])
                if workers:
                    # Pass 2 across the cores: the workers load the models; this process reads and writes.
                    pool = EnrichPool(settings, root, workers)
                    embedder = pool.describe()
                else:
                    from app.session import make_embedder

                    embedder = make_embedder(settings, root)
                notes = list(getattr(embedder, "notes", []))
            if embedder is not None and store.needs_rebuild(embedder.vector_columns(), embedder.vocab_model):
                # A words-only index (pass 1, --lexical-only) getting its first models is no change to note.
                if (store.vector_columns() or store.vocab_model()) and store.passage_count():
                    note = (f"the models changed since this index was built ({_describe(store)} → "
                            f"{_describe_new(embedder)}): adding meaning to every passage again; words search "
                            "keeps working meanwhile")
                    notes.append(note)
                    if on_note:
                        on_note(note)  # before the long work starts
                store.rebuild_passages(embedder.vector_columns(), embedder.vocab_model)
            # Newspaper entities, masking and reprint signatures; spaCy loads only when a news passage arrives.
            from app.news.annotate import annotators_for

            from app.enrich import record_rate, run_enrich

            annotators = () if pool is not None else annotators_for(settings, root)
            try:
                second = _drive(run_enrich(store, embedder, annotators, should_stop=should_stop, pool=pool),
                                on_progress)
            finally:
                if pool is not None:
                    pool.close()
                    notes += pool.notes
            record_rate(root, second)
            report.enriched, report.cancelled = second.enriched, second.cancelled
            report.seconds += second.seconds
        report.meaning_pending = store.pass_counts()["words"] - store.pass_counts()["meaning"]
        if not report.cancelled:
            catalog.write(root, store, settings, use_models=use_models, meaning_pending=report.meaning_pending)
    if on_progress:
        on_progress(Progress("done", done=report.indexed, total=report.indexed, indexed=report.indexed,
                             skipped=report.skipped, failed=report.failed))
    report.notes = notes + [n for a in annotators for n in getattr(a, "notes", [])]
    return report


def _refuse_damaged(root: Path) -> None:
    """Stop before writing onto a damaged index (app.check's cheap structural checks): new versions on
    top of a bad one would look healthy while search still fails."""
    from app.check import REPAIR_HINT, quick_faults
    from app.errors import IndexDamaged

    faults = [f for f in quick_faults(root) if f.repairable]
    if faults:
        raise IndexDamaged(f"the index in {root} is damaged: {faults[0].message}.\n{REPAIR_HINT}")


def _describe(store: Store) -> str:
    cols = [c.model_id for c in store.vector_columns()]
    return ", ".join(cols + [store.vocab_model()] if store.vocab_model() else cols) or "words only"


def _describe_new(embedder) -> str:
    cols = [c.model_id for c in embedder.vector_columns()]
    return ", ".join(cols + [embedder.vocab_model] if embedder.vocab_model else cols) or "words only"

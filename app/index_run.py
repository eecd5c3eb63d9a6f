"""One indexing run with the configured models, as used by the CLI, the GUI and eval."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from app.config import Settings, data_root
from app.pipeline import IndexReport, Progress, run_index
from app.store import Store


def index_paths(
    paths: list[str | Path],
    settings: Settings,
    *,
    root: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    use_models: bool = True,
    embedder=None,
    on_note: Callable[[str], None] | None = None,
) -> IndexReport:
    """Index ``paths`` into the store under ``root`` (default: the data root), holding the writer lock."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    root = root or data_root()
    notes: list[str] = []
    if embedder is None and use_models:
        from app.session import make_embedder

        embedder = make_embedder(settings, root)
        notes = list(getattr(embedder, "notes", []))
    store = Store(root)
    # Newspaper entities, masking and reprint signatures; spaCy loads only when a news passage arrives.
    from app.news.annotate import annotators_for

    annotators = annotators_for(settings, root)
    with store.lock():
        if embedder is not None and store.needs_rebuild(embedder.vector_columns(), embedder.vocab_model):
            if store.passages.count_rows():
                note = (f"the models changed since this index was built ({_describe(store)} → "
                        f"{_describe_new(embedder)}): re-embedding every file")
                notes.append(note)
                if on_note:
                    on_note(note)  # before the long work starts
            store.rebuild_passages(embedder.vector_columns(), embedder.vocab_model)
            # Every folder's passages were dropped: re-index all of them, not just the ones asked for.
            known_roots = {r["root"] for r in store.document_rows(["root"]) if r["root"] and Path(r["root"]).exists()}
            paths = list(paths) + sorted(known_roots - {os.path.abspath(p) for p in paths})
        gen = run_index(
            store, paths, embedder=embedder, annotators=annotators, passage_chars=settings.passage_chars,
            max_bytes=int(settings.max_file_mb * 1e6), should_stop=should_stop,
        )
        while True:
            try:
                progress = next(gen)
            except StopIteration as stop:
                report = stop.value
                break
            if on_progress:
                on_progress(progress)
    report.notes = notes + [n for a in annotators for n in getattr(a, "notes", [])]
    return report


def _describe(store: Store) -> str:
    cols = [c.model_id for c in store.vector_columns()]
    return ", ".join(cols + [store.vocab_model()] if store.vocab_model() else cols) or "words only"


def _describe_new(embedder) -> str:
    cols = [c.model_id for c in embedder.vector_columns()]
    return ", ".join(cols + [embedder.vocab_model] if embedder.vocab_model else cols) or "words only"

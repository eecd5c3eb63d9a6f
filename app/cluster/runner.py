"""``lexiscope index --ray ADDRESS``: the local indexer's stages as a Ray Data job writing a LanceDB index.

The graph: planned files → read/clean/split (tasks) → entities and masking (actor pool) → encoders (actor
pool, one GPU per actor where the cluster has GPUs) → fragment writers (tasks) → the driver, which commits
(app.cluster.commit). The driver holds the index's writer lock; workers never commit.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any
from dataclasses import asdict, dataclass
from pathlib import Path

from app.cluster import require_ray
from app.cluster.commit import Committer, clear_unfinished, plan
from app.config import Settings, data_root
from app.location import IndexLocation
from app.pipeline import IndexReport, Progress
from app.search.indexes import finish
from app.store import Store, VectorColumn

LOCAL = "local"


@dataclass
class RayOptions:
    """How to run on the cluster."""

    address: str = LOCAL  # "local" starts a cluster in this process; else a Ray address ("auto", "ray://h:10001")
    workers: int = 1  # actors per encoder pool (and per entity-recogniser pool)
    cpus_per_worker: int = 1  # CPUs (and encoder threads) each encoder actor takes
    files_per_task: int = 8  # files per read/write task and per encoder batch
    commit_every_s: float = 10.0
    local_cpus: int = 2  # CPUs of a "local" cluster


def connect(options: RayOptions, home: Path):
    """Start or join the cluster; the job's workers load models from ``home`` (a shared path on a cluster)."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    env = {"LEXISCOPE_HOME": str(home), "LANCEDB_LOG": "error", "LANCE_LOG": "error", "TOKENIZERS_PARALLELISM": "false"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # an uninstalled checkout (development, CI)
    kwargs = {"runtime_env": {"env_vars": env}, "logging_level": "ERROR", "log_to_driver": False}
    if options.address == LOCAL:
        ray.init(num_cpus=options.local_cpus, include_dashboard=False, **kwargs)
    else:
        ray.init(address=options.address, **kwargs)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the CLI draws its own bar from committed files
    ctx.print_on_execution_start = False
    return ray


def run_ray_index(
    paths: list[str | Path],
    settings: Settings,
    location: IndexLocation | str | Path | None = None,
    options: RayOptions | None = None,
    *,
    use_models: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
) -> IndexReport:
    """Index ``paths`` on a Ray cluster into ``location`` (default: the data root); returns the report."""
    options = options or RayOptions()
    t0 = time.monotonic()
    home = data_root()
    location = IndexLocation.parse(location or home)
    ray = connect(options, home)
    report = IndexReport()
    raw_settings = asdict(settings)
    described: dict[str, Any] = {"vectors": [], "vocab_model": "", "notes": []}
    if use_models:
        from app.cluster.operators import describe_models

        # Load the models once in a throwaway worker (max_calls=1: it exits and frees them): the driver may
        # have no models or GPU, and the table schema needs their dimensions.
        described = ray.get(ray.remote(max_calls=1)(describe_models).remote(raw_settings, str(home)))
    vectors = tuple(VectorColumn(**v) for v in described["vectors"])
    report.notes = list(described["notes"])
    store = Store(location, vectors, described["vocab_model"])
    roots = [Path(os.path.abspath(p)) for p in paths]
    with store.lock():
        # Words only (--lexical-only) is pass 1: it keeps whatever meaning the index has, as locally.
        if use_models and store.needs_rebuild(vectors, described["vocab_model"]):
            if store.passage_count():
                report.notes.append("the models changed since this index was built: re-embedding every file")
            store.rebuild_passages(vectors, described["vocab_model"])
            # Every folder's passages now lack meaning: redo all of them, not just the ones asked for.
            known = {r["root"] for r in store.document_rows(["root"]) if r["root"] and Path(r["root"]).exists()}
            roots += [Path(r) for r in sorted(known - {str(r) for r in roots})]
        if on_progress:
            on_progress(Progress("scanning"))
        work = plan(store, roots, with_meaning=use_models)
        report.seen, report.unchanged = work.seen, work.unchanged
        report.problems = list(work.problems)
        clear_unfinished(store, work.changed)
        committer = Committer(store, options.commit_every_s)
        total = len(work.todo)
        if on_progress:
            on_progress(Progress("indexing", total=total))
        if work.todo:
            dataset = _graph(ray, work.todo, store, location, raw_settings, str(home), options, use_models)
            for row in dataset.iter_rows():
                committer.add(row)
                if on_progress:
                    on_progress(Progress("indexing", done=len(committer.pending | committer.committed), total=total,
                                         indexed=committer.indexed))
            committer.commit()
        store.see_latest()  # the committer's appends, made outside this handle
        if work.vanished:
            store.delete_documents(work.vanished)
            report.removed = len(work.vanished)
        if on_progress:
            on_progress(Progress("finishing", done=total, total=total, indexed=committer.indexed))
        if total or report.removed:
            finish(store)
    report.indexed = committer.indexed
    for p in committer.problems:  # counted as the local indexer counts them (title records apart)
        report.add_problem(p["path"], p["state"], p["reason"])
    counts = store.pass_counts()
    report.enriched = counts["meaning"] if use_models else 0
    report.meaning_pending = counts["words"] - counts["meaning"]
    report.seconds = time.monotonic() - t0
    if on_progress:
        on_progress(Progress("done", done=total, total=total, indexed=report.indexed, skipped=report.skipped,
                             failed=report.failed))
    return report


def _graph(ray, todo, store, location, raw_settings, home, options, use_models):
    """The Ray Data dataset: one operator per stage, encoders as actor pools."""
    from app.cluster.operators import AnnotateOp, EmbedOp, read_op, write_op

    n = options.files_per_task
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    pool = ray.data.ActorPoolStrategy(size=max(1, options.workers))
    ds = ray.data.from_items([{"file": json.dumps(f)} for f in todo], override_num_blocks=max(1, math.ceil(len(todo) / n)))
    # Fractions of a CPU for the light stages: actors hold their CPUs for the whole job, so on a small
    # cluster whole-CPU tasks beside them would never be scheduled (Ray Data waits forever); the encoders
    # are where the CPU goes (docs/scale.md).
    ds = ds.map_batches(read_op, batch_size=n, num_cpus=0.5, fn_kwargs={
        "thumbs": None if location.is_remote else str(store.thumbs),
        "passage_chars": raw_settings["passage_chars"], "max_bytes": int(raw_settings["max_file_mb"] * 1e6)})
    ctor = {"settings": raw_settings, "home": home}
    if use_models:  # without models this is pass 1 (words, dates, facets), as the local --lexical-only
        ds = ds.map_batches(AnnotateOp, batch_size=n, compute=pool, fn_constructor_kwargs=ctor, num_cpus=0.25)
        # Each encoder actor reserves the CPUs its encoder threads use: Ray's accounting then matches the
        # machine, and N actors on N cores run side by side instead of oversubscribing them.
        ds = ds.map_batches(EmbedOp, batch_size=n, compute=pool, num_gpus=gpus, num_cpus=options.cpus_per_worker,
                            fn_constructor_kwargs={**ctor, "key": store.enrich_key(),
                                                   "threads": options.cpus_per_worker})
    ds = ds.map_batches(write_op, batch_size=n, num_cpus=0.25, fn_kwargs=store.passage_fragment_target())
    return ds

"""``lexiscope index PATH...``: add folders to the index, incrementally."""

from __future__ import annotations

import json
import sys

from app.config import Settings


def register(sub) -> None:
    """Add the ``index`` subcommand."""
    p = sub.add_parser("index", help="index folders (or files); re-running only touches what changed")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.add_argument("--lexical-only", action="store_true",
                   help="pass 1 only: words, dates and facets, no models (fastest); a later run adds meaning")
    p.add_argument("--serial", action="store_true",
                   help="pass 2 (models) in this one process, without worker processes (slower on 2+ cores)")
    p.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster: 'local' starts one here, or a Ray address "
                   "such as 'auto' or 'ray://head:10001' (needs: pip install \"lexiscope[cluster]\")")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="with --ray: actors per model stage (each loads the models once; one GPU each if any)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Index the given paths with a tqdm progress bar."""
    from app import catalog
    from app.config import data_root
    from app.errors import UserError

    settings = Settings.load()
    location = getattr(args, "index_location", None)
    # Nothing changed? Decided from the catalog and a scan, before LanceDB or any model is imported.
    # (The catalog describes the data root's own index; a run elsewhere or on a cluster checks the index.)
    quick = None if (location or args.ray) else catalog.quick_noop(args.paths, settings, data_root(),
                                                                   use_models=not args.lexical_only)
    if quick is not None:
        if args.json:
            print(json.dumps({"seen": quick["seen"], "unchanged": quick["unchanged"], "indexed": 0, "skipped": 0,
                              "failed": 0, "renamed": 0, "duplicates": 0, "removed": 0, "cancelled": False,
                              "enriched": 0, "meaning_pending": 0, "problems": [], "notes": [], "metadata": {}}, indent=2))
        else:
            print(f"{quick['seen']} files seen: nothing changed.")
        return 0
    from tqdm import tqdm

    from app.index_run import index_paths

    bar = tqdm(total=0, unit="file", disable=args.json or not sys.stderr.isatty(), dynamic_ncols=True)
    last_phase = ""

    def on_progress(p) -> None:
        nonlocal last_phase
        if p.phase != last_phase:
            bar.set_description(p.phase)
            bar.unit = p.unit
            if p.phase in ("meaning", "indexing"):
                bar.reset(total=p.total)
            last_phase = p.phase
        if p.total and bar.total != p.total:
            bar.total = p.total
        bar.n = p.done
        bar.set_postfix(indexed=p.indexed, skipped=p.skipped, failed=p.failed, refresh=False)
        bar.refresh()

    try:
        if args.ray:
            report = _run_on_ray(args, settings, location, on_progress)
        else:
            report = index_paths(args.paths, settings, root=_local_folder(location), on_progress=on_progress,
                                 use_models=not args.lexical_only, serial=args.serial,
                                 on_note=lambda note: print(f"note: {note}", file=sys.stderr))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    finally:
        bar.close()
    if args.json:
        print(json.dumps(report.__dict__, indent=2, default=str))
        return 0
    print(
        f"{report.seen} files seen in {report.seconds:.1f}s: {report.indexed} indexed, {report.unchanged} unchanged, "
        f"{report.skipped} skipped, {report.failed} failed, {report.renamed} renamed, "
        f"{report.duplicates} duplicates, {report.removed} removed."
    )
    if report.metadata:
        from app.ingest.readers.news.records import describe_metadata

        # Not "skipped": a title record did its job (its paper's name and place are on the pages).
        print(describe_metadata(report.metadata))
    if report.enriched or report.meaning_pending:
        print(f"Meaning (models) added to {report.enriched} passages; {report.meaning_pending} still words only"
              + (" (run `lexiscope index` without --lexical-only to add it)." if args.lexical_only else "."))
    for note in getattr(report, "notes", []):
        print(f"note: {note}")
    if report.skipped or report.failed:
        print("Run `lexiscope status` to see every skipped or failed file and why.")
    return 0


def _local_folder(location: str | None):
    """The folder the local indexer writes to (an object-store index is written by a cluster run)."""
    from app.errors import UserError
    from app.location import IndexLocation

    if not location:
        return None
    parsed = IndexLocation.parse(location)
    if parsed.is_remote:
        raise UserError(f"{location}: an index on an object store is written with --ray (the local indexer "
                        "needs a folder)")
    return parsed.folder


def _run_on_ray(args, settings, location, on_progress):
    """The same run on a Ray cluster (app.cluster; Ray is imported only here)."""
    from pathlib import Path

    from app.cluster.runner import RayOptions, run_ray_index
    from app.errors import UserError

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}")
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    options = RayOptions(address=args.ray, workers=args.workers)
    return run_ray_index(args.paths, settings, location, options, use_models=not args.lexical_only,
                         on_progress=on_progress)

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
    p.set_defaults(func=run)


def run(args) -> int:
    """Index the given paths with a tqdm progress bar."""
    from app import catalog
    from app.config import data_root
    from app.errors import UserError

    settings = Settings.load()
    # Nothing changed? Decided from the catalog and a scan, before LanceDB or any model is imported.
    quick = catalog.quick_noop(args.paths, settings, data_root(), use_models=not args.lexical_only)
    if quick is not None:
        if args.json:
            print(json.dumps({"seen": quick["seen"], "unchanged": quick["unchanged"], "indexed": 0, "skipped": 0,
                              "failed": 0, "renamed": 0, "duplicates": 0, "removed": 0, "cancelled": False,
                              "enriched": 0, "meaning_pending": 0, "problems": [], "notes": []}, indent=2))
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
        report = index_paths(args.paths, settings, on_progress=on_progress, use_models=not args.lexical_only,
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
    if report.enriched or report.meaning_pending:
        print(f"Meaning (models) added to {report.enriched} passages; {report.meaning_pending} still words only"
              + (" (run `lexiscope index` without --lexical-only to add it)." if args.lexical_only else "."))
    for note in getattr(report, "notes", []):
        print(f"note: {note}")
    if report.skipped or report.failed:
        print("Run `lexiscope status` to see every skipped or failed file and why.")
    return 0

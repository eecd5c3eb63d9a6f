"""``lexiscope status``: what is indexed, and every skipped or failed file with its reason."""

from __future__ import annotations

import json


def register(sub) -> None:
    """Add the ``status`` subcommand."""
    p = sub.add_parser("status", help="counts per kind, and every skipped or failed file with its reason")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def gather() -> dict:
    """The status as a dict (also the ``--json`` schema)."""
    from app.config import data_root
    from app.session import open_store

    from app.check import REPAIR_HINT, diagnose
    from app.errors import IndexDamaged
    from app.ingest.readers.news.records import metadata_label

    # Reads every table through (app.check): damage that only a search would hit (passages, the word
    # index) must not be reported as a healthy index.
    fault = diagnose(data_root())
    if fault is not None:
        raise IndexDamaged(f"the index in {data_root()} is damaged: {fault.message}.\n{REPAIR_HINT}")
    store = open_store()
    counts = store.counts()
    # Title records and column mappings were read for the other files: counted apart, not as skipped.
    problems: list[dict] = []
    metadata: dict[str, int] = {}
    for r in store.problem_documents():
        label = metadata_label(r["state"], r["reason"])
        if label:
            metadata[label] = metadata.get(label, 0) + 1
        else:
            problems.append(r)
    by_state = dict(counts["by_state"])
    if metadata:
        by_state["skipped"] -= sum(metadata.values())
        if not by_state["skipped"]:
            del by_state["skipped"]
    roots = sorted({r["root"] for r in store.document_rows(["root"])})
    return {
        "data_root": str(data_root()),
        "index": str(store.location),
        "documents": counts["documents"],
        "passages": counts["passages"],
        "by_state": by_state,
        "by_kind": counts["by_kind"],
        "folders": roots,
        "models": {"vectors": [c.__dict__ for c in store.vector_columns()], "vocab": store.vocab_model()},
        "passes": passes(store),
        "problems": problems,
        "metadata": metadata,
    }


def passes(store) -> dict:
    """Pass 1 and pass 2 progress: passages with words, with meaning, and a time estimate for the rest."""
    from app.enrich import last_rate

    counts = store.pass_counts()
    pending = counts["words"] - counts["meaning"]
    rate = last_rate(store.root)
    return {**counts, "pending": pending, "eta_s": round(pending / rate) if pending and rate else None}


def _duration(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {s:02d} s" if minutes else f"{s} s"


def run(args) -> int:
    """Print the status."""
    info = gather()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    print(f"Index: {info['index']}")
    print(f"Folders: {', '.join(info['folders']) or '(none yet: lexiscope index PATH)'}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(info["by_kind"].items())) or "nothing"
    print(f"Indexed: {kinds} ({info['passages']} passages)")
    p = info["passes"]
    line = f"Passes: words: {p['words']:,} / {p['words']:,} · meaning: {p['meaning']:,} / {p['words']:,}"
    if p["pending"]:
        line += f", {_duration(p['eta_s'])} left" if p["eta_s"] is not None else " (run `lexiscope index` to add it)"
    print(line)
    states = info["by_state"]
    print(f"Skipped: {states.get('skipped', 0)}   Failed: {states.get('failed', 0)}")
    if info["metadata"]:
        from app.ingest.readers.news.records import describe_metadata

        print(describe_metadata(info["metadata"]))
    for r in info["problems"]:
        print(f"  {r['state']:<8} {r['path']}\n           {r['reason']}")
    return 0

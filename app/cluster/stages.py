"""The indexer's stages as pure functions of a batch of *units*, for Ray Data operators.

A unit is one file's outcome: its document rows (one, or a container plus its records) and its passage
rows, exactly as the local indexer builds them, plus the problem to report when it was skipped or failed.
Each function here takes a list of units (or of planned files) and returns units; none touches the index,
so Ray can run, retry and scatter them freely. The work itself is the local indexer's (``app.pipeline``),
called, not copied: one pipeline, two runners.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from app.pipeline import IndexReport, _handle_item
from app.stages import Item, annotate_batch, embed_batch, read_item, strip_working_fields


class _ThumbSink:
    """What the read and split stages need of a store: the thumbnail folder (and a no-op for the records of
    a multi-record file's previous version, which the driver deleted before the run: commit.clear_unfinished)."""

    def __init__(self, thumbs: str | None):
        # An index on an object store has no folder for thumbnails: make them in scratch space (the
        # readers want somewhere to put them) and record none; the app draws such images on demand.
        self.keep = bool(thumbs)
        self.thumbs = Path(thumbs) if thumbs else Path(tempfile.gettempdir()) / "lexiscope-scratch-thumbs"

    def delete_children(self, parent_ids: list[str]) -> None:
        """Nothing to do on a worker: the driver cleared them."""


def stable_doc_id(path: str) -> str:
    """A document id that is a function of the path, so a re-run or a retried task names it the same."""
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def read_units(files: list[dict], *, thumbs: str | None, passage_chars: int, max_bytes: int) -> list[dict]:
    """Read, clean and split planned files (dicts with path, root, doc_id) into units; never raises."""
    sink = _ThumbSink(thumbs)
    units = []
    for f in files:
        path = Path(f["path"])
        report = IndexReport()
        try:
            st = path.stat()
        except OSError as exc:  # vanished between the scan and the read
            units.append({"doc_id": f["doc_id"], "docs": [], "passages": [],
                          "problem": {"path": str(path), "state": "failed", "reason": str(exc)}})
            continue
        item = read_item(Item(path, f["root"], st, f["doc_id"]), sink.thumbs, max_bytes)
        pairs = _handle_item(item, sink, {}, {}, report, passage_chars)
        docs = [d for d, _ in pairs]
        if not sink.keep:
            for d in docs:
                d["thumb"] = ""
        units.append({
            "doc_id": f["doc_id"],
            "docs": docs,
            "passages": [p for _, ps in pairs for p in ps],
            # Every file not indexed, title records included: the driver counts them (IndexReport.add_problem).
            "problem": ({"path": str(path), "state": item.state, "reason": item.reason}
                        if item.state != "indexed" else None),
        })
    return units


def annotate_units(units: list[dict], annotators) -> list[dict]:
    """Entities, masking and reprint signatures for the units' documents and passages (in place)."""
    annotate_batch(annotators, [d for u in units for d in u["docs"]], [p for u in units for p in u["passages"]])
    return units


def embed_units(units: list[dict], embedder, key: str) -> list[dict]:
    """Dense, sparse and CLIP vectors for the units' passages, marked done for the models ``key`` (in place)."""
    embed_batch(embedder, [p for u in units for p in u["passages"]], key)
    return units


def strip_units(units: list[dict]) -> list[dict]:
    """Drop the working fields (``_embed_text`` and friends) that are never stored."""
    strip_working_fields([p for u in units for p in u["passages"]])
    return units

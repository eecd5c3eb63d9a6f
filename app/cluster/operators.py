"""Ray Data operators: thin wrappers that move units in and out of Ray blocks around app.cluster.stages.

Blocks carry one row per file: ``doc_id`` and ``unit`` (the pickled unit; document and passage rows are
nested and ragged, which Arrow columns would only re-encode). CPU stages are plain functions (Ray tasks);
encoders are classes, so each actor of a pool loads its models once and keeps them.
"""

from __future__ import annotations

import json
import os
import pickle

import numpy as np

from app.cluster import stages


def _units(batch: dict) -> list[dict]:
    return [pickle.loads(b) for b in batch["unit"]]


def _batch(units: list[dict]) -> dict:
    return {"doc_id": np.array([u["doc_id"] for u in units], dtype=object),
            "unit": np.array([pickle.dumps(u, protocol=5) for u in units], dtype=object)}


def read_op(batch: dict, *, thumbs: str | None, passage_chars: int, max_bytes: int) -> dict:
    """Ray task: planned files → units (read, clean, split)."""
    files = [json.loads(f) for f in batch["file"]]
    return _batch(stages.read_units(files, thumbs=thumbs, passage_chars=passage_chars, max_bytes=max_bytes))


def _settings(raw: dict):
    from app.config import Settings

    return Settings(**{k: v for k, v in raw.items() if k != "version"})


class AnnotateOp:
    """Ray actor: entity recognition, masking and reprint signatures (spaCy loads once per actor)."""

    def __init__(self, settings: dict, home: str):
        from app.news.annotate import annotators_for

        os.environ["LEXISCOPE_HOME"] = home  # the model cache this job uses, on every node
        self.annotators = annotators_for(_settings(settings), None)

    def __call__(self, batch: dict) -> dict:
        """Annotate one batch of units."""
        return _batch(stages.annotate_units(_units(batch), self.annotators))


class EmbedOp:
    """Ray actor: dense, sparse and CLIP encoders, loaded once per actor (on its GPU when it has one)."""

    def __init__(self, settings: dict, home: str, key: str, threads: int = 1):
        os.environ["LEXISCOPE_HOME"] = home
        os.environ["LEXISCOPE_THREADS"] = str(threads)  # the CPUs Ray reserved for this actor (models.device)
        from app.embed import build_embedder

        self.embedder = build_embedder(_settings(settings))
        self.key = key  # the index's models key: what marks a passage's meaning done (pass 2's mark)

    def __call__(self, batch: dict) -> dict:
        """Embed one batch of units."""
        return _batch(stages.embed_units(_units(batch), self.embedder, self.key))


def write_op(batch: dict, *, table_uri: str, schema, storage_version: str) -> dict:
    """Ray task: write the batch's passages as new Lance fragments (not committed) and hand back their
    metadata and the document rows; the driver commits both. A retried or killed task leaves only
    unreferenced files behind, never rows."""
    import pyarrow as pa
    from lance.fragment import write_fragments

    units = stages.strip_units(_units(batch))
    passages = [p for u in units for p in u["passages"]]
    fragments = []
    if passages:
        table = pa.Table.from_pylist(passages, schema=schema)
        fragments = [f.to_json() for f in write_fragments(table, table_uri, schema=schema,
                                                          data_storage_version=storage_version)]
    return {
        "doc_ids": np.array([json.dumps([u["doc_id"] for u in units])], dtype=object),
        "docs": np.array([json.dumps([d for u in units for d in u["docs"]], default=str)], dtype=object),
        "problems": np.array([json.dumps([u["problem"] for u in units if u["problem"]])], dtype=object),
        "fragments": np.array([json.dumps(fragments)], dtype=object),
        "passages": np.array([len(passages)], dtype=np.int64),
    }


def describe_models(settings: dict, home: str) -> dict:
    """Load the configured encoders once (in a throwaway worker) and say which columns they fill."""
    os.environ["LEXISCOPE_HOME"] = home
    from app.embed import build_embedder

    embedder = build_embedder(_settings(settings))
    return {"vectors": [c.__dict__ for c in embedder.vector_columns()], "vocab_model": embedder.vocab_model,
            "notes": list(embedder.notes)}

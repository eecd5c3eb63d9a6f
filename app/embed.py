"""The bridge from app to models: load the configured encoders, embed passages, report model status.

A missing model is never a crash: each role that cannot load is recorded with the message that says
how to get it, and everything that does not need it keeps working (no image model: images stay findable
by name, folder and date; no text model: lexical and vocabulary search).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from app.config import Settings, data_root
from app.store import Store, VectorColumn

if TYPE_CHECKING:
    from app.search.retrievers import ModelRetriever

ROLES = ("text", "vocab", "image")
_SETTING = {"text": "text_model", "vocab": "vocab_model", "image": "image_model"}


def cache_dir(root: Path | None = None) -> Path:
    """Where models are cached and imported to."""
    return (root or data_root()) / "models"


class TextEncoder(Protocol):
    """What indexing uses of a text encoder (models.text, models.onnx_text)."""

    spec: Any
    dim: int

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


class VocabEncoder(Protocol):
    """What indexing uses of a vocabulary (sparse) encoder (models.sparse, models.vocab)."""

    def encode_documents(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]: ...


class ImageEncoder(Protocol):
    """What indexing uses of an image encoder (models.clip, models.clip_onnx)."""

    dim: int

    def encode_images(self, paths: list[Path]) -> np.ndarray: ...

    def vocab_vectors(self, embs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]: ...


@dataclass
class Models:
    """The encoders that loaded (None where not) and, per missing role, the message saying how to fix it."""

    text: TextEncoder | None = None
    vocab: VocabEncoder | None = None
    image: ImageEncoder | None = None
    missing: dict[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """One line per missing model, for the CLI and the GUI banner."""
        effects = {
            "image": "images are matched by name, folder and date only",
            "text": "search uses words and the vocabulary model only",
            "vocab": "the vocabulary (sparse) component and explanations are off",
        }
        return [f"{role} model missing ({effects[role]}): {msg}" for role, msg in self.missing.items()]


_cache: dict[tuple, Models] = {}
_lock = threading.Lock()


def load_models(settings: Settings, root: Path | None = None, roles: tuple[str, ...] = ROLES,
                on_progress: Callable[[str], None] | None = None) -> Models:
    """Load (once per process and configuration) the encoders the settings choose."""
    from models.loader import load_encoder
    from models.verify import ModelError

    _quiet_transformers()
    key = (str(cache_dir(root)), settings.device, roles, *(getattr(settings, _SETTING[r]) for r in roles))
    with _lock:
        if key in _cache:
            return _cache[key]
        models = Models()
        for role in roles:
            if on_progress:
                on_progress(f"loading the {role} model")
            try:
                enc = load_encoder(role, getattr(settings, _SETTING[role]) or None, cache_dir=cache_dir(root),
                                   device=settings.device)
            except ModelError as exc:
                models.missing[role] = str(exc)
                continue
            setattr(models, role, enc)
        _cache[key] = models
        return models


def forget_loaded_models() -> None:
    """Drop the per-process model cache (after settings change models, or between tests)."""
    with _lock:
        _cache.clear()


def _quiet_transformers() -> None:
    """transformers prints a "Loading weights" bar per model; our own progress reporting replaces it.

    Only when transformers is in use (the torch backends): the default path must not import it.
    The torch-backed encoders quiet its progress bar themselves when they import it
    (``models.device.quiet_transformers``); the environment variable covers its log level.
    """
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:
        from models.device import quiet_transformers

        quiet_transformers()


def model_status(settings: Settings, root: Path | None = None) -> list[dict]:
    """Per role: is its model installed (without loading it)? With the message and the command that fixes it."""
    from models.loader import spec_for
    from models.resolve import resolve
    from models.verify import ModelError

    out = []
    for role in (*ROLES, "ner"):
        model_id = getattr(settings, _SETTING.get(role, "ner_model"), "") or None
        try:
            spec = spec_for(role, model_id, cache_dir(root))
            resolve(spec, cache_dir(root))
            out.append({"role": role, "id": spec.id, "state": "ok", "message": "", "fix": ""})
        except ModelError as exc:
            failed = getattr(exc, "spec", None)
            sid = failed.id if failed else (model_id or "")
            out.append({"role": role, "id": sid, "state": "missing", "message": str(exc),
                        "fix": f"lexiscope models download {role} {sid}".strip()})
    return out


class Embedder:
    """Fills passage rows with dense text vectors, CLIP image vectors and sparse vocabulary vectors."""

    def __init__(self, models: Models):
        self.models = models
        self.vocab_model = getattr(getattr(models.vocab, "spec", None), "id", "")
        self.notes = models.notes()

    def vector_columns(self) -> tuple[VectorColumn, ...]:
        """vec_text for the text model, vec_clip for the image model (those that loaded)."""
        cols = []
        if self.models.text is not None:
            cols.append(VectorColumn("vec_text", int(self.models.text.dim), self.models.text.spec.id))
        if self.models.image is not None:
            cols.append(VectorColumn("vec_clip", int(self.models.image.dim), _image_id(self.models.image)))
        return tuple(cols)

    def embed(self, rows: list[dict], on_progress: Callable[[int], None] | None = None) -> None:
        """Fill ``rows`` in place. Text rows embed ``_embed_text`` (masked/cleaned) when set."""
        texts = [r for r in rows if r["kind"] != "image"]
        images = [r for r in rows if r["kind"] == "image"]
        m = self.models
        if texts and m.text is not None:
            vecs = m.text.encode_documents([r.get("_embed_text") or r["text"] for r in texts])
            for r, v in zip(texts, vecs):
                r["vec_text"] = v.tolist()
        if texts and m.vocab is not None:
            # Sparse vectors encode the unmasked text: exact names stay matchable ("same actors").
            for r, (ids, w) in zip(texts, m.vocab.encode_documents([r["text"] for r in texts])):
                r["sparse_ids"], r["sparse_w"] = ids.tolist(), w.tolist()
        if images and m.image is not None:
            embs = m.image.encode_images([Path(r["path"]) for r in images])
            for r, v, (ids, w) in zip(images, embs, m.image.vocab_vectors(embs)):
                r["vec_clip"] = v.tolist()
                r["sparse_ids"], r["sparse_w"] = ids.tolist(), w.tolist()
        elif images and m.vocab is not None:
            # No image model: the vocabulary vector of the image's name, folder and camera words, so a hit
            # found by name is still scored and explained in the same space (CLIP's projection replaces it).
            for r, (ids, w) in zip(images, m.vocab.encode_documents([r["text"] for r in images])):
                r["sparse_ids"], r["sparse_w"] = ids.tolist(), w.tolist()


def _image_id(enc) -> str:
    spec = getattr(enc, "spec", None)
    return str(getattr(spec, "id", None) or getattr(enc, "model_name", "clip"))


def build_embedder(settings: Settings, root: Path | None = None) -> Embedder:
    """The embedder for the configured models (missing ones noted, not fatal).

    Models always come from the data root's model cache, whatever store is being written (``lexiscope
    eval`` keeps its own store but uses the user's models); ``root`` is accepted for symmetry only.
    """
    return Embedder(load_models(settings))


def index_model_ids(store: Store) -> dict[str, str]:
    """Role -> the model id the index's vectors were made with (only the roles the index has).

    An image column made by a CLIP folder without a catalog or import id (recorded as ``open_clip-…``)
    names no model to pin; that role then follows the settings, as before.
    """
    from models.catalog import CATALOG

    ids = {}
    for col in store.vector_columns():
        role = {"vec_text": "text", "vec_clip": "image"}.get(col.name, "text")
        if role == "image" and col.model_id.startswith("open_clip") and col.model_id not in CATALOG:
            continue
        ids[role] = col.model_id
    if store.vocab_model():
        ids["vocab"] = store.vocab_model()
    return ids


def unavailable_message(role: str, model_id: str, why: str) -> str:
    """Why a run stops when a model the index was built with cannot be loaded, and the two ways out."""
    return (f"the {role} model '{model_id}' this index was built with cannot be used: {why}\n"
            f"Nothing was changed. Reinstall it (`lexiscope models import {role} DIR --id {model_id}`, or "
            f"`lexiscope models download {role} {model_id}` for a catalog model), or choose another {role} model "
            "in the settings and index again (that re-embeds every passage).")


def require_index_models(store: Store, settings: Settings) -> None:
    """Raise ModelUnavailable when a model the index records would be replaced only because it is broken.

    A role the settings leave on "default" is resolved among the installed models; a garbage manifest makes
    the index's model look uninstalled, and the default would then silently become another model (and
    the next run re-embed everything with it). A model the user chose explicitly is a documented change.
    """
    from app.errors import ModelUnavailable
    from models.loader import spec_for
    from models.resolve import resolve
    from models.verify import ModelError

    for role, model_id in index_model_ids(store).items():
        chosen = getattr(settings, _SETTING[role])
        if chosen and chosen != model_id:
            continue
        try:
            resolve(spec_for(role, model_id, cache_dir()), cache_dir())
        except ModelError as exc:
            raise ModelUnavailable(unavailable_message(role, model_id, str(exc))) from exc


def build_retrievers(store: Store, settings: Settings) -> list[ModelRetriever]:
    """Retrieval components for a store: dense/CLIP/sparse where the index has the vectors.

    Queries are encoded with the very models the index records, whatever the settings now prefer: a
    query vector from another model scores nonsense against these documents. A missing text or
    vocabulary model stops the search with the fix (ModelUnavailable); a missing image model is a note
    (images stay findable by name, folder and date, as everywhere in the app).
    """
    from dataclasses import replace

    from app.errors import ModelUnavailable
    from app.search.retrievers import ModelRetriever

    cols = {c.name for c in store.vector_columns()}
    roles = tuple(r for r, c in (("text", "vec_text"), ("vocab", None), ("image", "vec_clip"))
                  if (c in cols if c else store.vocab_model()))
    if not roles:
        return []
    ids = index_model_ids(store)
    model_fields: dict[str, Any] = {_SETTING[role]: model_id for role, model_id in ids.items()}
    pinned = replace(settings, **model_fields)
    models = load_models(pinned, roles=roles)
    for role in ("text", "vocab"):
        if role in models.missing:
            raise ModelUnavailable(unavailable_message(role, ids[role], models.missing[role]))
    return [ModelRetriever(models)]


def as_array(rows: list[list[float]]) -> np.ndarray:
    """A list of vectors as a float32 matrix."""
    return np.asarray(rows, dtype=np.float32)

"""Entity masking for app code: which spaCy model to load, and the masked query a search runs.

The recogniser is loaded once per process and model folder. The folder comes from the model layer
(``models.loader.load_encoder("ner")``: cache, imported folder or offline package); where that fails,
the installed en_core_web_sm package is used directly. With no model at all nothing crashes: indexing
embeds unmasked text and a masked search says so in its notes.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings, data_root

MASK_TOKEN = "[MASK]"  # the mask token of the BERT-vocabulary encoders this app uses
NO_NER_NOTE = "entity recogniser not available: {why}; searched without masking entities"

_lock = threading.Lock()
_loaded: dict[str, object] = {}
_failed: dict[str, str] = {}


def model_folder(settings: Settings, root: Path | None = None) -> Path | None:
    """The spaCy pipeline folder the settings choose, through the model layer when it resolves it."""
    from models.loader import load_encoder
    from models.verify import ModelError

    try:
        return Path(load_encoder("ner", settings.ner_model or None, cache_dir=(root or data_root()) / "models"))
    except (ModelError, OSError, KeyError, ValueError):
        return None  # fall back to the installed package (models.ner.find_installed)


def recogniser(settings: Settings | None = None, root: Path | None = None):
    """The shared EntityRecogniser, or raise ``NerUnavailable`` with the reason (remembered per process)."""
    from models.ner import EntityRecogniser, NerUnavailable

    settings = settings or Settings.load(root)
    folder = model_folder(settings, root)
    key = str(folder or "installed")
    with _lock:
        if key in _failed:
            raise NerUnavailable(_failed[key])
        if key not in _loaded:
            try:
                _loaded[key] = EntityRecogniser(folder)
            except NerUnavailable as exc:
                if folder is None:
                    _failed[key] = str(exc)
                    raise
                try:  # the resolved folder failed to load: the installed package is the last resort
                    _loaded[key] = EntityRecogniser(None)
                except NerUnavailable as exc2:
                    _failed[key] = str(exc2)
                    raise
        return _loaded[key]


@dataclass
class MaskedQuery:
    """A query as searched with entities masked."""

    text: str  # with each entity replaced by the mask token (what dense/sparse encoders get)
    lexical: str  # with the masked entities removed (what BM25 gets: "[MASK]" is no word)
    spans: list = field(default_factory=list)  # (start, end, type, text) in the original query
    notes: list[str] = field(default_factory=list)


def mask_query(text: str, settings: Settings | None = None, root: Path | None = None) -> MaskedQuery:
    """Mask the entities of ``settings.mask_entity_types`` in a query; unmasked with a note if no model."""
    from models.ner import NerUnavailable, apply_mask

    settings = settings or Settings.load(root)
    try:
        ner = recogniser(settings, root)
    except NerUnavailable as exc:
        return MaskedQuery(text, text, [], [NO_NER_NOTE.format(why=exc)])
    spans = ner.entities([text], settings.mask_entity_types)[0]
    masked = apply_mask(text, spans, MASK_TOKEN)
    lexical = re.sub(r"\s+", " ", apply_mask(text, spans, " ")).strip()
    return MaskedQuery(masked, lexical, spans)


def query_masker(settings: Settings | None = None, root: Path | None = None):
    """For the searcher: a callable text -> masked text, or None when no NER model is installed.

    Only checks that a model exists; spaCy loads on the first masked query, so opening a searcher
    (every CLI search) never pays for it.
    """
    from models.ner import NerUnavailable, find_installed

    settings = settings or Settings.load(root)
    if model_folder(settings, root) is None:
        try:
            find_installed()
        except NerUnavailable:
            return None

    def mask(text: str) -> str:
        return mask_query(text, settings, root).text

    return mask


__all__ = ["MASK_TOKEN", "MaskedQuery", "mask_query", "model_folder", "query_masker", "recogniser"]

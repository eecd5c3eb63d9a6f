"""app.news.minhash computes datasketch's affine32 MinHash bit for bit: the signatures already stored in
document metadata stay comparable with new ones (datasketch is a test dependency only)."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from app.news import reprints
from app.news.minhash import minhash

STORY = ("The steamer Ancona was sunk by an Austrian submarine in the Mediterranean yesterday with the loss "
         "of many lives, among them several Americans, according to dispatches received at Washington "
         "late last night from the consul at Naples and from the embassy in Rome")


def _datasketch(shingles: list[bytes], num_perm: int, seed: int) -> np.ndarray:
    mh = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    mh.update_batch(shingles)
    return mh.hashvalues


def test_random_shingle_sets_give_datasketchs_signatures():
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(1, 400))
        shingles = [rng.bytes(int(rng.integers(1, 30))) for _ in range(n)]
        for num_perm, seed in ((64, 1), (16, 7), (128, 12345)):
            want = _datasketch(shingles, num_perm, seed)
            got = minhash(shingles, num_perm, seed)
            assert got.dtype == np.uint32
            assert np.array_equal(got, want), (trial, num_perm, seed)


def test_no_shingles_is_datasketchs_empty_signature():
    assert np.array_equal(minhash([], 64, 1), MinHash(num_perm=64, seed=1, scheme="affine32").hashvalues)


def test_an_articles_stored_signature_is_the_one_datasketch_made():
    import base64

    sig = reprints.signature(STORY + " " + STORY.replace("Ancona", "Persia"))
    assert sig is not None
    words = [w for w in reprints._WORDS.findall((STORY + " " + STORY.replace("Ancona", "Persia")).lower())
             if len(w) >= reprints.MIN_LETTERS]
    shingles = list({" ".join(words[i : i + reprints.SHINGLE]).encode() for i in range(len(words) - 1)})
    want = _datasketch(shingles, reprints.NUM_PERM, reprints.SEED).astype("<u4").tobytes()
    assert base64.b64decode(sig) == want

"""MaxScore over the sparse postings returns the exhaustive top K, bit for bit (app.search.postings).

Real postings (Segment.from_lists, two segments, dead rows, saved and memory-mapped again) over a
skewed vocabulary like the 1M bench index's: a few near-universal ids with low query weights, many rare
ones. The MaxScore thresholds are lowered on the instance so this small collection takes that path.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from app.search import postings, postings_store
from app.search.postings import Postings, Segment

COMMON = np.arange(100, 104)  # ids carried by most rows
RARE = np.arange(1000, 1400)


def _rows(rng, n: int):
    ids, ws = [], []
    for _ in range(n):
        common = COMMON[rng.random(len(COMMON)) < 0.9]
        rare = rng.choice(RARE, size=int(rng.integers(3, 12)), replace=False)
        row = np.unique(np.concatenate([common, rare])).astype(np.int32)
        ids.append(row.tolist())
        ws.append((rng.random(len(row)) * 2 + 0.1).astype(np.float32).tolist())
    return pa.array(ids, pa.list_(pa.int32())), pa.array(ws, pa.list_(pa.float32()))


def _postings(rng, tmp_path=None) -> Postings:
    a, b = Segment.from_lists(*_rows(rng, 3000)), Segment.from_lists(*_rows(rng, 700))
    n = a.n_rows + b.n_rows
    pids = np.array([f"p{i}".encode() for i in range(n)], dtype="S")
    alive = rng.random(n) > 0.1
    p = Postings([a, b], pids, pids.copy(), alive, 1, 0.0, "test-vocab")
    if tmp_path is not None:  # through the saved form: memory-mapped columns, stored colmax and df
        for i, seg in enumerate(p.segments):
            seg.save(tmp_path / f"seg{i}")
        segs = [Segment.load(tmp_path / f"seg{i}", s.n_rows) for i, s in enumerate(p.segments)]
        p = Postings(segs, pids, pids.copy(), alive, 1, 0.0, "test-vocab", p.document_frequency())
    return p


def _queries(rng, k: int = 25):
    for _ in range(k):
        q = np.concatenate([COMMON, rng.choice(RARE, size=int(rng.integers(2, 8)), replace=False)]).astype(np.int32)
        w = np.where(np.isin(q, COMMON), rng.random(len(q)) * 0.2, rng.random(len(q)) * 3 + 0.5).astype(np.float32)
        yield q, w


@pytest.mark.parametrize("saved", [False, True])
def test_maxscore_equals_exhaustive(tmp_path, saved):
    rng = np.random.default_rng(3)
    p = _postings(rng, tmp_path if saved else None)
    used = 0
    for q, w in _queries(rng):
        for allowed in (None, rng.random(p.n_rows) > 0.3):
            p.maxscore_min_postings = 10**12
            want = p.top(q, w, 50, allowed)
            p.maxscore_min_postings, p.essential_postings, p.max_candidates = 0, 200, 400
            keep = p.alive if allowed is None else p.alive & allowed
            used += p._maxscore(np.asarray(q, np.int64), np.asarray(w, np.float64), 50, keep) is not None
            got = p.top(q, w, 50, allowed)
            assert got == want  # same passages, same order, same float scores
    assert used >= 40  # the bound check really cut the common columns short (not a fallback every time)


def test_document_frequency_counts_live_rows_only():
    rng = np.random.default_rng(5)
    p = _postings(rng)
    want = np.zeros(postings.VOCAB_SIZE, dtype=np.int64)
    offset = 0
    for seg in p.segments:
        indptr = np.asarray(seg.indptr)
        for t in np.flatnonzero(np.diff(indptr)):
            rows = np.asarray(seg.indices[indptr[t] : indptr[t + 1]]) + offset
            want[t] += int(p.alive[rows].sum())
        offset += seg.n_rows
    assert np.array_equal(p.document_frequency(chunk=1000), want)  # several chunks


def test_segment_columns_are_scipys_csc_of_the_rows(monkeypatch):
    """Segment.from_lists turns rows of (id, weight) lists into columns with numpy alone; scipy's CSR -> CSC
    conversion (which it used before) gives the same arrays."""
    import pyarrow as pa
    from scipy.sparse import csr_matrix

    from app.search import postings
    from app.search.postings import VOCAB_SIZE, Segment

    rng = np.random.default_rng(4)
    rows = [np.unique(rng.integers(0, VOCAB_SIZE, int(rng.integers(0, 40)))) for _ in range(500)]
    ids = pa.array([r.tolist() for r in rows], pa.list_(pa.int32()))
    weights = pa.array([rng.random(len(r)).astype(np.float32).tolist() for r in rows], pa.list_(pa.float32()))
    for sl, chunk in ((slice(None), 1 << 16), (slice(None), 100), (slice(123, 456), 7)):
        # A slice: arrow offsets not starting at 0. Small chunks: columns filled across many chunks.
        monkeypatch.setattr(postings, "TO_COLUMNS_CHUNK", chunk)
        seg = Segment.from_lists(ids[sl], weights[sl])
        i, w = ids[sl], weights[sl]
        indptr = np.asarray(i.offsets) - i.offsets[0].as_py()
        csc = csr_matrix((np.asarray(w.flatten()), np.asarray(i.flatten()), indptr), shape=(len(i), VOCAB_SIZE)).tocsc()
        csc.sort_indices()
        assert np.array_equal(seg.indptr, csc.indptr) and np.array_equal(seg.indices, csc.indices)
        assert np.array_equal(seg.data, csc.data) and seg.n_rows == len(i)


@pytest.mark.parametrize("saved", [False, True])
def test_scores_among_the_given_passages_are_the_whole_searchs(tmp_path, saved):
    """A hybrid search's sparse component (Postings.scores_among, then ranked): each given live passage with the exact score
    the exhaustive pass gives it, bit for bit, ranked the same way; unknown, dead and over-long ids left out."""
    rng = np.random.default_rng(5)
    p = _postings(rng, tmp_path if saved else None)
    p.maxscore_min_postings = 10**12  # the exhaustive pass: every row's exact score
    dead = [p.passage_ids[i].decode() for i in np.flatnonzero(~p.alive)[:20]]
    for q, w in _queries(rng, 12):
        everything = dict(p.top(q, w, p.n_rows))
        for size in (5, 200, 1500):  # both sides of FEW_ROWS, and of the short-column test
            given = [f"p{i}" for i in rng.choice(p.n_rows, size=size, replace=False)]
            got = p.ranked(*p.scores_among(given + dead + ["nope", "p" * 40], q, w), 100)
            live = [pid for pid in given if pid in everything]
            want = sorted(live, key=lambda pid: (-everything[pid], int(pid[1:])))[:100]
            assert [pid for pid, _ in got] == want
            assert all(score == everything[pid] for pid, score in got)  # the same float, not a close one
            assert not set(dead) & {pid for pid, _ in got}
    assert p.ranked(*p.scores_among([], q, w), 10) == []


def test_merged_segments_are_one_segment_of_their_rows_and_score_the_same():
    """Postings.update merges the appended segments past MAX_SEGMENTS: the merge is the segment of all their rows
    built at once, and searches over the merged postings give the same passages and float scores."""
    rng = np.random.default_rng(8)
    parts = [_rows(rng, n) for n in (900, 40, 1, 0, 75, 300)]  # one empty (a change with no sparse rows)
    segs = [Segment.from_lists(*part) for part in parts]
    merged = postings_store.merge_segments(segs[1:])
    whole = Segment.from_lists(pa.concat_arrays([p[0] for p in parts[1:]]), pa.concat_arrays([p[1] for p in parts[1:]]))
    assert merged.n_rows == whole.n_rows == 416
    assert np.array_equal(merged.indptr, whole.indptr) and np.array_equal(merged.indices, whole.indices)
    assert np.array_equal(merged.data, whole.data) and np.array_equal(merged.colmax, whole.colmax)
    n = sum(s.n_rows for s in segs)
    pids = np.array([f"p{i}".encode() for i in range(n)], dtype="S")
    alive = rng.random(n) > 0.1
    many = Postings(segs, pids, pids.copy(), alive, 1, 0.0, "test-vocab")
    two = Postings([segs[0], merged], pids, pids.copy(), alive, 1, 0.0, "test-vocab")
    given = [f"p{i}" for i in rng.choice(n, size=300, replace=False)]
    for q, w in _queries(rng, 10):
        for p in (many, two):
            p.maxscore_min_postings, p.essential_postings, p.max_candidates = 0, 200, 400
        assert two.top(q, w, 50) == many.top(q, w, 50)
        assert two.ranked(*two.scores_among(given, q, w), 100) == many.ranked(*many.scores_among(given, q, w), 100)
    assert postings_store.merge_segments([segs[3]]).n_rows == 0

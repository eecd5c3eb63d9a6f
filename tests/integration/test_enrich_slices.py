"""Pass 2's units of work (app.enrich._slices) on a real index: model runs per slice stay bounded, writes few.

A slice holds at most ``size`` passages of content new to the run; repeated content (a log of one line,
boilerplate) rides along up to ``MAX_SLICE`` rows, so a file of one repeated sentence is written in a few
big slices instead of hundreds of small ones (issue 10: the 50 MB repeated file, bench/repeated_text.py).
"""

from __future__ import annotations

from app.config import Settings
from app.enrich import MAX_SLICE, _slices, pending_by_doc
from app.index_run import index_paths
from app.stages import content_key
from app.store import Store


def test_repeated_content_rides_along_distinct_content_is_cut_every_size(home, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    line = "The pump at station four reported normal pressure today. "
    (folder / "repeated.txt").write_text((line * 4 + "\n\n") * 700, encoding="utf-8")
    (folder / "distinct.txt").write_text(
        "".join(f"Entry {i:04d}: the valve qx{i:04d} was opened by the night crew and logged.\n\n" for i in range(300)),
        encoding="utf-8")
    index_paths([folder], Settings(passage_chars=200), use_models=False)
    store = Store(home)
    todo = pending_by_doc(store)
    slices = list(_slices(store, todo, 64))
    by_path: dict[str, list[int]] = {}
    for docs, part in slices:
        assert len({p["doc_id"] for p in part}) == 1 and [d["doc_id"] for d in docs] == [part[0]["doc_id"]]
        by_path.setdefault(part[0]["path"], []).append(len(part))
    repeated, distinct = by_path[str(folder / "repeated.txt")], by_path[str(folder / "distinct.txt")]
    assert sum(repeated) > 2 * 64 and len(repeated) == -(-sum(repeated) // MAX_SLICE)  # one slice per MAX_SLICE rows
    assert sum(distinct) > 2 * 64 and max(distinct) == 64  # new content: at most 64 model runs per slice
    # Every passage comes exactly once, and no slice asks the models for more than 64 new contents.
    seen: set = set()
    for _, part in slices:
        fresh = {content_key(p) for p in part} - seen
        assert len(fresh) <= 64
        seen |= fresh
    assert sum(len(part) for _, part in slices) == sum(todo.values())

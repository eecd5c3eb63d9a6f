"""The retrieval modes a search can ask for, and the components that run: one list of each.

Read by the command line (``--mode`` of search, parallels and eval), evaluation, the fusion weights and
the words an export uses for a component. Importing it costs nothing.
"""

from __future__ import annotations

# Retrieval components, each with how an export names it to a person, in the order a result's JSON
# ``scores`` lists the components that did not find it (app.search.engine.fuse).
COMPONENTS: dict[str, str] = {
    "dense": "meaning (text model)",
    "clip": "pictures (image model)",
    "sparse": "vocabulary terms",
    "bm25": "words (BM25)",
}
# Modes a search can ask for; "auto" runs everything the index supports.
MODES = ("auto", "lexical", "dense", "sparse", "hybrid")
# The modes an evaluation measures one by one (auto is whichever of them the index supports).
MEASURED_MODES = tuple(m for m in MODES if m != "auto")

__all__ = ["COMPONENTS", "MEASURED_MODES", "MODES"]

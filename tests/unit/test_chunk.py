"""Passage splitting: the invariants hold on real and generated text, and boundaries are well chosen."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.ingest.chunk import split_passages, split_segments
from app.ingest.model import Segment

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "chronam-1916" / "dates"
WORDS = "the harbour ferry arrived late while fishermen met at dawn to mend nets and talk".split()


def check_invariants(text: str, passages: list[tuple[int, int]], hard_max: int) -> None:
    """Trimmed, non-empty, ordered, disjoint, within hard_max, and covering every visible character."""
    covered = [0] * len(text)
    previous_end = 0
    for start, end in passages:
        piece = text[start:end]
        assert piece and piece == piece.strip()
        assert start >= previous_end
        assert end - start <= hard_max
        previous_end = end
        for i in range(start, end):
            covered[i] += 1
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert covered[i] == 1, f"character {i} {ch!r} covered {covered[i]} times"


def prose(rng: random.Random, paragraphs: int) -> str:
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(1, 12)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 30))]
            sentences.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", '."']))
        out.append(rng.choice([" ", "\n"]).join(sentences))
    return rng.choice(["", "  \n"]) + rng.choice(["\n\n", "\n \n", "\n\f\n"]).join(out) + "\n"


def test_empty_and_whitespace():
    assert split_passages("") == []
    assert split_passages(" \n\t\f\n ") == []


def test_short_text_is_one_trimmed_passage():
    text = "\n\n  A short note.\n\nWith two paragraphs.  \n"
    assert split_passages(text) == [(4, 39)]
    assert text[4:39] == "A short note.\n\nWith two paragraphs."


@pytest.mark.parametrize("seed", range(40))
def test_invariants_on_generated_prose(seed):
    rng = random.Random(seed)
    text = prose(rng, rng.randint(1, 30))
    target = rng.choice([50, 200, 1000])
    hard_max = target + rng.choice([0, target // 2, target])
    check_invariants(text, split_passages(text, target, hard_max), hard_max)


def test_cuts_at_paragraphs_when_they_fit():
    paragraphs = [("Para %d. " % i) + "word " * 70 for i in range(6)]  # ~360 chars each
    text = "\n\n".join(p.strip() for p in paragraphs)
    passages = split_passages(text, target=1000, hard_max=1500)
    assert len(passages) == 3
    for start, end in passages:
        assert text[start:].startswith("Para ")
        assert end == len(text) or text[end:end + 2] == "\n\n"


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "This sentence is about sixty characters long, give or take."
    text = " ".join([sentence] * 60)  # one paragraph, ~3600 characters
    passages = split_passages(text, target=1000, hard_max=1500)
    assert len(passages) >= 4
    assert all(text[start:end].endswith("take.") for start, end in passages)
    assert all(end - start <= 1000 for start, end in passages)


def test_text_without_punctuation_is_cut_at_whitespace():
    text = " ".join(["word"] * 1000)
    passages = split_passages(text, target=300, hard_max=450)
    check_invariants(text, passages, 450)
    assert all(text[start:end].startswith("word") and text[start:end].endswith("word") for start, end in passages)


def test_huge_single_token_is_cut_blindly_within_hard_max():
    text = "intro\n\n" + "x" * 5000 + "\n\noutro"
    passages = split_passages(text, target=1000, hard_max=1500)
    check_invariants(text, passages, 1500)
    assert len(passages) == 5  # intro joins the first cut (too small alone); outro the last
    assert text[passages[0][0]:passages[0][1]].startswith("intro\n\nxxx")


def test_japanese_is_cut_at_full_stops():
    text = "東京の港に船が着いた。" * 300
    passages = split_passages(text, target=100, hard_max=150)
    check_invariants(text, passages, 150)
    assert all(text[start:end].endswith("。") for start, end in passages)


def test_no_tiny_trailing_passage():
    text = "word " * 210 + "\n\nEnd."  # ~1050 chars then a 4-char paragraph
    passages = split_passages(text, target=1000, hard_max=1500)
    assert all(end - start > 200 for start, end in passages)
    check_invariants(text, passages, 1500)


def test_bad_parameters():
    with pytest.raises(ValueError):
        split_passages("x", target=100, hard_max=50)
    with pytest.raises(ValueError):
        split_passages("x", target=0)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared sample data not present")
def test_real_newspaper_ocr():
    for path in sorted(DATA.glob("*/*.txt"))[:20]:
        text = path.read_text(encoding="utf-8")
        passages = split_passages(text)
        check_invariants(text, passages, 1500)
        sizes = sorted(end - start for start, end in passages)
        assert sizes[len(sizes) // 2] >= 500  # "about target": the median passage is not tiny


def test_segments_are_never_crossed_and_gaps_are_kept():
    rng = random.Random(5)
    articles = [prose(rng, rng.randint(1, 6)).strip() for _ in range(4)]
    text, segments = "MASTHEAD  THE DAILY HARBOUR\n\n", []
    for i, article in enumerate(articles):
        start = len(text)
        text += article
        segments.append(Segment(start, len(text), title=f"article {i}"))
        text += "\n\n"
    passages = split_segments(text, list(reversed(segments)), target=300, hard_max=450)
    check_invariants(text, passages, 450)
    assert text[passages[0][0]:passages[0][1]] == "MASTHEAD  THE DAILY HARBOUR"
    bounds = {seg.start for seg in segments} | {seg.end for seg in segments}
    for start, end in passages:
        assert not any(start < b < end for b in bounds)


def test_segments_none_or_empty_fall_back():
    text = "One.\n\nTwo."
    assert split_segments(text, None) == split_segments(text, []) == split_passages(text)


def test_overlapping_segments_are_clipped():
    text = "aaaa bbbb cccc dddd"
    passages = split_segments(text, [Segment(0, 9), Segment(5, 19)], target=100, hard_max=100)
    assert passages == [(0, 9), (10, 19)]

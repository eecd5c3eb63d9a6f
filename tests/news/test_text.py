"""OCR clean-up (with its offset map) and article splitting."""

from __future__ import annotations

from pathlib import Path

from app.news.clean import clean_ocr
from app.ingest.readers.news.split import split_articles
from tests.news.fixtures import OTHER, WIRE, page

CHRONAM = Path(__file__).resolve().parents[3] / "shared" / "data" / "chronam-1916"


def test_hyphenation_joined_and_mapped_back():
    original = "The gov-\nernment will\nact to-\nday. | The purpose of the pur\npose ^ is\n\n  clear."
    c = clean_ocr(original)
    assert c.text == "The government will act today. The purpose of the purpose is clear."
    for word, source in (("government", "gov-\nernment"), ("today", "to-\nday"), ("purpose is", "pur\npose ^ is")):
        i = c.text.rindex(word) if word != "government" else c.text.index(word)
        start, end = c.to_original(i, i + len(word))
        assert original[start:end] == source


def test_offset_map_round_trips_every_character():
    original = "  WAR!!  news * from\nthe front-\nline\n\nt\nSecretary   Lansing's note."
    c = clean_ocr(original)
    assert len(c.offsets) == len(c.text) + 1
    for i, ch in enumerate(c.text):
        if ch != " ":
            assert original[c.offsets[i]] == ch
    assert c.offsets == sorted(c.offsets)
    start, end = c.to_original(c.text.index("Lansing"), c.text.index("Lansing") + 7)
    assert original[start:end] == "Lansing"


def test_broken_word_without_hyphen_joined_only_when_known():
    # Chronicling America text often drops the hyphen: join only words that occur unbroken elsewhere.
    c = clean_ocr("They came to\nday after day.\nThe pur\npose. It was in\nthe night, today.")
    assert "came today after day." in c.text
    assert "The pur pose." in c.text
    assert "in the night" in c.text


def test_articles_split_at_headlines_with_decks():
    text = page("TROOPERS FREED BY MEXICANS", WIRE, "FAIR ELECTS OFFICERS", OTHER)
    segments = split_articles(text)
    assert [s.title for s in segments if s.title][-2:] == ["Troopers freed by mexicans", "Fair elects officers"]
    wire = next(s for s in segments if s.title.startswith("Troopers"))
    body = text[wire.start:wire.end]
    assert "Officials Confer at Capital" in body and "Carrizal" in body and "county fair" not in body
    assert all(a.end <= b.start for a, b in zip(segments, segments[1:]))


def test_plain_prose_is_not_split():
    assert split_articles("Dear diary,\nIt rained all day.\nNothing else happened.\n") is None


def test_real_chronam_pages_split_into_many_articles():
    pages = sorted((CHRONAM / "dates").glob("*/*.txt"))[:10]
    assert pages, "the chronam-1916 sample data is missing"
    counts = [len(split_articles(p.read_text(encoding="utf-8")) or []) for p in pages]
    assert sum(c >= 5 for c in counts) >= 7

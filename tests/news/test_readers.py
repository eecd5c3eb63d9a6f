"""Newspaper readers on real files in the real layouts."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.ingest.model import Skip
from app.ingest.readers import kind_for, read
from tests.news.fixtures import STORIES, make_chronam, make_loc_batch

MAX = 10_000_000


def test_chronam_page_has_paper_place_date_and_articles(tmp_path):
    base = make_chronam(tmp_path)
    path = base / "dates" / "19160704" / "2010270504-ed-1_seq-1.txt"
    assert kind_for(path) == "news"
    ex = read(path, max_bytes=MAX)
    assert ex.kind == "news" and ex.date == "1916-07-04"
    assert ex.meta["newspaper"] == "The North Platte semi-weekly tribune"
    assert ex.meta["place"] == "North Platte, Nebraska"
    assert (ex.meta["state"], ex.meta["city"]) == ("Nebraska", "North Platte")
    assert (ex.meta["lccn"], ex.meta["edition"], ex.meta["page"]) == ("2010270504", 1, 1)
    assert ex.text == path.read_text(encoding="utf-8")  # the original OCR is what is stored and shown
    titles = [s.title for s in ex.segments]
    assert "Prisoners return to border" in titles and "County fair plans" in titles


def test_chronam_without_titles_is_still_news(tmp_path):
    folder = tmp_path / "dates" / "19160704"
    folder.mkdir(parents=True)
    page = folder / "sn99999999-ed-2_seq-3.txt"
    page.write_text("FLOOD\nThe river rose in the night.\n", encoding="utf-8")
    ex = read(page, max_bytes=MAX)
    assert ex.kind == "news" and ex.date == "1916-07-04" and "newspaper" not in ex.meta
    assert (ex.meta["edition"], ex.meta["page"]) == (2, 3)


def test_title_records_are_skipped_with_a_reason(tmp_path):
    base = make_chronam(tmp_path)
    with pytest.raises(Skip, match="title record"):
        read(base / "titles" / "sn82014086.json", max_bytes=MAX)


def test_loc_batch_prefers_alto(tmp_path):
    base = make_loc_batch(tmp_path)
    seq = base / "sn82014086" / "1916-07-04" / "ed-1" / "seq-3"
    ex = read(seq / "ocr.xml", max_bytes=MAX)
    assert ex.kind == "news" and ex.date == "1916-07-04"
    assert ex.meta["newspaper"] == "Norwich bulletin" and ex.meta["place"] == "Norwich, Connecticut"
    assert ex.meta["page"] == 3 and ex.meta["source_format"] == "alto"
    assert ex.text == "GREAT FLOOD\n\nThe gov-\nernment sent aid."
    with pytest.raises(Skip, match="ocr.xml"):
        read(seq / "ocr.txt", max_bytes=MAX)


def test_alto_with_entities_is_refused(tmp_path):
    seq = tmp_path / "sn82014086" / "1916-07-04" / "ed-1" / "seq-1"
    seq.mkdir(parents=True)
    (seq / "ocr.xml").write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><alto>&x;</alto>')
    with pytest.raises(Skip, match="DTD"):
        read(seq / "ocr.xml", max_bytes=MAX)


def test_marked_folder_makes_txt_news_with_date_from_path(tmp_path):
    folder = tmp_path / "clippings" / "1917_04_06"
    folder.mkdir(parents=True)
    (tmp_path / "clippings" / ".lexiscope-news").write_text("")
    (folder / "war.txt").write_text("WAR DECLARED\nCongress voted for war.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not news", encoding="utf-8")
    ex = read(folder / "war.txt", max_bytes=MAX)
    assert ex.kind == "news" and ex.date == "1917-04-06"
    assert read(tmp_path / "notes.txt", max_bytes=MAX).kind == "text"


def _american_stories_check(ex):
    assert ex.kind == "collection" and len(ex.records) == 2
    first = ex.records[0]
    assert first.kind == "news" and first.title == "TROOPERS FREED" and first.date == "1916-07-04"
    assert first.meta["newspaper"] == "The Washington times." and first.meta["byline"] == "By United Press"
    assert first.meta["record_id"] == STORIES[0]["article_id"] and first.meta["page"] == "p1"


def test_american_stories_jsonl_json_and_parquet(tmp_path):
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in STORIES), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(STORIES), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(STORIES), tmp_path / "a.parquet")
    for name in ("a.jsonl", "a.json", "a.parquet"):
        _american_stories_check(read(tmp_path / name, max_bytes=MAX))


def test_jsonl_without_text_column_is_skipped(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"a": 1, "b": 2}\n', encoding="utf-8")
    with pytest.raises(Skip, match="no text column"):
        read(tmp_path / "x.jsonl", max_bytes=MAX)


def test_csv_with_mapping_file(tmp_path):
    (tmp_path / "papers.csv").write_text(
        "row,paper,when,head,ocr_text,town\n"
        "r1,The Sun,1916-07-04,STRIKE ENDS,The strike at the docks ended today.,New York\n",
        encoding="utf-8",
    )
    mapping = {"id": "row", "text": "ocr_text", "date": "when", "title": "head", "newspaper": "paper", "place": "town"}
    (tmp_path / "lexiscope-columns.json").write_text(json.dumps(mapping), encoding="utf-8")
    ex = read(tmp_path / "papers.csv", max_bytes=MAX)
    rec = ex.records[0]
    assert (rec.kind, rec.title, rec.date) == ("news", "STRIKE ENDS", "1916-07-04")
    assert rec.meta == {"record_id": "r1", "newspaper": "The Sun", "place": "New York"}
    with pytest.raises(Skip, match="column mapping"):
        read(tmp_path / "lexiscope-columns.json", max_bytes=MAX)


def test_csv_columns_guessed_without_mapping(tmp_path):
    (tmp_path / "g.csv").write_text("headline,date,body,source\nA,Jul-04-1916,Some words.,Herald\n", encoding="utf-8")
    rec = read(tmp_path / "g.csv", max_bytes=MAX).records[0]
    assert (rec.title, rec.date, rec.text, rec.meta["newspaper"]) == ("A", "1916-07-04", "Some words.", "Herald")

"""Query arithmetic parsing."""

from pathlib import Path

from app.search.query import Term, parse, text_of


def test_plain_text_is_one_term():
    assert parse("covid-19 in well-known cities") == [Term(1.0, "covid-19 in well-known cities")]


def test_weights_and_images(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.jpg").write_bytes(b"x")
    terms = parse("beach +0.5 ./photo.jpg -crowd")
    assert terms == [Term(1.0, "beach"), Term(0.5, image=Path("./photo.jpg")), Term(-1.0, "crowd")]
    assert text_of(terms) == "beach"


def test_missing_image_stays_text_and_extra_image_is_added(tmp_path: Path):
    terms = parse("nothing.jpg here", image=tmp_path / "x.png")
    assert terms[0] == Term(1.0, "nothing.jpg here") and terms[1].image == tmp_path / "x.png"

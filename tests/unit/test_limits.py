"""Per-file ceilings: hostile files are skipped (or read the cheap way) with a reason, before they cost
minutes or gigabytes. The bombs are small files that are equivalent where it matters (a header claiming
huge dimensions, a zip directory declaring huge members, a sparse file of NULs)."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest

from app.ingest.model import Skip
from app.ingest.readers import read
from app.ingest.readers.html import MAX_DEPTH, nesting_depth
from app.ingest.readers.news.records import read_records

LIMIT = 200_000_000


def _png_claiming(path, width, height):
    """A valid PNG signature and IHDR claiming width×height, with one tiny IDAT (a pixel-bomb header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def test_pixel_bomb_is_skipped_before_decoding(tmp_path):
    with pytest.raises(Skip, match="12000×12000 pixels"):
        read(_png_claiming(tmp_path / "bomb.png", 12000, 12000), max_bytes=LIMIT)
    with pytest.raises(Skip, match="too large to decode|pixels"):
        read(_png_claiming(tmp_path / "huge.png", 40000, 40000), max_bytes=LIMIT)


def test_docx_zip_bomb_is_skipped_before_parsing(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * 30_000_000 + b"</w:document>")
    assert path.stat().st_size < 100_000
    with pytest.raises(Skip, match=r"expands to 30 MB when unzipped"):
        read(path, max_bytes=LIMIT)


def test_nul_file_is_called_binary_from_its_first_bytes(tmp_path):
    path = tmp_path / "zeros.txt"
    with open(path, "wb") as fh:  # sparse: 190 MB of NULs that take no disk
        fh.truncate(190_000_000)
    with pytest.raises(Skip, match="first 64 KB"):
        read(path, max_bytes=LIMIT)


def test_utf16_without_bom_is_not_mistaken_for_binary(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("Plain words in UTF-16, no byte-order mark.\n".encode("utf-16-le") * 50)
    try:
        ex = read(path, max_bytes=LIMIT)
    except Skip as exc:
        assert "first 64 KB" not in str(exc)  # the NUL-run rule must not fire on UTF-16 text
    else:
        assert "UTF-16" in ex.text


def test_deeply_nested_html_is_read_as_plain_text(tmp_path):
    depth = 3000
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * depth + "needle in the haystack" + "</div>" * depth
                    + "<script>var hidden = 1;</script></body></html>", encoding="utf-8")
    assert nesting_depth(path.read_text()) == depth + 2
    ex = read(path, max_bytes=LIMIT)
    assert "needle in the haystack" in ex.text and "hidden" not in ex.text
    assert f"limit {MAX_DEPTH}" in ex.meta["note"]
    normal = tmp_path / "normal.html"
    normal.write_text("<html><body><p>one<p>two<ul><li>a<li>b</ul></body></html>", encoding="utf-8")
    assert "note" not in read(normal, max_bytes=LIMIT).meta


def test_one_bad_jsonl_line_skips_only_that_record(tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [json.dumps({"id": i, "text": f"Article number {i}.", "date": "1916-07-04"}) for i in range(500)]
    lines.insert(250, '{"id": "broken", "text": "no closing brace"')
    lines.insert(400, "[1, 2, 3]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ex = read_records(path, max_bytes=LIMIT)
    assert len(ex.records) == 500
    assert ex.meta["bad_records"] == 2
    assert ex.meta["bad_lines"][0].startswith("line 251: not JSON")
    assert ex.meta["bad_lines"][1] == "line 401: not a JSON object"


def test_one_bad_csv_row_skips_only_that_record(tmp_path):
    path = tmp_path / "articles.csv"
    rows = ["id,date,text"] + [f'{i},1916-01-05,"Article {i}, with a comma"' for i in range(500)]
    rows.insert(101, "oops,1916-01-05,too,many,fields")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ex = read_records(path, max_bytes=LIMIT)
    assert len(ex.records) == 500
    assert ex.meta["bad_lines"] == ["line 102: 5 fields where the header has 3"]

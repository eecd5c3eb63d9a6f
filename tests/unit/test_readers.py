"""Readers on real files: every odd-tree file reaches its expected state, and the details are right."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from app.ingest.model import Skip
from app.ingest.readers import SUPPORTED_EXTENSIONS, kind_for, make_thumbnail, read
from app.ingest.readers.pdf import PAGE_SEPARATOR, page_of
from tests.fixtures import odd_tree
from tests.fixtures.odd_tree import make_odd_tree

LIMIT = 10 * 1024 * 1024
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("odd")
    return root, make_odd_tree(root)


def _state(path: Path) -> str:
    try:
        read(path, max_bytes=LIMIT)
    except Skip:
        return "skipped"
    except Exception:
        return "failed"
    return "indexed"


def test_every_odd_file_reaches_its_expected_state(tree):
    root, expected = tree
    states = {rel: _state(root / rel) for rel in expected}
    assert states == expected


def test_all_three_states_are_exercised(tree):
    _, expected = tree
    assert set(expected.values()) == {"indexed", "skipped", "failed"}


def test_cp1252_is_decoded_exactly(tree):
    root, _ = tree
    doc = read(root / "encodings/cp1252 notes.txt", max_bytes=LIMIT)
    assert doc.text == odd_tree.CP1252_TEXT
    assert doc.meta["encoding"] == "cp1252"
    assert doc.kind == "text" and doc.date is None


def test_utf16_with_bom(tree):
    root, _ = tree
    doc = read(root / "encodings/utf16 bom.txt", max_bytes=LIMIT)
    assert doc.text == odd_tree.UTF16_TEXT
    assert doc.meta["encoding"] == "utf-16"


def test_utf8_bom_is_dropped_and_crlf_normalised(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffFirst line\r\nsecond\r\n".encode("utf-8"))
    doc = read(path, max_bytes=LIMIT)
    assert doc.text == "First line\nsecond\n"
    assert doc.meta["encoding"] == "utf-8-sig"
    assert doc.title == "First line"


def test_binary_and_empty_files_are_skipped_with_reasons(tree, tmp_path):
    root, _ = tree
    with pytest.raises(Skip, match="^binary content, not text$"):
        read(root / "junk/binary junk.txt", max_bytes=LIMIT)
    with pytest.raises(Skip, match="^empty$"):
        read(root / "junk/empty.txt", max_bytes=LIMIT)
    blank = tmp_path / "blank.md"
    blank.write_text("  \n\n\t\n")
    with pytest.raises(Skip, match="^empty$"):
        read(blank, max_bytes=LIMIT)
    nuls = tmp_path / "nuls.txt"
    nuls.write_bytes(b"text\x00\x00\x00\x01\x02more\x00" * 50)
    with pytest.raises(Skip, match="binary"):
        read(nuls, max_bytes=LIMIT)


def test_unsupported_and_too_large(tree, tmp_path):
    root, _ = tree
    with pytest.raises(Skip) as info:
        read(root / "junk/data.xyz", max_bytes=LIMIT)
    assert str(info.value) == "unsupported file type '.xyz'"
    big = tmp_path / "big.TXT"
    big.write_bytes(b"a" * 3_400_000)
    with pytest.raises(Skip) as info:
        read(big, max_bytes=2_000_000)
    assert str(info.value) == "too large (3.4 MB > limit 2 MB)"
    assert read(big, max_bytes=3_400_000).kind == "text"  # the limit itself is allowed


def test_titles(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("intro line\n\n## The *real* title ##\n\nbody\n")
    assert read(md, max_bytes=LIMIT).title == "The real title"
    rst = tmp_path / "doc.rst"
    rst.write_text("=======\n\n   Spaced    title  \n=======\n")
    assert read(rst, max_bytes=LIMIT).title == "Spaced title"
    long = tmp_path / "long.txt"
    long.write_text("word " * 100)
    title = read(long, max_bytes=LIMIT).title
    assert len(title) <= 120 and title.startswith("word word") and title.endswith("…")
    symbols = tmp_path / "only_symbols.txt"
    symbols.write_text("----\n****\n")
    assert read(symbols, max_bytes=LIMIT).title == "only_symbols"


def test_html_drops_scripts_and_keeps_paragraphs(tree):
    root, _ = tree
    doc = read(root / "web/page.html", max_bytes=LIMIT)
    assert doc.title == "Harbour news"
    for hidden in (odd_tree.SCRIPT_WORD, odd_tree.STYLE_WORD, "Enable JavaScript", "template text"):
        assert hidden not in doc.text
    assert "The ferry arrived late." in doc.text  # inline tags and source line breaks collapse
    assert "late.\n\nFishermen" in doc.text  # paragraphs stay apart


def test_html_in_legacy_encoding_without_title(tmp_path):
    path = tmp_path / "old page.htm"
    path.write_bytes("<p>Crème brûlée — “très” bon, 3 €.</p><p>Ça va.</p>".encode("cp1252") * 3)
    doc = read(path, max_bytes=LIMIT)
    assert "Crème brûlée — “très” bon, 3 €." in doc.text
    assert doc.title == "Crème brûlée — “très” bon, 3 €."


def test_pdf_pages_title_and_offsets(tree):
    root, _ = tree
    doc = read(root / "docs/report.pdf", max_bytes=LIMIT)
    assert doc.title == "Quarterly Harbour Report"
    offsets = doc.meta["page_offsets"]
    assert offsets[0] == 0 and len(offsets) == doc.meta["pages"] == 2
    assert doc.text[offsets[1]:].startswith("Second page")
    assert doc.text[: offsets[1]].endswith(PAGE_SEPARATOR)
    assert "Ships arrived" in doc.text
    marker = doc.text.index(odd_tree.PDF_PAGE2_WORD)
    assert page_of(offsets, marker) == 2 and page_of(offsets, 0) == 1


def test_pdf_without_text_layer_is_skipped(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(odd_tree.image_only_pdf())
    with pytest.raises(Skip) as info:
        read(path, max_bytes=LIMIT)
    assert str(info.value) == "no text layer (scanned PDF; OCR not supported yet)"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_damaged_pdf_fails_with_clear_message(tmp_path, cut):
    data = odd_tree.text_pdf()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ValueError, match="cannot open PDF"):
        read(path, max_bytes=LIMIT)


def test_docx_paragraphs_tables_title_date(tree):
    root, _ = tree
    doc = read(root / "docs/memo.docx", max_bytes=LIMIT)
    assert doc.title == "Memo on the harbour"
    assert doc.date == "2021-03-04"
    assert "The pier needs repairs" in doc.text
    assert "tablecellvalue 1200" in doc.text and "Timber" in doc.text


def test_image_metadata(tree):
    root, _ = tree
    photo = read(root / "photos/holiday_snap-2019.jpg", max_bytes=LIMIT)
    assert photo.kind == "image" and photo.text == ""
    assert photo.title == "holiday snap 2019"
    assert photo.date == odd_tree.EXIF_DATE
    assert photo.meta == {"width": 320, "height": 240, "format": "JPEG", "camera": odd_tree.EXIF_CAMERA}
    plain = read(root / "photos/plain.png", max_bytes=LIMIT)
    assert plain.date is None and "camera" not in plain.meta
    assert (plain.meta["width"], plain.meta["height"], plain.meta["format"]) == (64, 48, "PNG")


def test_truncated_jpeg_raises(tree):
    root, _ = tree
    with pytest.raises(OSError, match="truncated"):
        read(root / "photos/truncated.jpg", max_bytes=LIMIT)


def test_kind_for_and_extensions():
    assert kind_for(Path("a/B.JPG")) == "image"
    assert kind_for(Path("x.Md")) == "text"
    assert kind_for(Path("x.pdf")) == "text"
    assert kind_for(Path("x.xyz")) is None and kind_for(Path("README")) is None
    assert {".txt", ".md", ".rst", ".html", ".htm", ".pdf", ".docx", ".jpg", ".jpeg", ".png", ".webp",
            ".gif", ".bmp", ".tif", ".tiff"} <= SUPPORTED_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in SUPPORTED_EXTENSIONS)


def test_thumbnail_is_upright_rgb_jpeg(tmp_path):
    src = tmp_path / "rotated.jpg"
    # 400x200 stored pixels with orientation 6 (rotate 90°): the photo is really 200 wide, 400 tall.
    src.write_bytes(odd_tree.jpeg_bytes(size=(400, 200), orientation=6))
    dest = tmp_path / "thumbs" / "t.jpg"
    make_thumbnail(src, dest, size=128)
    with Image.open(dest) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"
        assert thumb.size == (64, 128)
    assert os.listdir(dest.parent) == ["t.jpg"]  # no temporary file left behind


def test_thumbnail_of_transparent_png_replaces_existing(tmp_path):
    src = tmp_path / "logo.png"
    src.write_bytes(odd_tree.png_bytes(size=(300, 30), mode="RGBA"))
    dest = tmp_path / "t.jpg"
    dest.write_bytes(b"stale")
    make_thumbnail(src, dest)
    with Image.open(dest) as thumb:
        assert thumb.size == (256, 26) and thumb.mode == "RGB"


@pytest.mark.skipif(not DATA.is_dir(), reason="shared sample data not present")
def test_real_sample_data_reads(tmp_path):
    images = sorted((DATA / "images").glob("*.[pj][np]g"))
    pages = sorted((DATA / "chronam-1916" / "dates").glob("*/*.txt"))
    assert images and pages
    for path in images:
        doc = read(path, max_bytes=LIMIT)
        assert doc.kind == "image" and doc.meta["width"] > 0
        make_thumbnail(path, tmp_path / f"{path.stem}.jpg")
    for path in pages:
        doc = read(path, max_bytes=LIMIT)
        assert doc.text.strip() and doc.title and doc.meta["encoding"] == "utf-8"


def test_docx_merged_cell_is_read_once(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "spanningcell"
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert read(path, max_bytes=LIMIT).text.count("spanningcell") == 1

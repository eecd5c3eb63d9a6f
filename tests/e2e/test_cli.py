"""The ``lexiscope`` command on a real folder of odd files, as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.odd_tree import make_odd_tree


def cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEXISCOPE_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"lexiscope {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def indexed(home: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    root = tmp_path / "Research ünïcode"
    expected = make_odd_tree(root)
    (root / "formula.txt").write_text("=HYPERLINK(\"http://x\")\nA note that starts like a spreadsheet formula.\n")
    expected["formula.txt"] = "indexed"
    cli(home, "index", str(root), "--lexical-only")
    return home, root, expected


def test_status_accounts_for_every_file(indexed):
    home, root, expected = indexed
    info = json.loads(cli(home, "status", "--json").stdout)
    assert info["documents"] == len(expected)
    wanted = {k: v for k, v in expected.items() if v != "indexed"}
    got = {Path(p["path"]).relative_to(root).as_posix(): p["state"] for p in info["problems"]}
    assert got == wanted
    assert all(p["reason"] for p in info["problems"])
    text = cli(home, "status").stdout
    assert "binary junk.txt" in text and "unsupported file type" in text


def test_search_json_schema(indexed):
    home, root, _ = indexed
    out = json.loads(cli(home, "search", "ferry", "--json").stdout)
    assert out["query"] == "ferry"
    first = out["results"][0]
    assert {"rank", "score", "path", "kind", "title", "date", "snippet"} <= set(first)
    assert first["rank"] == 1 and first["path"] == str(root / "web/page.html") and first["kind"] == "text"
    s, e = first["highlights"][0]
    assert first["snippet"][s:e].lower() == "ferry"
    assert set(first["scores"]) >= {"bm25", "fused"}


def test_markup_in_file_names_is_printed_literally(indexed):
    home, root, _ = indexed
    out = cli(home, "search", "ampersands").stdout
    assert "<b>bold</b> & co.txt" in out


def test_export_csv_is_spreadsheet_safe_and_carries_provenance(indexed, tmp_path):
    home, _, _ = indexed
    target = tmp_path / "out.csv"
    cli(home, "export", "spreadsheet formula", "--format", "csv", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))  # no options: the first line is the header
    assert rows, text
    prov = json.loads((tmp_path / "out.provenance.json").read_text(encoding="utf-8"))["provenance"]
    assert prov["query"] == "spreadsheet formula" and prov["app"].startswith("lexiscope")
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert any(v.startswith("'=HYPERLINK") for row in rows for v in row.values())
    for fmt in ("jsonl", "md", "html"):
        out = tmp_path / f"out.{fmt}"
        cli(home, "export", "harbour", "-o", str(out))
        assert "harbour" in out.read_text(encoding="utf-8").lower()


def test_bad_arguments_give_clear_messages(home, tmp_path):
    proc = cli(home, "index", str(tmp_path / "nope"), check=False)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    proc = cli(home, "search", "x", "--after", "July", check=False)
    assert proc.returncode == 2 and "not a date" in proc.stderr
    proc = cli(home, "search", "x", "--k", "0", check=False)
    assert proc.returncode == 2 and "must be at least 1" in proc.stderr
    proc = cli(home, "export", "x", "-o", str(tmp_path / "missing" / "out.csv"), check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_kill_during_indexing_leaves_an_index_that_opens_and_completes(home, tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(600):
        (folder / f"doc {i:04}.txt").write_text(f"Document {i} mentions narwhal{i}. " * 40, encoding="utf-8")
    env = {**os.environ, "LEXISCOPE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "index", str(folder), "--lexical-only"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until some batches are written, then kill -9 in the middle of the run.
    passages = home / "index" / "passages.lance"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if passages.exists() and len(list((passages / "_versions").glob("*"))) >= 3:
            break
        time.sleep(0.02)
    # The run must still be going: a run that finished before the kill would test nothing.
    assert proc.poll() is None, "the index run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    out = json.loads(cli(home, "search", "document", "--json").stdout)  # opens and searches
    assert isinstance(out["results"], list)
    cli(home, "index", str(folder), "--lexical-only")
    info = json.loads(cli(home, "status", "--json").stdout)
    assert info["by_state"] == {"indexed": 600}
    hit = json.loads(cli(home, "search", "narwhal599", "--json").stdout)["results"]
    assert [r["path"] for r in hit] == [str(folder / "doc 0599.txt")]
    from collections import Counter

    from app.store import Store

    store = Store(home)
    ids = [r["passage_id"] for r in store.passage_rows("true", ["passage_id"])]
    assert len(ids) == len(set(ids))  # nothing written twice
    # Nothing missing or left over: each of the 600 documents holds exactly the passages it says it has.
    docs = {d["doc_id"]: d["n_passages"] for d in store.document_rows(["doc_id", "n_passages"])}
    per_doc = Counter(r["doc_id"] for r in store.passage_rows("true", ["doc_id"]))
    assert len(docs) == 600 and all(n > 0 for n in docs.values())
    assert dict(per_doc) == docs

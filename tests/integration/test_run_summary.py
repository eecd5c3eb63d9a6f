"""What a run's summary counts: "skipped" is a file of the user's that was left out, never a title record."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.config import Settings
from app.index_run import index_paths
from app.sources import source_summary
from app.store import Store
from tests.news.fixtures import TITLES, make_chronam


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    """A Chronicling America folder (title records + pages) with one file that really is skipped."""
    base = make_chronam(tmp_path)
    (base / "notes.xyz").write_text("a file of a type Lexiscope does not read", encoding="utf-8")
    return base


def test_title_records_are_counted_apart_from_skipped_files(home, papers):
    report = index_paths([papers], Settings(), root=home, use_models=False)
    assert report.skipped == 1 and report.failed == 0
    assert [Path(p["path"]).name for p in report.problems] == ["notes.xyz"]
    assert report.metadata == {"title record": len(TITLES)}
    # The run's count and the window's list (app.sources) name the same files.
    listed = source_summary(Store(home), [str(papers)])["problems"]
    assert [p["path"] for p in listed] == [p["path"] for p in report.problems]


def test_cli_summary_and_status_say_skipped_only_for_the_users_files(home, papers, capsys):
    assert main(["index", str(papers), "--lexical-only"]) == 0
    out = capsys.readouterr().out
    assert ", 1 skipped," in out, out
    assert f"Also read {len(TITLES)} title records: metadata for the other files, not documents." in out
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Skipped: 1   Failed: 0" in out, out
    assert "notes.xyz" in out and "titles" not in out


def test_the_cluster_stage_reports_title_records_for_the_driver_to_count(papers):
    """A Ray run reads files with app.cluster.stages (no Ray needed here) and its driver counts each unit's
    problem with IndexReport.add_problem: title records must reach it, and land apart from skipped."""
    from app.cluster.stages import read_units, stable_doc_id
    from app.pipeline import IndexReport

    paths = sorted((papers / "titles").glob("*.json")) + [papers / "notes.xyz"]
    files = [{"path": str(p), "root": str(papers), "doc_id": stable_doc_id(str(p))} for p in paths]
    units = read_units(files, thumbs=None, passage_chars=1000, max_bytes=10**8)
    assert all(u["problem"] is not None and u["docs"] for u in units)  # each still writes its file row
    report = IndexReport()
    for u in units:
        report.add_problem(u["problem"]["path"], u["problem"]["state"], u["problem"]["reason"])
    assert (report.skipped, report.metadata) == (1, {"title record": len(TITLES)})
    assert [p["path"] for p in report.problems] == [str(papers / "notes.xyz")]

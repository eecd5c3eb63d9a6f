"""app.lance_files reads the data files of every table version as pylance does, and app.check opens an
older version behind a garbage latest manifest, with pylance not importable (the packaged app has none).
Real LanceDB tables in tmp."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from app.check import open_version
from app.lance_files import (
    ManifestError,
    fragments,
    manifest_files,
    read_manifest,
    whole,
)
from tests.fixtures.no_pylance import block_pylance


@pytest.fixture
def table_dir(tmp_path) -> Path:
    """A table with appends, a delete, a new column, an FTS index and a compaction (8 versions)."""
    import lancedb
    from lancedb.index import FTS

    db = lancedb.connect(tmp_path / "index")
    data = pa.table({"a": list(range(50)), "text": [f"note {i}" for i in range(50)]})
    table = db.create_table("passages", data.replace_schema_metadata({"schema_version": "2", "vectors": "[]"}))
    table.add(pa.table({"a": [50], "text": ["one more"]}))
    table.delete("a < 5")
    table.add(pa.table({"a": [51, 52], "text": ["two", "more"]}))
    table.add_columns({"b": "a * 2"})
    table.create_index("text", config=FTS(with_position=True))
    table.create_scalar_index("a")
    table.add(pa.table({"a": [53], "text": ["after the index"], "b": [106]}))
    table.optimize()
    return tmp_path / "index" / "passages.lance"


def test_fragments_match_pylance_for_every_version(table_dir):
    lance = pytest.importorskip("lance")
    versions = manifest_files(table_dir)
    assert len(versions) >= 6
    for version, path in versions.items():
        ds = lance.dataset(str(table_dir), version=version)
        expected = [(f.fragment_id, tuple(d.path for d in f.data_files())) for f in ds.get_fragments()]
        assert [(f.id, f.files) for f in fragments(path)] == expected, version
        assert all(whole(table_dir / "data" / name) for frag in fragments(path) for name in frag.files)


def test_version_metadata_and_indices_match_lancedb(table_dir):
    import lancedb

    db = lancedb.connect(table_dir.parent)
    seen_indices = 0
    for version, path in manifest_files(table_dir).items():
        table = db.open_table("passages", version=version)
        manifest = read_manifest(path)
        assert manifest.version == version == table.version
        assert manifest.metadata == (table.schema.metadata or {}), version
        assert manifest.metadata[b"schema_version"] == b"2"
        expected = sorted((ix.name, ix.index_uuid, ix.index_type == "FTS") for ix in table.list_indices())
        assert sorted({(ix.name, ix.uuid, ix.full_text) for ix in manifest.indices}) == expected, version
        assert all((table_dir / "_indices" / ix.uuid).is_dir() for ix in manifest.indices)
        seen_indices = max(seen_indices, len(expected))
    assert seen_indices == 2  # the FTS and the scalar index were both read


def test_garbage_is_a_manifest_error(tmp_path):
    footer = b"\x00\x00\x02\x00LANC"
    bad_wire = (1).to_bytes(4, "little") + b"\x0f" + (0).to_bytes(8, "little") + footer  # wire type 7
    cut = (40).to_bytes(4, "little") + b"\x12\x30" + b"\x00" * 8 + (0).to_bytes(8, "little") + footer
    for content in (b"", b"this is not a lance manifest\n" * 20, b"\x00" * 12 + b"LANC",
                    b"\x00" * 8 + (10**6).to_bytes(8, "little") + footer, bad_wire, cut):
        path = tmp_path / "18446744073709551614.manifest"
        path.write_bytes(content)
        with pytest.raises(ManifestError):
            fragments(path)


def test_an_older_version_opens_behind_a_garbage_latest_manifest_without_pylance(table_dir, monkeypatch):
    block_pylance(monkeypatch)  # as in the packaged app: `import lance` fails
    with pytest.raises(ModuleNotFoundError):
        import lance  # noqa: F401
    versions = sorted(manifest_files(table_dir))
    with open_version(table_dir, versions[-2]) as table:
        rows_before = table.count_rows()
    manifest_files(table_dir)[versions[-1]].write_bytes(b"this is not a lance manifest\n" * 20)
    listing = sorted(p.name for p in table_dir.rglob("*"))

    with pytest.raises(RuntimeError, match="lance error"), open_version(table_dir):
        pass
    with open_version(table_dir, versions[-2]) as table:
        assert table.version == versions[-2]
        assert sum(b.num_rows for b in table.search().limit(None).to_batches(16)) == rows_before
    # read-only for the real table, and the shadow folder is gone
    assert sorted(p.name for p in table_dir.rglob("*")) == listing
    assert sorted(p.name for p in table_dir.parent.parent.iterdir()) == ["index"]


def test_the_start_up_check_imports_no_lancedb(table_dir):
    # The window runs quick_faults before it shows; lancedb costs seconds to import, so it must not.
    code = ("import sys; from app.check import quick_faults; print(quick_faults(sys.argv[1])); "
            "print('lancedb' in sys.modules, 'lance' in sys.modules)")
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code, str(table_dir.parent.parent)], capture_output=True,
                         text=True, check=True, cwd=repo).stdout.splitlines()
    assert out == ["[]", "False False"], out
    data = table_dir / "data" / fragments(manifest_files(table_dir)[max(manifest_files(table_dir))])[0].files[0]
    data.write_bytes(data.read_bytes()[:-8])
    out = subprocess.run([sys.executable, "-c", code, str(table_dir.parent.parent)], capture_output=True,
                         text=True, check=True, cwd=repo).stdout
    assert "DATA" in out and data.name in out

"""A words-only search starts only what it needs: no model runtime, no lancedb (pylance reads the index)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from app.index_run import index_paths

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from app.cli import main
main(["search", "--mode", "lexical", "--json", "harbour strike"])
heavy = ["torch", "transformers", "onnxruntime", "tokenizers", "spacy", "lancedb", "lance_namespace", "pandas",
         # the other commands' modules (app.cli builds the search command's parser alone) and the stemmers of
         # languages other than English (app.search.snippets)
         "app.commands.models", "models", "app.export", "snowballstemmer.german_stemmer"]
print(json.dumps({"loaded": [m for m in heavy if m in sys.modules]}), file=sys.stderr)
"""


def test_lexical_search_imports_no_model_runtime(home, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The harbour strike closed the docks for a week of bitter argument.", encoding="utf-8")
    (docs / "b.txt").write_text("A quiet village fair with prize cattle and a brass band concert.", encoding="utf-8")
    # The index says it has dense and vocabulary vectors, so a search with models would load both.
    from app.embed import cache_dir
    from app.store import Store, VectorColumn
    from models.loader import spec_for

    text_id = spec_for("text", None, cache_dir(home)).id
    Store(home, vectors=(VectorColumn("vec_text", 384, text_id),), vocab_model="idf")
    index_paths([docs], Settings(), root=home, use_models=False)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT), "LEXISCOPE_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert [Path(r["path"]).name for r in results] == ["a.txt"]
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])["loaded"]
    assert loaded == []

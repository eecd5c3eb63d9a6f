"""The layering rules hold (import-linter): app is layered, only app.ui.qt imports Qt, models never imports app,
only app.cluster imports Ray, only app.store reads and writes LanceDB."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extras"
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 kept, 0 broken" in proc.stdout


def test_onnxruntime_is_imported_only_through_models_ort():
    # ONNX Runtime's telemetry must be switched off before its native module loads (models/ort.py says
    # why); a direct `import onnxruntime` elsewhere could load it first. Submodule imports
    # (onnxruntime.quantization) are fine once models.ort.onnxruntime() has run.
    import re

    direct = re.compile(r"^\s*(import onnxruntime\b(?!\.)|from onnxruntime import )", re.M)
    offenders = [str(p.relative_to(ROOT)) for folder in ("app", "models", "bench", "packaging")
                 for p in (ROOT / folder).rglob("*.py")
                 if p.name != "ort.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == [], "import ONNX Runtime with `from models.ort import onnxruntime` instead"


# LanceDB table methods: called on ``store.passages`` / ``store.documents`` anywhere but app/store, they would
# be a query outside the store (docs/architecture.md: a new index backend is a change in app/store/ and
# app/location.py only).
_TABLE_API = {"search", "count_rows", "version", "delete", "update", "add", "merge_insert", "create_index",
              "list_indices", "index_stats", "optimize", "checkout_latest", "schema", "stats", "to_arrow"}


def _table_calls(source: str, name: str) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in _TABLE_API and isinstance(node.value, ast.Attribute) \
                and node.value.attr in ("passages", "documents", "db"):
            found.append(f"{name}:{node.lineno} .{node.value.attr}.{node.attr}")
    return sorted(found)


def test_only_the_store_queries_its_tables():
    offenders = [hit for p in (ROOT / "app").rglob("*.py") if p.relative_to(ROOT / "app").parts[0] != "store"
                 for hit in _table_calls(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert offenders == [], "add an intention-named Store method (app/store/) instead"


def test_the_table_check_sees_a_query():
    # The check above would pass vacuously if it could not see a table call: it must see these.
    source = "def f(store, self):\n    n = store.passages.count_rows()\n    return self.store.documents.version\n"
    assert _table_calls(source, "x.py") == ["x.py:2 .passages.count_rows", "x.py:3 .documents.version"]

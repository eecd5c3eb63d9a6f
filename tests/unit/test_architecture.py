"""The layering rules hold (import-linter): app is layered, only app.ui.qt imports Qt, models never imports app,
only app.cluster imports Ray."""

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
    assert "4 kept, 0 broken" in proc.stdout


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

"""Lexiscope's ML models: catalog, resolution (cache / offline package / folder / hub), verification
and encoders. Knows nothing of ``app``. Importing this package is cheap: torch and transformers are
imported only when an encoder is loaded."""

# First, before any encoder can load ONNX Runtime: its telemetry must never start (see models.ort).
from models.ort import telemetry_off  # noqa: I001 - must run before the imports below

telemetry_off()

from models.catalog import CATALOG, ROLES, ModelFile, ModelSpec, default_spec, get_spec, specs_for  # noqa: E402 - after telemetry_off()
from models.loader import load_encoder, spec_for  # noqa: E402 - after telemetry_off()
from models.resolve import import_folder, installed, resolve  # noqa: E402 - after telemetry_off()
from models.verify import ModelCorrupt, ModelError, ModelMissing  # noqa: E402 - after telemetry_off()

__all__ = [
    "CATALOG", "ROLES", "ModelCorrupt", "ModelError", "ModelFile", "ModelMissing", "ModelSpec",
    "default_spec", "get_spec", "import_folder", "installed", "load_encoder", "resolve", "spec_for", "specs_for",
]

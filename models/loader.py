"""One entry point from a role and an optional model id to a ready encoder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from models.catalog import ModelSpec
from models.resolve import installed_spec, preferred_installed, resolve
from models.verify import Manifest, ModelMissing

ProgressFn = Callable[[int, int], None]


def spec_for(role: str, model_id: str | None, cache_dir: Path) -> ModelSpec:
    """The spec a load would use: ``model_id`` (catalog or imported), or the preferred installed one."""
    if model_id:
        try:
            return installed_spec(cache_dir, role, model_id)
        except KeyError as exc:
            raise ModelMissing(None, f"{exc.args[0]}. See `lexiscope models list`.") from exc
    return preferred_installed(role, cache_dir)


def known_hashes(spec: ModelSpec, folder: Path) -> dict[str, str]:
    """sha256 of ``spec``'s files as verified by ``resolve``: the catalog pins, else the cache manifest."""
    manifest = Manifest.read(folder)
    hashes = dict(manifest.files) if manifest is not None else {}
    hashes.update({f.name: f.sha256 for f in spec.files if f.sha256})
    return hashes


def load_encoder(role: str, model_id: str | None = None, *, cache_dir: Path, device: str = "auto",
                 allow_download: bool = False, on_progress: ProgressFn | None = None):
    """Resolve and load the model for ``role``.

    Returns a TextEncoder (text), MlmVocabEncoder or IdfVocabEncoder (vocab), ``OnnxClipEncoder`` (image,
    an exported folder on a CPU) or ``ClipEncoder`` (image, open_clip),
    or, for ner, the resolved spaCy pipeline folder (the masker loads it). Raises ModelMissing with
    instructions when the files are not available, ModelCorrupt when they fail verification.
    """
    spec = spec_for(role, model_id, cache_dir)
    folder = resolve(spec, Path(cache_dir), allow_download=allow_download, on_progress=on_progress)
    if role == "ner":
        return folder
    # Heavy imports (torch, transformers, open_clip) stay inside this function so `import models` is cheap.
    from models.device import configure_threads, pick_device

    dev = pick_device(device)
    configure_threads()
    if role == "text":
        from models.text import TextEncoder

        # The int8 graph is cached beside the models, keyed by the (already verified) weight hashes.
        return TextEncoder(spec, folder, device=dev, cache_dir=Path(cache_dir), file_hashes=known_hashes(spec, folder))
    if role == "vocab":
        from models.sparse import IdfVocabEncoder, MlmVocabEncoder

        if spec.id == "idf":
            return IdfVocabEncoder(spec, folder)
        return MlmVocabEncoder(spec, folder, device=dev)
    if role == "image":
        from models.clip_onnx import OnnxClipEncoder

        # An exported folder (ONNX towers + tokenizer.json) runs on ONNX Runtime alone: the CPU path
        # needs no torch. A GPU still gets open_clip, which uses it.
        if OnnxClipEncoder.available(folder) and dev == "cpu":
            return OnnxClipEncoder(folder, cache_dir=Path(cache_dir) / "clip-vocab")
        try:
            from models.clip import ClipEncoder
        except ModuleNotFoundError as exc:  # torch/open_clip left out of this build; our own modules never
            if (exc.name or "").split(".")[0] in ("models", "app"):
                raise
            raise ModelMissing(spec, f"The image encoder cannot be loaded in this build ({exc}); "
                               "text and lexical search still work.") from exc
        # The vocabulary projection (every readable word through the text tower) is slow; cache it on
        # disk beside the models, keyed by the weights fingerprint.
        return ClipEncoder.from_dir(folder, device=dev, cache_dir=Path(cache_dir) / "clip-vocab")
    raise ValueError(f"unknown model role {role!r}")

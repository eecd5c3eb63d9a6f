"""CPU throughput of candidate CLIP models through models.clip.ClipEncoder (a benchmark, not a test).

Weights are random (no CLIP weights can be downloaded here) but the architectures, file sizes and
preprocessing are the real ones, and speed does not depend on weight values. Each model is built
with open_clip, saved in the Hugging Face open_clip layout and loaded with ClipEncoder.from_dir, so
load time includes reading a full-size safetensors file (from the page cache: a warm load).

    .venv/bin/python -m bench.clip_throughput [--models ViT-B-32 ...] [--vocab-sample 512]
                                              [--full-vocab] [--repeats 3]

Zero-shot ImageNet top-1 values are published numbers, not measured here (sources in
bench/README_clip.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.pretrained import get_pretrained_cfg
from safetensors.torch import save_file

from models.clip import VOCAB_PROMPT, ClipEncoder
from models.vocab import load_vocab, readable_word_ids

IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "images"

# (architecture, pretrained tag, published zero-shot ImageNet-1k top-1 %)
CANDIDATES = {
    "ViT-B-32": ("laion2b_s34b_b79k", 66.6),  # open_clip docs/openclip_results.csv: 0.6656
    "ViT-B-32-256": ("datacomp_s34b_b86k", 72.8),  # same table: 0.7281
    "MobileCLIP-S1": ("datacompdr", 72.6),  # apple/ml-mobileclip README table
}
PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode")


def build_folder(arch: str, tag: str, root: Path) -> tuple[Path, float]:
    """Save a random-weight model of `arch` with `tag`'s preprocessing in the HF layout; size MB."""
    folder = root / arch
    folder.mkdir()
    pretrained = get_pretrained_cfg(arch, tag)
    preprocess = {k: pretrained[k] for k in PREPROCESS_KEYS if k in pretrained}
    config = {"model_cfg": open_clip.get_model_config(arch), "preprocess_cfg": preprocess}
    (folder / "open_clip_config.json").write_text(json.dumps(config), encoding="utf-8")
    torch.manual_seed(0)
    model = open_clip.create_model(arch, pretrained=None)
    weights = folder / "open_clip_model.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    return folder, weights.stat().st_size / 2**20


def queries() -> list[str]:
    """Realistic short queries: the one-line captions of the sample images."""
    lines = (IMAGES / "captions_docstring.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[1] for line in lines if "\t" in line]


def timed(fn, repeats: int) -> float:
    """Best-of-`repeats` wall time of fn() in seconds (best: least disturbed by the OS)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench(arch: str, args, root: Path, n_readable: int, words: list[str]) -> dict:
    """Measure one model; returns a row for the table."""
    tag, top1 = CANDIDATES[arch]
    folder, size_mb = build_folder(arch, tag, root)
    t0 = time.perf_counter()
    enc = ClipEncoder.from_dir(folder, model_name=arch)
    load_s = time.perf_counter() - t0

    photos = sorted(p for p in IMAGES.iterdir() if p.suffix in (".png", ".jpg"))
    enc.encode_images(photos[:16])  # warm-up: first-call allocations, thread pool start
    img_s = timed(lambda: enc.encode_images(photos, batch_size=16), args.repeats)
    pixels = torch.stack([enc.preprocess(enc._read_image(p, i)) for i, p in enumerate(photos[:16])])
    with torch.inference_mode():
        fwd_s = timed(lambda: enc.model.encode_image(pixels, normalize=True), args.repeats)

    qs = queries()
    enc.encode_texts(qs[:4])
    txt_s = timed(lambda: enc.encode_texts(qs, batch_size=64), args.repeats)
    one_s = timed(lambda: enc.encode_texts(qs[:1]), args.repeats * 3)

    sample = [VOCAB_PROMPT.format(word=w) for w in words[: args.vocab_sample]]
    voc_s = timed(lambda: enc.encode_texts(sample), 1)
    vocab_min = voc_s / len(sample) * n_readable / 60
    full_min = None
    if args.full_vocab:
        t0 = time.perf_counter()
        enc.vocab_matrix()
        full_min = (time.perf_counter() - t0) / 60
    return {
        "model": f"{arch} ({tag})", "top1": top1, "size_mb": size_mb, "load_s": load_s,
        "img_per_s": len(photos) / img_s, "fwd_img_per_s": len(pixels) / fwd_s,
        "txt_per_s": len(qs) / txt_s, "query_ms": one_s * 1000,
        "vocab_min": vocab_min, "vocab_full_min": full_min, "trimmed": enc._trim_ok,
        "pts_per_img_ms": top1 / (1000 / (len(photos) / img_s)),
    }


def print_table(rows: list[dict]) -> None:
    """Print the results as a Markdown table (pasted into bench/README_clip.md)."""
    head = ("| model | IN-1k top-1 | weights MB | load s | img/s (decode+pre+model) | img/s (model) "
            "| texts/s (b64) | 1 query ms | vocab proj. min | top-1 per img-ms |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for r in rows:
        vocab = f"{r['vocab_min']:.1f}"
        vocab += f" (full run {r['vocab_full_min']:.1f})" if r["vocab_full_min"] else " (est.)"
        vocab += "" if r["trimmed"] else ", 77-token"
        print(f"| {r['model']} | {r['top1']:.1f} | {r['size_mb']:.0f} | {r['load_s']:.2f} "
              f"| {r['img_per_s']:.1f} | {r['fwd_img_per_s']:.1f} | {r['txt_per_s']:.1f} "
              f"| {r['query_ms']:.0f} | {vocab} | {r['pts_per_img_ms']:.2f} |")


def main() -> None:
    """Parse arguments, run every model, print the machine line and the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--vocab-sample", type=int, default=512,
                        help="vocabulary prompts to time; the full projection is extrapolated")
    parser.add_argument("--full-vocab", action="store_true",
                        help="also run the whole vocabulary projection (minutes per model)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # open_clip logs "initialized randomly" at build

    vocab = load_vocab()
    ids = readable_word_ids(vocab)
    rng = np.random.default_rng(0)  # a random sample: word length varies across the vocabulary
    words = [vocab[i] for i in rng.permutation(ids)]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"open_clip {open_clip.__version__}; readable words: {len(ids)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.models:
            rows.append(bench(arch, args, Path(tmp), len(ids), words))
            print(f"done {arch}", flush=True)
            for f in (Path(tmp) / arch).iterdir():  # free disk as we go: 600 MB per model
                f.unlink()
    print_table(rows)


if __name__ == "__main__":
    main()

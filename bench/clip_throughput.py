"""CPU throughput of candidate CLIP models through models.clip.ClipEncoder (a benchmark, not a test).

Weights are random (no CLIP weights can be downloaded here) but the architectures, file sizes and
preprocessing are the real ones, and speed does not depend on weight values. Each model is built
with open_clip, saved in the Hugging Face open_clip layout and loaded with ClipEncoder.from_dir, so
load time includes reading a full-size safetensors file (from the page cache: a warm load).

    .venv/bin/python -m bench.clip_throughput [--models ViT-B-32 ...] [--vocab-sample 256]
                                              [--full-vocab] [--rounds 3]

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


def wall_time(fn) -> float:
    """Wall time of one fn() call in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cpu_time(fn) -> float:
    """CPU seconds (all threads of this process) of one fn() call: what indexing costs a laptop,
    and much less disturbed than wall time when other jobs share the machine."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


class Candidate:
    """One model under test: its encoder, fixed inputs, and the best time seen per measurement."""

    def __init__(self, arch: str, root: Path, words: list[str], sample: int) -> None:
        """Build and load the model; warm it up."""
        self.arch = arch
        self.tag, self.top1 = CANDIDATES[arch]
        folder, self.size_mb = build_folder(arch, self.tag, root)
        t0 = time.perf_counter()
        self.enc = ClipEncoder.from_dir(folder, model_name=arch)
        self.best = {"load": time.perf_counter() - t0}
        self.photos = sorted(p for p in IMAGES.iterdir() if p.suffix in (".png", ".jpg"))
        self.pixels = torch.stack([self.enc.preprocess(self.enc._read_image(p, i))
                                   for i, p in enumerate(self.photos[:16])])
        self.queries = queries()
        self.prompts = [VOCAB_PROMPT.format(word=w) for w in words[:sample]]
        self.enc.encode_images(self.photos[:16])  # warm-up: first-call allocations, thread pool
        self.enc.encode_texts(self.queries[:4])

    def measure(self) -> None:
        """One round of every measurement; keeps the fastest (least disturbed) time of each."""
        enc = self.enc

        def model_only():
            with torch.inference_mode():
                enc.model.encode_image(self.pixels, normalize=True)

        times = {
            "images": wall_time(lambda: enc.encode_images(self.photos, batch_size=16)),
            "forward": wall_time(model_only),
            "texts": wall_time(lambda: enc.encode_texts(self.queries, batch_size=64)),
            "query": min(wall_time(lambda: enc.encode_texts(self.queries[:1])) for _ in range(3)),
            "vocab": wall_time(lambda: enc.encode_texts(self.prompts)),
            "images_cpu": cpu_time(lambda: enc.encode_images(self.photos, batch_size=16)),
        }
        for key, value in times.items():
            self.best[key] = min(value, self.best.get(key, float("inf")))

    def row(self, n_readable: int, full_min: float | None) -> dict:
        """The table row from the best times."""
        b = self.best
        img_per_s = len(self.photos) / b["images"]
        return {
            "model": f"{self.arch} ({self.tag})", "top1": self.top1, "size_mb": self.size_mb,
            "load_s": b["load"], "img_per_s": img_per_s,
            "fwd_img_per_s": len(self.pixels) / b["forward"],
            "txt_per_s": len(self.queries) / b["texts"], "query_ms": b["query"] * 1000,
            "vocab_min": b["vocab"] / len(self.prompts) * n_readable / 60,
            "vocab_full_min": full_min, "trimmed": self.enc._trim_ok,
            "cpu_ms_per_img": b["images_cpu"] / len(self.photos) * 1000,
            "pts_per_cpu_s": self.top1 * len(self.photos) / b["images_cpu"],
        }


def print_table(rows: list[dict]) -> None:
    """Print the results as a Markdown table (pasted into bench/README_clip.md)."""
    head = ("| model | IN-1k top-1 | weights MB | load s | img/s (decode+pre+model) | img/s (model) "
            "| texts/s (b64) | 1 query ms | vocab proj. min | CPU ms/img | top-1 x img per CPU s |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for r in rows:
        vocab = f"{r['vocab_min']:.1f}"
        vocab += f" (full run {r['vocab_full_min']:.1f})" if r["vocab_full_min"] else " (est.)"
        vocab += "" if r["trimmed"] else ", 77-token"
        print(f"| {r['model']} | {r['top1']:.1f} | {r['size_mb']:.0f} | {r['load_s']:.2f} "
              f"| {r['img_per_s']:.1f} | {r['fwd_img_per_s']:.1f} | {r['txt_per_s']:.1f} "
              f"| {r['query_ms']:.0f} | {vocab} | {r['cpu_ms_per_img']:.0f} | {r['pts_per_cpu_s']:.0f} |")


def main() -> None:
    """Parse arguments, run every model in interleaved rounds, print the machine line and table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--vocab-sample", type=int, default=256,
                        help="vocabulary prompts to time; the full projection is extrapolated")
    parser.add_argument("--full-vocab", action="store_true",
                        help="also run the whole vocabulary projection (minutes per model)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds over all models; the best time of each is kept")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # open_clip logs "initialized randomly" at build

    vocab = load_vocab()
    ids = readable_word_ids(vocab)
    rng = np.random.default_rng(0)  # a random sample: word length varies across the vocabulary
    words = [vocab[i] for i in rng.permutation(ids)]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"open_clip {open_clip.__version__}; readable words: {len(ids)}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        models = [Candidate(arch, Path(tmp), words, args.vocab_sample) for arch in args.models]
        # Interleave rounds so a burst of other load on a shared machine hits every model alike;
        # keep each measurement's best time.
        for r in range(args.rounds):
            for m in models:
                m.measure()
            print(f"round {r + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.2f}",
                  flush=True)
        rows = []
        for m in models:
            full_min = None
            if args.full_vocab:
                t0 = time.perf_counter()
                m.enc.vocab_matrix()
                full_min = (time.perf_counter() - t0) / 60
            rows.append(m.row(len(ids), full_min))
    print_table(rows)


if __name__ == "__main__":
    main()

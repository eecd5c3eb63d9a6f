"""An int8 ONNX Runtime graph of a BERT-family text encoder, built once per model and cached.

Why: on a laptop CPU the encoder is the indexing bottleneck. Measured on the full SciFact corpus
(5,183 abstracts, 2-core AMD EPYC with AVX512-VNNI, all-MiniLM-L6-v2, ``bench/text_throughput.py``):
plain sentence-transformers 23.4 docs/s; our torch path with bfloat16 matmuls 43.5; this graph
53.7 docs/s at the same nDCG@10 (0.6465 against 0.6451). Three steps make it fast, and each was
measured: attention as ONNX Runtime's fused Attention op (an unfused int8 graph ran at torch-bf16
speed); fusing GELU and layer norms with ONNX Runtime's transformer optimizer; and dynamic int8
quantisation of every MatMul with per-channel weight scales (per-tensor scales lost 0.4 nDCG points).
The fp32 graph is written from the safetensors weights by :mod:`models.bert_onnx`, so building it
needs neither torch nor transformers (recipe 1 exported it with ``torch.onnx.export``; the graphs agree).

The graph's output is the last hidden state, so pooling, token embeddings (for explanations) and
everything after stay in :mod:`models.text`. ONNX files are protobuf, not pickle, and the built file's
sha256 is recorded and checked before it is loaded.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import importlib.util
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from models.ort import onnxruntime
from models.verify import sha256_file

# Bump when the build steps change: graphs cached under another recipe are rebuilt.
RECIPE = 3  # 3: fused without symbolic shape inference (no sympy); 2: written by models.bert_onnx; 1: torch export
GRAPH = "model.int8.onnx"
BUILD_INFO = "build.json"
FAILED = ".failed"  # suffix of the marker a failed build leaves beside its target
# A failed build is not retried on every start (it costs seconds), but not never either: the cause may be
# gone a day later (a model fixed, memory freed). A full disk or exhausted memory leaves no marker at all.
RETRY_AFTER_S = 24 * 3600
_TRANSIENT = (errno.ENOSPC, errno.EDQUOT, errno.ENOMEM)


class BuildFailed(RuntimeError):
    """An earlier attempt to build this graph failed; it is retried after ``RETRY_AFTER_S`` (or when the
    recipe or ONNX Runtime changes, or the marker is deleted), so a model that cannot be exported does not
    cost its build time on every start."""


def available() -> bool:
    """True when ONNX Runtime and the onnx package are installed (both are dependencies; a trimmed
    install without them falls back to torch)."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def cpu_has_vnni() -> bool | None:
    """Whether this x86 CPU has VNNI int8 dot products (None when it cannot be told; True on ARM).

    Why it matters: without VNNI, ONNX Runtime's u8×s8 kernels can saturate 16-bit intermediate sums;
    the documented remedy is 7-bit weights (``reduce_range``), used then.
    """
    if platform.machine().lower() in ("arm64", "aarch64"):
        return True  # ARM dot-product kernels accumulate in 32 bits
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})
    except OSError:
        pass
    return None


def source_fingerprint(folder: Path, file_hashes: dict[str, str]) -> str:
    """A short key for the weights a graph is built from: the sha256 of the config and weight files,
    taken from ``file_hashes`` (already verified) where given, else read now."""
    folder = Path(folder)
    hashes = {}
    for path in sorted(folder.glob("*.safetensors")) + [folder / "config.json"]:
        if path.is_file():
            hashes[path.name] = file_hashes.get(path.name) or sha256_file(path)
    return hashlib.sha256(json.dumps(sorted(hashes.items())).encode()).hexdigest()[:16]


def graph_folder(cache_dir: Path, model_id: str, fingerprint: str, reduce_range: bool) -> Path:
    """Where the graph for these weights and this build variant lives."""
    ort = ".".join(onnxruntime().__version__.split(".")[:2])
    variant = f"r{RECIPE}-ort{ort}-{'rr' if reduce_range else 'full'}"
    return Path(cache_dir) / "onnx" / f"{model_id}-{fingerprint}-{variant}"


def ensure_graph(model_folder: Path, target: Path, *, reduce_range: bool) -> Path:
    """The verified int8 graph in ``target``, building it first when absent or damaged.

    Two processes (the window's indexer and searcher) may ask at once; a file lock makes one build
    while the other waits, and the build is written to a temporary folder and renamed into place.
    """
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    failed = Path(str(target) + FAILED)
    with FileLock(str(target) + ".lock"):
        if _verified(target):
            return target / GRAPH
        if failed.is_file():
            if time.time() - failed.stat().st_mtime < RETRY_AFTER_S:
                raise BuildFailed(f"an earlier build failed ({failed.read_text(encoding='utf-8').strip()}); "
                                  f"retried after {RETRY_AFTER_S // 3600} h, or delete {failed} to try now")
            failed.unlink()
        # A build killed half-way (kill -9, power cut) left its staging folder; we hold the lock, so any
        # staging folder of this target is such a leftover.
        for stale in target.parent.glob(glob.escape(target.name) + ".*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        try:
            info = _build(Path(model_folder), staging, reduce_range=reduce_range)
            for scratch in staging.glob("*.fp32*"):
                scratch.unlink()
            info["sha256"] = sha256_file(staging / GRAPH)
            (staging / BUILD_INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
            os.replace(staging, target)
        except Exception as exc:
            transient = isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in _TRANSIENT)
            if not transient:
                try:
                    failed.write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
                except OSError:
                    pass  # no room even for the marker: the next start simply tries again
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / GRAPH


def _verified(target: Path) -> bool:
    try:
        info = json.loads((target / BUILD_INFO).read_text(encoding="utf-8"))
        return info.get("recipe") == RECIPE and info.get("sha256") == sha256_file(target / GRAPH)
    except (OSError, ValueError):
        return False


def _build(model_folder: Path, out: Path, *, reduce_range: bool) -> dict:
    """Write (fp32, from the safetensors weights: no torch) → fuse → quantise; returns the build description."""
    import onnx

    onnxruntime()  # telemetry off before the optimizer and quantiser open their sessions
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    from models import bert_onnx

    cfg = bert_onnx.read_config(model_folder)
    model = bert_onnx.build(model_folder)
    names = bert_onnx.input_names(model)
    written = out / "model.fp32.onnx"
    onnx.save(model, str(written))
    del model
    quiet = logging.getLogger()  # the optimizer warns that the producer is not "pytorch", and the quantiser
    level = quiet.level          # logs a generic pre-processing hint: both at WARNING on the root logger
    quiet.setLevel(logging.ERROR)
    try:
        # opt_level=0: the Python fusions only. Level 1 first runs an ONNX Runtime session pass, which
        # imports torch (to read its version) — and the written graph needs no constant folding.
        # No symbolic shape inference: it needs sympy (which only torch's dependencies brought in) and only
        # serves to drop redundant Cast nodes, which the written graph does not have.
        options = FusionOptions("bert")
        options.enable_shape_inference = False
        fused = optimize_model(str(written), model_type="bert", num_heads=int(cfg["num_attention_heads"]),
                               hidden_size=int(cfg["hidden_size"]), opt_level=0, optimization_options=options)
        fusions = {k: v for k, v in fused.get_fused_operator_statistics().items() if v}
        fused_path = out / "model.fp32.fused.onnx"
        fused.save_model_to_file(str(fused_path))
        del fused
        quantize_dynamic(str(fused_path), str(out / GRAPH), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=reduce_range, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        quiet.setLevel(level)
    return {"recipe": RECIPE, "inputs": list(names), "fusions": fusions, "reduce_range": reduce_range,
            "source": str(model_folder), "writer": "models.bert_onnx"}


class OnnxRunner:
    """Runs one ONNX graph (a file, or serialized bytes): named int64 inputs in, one float32 output out.

    One ONNX Runtime session per thread count, made on first use: indexing runs on all configured
    threads, a query on one (see :func:`models.device.query_threads`).
    """

    def __init__(self, source: Path | bytes, inputs: tuple[str, ...], output: str) -> None:
        self.source = source
        self.inputs = tuple(inputs)
        self.output = output
        self._sessions: dict[int, object] = {}

    def _session(self, threads: int):
        session = self._sessions.get(threads)
        if session is None:
            ort = onnxruntime()
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Idle worker threads sleep instead of spinning: a desktop app must not burn a core between
            # batches, and here it cost nothing (SciFact, 400 docs: 53.5 docs/s without spinning, 50.9 with).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            source = self.source if isinstance(self.source, bytes) else str(self.source)
            session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
            self._sessions[threads] = session
        return session

    def __call__(self, features: dict, threads: int) -> np.ndarray:
        """The output for tokenizer output ``features`` (numpy arrays, padded)."""
        feed = {name: np.asarray(features[name], dtype=np.int64) for name in self.inputs}
        return self._session(max(1, threads)).run([self.output], feed)[0]


class OnnxHidden(OnnxRunner):
    """Runs the cached graph: token ids in, last hidden state (float32 numpy) out."""

    def __init__(self, graph: Path) -> None:
        self.graph = Path(graph)
        info = json.loads((self.graph.parent / BUILD_INFO).read_text(encoding="utf-8"))
        super().__init__(self.graph, tuple(info["inputs"]), "hidden")
        self.fusions = info.get("fusions", {})

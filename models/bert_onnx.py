"""Write a BERT encoder (and its masked-LM head) as an ONNX graph straight from safetensors weights.

Why: the default install runs without torch, so the graph that :mod:`models.onnx_text` optimises and
quantises cannot come from ``torch.onnx.export``. BERT is small and regular — embeddings and a layer
norm, then N identical layers of self-attention and a GELU feed-forward block, each closed by a
residual layer norm — so the graph is written node by node with ``onnx.helper`` from the config and
the weight tensors (read with ``safetensors.numpy``; nothing is unpickled).

Self-attention is written as ONNX Runtime's fused ``com.microsoft.Attention`` op (packed Q/K/V
weights, a 0/1 key mask): that is the node the transformer optimizer would have fused the exported
MatMul/Softmax pattern into, and the op dynamic quantisation turns into ``QAttention``. Everything
else is standard opset-17 ops (``LayerNormalization``, ``MatMul``, the erf form of GELU), which the
optimizer then fuses into SkipLayerNormalization / BiasGelu as before. ``tests/models/test_bert_onnx.py``
checks the graph against transformers' BertModel / BertForMaskedLM.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal, overload

import numpy as np

OPSET = 17
MS_DOMAIN = "com.microsoft"
SUPPORTED_TYPES = ("bert",)


class UnsupportedModel(ValueError):
    """The model folder is not a BERT this writer knows (another architecture needs the torch extra)."""


def read_config(folder: Path) -> dict:
    """The model's config.json, checked to be a BERT with absolute positions and (exact) GELU."""
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    kind = config.get("model_type")
    if kind not in SUPPORTED_TYPES:
        raise UnsupportedModel(f"model type {kind!r} is not BERT; converting it needs `pip install lexiscope[torch]`")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModel(f"position embeddings {config['position_embedding_type']!r} are not supported")
    if config.get("hidden_act", "gelu") != "gelu":
        raise UnsupportedModel(f"activation {config['hidden_act']!r} is not supported (only exact GELU)")
    return config


class _Weights:
    """Tensors of a safetensors checkpoint by BERT name, whatever the prefix ("bert.") or the old
    LayerNorm naming (gamma/beta)."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file

        self.tensors: dict[str, np.ndarray] = {}
        files = sorted(Path(folder).glob("*.safetensors"))
        if not files:
            raise UnsupportedModel(f"{folder} has no *.safetensors weights")
        for path in files:
            self.tensors.update(load_file(str(path)))

    @overload
    def get(self, name: str, *, optional: Literal[False] = False) -> np.ndarray: ...

    @overload
    def get(self, name: str, *, optional: bool) -> np.ndarray | None: ...

    def get(self, name: str, *, optional: bool = False) -> np.ndarray | None:
        """The float32 tensor called ``name`` (tried with and without "bert."; .weight/.bias as gamma/beta)."""
        alts = [name]
        if name.endswith("LayerNorm.weight"):
            alts.append(name[: -len("weight")] + "gamma")
        if name.endswith("LayerNorm.bias"):
            alts.append(name[: -len("bias")] + "beta")
        for alt in alts:
            for key in (alt, "bert." + alt):
                if key in self.tensors:
                    return np.ascontiguousarray(self.tensors[key], dtype=np.float32)
        if optional:
            return None
        raise UnsupportedModel(f"weight {name!r} is missing from the checkpoint")


class _Graph:
    """Collects nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.inits: list = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], *, domain: str = "", **attrs) -> str:
        """Add a one-output node; its output's name."""
        from onnx import helper

        self._n += 1
        name = f"{kind.lower()}_{self._n}"
        self.nodes.append(helper.make_node(kind, inputs, [name], name=f"{kind}_{self._n}", domain=domain, **attrs))
        return name


def _linear(g: _Graph, x: str, w: _Weights, prefix: str) -> str:
    """x @ W.T + b for an HF Linear called ``prefix`` (the MatMul + Add pattern the quantiser knows)."""
    weight = g.const(f"{prefix}.weight_t", w.get(prefix + ".weight").T.copy())
    bias = g.const(f"{prefix}.bias", w.get(prefix + ".bias"))
    return g.op("Add", [g.op("MatMul", [x, weight]), bias])


def _layer_norm(g: _Graph, x: str, w: _Weights, prefix: str, eps: float) -> str:
    gamma = g.const(f"{prefix}.weight", w.get(prefix + ".weight"))
    beta = g.const(f"{prefix}.bias", w.get(prefix + ".bias"))
    return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """Exact GELU, x·0.5·(1 + erf(x/√2)), in the node order torch exports (fused to Gelu by the optimizer)."""
    erf = g.op("Erf", [g.op("Div", [x, "sqrt2"])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, "one"])]), "half"])


def build(folder: Path, *, mlm: bool = False):
    """The ONNX model of the BERT in ``folder``.

    Inputs ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, batch × tokens). Output
    ``hidden`` (the last hidden state, batch × tokens × hidden), or with ``mlm`` ``pooled``: per text
    and vocabulary id, relu(max over unmasked positions of the MLM logit) — SPLADE's weight before its
    log(1 + ·), which the caller applies in float64-accurate numpy.
    """
    import onnx
    from onnx import TensorProto, helper

    folder = Path(folder)
    cfg = read_config(folder)
    w = _Weights(folder)
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    g = _Graph()
    g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    g.const("one", np.array(1.0, np.float32))
    g.const("half", np.array(0.5, np.float32))

    # Embeddings: word + position (0..tokens-1) + token type, then a layer norm.
    words = g.op("Gather", [g.const("word_embeddings", w.get("embeddings.word_embeddings.weight")), "input_ids"])
    length = g.op("Squeeze", [g.op("Shape", ["input_ids"], start=1, end=2), g.const("axis0", np.array([0], np.int64))])
    positions = g.op("Range", [g.const("zero_i64", np.array(0, np.int64)), length, g.const("one_i64", np.array(1, np.int64))])
    x = g.op("Add", [words, g.op("Gather", [g.const("position_embeddings",
                                                     w.get("embeddings.position_embeddings.weight")), positions])])
    types = w.get("embeddings.token_type_embeddings.weight", optional=True)
    if types is not None:
        x = g.op("Add", [x, g.op("Gather", [g.const("token_type_embeddings", types), "token_type_ids"])])
    x = _layer_norm(g, x, w, "embeddings.LayerNorm", eps)

    mask = g.op("Cast", ["attention_mask"], to=TensorProto.INT32)  # Attention's 0/1 key mask (batch × tokens)
    for i in range(int(cfg["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        qkv_w = np.concatenate([w.get(f"{p}.attention.self.{n}.weight").T for n in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([w.get(f"{p}.attention.self.{n}.bias") for n in ("query", "key", "value")])
        attn = g.op("Attention", [x, g.const(f"{p}.qkv.weight", qkv_w), g.const(f"{p}.qkv.bias", qkv_b), mask],
                    domain=MS_DOMAIN, num_heads=heads)
        x = _layer_norm(g, g.op("Add", [_linear(g, attn, w, f"{p}.attention.output.dense"), x]), w,
                        f"{p}.attention.output.LayerNorm", eps)
        ffn = _gelu(g, _linear(g, x, w, f"{p}.intermediate.dense"))
        x = _layer_norm(g, g.op("Add", [_linear(g, ffn, w, f"{p}.output.dense"), x]), w, f"{p}.output.LayerNorm", eps)

    if mlm:
        t = _layer_norm(g, _gelu(g, _linear(g, x, w, "cls.predictions.transform.dense")), w,
                        "cls.predictions.transform.LayerNorm", eps)
        # The decoder is usually tied to the word embeddings and then absent from the checkpoint.
        decoder = w.get("cls.predictions.decoder.weight", optional=True)
        if decoder is None:
            decoder = w.get("embeddings.word_embeddings.weight")
        bias = w.get("cls.predictions.bias", optional=True)
        if bias is None:
            bias = w.get("cls.predictions.decoder.bias")
        logits = g.op("Add", [g.op("MatMul", [t, g.const("decoder.weight_t", decoder.T.copy())]),
                              g.const("decoder.bias", bias)])
        keep = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TensorProto.BOOL),
                                  g.const("axis2", np.array([2], np.int64))])
        masked = g.op("Where", [keep, logits, g.const("neg_inf", np.array(-np.inf, np.float32))])
        out = g.op("Relu", [g.op("ReduceMax", [masked], axes=[1], keepdims=0)])
        output = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", int(cfg["vocab_size"])])
    else:
        out = x
        output = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden])
    g.nodes.append(helper.make_node("Identity", [out], [output.name], name="output"))

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if types is not None else [])
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in names]
    graph = helper.make_graph(g.nodes, "bert", inputs, [output], initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
                              producer_name="lexiscope.models.bert_onnx")
    model.ir_version = min(model.ir_version, 9)  # readable by every ONNX Runtime we support
    onnx.checker.check_model(model, full_check=False)
    return model


def input_names(model) -> list[str]:
    """The graph's input names, in order (what the caller feeds)."""
    return [i.name for i in model.graph.input]

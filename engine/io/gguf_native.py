"""GGUF tensors kept in their own quantised format: what ``load_model(weights="gguf")`` reads.

A ``BlockTensor`` (engine.core.quant_linear) holds one matrix's blocks as a struct of arrays, the same bits as the file:

=====  ==========================  ===============================  =====================
type   a block of 32 weights        parts                            bytes per weight
=====  ==========================  ===============================  =====================
Q4_1   scale d, minimum m (fp16),  qs [N, nb, 16] uint8 (nibbles),  20 / 32 = 0.625
       32 four-bit q: w = d q + m  d [N, nb] fp16, m [N, nb] fp16
Q8_0   scale d (fp16), 32 int8 q:  qs [N, nb, 32] int8,             34 / 32 = 1.0625
       w = d q                     d [N, nb] fp16
=====  ==========================  ===============================  =====================

(nb = K / 32 blocks per row). Splitting the blocks into arrays changes no bit; it lets a kernel
load 16 nibble bytes or a row of scales without striding over 20-byte records. Rows are
independent, so the Q/K un-permutation (engine.io.gguf) and the fusion of q/k/v and gate/up
are row operations on every part alike.

F32 tensors (the norms) come back as float32 tensors; any other type raises ``GGUFError`` naming the
tensor, its type and what this path can keep (use ``weights="dequantized"`` for those files).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.core.config import ModelConfig
from engine.core.model import Transformer
from engine.core.quant_linear import FORMATS, BlockTensor, build_native_model
from engine.io.gguf import GGUFError, _engine_name, open_gguf, read_config, unpermute_rope_rows

KEPT_TYPES = (*FORMATS, "F32")

def split_blocks(raw: np.ndarray, qtype: str) -> BlockTensor:
    """``raw``: the file's bytes for one matrix, [rows, bytes per row] uint8, blocks back to back."""
    block_bytes, _ = FORMATS[qtype]
    rows = raw.shape[0]
    blocks = torch.from_numpy(np.ascontiguousarray(raw).reshape(rows, -1, block_bytes).copy())  # [N, nb, bytes]
    d = blocks[..., 0:2].contiguous().view(torch.float16)[..., 0]
    if qtype == "Q4_1":
        m = blocks[..., 2:4].contiguous().view(torch.float16)[..., 0]
        return BlockTensor(qtype, (blocks[..., 4:].contiguous(), d.contiguous(), m.contiguous()))
    return BlockTensor(qtype, (blocks[..., 2:].contiguous().view(torch.int8), d.contiguous()))


def _keep(tensor: Any) -> BlockTensor | torch.Tensor:
    qtype = tensor.tensor_type.name
    if qtype == "F32":
        return torch.from_numpy(np.array(tensor.data, dtype=np.float32))
    if qtype not in FORMATS:
        raise GGUFError(
            f"weights='gguf' keeps tensors in their file format and can keep {', '.join(KEPT_TYPES)}; "
            f"tensor {tensor.name!r} is {qtype}. Load this file with weights='dequantized'."
        )
    return split_blocks(np.asarray(tensor.data), qtype)


def read_gguf_blocks(path: str | Path, name: str = "custom") -> tuple[ModelConfig, dict[str, BlockTensor | torch.Tensor]]:
    """Config and engine-named state: quantised matrices as ``BlockTensor``, F32 tensors as float32."""
    reader = open_gguf(path)
    config = read_config(reader, name)
    state: dict[str, BlockTensor | torch.Tensor] = {}
    for tensor in reader.tensors:
        key = _engine_name(tensor.name)
        value = _keep(tensor)
        if key.endswith(("attn.q_proj.weight", "attn.k_proj.weight")):
            heads = config.n_heads if key.endswith("q_proj.weight") else config.n_kv_heads
            unpermute = lambda p: unpermute_rope_rows(p, heads).contiguous()  # noqa: E731 (rows of every part alike)
            value = value.map_rows(unpermute) if isinstance(value, BlockTensor) else unpermute(value)
        state[key] = value
    return config, state


def load_native(path: Path, name: str) -> Transformer:
    """The model in ``path`` with its matrices as GGUF blocks (engine.core.quant_linear)."""
    config, state = read_gguf_blocks(path, name=name)
    return build_native_model(config, state)

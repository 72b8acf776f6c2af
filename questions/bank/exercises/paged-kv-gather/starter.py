import torch
from torch import Tensor


def gather_kv(pool: Tensor, block_table: Tensor, seq_lens: Tensor) -> Tensor:
    """Dense [B, H, max(seq_lens), D] keys from a paged pool, zero past each sequence's length.

    pool: [num_blocks, block_size, H, D]; block_table: [B, max_blocks] int64 (-1 = unused entry);
    seq_lens: [B] int64. Token p of sequence i is pool[block_table[i, p // block_size], p % block_size].
    """
    raise NotImplementedError

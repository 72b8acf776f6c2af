def kv_cache_bytes(
    n_layers: int,
    n_heads: int,
    n_kv_heads: int,
    head_dim: int,
    seq_len: int,
    batch: int,
    bytes_per_element: float,
) -> int:
    """Bytes of keys and values cached for `batch` sequences of `seq_len` tokens."""
    raise NotImplementedError

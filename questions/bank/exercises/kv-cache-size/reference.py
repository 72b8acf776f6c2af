def kv_cache_bytes(
    n_layers: int,
    n_heads: int,
    n_kv_heads: int,
    head_dim: int,
    seq_len: int,
    batch: int,
    bytes_per_element: float,
) -> int:
    # Keys and values (2) per layer, per cached head, per token, per sequence. Query heads that share a
    # key/value head (GQA/MQA) add nothing, so n_heads is not used.
    elements = 2 * n_layers * n_kv_heads * head_dim * seq_len * batch
    return int(elements * bytes_per_element)

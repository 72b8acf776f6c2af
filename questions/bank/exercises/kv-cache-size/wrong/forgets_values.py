"""Leaves out the factor 2: counts the keys but not the values."""


def kv_cache_bytes(n_layers, n_heads, n_kv_heads, head_dim, seq_len, batch, bytes_per_element):
    return int(n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_element)

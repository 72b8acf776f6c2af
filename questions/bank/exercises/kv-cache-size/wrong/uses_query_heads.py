"""Uses the query head count where the key/value head count belongs."""


def kv_cache_bytes(n_layers, n_heads, n_kv_heads, head_dim, seq_len, batch, bytes_per_element):
    return int(2 * n_layers * n_heads * head_dim * seq_len * batch * bytes_per_element)

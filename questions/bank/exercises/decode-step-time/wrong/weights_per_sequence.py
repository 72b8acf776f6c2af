"""Reads the weights once per sequence instead of once per step."""


def decode_step_ms(weight_bytes, kv_bytes_per_token, context_lens, bandwidth_tbs):
    bytes_read = sum(weight_bytes + kv_bytes_per_token * n for n in context_lens)
    return bytes_read / (bandwidth_tbs * 1e12) * 1e3

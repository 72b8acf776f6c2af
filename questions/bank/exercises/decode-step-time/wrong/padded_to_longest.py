"""Charges every sequence the longest context in the batch."""


def decode_step_ms(weight_bytes, kv_bytes_per_token, context_lens, bandwidth_tbs):
    bytes_read = weight_bytes + kv_bytes_per_token * max(context_lens) * len(context_lens)
    return bytes_read / (bandwidth_tbs * 1e12) * 1e3

"""Hidden tests for kv-cache-size. Oracle: engine.formulas.kv_cache_bytes on an equivalent ModelConfig."""
import torch

from questions.exercises.cases import Case


def _random_config(g):
    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=g))]

    n_kv = pick([1, 2, 4, 8])
    group = pick([1, 2, 4, 8])
    return (pick([12, 24, 32, 40, 48]), n_kv * group, n_kv, pick([64, 96, 128]),
            int(torch.randint(1, 32769, (1,), generator=g)), pick([1, 3, 8, 32]), pick([4, 2, 1, 0.5]))


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("llama2-7b-4k", args=(32, 32, 32, 128, 4096, 1, 2), visible=True, compare="exact",
             explain="Llama-2-7B, 4k tokens, one sequence, float16: exactly 2 GiB."),
        Case("llama3-8b-gqa", args=(32, 32, 8, 128, 8192, 1, 2), visible=True, compare="exact",
             explain="Llama-3-8B: 32 query heads but only 8 key/value heads are cached."),
        Case("llama2-70b-batch", args=(80, 64, 8, 128, 4096, 16, 2), compare="exact",
             explain="Llama-2-70B (GQA, 8 KV heads) for 16 sequences of 4k tokens."),
        Case("mqa-one-kv-head", args=(24, 16, 1, 64, 2048, 4, 2), compare="exact",
             explain="Multi-query attention: a single key/value head serves all 16 query heads."),
        Case("int8-cache", args=(32, 32, 8, 128, 1000, 2, 1), compare="exact",
             explain="An int8 (or fp8) cache: one byte per element."),
        Case("int4-cache", args=(28, 28, 4, 128, 333, 3, 0.5), compare="exact",
             explain="Half a byte per element still gives a whole number of bytes."),
        Case("empty-cache", args=(32, 32, 8, 128, 0, 8, 2), compare="exact",
             explain="No tokens cached yet: zero bytes."),
        Case("random-config", args=_random_config(g), compare="exact",
             explain="A random valid configuration."),
        Case("large-long-context", args=(80, 64, 8, 128, 131072, 64, 2), compare="exact",
             explain="A 70B-class model with 64 sequences of 128k tokens: about 2.7 TB, far beyond one GPU."),
    ]


def expected(case: Case):
    from engine.core.config import ModelConfig
    from engine.formulas import kv_cache_bytes

    n_layers, n_heads, n_kv_heads, head_dim, seq_len, batch, bytes_per_element = case.args
    config = ModelConfig(d_model=n_heads * head_dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv_heads)
    return kv_cache_bytes(config, seq_len, batch, dtype=bytes_per_element)

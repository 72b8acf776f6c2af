"""Hidden tests for repeat-kv: shapes from MHA (n_rep = 1) through GQA to MQA (Hkv = 1)."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)

    # Each head holds its own index in every entry, so a wrong order is visible at a glance.
    labelled = torch.arange(2, dtype=torch.float32).view(1, 2, 1, 1).expand(1, 2, 3, 2).contiguous()
    return [
        Case("two-kv-heads-doubled", args=(labelled, 2), visible=True, compare="exact",
             explain="Two KV heads whose entries equal their index, each shared by two query heads: expect heads 0, 0, 1, 1."),
        Case("mqa-one-kv-head", args=(randn(1, 1, 2, 3), 4), visible=True, compare="exact",
             explain="Multi-query attention: a single KV head copied to all four query heads."),
        Case("n-rep-one-is-identity", args=(randn(2, 4, 5, 8), 1), compare="exact",
             explain="With one query head per KV head (plain multi-head attention) the output equals the input."),
        Case("grouped-order-per-head", args=(randn(2, 3, 5, 4, dtype=torch.float64), 3), compare="exact",
             explain="Three KV heads with three query heads each: output head h must be KV head h // 3."),
        Case("integer-tensor", args=(torch.randint(-100, 100, (2, 4, 3, 2), generator=g), 2), compare="exact",
             explain="An int64 input: the copy must keep the dtype and work without floating point."),
        Case("single-position", args=(randn(3, 2, 1, 8), 4), compare="exact",
             explain="One cached position (S = 1), as in the first decode step."),
        Case("large-llama-70b-group", args=(randn(2, 8, 256, 64), 8), compare="exact",
             explain="LLaMA-2-70B's grouping (8 KV heads for 64 query heads) over 256 positions."),
    ]


def expected(case: Case):
    """The engine's convention (engine.core.attention.attention_weights): repeat_interleave on the head axis."""
    x, n_rep = case.args
    return x.repeat_interleave(n_rep, dim=1)

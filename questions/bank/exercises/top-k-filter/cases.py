"""Hidden tests for top-k-filter; the oracle is the engine's filter (HF TopKLogitsWarper semantics)."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=torch.float64).mul(3).to(dtype)

    masked = randn(3, 12)
    masked[0, 2:] = float("-inf")  # only two finite entries, fewer than k
    masked[1, ::2] = float("-inf")
    # Small integer logits make ties at the threshold likely in almost every row.
    integer = torch.randint(-3, 4, (6, 20), generator=g).float()
    return [
        Case("keeps-two-of-five", args=(torch.tensor([[2.0, -1.0, 0.5, 3.0, 1.0]]), 2), visible=True,
             explain="With distinct logits exactly the k largest survive; the others become -inf."),
        Case("ties-at-the-kth-value", args=(torch.tensor([[1.0, 4.0, 2.0, 4.0, 2.0, 0.0], [5.0, 5.0, 5.0, 1.0, 0.0, 5.0]]), 3),
             visible=True, explain="Every token equal to the k-th largest value is kept, so a row may keep more than k."),
        Case("random-float32", args=(randn(4, 50), 5), explain="Random float32 logits, k = 5."),
        Case("random-float64", args=(randn(3, 17, dtype=torch.float64), 1), explain="float64 logits with k = 1 keep only each row's maximum."),
        Case("random-integer-logits-with-ties", args=(integer, 4), explain="Integer-valued logits tie at the threshold in most rows."),
        Case("k-at-least-vocab", args=(randn(2, 7), 9), explain="k larger than the vocabulary removes nothing."),
        Case("k-equals-vocab", args=(randn(2, 7, dtype=torch.float64), 7), explain="k equal to the vocabulary removes nothing."),
        Case("already-masked-inputs", args=(masked, 3), explain="Inputs that already hold -inf: a row with fewer than k finite entries loses nothing more."),
        Case("vocab-of-one", args=(randn(2, 1), 1), explain="A one-token vocabulary is returned unchanged."),
        Case("large-batch-16-vocab-32000", args=(randn(16, 32000), 50), explain="A realistic vocabulary size, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.sampling import top_k_filter

    return top_k_filter(*case.args, **case.kwargs)

"""Hidden tests for repetition-penalty; the oracle is the engine's penalty (HF RepetitionPenaltyLogitsProcessor)."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def logits(b, v, dtype=torch.float32):
        return (torch.randn(b, v, generator=g, dtype=torch.float64) * 3).to(dtype)

    def history(b, length, v):
        # Drawn from a small slice of the vocabulary so that ids repeat, as they do in real text.
        return torch.randint(0, max(1, v // 3), (b, length), generator=g)

    with_inf = logits(2, 10)
    with_inf[:, 0] = float("-inf")
    return [
        Case("positive-and-negative-logits", args=(torch.tensor([[2.0, -1.0, 0.5, 0.0, 3.0]]), torch.tensor([[0, 1, 3]]), 2.0),
             visible=True, explain="Seen positive logits are divided, seen negative ones multiplied, zero stays zero, unseen ids are untouched."),
        Case("repeated-id-penalised-once", args=(torch.tensor([[4.0, -2.0, 1.0]]), torch.tensor([[0, 0, 0, 1, 1]]), 2.0),
             visible=True, explain="An id that occurs several times in the history is penalised exactly once."),
        Case("random-float32", args=(logits(4, 50), history(4, 12, 50), 1.3), explain="Random float32 logits and histories with repeats, penalty 1.3."),
        Case("random-float64", args=(logits(3, 20, torch.float64), history(3, 6, 20), 1.5), explain="float64 logits, penalty 1.5."),
        Case("penalty-below-one", args=(logits(3, 30), history(3, 8, 30), 0.7), explain="A penalty below 1 raises seen logits: negatives shrink towards 0, positives grow."),
        Case("rows-have-own-history", args=(torch.tensor([[1.0, -1.0, 2.0], [1.0, -1.0, 2.0]]), torch.tensor([[0, 0], [1, 2]]), 4.0),
             explain="Each row is penalised with its own history only."),
        Case("history-of-one", args=(logits(2, 9, torch.float64), torch.tensor([[4], [8]]), 3.0), explain="A one-token history."),
        Case("minus-infinity-stays", args=(with_inf, torch.tensor([[0, 1, 2], [0, 5, 5]]), 1.8), explain="A seen -inf logit stays -inf."),
        Case("large-batch-16-vocab-32000", args=(logits(16, 32000), torch.randint(0, 32000, (16, 512), generator=g), 1.2),
             explain="A realistic vocabulary and a 512-token history, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.sampling import SamplingParams, apply_penalties

    logits, previous_ids, penalty = case.args
    return apply_penalties(logits, previous_ids, SamplingParams(repetition_penalty=penalty))

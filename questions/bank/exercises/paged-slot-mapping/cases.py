"""Hidden tests for paged-slot-mapping. Oracle: the engine's ``token_slots`` (engine.serving.paged_attention)."""
import torch

from questions.exercises.cases import Case


def _step(g, positions, block_size, *, spare=4, extra_columns=1, table=None):
    """(block_table, positions, block_size) for per-row ``positions`` lists (-1 = pad).

    Unless ``table`` is given, each row gets just enough blocks from a shuffled pool, and
    ``extra_columns`` unused (-1) entries pad every row of the table.
    """
    pos = torch.tensor(positions, dtype=torch.long)
    if table is None:
        needed = [int(row.max()) // block_size + 1 if bool((row >= 0).any()) else 0 for row in pos]
        free = torch.randperm(sum(needed) + spare, generator=g).tolist()
        table = torch.full((len(needed), max(needed) + extra_columns), -1, dtype=torch.long)
        for i, k in enumerate(needed):
            table[i, :k] = torch.tensor(free[:k], dtype=torch.long)
            free = free[k:]
    return (torch.as_tensor(table, dtype=torch.long), pos, block_size)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    large_starts = torch.randint(0, 1024, (64,), generator=g).tolist()
    return [
        Case("one-sequence-prefill", args=_step(g, [list(range(10))], 4, table=[[7, 2, 5]]), visible=True,
             explain="A 10-token prompt in blocks 7, 2, 5 of size 4: slots 28-31, then 8-11, then 20-21.", compare="exact"),
        Case("decode-batch", args=_step(g, [[5], [0], [12]], 4), visible=True,
             explain="One new token per sequence (a decode step), each in a different sequence's table.", compare="exact"),
        Case("chunked-prefill-positions", args=_step(g, [list(range(20, 28)), list(range(3, 11))], 8),
             explain="A prefill chunk that starts mid-sequence: positions 20-27 live in the table's third and fourth blocks.",
             compare="exact"),
        Case("block-boundaries", args=_step(g, [[0, 15, 16, 31, 32]], 16),
             explain="The first and last position of consecutive blocks, where // and % change over.", compare="exact"),
        Case("block-size-one", args=_step(g, [[0, 1, 2, 3], [2, 3, 4, 5]], 1),
             explain="With one slot per block the slot is just the table entry.", compare="exact"),
        Case("left-padded-positions", args=_step(g, [[-1, -1, 4, 5], [4, 5, 6, 7], [-1, -1, -1, 6]], 4, extra_columns=0),
             explain="Pads (-1) must map to slot -1, even when the table's last entry is a real block.", compare="exact"),
        Case("large-batch", args=_step(g, [list(range(s, s + 512)) for s in large_starts], 16, spare=64),
             explain="64 sequences, 512 new tokens each at random offsets, 16-token blocks.", compare="exact"),
    ]


def expected(case: Case):
    from engine.serving.paged_attention import PAD_SLOT, token_slots

    table, positions, block_size = case.args
    out = torch.full_like(positions, PAD_SLOT)
    for i in range(positions.shape[0]):
        real = positions[i] >= 0
        if bool(real.any()):
            # Slots of positions 0..max of this row, then pick the ones asked for.
            upto = torch.tensor(token_slots(table[i].tolist(), 0, int(positions[i].max()) + 1, block_size))
            out[i, real] = upto[positions[i, real]]
    return out

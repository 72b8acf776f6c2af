"""Hidden tests for bpe-merge. Oracle: Hugging Face's BPE model, the tokenizer library the engine loads.

The statement promises that merging every occurrence of the winning pair at once (GPT-2's original
sweep) gives the same answers as one merge at a time; random cases are redrawn until it does.
"""
import torch

from questions.exercises.cases import Case

ALPHABET = "abcdef"


def _gpt2_sweep(word, merges):
    """GPT-2's loop: take the lowest-rank pair present and merge all its occurrences, left to right."""
    rank = {tuple(m): r for r, m in enumerate(merges)}
    pieces = list(word)
    while len(pieces) > 1:
        pairs = [p for p in zip(pieces, pieces[1:]) if p in rank]
        if not pairs:
            break
        best = min(pairs, key=rank.__getitem__)
        out, i = [], 0
        while i < len(pieces):
            if i < len(pieces) - 1 and (pieces[i], pieces[i + 1]) == best:
                out.append(pieces[i] + pieces[i + 1])
                i += 2
            else:
                out.append(pieces[i])
                i += 1
        pieces = out
    return pieces


def _hf_bpe(word, merges):
    from tokenizers import models

    # The model needs every piece it can produce in its vocabulary; ids are irrelevant here.
    pieces = dict.fromkeys(list(word) + [s for left, right in merges for s in (left, right, left + right)])
    model = models.BPE(vocab={p: i for i, p in enumerate(pieces)}, merges=[tuple(m) for m in merges])
    return [token.value for token in model.tokenize(word)]


def _random(g, word_pieces, n_merges):
    """A merge list grown like a trained one (parts made before the merge), then shuffled; a word built from its pieces."""
    def pick(items):
        return items[int(torch.randint(len(items), (1,), generator=g))]

    while True:
        tokens, merges = list(ALPHABET), []
        for _ in range(n_merges * 4):
            if len(merges) == n_merges:
                break
            pair = (pick(tokens), pick(tokens))
            if pair not in merges and len(pair[0] + pair[1]) <= 8:
                merges.append(pair)
                tokens.append(pair[0] + pair[1])
        merges = [merges[i] for i in torch.randperm(len(merges), generator=g).tolist()]
        word = "".join(pick(tokens) for _ in range(word_pieces))
        if _hf_bpe(word, merges) == _gpt2_sweep(word, merges):
            return (word, merges)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("lower-example", args=("lower", [("l", "o"), ("lo", "w"), ("e", "r")]), visible=True, compare="exact",
             explain="The example from the statement: lower becomes low + er."),
        Case("merge-unlocked-later", args=("abcab", [("ab", "c"), ("a", "b")]), visible=True, compare="exact",
             explain="Rank 0 (ab + c) only becomes possible after rank 1 (a + b) has made 'ab'; it must then win."),
        Case("rank-beats-position", args=("abc", [("b", "c"), ("a", "b")]), compare="exact",
             explain="'bc' has the lower rank, so it is merged although 'ab' comes first in the word."),
        Case("no-merge-applies", args=("xyz", [("a", "b"), ("y", "x")]), compare="exact",
             explain="No adjacent pair is in the list (order matters: y+x is not x+y), so the characters come back."),
        Case("single-character", args=("q", [("q", "q")]), compare="exact",
             explain="A one-character word has no pairs at all."),
        Case("repeated-letters", args=("aaaaaa", [("a", "a"), ("aa", "aa"), ("aaaa", "aa")]), compare="exact",
             explain="Overlapping occurrences of one pair: merges pair up from the left, then the pieces merge again."),
        Case("non-ascii-word", args=("naïveté", [("ï", "v"), ("t", "é"), ("a", "ïv"), ("n", "aïv")]), compare="exact",
             explain="Pieces are characters, accented ones included."),
        Case("random-shuffled-merges", args=_random(g, 8, 20), compare="exact",
             explain="A random 20-merge list in shuffled order and a word built from its pieces."),
        Case("large-long-word", args=_random(g, 60, 200), compare="exact",
             explain="A word of a few hundred characters with 200 shuffled merges."),
    ]


def expected(case: Case):
    return _hf_bpe(*case.args)

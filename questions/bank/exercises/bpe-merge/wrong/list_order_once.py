"""Applies the merges in list order, one pass over the list, instead of always taking the lowest rank present."""


def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    pieces = list(word)
    for left, right in merges:
        i = 0
        while i < len(pieces) - 1:
            if pieces[i] == left and pieces[i + 1] == right:
                pieces[i : i + 2] = [left + right]
            else:
                i += 1
    return pieces

"""Merges the first mergeable pair from the left, whatever its rank."""


def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    known = {(left, right) for left, right in merges}
    pieces = list(word)
    merged = True
    while merged:
        merged = False
        for i in range(len(pieces) - 1):
            if (pieces[i], pieces[i + 1]) in known:
                pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
                merged = True
                break
    return pieces

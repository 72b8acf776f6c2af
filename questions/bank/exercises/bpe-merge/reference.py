def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    rank = {(left, right): r for r, (left, right) in enumerate(merges)}
    pieces = list(word)
    while True:
        candidates = [
            (rank[pair], i) for i, pair in enumerate(zip(pieces, pieces[1:])) if pair in rank
        ]
        if not candidates:
            return pieces
        _, i = min(candidates)  # lowest rank; ties go to the leftmost occurrence
        pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]

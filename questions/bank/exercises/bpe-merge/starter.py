def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """Split `word` into BPE pieces.

    Start from the characters; repeatedly merge the leftmost occurrence of the adjacent pair with the
    lowest rank (its index in `merges`) until no adjacent pair is a merge.
    """
    raise NotImplementedError

def expected_tokens_per_step(alpha: float, gamma: int) -> float:
    if alpha == 1:
        return float(gamma + 1)  # every draft accepted, plus the bonus token (the formula's limit)
    # 1 + alpha + ... + alpha^gamma: draft i survives with probability alpha^i, the target adds one token.
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)

"""Returns the expected accepted drafts only, without the target's own token."""


def expected_tokens_per_step(alpha, gamma):
    if alpha == 1:
        return float(gamma)
    return alpha * (1 - alpha ** gamma) / (1 - alpha)

"""The closed form without the alpha = 1 case."""


def expected_tokens_per_step(alpha, gamma):
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)

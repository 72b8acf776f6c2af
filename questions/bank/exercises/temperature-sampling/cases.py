"""Hidden tests for temperature-sampling; the oracle is float64 inverse-CDF math written here.

The engine draws with torch.multinomial, whose uniforms cannot be supplied, so the oracle is the
same rule (softmax of logits / T, first cumulative value above u) computed in float64.
"""
import torch

from questions.exercises.cases import Case

# Every u stays this far from every cumulative boundary, so float32 cumulative sums pick the same token.
MARGIN = 1e-4


def _cdf(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return (logits.double() / temperature).softmax(dim=-1).cumsum(dim=-1)


def _uniforms(g: torch.Generator, logits: torch.Tensor, temperature: float, tries: int = 256) -> torch.Tensor:
    """One u per row, drawn until it lies at least MARGIN from every boundary of that row's CDF."""
    cdf = _cdf(logits, temperature)
    edges = torch.cat([torch.zeros(cdf.size(0), 1, dtype=cdf.dtype), cdf], dim=-1)  # [B, V + 1]
    out = []
    for row in edges:
        for _ in range(tries):
            u = torch.rand((), generator=g, dtype=torch.float64)
            if bool(((row - u).abs() > MARGIN).all()):
                out.append(u)
                break
        else:
            raise RuntimeError("no uniform clear of the CDF boundaries; make the distribution less flat")
    return torch.stack(out).to(logits.dtype)


def _random(g, b, v, scale, temperature, dtype=torch.float32):
    logits = (torch.randn(b, v, generator=g, dtype=torch.float64) * scale).to(dtype)
    return logits, temperature, _uniforms(g, logits, temperature)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    quarter = torch.tensor([0.1, 0.2, 0.3, 0.4]).log().expand(4, 4).contiguous()
    masked = (torch.randn(3, 12, generator=g, dtype=torch.float64) * 2).float()
    masked[:, ::2] = float("-inf")
    masked[2] = float("-inf")
    masked[2, 5] = 1.0  # one live token
    tied = torch.randint(0, 3, (5, 8), generator=g).float()  # argmax ties in most rows
    return [
        Case("pieces-of-the-unit-interval", args=(quarter, 1.0, torch.tensor([0.05, 0.25, 0.5, 0.95])), visible=True,
             explain="Probabilities 0.1, 0.2, 0.3, 0.4 cut [0, 1) at 0.1, 0.3, 0.6: u = 0.05, 0.25, 0.5, 0.95 pick tokens 0, 1, 2, 3."),
        Case("temperature-sharpens", args=(torch.tensor([[0.0, 0.6931472, 1.3862944]] * 2), 0.5, torch.tensor([0.3, 0.1])),
             visible=True, explain="At T = 0.5 probabilities proportional to 1, 2, 4 become proportional to 1, 4, 16."),
        Case("temperature-zero-is-argmax", args=(tied, 0.0, torch.rand(5, generator=g)),
             explain="Temperature 0 returns each row's argmax (lowest index on ties) and ignores u."),
        Case("unit-temperature", args=_random(g, 4, 20, 2.0, 1.0), explain="T = 1 samples from the plain softmax."),
        Case("low-temperature", args=_random(g, 5, 50, 1.0, 0.3), explain="T = 0.3 concentrates the mass on the top tokens."),
        Case("high-temperature-float64", args=_random(g, 4, 30, 3.0, 2.5, torch.float64), explain="float64 logits, T = 2.5 flattens the distribution."),
        Case("masked-tokens-never-drawn", args=(masked, 0.7, _uniforms(g, masked, 0.7)), explain="Tokens with -inf logits have probability 0 and are never drawn."),
        Case("vocab-of-one", args=(torch.randn(2, 1, generator=g), 1.3, torch.tensor([0.2, 0.9])), explain="A one-token vocabulary always returns token 0."),
        Case("large-batch-16-vocab-32000", args=_random(g, 16, 32000, 3.0, 0.8), explain="A realistic vocabulary size, timed against the float64 oracle."),
    ]


def expected(case: Case):
    logits, temperature, u = case.args
    if temperature == 0:
        return logits.argmax(dim=-1)
    cdf = _cdf(logits, temperature)
    return torch.searchsorted(cdf, u.double()[:, None], right=True)[:, 0]

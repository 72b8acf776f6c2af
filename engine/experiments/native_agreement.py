"""How far the native-precision path (``weights="gguf"``) drifts from the float32 path, measured.

Both paths hold the same weights (the GGUF's blocks and their exact float32 values); only the
order of the additions differs. The measurement is teacher-forced over a held-out passage: both
models read the same tokens, and at every position we compare their top-1 prediction and the
probability they give the true next token (perplexity).

The native model is fed the passage in chunks of ``GEMV_MAX_ROWS`` tokens through a static KV
cache, so every matmul goes through the same weight-only kernel a decode step uses (a longer
chunk would take the dequantise-then-float32 route and compare float32 with itself).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from engine.core.kv_cache import make_cache
from engine.core.model import Transformer
from engine.core.quant_linear import GEMV_MAX_ROWS

# Written for this project and found in no training set: a plain expository passage of 523
# SmolLM2 tokens, long enough that 1% agreement is five or six tokens.
HELDOUT_TEXT = (
    "The harbour town kept its lighthouse long after ships stopped needing it. The keeper's cottage "
    "became a small museum, and every summer a volunteer climbed the spiral stairs twice a day to wind "
    "the clockwork that turned the lens. Visitors were often surprised to learn that the light itself "
    "had never been very bright. A single oil flame, no larger than a candle's, was enough, because the "
    "lens gathered almost all of its light into a narrow beam and swept that beam across the water. A "
    "sailor ten miles out saw a short, sharp flash every few seconds, and the pattern of flashes told "
    "him which lighthouse he was looking at. Each station along the coast had its own rhythm, printed "
    "in the almanac that every captain carried.\n\n"
    "Building the lens was slow and careful work. It was made of dozens of glass rings, each ground to a "
    "slightly different angle, and mounted in a brass frame as tall as a person. The inner rings bent "
    "light by refraction, the way an ordinary magnifying glass does; the outer rings used prisms that "
    "reflected light internally before sending it out toward the horizon. A solid lens of the same "
    "power would have been far too thick and heavy to turn, and most of its light would have been lost "
    "in the glass. Splitting it into rings kept the weight manageable while wasting very little of the "
    "flame.\n\n"
    "The keepers who lived here wrote down the weather three times a day in a leather logbook. Those "
    "entries, kept for more than a century, are now used by scientists who study how storms along this "
    "coast have changed. A typical page records the wind's direction and strength, the height of the "
    "waves at the harbour wall, whether fog had rolled in, and how many hours the light had burned. On "
    "foggy nights the keeper also sounded a horn every half minute, and the log notes when the horn "
    "began and when it stopped, sometimes after twenty hours without a break.\n\n"
    "Life at the station was quieter than people imagine. The work was routine: trimming the wick, "
    "polishing the brass, cleaning soot from the glass, carrying oil up from the store. Children of "
    "keepers rowed across to the town for school and rowed back in the afternoon, weather permitting. "
    "When the harbour authority finally installed an electric lamp with an automatic switch, the last "
    "keeper stayed on for another year to make sure it worked, then moved into town and opened a shop "
    "that sold rope, paint and fishing hooks. His logbooks went to the museum, and the old oil flame was "
    "lit one last time on the evening the station closed, while half the town watched from the pier."
)


@dataclass(frozen=True)
class Agreement:
    tokens: int  # positions compared (the passage's length minus one)
    top1_agreement: float  # fraction of positions where both models rank the same token first
    perplexity_float32: float
    perplexity_native: float
    max_logit_difference: float  # largest |native - float32| over every logit compared

    @property
    def perplexity_change(self) -> float:
        """Relative change of perplexity, native vs float32 (0.01 = 1%)."""
        return self.perplexity_native / self.perplexity_float32 - 1.0

    def as_dict(self) -> dict:
        return {**asdict(self), "perplexity_change": self.perplexity_change}


@torch.inference_mode()
def chunked_logits(model: Transformer, ids: torch.Tensor, chunk: int = GEMV_MAX_ROWS) -> torch.Tensor:
    """Logits [n, V] for ids [n], fed ``chunk`` tokens at a time through a static cache."""
    n = ids.numel()
    cache = make_cache("static", model.config, 1, n, dtype=model.dtype, device=model.device)
    return torch.cat([model(ids[None, i : i + chunk], cache=cache)[0] for i in range(0, n, chunk)])


@torch.inference_mode()
def teacher_forced_agreement(reference: Transformer, native: Transformer, ids: torch.Tensor) -> Agreement:
    """Compare the float32 model (one full pass) and the native one (decode-kernel chunks) on ``ids``."""
    ids = ids.flatten()
    if ids.numel() < 2:
        raise ValueError(f"ids: the comparison needs at least 2 tokens, got {ids.numel()}")
    expected = reference(ids[None])[0, :-1].float()  # [n-1, V]: predictions for tokens 1..n-1
    got = chunked_logits(native, ids)[:-1].float()
    targets = ids[1:]
    return Agreement(
        tokens=targets.numel(),
        top1_agreement=float((expected.argmax(-1) == got.argmax(-1)).float().mean()),
        perplexity_float32=math.exp(float(F.cross_entropy(expected, targets))),
        perplexity_native=math.exp(float(F.cross_entropy(got, targets))),
        max_logit_difference=float((expected - got).abs().max()),
    )

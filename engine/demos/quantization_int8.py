"""Int8 weight-only quantisation of SmolLM2-135M: bytes saved vs perplexity lost.

Every linear layer's weight becomes int8 with one scale per output channel; embeddings and norms
stay float. Perplexity is measured on one fixed English passage before and after, with one
forward pass each, so the two numbers differ only by the rounding.

A third column is the model as the GGUF file stores it (``weights="gguf"``: Q4_1 blocks, a Q8_0
embedding table) run by the weight-only kernels: the same weights as the float32 column, read at
a fraction of the bytes, multiplied with the layers' activations rounded to int8 blocks as
llama.cpp does (engine.core.quant_linear). Its perplexity and top-1 agreement come from the decode kernels
(engine.experiments.native_agreement feeds the passage in decode-sized chunks), and each column's decode step is
timed on one thread.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register

KINDS = ("attn.qkv", "attn.o_proj", "mlp.gate_up", "mlp.down_proj")


@register(
    "quantization_int8",
    title="Int8 weight-only quantisation of SmolLM2-135M: memory vs perplexity",
    summary="Per-channel int8 weights for every linear layer: model bytes before and after, perplexity on a fixed "
    "passage, and the rounding error layer by layer.",
    params=(
        Param("include_lm_head", bool, False, "also quantise the output projection (tied to the embeddings, so it gets its own int8 copy)"),
    ),
    uses_model=True,
)
def quantization_int8(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    import torch

    from engine.core.quantize import EVAL_TEXT, model_bytes, perplexity, quantize_int8
    from engine.experiments.measure import DecodeStepper, interleaved_median_times, one_thread, weight_bytes_read_per_token
    from engine.experiments.native_agreement import teacher_forced_agreement
    from engine.io.loader import shared_model

    model, tokenizer = load_demo_model(progress)
    native, _ = shared_model(weights="gguf")
    progress(10, "GGUF blocks loaded")
    ids = tokenizer.encode(EVAL_TEXT)
    with one_thread():
        before = perplexity(model, ids)
        progress(30, "float perplexity")
        quantized, report = quantize_int8(model, include_lm_head=params["include_lm_head"])
        progress(45, "quantised")
        after = perplexity(quantized, ids)
        progress(60, "int8 perplexity")
        gguf = teacher_forced_agreement(model, native, torch.tensor(ids))
        progress(75, "GGUF blocks: perplexity and agreement")
        step_s = interleaved_median_times(
            {name: DecodeStepper(m, 64, max_steps=8).step for name, m in (("float32", model), ("int8", quantized), ("gguf", native))},
            reps=5,
        )
    progress(95, "decode steps timed")
    n_layers = model.config.n_layers
    series = [
        {"name": kind, "x": list(range(n_layers)), "y": [round(100 * report.layer_errors[f"layers.{i}.{kind}"], 3) for i in range(n_layers)]}
        for kind in KINDS
    ]
    mib = lambda n: round(n / 2**20, 1)
    change = 100 * (after / before - 1)
    read = [weight_bytes_read_per_token(m) for m in (model, quantized, native)]
    rows = [
        ["model bytes (MiB)", mib(report.bytes_before), mib(report.bytes_after), mib(model_bytes(native))],
        ["weight bytes read per decode token (MiB)", *[mib(n) for n in read]],
        ["perplexity on the fixed passage", round(before, 3), round(after, 3), round(gguf.perplexity_native, 3)],
        ["top-1 agreement with float32 (teacher-forced, %)", 100.0, "not measured", round(100 * gguf.top1_agreement, 1)],
        ["decode tokens/s (1 thread, 64-token context)", *[round(1 / step_s[k], 1) for k in ("float32", "int8", "gguf")]],
    ]
    notes = [
        (f"{report.layers} linear layers converted: the model shrank from {mib(report.bytes_before)} to "
        f"{mib(report.bytes_after)} MiB ({report.compression:.2f}x) and perplexity on a {len(ids)}-token passage went "
        f"from {before:.2f} to {after:.2f} ({change:+.2f}%)."),
        (f"The float embedding table ({mib(model.embed.weight.numel() * model.embed.weight.element_size())} MiB) is kept, "
        "which is why the whole model does not shrink the full 4x the linear weights do."),
        (f"Per-channel scales keep the rounding error small: {100 * report.mean_rel_error:.2f}% of a weight matrix's norm on "
        f"average, at most {report.max_abs_error:.4f} on any single weight."),
        ("Weight-only int8 saves memory and, with a fused int8 kernel, the bytes a decode step streams; this CPU path "
        "converts int8 back to float inside every matmul, so it saves memory, not time."),
    ]
    notes.append(
        f"The GGUF file's own blocks (Q4_1 projections, Q8_0 embeddings) hold exactly the float32 column's weights in "
        f"{mib(read[2])} MiB; with kernels that multiply on the blocks a decode step reads {read[0] / read[2]:.1f}x fewer bytes "
        f"and ran {step_s['float32'] / step_s['gguf']:.1f}x faster here, while the top-1 prediction agreed with float32 at "
        f"{100 * gguf.top1_agreement:.1f}% of {gguf.tokens} positions (perplexity {100 * gguf.perplexity_change:+.3f}%): "
        "the weights are identical; what differs is the rounding of the activations, which the layers' kernels round "
        "to int8 per block of 32 (the LM head keeps them float32)."
    )
    if params["include_lm_head"]:
        notes.append("The LM head shares its matrix with the embedding table, so quantising it adds an int8 copy next to the float table.")
    result = DemoResult("SmolLM2-135M with int8 per-channel weights")
    result.metric("compression", round(report.compression, 2), "x")
    result.metric("perplexity, float32", round(before, 3))
    result.metric("perplexity, int8 weights", round(after, 3))
    result.metric("perplexity change", round(change, 2), "%")
    result.table(["", "float32", "int8 weights", "GGUF blocks (native kernels)"], rows)
    result.chart("Relative rounding error per layer", "layer", "||W - dequant(Q)|| / ||W|| (%)", series)
    result.note(*notes)
    result.measured_with(timing_threads=1)
    return result

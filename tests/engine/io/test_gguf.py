"""GGUF loading: the Q/K un-permutation, config from metadata, the safetensors weight cache, errors."""
from __future__ import annotations

import pytest
import torch

from engine.io.gguf import GGUFError, _cache_path, load_gguf_cached, read_gguf, unpermute_rope_rows


def llama_cpp_permute(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """What llama.cpp's convert_hf_to_gguf.py does to W_q / W_k (the operation we must invert)."""
    return weight.reshape(n_heads, 2, weight.shape[0] // n_heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


@pytest.mark.parametrize("n_heads", [1, 3, 9])
def test_unpermute_inverts_llama_cpp_permutation(n_heads):
    weight = torch.randn(n_heads * 64, 40)
    assert torch.equal(unpermute_rope_rows(llama_cpp_permute(weight, n_heads), n_heads), weight)
    assert not torch.equal(llama_cpp_permute(weight, n_heads), weight)


def test_missing_and_non_gguf_files_are_reported(tmp_path):
    with pytest.raises(GGUFError, match="no GGUF file at"):
        read_gguf(tmp_path / "nope.gguf")
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a gguf file at all" * 10)
    with pytest.raises(GGUFError, match="is not a readable GGUF file"):
        read_gguf(bogus)


def test_unknown_model_name_is_rejected():
    from engine import load_model

    with pytest.raises(GGUFError, match="model: 'gpt-5' is neither a known model"):
        load_model("gpt-5")


@pytest.mark.slow
def test_config_comes_from_metadata_and_weights_are_cached(gguf_path, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGINE_DATA_DIR", str(tmp_path))
    config, state = load_gguf_cached(gguf_path, name="smollm2-135m")
    assert (config.n_layers, config.d_model, config.n_heads, config.n_kv_heads) == (30, 576, 9, 3)
    assert (config.d_ff, config.vocab_size, config.rope_theta, config.tie_embeddings) == (1536, 49152, 100000.0, True)
    assert len(state) == 2 + 30 * 9
    assert state["layers.0.attn.k_proj.weight"].shape == (192, 576)
    cached = _cache_path(gguf_path)
    assert cached.is_file() and str(cached).startswith(str(tmp_path))
    config_again, state_again = load_gguf_cached(gguf_path)  # now from the safetensors file
    assert config_again == config
    assert torch.equal(state_again["layers.7.attn.q_proj.weight"], state["layers.7.attn.q_proj.weight"])


@pytest.mark.slow
def test_a_corrupt_cache_file_is_rebuilt(gguf_path, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGINE_DATA_DIR", str(tmp_path))
    cached = _cache_path(gguf_path)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"torn write")
    config, _state = load_gguf_cached(gguf_path)
    assert config.n_layers == 30 and cached.stat().st_size > 100_000_000

"""The model's tokenizer, rebuilt from what the GGUF file stores (no tokenizer.json needed).

A ``gpt2``-type GGUF carries the byte-level BPE vocabulary (already spelled in GPT-2's
byte-to-unicode alphabet, "Ġ" for a space), the merge list in priority order, token types
(3 = control, e.g. ``<|im_end|>``), bos/eos ids and a Jinja chat template. That is everything a
``tokenizers`` BPE needs.

Pre-tokenisation follows ``tokenizer.ggml.pre``. For "smollm" every digit is isolated before the
GPT-2 split, as llama.cpp does for that name, so "2024" is four tokens ("2", "0", "2", "4").
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTROL_TOKEN_TYPE = 3


@dataclass
class Tokenizer:
    backend: Any  # tokenizers.Tokenizer
    bos_token_id: int | None
    eos_token_id: int | None
    chat_template: str | None
    special_ids: frozenset[int]

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str, add_bos: bool = False) -> list[int]:
        """Token ids for ``text``; special tokens written in the text (``<|im_start|>``) stay whole."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        ids = self.backend.encode(text, add_special_tokens=False).ids
        if add_bos and self.bos_token_id is not None:
            ids = [self.bos_token_id, *ids]
        return ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = False) -> str:
        return self.backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)

    def token_text(self, token_id: int) -> str:
        """One token as readable text (byte-level pieces of a multi-byte character show as U+FFFD)."""
        return self.decode([token_id])

    def apply_chat_template(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        """Render ``messages`` ([{"role": ..., "content": ...}]) with the model's own template."""
        if not self.chat_template:
            raise ValueError("this model has no chat template")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not {"role", "content"} <= set(message):
                raise ValueError(f"messages[{i}] must be a dict with 'role' and 'content'")
        return _compile_template(self.chat_template).render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=self.decode([self.bos_token_id]) if self.bos_token_id is not None else "",
            eos_token=self.decode([self.eos_token_id]) if self.eos_token_id is not None else "",
        )

    def encode_chat(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> list[int]:
        return self.encode(self.apply_chat_template(messages, add_generation_prompt))


def _compile_template(source: str) -> Any:
    # A sandboxed environment, as transformers uses: the template comes from a data file.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source)


def _split_patterns(pre: str | None) -> list[str]:
    """Regexes applied (in order, each isolating its matches) before the byte-level step."""
    gpt2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
    if pre == "smollm":
        return [r"\p{N}", gpt2]
    return [gpt2]


def build_tokenizer(fields: dict[str, Any]) -> Tokenizer:
    """Build from GGUF tokenizer metadata (``tokenizer.ggml.*`` and ``tokenizer.chat_template``)."""
    from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers
    from tokenizers import Tokenizer as BackendTokenizer

    model_type = fields.get("tokenizer.ggml.model")
    if model_type != "gpt2":
        raise ValueError(f"only byte-level BPE ('gpt2') GGUF tokenizers are supported, this file has {model_type!r}")
    tokens: list[str] = list(fields["tokenizer.ggml.tokens"])
    types: list[int] = list(fields.get("tokenizer.ggml.token_type") or [1] * len(tokens))
    merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"]]
    vocab = {token: i for i, token in enumerate(tokens)}

    backend = BackendTokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    splits = [pre_tokenizers.Split(Regex(p), behavior="isolated") for p in _split_patterns(fields.get("tokenizer.ggml.pre"))]
    backend.pre_tokenizer = pre_tokenizers.Sequence([*splits, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    backend.decoder = decoders.ByteLevel()
    control = [t for t, kind in zip(tokens, types) if kind == CONTROL_TOKEN_TYPE]
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])

    def optional_id(key: str) -> int | None:
        value = fields.get(key)
        return None if value is None else int(value)

    return Tokenizer(
        backend=backend,
        bos_token_id=optional_id("tokenizer.ggml.bos_token_id"),
        eos_token_id=optional_id("tokenizer.ggml.eos_token_id"),
        chat_template=fields.get("tokenizer.chat_template"),
        special_ids=frozenset(vocab[t] for t in control),
    )


def load_tokenizer(gguf_path: str | Path) -> Tokenizer:
    """Read only the tokenizer metadata of a GGUF file (the tensors stay on disk)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    fields = {key: field.contents() for key, field in reader.fields.items() if key.startswith("tokenizer.")}
    return build_tokenizer(fields)

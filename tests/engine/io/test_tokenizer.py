"""The tokenizer rebuilt from GGUF metadata against HF's tokenizer built from the same file."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

TEXTS = [
    "Hello, world!",
    "héllo wörld — naïve café, 日本語のテキスト, emoji 🙂🚀",
    "  leading spaces\n\nblank lines\tand tabs  ",
    "I'll say it's 2024; pi is 3.14159 and 1,000,000 is a million.",
    "def f(x):\n    return x ** 2  # squares\n",
    "<|im_start|>user\nHi there<|im_end|>\n",
]


@pytest.fixture(scope="module")
def tokenizer(smollm2):
    return smollm2[1]


@pytest.mark.parametrize("text", TEXTS)
def test_ids_match_hf_and_round_trip(tokenizer, hf_tokenizer, text):
    ids = tokenizer.encode(text)
    assert ids == hf_tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.decode(ids) == text


def test_special_tokens_stay_whole_and_ids_come_from_metadata(tokenizer):
    assert tokenizer.encode("<|im_start|><|im_end|>") == [1, 2]
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id) == (1, 2)
    assert tokenizer.decode([1, 5, 2], skip_special_tokens=True) == ""
    assert 0 in tokenizer.special_ids and 16 in tokenizer.special_ids


def test_digits_are_split_one_by_one(tokenizer):
    assert [tokenizer.token_text(i) for i in tokenizer.encode("2024")] == ["2", "0", "2", "4"]


def test_chat_template_matches_hf(tokenizer, hf_tokenizer):
    conversations = [
        [{"role": "user", "content": "What is 2+2?"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
         {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}],
    ]
    for messages in conversations:
        for add in (True, False):
            ours = tokenizer.apply_chat_template(messages, add_generation_prompt=add)
            assert ours == hf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add)
            assert tokenizer.encode_chat(messages, add) == hf_tokenizer.apply_chat_template(
                messages, tokenize=True, add_generation_prompt=add, return_dict=False
            )


def test_chat_template_inserts_the_default_system_prompt(tokenizer):
    text = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}])
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")


def test_malformed_messages_are_rejected(tokenizer):
    with pytest.raises(ValueError, match=r"messages\[0\] must be a dict with 'role' and 'content'"):
        tokenizer.apply_chat_template([{"text": "hi"}])
    with pytest.raises(TypeError, match="text must be a string"):
        tokenizer.encode(42)

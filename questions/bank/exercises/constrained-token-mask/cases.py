"""Hidden tests for constrained-token-mask.

Automata come from the engine's regex compiler (engine.serving.constrained.compile_regex, JSON schemas
through schema_to_regex); the oracle is the engine's TokenMasks.for_state on the same vocabulary.
"""
import torch

from questions.exercises.cases import Case

EOS = b"</s>"
SMALL_VOCAB = [b"t", b"tr", b"true", b"false", b"f", b"x", b"true,", b"", EOS, b"ue", b"als", b"e"]
JSON_PIECES = [b"{", b"}", b'"', b'":', b'": ', b", ", b",", b" ", b"\n", b"\n  ", b"name", b"age", b'"name"',
               b'{"', b'"age": ', b"0", b"1", b"12", b"-", b"-3", b"007", b"a", b"bc", b"\\", b'\\"', b"\xc3",
               b"\xa9", b"\xc3\xa9", b"}\n", b"null", b"", EOS, b"e", b"E5", b".5"]


def _dfa(pattern=None, schema=None):
    from engine.serving.constrained import compile_regex, schema_to_regex

    return compile_regex(pattern if schema is None else schema_to_regex(schema))


def _case_args(dfa, prefix: bytes, vocab):
    """The automaton's tables, the state after ``prefix`` from its start, the vocabulary and EOS's id."""
    state = dfa.walk(dfa.start, prefix)
    assert state != 0, f"{prefix!r} is not a valid prefix"
    # Tokens travel as lists of byte values: plain data the sandbox's loader accepts.
    return (dfa.trans.clone(), dfa.accept.clone(), state, [list(token) for token in vocab], vocab.index(EOS))


PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


def _random_vocab(g, size):
    """Random byte strings over JSON-ish characters (1-6 bytes), plus the pieces above; EOS at a random id."""
    alphabet = b'{}":, \n0123456789-.eEabcnmrstu\\'
    vocab = list(dict.fromkeys(JSON_PIECES))
    while len(vocab) < size:
        length = int(torch.randint(1, 7, (1,), generator=g))
        picks = torch.randint(len(alphabet), (length,), generator=g).tolist()
        token = bytes(alphabet[i] for i in picks)
        if token not in vocab:
            vocab.append(token)
    order = torch.randperm(len(vocab), generator=g).tolist()
    return [vocab[i] for i in order]


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    boolean = _dfa(r"(?:true|false)")
    integer = _dfa(r"-?(?:0|[1-9][0-9]*)")
    person = _dfa(schema=PERSON)
    return [
        Case("true-or-false", args=_case_args(boolean, b"", SMALL_VOCAB), visible=True, compare="exact",
             explain="At the start of true|false: 't', 'tr', 'true', 'f', 'false' fit; 'true,' dies at its fifth byte."),
        Case("after-tr", args=_case_args(boolean, b"tr", SMALL_VOCAB), visible=True, compare="exact",
             explain="After 'tr' only tokens that continue 'ue' are allowed, and not EOS: 'tr' is not a word yet."),
        Case("word-complete", args=_case_args(boolean, b"true", SMALL_VOCAB), compare="exact",
             explain="After 'true' nothing may follow, but EOS is allowed because 'true' is accepted."),
        Case("empty-special-tokens", args=_case_args(integer, b"1", [b"", b"2", b"", EOS, b"-1", b"34"]), compare="exact",
             explain="Tokens with no bytes are never allowed, even though walking zero bytes cannot die."),
        Case("json-integer-field", args=_case_args(person, b'{"name": "Ada", "age": ', JSON_PIECES), compare="exact",
             explain="Inside a JSON object where an integer is due: '12' and '-3' fit, '007' dies at its second byte."),
        Case("mid-string-state", args=_case_args(person, b'{"name": "Ad', JSON_PIECES), compare="exact",
             explain="Inside a string: a UTF-8 lead byte, an escape or a closing quote fit; a lone continuation byte, a newline and EOS do not."),
        Case("large-json-vocabulary", args=_case_args(person, b'{"name": "', _random_vocab(g, 6000)), compare="exact",
             explain="6000 random JSON-ish tokens at the start of a string value."),
    ]


def expected(case: Case):
    from engine.serving.constrained import ByteDFA, TokenMasks

    trans, accept, state, vocab, eos_id = case.args
    masks = TokenMasks(ByteDFA(trans, accept, start=state), [bytes(token) for token in vocab], eos_id)
    allowed, next_state = masks.for_state(state)
    return allowed.clone(), next_state.clone()

"""The embedded model's server: llama-cpp-python's OpenAI-compatible server, sampling
under a JSON grammar the way llama.cpp's own server does.

llama-cpp-python puts the grammar first in its sampler chain, so every generated
token checks all ~152k vocabulary entries against the JSON-schema grammar: on
2 cores that was more than half of the model's time (a probe: 200 tokens in 43 s
with the grammar, 18 s without). llama.cpp's server samples first and asks the
grammar only about the token it picked; only when the grammar rejects that token
does it filter the whole vocabulary and sample again. The text is the same under
greedy decoding (the best token the grammar allows is the best token, whenever
the grammar allows it), and most tokens cost one check instead of 152k.

    python -m pipeline.llama_server --model FILE.gguf ...   (llama_cpp.server's arguments)
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np
from llama_cpp import llama_cpp
from llama_cpp._internals import LlamaContext, LlamaSampler
from llama_cpp.llama import Llama
from llama_cpp.llama_grammar import LlamaGrammar

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class GrammarCheckedSampler:
    """Stands in for llama-cpp-python's sampler chain when a request has a grammar:
    the chain without the grammar picks a token, the grammar vets that one token,
    and only a rejected token sends the whole vocabulary through the grammar."""

    def __init__(self, chain: LlamaSampler, model: Any, grammar: LlamaGrammar, n_vocab: int) -> None:
        self.chain = chain
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        if not self.grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self._token_ids = np.arange(n_vocab, dtype=np.int32)
        self._candidates = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._one = np.zeros(1, dtype=_TOKEN_DATA)
        self.full_checks = 0  # tokens the grammar rejected: each cost a pass over the vocabulary

    def sample(self, ctx: LlamaContext, idx: int = -1) -> int:
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, idx),
                                       shape=(len(self._token_ids),))
        token = self._pick(logits, with_grammar=False)
        if not self._grammar_allows(token):
            self.full_checks += 1
            token = self._pick(logits, with_grammar=True)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        self.chain.accept(token)
        return token

    def _pick(self, logits: np.ndarray, *, with_grammar: bool) -> int:
        self._candidates["id"] = self._token_ids
        self._candidates["logit"] = logits
        self._candidates["p"] = 0.0
        candidates = _token_data_array(self._candidates)
        if with_grammar:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        llama_cpp.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        return int(candidates.data[candidates.selected].id)

    def _grammar_allows(self, token: int) -> bool:
        self._one[0] = (token, 0.0, 0.0)
        one = _token_data_array(self._one)
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(one))
        return not math.isinf(one.data[0].logit)

    def __del__(self) -> None:
        if getattr(self, "grammar", None):
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None


def _token_data_array(buffer: np.ndarray) -> llama_cpp.llama_token_data_array:
    return llama_cpp.llama_token_data_array(
        data=buffer.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(buffer), selected=-1, sorted=False)


def check_grammar_after_sampling() -> None:
    """Make every Llama in this process sample as llama.cpp's server does (see the module doc)."""
    chain_with_grammar_first = Llama._init_sampler
    if getattr(chain_with_grammar_first, "checks_after_sampling", False):
        return

    def init_sampler(self: Llama, *args: Any, grammar: LlamaGrammar | None = None, **kwargs: Any):
        chain = chain_with_grammar_first(self, *args, grammar=None, **kwargs)
        return chain if grammar is None else GrammarCheckedSampler(chain, self._model, grammar, self._n_vocab)

    init_sampler.checks_after_sampling = True
    Llama._init_sampler = init_sampler


if __name__ == "__main__":
    from llama_cpp.server.__main__ import main

    check_grammar_after_sampling()
    main()

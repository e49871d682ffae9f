"""How sure the model was of each value it wrote, from the token probabilities its server returns.

A small model writes a value it half believes with the same confidence in its words as one it
reads off the page; the probabilities of its tokens tell the two apart better (on dev pages, a
true value's lowest token probability is above a false one's about three times in four). A
value's probability here is the lowest probability among the tokens that open and spell it: the
token that starts it (where the model chose to fill the key rather than leave it empty, or to
add another list item) and those of its text.

The probabilities are the model's own softmax over its vocabulary, before any grammar or
sampler (llama.cpp reports them so), so they measure the model's belief, not the sampler's.
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Optional

from ..schemas.trial import ITEM_NAME_KEYS

# Refusing what the model gave under a one-in-four chance (chosen on dev pages) was measured on
# validation pages answered after: precision 0.736 -> 0.751, recall 0.600 -> 0.588, hallucinated
# fields 0.030 -> 0.027, micro-F1 0.661 -> 0.659 (eval/HISTORY.md, session 41). So it is offered,
# not on by default: `min_probability` (API) / `--min-probability` (CLI).
MEASURED_THRESHOLD = 0.25


def value_key(field: str, value: Any) -> Optional[str]:
    """The text that names a value of `field` in an answer: a string itself, an object's name
    (ITEM_NAME_KEYS), a number or boolean as JSON writes it; None for anything else (an object
    without its name, null)."""
    if isinstance(value, dict):
        name = value.get(ITEM_NAME_KEYS.get(field, ""))
        return name if isinstance(name, str) and name else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str) and value:
        return value
    return None


def value_probabilities(tokens: Iterable[tuple[str, float]], answer: dict) -> dict[str, dict[str, float]]:
    """For each key of a JSON answer, {value key: probability} of each value (each list item)
    found in the answer's token stream, as (token text, log probability) pairs. Values are
    looked for in order after their key; one not found (written with other escapes than
    json.dumps writes) has no probability, and so is not judged by it."""
    text, spans = "", []  # each token's (start, end, log probability) in the answer's text
    for token, logprob in tokens:
        spans.append((len(text), len(text) + len(token), logprob))
        text += token
    found: dict[str, dict[str, float]] = {}
    for field, value in answer.items():
        cursor = text.find(json.dumps(field) + ":")
        if cursor < 0:
            continue
        cursor += len(field) + 3
        for item in value if isinstance(value, list) else [value]:
            key = value_key(field, item)
            if key is None:
                continue
            spelled = key if isinstance(item, (bool, int, float)) else json.dumps(key, ensure_ascii=False)[1:-1]
            at = text.find(spelled, cursor)
            if at < 0:
                continue
            start, end = at - 1, at + len(spelled)  # from the token that opens the value
            lowest = min(logprob for s, e, logprob in spans if s < end and e > start)
            found.setdefault(field, {})[key] = round(math.exp(lowest), 4)
            cursor = end
    return found


def probability_of(probabilities: dict[str, dict[str, float]], field: str, value: Any) -> Optional[float]:
    """The probability the model gave one value (or list item) of a field, if known."""
    key = value_key(field, value)
    return None if key is None else probabilities.get(field, {}).get(key)

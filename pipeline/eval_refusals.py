"""What the checks refused, set beside the gold labels: does each check pay for itself?

Every value grounding or validation refused is stored in `review` with its reason. In an eval,
each refused value can be set beside the document's gold labels: had it been stored, would it
have added a true value (a gold item the record lacks), a false one (the field has gold values,
none of them this one), or a hallucination (the field has no gold value)? Counted per field and
reason and per split, this is a one-pass estimate of an ablation (bench/ablation.py turns a
step off and extracts again; checks that overlap refuse the same value under the first reason
only). A reason that refuses more true values than false ones on validation is a candidate for
deletion or repair; the decision is still made by the ablation on pages no code was written
against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .scoring import compare_field
from ..schemas.trial import LIST_FIELDS, is_empty


@dataclass(frozen=True)
class Refusal:
    """One value a document's extraction refused, with the reason it gave."""

    field: str
    value: Any
    reason: str


@dataclass
class RefusalCount:
    """Refused values of one field for one reason, in one split, by what they would have been."""

    field: str
    reason: str
    split: str
    true: int = 0  # a gold item the stored record lacks
    false: int = 0  # the field has gold values, none of them this one (or already stored)
    hallucinated: int = 0  # the field has no gold value

    @property
    def refused(self) -> int:
        return self.true + self.false + self.hallucinated


def reason_kind(reason: str) -> str:
    """A reason without the value it quotes or the detail after it, so that refusals of one
    check are counted together ("conflicts with the accepted value 'X' (rule:y)" and
    "invalid after retries: Value error, ..." name a kind, then a particular)."""
    return re.split(r":\s|\s\(|\s'|\s\"", reason, maxsplit=1)[0].strip()


def would_add(field_name: str, value: Any, predicted: Any, gold: Any) -> str:
    """'true', 'false' or 'hallucinated': what storing the refused value beside the stored
    ones would have added."""
    if is_empty(gold):
        return "hallucinated"
    if field_name in LIST_FIELDS:
        items = value if isinstance(value, list) else [value]
        before = compare_field(field_name, predicted or [], gold).tp
        after = compare_field(field_name, list(predicted or []) + items, gold).tp
        return "true" if after > before else "false"
    if compare_field(field_name, predicted, gold).tp:
        return "false"  # the field already holds the gold value
    return "true" if compare_field(field_name, value, gold).tp else "false"


def refusal_counts(documents: Iterable) -> list[RefusalCount]:
    """Per (field, reason kind, split): the refused values by what they would have added, the
    reasons that would have added most true values first. `documents` are evaluation's
    DocumentScore (gold, predicted, refused)."""
    counts: dict[tuple[str, str, str], RefusalCount] = {}
    for document in documents:
        for refusal in document.refused:
            if refusal.field not in document.gold.labels:
                continue
            key = (refusal.field, reason_kind(refusal.reason), document.gold.split)
            count = counts.setdefault(key, RefusalCount(*key))
            outcome = would_add(refusal.field, refusal.value, document.predicted.get(refusal.field),
                                document.gold.labels.get(refusal.field))
            setattr(count, outcome, getattr(count, outcome) + 1)
    return sorted(counts.values(), key=lambda c: (-c.true, -c.refused, c.field, c.reason, c.split))

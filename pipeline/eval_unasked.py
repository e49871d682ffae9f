"""Gold values lost before any model is asked: fields a page states in no form the detectors read.

Extraction asks a model for a statement field (an enum, a date, an age, a count, healthy
volunteers), an outcome or a field with a role word (funders, contacts, ...) only where the
statement detectors find the page stating it (`statements.unstatable_fields`): asked for what a
page does not state, a small model can only answer null or invent. A gold value on a page the
detectors find no statement in is therefore lost at that gate, whatever the model would have
answered. Counted per field and split, these losses show which detectors miss the wordings of
pages no code was written against: a gap that only validation pages reveal, since the detectors
were written from dev pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..schemas.trial import is_empty


@dataclass
class UnaskedCount:
    """Documents of one split whose gold holds a value of one field, and how many of them lost it
    at the gate (no statement of the field detected, nothing stored)."""

    field: str
    split: str
    with_gold: int = 0
    never_asked: int = 0


def unasked_counts(documents: Iterable) -> list[UnaskedCount]:
    """Per (field, split), for the fields the gate ever closed on a gold value: documents with a
    gold value, and those of them where the field was never asked. The most losses on validation
    first. `documents` are evaluation's DocumentScore (gold, predicted, unstated)."""
    counts: dict[tuple[str, str], UnaskedCount] = {}
    gated: set[str] = set()
    for document in documents:
        for name in document.unstated:
            if name in document.gold.labels and not is_empty(document.gold.labels[name]):
                gated.add(name)
    for document in documents:
        for name in gated:
            if is_empty(document.gold.labels.get(name)):
                continue
            count = counts.setdefault((name, document.gold.split), UnaskedCount(name, document.gold.split))
            count.with_gold += 1
            if name in document.unstated and is_empty(document.predicted.get(name)):
                count.never_asked += 1
    losses = {name: sum(c.never_asked for c in counts.values() if c.field == name and c.split == "validation")
              for name in gated}
    return sorted(counts.values(), key=lambda c: (-losses[c.field], c.field, c.split))

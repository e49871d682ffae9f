"""How far an eval score can be trusted: bootstrap intervals and leave-one-site-out scores.

A gold set of a few dozen pages gives a point estimate with a wide error. The bootstrap
resamples whole documents (the unit that was sampled) with replacement and reports the
2.5th and 97.5th percentiles of each score. Leave-one-site-out drops each site's pages in
turn and scores the rest: a score that moves a lot when one site leaves rests on that
site, which is what rules written against one site's pages look like.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional, Sequence

from .scoring import FieldCounts
from ..schemas.trial import CONTRACT_KEYS

Interval = tuple[Optional[float], Optional[float]]
MICRO = "_micro"
HALLUCINATION = "_hallucination"


@dataclass(frozen=True)
class ScoredDocument:
    """One document's per-field counts, with the site it comes from."""

    site: str
    counts: dict[str, FieldCounts]


def _total(documents: Sequence[ScoredDocument], name: Optional[str] = None) -> FieldCounts:
    total = FieldCounts()
    for document in documents:
        for field_name, counts in document.counts.items():
            if name is None or field_name == name:
                total = total + counts
    return total


def _percentile(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap_intervals(documents: Sequence[ScoredDocument], *, resamples: int = 1000,
                        seed: int = 0, level: float = 0.95) -> dict[str, Interval]:
    """95% intervals of each field's F1, of micro-F1 ('_micro') and of the hallucination rate
    ('_hallucination'), from `resamples` resamplings of the documents. Seeded: the same
    documents give the same intervals."""
    if not documents:
        return {}
    names = list(CONTRACT_KEYS)
    # Each document as one flat row of counts (tp, fp, fn, hallucinations, gold_empty per field):
    # a resample is then a sum of rows, fast enough for a thousand resamples in pure Python.
    rows = []
    for document in documents:
        row = []
        for name in names:
            c = document.counts.get(name, FieldCounts())
            row += [c.tp, c.fp, c.fn, c.hallucinations, c.gold_empty]
        rows.append(row)
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name in [*names, MICRO, HALLUCINATION]}
    n, width = len(rows), 5 * len(names)
    for _ in range(resamples):
        sums = [0] * width
        for _ in range(n):
            for index, value in enumerate(rows[rng.randrange(n)]):
                if value:
                    sums[index] += value
        micro = FieldCounts()
        for position, name in enumerate(names):
            counts = FieldCounts(*sums[5 * position:5 * position + 5])
            micro = micro + counts
            if counts.f1 is not None:
                samples[name].append(counts.f1)
        if micro.f1 is not None:
            samples[MICRO].append(micro.f1)
        if micro.hallucination_rate is not None:
            samples[HALLUCINATION].append(micro.hallucination_rate)
    tail = (1 - level) / 2
    return {name: (_percentile(values, tail), _percentile(values, 1 - tail)) for name, values in samples.items()}


@dataclass(frozen=True)
class SiteOut:
    """Micro-F1 of the set without one site's pages."""

    site: str
    documents: int  # pages of that site, left out
    f1_without: Optional[float]


def leave_one_site_out(documents: Sequence[ScoredDocument]) -> list[SiteOut]:
    """For each site, the micro-F1 of the other sites' pages; sorted from the lowest."""
    sites = sorted({document.site for document in documents})
    result = []
    for site in sites:
        rest = [document for document in documents if document.site != site]
        result.append(SiteOut(site, len(documents) - len(rest), _total(rest).f1))
    return sorted(result, key=lambda out: (out.f1_without is None, out.f1_without or 0.0, out.site))


def site_macro_f1(documents: Sequence[ScoredDocument]) -> Optional[float]:
    """The mean over sites of each site's micro-F1: every site weighs the same, however many pages."""
    scores = [f1 for site in {document.site for document in documents}
              if (f1 := _total([d for d in documents if d.site == site]).f1) is not None]
    return sum(scores) / len(scores) if scores else None

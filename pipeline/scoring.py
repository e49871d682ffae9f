"""Field-level accuracy of predicted TrialRecord labels against gold labels.

Pure functions, no I/O. Inputs are label dicts shaped like
`TrialRecord.model_dump(mode="json")` (the gold files' "labels" object is one).

How one field of one document is counted:
- scalar field: both empty -> nothing; gold empty and prediction non-empty ->
  fp and a hallucination; gold non-empty and prediction empty -> fn; both
  non-empty -> tp if they match, else fp + fn.
- list field: element-level tp/fp/fn after a one-to-one matching of predicted
  to gold elements; a hallucination when the gold list is empty and the
  predicted one is not.

How values match (FIELD_RULES says which rule each field uses):
- enums, integers, booleans: equal.
- registry ids: (registry, id) pairs after schemas.normalize.normalize_registry_id
  ("EUCTR2015-001097-18-ES" == EudraCT "2015-001097-18", ISRCTN "17473621" ==
  "ISRCTN17473621"), then ignoring case, spaces and hyphens.
- acronyms: equal after dropping case, spaces and punctuation.
- dates: at the gold's precision. A prediction at least as precise as the gold
  that agrees on the gold's part is correct (gold "2012-10" accepts "2012-10"
  and "2012-10-16"); a less precise one is wrong (gold "2012-10-16" rejects
  "2012-10"), because it did not extract what the document states.
- ages: numerically, |difference| < 0.01 years.
- free text (titles, sponsors, list elements such as criteria, conditions,
  outcome measures, intervention/arm/site/contact names): rapidfuzz
  token_set_ratio >= 85 on normalized text, and neither side may hold fewer
  than half the other's distinct words (token_set_ratio alone scores any
  fragment 100, e.g. "Chest Pain" against a whole title).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from rapidfuzz import fuzz

from ..schemas import normalize
from ..schemas.trial import CONTRACT_KEYS, is_empty

FUZZY_THRESHOLD = 85
MIN_SHARED_WORD_SHARE = 0.5
AGE_TOLERANCE_YEARS = 0.01

# Comparison rule per TrialRecord field. Object lists are compared by the first
# non-empty key among the attributes listed.
FIELD_RULES: dict[str, str] = {
    "registry_ids": "registry_id_list",
    "public_title": "text",
    "scientific_title": "text",
    "acronym": "code",
    "conditions": "text_list",
    "study_type": "exact",
    "phases": "exact_list",
    "allocation": "exact",
    "masking": "exact",
    "intervention_model": "exact",
    "interventions": "object_list",
    "arms": "object_list",
    "primary_sponsor": "text",
    "secondary_sponsors": "text_list",
    "funders": "text_list",
    "collaborators": "text_list",
    "countries": "exact_list",
    "sites": "object_list",
    "target_enrollment": "exact",
    "min_age_years": "age",
    "max_age_years": "age",
    "sex": "exact",
    "healthy_volunteers": "exact",
    "recruitment_status": "exact",
    "registration_date": "date",
    "start_date": "date",
    "primary_completion_date": "date",
    "completion_date": "date",
    "primary_outcomes": "object_list",
    "secondary_outcomes": "object_list",
    "inclusion_criteria": "text_list",
    "exclusion_criteria": "text_list",
    "contacts": "object_list",
    "ethics_review": "text",
    "ipd_sharing": "exact",
}

OBJECT_KEYS: dict[str, tuple[str, ...]] = {
    "interventions": ("name",),
    "arms": ("label",),
    "sites": ("name", "city"),
    "primary_outcomes": ("measure",),
    "secondary_outcomes": ("measure",),
    "contacts": ("name", "email", "phone"),
}


# --------------------------------------------------------------------------- counts


def _ratio(numerator: int, denominator: int) -> Optional[float]:
    return numerator / denominator if denominator else None


@dataclass
class FieldCounts:
    """Counts for one field (or a sum of fields) over one or more documents."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    hallucinations: int = 0  # documents where gold is empty and the prediction is not
    gold_empty: int = 0  # documents where gold is empty

    def __add__(self, other: "FieldCounts") -> "FieldCounts":
        return FieldCounts(
            tp=self.tp + other.tp,
            fp=self.fp + other.fp,
            fn=self.fn + other.fn,
            hallucinations=self.hallucinations + other.hallucinations,
            gold_empty=self.gold_empty + other.gold_empty,
        )

    @property
    def precision(self) -> Optional[float]:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> Optional[float]:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> Optional[float]:
        """2tp / (2tp + fp + fn): the harmonic mean of P and R, 0 when tp is 0."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def hallucination_rate(self) -> Optional[float]:
        return _ratio(self.hallucinations, self.gold_empty)


@dataclass(frozen=True)
class MacroAverage:
    """Unweighted means over the fields where each metric is defined."""

    precision: Optional[float]
    recall: Optional[float]
    f1: Optional[float]
    fields: int  # how many fields had any gold or predicted value


def _mean(values: list[Optional[float]]) -> Optional[float]:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


@dataclass
class Scorecard:
    """Per-field counts over a set of documents, with averages and a per-kind breakdown."""

    per_field: dict[str, FieldCounts]
    documents: int = 0
    by_kind: dict[str, "Scorecard"] = field(default_factory=dict)

    @property
    def micro(self) -> FieldCounts:
        """All fields' counts summed: every gold or predicted value weighs the same."""
        total = FieldCounts()
        for counts in self.per_field.values():
            total = total + counts
        return total

    @property
    def macro(self) -> MacroAverage:
        """The mean of the field scores: every field weighs the same."""
        active = [c for c in self.per_field.values() if c.tp + c.fp + c.fn > 0]
        return MacroAverage(
            precision=_mean([c.precision for c in active]),
            recall=_mean([c.recall for c in active]),
            f1=_mean([c.f1 for c in active]),
            fields=len(active),
        )

    @property
    def hallucination_rate(self) -> Optional[float]:
        """Over all fields: values predicted where gold is empty / cases where gold is empty."""
        return self.micro.hallucination_rate

    def to_rows(self) -> list[dict[str, Any]]:
        """Flat rows for a table: one per (kind, field), plus '_micro' and '_macro' rows.

        kind is 'all' for the whole set, else the document kind.
        """
        rows = self._rows("all")
        for kind in sorted(self.by_kind):
            rows.extend(self.by_kind[kind]._rows(kind))
        return rows

    def _rows(self, kind: str) -> list[dict[str, Any]]:
        def row(field_name: str, counts: FieldCounts) -> dict[str, Any]:
            return {
                "kind": kind,
                "field": field_name,
                "documents": self.documents,
                "tp": counts.tp,
                "fp": counts.fp,
                "fn": counts.fn,
                "precision": counts.precision,
                "recall": counts.recall,
                "f1": counts.f1,
                "hallucinations": counts.hallucinations,
                "gold_empty": counts.gold_empty,
                "hallucination_rate": counts.hallucination_rate,
            }

        rows = [row(name, counts) for name, counts in self.per_field.items()]
        rows.append(row("_micro", self.micro))
        macro = self.macro
        rows.append(
            {
                "kind": kind,
                "field": "_macro",
                "documents": self.documents,
                "tp": None,
                "fp": None,
                "fn": None,
                "precision": macro.precision,
                "recall": macro.recall,
                "f1": macro.f1,
                "hallucinations": None,
                "gold_empty": None,
                "hallucination_rate": None,
            }
        )
        return rows


# --------------------------------------------------------------------------- value matching


def normalize_text(value: str) -> str:
    """Case-, accent-width- and punctuation-insensitive form used for fuzzy matching."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return text.strip()


def texts_match(predicted: str, gold: str) -> bool:
    a, b = normalize_text(predicted), normalize_text(gold)
    if not a or not b:
        return False
    if a == b:
        return True
    words_a, words_b = set(a.split()), set(b.split())
    if min(len(words_a), len(words_b)) < MIN_SHARED_WORD_SHARE * max(len(words_a), len(words_b)):
        return False
    return fuzz.token_set_ratio(a, b) >= FUZZY_THRESHOLD


def codes_match(predicted: str, gold: str) -> bool:
    return _compact(predicted) == _compact(gold)


def _compact(value: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(value))).upper()


def dates_match(predicted: str, gold: str) -> bool:
    """ISO partial dates (YYYY, YYYY-MM, YYYY-MM-DD) compared at the gold's precision."""
    return len(predicted) >= len(gold) and predicted[: len(gold)] == gold


def ages_match(predicted: float, gold: float) -> bool:
    return abs(float(predicted) - float(gold)) < AGE_TOLERANCE_YEARS


def exact_match(predicted: Any, gold: Any) -> bool:
    if isinstance(predicted, bool) or isinstance(gold, bool):
        return predicted is gold  # bool is an int in Python: keep True from matching 1
    return predicted == gold


def registry_id_key(item: dict) -> tuple[str, str]:
    """(REGISTRY, ID) after the schema's id normalizer, ignoring case, spaces and hyphens.

    normalize_registry_id turns "EUCTR2015-001097-18-ES" into ("EUDRACT",
    "2015-001097-18") and "88261002" with registry ISRCTN into "ISRCTN88261002";
    an id it refuses is compared as written.
    """
    registry, identifier = str(item.get("registry") or ""), str(item.get("id") or "")
    try:
        registry, identifier = normalize.normalize_registry_id(identifier, registry or None)
    except ValueError:
        pass
    return _compact(registry), re.sub(r"[\s\-]+", "", identifier).upper()


SCALAR_MATCHERS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": exact_match,
    "text": texts_match,
    "code": codes_match,
    "date": dates_match,
    "age": ages_match,
}


# --------------------------------------------------------------------------- list matching


def _object_key(item: Any, attributes: tuple[str, ...]) -> Optional[str]:
    if not isinstance(item, dict):
        return str(item) if not is_empty(item) else None
    for attribute in attributes:
        if not is_empty(item.get(attribute)):
            return str(item[attribute])
    return None


def _dedupe(items: list, key: Callable[[Any], Any]) -> list:
    seen, kept = set(), []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            kept.append(item)
    return kept


def count_exact_list(predicted: list, gold: list) -> tuple[int, int, int]:
    predicted_set, gold_set = set(predicted), set(gold)
    tp = len(predicted_set & gold_set)
    return tp, len(predicted_set) - tp, len(gold_set) - tp


def count_fuzzy_list(predicted: list[str], gold: list[str]) -> tuple[int, int, int]:
    """One-to-one matching, best-scoring pairs first, each pair at or above the fuzzy threshold."""
    predicted = _dedupe(predicted, normalize_text)
    gold = _dedupe(gold, normalize_text)
    candidates = [
        (fuzz.token_set_ratio(normalize_text(p), normalize_text(g)), i, j)
        for i, p in enumerate(predicted)
        for j, g in enumerate(gold)
        if texts_match(p, g)
    ]
    used_predicted, used_gold = set(), set()
    for _score, i, j in sorted(candidates, reverse=True):
        if i not in used_predicted and j not in used_gold:
            used_predicted.add(i)
            used_gold.add(j)
    tp = len(used_predicted)
    return tp, len(predicted) - tp, len(gold) - tp


def _count_list(field_name: str, rule: str, predicted: list, gold: list) -> tuple[int, int, int]:
    if rule == "exact_list":
        return count_exact_list([str(v).upper() for v in predicted], [str(v).upper() for v in gold])
    if rule == "registry_id_list":
        return count_exact_list([registry_id_key(v) for v in predicted], [registry_id_key(v) for v in gold])
    if rule == "object_list":
        attributes = OBJECT_KEYS[field_name]
        predicted_keys = [k for k in (_object_key(v, attributes) for v in predicted) if k]
        gold_keys = [k for k in (_object_key(v, attributes) for v in gold) if k]
        return count_fuzzy_list(predicted_keys, gold_keys)
    if rule == "text_list":
        return count_fuzzy_list([str(v) for v in predicted], [str(v) for v in gold])
    raise ValueError(f"unknown list rule {rule!r} for field {field_name!r}")


# --------------------------------------------------------------------------- public API


def compare_field(field_name: str, predicted: Any, gold: Any) -> FieldCounts:
    """Counts for one field of one document."""
    rule = FIELD_RULES[field_name]
    gold_empty, predicted_empty = is_empty(gold), is_empty(predicted)
    counts = FieldCounts(gold_empty=int(gold_empty), hallucinations=int(gold_empty and not predicted_empty))

    if rule in SCALAR_MATCHERS:
        if gold_empty and predicted_empty:
            return counts
        if gold_empty:
            counts.fp = 1
        elif predicted_empty:
            counts.fn = 1
        elif SCALAR_MATCHERS[rule](predicted, gold):
            counts.tp = 1
        else:
            counts.fp, counts.fn = 1, 1
        return counts

    counts.tp, counts.fp, counts.fn = _count_list(field_name, rule, predicted or [], gold or [])
    return counts


def compare_record(predicted: dict, gold: dict) -> dict[str, FieldCounts]:
    """Per-field counts of one document's predicted labels against its gold labels.

    Missing keys count as empty; keys outside TrialRecord are ignored.
    """
    return {name: compare_field(name, predicted.get(name), gold.get(name)) for name in CONTRACT_KEYS}


def _sum_by_field(records: list[dict[str, FieldCounts]]) -> dict[str, FieldCounts]:
    totals = {name: FieldCounts() for name in CONTRACT_KEYS}
    for record in records:
        for name, counts in record.items():
            totals[name] = totals[name] + counts
    return totals


def score(pairs: list[tuple[dict, dict, str]]) -> Scorecard:
    """Scorecard over (predicted labels, gold labels, document kind) triples."""
    compared_by_kind: dict[str, list[dict[str, FieldCounts]]] = {}
    for predicted, gold, kind in pairs:
        compared_by_kind.setdefault(kind, []).append(compare_record(predicted, gold))

    everything = [record for records in compared_by_kind.values() for record in records]
    return Scorecard(
        per_field=_sum_by_field(everything),
        documents=len(everything),
        by_kind={
            kind: Scorecard(per_field=_sum_by_field(records), documents=len(records))
            for kind, records in compared_by_kind.items()
        },
    )

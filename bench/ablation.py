"""Ablation of grounding's checks and resolve steps, on dev and validation, from cached answers.

    python -m bench.ablation --db trialsift-eval.duckdb [--model default] [--only NAME ...]

Each row turns one step of grounding off (a check in pipeline/field_checks.py that refuses
values, or a step in pipeline/resolve.py that adds, splits or drops values after the model
answered) and re-extracts every gold document with the answers an eval run cached, so no
model runs. A step pays for itself when
turning it off lowers validation F1 or raises validation hallucinations; one that only moves
dev pages was fitted to them. A row whose change alters what the model would be asked reports
its cache misses: those documents are scored without the missing answers and the row is
marked unreliable.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator, Optional

import duckdb

from trialsift.pipeline import evaluation, field_checks, resolve, statements
from trialsift.pipeline.documents import read_document
from trialsift.pipeline.eval_split import DEV, VALIDATION
from trialsift.pipeline.extraction import ExtractionConfig, extract_document
from trialsift.pipeline.llm import Endpoint, LLMClient
from trialsift.pipeline.prompting import load_prompts
from trialsift.pipeline.scoring import FieldCounts, compare_record

# Each step: the function turned off, named with its module (field_checks, resolve or statements),
# and what it returns when off.
_KEEP = lambda *args, **kwargs: None  # noqa: E731 - a resolve step that changes nothing
_ACCEPT = lambda *args, **kwargs: False  # noqa: E731 - a check that never objects
_ONE_ITEM = lambda item: [item]  # noqa: E731 - no splitting

STEPS: dict[str, tuple[str, Callable]] = {
    # resolve steps: values added, split or dropped after the model answered
    "drop acronym of an intervention": ("resolve._drop_acronym_of_an_intervention", _KEEP),
    "drop a condition that is an intervention": ("resolve._drop_a_condition_that_is_an_intervention", _KEEP),
    "add a placebo participants receive": ("resolve._add_a_stated_placebo", _KEEP),
    "split run-together criteria": ("resolve.one_criterion_each", _ONE_ITEM),
    "split two treatments named as one": ("resolve.one_treatment_each", _ONE_ITEM),
    # checks: a value located in the text is refused where it is not stated as the field
    "not a value (headings, placeholders, roles)": ("field_checks.not_a_value", _KEEP),
    "country not a place of the trial": ("field_checks._not_stated_as_a_place_of_the_trial", _ACCEPT),
    "labelled as another role": ("field_checks._labelled_as_another_role", _ACCEPT),
    "labelled as a code": ("field_checks._labelled_as_a_code", _ACCEPT),
    "condition category": ("field_checks._not_stated_as_condition", _ACCEPT),
    "named only in the eligibility criteria": ("field_checks._names_who_may_enrol", _ACCEPT),
    "criterion cut off by the end": ("field_checks._cut_off_by_the_end", _ACCEPT),
    "criterion starts an item": ("field_checks._starts_an_item", lambda *args, **kwargs: True),
    "stated as a criterion": ("field_checks._stated_as_criterion", lambda *args, **kwargs: True),
    "stated as an outcome": ("field_checks._stated_as_outcome", lambda *args, **kwargs: True),
    "date labelled as another date": ("statements.labelled_as_another_date", _ACCEPT),
    "scientific title stands as a title": ("field_checks.stands_as_a_title", lambda *args, **kwargs: True),
    "registration date under its own label": ("statements.labelled_as_this_date", lambda *args, **kwargs: True),
    "acronym given as the trial's name": ("field_checks._named_as_the_trial", lambda *args, **kwargs: True),
    "sponsor cue on its line": ("field_checks._stated_as_sponsor", lambda *args, **kwargs: True),
}


class CachedAnswers:
    """The eval database's llm_cache, read once."""

    def __init__(self, db: str) -> None:
        conn = duckdb.connect(db, read_only=True)
        try:
            self.answers = dict(conn.execute("SELECT key, value FROM llm_cache").fetchall())
        finally:
            conn.close()
        self.misses = 0

    def get(self, key: str) -> Optional[str]:
        answer = self.answers.get(key)
        if answer is None:
            self.misses += 1
        return answer


@contextlib.contextmanager
def turned_off(step: Optional[str]) -> Iterator[None]:
    if step is None:
        yield
        return
    attribute, replacement = STEPS[step]
    module_name, attribute = attribute.split(".")
    module = {"field_checks": field_checks, "resolve": resolve, "statements": statements}[module_name]
    original = getattr(module, attribute)
    setattr(module, attribute, replacement)
    try:
        yield
    finally:
        setattr(module, attribute, original)


@dataclass
class Row:
    step: str
    scores: dict[str, FieldCounts]  # split -> micro counts
    misses: int


def score_all(docs, cache: CachedAnswers, llm: LLMClient) -> dict[str, FieldCounts]:
    prompts, config = load_prompts(), ExtractionConfig()
    totals = {DEV: FieldCounts(), VALIDATION: FieldCounts()}
    for doc in docs:
        document = read_document(doc.path)
        result = extract_document(document, llm, cache=cache, config=config, prompts=prompts)
        predicted = result.record.model_dump(mode="json")
        for counts in compare_record(predicted, doc.labels).values():
            totals[doc.split] = totals[doc.split] + counts
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="eval database whose llm_cache holds the answers")
    parser.add_argument("--model", default="default", help="the model name the answers were cached under")
    parser.add_argument("--only", nargs="*", default=None, help="steps to ablate (default: all)")
    args = parser.parse_args()

    docs, note = evaluation.gold_documents()
    cache = CachedAnswers(args.db)
    # Nothing listens on port 9: a cache miss fails at once instead of asking a model.
    llm = LLMClient(Endpoint("http://127.0.0.1:9/v1", "none", args.model, "json_schema", "cache only", 0,
                             llama_cpp=True), transport_retries=0)
    rows = []
    for step in [None, *(args.only or STEPS)]:
        cache.misses = 0
        with turned_off(step):
            rows.append(Row(step or "baseline (every step on)", score_all(docs, cache, llm), cache.misses))
    base = rows[0].scores
    print(f"# Grounding ablation, {date.today()}\n")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} cores; command: python -m bench.ablation --db {args.db}")
    print(f"- documents: {note}; answers from the eval database's cache (no model run)\n")
    print("| step turned off | dev F1 | Δ | validation F1 | Δ | dev halluc. | validation halluc. | cache misses |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        dev, val = row.scores[DEV], row.scores[VALIDATION]
        print(f"| {row.step} | {dev.f1:.3f} | {dev.f1 - base[DEV].f1:+.3f} | {val.f1:.3f} | "
              f"{val.f1 - base[VALIDATION].f1:+.3f} | {dev.hallucinations} | {val.hallucinations} | {row.misses} |")


if __name__ == "__main__":
    main()

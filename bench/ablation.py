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
_STATED = lambda *args, **kwargs: True  # noqa: E731 - a check whose condition always holds
_ONE_ITEM = lambda item: [item]  # noqa: E731 - no splitting

STEPS: dict[str, tuple[str, Callable]] = {
    # resolve steps: values added, split or dropped after the model answered
    "drop acronym of an intervention": ("resolve._drop_acronym_of_an_intervention", _KEEP),
    "drop a condition that is an intervention": ("resolve._drop_a_condition_that_is_an_intervention", _KEEP),
    "add a placebo participants receive": ("resolve._add_a_stated_placebo", _KEEP),
    "fill an empty masking with the one kind named": ("resolve._masking_of_the_one_kind_stated", _KEEP),
    "fill an empty sex with the one sex of the population": ("resolve._sex_of_a_one_sex_population", _KEEP),
    "split run-together criteria": ("resolve.one_criterion_each", _ONE_ITEM),
    "split two treatments named as one": ("resolve.one_treatment_each", _ONE_ITEM),
    # checks: a value located in the text is refused where it is not stated as the field
    "not a value (headings, placeholders, roles)": ("field_checks.not_a_value", _KEEP),
    "country not a place of the trial": ("field_checks._not_stated_as_a_place_of_the_trial", _ACCEPT),
    "labelled as a code": ("field_checks._labelled_as_a_code", _ACCEPT),
    "condition category": ("field_checks._not_stated_as_condition", _ACCEPT),
    "named only in the eligibility criteria": ("field_checks._names_who_may_enrol", _ACCEPT),
    "criterion cut off by the end": ("field_checks._cut_off_by_the_end", _ACCEPT),
    "criterion starts an item": ("field_checks._starts_an_item", _STATED),
    "stated as a criterion": ("field_checks._stated_as_criterion", _STATED),
    "stated as an outcome": ("field_checks._stated_as_outcome", _STATED),
    "date labelled as another date": ("statements.labelled_as_another_date", _ACCEPT),
    "scientific title stands as a title": ("field_checks.stands_as_a_title", _STATED),
    "registration date under its own label": ("statements.labelled_as_this_date", _STATED),
    "acronym given as the trial's name": ("field_checks._named_as_the_trial", _STATED),
    "sponsor cue on its line": ("field_checks._stated_as_sponsor", _STATED),
    "headline reporting an event": ("field_checks._reports_an_event", _ACCEPT),
    "title on a page reporting news": ("statements.reports_news", _ACCEPT),
    "condition names a treatment": ("field_checks.names_a_treatment", _ACCEPT),
    "condition names the population": ("field_checks.names_a_population", _ACCEPT),
    "title calling for participants": ("field_checks._calls_for_participants", _ACCEPT),
    "acronym shaped like a code": ("field_checks._shaped_like_a_code", _ACCEPT),
    "acronym written as a name": ("field_checks._written_as_a_name", _STATED),
    "site: not the sponsor again": ("field_checks._not_the_sponsor_again", _STATED),
    "site: not only under another role": ("field_checks._not_only_under_another_role", _STATED),
    "site: named beyond contacts and criteria": ("field_checks._named_beyond_contacts_and_criteria", _STATED),
    "site: located or stated as a place": ("field_checks._located_or_stated_as_a_place", _STATED),
    "site: one place, not a summary of many": ("field_checks.names_many_sites", _ACCEPT),
    "drop a condition named again more broadly": ("resolve._drop_a_condition_named_again_more_broadly", _KEEP),
    "drop a site that is a contact's workplace": ("resolve._drop_a_site_that_is_a_contacts_workplace", _KEEP),
    "phases cut to the phases stated": ("resolve.stated_phases", lambda out, finding, text: finding),
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
    parser.add_argument("--leave-out", type=argparse.FileType("r"), default=None,
                        help="a file of gold sources (one a line) to leave out, e.g. pages kept for a later decision")
    args = parser.parse_args()

    docs, note = evaluation.gold_documents()
    if args.leave_out:
        left_out = {line.strip() for line in args.leave_out if line.strip()}
        docs = [doc for doc in docs if doc.source not in left_out]
        note += f"; {len(left_out)} sources left out"
    cache = CachedAnswers(args.db)
    # Nothing listens on port 9: a cache miss fails at once instead of asking a model.
    llm = LLMClient(Endpoint("http://127.0.0.1:9/v1", "none", args.model, "json_schema", "cache only", 0,
                             llama_cpp=True), transport_retries=0)
    print(f"# Grounding ablation, {date.today()}\n")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} cores; command: python -m bench.ablation --db {args.db}")
    print(f"- documents: {note}; answers from the eval database's cache (no model run)\n")
    print("| step turned off | dev F1 | Δ | validation F1 | Δ | validation tp/fp/fn | dev halluc. "
          "| validation halluc. | cache misses |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    for step in [None, *(args.only or STEPS)]:  # each row printed as it is done: a long run shows its progress
        cache.misses = 0
        with turned_off(step):
            row = Row(step or "baseline (every step on)", score_all(docs, cache, llm), cache.misses)
        base = base or row.scores
        dev, val = row.scores[DEV], row.scores[VALIDATION]
        print(f"| {row.step} | {dev.f1:.4f} | {dev.f1 - base[DEV].f1:+.4f} | {val.f1:.4f} | "
              f"{val.f1 - base[VALIDATION].f1:+.4f} | {val.tp}/{val.fp}/{val.fn} | {dev.hallucinations} | "
              f"{val.hallucinations} | {row.misses} |", flush=True)


if __name__ == "__main__":
    main()

"""Extraction of one document: clean -> sections -> rules -> LLM per field group -> grounding.

Code first: the deterministic extractors (pipeline/rules.py) and the criteria
splitter settle every field they can, with evidence, at no token cost. The LLM
is asked, one small schema per field group and only over the sections that
can hold that group, for the fields still open; a group whose open fields
grounding takes only from statements it detects (dates, ages, counts, enum
wordings) reads just the lines holding them. Everything then goes through
grounding, which stores a value only where the source text states it. A field of
SECOND_ASK_FIELDS that the first answers left without a stored value, on a page that
names its role (states it, or names the trial by a short name), is then asked once more,
alone, over just those lines.

A registry record file (ClinicalTrials.gov JSON/XML, ctrdata export) needs no
LLM: it is converted exactly by pipeline/registry_records.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Protocol

from pydantic import ValidationError

from . import chunking, cleaning, confidence, grounding, rules, sections, statements
from .llm import ExtractionFailed, LanguageModel
from .prompting import PromptSet, load_prompts, render_messages
from .records import CachedAnswer, Chunk, CleanText, Document, DocumentResult, Finding, Rejection
from .registry_records import inline_criteria_text, split_criteria
from ..schemas.groups import FIELD_GROUPS, group_model
from ..schemas.normalize import find_registry_ids
from ..schemas.trial import SCHEMA_VERSION, TrialRecord, is_empty

# Fields only code may fill: an id a model writes is too easily one it read elsewhere; an arm
# a small model writes is mostly an arm type with an invented label ("Experimental": "The
# treatment group receiving X"), where a page that lists its arms labels them for the rules.
# Collaborators and the ethics review: the small model's answers were wrong more often than
# right on both eval splits (an institution or committee the page names in another role),
# and structured registry records still fill them. The start date likewise: the rules read it
# where the page states it, and the model's start dates on pages where the rules found none were
# wrong more often than right on both splits.
RULE_ONLY_FIELDS = {"registry_ids", "arms", "collaborators", "ethics_review", "start_date"}

# Fields asked a second time, alone and over just the lines that name their role, when the
# first answer stored nothing although the page names that role: in a long excerpt asked for
# nine fields at once the small model leaves these empty most often (the eval's loss stages).
# A statement field is asked again over the lines holding its statements (the detectors found
# one, or it would not have been asked at all); the acronym over the lines where a short name
# stands beside a word for the trial (statements.trial_name_spans).
SECOND_ASK_FIELDS = ("contacts", "recruitment_status", "acronym")
SECOND_ASK_LINES_BELOW = 2  # a role label's person (a status label's value) is on its line or the next ones


@dataclass(frozen=True)
class ExtractionConfig:
    max_chunk_chars: int = 12000  # ~3,000 tokens of English (up to ~12,000 of CJK): fits the embedded
    # model's 16k context with the prompt and a long answer; longer documents are routed by field group
    overlap_chars: int = 400
    token_budget: int = 60_000  # per document, retries included
    use_rules: bool = True
    use_sections: bool = True
    # "pipeline", or "single-shot": the baseline the pipeline is measured against (the whole raw
    # document and every contract key in one call; no cleaning, sections or rules).
    strategy: str = "pipeline"
    # Another folder of prompt files (system.md, user.md, fields.md) to ask with, for prompt
    # experiments; None asks with the shipped prompts/. Its content hash is the run's prompt version.
    prompts_dir: Optional[str] = None
    # A model's value whose tokens it gave a lower probability than this is refused, not stored
    # (pipeline/confidence.py); 0, the default, stores every valid value whatever its probability.
    min_value_probability: float = 0.0

    def prompts(self) -> PromptSet:
        """The prompt set this configuration asks with."""
        return load_prompts(Path(self.prompts_dir)) if self.prompts_dir else load_prompts()

    def prompt_version(self, prompts: PromptSet) -> str:
        """The version stored with each extraction: another strategy is another way of prompting,
        and a probability threshold another way of deciding what is stored (the cached answers,
        keyed by the prompts' own version, serve them all)."""
        version = prompts.version if self.strategy == "pipeline" else f"{prompts.version}-{self.strategy}"
        return f"{version}-p{self.min_value_probability:g}" if self.min_value_probability else version


class ResponseCache(Protocol):
    """Answers already paid for. extract_document only reads it: the answers it gets are
    returned in DocumentResult.new_answers and saved with the document, in one transaction."""

    def get(self, key: str) -> Optional[str]: ...


# Where a cached answer keeps the probabilities of its values (not a TrialRecord key).
PROBABILITIES_KEY = "_value_probabilities"


def cache_key(document_id: str, chunk_sha256: str, fields: tuple[str, ...], prompt_version: str, model: str) -> str:
    parts = [document_id, chunk_sha256, ",".join(fields), prompt_version, SCHEMA_VERSION, model]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class PlannedCall:
    """One LLM request a document needs: which fields, over which chunk, with which messages."""

    group: str
    fields: tuple[str, ...]
    chunk: Chunk
    messages: list
    cache_key: str


@dataclass(frozen=True)
class DocumentPlan:
    """What code settled before any model is asked, and the requests still needed."""

    clean: CleanText
    code_findings: list[Finding]
    calls: list[PlannedCall]
    listed_trials: list[str]  # several trials' ids on one page: not extracted as one trial


def plan_document(document: Document, model: Optional[str], config: ExtractionConfig, prompts: PromptSet) -> DocumentPlan:
    """Clean, find sections, settle what code can, and plan the LLM calls for the rest
    (none when `model` is None). The live loop and the Batch API both start here, so a
    batch answer lands under the same cache key a live call would use."""
    if config.strategy == "single-shot":
        return _single_shot_plan(document, model, prompts)
    clean = cleaning.clean(document)
    listed = listed_trials(clean)
    if listed:
        return DocumentPlan(clean, [], [], listed)
    found_sections = sections.detect_sections(clean) if config.use_sections else []
    code_findings = rules.extract_rule_findings(document, clean) if config.use_rules else []
    if config.use_rules:
        code_findings += _criteria_findings(clean, found_sections)
    if model is None:
        return DocumentPlan(clean, code_findings, [], [])
    settled = grounding.ground(document, clean, code_findings)
    not_asked = set(settled.values) | statements.unstatable_fields(clean)
    calls = []
    for group, ask, spans in plan_calls(clean, found_sections, not_asked, config):
        for chunk in chunking.make_chunks(
            document.id, group, clean, spans,
            max_chars=config.max_chunk_chars, overlap_chars=config.overlap_chars,
        ):
            calls.append(PlannedCall(
                group, ask, chunk, render_messages(prompts, ask, chunk.text),
                cache_key(document.id, chunk.sha256, ask, prompts.version, model),
            ))
    return DocumentPlan(clean, code_findings, calls, [])


def _single_shot_plan(document: Document, model: Optional[str], prompts: PromptSet) -> DocumentPlan:
    text = document.text
    whole = CleanText(text, ((0, 0, len(text)),))
    if model is None:
        return DocumentPlan(whole, [], [], [])
    fields = tuple(TrialRecord.model_fields)
    chunk = Chunk(document.id, "single-shot", text, 0, len(text), hashlib.sha256(text.encode()).hexdigest())
    messages = render_messages(prompts, fields, text)
    key = cache_key(document.id, chunk.sha256, fields, prompts.version, model)
    return DocumentPlan(whole, [], [PlannedCall("single-shot", fields, chunk, messages, key)], [])


def listed_trials(clean: CleanText) -> list[str]:
    """The ids, when the cleaned text names two or more trials of one registry.

    A trial has one id per registry, so two NCT numbers that survive cleaning mean a
    page listing several trials (search results, a sponsor's pipeline); extracting it
    as one trial would mix their facts. Such a page is flagged, not guessed at.
    """
    by_registry: dict[str, set[str]] = {}
    for match in find_registry_ids(clean.text):
        if match.registry != "OTHER":  # OTHER spans several registries: two of its ids may be one trial's
            by_registry.setdefault(match.registry, set()).add(match.id)
    several = [ids for ids in by_registry.values() if len(ids) > 1]
    return sorted(set().union(*several)) if several else []


def plan_second_asks(document: Document, clean: CleanText, stored: set[str], model: str,
                     config: ExtractionConfig, prompts: PromptSet) -> list[PlannedCall]:
    """The narrow asks for SECOND_ASK_FIELDS that the first answers left without a stored value
    although the text names their role (states them): that field alone, over those lines."""
    calls = []
    for name in SECOND_ASK_FIELDS:
        if name in stored:
            continue
        cues = _second_ask_cues(name, clean.text)
        if not cues:
            continue
        spans = sections.statement_lines(clean.text, cues, below=SECOND_ASK_LINES_BELOW)
        for chunk in chunking.make_chunks(document.id, "second_ask", clean, spans,
                                          max_chars=config.max_chunk_chars, overlap_chars=config.overlap_chars):
            calls.append(PlannedCall(
                "second_ask", (name,), chunk, render_messages(prompts, (name,), chunk.text),
                cache_key(document.id, chunk.sha256, (name,), prompts.version, model),
            ))
    return calls


def _second_ask_cues(name: str, text: str) -> list[tuple[int, int]]:
    """Where the text states a SECOND_ASK_FIELDS field: its statements (a statement field), the
    short names it gives its trial (the acronym), or the words naming its role (contacts)."""
    if name in statements.STATEMENT_FIELDS:
        return statements.statement_spans(name, text)
    if name == "acronym":
        return statements.trial_name_spans(text)
    return statements.role_spans(name, text)


@dataclass
class _Answers:
    """What the model's answers to one document's calls came to, call after call."""

    findings: list[Finding] = field(default_factory=list)
    failed_groups: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    calls: list = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    cached: int = 0
    new_answers: list[CachedAnswer] = field(default_factory=list)
    used_tokens: int = 0
    probabilities: dict = field(default_factory=dict)  # of every answer's values: {field: {value: probability}}


def _ask(planned: PlannedCall, llm: LanguageModel, cache: Optional[ResponseCache], config: ExtractionConfig,
         prompts: PromptSet, answers: _Answers, required: bool = True) -> None:
    """One planned call, from the cache or the model; its valid fields become findings. A
    required call that fails fails its group (the document is partial); another one (a second
    ask) only leaves its field as the first answers left it, with the reason in review."""
    group, ask = planned.group, planned.fields
    if group in answers.failed_groups:
        return  # the group's earlier chunk failed outright; its later chunks would too
    failure, probabilities = None, None
    cached_answer = cache.get(planned.cache_key) if cache else None
    if cached_answer is not None:
        answers.cached += 1
        answer = json.loads(cached_answer)
        probabilities = answer.pop(PROBABILITIES_KEY, None)
    else:
        try:
            obj, chunk_calls = llm.extract(
                group_model(ask), planned.messages, group=group, chunk_sha256=planned.chunk.sha256,
                token_budget=max(1, config.token_budget - answers.used_tokens),
            )
            answer = obj.model_dump(mode="json")
        except ExtractionFailed as failed:
            failure, chunk_calls, answer = failed, failed.calls, failed.last_output or {}
        answers.calls += chunk_calls
        answers.used_tokens += sum(c.prompt_tokens + c.completion_tokens for c in chunk_calls)
        probabilities = next((c.value_probabilities for c in reversed(chunk_calls) if c.value_probabilities), None)
    kept, refused = salvage(ask, answer)
    if failure is not None and not kept:
        if required:
            answers.failed_groups.append(group)
            answers.errors.append(f"{group}: {failure.reason}")
        else:
            answers.rejections += [Rejection(n, None, f"llm:{group}", f"asked again, alone, and the ask failed: "
                                                                      f"{failure.reason}") for n in ask]
        return  # not cached: running the command again asks again
    if cached_answer is None:  # an invalid answer too (its valid fields are used): a rerun pays nothing
        stored = answer | {PROBABILITIES_KEY: probabilities} if probabilities else answer
        answers.new_answers.append(CachedAnswer(planned.cache_key, json.dumps(stored, sort_keys=True),
                                                llm.model, prompts.version))
    answers.rejections += [Rejection(n, v, f"llm:{group}", f"invalid after retries: {why}") for n, v, why in refused]
    for name, by_value in (probabilities or {}).items():  # a value two answers gave keeps the surer reading
        known = answers.probabilities.setdefault(name, {})
        known.update({key: max(p, known.get(key, 0.0)) for key, p in by_value.items()})
    kept, unsure = without_unsure(kept, probabilities or {}, config.min_value_probability)
    answers.rejections += [Rejection(n, v, f"llm:{group}", f"the model was unsure of it (probability {p:.2f}, "
                                                          f"under {config.min_value_probability})")
                           for n, v, p in unsure]
    for name, value in kept.items():
        if not is_empty(value):
            answers.findings.append(Finding(name, _without_label(name, value), f"llm:{group}"))


def extract_document(
    document: Document,
    llm: Optional[LanguageModel],
    *,
    cache: Optional[ResponseCache] = None,
    config: ExtractionConfig = ExtractionConfig(),
    prompts: Optional[PromptSet] = None,
) -> DocumentResult:
    prompts = prompts or config.prompts()
    plan = plan_document(document, llm.model if llm else None, config, prompts)
    if plan.listed_trials:
        shown = ", ".join(plan.listed_trials[:5]) + (", ..." if len(plan.listed_trials) > 5 else "")
        return DocumentResult(
            document=document, record=TrialRecord(), status="failed",
            error=f"lists several trials ({shown}): not extracted as one trial; "
                  "extract each trial's own page or registry record",
            method="llm" if llm is not None else "rules-only",
        )
    clean, code_findings = plan.clean, plan.code_findings

    answers = _Answers()
    for planned in plan.calls:
        _ask(planned, llm, cache, config, prompts, answers)
    grounded = grounding.ground(document, clean, code_findings + answers.findings)
    if llm is not None and config.strategy == "pipeline":
        stored = {name for name, value in grounded.values.items() if not is_empty(value)}
        second = plan_second_asks(document, clean, stored, llm.model, config, prompts)
        for planned in second:
            _ask(planned, llm, cache, config, prompts, answers, required=False)
        if second:
            grounded = grounding.ground(document, clean, code_findings + answers.findings)

    record, invalid = _validated_record(grounded.values)
    for name in invalid:
        grounded.evidence.pop(name, None)
    rejections = answers.rejections + grounded.rejections + [
        Rejection(name, value, grounded.methods.get(name, ""), f"invalid in the merged record: {why}")
        for name, (value, why) in invalid.items()
    ]
    for name in invalid:
        grounded.methods.pop(name, None)
    stored_any = any(not is_empty(v) for v in record.model_dump().values())
    status = "ok"
    if answers.failed_groups:
        status = "partial" if stored_any else "failed"
    for c in answers.calls:
        c.document_id = document.id
    return DocumentResult(
        document=document,
        record=record,
        evidence=grounded.evidence,
        methods=grounded.methods,
        rejections=rejections,
        status=status,
        error="; ".join(answers.errors) or None,
        failed_groups=answers.failed_groups,
        calls=answers.calls,
        cached_calls=answers.cached,
        new_answers=answers.new_answers,
        value_probabilities=answers.probabilities,
        method="llm" if llm is not None else "rules-only",
    )


_LABEL_PREFIX = re.compile(r"^(?:lead(?:s)?|sponsor(?:s)?|funder(?:s)?|collaborator(?:s)?|organi[sz]ation|institute"
                           r"|name of (?:primary )?sponsor)\s*(?::|\s[-–]\s)\s*", re.I)
_ORGANISATION_FIELDS = {"primary_sponsor", "secondary_sponsors", "funders", "collaborators"}


def _without_label(name: str, value):
    """Small models copy the page's label with the value ("Leads: Jiangxi ...", UMIN's
    "Institute - National Cancer Center ..."); keep the value."""
    if name not in _ORGANISATION_FIELDS:
        return value
    if isinstance(value, list):
        return [_LABEL_PREFIX.sub("", v) if isinstance(v, str) else v for v in value]
    return _LABEL_PREFIX.sub("", value) if isinstance(value, str) else value


def plan_calls(clean, found_sections, not_asked: set[str], config: ExtractionConfig) -> list[tuple]:
    """(call name, fields to ask, cleaned-text spans) for each LLM call a document needs.

    Each field group reads only the sections that can hold it, or, when all its open fields
    are STATEMENT_FIELDS, only the lines stating them. When everything the
    groups would read fits in one chunk, a single call asks all open fields at once: the
    embedded model answers better so than asked group by group, over the groups' own
    sections or over the same text (eval/HISTORY.md, session 40), and sends the text once.
    """
    planned = []
    for group, group_fields in FIELD_GROUPS.items():
        ask = tuple(f for f in group_fields if f not in not_asked and f not in RULE_ONLY_FIELDS)
        if not ask:
            continue
        if not config.use_sections:
            spans = [(0, len(clean.text))]
        elif all(f in statements.STATEMENT_FIELDS for f in ask):
            # Grounding stores these only from statements it detects, so the lines holding
            # them are all the model needs (not the criteria settled by code around them).
            spans = sections.statement_lines(
                clean.text, [span for f in ask for span in statements.statement_spans(f, clean.text)])
        else:
            spans = sections.text_for_group(clean, found_sections, group)
        planned.append((group, ask, spans))
    union = chunking.merge_spans([span for _, _, spans in planned for span in spans])
    if planned and sum(end - start for start, end in union) <= config.max_chunk_chars:
        return [("all", tuple(f for _, ask, _ in planned for f in ask), union)]
    return planned


def without_unsure(kept: dict, probabilities: dict, below: float) -> tuple[dict, list[tuple[str, object, float]]]:
    """The answer's values less those (and those list items) the model gave a probability under
    `below`, and those, each with its probability. A value of unknown probability stays."""
    if below <= 0:  # the default: nothing is refused, so nothing need be looked up
        return kept, []
    sure, unsure = {}, []
    for name, value in kept.items():
        items = value if isinstance(value, list) else [value]
        left = []
        for item in items:
            p = confidence.probability_of(probabilities, name, item)
            if p is not None and p < below:
                unsure.append((name, item, p))
            else:
                left.append(item)
        if left:
            sure[name] = left if items is value else left[0]
    return sure, unsure


def salvage(fields: tuple[str, ...], output: dict) -> tuple[dict, list[tuple[str, object, str]]]:
    """Of a model's answer, keep each asked field (and each list item) that validates on its
    own; return the rest with the validation message. A valid answer is kept whole; one that
    failed validation after retries keeps its valid parts."""
    kept, refused = {}, []
    for name in fields:
        value = output.get(name)
        if is_empty(value):
            continue
        model = group_model((name,))
        candidates = [[item] for item in value] if isinstance(value, list) and name != "phases" else [value]
        for candidate in candidates:
            try:
                valid = model.model_validate({name: candidate}).model_dump(mode="json")[name]
            except ValidationError as error:
                why = error.errors()[0]["msg"]
                valid, dropped = _without_invalid_details(model, name, candidate, error)
                refused.append((name, candidate, why if valid is None else f"{why} (kept without its {', '.join(dropped)})"))
                if valid is None:
                    continue
            if isinstance(valid, list) and isinstance(value, list) and name != "phases":
                kept.setdefault(name, []).extend(valid)
            else:
                kept[name] = valid
    return kept, refused


def _without_invalid_details(model, name: str, candidate, error: ValidationError) -> tuple[Optional[list], list[str]]:
    """A list item whose only invalid parts are optional details (a site whose "country" is a
    hospital's name) is kept without them: the detail is refused, the site is not. An item whose
    identifying key is invalid stays refused (the key is required, so None fails again).
    Returns the valid item (or None) and the keys dropped."""
    if not (isinstance(candidate, list) and len(candidate) == 1 and isinstance(candidate[0], dict)):
        return None, []
    item, dropped = dict(candidate[0]), []
    for problem in error.errors():
        location = problem["loc"]
        if len(location) != 3 or location[2] not in item:
            return None, []
        item[location[2]] = None
        dropped.append(str(location[2]))
    try:
        return model.model_validate({name: [item]}).model_dump(mode="json")[name], dropped
    except ValidationError:
        return None, []


def _criteria_findings(clean, found_sections) -> list[Finding]:
    """Inclusion/exclusion criteria split by code where the page has the usual headings, as
    sections of their own or inside one line (press items that flatten a registry form)."""
    spans = [(s.start, s.end) for s in found_sections if s.label == "eligibility"]
    text = "\n".join(clean.text[a:b] for a, b in sorted(spans))
    inclusion, exclusion = split_criteria(text) if text else ([], [])
    if not inclusion and not exclusion:
        flattened = [inline_criteria_text(line) for line in clean.text.splitlines()]
        inclusion, exclusion = split_criteria("\n".join(t for t in flattened if t))
    findings = []
    if inclusion:
        findings.append(Finding("inclusion_criteria", inclusion, "rule:criteria"))
    if exclusion:
        findings.append(Finding("exclusion_criteria", exclusion, "rule:criteria"))
    return findings


def _validated_record(values: dict) -> tuple[TrialRecord, dict]:
    """The record from grounded values; a field that fails validation is dropped, not guessed."""
    values = dict(values)
    invalid: dict[str, tuple] = {}
    for _ in range(len(values) + 1):
        try:
            return TrialRecord.model_validate(values), invalid
        except ValidationError as error:
            for problem in error.errors():
                name = str(problem["loc"][0])
                if name in values:
                    invalid[name] = (values.pop(name), problem["msg"])
    return TrialRecord(), invalid

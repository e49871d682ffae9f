"""Grounding: a value is stored only if code finds it stated, as its field, in the source text.

Findings from rules and registry records arrive with evidence; it is checked
(the quote must be the document's own text). Findings from the LLM arrive
without evidence; this module searches the cleaned text for a span that
states the value, and checks that the span agrees with it:
- numbers, dates, ages and enums: candidate spans are the statements that
  pipeline/statements.py detects (in any language it knows), normalized with
  the same normalizers as the schema and compared with the value;
- ids: the id must be found by the id parser;
- free text (titles, names, criteria): a fuzzy alignment (rapidfuzz) of at
  least MIN_TEXT_SIMILARITY against the text.
A span must also state the value *as this field*: the checks of
pipeline/field_checks.py (FIELD_CHECKS, ITEM_CHECKS) say which, per field. A value with
no such span is rejected with a reason (it goes to review), and a list keeps only its
supported items. Steps that reshape or add values are pipeline/resolve.py's, called here
at their stage. Offsets found in the cleaned text are mapped back to the document
through the cleaner's offset map.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pycountry
from rapidfuzz import fuzz

from . import field_checks, resolve, statements
from .field_checks import FIELD_CHECKS, ITEM_CHECKS, Page
from .records import CleanText, Document, Evidence, Finding, Rejection
from ..schemas import lexicon, normalize
from ..schemas.trial import ITEM_NAME_KEYS, LIST_FIELDS, WHOLE_VALUE_FIELDS

MIN_TEXT_SIMILARITY = 90.0
_WS = re.compile(r"\s+")


# Sibling fields one stretch of text cannot state twice: "Start Date: 2025-10-10" is a
# start date, so a model that also files it as the registration date is not supported.
EXCLUSIVE_FAMILIES = (
    ("registration_date", "start_date", "primary_completion_date", "completion_date"),
    ("public_title", "scientific_title", "acronym"),
    ("min_age_years", "max_age_years"),
    # "Sponsor: Parexel" states a sponsor, not also a funder or a site.
    ("primary_sponsor", "secondary_sponsors", "funders", "collaborators", "sites"),
)
_FAMILY_OF = {name: family for family in EXCLUSIVE_FAMILIES for name in family}


@dataclass
class Grounded:
    """The outcome for one document: supported values with evidence, and what was rejected."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)


# --- locating spans ------------------------------------------------------------------------------


def _find_texts(value: str, text: str, lowered: str, fuzzy: bool = True) -> list[statements.Span]:
    """Every exact (case/whitespace-insensitive) occurrence; else the best fuzzy alignment."""
    needle = _WS.sub(" ", value.strip()).lower()
    if not needle:
        return []
    pattern = re.escape(needle).replace(r"\ ", r"\s+")
    # Whole words only: "RAT" is not stated by "ratio".
    pattern = (r"(?<!\w)" if needle[0].isalnum() else "") + pattern + (r"(?!\w)" if needle[-1].isalnum() else "")
    exact = [statements.Span(m.start(), m.end()) for m in re.finditer(pattern, lowered)]
    if exact:
        return exact
    if len(needle) < 4 or not fuzzy:
        return []  # too short to align fuzzily without false hits
    alignment = fuzz.partial_ratio_alignment(needle, lowered, score_cutoff=MIN_TEXT_SIMILARITY)
    return [] if alignment is None else [statements.Span(alignment.dest_start, alignment.dest_end)]


def _find_text(value: str, text: str, lowered: str) -> Optional[statements.Span]:
    spans = _find_texts(value, text, lowered)
    return spans[0] if spans else None


_CJK_CHARACTER = re.compile(lexicon.CJK_CHARACTER)
_HANGUL_SYLLABLE = re.compile("[\uac00-\ud7af]")  # the Korean part of CJK_CHARACTER


def _mention_pattern(name: str) -> str:
    """A name as a whole word. A name written in Hangul may take a particle ("미국에서"); one
    written in Han or kana, which do not delimit words, counts inside a line only after or before
    a word that makes it a place ("在中国进行", "日本で実施")."""
    if _HANGUL_SYLLABLE.match(name[-1:]):
        return r"(?<!\w)" + re.escape(name) + rf"(?=(?:{lexicon.KOREAN_PLACE_PARTICLES})?(?!\w))"
    if _CJK_CHARACTER.match(name[:1]):
        escaped = re.escape(name)
        return (rf"(?<={lexicon.CJK_PLACE_BEFORE}){escaped}|{escaped}(?={lexicon.CJK_PLACE_AFTER})"
                rf"|(?<!\w){escaped}(?!\w)")
    return r"(?<!\w)" + re.escape(name) + r"(?!\w)"


@functools.lru_cache(maxsize=1)
def _cjk_country_names() -> re.Pattern:
    """Every country's names that start in a CJK script, the longest first."""
    names = {name.lower() for country in pycountry.countries for name in normalize.country_names(country.alpha_2)
             if _CJK_CHARACTER.match(name[:1])}
    return re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)))


def _find_countries(code: str, text: str, lowered: str) -> list[statements.Span]:
    """Every mention of the country, by any of its names (the longest name first at each place).
    Without word boundaries, a CJK name may begin another country's longer name (Korean 인도,
    India, begins 인도네시아, Indonesia): a place where another country's name is read is no
    mention of this one."""
    spans: list[statements.Span] = []
    for name in normalize.country_names(code):
        written_in_cjk = bool(_CJK_CHARACTER.match(name[:1]))
        for match in re.finditer(_mention_pattern(name.lower()), lowered):
            longest = _cjk_country_names().match(lowered, match.start()) if written_in_cjk else None
            if longest and normalize.normalize_country(longest.group()) != code:
                continue
            if not any(s.start <= match.start() < s.end for s in spans):
                spans.append(statements.Span(match.start(), match.end()))
    return sorted(spans, key=lambda span: span.start)


def _find_country(code: str, text: str, lowered: str) -> Optional[statements.Span]:
    return next(iter(_find_countries(code, text, lowered)), None)


def _find_exact(value: str, text: str) -> Optional[statements.Span]:
    index = text.find(value)
    return statements.Span(index, index + len(value)) if index >= 0 else None


# --- per-field dispatch --------------------------------------------------------------------------

_TEXT_FIELDS = {
    "public_title", "scientific_title", "acronym", "primary_sponsor", "ethics_review",
}
_TEXT_LIST_FIELDS = {
    "conditions", "secondary_sponsors", "funders", "collaborators",
    "inclusion_criteria", "exclusion_criteria",
}
# For lists of objects: how to check each key besides the one that names the item (ITEM_NAME_KEYS).
_OBJECT_LISTS: dict[str, dict[str, str]] = {
    "interventions": {"description": "text", "type": "free"},
    "arms": {"description": "text", "type": "free"},
    "primary_outcomes": {"time_frame": "text"},
    "secondary_outcomes": {"time_frame": "text"},
    "sites": {"city": "text", "country": "country"},
    "contacts": {"affiliation": "text", "email": "exact", "phone": "exact", "role": "free"},
}


class _Locator:
    """Finds spans for values of each field in one cleaned text."""

    def __init__(self, clean: CleanText):
        self.text = clean.text
        self.lowered = clean.text.lower()

    def scalar_spans(self, field_name: str, value: Any) -> list[statements.Span]:
        """Candidate spans stating a scalar value: every mention of a text, else the one found."""
        if field_name == "acronym":  # a name of its own, stated exactly: "PIMAV" is not "Pimavanserin"
            return _find_texts(str(value), self.text, self.lowered, fuzzy=False)
        if field_name in _TEXT_FIELDS:
            return self.texts(value)
        span = self._scalar(field_name, value)
        return [span] if span else []

    def item_spans(self, field_name: str, value: Any) -> list[statements.Span]:
        """Candidate spans stating one list item: every mention of a text, else the one found."""
        if field_name in _TEXT_LIST_FIELDS:
            return self.texts(value)
        if field_name == "countries":
            return _find_countries(str(value), self.text, self.lowered)
        span = self._item(field_name, value)
        return [span] if span else []

    def _scalar(self, field_name: str, value: Any) -> Optional[statements.Span]:
        if field_name in statements.DATE_FIELDS:
            return statements.find_date(field_name, str(value), self.text)
        if field_name in ("min_age_years", "max_age_years"):
            return statements.find_age(field_name, float(value), self.text)
        if field_name == "target_enrollment":
            return statements.find_count(int(value), self.text)
        if field_name == "healthy_volunteers":
            return statements.find_healthy(bool(value), self.text)
        if field_name == "phases":
            spans = [statements.find_enum("phases", phase, self.text) for phase in value]
            return spans[0] if spans and all(spans) else None
        if field_name in statements.ENUM_PATTERNS:
            return statements.find_enum(field_name, value, self.text)
        return None

    def _item(self, field_name: str, value: Any) -> Optional[statements.Span]:
        if field_name == "phases":
            return statements.find_enum("phases", value, self.text)
        if field_name == "registry_ids":
            wanted = (value["registry"], value["id"])
            for match in normalize.find_registry_ids(self.text):
                if (match.registry, match.id) == wanted:
                    return statements.Span(match.start, match.end)
            return None
        return None

    def texts(self, value: Any) -> list[statements.Span]:
        return _find_texts(str(value), self.text, self.lowered)

    def sub_value(self, kind: str, value: Any) -> Optional[statements.Span]:
        if kind == "text":
            return _find_text(str(value), self.text, self.lowered)
        if kind == "exact":
            return _find_exact(str(value), self.text)
        if kind == "country":
            return _find_country(str(value), self.text, self.lowered)
        return None


def verify_evidence(document: Document, evidence: Evidence) -> bool:
    """Evidence must be the document's own text at the stated offsets (whitespace-insensitive)."""
    if not (0 <= evidence.start <= evidence.end <= len(document.text)):
        return False
    actual = document.text[evidence.start: evidence.end]
    return actual == evidence.quote or _WS.sub(" ", actual).strip() == _WS.sub(" ", evidence.quote).strip()


def ground(document: Document, clean: CleanText, findings: list[Finding]) -> Grounded:
    """Keep the findings the text supports, each with evidence; reject the rest with a reason.

    Findings are taken in order: for a scalar field the first supported value wins (callers
    put rule findings before LLM findings); for a list field supported items accumulate.
    Stages: criteria and treatments split one per item (resolve), each value verified, then the
    resolve steps that need every field in.
    """
    page = Page(document, clean)
    locate = _Locator(clean)
    out = Grounded()
    for finding in resolve.one_item_each(findings):
        name, value = finding.field, finding.value
        if value is None or value == [] or value == "":
            continue
        if name not in LIST_FIELDS or name in WHOLE_VALUE_FIELDS:
            if not _is_label(out, finding):
                _ground_scalar(page, locate, finding, out)
        else:
            for item in value if isinstance(value, list) else [value]:
                one = Finding(name, item, finding.method, finding.evidence)
                if not _is_label(out, one):
                    _ground_item(page, locate, one, out)
    resolve.after_grounding(out, page, locate.texts)
    return out


def _is_label(out: Grounded, finding: Finding) -> bool:
    """Reject (and say so) a name-like value that is not a value of its field, whatever read it:
    a model's answer, an item the criteria splitter cut from a heading line, or a rule's reading
    of a label whose value is page furniture (an empty label's next line)."""
    reason = field_checks.not_a_value(out, finding)
    if reason:
        _reject(out, finding, reason)
    return reason is not None


def _reject(out: Grounded, finding: Finding, reason: str) -> None:
    out.rejections.append(Rejection(finding.field, finding.value, finding.method, reason))


def _ground_scalar(page: Page, locate: _Locator, finding: Finding, out: Grounded) -> None:
    name = finding.field
    if name in out.values:
        if out.values[name] != finding.value:
            _reject(out, finding, f"conflicts with the accepted value {out.values[name]!r} ({out.methods[name]})")
        return
    finding = resolve.stated_phases(out, finding, page.text)
    if finding.evidence is not None:
        evidence = _checked_evidence(page.document, finding, out)
        if evidence is None:
            return
    else:
        spans = locate.scalar_spans(name, finding.value)
        spans = _stated_spans(out, finding, name, spans, page)
        if spans is None:
            return
        evidence = _first_free_evidence(page, out, finding, spans)
        if evidence is None:
            return
    out.values[name] = finding.value
    out.evidence[name] = [evidence]
    out.methods[name] = finding.method


def _stated_spans(out: Grounded, finding: Finding, name: str, spans: list[statements.Span],
                  page: Page) -> Optional[list[statements.Span]]:
    """The spans that pass every check FIELD_CHECKS lists for the field `name`; None (and the
    finding rejected with the failing check's reason) when the value is found but no span does."""
    for check in FIELD_CHECKS.get(name, ()):
        if check.applies(finding):
            spans = _spans_where(out, finding, spans, lambda span: check.states(page, span), check.reason)
            if spans is None:
                return None
    return spans


def _spans_where(out: Grounded, finding: Finding, spans: list[statements.Span], states_it: Callable[[statements.Span], Any],
                 reason: str) -> Optional[list[statements.Span]]:
    """The spans that state the value as this field; None (and the finding rejected with
    `reason`) when the value is found but none of its spans states it so."""
    kept = [span for span in spans if states_it(span)]
    if spans and not kept:
        _reject(out, finding, reason)
        return None
    return kept


def _first_free_evidence(page: Page, out: Grounded, finding: Finding, spans: list[statements.Span],
                         what: str = "value") -> Optional[Evidence]:
    """Evidence from the first span no sibling field already stands on; else reject, saying why."""
    if not spans:
        _reject(out, finding, f"no span of the source text states this {what}")
        return None
    sibling = None
    for span in spans:
        evidence = page.evidence(span)
        sibling = _sibling_using(out, finding.field, evidence)
        if not sibling:
            return evidence
    _reject(out, finding, f"the only text stating it is the evidence for {sibling}")
    return None


def _sibling_using(out: Grounded, name: str, evidence: Evidence) -> Optional[str]:
    """The sibling field whose evidence is (mostly) the same text. Containment is not enough:
    an acronym is usually written inside its title ("... Chest Pain - PROMISE")."""
    for sibling in _FAMILY_OF.get(name, ()):
        for other in out.evidence.get(sibling, []) if sibling != name else []:
            overlap = min(other.end, evidence.end) - max(other.start, evidence.start)
            if overlap > 0 and overlap >= 0.8 * max(other.end - other.start, evidence.end - evidence.start):
                return sibling
    return None


def _checked_evidence(document: Document, finding: Finding, out: Grounded) -> Optional[Evidence]:
    """Evidence that came with a finding (rules, records), if it is the document's own text."""
    if verify_evidence(document, finding.evidence):
        return finding.evidence
    _reject(out, finding, "evidence quote does not occur in the document at its offsets")
    return None


def _ground_item(page: Page, locate: _Locator, finding: Finding, out: Grounded) -> None:
    name, item = finding.field, finding.value
    if item in out.values.get(name, []):
        return
    if finding.evidence is not None:
        evidence = _checked_evidence(page.document, finding, out)
        if evidence is None:
            return
    elif name in _OBJECT_LISTS:
        key, checks = ITEM_NAME_KEYS[name], _OBJECT_LISTS[name]
        item = dict(item)
        spans = locate.texts(item[key]) if item.get(key) else []
        spans = _stated_spans(out, finding, name, spans, page)
        if spans is None:
            return
        if name in statements.OUTCOME_FIELDS and spans:
            if item.get("time_frame") and not field_checks.names_a_time(item["time_frame"]):
                out.rejections.append(Rejection(f"{name}.time_frame", item["time_frame"], finding.method,
                                                "names no time: not a time frame"))
                item["time_frame"] = None
        evidence = _first_free_evidence(page, out, finding, spans, f"item's {key}")
        if evidence is None:
            return
        for sub_key, kind in checks.items():
            if item.get(sub_key) and kind != "free" and locate.sub_value(kind, item[sub_key]) is None:
                out.rejections.append(
                    Rejection(f"{name}.{sub_key}", item[sub_key], finding.method, "not stated in the source text")
                )
                item[sub_key] = None
        for check in ITEM_CHECKS.get(name, ()):
            if not check.states(out, page, item, spans):
                _reject(out, finding, check.reason)
                return
    else:
        spans = _stated_spans(out, finding, name, locate.item_spans(name, item), page)
        if spans is None:
            return
        evidence = _first_free_evidence(page, out, finding, spans, "item")
        if evidence is None:
            return
    out.values.setdefault(name, []).append(item)
    out.evidence.setdefault(name, []).append(evidence)
    out.methods.setdefault(name, finding.method)

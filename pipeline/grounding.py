"""Grounding: a value is stored only if code finds it in the source text.

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
A span must also state the value *as this field*: a name under another role's
label is not the sponsor, a date under another date's label is not this date,
a condition named only in the criteria or inside the title line is not the
condition studied, a criterion stands where the page lists criteria, an outcome
where it names outcomes. A value with no such span is rejected with a reason
(it goes to review), and a list keeps only its supported items. Offsets found in
the cleaned text are mapped back to the document through the cleaner's offset map.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pycountry
from rapidfuzz import fuzz

from . import statements
from .records import CleanText, Document, Evidence, Finding, Rejection
from .registry_records import DANGLING_WORDS
from .sections import classify_heading, heading_label
from ..schemas import lexicon, normalize
from ..schemas.trial import LIST_FIELDS, WHOLE_VALUE_FIELDS

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


@functools.lru_cache(maxsize=None)
def _country_names(code: str) -> list[str]:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return [code]
    names = {country.name, getattr(country, "official_name", country.name), getattr(country, "common_name", country.name)}
    extra = {"US": ["USA", "United States", "U.S."], "GB": ["UK", "United Kingdom", "England", "Scotland", "Wales"],
             "KR": ["Korea", "South Korea"], "RU": ["Russia"], "IR": ["Iran"], "TW": ["Taiwan"],
             "CN": ["China"], "VN": ["Vietnam"], "CZ": ["Czech Republic", "Czechia"]}
    names.update(extra.get(code, []))
    names.update(normalize.country_names_in_other_languages(code))
    return sorted(names, key=len, reverse=True)


def _find_countries(code: str, text: str, lowered: str) -> list[statements.Span]:
    """Every mention of the country, by any of its names (the longest name first at each place)."""
    spans: list[statements.Span] = []
    for name in _country_names(code):
        for match in re.finditer(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", lowered):
            if not any(s.start <= match.start() < s.end for s in spans):
                spans.append(statements.Span(match.start(), match.end()))
    return sorted(spans, key=lambda span: span.start)


def _find_country(code: str, text: str, lowered: str) -> Optional[statements.Span]:
    return next(iter(_find_countries(code, text, lowered)), None)


# "In France, squamous cell carcinomas ... are the 5th most common cancer": a country that opens a
# sentence of background, not a place the trial runs.
_BACKGROUND_COUNTRY = re.compile(r"(?:^|[.!?]\s+|\n\s*)in\s+(?:the\s+)?$", re.I)


def _not_stated_as_a_place_of_the_trial(text: str, span: statements.Span) -> bool:
    """A country in a postal address (of a contact or sponsor: the label "Address" within the
    three lines above) or opening a sentence of background ("In Indonesia, the prevalence ...")."""
    line_start = statements.start_of_line(text, span.start)
    if _BACKGROUND_COUNTRY.search(text[max(0, line_start - 1):span.start]) and text[span.end:span.end + 1] == ",":
        return True
    above = text[:line_start].rstrip().rsplit("\n", 3)[-3:]
    return any(re.search(r"\baddress\b\s*[:|]?\s*$", line.strip(), re.I) for line in above + [text[line_start:span.start]])


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
# For lists of objects: the key that identifies an item, and how to check each other key.
_OBJECT_LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "interventions": ("name", {"description": "text", "type": "free"}),
    "arms": ("label", {"description": "text", "type": "free"}),
    "primary_outcomes": ("measure", {"time_frame": "text"}),
    "secondary_outcomes": ("measure", {"time_frame": "text"}),
    "sites": ("name", {"city": "text", "country": "country"}),
    "contacts": ("name", {"affiliation": "text", "email": "exact", "phone": "exact", "role": "free"}),
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


def _evidence(document: Document, clean: CleanText, span: statements.Span) -> Evidence:
    start, end = clean.raw_span(span.start, span.end)
    return Evidence(start=start, end=end, quote=document.text[start:end])


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
    """
    locate = _Locator(clean)
    out = Grounded()
    for finding in findings:
        name, value = finding.field, finding.value
        if value is None or value == [] or value == "":
            continue
        if name not in LIST_FIELDS or name in WHOLE_VALUE_FIELDS:
            if not _is_label(out, finding):
                _ground_scalar(document, clean, locate, finding, out)
        else:
            items = value if isinstance(value, list) else [value]
            if name in _CRITERIA_FIELDS and finding.evidence is None:
                items = [part for item in items for part in one_criterion_each(item)]
            for item in items:
                one = Finding(name, item, finding.method, finding.evidence)
                if not _is_label(out, one):
                    _ground_item(document, clean, locate, one, out)
    _add_a_stated_placebo(out, locate, clean, document)
    _drop_names_only_in_titles(out, locate, clean, document)
    _drop_acronym_of_an_intervention(out)
    return out


def _stands_as_a_title(text: str, evidence: Evidence) -> bool:
    """A title stands on a line of its own, or after a label on its line; a phrase a model took
    out of a sentence ("... trial evaluates X for recurrent Y.") is no title line."""
    before = text[statements.start_of_line(text, evidence.start):evidence.start].strip()
    after = text[evidence.end:statements.end_of_line(text, evidence.end)].strip(" \t|")
    # after it, at most a short bracket or a dash and a short name: "(ABC)", "- ABC", "- Site name"
    return (not before or before.endswith((":", "|"))) and (
        not after or bool(re.fullmatch(r"\([^()]{1,40}\)|[-\u2013\u2014|]\s*[^\n]{1,40}", after)))


def _drop_names_only_in_titles(out: Grounded, locate: "_Locator", clean: CleanText, document: Document) -> None:
    """A condition or intervention the page names only inside its title is not stated as one:
    where such a phrase starts and ends in "Study of X in Subjects With Active Y (Z) Without W"
    is a guess (the labelling guide's rule, eval/README.md)."""
    titles = [(e.start, e.end) for name in ("public_title", "scientific_title") for e in out.evidence.get(name, [])
              if _stands_as_a_title(document.text, e)]
    if not titles:
        return
    for name in ("conditions", "interventions"):
        kept_values, kept_evidence = [], []
        for item, evidence in zip(out.values.get(name, []), out.evidence.get(name, [])):
            text = item.get("name") if isinstance(item, dict) else item
            mentions = [clean.raw_span(span.start, span.end) for span in locate.texts(str(text or ""))]
            if mentions and all(any(a <= start and end <= b for a, b in titles) for start, end in mentions):
                out.rejections.append(Rejection(name, item, out.methods.get(name, ""),
                                                "named only inside the title, not stated as one"))
                continue
            kept_values.append(item)
            kept_evidence.append(evidence)
        if name in out.values:
            out.values[name], out.evidence[name] = kept_values, kept_evidence
            if not kept_values:
                del out.values[name], out.evidence[name]
                out.methods.pop(name, None)


# A placebo is one of the trial's interventions where the page says participants get it ("half
# will receive a placebo", "drug X or placebo", "compared to placebo"): a small model that
# names the drug often leaves the comparator out. "Placebo-controlled", a design word, and a
# "placebo run-in" are no such statement; nor is a placebo named only in the title (dropped below).
_PLACEBO_GIVEN = re.compile(
    r"\b(?:receiv\w*|given|giving|administered|(?:assigned|allocated|randomi[sz]ed) to|or|and|versus|vs\.?"
    r"|compared (?:to|with)|against|rebr\w*|re\u00e7oi\w*|recib\w*|erhalt\w*|ou|o|oder)"
    r"\s+(?:(?:an?|un|une|una|ein|the|matching|a matching)\s+)?(?P<placebo>placebo)\b"
    r"(?![- ]?(?:controlled|control\b|run-in|corrected))", re.I)
PLACEBO_ADDED = "grounding:placebo"


def _add_a_stated_placebo(out: Grounded, locate: "_Locator", clean: CleanText, document: Document) -> None:
    interventions = out.values.get("interventions", [])
    if not interventions or any("placebo" in str(item.get("name") or "").casefold() for item in interventions):
        return
    given = _PLACEBO_GIVEN.search(locate.text)  # the cleaned text: not a "similar trials" box's placebo
    if given is None:
        return
    start, end = clean.raw_span(*given.span("placebo"))
    interventions.append({"name": given["placebo"], "type": None, "description": None})
    out.evidence["interventions"].append(Evidence(start=start, end=end, quote=document.text[start:end],
                                                  method=PLACEBO_ADDED))


def _sentence_start(text: str, end: int) -> int:
    """Where the sentence holding `end` starts: after a full stop and a space, or the line's start."""
    return max(statements.start_of_line(text, end), text.rfind(". ", 0, end) + 2)


def _sentence_end(text: str, start: int) -> int:
    """Where the sentence holding `start` ends: a full stop before a space, or the line's end."""
    match = re.compile(r"\.(?=\s|$)|\n").search(text, start)
    return match.start() if match else len(text)


def _drop_acronym_of_an_intervention(out: Grounded) -> None:
    """An "acronym" that is an intervention's name or a word of it ("GLA" of "GLA-SE", "CZP") is the
    drug's short name, not the trial's; judged once the interventions are in."""
    acronym = str(out.values.get("acronym") or "").strip().casefold()
    if not acronym or out.methods.get("acronym", "").startswith("rule:"):
        return
    for intervention in out.values.get("interventions", []):
        name = str(intervention.get("name") or "").casefold()
        words = set(re.findall(r"\w+(?:-\w+)*", name)) | set(re.findall(r"\w+", name))  # "gla-se", "gla", "se"
        if acronym == name or acronym in words:
            out.rejections.append(Rejection("acronym", out.values.pop("acronym"), out.methods.pop("acronym"),
                                            "an intervention's short name, not the trial's acronym"))
            out.evidence.pop("acronym", None)
            return


_CRITERIA_FIELDS = {"inclusion_criteria", "exclusion_criteria"}
# Where a page ran several criteria into one item: "; " always; a flattened list's " - ", " * "
# or " • " when a capital letter or bracket follows ("... (SCLC) - Subjects with ...").
_CRITERIA_SEPARATOR = re.compile(r";\s+|\s+[-*\u2022]\s+(?=[A-Z(])")


# A numbered list run into one line: " 2. " before a capital, where the numbers count up.
_INLINE_NUMBER = re.compile(r"\s+(\d{1,2})[.)]\s+(?=[A-Z(])")
# A connector left at the end of an item of a flattened list ("... within six months. AND").
_TRAILING_CONNECTOR = re.compile(r"\s+(?:AND|OR|and/or)\s*$")


def _numbered_parts(item: str) -> list[str]:
    """"Age 18-65 2. Able to consent 3. No prior therapy" -> its three items; an item whose
    inline numbers do not count up from 2 (a dose "2. 5 mg", a list "1. 3. 5.") stays whole."""
    cuts = [m for m in _INLINE_NUMBER.finditer(item)]
    if not cuts or [int(m.group(1)) for m in cuts] != list(range(2, len(cuts) + 2)):
        return [item]
    starts = [0] + [m.end() for m in cuts]
    ends = [m.start() for m in cuts] + [len(item)]
    return [item[a:b] for a, b in zip(starts, ends)]


def one_criterion_each(item: Any) -> list:
    """One criterion per item. Separators inside brackets do not split, and a part after a
    dash or bullet must be three words or more, so that "Stage IIIB - IV" stays whole. A
    numbered list run into one item is split at its numbers, and a connector a flattened list
    leaves at an item's end ("AND") is not part of the criterion."""
    if not isinstance(item, str):
        return [item]
    numbered = _numbered_parts(item)
    if len(numbered) > 1:
        return [part for piece in numbered for part in one_criterion_each(piece)]
    item = _TRAILING_CONNECTOR.sub("", item)
    parts: list[str] = []
    position = 0
    for separator in _CRITERIA_SEPARATOR.finditer(item):
        before = item[:separator.start()]
        if before.count("(") + before.count("[") > before.count(")") + before.count("]"):
            continue  # inside brackets: "(combined oral contraceptive pill; injectable ...)" is one criterion
        following = item[separator.end():]
        next_stop = _CRITERIA_SEPARATOR.search(following)
        if not separator.group().startswith(";") and \
                len(following[: next_stop.start() if next_stop else len(following)].split()) < 3:
            continue
        parts.append(item[position:separator.start()])
        position = separator.end()
    parts.append(item[position:])
    parts = [part.strip(" \t;*\u2022-") for part in parts]
    return [part for part in parts if re.search(r"\w", part)] or [item]


# Fields (and the key of list items) that name something. A model short of an answer copies
# the page's headings, ids, categories and the trial's acronym into them ("Brief Summary" as the
# sponsor, a trial id as a site, "Experimental" as an arm label); the text does contain those
# words, but not as that field's value.
_NAMING_FIELDS = {"primary_sponsor", "secondary_sponsors", "funders", "collaborators", "acronym",
                  "public_title", "scientific_title", "inclusion_criteria", "exclusion_criteria", "ethics_review"}
_NAMING_KEYS = {"sites": "name", "contacts": "name", "interventions": "name", "arms": "label"}
_ORGANIZATIONS = {"primary_sponsor", "secondary_sponsors", "funders", "collaborators", "sites"}
_CATEGORIES = {
    "experimental", "active comparator", "placebo comparator", "sham comparator", "no intervention", "other",
    "drug", "device", "biological", "procedure", "radiation", "behavioral", "genetic", "dietary supplement",
    "combination product", "diagnostic test", "intervention", "arm", "group",
    "induction", "consolidation", "maintenance", "definitive", "adjuvant", "neoadjuvant",  # treatment phases
}
# ClinicalTrials.gov's funder classes ("Funder Type: Industry"), not organizations.
_FUNDER_CLASSES = {"industry", "other", "us fed", "u s fed", "fed", "other gov", "indiv", "individual", "network",
                   "ambig", "ambiguous", "unknown"}
_ADDRESS = re.compile(r"\S+@\S+\.\w+|(?:https?://|www\.)\S+", re.I)


def not_a_value(out: Grounded, finding: Finding) -> Optional[str]:
    """Why a name-like value is not a value of its field, if it is not."""
    name, value = finding.field, finding.value
    text = value.get(_NAMING_KEYS[name]) if name in _NAMING_KEYS and isinstance(value, dict) else (
        value if name in _NAMING_FIELDS else None)
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if normalize.is_not_stated(text):
        return "a placeholder for a missing value, not a value"
    if _ADDRESS.fullmatch(text):
        return "an e-mail or web address, not a name"
    if heading_label(text) and not (name == "acronym" and text.isupper()):  # "STATUS" may name a trial
        return "a section heading or field label, not a value"
    label = re.match(r"([^:\uff1a\n]{2,40})[:\uff1a]\s*\S", text)
    if label and (classify_heading(label[1]) or (None, False))[1]:
        return "a field label with its value, not a value"  # "Status: Completed" read as a name
    if name not in ("acronym",) and normalize.is_registry_name(text):
        return "a registry's name, not a value"
    ids = normalize.find_registry_ids(text)
    if any(m.end - m.start >= len(text) - 2 for m in ids) or (
            ids and not re.search(r"[^\W\d_]", "".join(text[a.end:b.start] for a, b in zip(ids, ids[1:])) +
                                  text[:ids[0].start] + text[ids[-1].end:])):
        return "a registry id, not a name"  # "ChiCTR2100050545 ; ChiMCTR2100005248" too
    if name in _ORGANIZATIONS and re.search(r"\bet al\b", text, re.I):
        return "a list of authors, not an organization"
    if name in ("arms", "interventions") and re.sub(r"[^a-z ]", "", text.lower()).strip() in _CATEGORIES:
        return "a category, not a name"
    if name in ("public_title", "scientific_title") and len(re.findall(r"\b[^\W\d_]{2,}", text)) < 3:
        return "too short to be a title"  # "EudraCT number 2015-001894-4": a label and a number
    if name in ("public_title", "scientific_title") and ids and ids[0].start == 0:
        return "a registry id run into a title, not a title as the page states it"
    if name in _ORGANIZATIONS and " ".join(re.findall(r"[a-z]+", text.lower())) in _FUNDER_CLASSES:
        return "a class of funder, not an organization"
    acronym = out.values.get("acronym")
    if name in _ORGANIZATIONS and acronym and text.casefold() == str(acronym).strip().casefold():
        return "the trial's acronym, not an organization"
    if name == "contacts" and text.casefold() == str(value.get("affiliation") or "").strip().casefold():
        return "an organization (the contact's own affiliation), not a person"
    if name == "sites" and text.casefold() in {str(value.get(k) or "").strip().casefold() for k in ("city", "country")}:
        return "a place, not a site"
    return None


def _names_an_accepted_organization(out: Grounded, text: str) -> bool:
    """Does `text` name (all its words, or all of theirs) an accepted sponsor, funder or collaborator?
    A small model short of sites lists the sponsor ("Bristol-Myers Squibb") as one."""
    words = set(re.findall(r"\w+", text.casefold()))
    for name in _ORGANIZATIONS - {"sites"}:
        accepted = out.values.get(name)
        for organization in accepted if isinstance(accepted, list) else [accepted]:
            theirs = set(re.findall(r"\w+", str(organization or "").casefold()))
            if theirs and words and (words <= theirs or theirs <= words):
                return True
    return False


def _is_label(out: Grounded, finding: Finding) -> bool:
    """Reject (and say so) a name-like value that is not a value of its field (a model's answer,
    or an item the criteria splitter cut from a heading line). Exact evidence is trusted."""
    if finding.evidence is not None:
        return False
    reason = not_a_value(out, finding)
    if reason:
        _reject(out, finding, reason)
    return reason is not None


def _reject(out: Grounded, finding: Finding, reason: str) -> None:
    out.rejections.append(Rejection(finding.field, finding.value, finding.method, reason))


def _ground_scalar(document, clean, locate, finding, out) -> None:
    name, value = finding.field, finding.value
    if name in out.values:
        if out.values[name] != value:
            _reject(out, finding, f"conflicts with the accepted value {out.values[name]!r} ({out.methods[name]})")
        return
    if name == "phases" and finding.evidence is None and len(value) > 1:
        # A list of phases is a value of its own ("Phase 2/3"), but where the page states only some
        # of the answer's phases, those are what it states.
        stated = [phase for phase in value if statements.find_enum("phases", phase, locate.text)]
        if stated and stated != list(value):
            for phase in value:
                if phase not in stated:
                    out.rejections.append(Rejection(name, phase, finding.method, "no span of the source text states this phase"))
            finding = Finding(name, stated, finding.method)
            value = stated
    if finding.evidence is not None:
        evidence = _checked_evidence(document, finding, out)
        if evidence is None:
            return
    else:
        spans = locate.scalar_spans(name, value)
        text = locate.text
        if name == "primary_sponsor":
            spans = _spans_where(out, finding, spans, lambda span: not _labelled_as_another_role(text, span),
                                 "labelled as another role (collaborator, responsible party, applicant, "
                                 "affiliation...), not the sponsor")
            if spans:
                spans = _spans_where(out, finding, spans, lambda span: _stated_as_sponsor(text, span),
                                     "no sponsor, funder or conductor cue on its line or the line above: "
                                     "an organization the page names, not one it names as the sponsor")
        elif name == "acronym" and (len(str(value).split()) > 3 or len(str(value)) > 30):
            # a short name is an acronym wherever it stands; a phrase is one only where labelled so
            spans = _spans_where(out, finding, spans, lambda span: re.search(r"acronym", _label_before(text, span), re.I),
                                 "too long for an acronym, and no Acronym label gives it")
        elif name == "acronym":
            spans = _spans_where(out, finding, spans, lambda span: not _labelled_as_a_code(text, span),
                                 "stated as a protocol code or study number, not an acronym")
            if spans:
                spans = _spans_where(out, finding, spans, lambda span: _named_as_the_trial(text, span),
                                     "not given as the trial's name (no Acronym label, not at a title's end, "
                                     "not beside 'trial' or 'study', not spelled out): a short name of "
                                     "something else the page mentions")
        elif name in ("public_title", "scientific_title"):  # a title is never a phrase cut out of prose
            spans = _spans_where(out, finding, spans,
                                 lambda span: _stands_as_a_title(document.text, _evidence(document, clean, span)),
                                 "a phrase inside a sentence, not a title line")
            labelled = [span for span in spans or [] if _SCIENTIFIC_TITLE_LABEL.search(_label_before(text, span))]
            if name == "scientific_title" and spans and not labelled and "public_title" not in out.values:
                name = "public_title"  # a page's unlabelled title line (an aggregator's heading) is its public title
            elif name == "scientific_title" and spans:
                spans = _spans_where(out, finding, spans, lambda span: span in labelled,
                                     "no official or scientific title label gives it")
        if spans is None:
            return
        evidence = _first_free_evidence(document, clean, out, finding, spans)
        if evidence is None:
            return
    out.values[name] = value
    out.evidence[name] = [evidence]
    out.methods[name] = finding.method


_SCIENTIFIC_TITLE_LABEL = re.compile(r"(?<!public )(?<!brief )(?<!lay )title|titre|titel|t\u00edtulo", re.I)


# Labels that give an organization a role other than sponsor. Old ClinicalTrials.gov pages show
# "Sponsor:" with its value lost, then "Collaborator:" and "Information provided by (Responsible
# Party):" each over a name: neither name is stated as the sponsor.
_OTHER_ROLE_LABEL = re.compile(
    r"(?:collaborators?|information provided by(?: \(responsible party\))?|responsible party"
    r"|principal investigators?|study (?:director|chair|leader)|applicant|affiliation|address|contact person"
    r"|national competent authority|\u5730\u5740)\s*[:|\uff1a]?\s*$", re.I)  # \u5730\u5740: "address"
# A site is where the trial runs: an organization labelled as the sponsor, or as a contact's or
# sponsor's "Organization"/"Institute" (UMIN), is not stated as a site.
_NOT_A_SITE_LABEL = re.compile(r"(?:sponsor|funder|organi[sz]ation|institute)\s*[:|\-]?\s*$", re.I)


def _label_before(text: str, span: statements.Span) -> str:
    """The text before a value on its line, or the nearest line above when nothing on the value's
    line labels it (the value starts its line, or sits inside an unlabelled line such as an address)."""
    line_start = statements.start_of_line(text, span.start)
    before = text[line_start:span.start]
    if ":" in before or line_start == 0:
        return before
    start, end = statements.line_above(text, line_start)
    return text[start:end]


# "Sponsor's Protocol Code Number: ClonDO", "Other Study ID Numbers: MT103-203", or an unlabelled
# line under the registry id (aggregators list the NCT number, then the sponsor's code).
_CODE_LABEL = re.compile(r"(?:protocol|code|numbers?|ids?|identifiers?)\s*[:|]?\s*$", re.I)


# Where a page gives a short name as the trial's own: under an acronym label, closing a title
# line ("... in Chest Pain (ABC)", "... - ABC"), beside a word for the trial ("the ABC study",
# "trial (ABC-2)", "a Phase 3 trial, Abc,"), or spelled out beside it ("ABC (A Big Cohort)").
# A short name in running text with none of these is a drug's, a company's or a disease's
# abbreviation: "drugname pegol (DP) 200 mg", "Acme Inc. (ACME)".
_ACRONYM_LABEL = re.compile(r"acronym|abbreviat|short (?:title|name)|akronym|acr\u00f3nimo|acronyme"
                            r"|\u7565\u79f0|\u7f29\u5199|\u7b80\u79f0", re.I)  # 略称 缩写 简称
_TRIAL_WORD = re.compile(r"trials?|stud(?:y|ies)|studie[n]?|essai|ensayo|estudio|studio|\u8bd5\u9a8c|\u8a66\u9a13"
                         r"|\u7814\u7a76|\uc784\uc0c1", re.I)  # 试验 試験 研究 임상
_WORDS_BESIDE = 4
_CLOSING = " \t)]}\"'\u201d\u2019\u00bb\u300b\u3011|*.,;"


def _named_as_the_trial(text: str, span: statements.Span) -> bool:
    line_start, line_end = statements.start_of_line(text, span.start), statements.end_of_line(text, span.end)
    before, after = text[line_start:span.start], text[span.end:line_end]
    if _ACRONYM_LABEL.search(before) or (not re.search(r"[^\W\d_]", before) and line_start > 0 and
                                          _ACRONYM_LABEL.search(text[slice(*statements.line_above(text, line_start))])):
        return True
    if not after.strip(_CLOSING) or re.match(r"[\s)\]\"\u201d]*(?::|\s[-\u2013\u2014]\s)", after):
        return True  # ends its line (a title's end, a name on its own line) or heads a title ("X: ...")
    words_before = re.findall(r"[^\W_]+", before)[-_WORDS_BESIDE:]
    words_after = re.findall(r"[^\W_]+", after)[:_WORDS_BESIDE]
    if any(_TRIAL_WORD.fullmatch(word) for word in words_before + words_after):
        return True
    spelled = re.match(r"\s*\(([^)\n]{5,120})\)", after)
    letters = re.sub(r"[^A-Za-z]", "", text[span.start:span.end]).upper()
    return bool(spelled and len(letters) >= 2 and
                "".join(ch for ch in spelled[1] if ch.isupper()).startswith(letters[:3]))


def _labelled_as_a_code(text: str, span: statements.Span) -> bool:
    label = _label_before(text, span).strip()
    ids = normalize.find_registry_ids(label)
    return bool(_CODE_LABEL.search(label)) or (len(ids) == 1 and ids[0].end - ids[0].start >= len(label) - 1)


# A sponsor is a role a page gives an organization, with a label or a phrase on its line or the
# line above ("Sponsor:", "Primary sponsor", "funded by", "conducted by", a company announcing its
# trial; the same words in the registries' other languages). Any other organization a page names
# (a registry, a site, a trial group, a drug in a link list) is not stated as the sponsor.
_SPONSOR_CUE = re.compile(
    r"sponsor|fund|financ|conduct|run by|led by|organi[sz]ed by|initiat|compan|announc"
    r"|\u7533\u529e|\u8d44\u52a9|\u4e3b\u529e|\u4e3b\u8fa6|\u5b9f\u65bd|\u4e3b\u50ac|\u30b9\u30dd\u30f3\u30b5\u30fc"  # 申办 资助 主办 主辦 実施 主催 スポンサー
    r"|\uc2a4\ud3f0\uc11c|\uc758\ub8b0|promot|patrocin|f\u00f6rder|auftraggeber",  # 스폰서 의뢰
    re.I)


def _stated_as_sponsor(text: str, span: statements.Span) -> bool:
    line_start = statements.start_of_line(text, span.start)
    window_start = statements.line_above(text, line_start)[0] if line_start > 0 else line_start
    return bool(_SPONSOR_CUE.search(text[window_start:statements.end_of_line(text, span.end)]))


# A site is a place the trial runs: with no city or country, its name or a label on its line or
# the line above must say so ("Locations", "Study site", a hospital, clinic or centre).
_SITE_CUE = re.compile(
    r"locat|\bsites?\b|cent(?:re|er)|hospital|clinic|klinik|h\u00f4pital|universit|institut|recruit"
    r"|\u533b\u9662|\u75c5\u9662|\ubcd1\uc6d0",  # 医院 病院 병원
    re.I)


def _stated_as_a_place(text: str, span: statements.Span) -> bool:
    line_start = statements.start_of_line(text, span.start)
    window_start = statements.line_above(text, line_start)[0] if line_start > 0 else line_start
    return bool(_SITE_CUE.search(text[window_start:statements.end_of_line(text, span.end)]))


def _labelled_as_another_role(text: str, span: statements.Span) -> bool:
    """Whether the label just before a name gives it another role than sponsor."""
    return bool(_OTHER_ROLE_LABEL.search(_label_before(text, span)))


def _heading_above(text: str, span: statements.Span, lines: int = 25) -> Optional[str]:
    """The section label of the nearest heading above a span (within `lines` lines), or None."""
    line_start = statements.start_of_line(text, span.start)
    for line in reversed(text[:line_start].splitlines()[-lines:]):
        label = heading_label(line.strip()) if line.strip() else None
        if label:
            return label
    return None


# ISRCTN's "Condition category: Circulatory System" classes the trial; it names no condition.
_CATEGORY_LABEL = re.compile(r"(?:condition|disease|therapeutic) (?:category|area|class)\s*:?\s*$", re.I)


def _not_stated_as_condition(text: str, span: statements.Span) -> bool:
    """A disease named in an eligibility criterion ("diagnosis of probable Alzheimer's
    disease") is who may enrol, not what the trial studies; a category is not a condition."""
    return bool(_CATEGORY_LABEL.search(_label_before(text, span))) or _in_eligibility_criteria(text, span)


def _in_eligibility_criteria(text: str, span: statements.Span) -> bool:
    """Whether a span stands in the eligibility criteria: a criteria word on its line, or an
    eligibility heading above it. A drug or disease named there says who may enrol ("prior
    methotrexate", "diagnosis of asthma"), not what the trial gives or studies."""
    if _CRITERION_CUE.search(text[statements.start_of_line(text, span.start):statements.end_of_line(text, span.end)]):
        return True
    return _heading_above(text, span, lines=60) == "eligibility"


_CRITERION_CUE = re.compile(r"inclu|exclu|eligib|criteri|not eligible|"
                            + "|".join(lexicon.criteria_heading_pattern(kind) for kind in ("inclusion", "exclusion")), re.I)


def _stated_as_criterion(text: str, span: statements.Span) -> bool:
    """A criterion is one where the page lists criteria: a criteria word on its line, or an
    eligibility heading above it. Narrative prose elsewhere ("patients with X were enrolled")
    is not turned into criteria. It starts where an item starts (a line, a bullet, a sentence,
    after a colon): "dementia with Lewy bodies" in "... at least one of the following: A,
    dementia with Lewy bodies, C" is a piece of one criterion, not a criterion."""
    if not _starts_an_item(text, span):
        return False
    if _CRITERION_CUE.search(text[statements.start_of_line(text, span.start):statements.end_of_line(text, span.end)]):
        return True
    return _heading_above(text, span, lines=60) == "eligibility"


# What may stand before an item on its line: nothing but a bullet or number, or a sentence end,
# colon or separator ("Inclusion Criteria: - Men and women >= 18").
_ITEM_START = re.compile(r"(?:^|[.;:!?]|\s[-\u2013*\u2022])[\s\-\u2013*\u2022\u00b7>]*(?:\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s*)?$", re.I)


# An item number inside a line ("... any race/ethnicity 2. Mayo Clinic inpatient"), before a capital.
_INLINE_ITEM_NUMBER = re.compile(r"\s\d{1,2}[.)]\s+$")


def _starts_an_item(text: str, span: statements.Span) -> bool:
    before = text[statements.start_of_line(text, span.start):span.start]
    return bool(_ITEM_START.search(before)) or (
        bool(_INLINE_ITEM_NUMBER.search(before)) and text[span.start:span.start + 1].isupper())


def _cut_off_by_the_end(document_text: str, clean: CleanText, span: statements.Span) -> bool:
    """The item runs into the end of a document that was cut mid-sentence (scraped previews
    and dumps often are), so it is not stated whole: nothing but whitespace follows it in the
    document, and it ends on a word that cannot end a phrase ("... minimal residual disease at
    a"), at a cut that left a space and no line end after it, or on the beginning of a word ("The Major
    Depr": "Depr" starts words elsewhere in the text and never stands alone). An item followed
    by page furniture that cleaning removed is not at the document's end."""
    text = clean.text
    stated = text[span.start:span.end].rstrip()
    words = re.findall(r"\w+", stated)
    after = document_text[clean.raw_span(span.start, span.end)[1]:]  # the rest of the document, not of the cleaned text
    if after.strip() or not words or re.search(r"[.!?;:)\]\u3002]$", stated):
        return False
    last = words[-1].lower()
    if last in DANGLING_WORDS or last in ("and", "or") or re.fullmatch(r"[ \t]+", after):
        return True
    lowered = text.lower()
    stands_alone_elsewhere = len(re.findall(rf"(?<!\w){re.escape(last)}(?!\w)", lowered)) > 1
    return not stands_alone_elsewhere and re.search(rf"(?<!\w){re.escape(last)}\w", lowered) is not None


def _stated_as_outcome(text: str, span: statements.Span) -> bool:
    """A measure is an outcome where the page says so: an outcome/endpoint word in its sentence,
    or an outcomes heading above it before any other heading. "The purpose is to compare the overall
    survival" names a measure; it does not state the trial's primary outcome, nor does "the 2-year
    PFS was 45%" in the background sentence before "The primary endpoint is PFS"."""
    if statements.OUTCOME_CUE.search(text[_sentence_start(text, span.start):_sentence_end(text, span.end)]):
        return True
    return _heading_above(text, span) == "outcomes"


# A measure cut short by the model ("ORR" of "ORR at 3 months post-radiotherapy", "complete response"
# of "complete response (CR) rate of each irradiated lesion ...") goes on, in the text, with a
# bracket or one of these words; it ends at the clause's end.
_MEASURE_GOES_ON = re.compile(r"[ \t]*(?:\(|(?:of|at|in|per|from|after|during|within|over|on|among|between|by|versus|vs\.?"
                              r"|assessed|evaluated|measured|defined|according|rate|score)\b)", re.I)
_TIME_FRAME_CUE = re.compile(r"\d|\b(?:days?|weeks?|months?|years?|hours?|minutes?|baseline|visits?|cycles?|end|follow|"
                             r"post|pre|until|through|up to|after|before|during|period|time|randomi[sz]ation|discharge|"
                             r"admission|surgery|treatment|study|trial|screening|dos(?:e|ing)|infusion|delivery|birth)",
                             re.I)


def _whole_measure_end(text: str, span: statements.Span, time_frame: Optional[str]) -> int:
    """Where the clause holding a measure ends, when the measure stops short of it; else span.end.
    Not when the rest is only the item's own time frame ("mortality | at 25 months": the model
    split measure and time frame), nor when it names another time than the item's (this mention
    of the measure belongs to another outcome)."""
    end = _clause_end(text, span)
    rest = _WS.sub(" ", text[span.end:end]).strip().lower()
    time_frame = _WS.sub(" ", str(time_frame or "")).strip().lower()
    if time_frame and (re.fullmatch(r"(?:at|over|by|after|within|in|during)\s+" + re.escape(time_frame), rest)
                       or (re.search(r"\d+\s*(?:days?|weeks?|months?|years?|hours?)\b", rest) and time_frame not in rest)):
        return span.end
    return end


_FINITE_VERB = re.compile(r"\s(?:was|were|is|are|will|would|has|have|had)\b", re.I)


def _clause_end(text: str, span: statements.Span, limit: int = 250) -> int:
    """The end of the clause a measure starts, when the text goes on with it; else span.end.
    A composite ("composite endpoint of death, myocardial infarction ... and hospitalization")
    runs on past its commas, to the sentence's end."""
    composite = "composite" in text[span.start:span.end].lower()
    if not (_MEASURE_GOES_ON.match(text, span.end) or (composite and text.startswith(",", span.end))):
        return span.end
    depth = 0
    for position in range(span.end, min(len(text), span.end + limit)):
        char = text[position]
        if depth == 0 and _FINITE_VERB.match(text, position):
            return len(text[:position].rstrip())  # "PFS | was approximately 45%": a result, not the measure
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ((char in ",;:\n[|" and not (composite and char == ",")) or (char == "." and text[position + 1: position + 2] in ("", " ", "\n"))
                             or text.startswith(" - ", position)):
            return len(text[:position].rstrip())
    return span.end  # no end of clause in sight: not one measure


def _spans_where(out: Grounded, finding: Finding, spans: list[statements.Span], states_it: Callable[[statements.Span], Any],
                 reason: str) -> Optional[list[statements.Span]]:
    """The spans that state the value as this field; None (and the finding rejected with
    `reason`) when the value is found but none of its spans states it so."""
    kept = [span for span in spans if states_it(span)]
    if spans and not kept:
        _reject(out, finding, reason)
        return None
    return kept


def _first_free_evidence(document, clean, out: Grounded, finding: Finding, spans: list[statements.Span],
                         what: str = "value") -> Optional[Evidence]:
    """Evidence from the first span no sibling field already stands on; else reject, saying why."""
    if not spans:
        _reject(out, finding, f"no span of the source text states this {what}")
        return None
    sibling = None
    for span in spans:
        evidence = _evidence(document, clean, span)
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


def _checked_evidence(document, finding, out) -> Optional[Evidence]:
    """Evidence that came with a finding (rules, records), if it is the document's own text."""
    if verify_evidence(document, finding.evidence):
        return finding.evidence
    _reject(out, finding, "evidence quote does not occur in the document at its offsets")
    return None


def _ground_item(document, clean, locate, finding, out) -> None:
    name, item = finding.field, finding.value
    if item in out.values.get(name, []):
        return
    if finding.evidence is not None:
        evidence = _checked_evidence(document, finding, out)
        if evidence is None:
            return
    elif name in _OBJECT_LISTS:
        key, checks = _OBJECT_LISTS[name]
        item = dict(item)
        spans = locate.texts(item[key]) if item.get(key) else []
        if name in ("interventions", "arms") and spans:
            spans = _spans_where(out, finding, spans, lambda span: not _in_eligibility_criteria(locate.text, span),
                                 "named only in the eligibility criteria: who may enrol, not what the trial gives")
            if spans is None:
                return
        if name in statements.OUTCOME_FIELDS and spans:
            spans = _spans_where(out, finding, spans, lambda span: _stated_as_outcome(locate.text, span),
                                 "not stated as an outcome (no outcome or endpoint label on its line or above it)")
            if spans is None:
                return
            whole_end = _whole_measure_end(locate.text, spans[0], item.get("time_frame"))
            if whole_end > spans[0].end:  # the model cut the measure short: keep it as the page states it
                spans[0] = statements.Span(spans[0].start, whole_end)
                item[key] = _WS.sub(" ", locate.text[spans[0].start:whole_end])
            if item.get("time_frame") and not _TIME_FRAME_CUE.search(str(item["time_frame"])):
                out.rejections.append(Rejection(f"{name}.time_frame", item["time_frame"], finding.method,
                                                "names no time: not a time frame"))
                item["time_frame"] = None
        evidence = _first_free_evidence(document, clean, out, finding, spans, f"item's {key}")
        if evidence is None:
            return
        for sub_key, kind in checks.items():
            if item.get(sub_key) and kind != "free" and locate.sub_value(kind, item[sub_key]) is None:
                out.rejections.append(
                    Rejection(f"{name}.{sub_key}", item[sub_key], finding.method, "not stated in the source text")
                )
                item[sub_key] = None
        if name == "sites" and not item.get("city") and not item.get("country") and \
                _names_an_accepted_organization(out, item.get("name") or ""):
            # judged after the location is checked: a model adds a city the page never gives
            _reject(out, finding, "the sponsor again, with no location: not a site")
            return
        if name == "sites" and all(_labelled_as_another_role(locate.text, span) or
                                   _NOT_A_SITE_LABEL.search(_label_before(locate.text, span)) for span in spans):
            _reject(out, finding, "labelled as another role (sponsor, responsible party, organization, address): "
                                  "not a site")
            return
        if name == "sites" and not item.get("city") and not item.get("country") and \
                not any(_stated_as_a_place(locate.text, span) for span in spans):
            _reject(out, finding, "no location, and nothing on its line or the line above says it is a "
                                  "place the trial runs: an organization the page names, not a site")
            return
    else:
        spans = locate.item_spans(name, item)
        if name in _CRITERIA_FIELDS:
            if not finding.method.startswith("rule:"):
                # Narrative prose ("patients with X were enrolled") reads as inclusion criteria, never
                # as exclusions: an exclusion item need only start an item, wherever the page lists it.
                check = _stated_as_criterion if name == "inclusion_criteria" else _starts_an_item
                spans = _spans_where(out, finding, spans, lambda span: check(locate.text, span),
                                     "not stated as a criterion (no eligibility heading or criteria label above it, "
                                     "or a piece of a longer sentence)")
            if spans:
                spans = _spans_where(out, finding, spans,
                                     lambda span: not _cut_off_by_the_end(document.text, clean, span),
                                     "cut off by the end of the document: not stated whole")
        elif name == "countries":
            spans = _spans_where(out, finding, spans, lambda span: not _not_stated_as_a_place_of_the_trial(locate.text, span),
                                 "named only in an address or in background prose, not as a place the trial runs")
        elif name == "conditions":
            spans = _spans_where(out, finding, spans, lambda span: not _not_stated_as_condition(locate.text, span),
                                 "named only in the eligibility criteria or as a condition category, "
                                 "not as the condition studied")

        if spans is None:
            return
        evidence = _first_free_evidence(document, clean, out, finding, spans, "item")
        if evidence is None:
            return
    out.values.setdefault(name, []).append(item)
    out.evidence.setdefault(name, []).append(evidence)
    out.methods.setdefault(name, finding.method)

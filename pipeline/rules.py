"""Rule-based findings: the fields that have an exact form, read by code instead of the model.

A field settled here costs no tokens and cannot be hallucinated. Every extractor is a
labelled pattern ("Minimum Age: 18", "Study Phase: Phase 2", "End date" followed by
"Dec 20, 2025" on the next line), never a guess from free prose. A value is kept only when
the TrialRecord validator accepts it (schemas/normalize.py does the normalising), so a rule
can miss a value but not produce one outside the contract. When a field gets several
different values (two enrollments, say) all of them are returned; the caller decides.

Methods: rule:registry_ids, rule:dates, rule:ages, rule:enrollment, rule:sex, rule:phase,
rule:title_phase, rule:titles, rule:ctgov_title, rule:sponsor, rule:arms, rule:interventions,
rule:recruitment_status, rule:study_type, rule:allocation, rule:masking, rule:healthy_volunteers.

Each Finding's evidence runs from the start of the label to the end of the value, in
Document.text, with the exact slice as its quote. The scan runs over the cleaned text and
maps spans back with CleanText.raw_span.

How a label is recognised:
- labels match case-insensitively; longer labels win ("Primary Completion Date" is not
  "Completion Date", "Results First Posted" is not "First Posted");
- the value follows on the same line after ":", " - ", "|", "?", or (for a label that starts
  a field: a line start, after a bullet, ";" or a "|" cell) after plain spaces; or it is the
  next non-blank line when the label ends its line (UMIN, ChiCTR, aggregator layouts);
- a one-word label ("Status", "Phase", "Sex") in the middle of a line needs ":" or " - ";
- with plain spaces as the separator the whole value must be accepted, not just its start,
  so prose such as "Phase 1 trials conducted ..." yields nothing.

Decisions worth knowing (see also the label table below):
- "Date of disclosure", "Date of protocol fixation", "Date of IRB", "Last follow-up date",
  "Recruitment start/end date" and "Results First Posted" are not mapped to any field.
- Ages with a strict comparator symbol ("Age > 18 years", UMIN "65 years-old >") are left
  to the model: whether the bound is inclusive is not stated. "Over 18 Years" under an age
  label is read as 18: it is how aggregators print ClinicalTrials.gov's minimum age. Criteria prose
  ("Age >= 18 and < 70 years of age") is left to the model too; a criterion that is just a
  labelled range ("Age 18-65 years") is read. A line that is only an age range with units
  ("18 years and older") counts as labelled by its form, as does a line "N=91".
- A phase in a title counts when written as a title, "Phase II Trial" / "Phase 3 Study"
  (capitalised, followed by Trial or Study); "a phase II trial" in prose does not.
- "Target enrollment: 0" is a site artefact, not a target: an enrollment of 0 is dropped.
- Dates like 06/07/2020 are read day-first or month-first only when the document shows
  which (some date in it has a part above 12); otherwise the normaliser refuses them.
- A line that is only "Phase 2" is a phase statement (aggregator and registry tables), and
  a line that is only a status ("Recruiting", "Active, not recruiting") a status statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .records import CleanText, Document, Evidence, Finding
from .sections import heading_label
from ..schemas import lexicon, normalize
from ..schemas.trial import TrialRecord, is_empty

# ---------------------------------------------------------------------------
# Validation: TrialRecord is the only judge of a value.


def _validated(field: str, raw: Any) -> Any:
    """The value TrialRecord stores for `raw` in `field`, or None when it is rejected or empty."""
    try:
        record = TrialRecord.model_validate({field: raw})
    except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        return None
    value = getattr(record, field)
    if is_empty(value):
        return None
    if field == "registry_ids":
        return [item.model_dump() for item in value]
    return value


# ---------------------------------------------------------------------------
# Value readers. A reader gets the value text after a label and returns
# (field, value, end) triples, `end` being how far into the value text the evidence
# reaches. `loose` is False when the label was followed only by spaces: then the whole
# value must be read, so a sentence that starts with a label word yields nothing.

Read = tuple[str, Any, int]
# (value text, loose, day_first): day_first says how this document writes numeric dates
# (True, False, or None when it does not show); only the date readers use it.
Reader = Callable[[str, bool, Optional[bool]], list[Read]]

_CHOICE_MAX_CHARS = 100  # enum values are short; a longer "value" is prose
_PROSE_CUTS = ("(", ";", " -", ",")  # "None (Open Label)", "Double blind -all involved ..."


def _choice_ends(value: str, loose: bool) -> list[int]:
    """Where an enum value may end: all of it; when loose also before a remark or after a few words."""
    ends = [len(value)]
    if loose:
        for mark in _PROSE_CUTS:
            cut = value.find(mark)
            if cut > 0:
                ends.append(cut)
        # "Open public recruiting Date of protocol fixation ..." on one flattened line
        word_ends = [m.end() for m in re.finditer(r"\S+", value)][:6]
        ends.extend(sorted(word_ends, reverse=True))
    trimmed = []
    for end in ends:
        end = len(value[:end].rstrip(" \t\r.,;:-"))
        if 0 < end <= _CHOICE_MAX_CHARS and end not in trimmed:
            trimmed.append(end)
    return trimmed


def _choice_reader(field: str) -> Reader:
    """An enum, flag or phase field: the first candidate ending the validator accepts wins."""

    def read(value: str, loose: bool, _day_first: Optional[bool]) -> list[Read]:
        for end in _choice_ends(value, loose):
            stored = _validated(field, value[:end])
            if stored is not None:
                return [(field, stored, end)]
        return []

    return read


# Enrollment: a count, optionally "participants" and "(Actual)" / "[Anticipated]".
_ENROLLMENT = re.compile(
    r"(?P<count>\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]\d)"
    r"(?:[ \t]*(?:participants?|patients?|subjects?|people|persons|individuals|infants|children))?"
    r"(?:[ \t]*[\[(](?:actual|anticipated|estimated|expected)[\])])?",
    re.IGNORECASE,
)


def _read_enrollment(value: str, loose: bool, _day_first: Optional[bool]) -> list[Read]:
    match = _ENROLLMENT.match(value)
    if not match or (not loose and value[match.end() :].strip()):
        return []
    count = int(match.group("count").replace(",", ""))
    if count == 0:  # "Target enrollment: 0" is a site artefact, never a planned size
        return []
    stored = _validated("target_enrollment", count)
    return [("target_enrollment", stored, match.end())] if stored is not None else []


# Ages. One age is a number with an optional unit ("18", "18 Years", "18 years-old",
# "18+ yrs"); the unit is passed on as a plain word so the normaliser sees "18 years".
def _age(name: str, plus: str = r"\+?") -> str:
    """Regex for one age, its groups named `name` (number) and `name`_unit."""
    return (
        rf"(?P<{name}>\d{{1,3}}(?:\.\d+)?)[ \t]*{plus}[ \t]*"
        rf"(?P<{name}_unit>years?|yrs?|months?|mos?|weeks?|wks?|days?)?(?:[ \t-]*old)?(?![\w.])"
    )


_AGE_UNITS = {"y": "years", "m": "months", "w": "weeks", "d": "days"}


def _age_text(match: re.Match, name: str) -> str:
    unit = match.group(f"{name}_unit")
    number = match.group(name)
    return f"{number} {_AGE_UNITS[unit[0].lower()]}" if unit else number


# A bound labelled as such ("Minimum Age: 18", UMIN "18 years-old <="). A strict
# comparator (UMIN "65 years-old >") does not say whether the bound is included: skipped.
_AGE_BOUND = re.compile(_age("age") + r"(?:[ \t]*(?P<cmp><=|>=|≤|≥|<|>))?", re.IGNORECASE)


def _age_bound_reader(field: str) -> Reader:
    def read(value: str, loose: bool, _day_first: Optional[bool]) -> list[Read]:
        match = _AGE_BOUND.match(value)
        if not match or match.group("cmp") in ("<", ">"):
            return []
        if not loose and value[match.end() :].strip():
            return []
        stored = _validated(field, _age_text(match, "age"))
        return [(field, stored, match.end())] if stored is not None else []

    return read


# A range under a general label ("Ages Eligible for Study", "Eligible Ages", "Ages"), or a
# line on its own: "18 Years to 75 Years (Adult, Older Adult)", "18 years and older",
# "Adult · 18+ yrs". A bare "61 years" under "Age" is a mean or an example, not a bound.
# Rows: which bounds the form gives, whether it needs a label (comparator forms are also
# how criteria bullets are written), and the form.
_AGE_CATEGORY_PREFIX = r"(?:(?:child|adult|older adult|senior)[ \t]*[,·][ \t]*)*"
_AGE_RANGE_FORMS = (
    ("both", False, _age("low") + r"[ \t]*(?:to|-|–|—)[ \t]*" + _age("high")),
    ("low", False, _age("low") + r"[ \t]+(?:and|or)[ \t]+(?:older|over|above|more)"),
    ("low", False, _age("low", plus=r"\+")),
    ("high", False, _age("high") + r"[ \t]+(?:and|or)[ \t]+(?:younger|under|below|less)"),
    ("low", True, r"(?:≥|>=|at least)[ \t]*" + _age("low")),
    ("low", True, r"(?:over|above)[ \t]+" + _age("low")),  # uams: "Eligible Ages: Over 18 Years"
    ("high", True, r"(?:≤|<=|up to)[ \t]*" + _age("high")),
)
_AGE_RANGES = [
    (bounds, needs_label, re.compile(
        _AGE_CATEGORY_PREFIX + r"(?:" + form + r")(?:[ \t]*\([^()\n]*\))?", re.IGNORECASE))
    for bounds, needs_label, form in _AGE_RANGE_FORMS
]


def _read_age_range(
    value: str, loose: bool, _day_first: Optional[bool], *, labelled: bool = True
) -> list[Read]:
    """Min and/or max age from a range; an unlabelled line must spell out its units."""
    value = value.rstrip()
    for bounds, needs_label, pattern in _AGE_RANGES:
        match = pattern.fullmatch(value)
        if not match or (needs_label and not labelled):
            continue
        reads = []
        for name, field in (("low", "min_age_years"), ("high", "max_age_years")):
            if bounds not in (name, "both"):
                continue
            if not labelled and not match.group(f"{name}_unit"):
                return []
            stored = _validated(field, _age_text(match, name))
            if stored is not None:
                reads.append((field, stored, match.end()))
        return reads
    return []


# Dates. The pattern only finds where a date ends (the value may run on: "19/08/2021]
# Trial Registered Prospectively"); the normaliser parses it at its own precision. A
# numeric date such as 06/07/2020 is refused by the normaliser as ambiguous; when the
# document shows its order elsewhere (some date with a part above 12) it is read that way.
_DATE = normalize.DATE_IN_TEXT
_NUMERIC_DATE = re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})[/.]\d{4}(?![\d/.])")


def _numeric_dates_day_first(text: str) -> Optional[bool]:
    """True if the text writes 19/08/2021, False if 08/19/2021, None if it does not show."""
    first_over_12 = second_over_12 = False
    for match in _NUMERIC_DATE.finditer(text):
        first_over_12 |= int(match.group(1)) > 12
        second_over_12 |= int(match.group(2)) > 12
    if first_over_12 == second_over_12:  # no evidence, or contradictory evidence
        return None
    return first_over_12


def _date_reader(field: str) -> Reader:
    def read(value: str, loose: bool, day_first: Optional[bool]) -> list[Read]:
        match = _DATE.match(value)
        if not match or (not loose and value[match.end() :].strip()):
            return []
        text = match.group(0)
        if match.group("first") and day_first is not None:
            first, second = int(match.group("first")), int(match.group("second"))
            day, month = (first, second) if day_first else (second, first)
            text = f"{match.group('year')}-{month:02d}-{day:02d}"
        stored = _validated(field, text)
        return [(field, stored, match.end())] if stored is not None else []

    return read


# ---------------------------------------------------------------------------
# The label table. Each row: extractor name (the Finding's method is "rule:<name>"), the
# reader for the value, and the labels (regular expressions, spaces match spaces or tabs).
# A row with no reader is a blocker: a longer label that must not be read as a shorter one.


# Titles and acronyms: the whole value, as written. A heading ("Brief Summary:") or a
# placeholder ("Not available") where the value should be is no title.
_TITLE_MAX_CHARS = 600


def _title_reader(field: str) -> Reader:
    def read(value: str, loose: bool, _day_first: Optional[bool]) -> list[Read]:
        text = value.strip()
        if (not re.search(r"[^\W\d_]", text) or len(text) > _TITLE_MAX_CHARS or text.endswith((":", "："))
                or normalize.is_not_stated(text) or heading_label(text) is not None):
            return []
        if not loose and text[0].islower():
            return []  # "Official title of the study was changed ..." is a sentence, not a label
        stored = _validated(field, text)
        return [(field, stored, len(value.rstrip()))] if stored is not None else []

    return read


# A sponsor as registries print it: UMIN's "Institute - <name>", ClinicalTrials.gov's "<name> (Industry)".
_SPONSOR_PREFIX = re.compile(r"(?:institute|organi[sz]ation)\s+-\s+", re.IGNORECASE)
_SPONSOR_CLASS = re.compile(r"\s*\((?:industry|nih|other|u\.s\. fed|other u\.s\. federal agency|network|individual)\)\s*$",
                            re.IGNORECASE)


_read_sponsor_name = _title_reader("primary_sponsor")


def _read_sponsor(value: str, loose: bool, day_first: Optional[bool]) -> list[Read]:
    prefix = _SPONSOR_PREFIX.match(value)
    start = prefix.end() if prefix else 0
    name = _SPONSOR_CLASS.sub("", value[start:])
    return [(field, stored, start + end) for field, stored, end in _read_sponsor_name(name, loose, day_first)]


# A person as ChiCTR and ITMCTR print one under a role label ("Study leader:", "Applicant:"):
# two to four words of letters, or a name in Chinese characters.
_PERSON_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|['.\-])*(?:[ \t]+[^\W\d_](?:[^\W\d_]|['.\-])*){1,3}|[\u4e00-\u9fff]{2,4}")


def _contact_reader(role: str) -> Reader:
    def read(value: str, loose: bool, _day_first: Optional[bool]) -> list[Read]:
        name = value.strip()
        if not loose or not _PERSON_NAME.fullmatch(name) or heading_label(name) is not None:
            return []  # loose only: "Applicant: the university's ethics committee approved ..." is prose
        stored = _validated_item("contacts", {"name": name, "role": role})
        return [("contacts", stored, len(value.rstrip()))] if stored is not None else []

    return read


# "IRAS 277021", "CPMS ID: 44839": the issuing body's name is not part of the id.
_ID_ISSUER = re.compile(r"(?:IRAS|CPMS|NIHR|HRA|REC)(?:[ \t]+(?:ID|number|no\.?))?[ \t]*:?[ \t]*(?=\d)", re.IGNORECASE)
# "J1365 (primary)", "44839 (CPMS)": a note in brackets after an id says what it is; it is not part of it.
_ID_NOTE = re.compile(r"[ \t]*\([^()\d]*\)[ \t]*$")
# A code of capitals, digits and separators, spaced or not ("ABC RC/12/4"), with a digit in it.
_CODE = re.compile(r"(?=.*\d)[A-Z0-9][A-Z0-9/._-]*(?: [A-Z0-9][A-Z0-9/._-]*){0,3}")


def _read_secondary_ids(value: str, _loose: bool, _day_first: Optional[bool]) -> list[Read]:
    """Ids listed under a secondary-id label ("Secondary identifying numbers 20011, CPMS 44839,
    IRAS 277021"): each one the registry-id normaliser accepts as an id, not a phrase."""
    reads = []
    for part in re.finditer(r"[^,;]+", value):
        raw = _ID_NOTE.sub("", _ID_ISSUER.sub("", part.group().strip(), count=1))
        if len(raw) < 4 or len(re.findall(r"\d", raw)) < 2:
            continue  # "2", "A1": a list number or a code too short to tell from one
        try:
            # Under an id label a code is an id even when spaced; words in lower case are a phrase
            # ("version 2 of 2019").
            registry, identifier = normalize.normalize_registry_id(raw, "OTHER" if _CODE.fullmatch(raw) else None)
        except ValueError:
            continue
        stored = _validated_id(registry, identifier)
        if stored is not None:
            reads.append(("registry_ids", stored, part.end()))
    return reads


def _validated_id(registry: str, identifier: str) -> Optional[dict]:
    """One registry id as TrialRecord stores it, or None when the schema rejects it."""
    stored = _validated("registry_ids", [{"registry": registry, "id": identifier}])
    return stored[0] if stored is not None else None


@dataclass(frozen=True)
class LabelRule:
    """Labels whose values one reader reads; no reader means: match the label, read nothing."""

    name: str
    reader: Optional[Reader]
    labels: tuple[str, ...]


_QUALIFIER = r"(?:(?:actual|estimated|anticipated|expected|planned) )?"

LABEL_RULES: tuple[LabelRule, ...] = (
    LabelRule("titles", _title_reader("public_title"), (
        r"public title", r"brief title", r"public title of (?:the )?study",
    )),
    LabelRule("titles", _title_reader("scientific_title"), (
        r"scientific title", r"official title", r"scientific title of (?:the )?study", r"full title",
    )),
    LabelRule("titles", _title_reader("acronym"), (r"acronym", r"scientific title:acronym")),
    LabelRule("registry_ids", _read_secondary_ids, (
        r"iras (?:number|id)", r"cpms (?:number|id)", r"secondary identifying numbers?", r"secondary (?:study )?ids?",
        r"secondary id numbers?", r"other study id numbers?", r"protocol/serial number",
        r"sponsor'?s protocol code number", r"study subject id", r"trial identifiers?",
        # the sponsor's own code for its protocol, as registries and aggregators label it
        r"(?:sponsor(?:'?s)? |unique )?protocol (?:code numbers?|ids?|identifiers?|codes?|numbers?)",
        # the number an ethics board or an institution's research office gives the study, and a
        # study number or code under its own label, whoever gave it ("IRB Study Number", "Study
        # code", "Org Study ID", "<Company>'s study ID")
        r"(?:irb|ethics|rec|hrec|institutional review board)(?: study| project| protocol| approval)?"
        r" (?:numbers?|no\.?|#|ids?|reference(?: numbers?)?)",
        r"(?:[a-z0-9&]+(?:'s)? )?study (?:numbers?|ids?|codes?|no\.?|#)", r"project (?:numbers?|no\.?)",
        r"identificador", r"n\u00famero de(?:l)? protocolo", r"c\u00f3digo de(?:l)? protocolo",
        r"codice (?:del )?protocollo", r"numero (?:di |del )?protocollo",
        r"num\u00e9ro (?:de |du )?protocole", r"code (?:du )?protocole",
        r"pr\u00fcfplan(?:code|nummer)", r"protokollnummer", r"studiencode", r"n\u00famero do protocolo",
    )),
    LabelRule("sponsor", _read_sponsor, (
        r"(?:lead |primary )?sponsor", r"leads?", r"name of primary sponsor",
    )),
    LabelRule("dates", _date_reader("registration_date"), (
        r"registered date", r"registration date", r"date registered",
        r"date of registration(?: in primary registry)?", r"registered on",
        r"(?:study )?first posted", r"(?:study )?first submitted(?: date)?", r"first received",
        r"date on which this record was first entered in the eudract database",
    )),
    LabelRule("dates", _date_reader("start_date"), (
        _QUALIFIER + r"(?:(?:overall )?(?:study|trial) )?start date",
        _QUALIFIER + r"(?:study|trial) start",
        r"date of first enrol?ment",
    )),
    LabelRule("dates", _date_reader("primary_completion_date"), (
        _QUALIFIER + r"primary completion(?: date)?",
        _QUALIFIER + r"pcd",
    )),
    LabelRule("dates", _date_reader("completion_date"), (
        _QUALIFIER + r"(?:(?:overall )?(?:study|trial) )?(?:completion|end) date",
        _QUALIFIER + r"(?:study|trial) (?:completion|end)",
    )),
    LabelRule("dates", None, (  # dates that are none of the four fields
        r"results first (?:posted|received|submitted)", r"last update posted",
        r"date of disclosure of the study information", r"date of protocol fixation", r"date of irb",
        r"last follow-up date", r"(?:recruitment|treatment|intervention|follow-up) (?:start|end) date",
    )),
    LabelRule("ages", _age_bound_reader("min_age_years"), (
        r"min(?:imum)? age", r"age(?:-| )?lower limit", r"lower age limit",
    )),
    LabelRule("ages", _age_bound_reader("max_age_years"), (
        r"max(?:imum)? age", r"age(?:-| )?upper limit", r"upper age limit",
    )),
    LabelRule("ages", _read_age_range, (
        r"ages? eligible for study", r"eligible ages?", r"ages?", r"age range",
    )),
    LabelRule("enrollment", _read_enrollment, (
        _QUALIFIER + r"enrol?lment", r"target enrol?lment", r"(?:target )?sample size", r"target size",
        r"target number of participants", r"trial size", r"target recruitment",
        r"enrolled \((?:actual|anticipated|estimated)\)", r"size",
        r"number of participants that the trial has enrolled", r"total number of enrollees",
    )),
    LabelRule("sex", _choice_reader("sex"), (
        r"sex", r"gender", r"sexes eligible for study", r"genders? eligible for study",
        r"eligible genders?", r"eligible sex", r"participant gender",
    )),
    LabelRule("phase", _choice_reader("phases"), (
        r"phases?", r"study phase", r"trial phase", r"phase of (?:the )?trial", r"developmental phase",
    )),
    LabelRule("recruitment_status", _choice_reader("recruitment_status"), (
        r"status", r"overall status", r"recruitment status", r"overall (?:study|trial) status",
        r"trial status", r"study status", r"status and phase", r"recruiting status",
        r"recruitment status of (?:the )?trial(?: \([^)\n]{1,20}\))?",
    )),
    LabelRule("recruitment_status", None, (r"registration status", r"performance status")),
    LabelRule("study_type", _choice_reader("study_type"), (r"study type", r"type of trial")),
    LabelRule("allocation", _choice_reader("allocation"), (r"allocation", r"randomi[sz]ation")),
    LabelRule("allocation", None, (r"randomi[sz]ation unit", r"dynamic allocation")),
    LabelRule("masking", _choice_reader("masking"), (r"masking", r"blinding")),
    LabelRule("contacts", _contact_reader("Study leader"), (r"study leader",)),
    LabelRule("contacts", _contact_reader("Applicant"), (r"applicant",)),
    LabelRule("healthy_volunteers", _choice_reader("healthy_volunteers"), (
        r"(?:accepts )?healthy volunteers", r"volunteers", r"healthy volunteers accepted",
        r"can healthy volunteers participate\??",
    )),
)


def _compile_label(label: str) -> re.Pattern:
    return re.compile(label.replace(" ", r"[ \t]+") + r"(?![\w])", re.IGNORECASE)


_COMPILED_LABELS: tuple[tuple[LabelRule, re.Pattern], ...] = tuple(
    (rule, _compile_label(label)) for rule in LABEL_RULES for label in rule.labels
)
# One pattern for "does any label start here?", so most words cost one regex call.
_ANY_LABEL = _compile_label("|".join(f"(?:{label})" for rule in LABEL_RULES for label in rule.labels))

# ---------------------------------------------------------------------------
# Finding labels and their values in the text.

_WORD_START = re.compile(r"(?<![\w])\w")
_SEPARATOR = re.compile(r"[ \t]*(?:[:?|–—-][ \t]*)*")
_FIELD_START_PREFIX = re.compile(r"[ \t]*(?:[-–•*·|][ \t]*)*(?:study design:?[ \t]+)?", re.IGNORECASE)
_VALUE_LINE_TRIM = " \t\r-–•*·|"
_MAX_BLANK_LINES = 4  # UMIN puts up to three blank lines between a label and its value


@dataclass(frozen=True)
class _Hit:
    """A finding before mapping: offsets are in the cleaned text."""

    field: str
    value: Any
    method: str
    start: int
    end: int


def _label_at(text: str, pos: int) -> Optional[tuple[LabelRule, int]]:
    """The longest label starting at `pos`, as (rule, end)."""
    if not _ANY_LABEL.match(text, pos):
        return None
    best = None
    for rule, pattern in _COMPILED_LABELS:
        match = pattern.match(text, pos)
        if match and (best is None or match.end() > best[1]):
            best = (rule, match.end())
    return best


def _starts_field(text: str, label_start: int) -> bool:
    """Is the label at a field start: line start, after a bullet, a ';' or a '|' cell?"""
    line_start = text.rfind("\n", 0, label_start) + 1
    before = text[line_start:label_start]
    return bool(_FIELD_START_PREFIX.fullmatch(before) or re.search(r"[;|][ \t]*$", before))


def _another_field(text: str, start: int, end: int) -> bool:
    """Is text[start:end] another field rather than the value of an empty label above it: a label
    alone ("Gender" after an empty "Age-upper limit") or a label with its own value ("Status:
    Completed")? A value may start with a label's word ("Phase 2 study of X"), not with a label
    and a separator."""
    found = _label_at(text, start)
    if found is None:
        return False
    rest = text[found[1] : end]
    return not rest.strip(" \t\r:?|-") or bool(re.match(r"[ \t]*(?:[:|]|[-\u2013][ \t])", rest))


def _next_value_line(text: str, pos: int) -> Optional[tuple[int, int]]:
    """The span of the first non-blank line after `pos` (within a few blank lines), trimmed."""
    line_start = text.find("\n", pos)
    for _ in range(_MAX_BLANK_LINES + 1):
        if line_start < 0:
            return None
        line_start += 1
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        if line.strip(_VALUE_LINE_TRIM) and line.strip().casefold() not in lexicon.language_names():
            # (a bilingual registry tags each value's row with its language: "日本語" / "英語")
            start = line_start + len(line) - len(line.lstrip(_VALUE_LINE_TRIM))
            end = line_start + len(line.rstrip(_VALUE_LINE_TRIM))
            return start, end
        line_start = line_end
    return None


def _value_span(text: str, label_start: int, label_end: int) -> Optional[tuple[int, int, bool]]:
    """Where the value of the label lies, as (start, end, loose); None when it has none."""
    at_field_start = _starts_field(text, label_start)
    one_word = not re.search(r"[\s-]", text[label_start:label_end])
    separator = _SEPARATOR.match(text, label_end)
    explicit = bool(re.search(r"[:?|–—-]", separator.group()))
    value_start = separator.end()
    line_end = text.find("\n", value_start)
    line_end = len(text) if line_end < 0 else line_end
    cell_end = text.find("|", value_start, line_end)
    value_end = line_end if cell_end < 0 else cell_end
    value = text[value_start:value_end]

    if not value.strip():
        # Empty on this line: the value is the next line, unless the label is a table
        # header cell ("| Phase |") or a one-word label in the middle of a line.
        if "|" in separator.group() and not at_field_start:
            return None
        if one_word and not at_field_start:
            return None
        if text[value_start:line_end].strip(" \t\r|"):
            return None  # an empty cell followed by more cells
        line = _next_value_line(text, value_start)
        if line is None or _another_field(text, *line):
            return None  # an empty UMIN field followed by the next field
        return line[0], line[1], True
    if not explicit and not (at_field_start and separator.group()):
        return None  # "... the study start date was ..." is prose, not a label
    if one_word and not at_field_start:
        separator_text = text[label_end:value_start]
        if ":" not in separator_text and " - " not in separator_text:
            return None  # "Status" inside a sentence or a table row
    return value_start, value_start + len(value.rstrip(" \t\r")), explicit


def _labelled_hits(text: str, day_first: Optional[bool]) -> list[_Hit]:
    hits = []
    resume = 0
    for word in _WORD_START.finditer(text):
        pos = word.start()
        if pos < resume:
            continue
        found = _label_at(text, pos)
        if found is None:
            continue
        rule, label_end = found
        resume = label_end
        if rule.reader is None:
            continue
        span = _value_span(text, pos, label_end)
        if span is None:
            continue
        value_start, value_end, loose = span
        for field, value, end in rule.reader(text[value_start:value_end], loose, day_first):
            hits.append(_Hit(field, value, f"rule:{rule.name}", pos, value_start + end))
    return hits


# ---------------------------------------------------------------------------
# Labels as table column headers (ClinicalTrials.gov's "Condition or disease |
# Intervention/treatment | Phase |" over "---|---|---|" over one row of values).

_TABLE_RULE_LINE = re.compile(r"[ \t|:]*-{3,}[-| \t:]*")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, without its newline."""
    spans, start = [], 0
    for newline in re.finditer(r"\n", text):
        spans.append((start, newline.start()))
        start = newline.end()
    spans.append((start, len(text)))
    return spans


def _cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each '|'-separated cell of a line, spaces trimmed."""
    cells, cell_start = [], start
    for bar in [m.start() for m in re.finditer(r"\|", text[start:end])] + [end - start]:
        raw = text[cell_start : start + bar]
        left = cell_start + len(raw) - len(raw.lstrip(" \t\r"))
        cells.append((left, max(left, cell_start + len(raw.rstrip(" \t\r")))))
        cell_start = start + bar + 1
    return cells


def _table_hits(text: str, day_first: Optional[bool]) -> list[_Hit]:
    hits = []
    lines = _lines(text)
    for (head_start, head_end), rule_line, row in zip(lines, lines[1:], lines[2:]):
        if "|" not in text[head_start:head_end] or not _TABLE_RULE_LINE.fullmatch(text[slice(*rule_line)]):
            continue
        row_cells = _cells(text, *row)
        for column, (cell_start, cell_end) in enumerate(_cells(text, head_start, head_end)):
            found = _label_at(text, cell_start) if cell_end > cell_start else None
            if found is None or found[1] != cell_end or found[0].reader is None or column >= len(row_cells):
                continue
            value_start, value_end = row_cells[column]
            for field, value, end in found[0].reader(text[value_start:value_end], False, day_first):
                hits.append(_Hit(field, value, f"rule:{found[0].name}", cell_start, value_start + end))
    return hits


# ---------------------------------------------------------------------------
# Patterns that are labelled by their own form rather than by a preceding label.

_LINE = re.compile(r"^[ \t]*(?:[-•*·][ \t]*)?(?P<body>[^\n]*?)[ \t\r]*$", re.MULTILINE)
_N_EQUALS = re.compile(r"N[ \t]*=[ \t]*(?P<count>\d{1,3}(?:,\d{3})+|\d+)")
_TITLE_PHASE = re.compile(  # case-sensitive on purpose: a title, not prose
    r"\b(?P<phase>Phase (?:I{1,3}V?|IV|[1-4])[ab]?(?:/(?:Phase )?(?:I{1,3}V?|IV|[1-4])[ab]?)?)"
    r" (?:Clinical )?(?:Trial|Study)\b"
)
# Site templates stating the status in a sentence of its own: ClinicalTrials.gov's classic
# "This study is ongoing, but not recruiting participants.", smartpatients' "This trial is
# active, not recruiting.". The phrase goes to the normaliser, through this table if needed.
_STATUS_BADGE = re.compile(r"[-\u2022*\u00b7|\s]*(?P<status>not yet recruiting|recruiting|active,? not recruiting"
                           r"|enrolling by invitation|completed|terminated|withdrawn|suspended)[\s|]*", re.IGNORECASE)
_STATUS_SENTENCE = re.compile(r"This (?:study|trial) (?:is|has been) (?P<status>[^.\n]{3,60})\.", re.IGNORECASE)
_CTGOV_STATUS_PHRASES = {
    "currently recruiting participants": "RECRUITING",
    "ongoing, but not recruiting participants": "ACTIVE_NOT_RECRUITING",
    "not yet open for participant recruitment": "NOT_YET_RECRUITING",
    "enrolling participants by invitation only": "ENROLLING_BY_INVITATION",
    "withdrawn prior to enrollment": "WITHDRAWN",
}


# A line that is only who may take part by sex, as the facts strip of a listing shows it beside the
# ages ("18 years and older" / "All"); alone, "All" or "Women" says nothing about eligibility.
_SEX_BADGE = re.compile(r"all|both|male|female|males|females|men|women|all sexes|both sexes|male and female"
                        r"|men and women|males and females", re.IGNORECASE)


def _form_hits(text: str, day_first: Optional[bool]) -> list[_Hit]:
    hits = []
    filled = [line for line in _LINE.finditer(text) if line.group("body")]
    for index, line in enumerate(filled):
        body, start = line.group("body"), line.start("body")
        # A line that is only an age range: "18 years and older", "18 Years to 75 Years".
        ages = _read_age_range(body, False, day_first, labelled=False)
        for field, value, end in ages:
            hits.append(_Hit(field, value, "rule:ages", start, start + end))
        if ages:  # and a sex badge on the line before or after it
            for neighbour in filled[max(0, index - 1):index] + filled[index + 1:index + 2]:
                if _SEX_BADGE.fullmatch(neighbour.group("body")):
                    stored = _validated("sex", neighbour.group("body"))
                    if stored is not None:
                        hits.append(_Hit("sex", stored, "rule:sex", neighbour.start("body"), neighbour.end("body")))
        # A line that is only a count: "N=91", "N = 8058".
        count = _N_EQUALS.fullmatch(body)
        if count:
            for field, value, end in _read_enrollment(count.group("count"), False, day_first):
                hits.append(_Hit(field, value, "rule:enrollment", start, start + count.end()))
        # A line that is only a status: the badge aggregators and registry pages show ("Recruiting").
        badge = _STATUS_BADGE.fullmatch(body)
        if badge:
            stored = _validated("recruitment_status", badge.group("status"))
            if stored is not None:
                hits.append(_Hit("recruitment_status", stored, "rule:recruitment_status",
                                 start + badge.start("status"), start + badge.end("status")))
        # A line that is only a status sentence.
        sentence = _STATUS_SENTENCE.fullmatch(body)
        if sentence:
            phrase = sentence.group("status")
            stored = _validated("recruitment_status", _CTGOV_STATUS_PHRASES.get(phrase.lower(), phrase))
            if stored is not None:
                hits.append(_Hit("recruitment_status", stored, "rule:recruitment_status", start, start + len(body)))
    for match in _TITLE_PHASE.finditer(text):
        stored = _validated("phases", match.group("phase"))
        if stored is not None:
            hits.append(_Hit("phases", stored, "rule:title_phase", match.start(), match.end()))
    return hits


# ClinicalTrials.gov prints arms and interventions with their type as a label:
# "Experimental: Arm A: Nivolumab", "Placebo Comparator: Placebo |", and
# "Procedure: Coronary Angiography Procedure: Stress Echocardiogram" (a table cell listing
# several), "Interventions Biological: Certolizumab Pegol", "• Drug: Topotecan". The type
# words are case-sensitive: a label, not prose. "Other:" is an intervention type only; as an
# arm type it cannot be told from one.
_ARM_TYPES = ("Experimental", "Active Comparator", "Placebo Comparator", "Sham Comparator", "No Intervention")
_INTERVENTION_TYPES = ("Drug", "Device", "Biological", "Procedure", "Radiation", "Behavioral", "Genetic",
                       "Dietary Supplement", "Combination Product", "Diagnostic Test", "Other")
_ITEM_MAX_CHARS = 200
_TYPED_ARM = re.compile(
    r"^[ \t]*(?:[-•*·][ \t]*)?(?P<type>" + "|".join(_ARM_TYPES) + r"):[ \t]*(?P<label>[^\n|]*?)[ \t|]*$",
    re.MULTILINE,
)
_INTERVENTION_TYPE = r"(?:" + "|".join(_INTERVENTION_TYPES) + r")"
_TYPED_INTERVENTIONS = re.compile(  # a run of items at a field start: line start, a cell, a bullet, the label
    r"(?:^|\|)[ \t]*(?:[-•*·][ \t]*)?(?:Interventions?[ \t]+)?(?P<run>" + _INTERVENTION_TYPE + r":[^\n|]*)",
    re.MULTILINE,
)
_TYPED_INTERVENTION = re.compile(
    r"(?P<type>" + _INTERVENTION_TYPE + r"):[ \t]*(?P<name>.*?)[ \t]*(?=(?<=\s)" + _INTERVENTION_TYPE + r":|$)"
)


def _validated_item(field: str, item: dict) -> Optional[dict]:
    stored = _validated(field, [item])
    return stored[0].model_dump(mode="json") if stored else None


def _typed_item_hits(text: str) -> list[_Hit]:
    hits = []
    for match in _TYPED_ARM.finditer(text):
        label = match.group("label")
        arm_type = match.group("type").upper().replace(" ", "_")
        stored = _validated_item("arms", {"label": label, "type": arm_type}) if len(label) <= _ITEM_MAX_CHARS else None
        if stored is not None:
            hits.append(_Hit("arms", stored, "rule:arms", match.start("type"), match.end("label")))
    for run in _TYPED_INTERVENTIONS.finditer(text):
        for item in _TYPED_INTERVENTION.finditer(run.group("run").rstrip()):
            name = item.group("name")
            kind = item.group("type").upper().replace(" ", "_")
            if not name or len(name) > _ITEM_MAX_CHARS:
                continue
            stored = _validated_item("interventions", {"name": name, "type": kind})
            if stored is not None:
                start = run.start("run") + item.start()
                hits.append(_Hit("interventions", stored, "rule:interventions", start, start + item.end("name")))
    return hits


# Classic ClinicalTrials.gov pages print the brief title as the page heading, with no label,
# right above the identifier once cleaning has dropped the disclaimer between them; a trailing
# "(C-OPTIMISE)" is the study's acronym.
_CTGOV_IDENTIFIER = re.compile(r"^ClinicalTrials\.gov Identifier:", re.MULTILINE)
_TRAILING_ACRONYM = re.compile(r"[ \t]*\((?P<acronym>[A-Z0-9][A-Za-z0-9-]{1,19})\)[ \t]*$")


def _ctgov_title_hits(text: str) -> list[_Hit]:
    identifier = _CTGOV_IDENTIFIER.search(text)
    if identifier is None:
        return []
    end = text.rfind("\n", 0, identifier.start())
    for _ in range(3):  # the heading, past blank lines and an image line ("![]() |")
        if end < 0:
            return []
        start = text.rfind("\n", 0, end) + 1
        if re.search(r"[^\W\d_]{2}", text[start:end].replace("![]()", "")):
            break
        end = start - 1
    else:
        return []
    above = text[:max(start - 1, 0)].rstrip().rpartition("\n")[2]
    if above.rstrip(" \t|").endswith(":"):
        return []  # the value of a field ("Information provided by (Responsible Party):"), not a heading
    line = text[start:end].rstrip(" \t|")
    start += len(line) - len(line.lstrip())
    line = line.strip()
    if len(line.split()) < 4 or heading_label(line) is not None:
        return []
    hits = []
    acronym = _TRAILING_ACRONYM.search(line)
    if acronym and sum(ch.isupper() for ch in acronym["acronym"]) >= 2:
        stored = _validated("acronym", acronym["acronym"])
        if stored is not None:
            hits.append(_Hit("acronym", stored, "rule:ctgov_title", start + acronym.start("acronym"),
                             start + acronym.end("acronym")))
            line = line[: acronym.start()]
    stored = _validated("public_title", line)
    if stored is not None:
        hits.append(_Hit("public_title", stored, "rule:ctgov_title", start, start + len(line)))
    return hits


# The EU CTR condition block as WHO ICTRP exports it (aggregators copy it, often with its
# separators lost): "Relapsed Small Cell Lung Cancer;MedDRA version: 18.1;Level: PT;Classification
# code 10041068;Term: Small cell lung cancer extensive stage;System Organ Class: 10029104 - ...".
# The condition as the sponsor words it comes first; each MedDRA "Term:" is a condition too.
_MEDDRA_VERSION = re.compile(r"MedDRA version:", re.I)
_MEDDRA_TERM = re.compile(r"(?<![^\W\d_])Term:[ \t]*(?P<term>[^;|\n]+?)[ \t;]*(?=System Organ Class|MedDRA version|Level:|[;|\n]|$)", re.I)


def _meddra_condition_hits(text: str) -> list[_Hit]:
    hits = []
    for line_start, line_end in _lines(text):
        first = _MEDDRA_VERSION.search(text, line_start, line_end)
        if first is None:
            continue
        lead = re.match(r"[ \t]*(?:[-*\u2022][ \t]*)?(?:[^:\n]{0,40}conditions?[^:\n]{0,40}:[ \t]*)?", text[line_start:first.start()])
        spans = [(line_start + lead.end(), first.start())]
        spans += [(m.start("term"), m.end("term")) for m in _MEDDRA_TERM.finditer(text, line_start, line_end)]
        for start, end in spans:
            name = text[start:end].strip(" \t;")
            stored = _validated("conditions", [name]) if name and len(name) <= _ITEM_MAX_CHARS else None
            if stored:
                hits.append(_Hit("conditions", stored[0], "rule:meddra", start, start + len(text[start:end].rstrip(" \t;"))))
    return hits


def _registry_id_hits(text: str) -> list[_Hit]:
    """Every registry id the shared id finder sees, each as its own finding."""
    hits = []
    for match in normalize.find_registry_ids(text):
        stored = _validated_id(match.registry, match.id)
        if stored is not None:
            hits.append(_Hit("registry_ids", stored, "rule:registry_ids", match.start, match.end))
    return hits


def _without_repeats(hits: list[_Hit]) -> list[_Hit]:
    """Drop a hit that repeats an earlier one's field and value over an overlapping span, and a
    contact already named (ChiCTR's applicant is often the study leader too)."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        repeated = any(k.field == hit.field and k.value == hit.value and k.start < hit.end and hit.start < k.end
                       for k in kept)
        named_before = hit.field == "contacts" and any(
            k.field == "contacts" and k.value["name"].casefold() == hit.value["name"].casefold() for k in kept)
        if not repeated and not named_before:
            kept.append(hit)
    return kept


# A page may state a trial's status twice: its recruitment ("No longer recruiting") and the trial's
# overall state ("Completed"). Recruitment ending says nothing of whether the trial still runs; a
# trial that has ended, stopped or been withdrawn has also ended recruitment. So of the statuses a
# page states, the one furthest along the trial's life is its status: the others are not kept.
_STATUS_STAGE = {"NOT_YET_RECRUITING": 0, "RECRUITING": 1, "ENROLLING_BY_INVITATION": 1, "ACTIVE_NOT_RECRUITING": 2,
                 "SUSPENDED": 3, "TERMINATED": 3, "COMPLETED": 3, "WITHDRAWN": 3}


def _only_the_furthest_status(hits: list[_Hit]) -> list[_Hit]:
    stages = [_STATUS_STAGE[hit.value] for hit in hits if hit.field == "recruitment_status" and hit.value in _STATUS_STAGE]
    furthest = max(stages, default=0)
    return [hit for hit in hits if not (hit.field == "recruitment_status" and _STATUS_STAGE.get(hit.value, furthest) < furthest)]


# ---------------------------------------------------------------------------


def extract_rule_findings(document: Document, clean: CleanText) -> list[Finding]:
    """All rule-based findings for one document, in text order, with evidence in Document.text."""
    text = clean.text
    day_first = _numeric_dates_day_first(text)
    hits = (
        _registry_id_hits(text)
        + _labelled_hits(text, day_first)
        + _table_hits(text, day_first)
        + _form_hits(text, day_first)
        + _typed_item_hits(text)
        + _ctgov_title_hits(text)
        + _meddra_condition_hits(text)
    )
    findings = []
    for hit in _only_the_furthest_status(_without_repeats(hits)):
        start, end = clean.raw_span(hit.start, hit.end)
        quote = document.text[start:end]
        findings.append(Finding(hit.field, hit.value, hit.method, Evidence(start, end, quote)))
    return findings

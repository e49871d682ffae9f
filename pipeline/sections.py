"""Label regions of cleaned text by the registry-style headings that open them.

A heading is a whole line whose text, after light normalisation (bullets,
markdown '#', table pipes and a trailing colon dropped; case and spacing
ignored), is one of the headings below, or an EU CTR section code with its
title ("E.3 Principal inclusion criteria"). A section heading opens a section
that runs to the next heading. Registry *field* labels are listed too ("Sex",
"Target sample size", "Lead Sponsor"): on many pages they are the only
structure. A field label's section covers the label and its value line only;
then the enclosing section resumes (a section with heading ""), so that a
"sponsor" field at the top of a page does not claim the description below it.

Section labels (a fixed vocabulary):

    identification  ids, titles, acronym, conditions (text before the first
                    heading is identification too: titles and ids open a page)
    status          recruitment status, dates, record history
    design          study type, phase, allocation, masking, enrolment size
    interventions   interventions, arms, treatments
    eligibility     criteria, ages, sex, healthy volunteers
    outcomes        primary and secondary outcomes / end points
    sponsors        sponsors, collaborators, funders
    contacts        investigators and contact persons
    locations       sites, institutions, countries
    summary         summaries, descriptions, objectives
    other           anything else with a known heading (results, references...)

Sections tile the cleaned text: every offset is in exactly one section.
`text_for_group` picks the spans an extraction field group should read.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from .records import CleanText, Section
from ..schemas import lexicon

SECTION_LABELS: tuple[str, ...] = (
    "identification", "status", "design", "interventions", "eligibility",
    "outcomes", "sponsors", "contacts", "locations", "summary", "other",
)

# The field groups of the extraction stage and the sections that can hold their
# fields. identification and summary are always added (see text_for_group).
FIELD_GROUP_SECTIONS: dict[str, set[str]] = {
    "identification_status": {"identification", "status", "summary"},
    # Enrolment is often stated with the population ("Target sample size" in
    # UMIN's Eligibility, "N = 8058" under an aggregator's Population).
    "design_phase": {"design", "status", "eligibility"},
    "interventions_arms": {"interventions", "design"},
    "eligibility": {"eligibility"},
    "outcomes": {"outcomes"},
    # "other" holds ethics review, IPD sharing and administrative details.
    "sponsors_sites_contacts": {"sponsors", "contacts", "locations", "other"},
}
ALWAYS_INCLUDED = ("identification", "summary")

# Section headings as they appear on real pages, by label. A section runs to
# the next heading. Sources: UMIN-CTR (ctr and icdr layouts), ClinicalTrials.gov
# (classic, results and new layouts), CTRI, ChiCTR/ITMCTR, ISRCTN, HRA, and
# the aggregator pages in the corpus.
_SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "identification": (
        "basic information", "condition", "conditions", "condition or disease",
        "condition or disease intervention/treatment phase", "conditions and keywords",
        "target disease", "health condition / problems studied", "identification",
        "identifiers", "study identification", "study details", "trial information",
        "secondary ids", "secondary ids if any", "secondary identifying numbers",
    ),
    "status": (
        "status and phase", "progress", "management information",
        "other administrative information", "recruitment information", "tracking information",
        "study record dates", "time frame", "dates", "key dates", "study dates",
    ),
    "design": (
        "base", "study design", "study design & population", "study & design", "design",
        "trial design", "study plan", "how is the study designed?", "participants",
    ),
    "interventions": (
        "intervention", "interventions", "intervention/treatment", "intervention / treatment",
        "treatment", "treatments", "arms and interventions", "arm intervention/treatment",
        "arm && interventions", "arm groups", "arms", "study arms", "trial arms", "arm/group",
        "intervention / comparator agent",
        "description for medicine or protocol of treatment in detail",
        "drug / device / biological / vaccine name(s)", "what does the study involve?",
        "干预措施",  # ChiCTR: interventions
    ),
    "eligibility": (
        "eligibility", "eligibility criteria", "participation requirements",
        "participation criteria", "criteria", "inclusion criteria", "exclusion criteria",
        "inclusion and exclusion criteria", "key inclusion criteria", "key exclusion criteria",
        "participant inclusion criteria", "participant exclusion criteria",
        "key eligibility", "patient eligibility", "details and patient eligibility",
        "recruitment & eligibility", "who can participate?", "population", "patient population",
        "characteristics of study participants", "layout table for eligibility information",
        # the criteria headings of other languages' registries ("纳入标准", "Einschlusskriterien")
        *lexicon.CRITERIA_HEADINGS["inclusion"], *lexicon.CRITERIA_HEADINGS["exclusion"],
    ),
    "outcomes": (
        "assessment", "outcomes", "outcome", "outcome measures", "primary outcome",
        "primary outcomes", "primary outcome measure", "primary outcome measures",
        "secondary outcome", "secondary outcomes", "secondary outcome measure",
        "secondary outcome measures", "other outcome measures", "key secondary outcomes",
        "primary endpoint", "primary endpoints", "secondary endpoint", "secondary endpoints",
        "endpoints", "end points", "safety outcomes", "principal findings",
        "测量指标",  # ChiCTR: outcomes
    ),
    "sponsors": (
        "sponsors", "sponsor or person", "sponsor information", "sponsors and collaborators",
        "collaborators and investigators", "collaborators", "funding source", "funding",
        "funders", "source(s) of funding", "source of monetary or material support",
        "details of secondary sponsor", "other related organizations", "who is funding the study?",
        "经费或物资来源",  # ChiCTR: source of funding
    ),
    "contacts": (
        "research contact person", "public contact", "contact", "contacts",
        "contact information", "contact details", "contacts and locations",
        "investigators", "study contact", "central contact",
        "details of principal investigator or overall trial coordinator (multi-center study)",
        "details of contact person scientific query", "details of contact person public query",
        "irb contact (for public release)", "who is the main contact?",
        "layout table for investigator information",
    ),
    "locations": (
        "locations", "location", "other locations", "recruiting locations", "study locations",
        "site locations", "trial locations", "sites", "study sites", "institutions",
        "countries of recruitment", "countries of recruitment and research settings",
        "sites of study", "participating countries", "where is the study run from?",
        "layout table for location information",
    ),
    "summary": (
        "summary", "brief summary", "study description", "detailed description", "description",
        "overview", "study overview", "about", "about this trial", "about this study",
        "full description", "objectives", "objective", "study objectives",
        "objectives of study", "study aim", "study hypothesis", "plain english summary",
        "plain english summary of protocol", "background and study aims", "research summary",
        "trial question", "bottom line", "descriptive information",
        "研究目的",  # ChiCTR: objectives
    ),
    "other": (
        "more information", "more details", "related information", "result", "results",
        "study results", "trial results", "results and publications", "publications",
        "reference", "references", "conclusion", "conclusions",
        "participant flow", "baseline characteristics", "adverse events",
        "limitations and caveats", "subject disposition", "related therapeutic areas",
        "similar clinical trials", "editorial notes", "administrative information",
        "ethics review", "details of ethics committee", "approved by ethic committee",
        "regulatory clearance status from dcgi", "plan for individual participant data (ipd)",
        "individual participant data (ipd) sharing statement", "ipd sharing statement",
        "layout table for additonal information", "layout table for additional information",
        "what are the possible benefits and risks of participating?", "keywords",
    ),
}

# Field labels: a line holding only a label whose value is the next line
# ("Sex" / "Female", "Target sample size" / "60"). A field label labels itself
# and its value; the text after them belongs to the enclosing section again,
# so that "sponsor" / "<name>" at the top of a page does not claim the
# description that follows.
_FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "identification": (
        "registration number", "clinical study identifier", "trial identifier", "nct id",
        "ct.gov id", "eudract number", "isrctn number", "iras id", "ctri number",
        "public title", "public title of study", "scientific title", "scientific title of study",
        "official title", "full title", "acronym", "trial acronym", "research type",
        "condition category",
        "注册号",  # ChiCTR: registration number
    ),
    "status": (
        "status", "overall status", "overall study status", "recruitment status", "trial status",
        "study status", "recruitment status of trial (global)", "recruitment status of trial (india)",
        "date of first enrollment (india)", "estimated duration of trial", "study execute time",
        "recruiting time", "overall study start date", "overall study end date", "trial start",
        "trial end", "estimated pcd", "start date", "end date", "completion date",
        "primary completion date", "study start", "study completion", "primary completion",
        "study start date", "actual study start date", "estimated study start date",
        "actual primary completion date", "estimated primary completion date",
        "study completion date", "actual study completion date", "estimated study completion date",
        "first posted", "results first posted", "last update posted", "first received",
        "last updated", "last verified", "submission date", "registration date", "last edited",
        "date of registration", "date of last refreshed on", "last modified on",
        "研究实施时间", "征募观察对象时间",  # ChiCTR: study execute time, recruiting time
    ),
    "design": (
        "study type", "type of trial", "type of study", "phase", "study phase", "phase of trial",
        "allocation", "masking", "blinding/masking", "randomization procedure",
        "method of generating random sequence", "method of concealment", "intervention model",
        "primary purpose",
        "enrollment", "enrolment", "actual enrollment", "estimated enrollment",
        "anticipated enrollment", "target sample size", "sample size", "target size",
        "target recruitment", "size", "participants needed", "trial size",
        "研究类型", "研究所处阶段",  # ChiCTR: study type, study phase
    ),
    "interventions": ("intervention type",),
    "summary": ("purpose",),
    "eligibility": (
        "sex", "gender", "age", "ages", "eligible ages", "eligible genders",
        "ages eligible for study", "sexes eligible for study", "healthy volunteers",
        "accepts healthy volunteers", "volunteers", "participant age",
    ),
    "sponsors": (
        "sponsor", "lead sponsor", "primary sponsor", "secondary sponsor", "collaborator",
        "funder", "funder types", "responsible party", "information provided by (responsible party)",
    ),
    "contacts": (
        "contact name", "applicant", "study leader", "principal investigator",
        "申请注册联系人", "研究负责人",  # ChiCTR: applicant, study leader
    ),
}


def _invert(by_label: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {heading: label for label, headings in by_label.items() for heading in headings}


_LABEL_OF_SECTION_HEADING = _invert(_SECTION_HEADINGS)
_LABEL_OF_FIELD = _invert(_FIELD_LABELS)

# EU CTR sections: a code ("A.", "E.3", "E.5.1") and a title. The title must be
# one of these too, so that lettered list items ("A. Patients who...") are
# never mistaken for sections. Codes are looked up most specific first.
_EUCTR_LABEL_OF_CODE = {
    "A": "identification", "B": "sponsors", "C": "contacts", "D": "interventions",
    "E": "design", "E.1": "identification", "E.2": "summary", "E.3": "eligibility",
    "E.4": "eligibility", "E.5": "outcomes", "F": "eligibility", "G": "locations",
    "H": "other", "N": "status", "P": "status",
}
_EUCTR_TITLES = (
    "protocol information", "sponsor info", "applicant identification", "imp identification",
    "information on placebo", "information on the trial", "general information on the trial",
    "medical condition", "objective of the trial", "main objective", "secondary objective",
    "principal inclusion criteria", "principal exclusion criteria", "primary end point",
    "secondary end point", "end point", "scope of the trial", "trial type and phase",
    "design of the trial", "population of trial subjects", "investigator networks",
    "third country", "review by the competent authority", "review by the ethics committee",
    "end of trial",
)
_EUCTR_HEADING = re.compile(r"([A-HNP])((?:\.\d{1,2}){0,2})\.?\s+(\D{3,80})")

# A ClinicalTrials.gov outcome entry, "- Time to relapse [ Time Frame: 26 weeks ]":
# it opens an outcomes section even where the dump lost the heading above it.
_OUTCOME_ENTRY = re.compile(r"\[\s*Time Frame:", re.IGNORECASE)

_MAX_HEADING_CHARS = 120
_LEADING_MARKERS = " \t#>•·▪◦●■□*-–—"
_TRAILING_MARKERS = " \t:：*|"
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def normalise_heading(line: str) -> str:
    """The form headings are compared in: no bullets, pipes or trailing colon; folded case."""
    text = line.strip().lstrip(_LEADING_MARKERS).replace("|", " ")
    text = " ".join(text.split()).rstrip(_TRAILING_MARKERS)
    return text.casefold()


def classify_heading(line: str) -> tuple[str, bool] | None:
    """(section label, is_field_label) when a line is a heading, else None."""
    if len(line) > _MAX_HEADING_CHARS or not line.strip():
        return None
    text = normalise_heading(line)
    if text in _LABEL_OF_SECTION_HEADING:
        return _LABEL_OF_SECTION_HEADING[text], False
    if text in _LABEL_OF_FIELD:
        return _LABEL_OF_FIELD[text], True
    euctr = _EUCTR_HEADING.fullmatch(text.upper()) if text[:1].isalpha() else None
    if euctr and euctr[3].strip().casefold().startswith(_EUCTR_TITLES):
        letter, numbers = euctr[1], euctr[2]
        parts = numbers.strip(".").split(".") if numbers else []
        for depth in range(len(parts), -1, -1):
            code = ".".join([letter, *parts[:depth]])
            if code in _EUCTR_LABEL_OF_CODE:
                return _EUCTR_LABEL_OF_CODE[code], False
    return None


def heading_label(line: str) -> str | None:
    """The section label a heading or field-label line opens, or None."""
    kind = classify_heading(line)
    return kind[0] if kind else None


class _Line(NamedTuple):
    start: int
    end: int  # after the line break
    text: str  # without the line break


def _lines(text: str) -> list[_Line]:
    lines = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        lines.append(_Line(offset, offset + len(raw), raw.rstrip(_LINE_BREAKS)))
        offset += len(raw)
    return lines


def _is_empty_cell(text: str) -> bool:
    """Blank, or only table pipes (CTRI puts values after a lone "|" line)."""
    return not text.replace("|", "").strip()


def _ends_with_colon(text: str) -> bool:
    return text.rstrip(" \t|").endswith((":", "："))


def _is_value_of(label_line: str, text: str, in_field_run: bool) -> bool:
    """Whether `text`, the line after a field label, is that label's value.

    A value may look like a section heading ("Primary Purpose:" / "Treatment").
    It is taken as the value when the label is explicit (a colon) or comes
    right after another label and value, as labels do; never when it is a
    label itself ("Sponsor:" / "Brief Summary:", the sponsor left blank).
    Otherwise a heading is a heading: the "label" may be a list item
    ("Conditions" / "Depression" / "Healthy Volunteers" / "Interventions").
    """
    kind = classify_heading(text)
    if kind is None:
        return True
    _, is_field = kind
    if is_field or _ends_with_colon(text):
        return False
    return _ends_with_colon(label_line) or in_field_run


def detect_sections(clean: CleanText) -> list[Section]:
    """Split the cleaned text into labelled sections that tile it, in order.

    A section heading starts a section that runs to the next heading. A field
    label's section covers the label and its value line only; after it the
    enclosing section goes on (heading ""); a field label without a value
    opens nothing. Text before the first heading is an "identification"
    section with heading "". Empty text has no sections.
    """
    text = clean.text
    lines = _lines(text)
    sections: list[Section] = []
    enclosing_label = "identification"
    current_label, current_heading, current_start = enclosing_label, "", 0

    def close(end: int) -> None:
        if end > current_start:
            sections.append(Section(current_label, current_heading, current_start, end))

    previous_field_end = -1  # where the last field label's section ended
    index = 0
    while index < len(lines):
        line = lines[index]
        kind = classify_heading(line.text)
        if kind is None and current_label != "outcomes" and _OUTCOME_ENTRY.search(line.text):
            kind = ("outcomes", False)
        if kind is None:
            index += 1
            continue
        label, is_field = kind
        if not is_field:
            close(line.start)
            enclosing_label = label
            current_label, current_heading, current_start = label, line.text.strip(), line.start
            index += 1
            continue
        value = index + 1
        while value < len(lines) and _is_empty_cell(lines[value].text):
            value += 1
        in_field_run = line.start == previous_field_end
        if value >= len(lines) or not _is_value_of(line.text, lines[value].text, in_field_run):
            index += 1  # a label without a value ("Sponsor:" left blank) opens nothing
            continue
        close(line.start)
        index = value + 1
        while index < len(lines) and not lines[index].text.strip():
            index += 1  # blank lines after the value go with the field
        field_end = lines[index].start if index < len(lines) else len(text)
        sections.append(Section(label, line.text.strip(), line.start, field_end))
        current_label, current_heading, current_start = enclosing_label, "", field_end
        previous_field_end = field_end
    close(len(text))
    return sections


def text_for_group(
    clean: CleanText, sections: list[Section], group: str
) -> list[tuple[int, int]]:
    """Cleaned-text spans (start, end) that field group `group` should read.

    The group's own sections plus every identification and summary section,
    adjacent spans merged. With no headings detected, the whole text.
    """
    if group not in FIELD_GROUP_SECTIONS:
        raise ValueError(f"unknown field group {group!r}; known: {sorted(FIELD_GROUP_SECTIONS)}")
    if not clean.text:
        return []
    if not any(section.heading for section in sections):
        return [(0, len(clean.text))]
    wanted = FIELD_GROUP_SECTIONS[group] | set(ALWAYS_INCLUDED)
    spans: list[tuple[int, int]] = []
    for section in sorted(sections, key=lambda s: s.start):
        if section.label not in wanted or section.end <= section.start:
            continue
        if spans and spans[-1][1] == section.start:
            spans[-1] = (spans[-1][0], section.end)
        else:
            spans.append((section.start, section.end))
    return spans


def statement_lines(text: str, spans: list[tuple[int, int]], below: int = 0) -> list[tuple[int, int]]:
    """The whole lines holding each span, each with the nearest non-blank line above it:
    on registry pages that line is the value's label ("Age-upper limit" / "Not applicable").
    `below` adds that many non-blank lines under each span, for a label whose value follows it."""
    lines = [line for line in _lines(text) if line.text.strip()]
    starts = [line.start for line in lines]
    picked: set[int] = set()
    for start, end in spans:
        first = max(0, bisect.bisect_right(starts, start) - 1)
        last = max(first, bisect.bisect_right(starts, max(start, end - 1)) - 1)
        picked.update(range(max(0, first - 1), min(len(lines), last + 1 + below)))
    return [(lines[i].start, lines[i].end) for i in sorted(picked)]

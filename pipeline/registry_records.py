"""Structured registry records -> exact TrialRecords, with no LLM involved.

A registry record file (ClinicalTrials.gov API v2 or v1 JSON, legacy
ClinicalTrials.gov XML, or a ctrdata export holding CTIS, EUCTR, CTGOV,
CTGOV2 and ISRCTN records) already says what each field is. This module maps
those fields onto the TrialRecord contract, one converter per shape, and
sends every value through TrialRecord validation (schemas/normalize.py).

Rules the converters follow:
- Never invent: a field the record does not state stays empty. Nothing is
  derived from free text except the eligibility criteria, which are split
  into single criteria by `split_criteria` (public: the LLM pipeline reuses it).
- One bad value does not cost the record: the value (or the list item) that
  fails validation is dropped and described in `RegistryRecord.problems`.

Public API: `sniff_registry_format`, `load_registry_records`,
`find_registry_record`, `split_criteria`, `RegistryRecord`.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from pydantic import ValidationError

from ..schemas import lexicon, normalize
from ..schemas.trial import ArmType, InterventionType, RegistryId, TrialRecord, is_empty

try:  # defusedxml guards against entity-expansion attacks; the stdlib parser is the fallback.
    from defusedxml import ElementTree as ElementTree
except ImportError:  # pragma: no cover - depends on the environment
    from xml.etree import ElementTree

CTGOV_V2 = "ctgov_v2"
CTGOV_V1 = "ctgov_v1"
CTGOV_XML = "ctgov_xml"
CTRDATA = "ctrdata"
WHOLE_FILE = "(whole file)"  # where_in_file for one-record files, as in registry/INDEX.tsv

# How much of a file sniffing reads: enough to reach the first record's keys.
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class RegistryRecord:
    """One trial record from a registry file, converted to the contract."""

    trial_id: str  # the record's main id, spelled as in registry/INDEX.tsv
    registry: str  # CTGOV | CTGOV2 | CTIS | EUCTR | ISRCTN (INDEX.tsv's registry column)
    format: str  # ctgov_v2 | ctgov_v1 | ctgov_xml | ctrdata
    where: str  # where in the file, as INDEX.tsv's where_in_file
    record: TrialRecord
    secondary_ids: list[RegistryId] = field(default_factory=list)  # also in record.registry_ids
    problems: list[str] = field(default_factory=list)  # values dropped by validation, and why
    path: str = ""  # the file the record was read from


# ---------------------------------------------------------------------------
# Sniffing, loading, finding
# ---------------------------------------------------------------------------

_XML_CLINICAL_STUDY = re.compile(
    r"^\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<clinical_study[\s>]", re.DOTALL
)
_JSON_FIRST_KEY = re.compile(r'^\ufeff?\s*\{\s*"([^"\\]{1,100})"\s*:\s*(\S)')
_CTRDATA_REGISTER = re.compile(r'"ctrname"\s*:\s*"(?:CTIS|EUCTR|CTGOV2?|ISRCTN)"')
# ctrdata keys its records by trial id: NCT number, ISRCTN digits, EudraCT or EU CT number.
_CTRDATA_KEY = re.compile(r"NCT\d{8}|\d{8}|\d{4}-\d{6}-\d{2}(?:-[A-Z0-9]{2,3})?")


def sniff_registry_format(path_or_text: str | os.PathLike) -> Optional[str]:
    """ "ctgov_v2" | "ctgov_v1" | "ctgov_xml" | "ctrdata", or None for anything else.

    Takes a file path or the text itself. Reads at most the first 64 KiB and
    looks only at how the text starts, so it is cheap on every ingested file.
    Never raises.
    """
    try:
        head = _sniff_head(path_or_text)
        if head is None:
            return None
        if _XML_CLINICAL_STUDY.match(head):
            return CTGOV_XML
        first = _JSON_FIRST_KEY.match(head)
        if not first:
            return None
        key, opener = first.groups()
        if key == "FullStudiesResponse" and opener == "{":
            return CTGOV_V1
        if key in ("protocolSection", "studies") and opener in "{[" and '"identificationModule"' in head:
            return CTGOV_V2  # one study, or an API v2 search page {"studies": [...]}
        if opener == "{" and (_CTRDATA_REGISTER.search(head) or _CTRDATA_KEY.fullmatch(key)):
            return CTRDATA  # {"<trial id>": {..., "ctrname": "CTIS", ...}, ...}
        return None
    except Exception:  # sniffing must never break ingestion
        return None


def _sniff_head(path_or_text) -> Optional[str]:
    """The first bytes of a file (decoded), or the start of the given text."""
    if isinstance(path_or_text, os.PathLike):
        with open(path_or_text, "rb") as handle:
            return handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    if not isinstance(path_or_text, str):
        return None
    looks_like_path = len(path_or_text) < 4096 and "\n" not in path_or_text
    if looks_like_path and path_or_text.strip() and os.path.isfile(path_or_text):
        return _sniff_head(Path(path_or_text))
    return path_or_text[:_SNIFF_BYTES]


def load_registry_records(path: str | os.PathLike) -> list[RegistryRecord]:
    """Every trial record in a registry file, converted. ValueError if it is not one."""
    path = Path(path)
    return [_convert(path, entry) for entry in _record_entries(path)]


def find_registry_record(corpus_root: str | os.PathLike, trial_id: str) -> Optional[RegistryRecord]:
    """The record of one trial, found through registry/INDEX.tsv, or None.

    Accepts ids as pages write them: "ISRCTN88261002", "EUCTR2022-000099-20-DE"
    or "2022-000099-20-DE" (INDEX.tsv lists EudraCT numbers without prefix
    and country suffix). When a trial has several rows, a file named after the
    trial wins, then the first row. Secondary ids are not looked up.
    """
    registry_dir = Path(corpus_root) / "registry"
    wanted = _index_key(trial_id)
    with open(registry_dir / "INDEX.tsv", encoding="utf-8", newline="") as handle:
        rows = [
            row for row in csv.DictReader(handle, delimiter="\t") if _index_key(row["trial_id"]) == wanted
        ]
    if not rows:
        return None
    rows.sort(key=lambda row: Path(row["file"]).stem.upper() != wanted)  # stable: INDEX order next
    path = registry_dir / rows[0]["file"]
    for entry in _record_entries(path):
        if entry[0] == rows[0]["where_in_file"]:
            return _convert(path, entry)
    return None


def _index_key(trial_id: str) -> str:
    key = trial_id.strip().upper()
    eudract = re.fullmatch(r"(?:EUCTR)?(\d{4}-\d{6}-\d{2})(?:-(?:[A-Z]{2}|3RD))?", key)
    return eudract[1] if eudract else key


def _record_entries(path: Path) -> Iterator[tuple[str, str, Callable[[Any], tuple], Any]]:
    """(where_in_file, format, converter, raw record) for each record in the file, unconverted."""
    fmt = sniff_registry_format(path)
    if fmt is None:
        raise ValueError(f"{path} is not a registry record file this module knows")
    if fmt == CTGOV_XML:
        yield WHOLE_FILE, fmt, _from_ctgov_legacy, _element_data(ElementTree.parse(path).getroot())
        return
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if fmt == CTGOV_V1:
        for i, full_study in enumerate(data["FullStudiesResponse"].get("FullStudies", [])):
            protocol = full_study["Study"]["ProtocolSection"]
            yield f"FullStudiesResponse.FullStudies[{i}]", fmt, _from_ctgov_v1, protocol
    elif fmt == CTGOV_V2 and "studies" in data:  # an API v2 search page
        for i, study in enumerate(data["studies"]):
            yield f"studies[{i}]", fmt, _from_ctgov_v2, study
    elif fmt == CTGOV_V2:
        yield WHOLE_FILE, fmt, _from_ctgov_v2, data
    else:  # ctrdata: {"<trial id>": record, ..., "meta-info": {...}}
        for key, record in data.items():
            register = record.get("ctrname") if isinstance(record, dict) else None
            if register in _CTRDATA_CONVERTERS:
                yield key, fmt, _CTRDATA_CONVERTERS[register], record


def _convert(path: Path, entry: tuple) -> RegistryRecord:
    """Map one raw record and validate it into a RegistryRecord."""
    where, fmt, converter, raw = entry
    trial_id, registry, fields, problems = converter(raw)
    record = _validated_record(fields, problems)
    return RegistryRecord(
        trial_id=trial_id,
        registry=registry,
        format=fmt,
        where=where,
        record=record,
        secondary_ids=[rid for rid in record.registry_ids if rid.id != trial_id],
        problems=problems,
        path=str(path),
    )


# ---------------------------------------------------------------------------
# Eligibility criteria: one text block -> single inclusion / exclusion criteria
# ---------------------------------------------------------------------------

# A list marker at the start of a line: "*", "-", "•", "1.", "1)", "(a)", "ii.", "2.1".
_LIST_MARKER = re.compile(
    r"^(?:[-*\u2022\u00b7\u25aa\u25e6\u2023\u2013\u2014+]"
    r"|\(?\d{1,3}[.)]|\d{1,2}(?:\.\d{1,2})+\.?"
    r"|\(?[a-zA-Z][.)]|\(?(?:i{1,3}|iv|vi{0,3}|ix|x)[.)])(?:\s+|$)"
)
_CRITERIA_KIND = re.compile(r"\b(inclusion|exclusion)\b", re.IGNORECASE)
# "Inclusion Criteria", "Key Exclusion Criteria", "Inclusion criteria stage 2",
# "Exclusion Criteria for Stage 1", "Inclusion criteria (ARDS cohort)"
_BARE_HEADING = re.compile(
    r"(?:(?:key|main|principal|major|general|study)\s+)?(?P<kind>inclusion|exclusion)\s+criteria"
    r"(?:\s*\([^()]{1,60}\)"  # "(ARDS cohort)"
    r"|\s+(?:for|in|of)\s+[^.:;]{1,40}"  # "for Stage 1"
    r"|\s+(?:stage|part|cohort|group|arm|phase)\s*[\w.-]{1,10})?",  # "stage 2"
    re.IGNORECASE,
)
# "Eligibility criteria for the secondary randomisation ... Inclusion criteria"
_TRAILING_HEADING = re.compile(
    r"eligibility criteria\b[^.:]{0,150}\b(?P<kind>inclusion|exclusion)\s+criteria", re.IGNORECASE
)
_HEADING_BEFORE_COLON = re.compile(r"(?P<head>[^:.;]{1,120}):\s*(?P<rest>.*)", re.DOTALL)
_WILL_BE_EXCLUDED = re.compile(r"\bwill be excluded$", re.IGNORECASE)
# "Patients who meet any of the following exclusion criteria will be excluded from this study.":
# a sentence that introduces the list (unnumbered, first under its heading) is not a criterion.
_LEAD_IN = re.compile(r"\b(?:any|all|each|one or more|either) of the following\b", re.IGNORECASE)
# An item that is nothing but such a lead-in, wherever it stands ("One of the following:", "Also
# ONE of the following must apply:", "Patients must meet all of the following criteria:"): it
# introduces criteria and states none. One that says what the following items are stays ("A
# disease shown by ALL THREE of the following:", "History of any of the following:").
_ONLY_A_LEAD_IN = re.compile(
    r"(?:(?!(?:of|with|to|for|in|on|by|after|before)\b)\w+,?\s+){0,3}(?:any|all|each|one or more|either|at least (?:one|two)|one|two|three)(?:\s+\w+)?"
    r"\s+of\s+the\s+following(?:\s+[\w-]+){0,5}\s*:?", re.IGNORECASE)


def only_a_lead_in(criterion: str) -> bool:
    """Whether a criterion item only introduces the items after it."""
    return bool(_ONLY_A_LEAD_IN.fullmatch(criterion.strip()))
# Lines that sit in an eligibility section but are other fields of the page, not criteria:
# "Sex: All", "Minimum Age: 18 Years", "Healthy Volunteers: f"; the same labels alone on their line
# where a form puts the value on the next ("Minimum age" / "18 Years"), and their bare answers
# ("No", "Both males and females"); EU CTR's population form ("F.1.2 Adults (18-64 years) yes",
# "Are the trial subjects under 18? no"); a bare "All".
_OTHER_FIELD_LABEL = (r"(?:sex|sexes|gender|genders|minimum age|maximum age|(?:accepts )?healthy volunteers"
                      r"|(?:ages|sexes|genders) eligible for study)")
# Such a label alone on its line (its value on the next), or the healthy-volunteers question.
_FIELD_LABEL_ALONE = re.compile(
    rf"{_OTHER_FIELD_LABEL}\s*:?|[^?]*\bhealthy volunteers\b[^?]*\?", re.IGNORECASE)
_NOT_A_CRITERION = re.compile(
    rf"{_OTHER_FIELD_LABEL}\s*:\s*\S+(?:\s+\S+){{0,3}}"  # a short value: "Gender: Male or
    # female. Female subjects must be post-menopausal ..." is a criterion
    rf"|{_FIELD_LABEL_ALONE.pattern}"
    r"|[A-P]\.\d+(?:\.\d+)*\.?\s.*"
    r"|.*\?\s*(?:yes|no)"
    r"|number of subjects for this age range\b.*"
    r"|(?:both\s+)?(?:males?|men)\s+(?:and|&)\s+(?:females?|women)|both sexes"
    r"|all|both|yes|no",  # "Female" alone can be a criterion; "All" is the sex field's value
    re.IGNORECASE,
)
# Words a complete phrase does not end with: a criterion line that stops on one was wrapped
# mid-sentence (grounding: or cut off by a truncated page). Not "and" or "or": registries list
# alternatives one per line, each ending "... OR".
DANGLING_WORDS = frozenset(
    "a an the of to with for in on by at from than that who which whose as per be is are has have "
    "between into including".split()
)


def split_criteria(text: Optional[str]) -> tuple[list[str], list[str]]:
    """Eligibility criteria text -> (inclusion criteria, exclusion criteria).

    Finds "Inclusion Criteria:" / "Exclusion Criteria:" style headings and
    returns one criterion per list item (bullet or number) or per line; an
    indented line without a marker continues the item above it. Text before
    the first heading counts as inclusion when that heading is "Exclusion",
    and is dropped (it is a preamble) when the heading is "Inclusion". Text
    with no heading at all is inclusion: registries that write no headings
    list only the conditions a participant must meet.
    """
    if not text:
        return [], []
    items = _criteria_items(text)
    kinds = [kind for kind, _ in items if kind is not None]
    before_first_heading = "inclusion" if not kinds or kinds[0] == "exclusion" else None
    inclusion, exclusion = [], []
    for kind, criterion in items:
        kind = kind or before_first_heading
        if kind == "inclusion":
            inclusion.append(criterion)
        elif kind == "exclusion":
            exclusion.append(criterion)
    return inclusion, exclusion


@dataclass
class _OpenItem:
    """The criterion being read: its section, its lines so far, and its list marker's indent."""

    section: Optional[str]
    parts: list[str]
    marker_indent: Optional[int] = None  # None: the item did not start with a list marker


def _criteria_items(text: str) -> list[tuple[Optional[str], str]]:
    """(section, criterion) pairs in order; section is None before any heading."""
    items: list[tuple[Optional[str], str]] = []
    section: Optional[str] = None
    current: Optional[_OpenItem] = None
    after_field_label = False  # the line above was another field's label: this line may be its value

    def close():
        nonlocal after_field_label
        if current is not None:
            criterion = " ".join(" ".join(current.parts).split())
            lead_in = (current.marker_indent is None and _LEAD_IN.search(criterion)
                       and (not items or items[-1][0] != current.section))
            # a label's value is short and unmarked ("18 Years", "No limit"); a criterion after
            # the label that is a list item or a sentence stays
            labels_value = after_field_label and current.marker_indent is None and len(criterion.split()) <= 4
            after_field_label = bool(_FIELD_LABEL_ALONE.fullmatch(criterion))
            if (re.search(r"\w", criterion) and not lead_in and not labels_value
                    and not _NOT_A_CRITERION.fullmatch(criterion) and not only_a_lead_in(criterion)):
                items.append((current.section, criterion))

    lines = text.replace("\u00a0", " ").expandtabs(4).splitlines()
    width = _wrap_width(lines)
    previous_length = 0
    for raw_line in lines:
        stripped = raw_line.strip()
        if not stripped:
            continue
        indent = len(raw_line) - len(raw_line.lstrip())
        marker = _LIST_MARKER.match(stripped)
        body = stripped[marker.end() :] if marker else stripped
        heading = _criteria_heading(body, has_marker=marker is not None)
        if heading is not None:
            close()
            section, rest = heading
            current = _OpenItem(section, [rest]) if rest else None
        elif current is not None and marker is None and (
            (current.marker_indent is not None and indent > current.marker_indent)
            or _wrapped(current.parts[-1], body, in_list_item=current.marker_indent is not None,
                        filled_the_width=width is not None and previous_length >= _FULL_LINE * width)
        ):
            current.parts.append(body)  # an indented or hard-wrapped line continues the item above
        else:
            close()
            current = _OpenItem(section, [body], indent if marker else None)
        previous_length = len(stripped)
    close()
    return items


# Text hard-wrapped at a fixed width (a registry's plain-text export, a mail): no line is longer
# than the width, and the text shows its wraps: lines that fill the width and stop on a word no
# phrase ends with ("... prior to", "... the"). There any line that fills the width and lacks
# closing punctuation was cut by the wrap, whatever the next line begins with ("... (stage IIIB
# or" / "IV). The diagnosis ..."). Criteria listed one per line without punctuation, however
# alike their lengths and in whatever case, do not stop on such words. (Records known to be
# wrapped, with a blank line between items, are joined first by `_unwrap_hard_wrapped`.)
_FULL_LINE = 0.85


def _wrap_width(lines: list[str]) -> Optional[int]:
    filled = [line.strip() for line in lines if line.strip()]
    width = max((len(line) for line in filled), default=0)
    if not 50 <= width <= 100:
        return None
    cut = sum(len(line) >= _FULL_LINE * width and line.split()[-1].lower() in DANGLING_WORDS for line in filled)
    return width if cut >= 2 else None


# A criteria heading inside a line, with its text after it: "... Gender - Male and Female Key
# inclusion criteria - 1. Patients who ... Key exclusion criteria - ..." (UMIN-CTR press items
# flatten the registry form into one line of "label - value" pairs).
_INLINE_HEADING = re.compile(r"(?:(?:key|main)\s+)?(?P<kind>inclusion|exclusion)\s+criteria\s*[-:–]\s+", re.IGNORECASE)
# Where the criteria stop on such a line: the form's next label.
_INLINE_END = re.compile(r"(?<=[.;)])\s+(?=(?:target\s+(?:sample\s+)?size|target\s+enrol?lment)\s*[-:–]\s)", re.IGNORECASE)
# A numbered item inside the line: "process. 1.1 If the patient", "available. 2. Patients".
_INLINE_ITEM = re.compile(r"(?<=[.;:])\s+(?=\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z])")


def _wrapped(previous: str, line: str, *, in_list_item: bool, filled_the_width: bool = False) -> bool:
    """Whether `line` carries on a sentence that a hard wrap cut after `previous`. The line
    above must lack closing punctuation. In text wrapped at a fixed width (`_wrap_width`), that
    is enough for a line above that fills the width. Under a list marker, it is enough that the
    line above stops on a word no criterion ends on ("of", "the", a comma) or that the line
    starts in lower case or with a bracket. Unmarked lines need both: some pages list criteria one
    per line, without punctuation ("Age 1-59 months," / "Plan to remain ...") or in lower case."""
    previous = previous.rstrip()
    if not previous or not line or previous[-1] in ".;:!?":
        return False
    if filled_the_width:
        return True
    dangling = previous[-1] in ",-\u2013/(" or previous.split()[-1].lower() in DANGLING_WORDS
    continues = line[0].islower() or line[0] == "("
    return (dangling or continues) if in_list_item else (dangling and continues)


def inline_criteria_text(line: str) -> Optional[str]:
    """The criteria written inside one line, as the one-item-per-line text `split_criteria`
    reads; None when the line has no criteria heading followed by text."""
    first = _INLINE_HEADING.search(line)
    if first is None:
        return None
    body = line[first.start():]
    end = _INLINE_END.search(body)
    body = body[: end.start()] if end else body
    body = _INLINE_HEADING.sub(lambda m: f"\n{m.group(0).strip(' -:–')}\n", body)
    return _INLINE_ITEM.sub("\n", body).strip()


# The same headings in other languages (schemas/lexicon.py), alone or before the first criterion:
# "纳入标准：年龄18-75岁", "Ausschlusskriterien:".
_FOREIGN_HEADING = re.compile(
    rf"(?:(?P<inclusion>{lexicon.criteria_heading_pattern('inclusion')})"
    rf"|(?P<exclusion>{lexicon.criteria_heading_pattern('exclusion')}))\s*(?:[:\uff1a]\s*(?P<rest>.*))?",
    re.IGNORECASE | re.DOTALL,
)


def _criteria_heading(line: str, has_marker: bool) -> Optional[tuple[str, str]]:
    """("inclusion" | "exclusion", text after the heading) if the line is a heading."""
    foreign = _FOREIGN_HEADING.fullmatch(line.rstrip())
    if foreign:
        return ("inclusion" if foreign["inclusion"] else "exclusion"), (foreign["rest"] or "").strip()
    if has_marker:  # a list item is a heading only in the bare form: "-  INCLUSION CRITERIA:"
        bare = _BARE_HEADING.fullmatch(line.rstrip(": "))
        return (bare["kind"].lower(), "") if bare else None
    colon = _HEADING_BEFORE_COLON.fullmatch(line)
    if colon:  # "Inclusion Criteria:", "Transplant Exclusion:", "Inclusion Criteria: age 18+"
        head, rest = colon["head"].strip(), colon["rest"].strip()
        kinds = {kind.lower() for kind in _CRITERIA_KIND.findall(head)}
        if len(kinds) == 1 and (not rest or re.search(r"\bcriteria\b", head, re.IGNORECASE)):
            return kinds.pop(), rest
        if not rest and _WILL_BE_EXCLUDED.search(head):
            return "exclusion", ""
        return None
    bare = _BARE_HEADING.fullmatch(line) or _TRAILING_HEADING.fullmatch(line)
    return (bare["kind"].lower(), "") if bare else None


def _unwrap_hard_wrapped(text: str) -> str:
    """Join lines that legacy ClinicalTrials.gov XML wrapped at 80 columns.

    That format separates every paragraph and list item with a blank line, so
    a line that directly follows another, and starts no list item or heading,
    continues it.
    """
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        previous = lines[-1] if lines else ""
        starts_new = (
            not stripped
            or not previous.strip()
            or _LIST_MARKER.match(stripped)
            or _criteria_heading(stripped, has_marker=False) is not None
            or _criteria_heading(previous.strip(), has_marker=False) is not None
        )
        if starts_new:
            lines.append(line)
        else:
            lines[-1] = previous.rstrip() + " " + stripped
    return "\n".join(lines)


def _unflatten_list(text: str) -> str:
    """Put inline list items of flattened text (ctrdata EUCTR, CTIS) back on lines.

    "...: - Known immunodeficiency - Active RSV infection" and "•\tPregnancy
    •\tNursing women" lost their line breaks on export (runs of spaces are
    what is left of some); a dash counts as a marker only before a capital
    letter, so "3 - 6 months" stays whole.
    """
    text = re.sub(r" {3,}", "\n", text)  # where a paragraph break was ("...heterozygote    Part A:")
    text = re.sub(r"\s*[\u2022\u00b7]\s*", "\n\u2022 ", text)  # "•" and "·" bullets
    text = re.sub(r"(?:^|(?<=[:\s]))\s*-\s+(?=[A-Z])", "\n- ", text)  # " - Item"
    text = re.sub(r"(?<=[.:])\s+(\d{1,2}[.)/])\s+(?=[A-Z])", r"\n\1 ", text)  # ". 2. Item"
    return text


# ---------------------------------------------------------------------------
# Shared helpers for the converters
# ---------------------------------------------------------------------------

# Values registries write where they mean "nothing here"; never an id or a name.
_PLACEHOLDERS = {
    "",
    "-",
    "n/a",
    "na",
    "none",
    "nil known",
    "not applicable",
    "not provided",
    "not provided at time of registration",
}


def _text(value) -> Optional[str]:
    """A stripped string, or None for absent / empty / placeholder values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value.casefold() in _PLACEHOLDERS else value


def _as_list(value) -> list:
    """Legacy XML-as-JSON and ISRCTN write one item as a scalar and several as a list."""
    if value is None or value == {} or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _dig(data, *keys, default=None):
    """data[k1][k2]... or default when any step is missing."""
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return default
    return data


def _unique(values) -> list:
    seen, kept = set(), []
    for value in values:
        if value is not None and value not in seen:
            seen.add(value)
            kept.append(value)
    return kept


def _enum_member(value, enum_type: type[Enum], aliases: dict[str, str], what: str, problems: list[str]):
    """Registry spelling -> enum value ("Dietary Supplement" -> DIETARY_SUPPLEMENT), else None."""
    text = _text(value)
    if text is None:
        return None
    name = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    name = aliases.get(name, name)
    if name in enum_type.__members__:
        return name
    problems.append(f"{what} {text!r} is not one of {', '.join(enum_type.__members__)}; left empty")
    return None


_INTERVENTION_TYPE_ALIASES = {
    "PROCEDURE_SURGERY": "PROCEDURE",
    "BEHAVIOURAL": "BEHAVIORAL",
    "SUPPLEMENT": "DIETARY_SUPPLEMENT",
    "BIOLOGICAL_VACCINE": "BIOLOGICAL",
    "GENE_TRANSFER": "GENETIC",
}


def _intervention(name, type_, description, problems) -> Optional[dict]:
    name = _text(name)
    if name is None:
        return None
    return {
        "name": name,
        "type": _enum_member(
            type_, InterventionType, _INTERVENTION_TYPE_ALIASES, "intervention type", problems
        ),
        "description": _text(description),
    }


def _arm(label, type_, description, problems) -> Optional[dict]:
    label = _text(label)
    if label is None:
        return None
    return {
        "label": label,
        "type": _enum_member(type_, ArmType, {}, "arm type", problems),
        "description": _text(description),
    }


def _outcome(measure, time_frame=None) -> Optional[dict]:
    measure = _text(measure)
    return {"measure": measure, "time_frame": _text(time_frame)} if measure else None


def _contact(name=None, role=None, affiliation=None, email=None, phone=None) -> Optional[dict]:
    contact = {
        "name": _text(name),
        "affiliation": _text(affiliation),
        "email": _text(email),
        "phone": _text(phone),
    }
    if not any(contact.values()):
        return None
    role = _text(role)
    # One spelling across formats: "Study Chair" (v1, XML) and STUDY_CHAIR (v2).
    contact["role"] = re.sub(r"[^A-Z0-9]+", "_", role.upper()).strip("_") if role else None
    return contact


def _site(name, city, country) -> Optional[dict]:
    site = {"name": _text(name), "city": _text(city), "country": _text(country)}
    return site if any(site.values()) else None


def _country_codes(names, problems: list[str]) -> list[str]:
    """Country names -> unique ISO alpha-2 codes, in order; unknown names become problems."""
    codes = []
    for name in _unique(_text(name) for name in names):
        try:
            code = normalize.normalize_country(name)
        except ValueError as error:
            problems.append(f"countries: {error}")
            continue
        if code:
            codes.append(code)
    return _unique(codes)


def _registry_ids(main: tuple, secondary: list[tuple], problems: list[str]) -> list[dict]:
    """RegistryId dicts from (raw id, registry hint) pairs: the main id first, then each
    secondary id that parses (normalize_registry_id decides); duplicates once."""
    ids, seen = [], set()
    for position, (raw, hint) in enumerate([main, *secondary]):
        raw = _text(raw)
        if raw is None:
            continue
        try:
            registry, ident = normalize.normalize_registry_id(raw, hint)
        except ValueError as error:
            problems.append(f"registry_ids: {'main' if position == 0 else 'secondary'} id skipped: {error}")
            continue
        if (registry, ident) not in seen:
            seen.add((registry, ident))
            ids.append({"registry": registry, "id": ident})
    return ids


def _iso_date_part(value) -> Optional[str]:
    """ "2013-09-01T00:00:00.000Z" -> "2013-09-01"; "29/01/2021" (CTIS, day first) -> "2021-01-29"."""
    text = _text(value)
    if text is None:
        return None
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ].*", text):
        return m[1]
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return text


def _unescape_markdown(text: Optional[str]) -> Optional[str]:
    r"""API v2 text is markdown: "\>= 4" means ">= 4"."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~=^])", r"\1", text) if text else text


def _validated_record(fields: dict, problems: list[str]) -> TrialRecord:
    """TrialRecord.model_validate, retried without each failing value or list item."""
    data = {}
    for name, value in fields.items():
        if isinstance(value, list):
            value = [item for item in value if item is not None]
        if not is_empty(value):
            data[name] = value
    for _ in range(len(data) + 100):  # each round removes at least one value
        try:
            return TrialRecord.model_validate(data)
        except ValidationError as error:
            drop_items: dict[str, set[int]] = {}
            for detail in error.errors():
                location = detail["loc"]
                name = location[0]
                shown = repr(detail.get("input"))
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                problems.append(f"{'.'.join(map(str, location))}: {detail['msg']} (got {shown}); dropped")
                if len(location) > 1 and isinstance(location[1], int) and isinstance(data.get(name), list):
                    drop_items.setdefault(name, set()).add(location[1])
                else:
                    data.pop(name, None)
            for name, positions in drop_items.items():
                if name in data:
                    data[name] = [item for i, item in enumerate(data[name]) if i not in positions]
    raise RuntimeError("TrialRecord validation did not converge")  # pragma: no cover


# ---------------------------------------------------------------------------
# ClinicalTrials.gov API v2 JSON (also ctrdata's CTGOV2 records)
# ---------------------------------------------------------------------------

_V2_ID_HINTS = {"EUDRACT_NUMBER": "EUDRACT", "CTIS": "CTIS"}


def _from_ctgov_v2(study: dict, registry: str = "CTGOV"):
    """One API v2 study -> (trial id, registry, TrialRecord fields, problems)."""
    problems: list[str] = []
    protocol = study.get("protocolSection", {})
    ident = protocol.get("identificationModule", {})
    status = protocol.get("statusModule", {})
    sponsors = protocol.get("sponsorCollaboratorsModule", {})
    design = protocol.get("designModule", {})
    design_info = design.get("designInfo", {})
    arms_module = protocol.get("armsInterventionsModule", {})
    outcomes = protocol.get("outcomesModule", {})
    eligibility = protocol.get("eligibilityModule", {})
    contacts = protocol.get("contactsLocationsModule", {})
    locations = contacts.get("locations", [])
    nct_id = ident.get("nctId")

    secondary = [(_dig(ident, "orgStudyIdInfo", "id"), None)]
    secondary += [
        (info.get("id"), _V2_ID_HINTS.get(info.get("type"))) for info in ident.get("secondaryIdInfos", [])
    ]
    inclusion, exclusion = split_criteria(eligibility.get("eligibilityCriteria"))
    fields = {
        "registry_ids": _registry_ids((nct_id, "NCT"), secondary, problems),
        "public_title": ident.get("briefTitle"),
        "scientific_title": ident.get("officialTitle"),
        "acronym": ident.get("acronym"),
        "conditions": protocol.get("conditionsModule", {}).get("conditions", []),
        "study_type": design.get("studyType"),
        "phases": design.get("phases", []),
        "allocation": design_info.get("allocation"),
        "masking": _dig(design_info, "maskingInfo", "masking"),
        "intervention_model": design_info.get("interventionModel"),
        "interventions": [
            _intervention(i.get("name"), i.get("type"), _unescape_markdown(i.get("description")), problems)
            for i in arms_module.get("interventions", [])
        ],
        "arms": [
            _arm(a.get("label"), a.get("type"), _unescape_markdown(a.get("description")), problems)
            for a in arms_module.get("armGroups", [])
        ],
        "primary_sponsor": _dig(sponsors, "leadSponsor", "name"),
        "collaborators": [c.get("name") for c in sponsors.get("collaborators", [])],
        "countries": _country_codes((loc.get("country") for loc in locations), problems),
        "sites": [_site(loc.get("facility"), loc.get("city"), loc.get("country")) for loc in locations],
        "target_enrollment": _dig(design, "enrollmentInfo", "count"),
        "min_age_years": eligibility.get("minimumAge"),
        "max_age_years": eligibility.get("maximumAge"),
        "sex": eligibility.get("sex"),
        "healthy_volunteers": eligibility.get("healthyVolunteers"),
        "recruitment_status": status.get("overallStatus"),
        "registration_date": status.get("studyFirstSubmitDate")
        or _dig(status, "studyFirstPostDateStruct", "date"),
        "start_date": _dig(status, "startDateStruct", "date"),
        "primary_completion_date": _dig(status, "primaryCompletionDateStruct", "date"),
        "completion_date": _dig(status, "completionDateStruct", "date"),
        "primary_outcomes": [
            _outcome(o.get("measure"), o.get("timeFrame")) for o in outcomes.get("primaryOutcomes", [])
        ],
        "secondary_outcomes": [
            _outcome(o.get("measure"), o.get("timeFrame")) for o in outcomes.get("secondaryOutcomes", [])
        ],
        "inclusion_criteria": [_unescape_markdown(c) for c in inclusion],
        "exclusion_criteria": [_unescape_markdown(c) for c in exclusion],
        "contacts": [
            _contact(c.get("name"), c.get("role"), None, c.get("email"), c.get("phone"))
            for c in contacts.get("centralContacts", [])
        ]
        + [
            _contact(o.get("name"), o.get("role"), o.get("affiliation"))
            for o in contacts.get("overallOfficials", [])
        ],
        "ipd_sharing": _dig(protocol, "ipdSharingStatementModule", "ipdSharing"),
    }
    return nct_id, registry, fields, problems


# ---------------------------------------------------------------------------
# ClinicalTrials.gov API v1 (FullStudiesResponse; CamelCase keys)
# ---------------------------------------------------------------------------

_V1_ID_HINTS = {"EudraCT Number": "EUDRACT", "CTIS": "CTIS"}


def _from_ctgov_v1(protocol: dict):
    """One API v1 ProtocolSection -> (trial id, registry, TrialRecord fields, problems)."""
    problems: list[str] = []
    ident = protocol.get("IdentificationModule", {})
    status = protocol.get("StatusModule", {})
    sponsors = protocol.get("SponsorCollaboratorsModule", {})
    design = protocol.get("DesignModule", {})
    design_info = design.get("DesignInfo", {})
    arms_module = protocol.get("ArmsInterventionsModule", {})
    outcomes = protocol.get("OutcomesModule", {})
    eligibility = protocol.get("EligibilityModule", {})
    contacts = protocol.get("ContactsLocationsModule", {})
    locations = _dig(contacts, "LocationList", "Location", default=[])
    nct_id = ident.get("NCTId")

    secondary = [(_dig(ident, "OrgStudyIdInfo", "OrgStudyId"), None)]
    secondary += [
        (info.get("SecondaryId"), _V1_ID_HINTS.get(info.get("SecondaryIdType")))
        for info in _dig(ident, "SecondaryIdInfoList", "SecondaryIdInfo", default=[])
    ]
    inclusion, exclusion = split_criteria(eligibility.get("EligibilityCriteria"))
    fields = {
        "registry_ids": _registry_ids((nct_id, "NCT"), secondary, problems),
        "public_title": ident.get("BriefTitle"),
        "scientific_title": ident.get("OfficialTitle"),
        "acronym": ident.get("Acronym"),
        "conditions": _dig(protocol, "ConditionsModule", "ConditionList", "Condition", default=[]),
        "study_type": design.get("StudyType"),
        "phases": _dig(design, "PhaseList", "Phase", default=[]),
        "allocation": design_info.get("DesignAllocation"),
        "masking": _dig(design_info, "DesignMaskingInfo", "DesignMasking"),
        "intervention_model": design_info.get("DesignInterventionModel"),
        "interventions": [
            _intervention(
                i.get("InterventionName"),
                i.get("InterventionType"),
                i.get("InterventionDescription"),
                problems,
            )
            for i in _dig(arms_module, "InterventionList", "Intervention", default=[])
        ],
        "arms": [
            _arm(a.get("ArmGroupLabel"), a.get("ArmGroupType"), a.get("ArmGroupDescription"), problems)
            for a in _dig(arms_module, "ArmGroupList", "ArmGroup", default=[])
        ],
        "primary_sponsor": _dig(sponsors, "LeadSponsor", "LeadSponsorName"),
        "collaborators": [
            c.get("CollaboratorName") for c in _dig(sponsors, "CollaboratorList", "Collaborator", default=[])
        ],
        "countries": _country_codes((loc.get("LocationCountry") for loc in locations), problems),
        "sites": [
            _site(loc.get("LocationFacility"), loc.get("LocationCity"), loc.get("LocationCountry"))
            for loc in locations
        ],
        "target_enrollment": _dig(design, "EnrollmentInfo", "EnrollmentCount"),
        "min_age_years": eligibility.get("MinimumAge"),
        "max_age_years": eligibility.get("MaximumAge"),
        "sex": eligibility.get("Gender"),
        "healthy_volunteers": eligibility.get("HealthyVolunteers"),
        "recruitment_status": status.get("OverallStatus"),
        "registration_date": status.get("StudyFirstSubmitDate")
        or _dig(status, "StudyFirstPostDateStruct", "StudyFirstPostDate"),
        "start_date": _dig(status, "StartDateStruct", "StartDate"),
        "primary_completion_date": _dig(status, "PrimaryCompletionDateStruct", "PrimaryCompletionDate"),
        "completion_date": _dig(status, "CompletionDateStruct", "CompletionDate"),
        "primary_outcomes": [
            _outcome(o.get("PrimaryOutcomeMeasure"), o.get("PrimaryOutcomeTimeFrame"))
            for o in _dig(outcomes, "PrimaryOutcomeList", "PrimaryOutcome", default=[])
        ],
        "secondary_outcomes": [
            _outcome(o.get("SecondaryOutcomeMeasure"), o.get("SecondaryOutcomeTimeFrame"))
            for o in _dig(outcomes, "SecondaryOutcomeList", "SecondaryOutcome", default=[])
        ],
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "contacts": [
            _contact(
                c.get("CentralContactName"),
                c.get("CentralContactRole"),
                None,
                c.get("CentralContactEMail"),
                c.get("CentralContactPhone"),
            )
            for c in _dig(contacts, "CentralContactList", "CentralContact", default=[])
        ]
        + [
            _contact(
                o.get("OverallOfficialName"),
                o.get("OverallOfficialRole"),
                o.get("OverallOfficialAffiliation"),
            )
            for o in _dig(contacts, "OverallOfficialList", "OverallOfficial", default=[])
        ],
        "ipd_sharing": _dig(protocol, "IPDSharingStatementModule", "IPDSharing"),
    }
    return nct_id, "CTGOV", fields, problems


# ---------------------------------------------------------------------------
# Legacy ClinicalTrials.gov XML, and ctrdata's CTGOV records (the same XML as JSON)
# ---------------------------------------------------------------------------


def _element_data(element) -> Any:
    """An XML element as ctrdata stores legacy records: text, or a dict of children
    (a repeated child becomes a list). Attributes are not needed and are dropped."""
    children = list(element)
    if not children:
        return element.text or ""
    data: dict[str, Any] = {}
    for child in children:
        value = _element_data(child)
        if child.tag in data:
            if not isinstance(data[child.tag], list):
                data[child.tag] = [data[child.tag]]
            data[child.tag].append(value)
        else:
            data[child.tag] = value
    return data


def _from_ctgov_legacy(study: dict):
    """One <clinical_study> as data (see _element_data) -> (trial id, registry, fields, problems)."""
    problems: list[str] = []
    ids = study.get("id_info", {})
    design = study.get("study_design_info", {}) or {}
    eligibility = study.get("eligibility", {}) or {}
    locations = _as_list(study.get("location"))
    facilities = [loc.get("facility", {}) if isinstance(loc, dict) else {} for loc in locations]
    nct_id = _text(ids.get("nct_id"))

    secondary = [(_text(ids.get("org_study_id")), None)] + [
        (_text(s), None) for s in _as_list(ids.get("secondary_id"))
    ]
    criteria = _text(_dig(eligibility, "criteria", "textblock"))
    inclusion, exclusion = split_criteria(_unwrap_hard_wrapped(criteria) if criteria else None)
    contacts = [
        _contact(_dig(c, "last_name"), "CONTACT", None, _dig(c, "email"), _dig(c, "phone"))
        for c in _as_list(study.get("overall_contact")) + _as_list(study.get("overall_contact_backup"))
        if isinstance(c, dict)
    ]
    contacts += [
        _contact(o.get("last_name"), o.get("role"), o.get("affiliation"))
        for o in _as_list(study.get("overall_official"))
        if isinstance(o, dict)
    ]
    fields = {
        "registry_ids": _registry_ids((nct_id, "NCT"), secondary, problems),
        "public_title": _text(study.get("brief_title")),
        "scientific_title": _text(study.get("official_title")),
        "acronym": _text(study.get("acronym")),
        "conditions": [_text(c) for c in _as_list(study.get("condition"))],
        "study_type": _text(study.get("study_type")),
        "phases": _text(study.get("phase")),  # "Phase 1/Phase 2": the normalizer splits it
        "allocation": _text(design.get("allocation")),
        "masking": _text(design.get("masking")),
        "intervention_model": _text(design.get("intervention_model")),
        "interventions": [
            _intervention(
                i.get("intervention_name"),
                i.get("intervention_type"),
                _collapse(i.get("description")),
                problems,
            )
            for i in _as_list(study.get("intervention"))
            if isinstance(i, dict)
        ],
        "arms": [
            _arm(a.get("arm_group_label"), a.get("arm_group_type"), _collapse(a.get("description")), problems)
            for a in _as_list(study.get("arm_group"))
            if isinstance(a, dict)
        ],
        "primary_sponsor": _text(_dig(study, "sponsors", "lead_sponsor", "agency")),
        "collaborators": [
            _text(_dig(c, "agency")) for c in _as_list(_dig(study, "sponsors", "collaborator"))
        ],
        "countries": _country_codes((_dig(f, "address", "country") for f in facilities), problems),
        "sites": [
            _site(_dig(f, "name"), _dig(f, "address", "city"), _dig(f, "address", "country"))
            for f in facilities
        ],
        "target_enrollment": _text(study.get("enrollment")),
        "min_age_years": _text(eligibility.get("minimum_age")),
        "max_age_years": _text(eligibility.get("maximum_age")),
        "sex": _text(eligibility.get("gender")),
        "healthy_volunteers": _text(eligibility.get("healthy_volunteers")),
        "recruitment_status": _text(study.get("overall_status")),
        "registration_date": _text(study.get("study_first_submitted"))
        or _text(study.get("study_first_posted")),
        "start_date": _text(study.get("start_date")),
        "primary_completion_date": _text(study.get("primary_completion_date")),
        "completion_date": _text(study.get("completion_date")),
        "primary_outcomes": [
            _outcome(o.get("measure"), o.get("time_frame"))
            for o in _as_list(study.get("primary_outcome"))
            if isinstance(o, dict)
        ],
        "secondary_outcomes": [
            _outcome(o.get("measure"), o.get("time_frame"))
            for o in _as_list(study.get("secondary_outcome"))
            if isinstance(o, dict)
        ],
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "contacts": contacts,
        "ipd_sharing": _text(_dig(study, "patient_data", "sharing_ipd")),
    }
    return nct_id, "CTGOV", fields, problems


def _collapse(value) -> Optional[str]:
    """Hard-wrapped XML text -> one line."""
    text = _text(value)
    return " ".join(text.split()) if text else None


def _from_ctrdata_ctgov(record: dict):
    """ctrdata keeps legacy XML as JSON with entities ("&apos;", "&#xD;") and some
    UTF-8 read as cp1252 ("â‰¥" for "≥"); repair the text, then map as XML."""
    return _from_ctgov_legacy(_repair_strings(record))


# UTF-8 lead bytes (Â, Ã, â) followed by what cp1252 makes of a continuation byte.
_MOJIBAKE = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152-\u02dc\u2013-\u2122]")


def _repair_strings(value):
    """Every string in a ctrdata CTGOV record, with entities decoded and mojibake undone."""
    if isinstance(value, dict):
        return {key: _repair_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_repair_strings(item) for item in value]
    if not isinstance(value, str):
        return value
    text = html.unescape(value).replace("\r\n", "\n").replace("\r", "\n")
    if _MOJIBAKE.search(text):
        try:
            text = text.encode("cp1252").decode("utf-8")
        except UnicodeError:
            pass  # mixed or genuine text: leave it as it is
    return text


# ---------------------------------------------------------------------------
# ctrdata EUCTR (EU Clinical Trials Register protocol, flattened field names)
# ---------------------------------------------------------------------------

_EUCTR_PHASES = {
    "e71_human_pharmacology_phase_i": "PHASE1",
    "e72_therapeutic_exploratory_phase_ii": "PHASE2",
    "e73_therapeutic_confirmatory_phase_iii": "PHASE3",
    "e74_therapeutic_use_phase_iv": "PHASE4",
}
_EUCTR_MASKING = {"e812_open": "NONE", "e813_single_blind": "SINGLE", "e814_double_blind": "DOUBLE"}
_EUCTR_MODELS = {"e815_parallel_group": "PARALLEL", "e816_cross_over": "CROSSOVER"}


def _yes(value) -> bool:
    return _text(value) is not None and _text(value).casefold() == "yes"


def _only_yes(record: dict, choices: dict[str, str]) -> Optional[str]:
    """The one choice ticked "Yes" among EUCTR's yes/no flags; None if none or several."""
    ticked = [value for key, value in choices.items() if _yes(record.get(key))]
    return ticked[0] if len(ticked) == 1 else None


def _from_euctr(record: dict):
    """One ctrdata EUCTR record (one member state's protocol) -> (trial id, registry, fields, problems)."""
    problems: list[str] = []
    eudract = _text(record.get("a2_eudract_number"))
    results = record.get("trialInformation", {}) or {}
    sponsors = [s for s in _as_list(record.get("b1_sponsor")) if isinstance(s, dict)]
    secondary = [
        (record.get("a41_sponsors_protocol_code_number"), None),
        (record.get("a52_us_nct_clinicaltrialsgov_registry_number"), "NCT"),
        (record.get("a51_isrctn_international_standard_randomised_controlled_trial_number"), "ISRCTN"),
        (record.get("a53_who_universal_trial_reference_number_utrn"), None),
        (record.get("a54_other_identifiers"), None),
        (results.get("usctnIdentifier"), "NCT"),
        (results.get("isrctnIdentifier"), "ISRCTN"),
    ]
    member_state = (_text(record.get("a1_member_state_concerned")) or "").split(" - ")[0]
    countries = _country_codes(
        [member_state, *_country_names_in(record.get("e863_trial_sites_planned_in"), problems)], problems
    )
    # The whole trial's size; a single-country trial states only the member-state number.
    enrollment = _text(record.get("f422_in_the_whole_clinical_trial"))
    if enrollment is None and not any(
        _yes(record.get(k))
        for k in (
            "e85_the_trial_involves_multiple_member_states",
            "e861_trial_being_conducted_both_within_and_outside_the_eea",
            "e862_trial_being_conducted_completely_outside_of_the_eea",
        )
    ):
        enrollment = _text(record.get("f41_in_the_member_state"))
    female, male = _yes(record.get("f21_female")), _yes(record.get("f22_male"))
    opinion = _text(record.get("n_ethics_committee_opinion_of_the_trial_application"))
    opinion_date = _text(record.get("n_date_of_ethics_committee_opinion"))
    products = [
        p.get("d31_product_name")
        or p.get("d2111_trade_name")
        or _dig(_as_list(p.get("d38_imp_identification_details")), 0, "d38_inn__proposed_inn")
        for p in _as_list(record.get("dimp"))
        if isinstance(p, dict)
    ]
    fields = {
        "registry_ids": _registry_ids((eudract, "EUDRACT"), secondary, problems),
        "public_title": _text(
            record.get("a31_title_of_the_trial_for_lay_people_in_easily_understood_ie_nontechnical_language")
        ),
        "scientific_title": _text(record.get("a3_full_title_of_the_trial")),
        "acronym": _text(record.get("a32_name_or_abbreviated_title_of_the_trial_where_available")),
        "conditions": [_text(record.get("e11_medical_conditions_being_investigated"))],
        "phases": [phase for key, phase in _EUCTR_PHASES.items() if _yes(record.get(key))],
        "allocation": "RANDOMIZED" if _yes(record.get("e811_randomised")) else None,
        "masking": _only_yes(record, _EUCTR_MASKING),
        "intervention_model": _only_yes(record, _EUCTR_MODELS),
        "interventions": [
            _intervention(name, None, None, problems) for name in _unique(_text(p) for p in products)
        ],
        "primary_sponsor": _text(sponsors[0].get("b11_name_of_sponsor")) if sponsors else None,
        "secondary_sponsors": [_text(s.get("b11_name_of_sponsor")) for s in sponsors[1:]],
        "funders": _unique(
            _text(_dig(support, "b41_name_of_organisation_providing_support"))
            for s in sponsors
            for support in _as_list(s.get("b4_sources_of_monetary_or_material_support"))
        ),
        "countries": countries,
        "target_enrollment": enrollment,
        "sex": "ALL" if female and male else "FEMALE" if female else "MALE" if male else None,
        "healthy_volunteers": _text(record.get("f31_healthy_volunteers")),
        "recruitment_status": _text(record.get("x5_trial_status")),
        "registration_date": _text(
            record.get("x6_date_on_which_this_record_was_first_entered_in_the_eudract_database")
        ),
        "start_date": _iso_date_part(results.get("recruitmentStartDate")),
        "completion_date": _text(record.get("p_date_of_the_global_end_of_the_trial"))
        or _iso_date_part(results.get("globalEndOfTrialDate")),
        "primary_outcomes": [
            _outcome(
                record.get("e51_primary_end_points"),
                record.get("e511_timepoints_of_evaluation_of_this_end_point"),
            )
        ],
        "secondary_outcomes": [
            _outcome(
                record.get("e52_secondary_end_points"),
                record.get("e521_timepoints_of_evaluation_of_this_end_point"),
            )
        ],
        "inclusion_criteria": _all_items(record.get("e3_principal_inclusion_criteria"), flattened=True),
        "exclusion_criteria": _all_items(record.get("e4_principal_exclusion_criteria"), flattened=True),
        "contacts": [
            _contact(
                s.get("b52_functional_name_of_contact_point"),
                "CONTACT",
                s.get("b51_name_of_organisation"),
                s.get("b56_email"),
                s.get("b54_telephone_number"),
            )
            for s in sponsors
        ],
        "ethics_review": f"{opinion} ({opinion_date})" if opinion and opinion_date else opinion,
    }
    return eudract, "EUCTR", fields, problems


def _all_items(text, flattened: bool = False, wrapped: bool = False) -> list[str]:
    """Items of a field that holds one kind only (inclusion, exclusion, outcomes), headings dropped.

    flattened: the export lost the line breaks (ctrdata EUCTR, CTIS);
    wrapped: the text has hard line breaks inside items (ISRCTN).
    """
    text = _text(text)
    if text is None:
        return []
    if flattened:
        text = _unflatten_list(text)
    if wrapped:
        text = _unwrap_hard_wrapped(text)
    return [item for _, item in _criteria_items(text)]


def _country_names_in(text, problems: list[str]) -> list[str]:
    """EUCTR's "United Kingdom France Korea, Republic of" -> country names, longest match first."""
    words = (_text(text) or "").split()
    names, start = [], 0
    while start < len(words):
        for end in range(min(len(words), start + 5), start, -1):
            candidate = " ".join(words[start:end])
            if _is_country_name(candidate):
                names.append(candidate)
                start = end
                break
        else:
            problems.append(
                f"countries: {words[start]!r} in the planned-sites list is not a country; skipped"
            )
            start += 1
    return names


def _is_country_name(name: str) -> bool:
    try:
        return bool(normalize.normalize_country(name))
    except ValueError:
        return False


# ---------------------------------------------------------------------------
# ctrdata CTIS (EU Clinical Trials Information System)
# ---------------------------------------------------------------------------


def _from_ctis(record: dict):
    """One ctrdata CTIS record -> (trial id, registry, TrialRecord fields, problems)."""
    problems: list[str] = []
    # Older exports keep the authorised parts at the top level, newer ones in authorizedApplication.
    application = record.get("authorizedApplication") or record
    part_one = application.get("authorizedPartI", {}) or {}
    details = part_one.get("trialDetails", {}) or {}
    identifiers = details.get("clinicalTrialIdentifiers", {}) or {}
    information = details.get("trialInformation", {}) or {}
    population = information.get("populationOfTrialSubjects", {}) or {}
    ct_number = _text(record.get("ctNumber"))

    secondary = [
        (_dig(application, "eudraCt", "eudraCtCode") or _dig(record, "eudraCtInfo", "eudraCtCode"), "EUDRACT")
    ]
    secondary += [
        (number.get("number"), None)
        for number in (identifiers.get("secondaryIdentifyingNumbers") or {}).values()
        if isinstance(number, dict)
    ]
    sponsors = [s for s in _as_list(part_one.get("sponsors")) if isinstance(s, dict)]
    primary = [s for s in sponsors if s.get("primary")] or sponsors[:1]
    sites = [
        site.get("organisationAddressInfo", {})
        for part in _as_list(application.get("authorizedPartsII"))
        for site in _as_list(part.get("trialSites"))
        if isinstance(site, dict)
    ]
    female, male = population.get("isFemaleSubjects"), population.get("isMaleSubjects")
    decision_dates = [
        _iso_date_part(d)
        for d in re.findall(
            r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}",
            str(record.get("decisionDateOverall") or record.get("authorizationDate") or ""),
        )
    ]
    fields = {
        "registry_ids": _registry_ids((ct_number, "CTIS"), secondary, problems),
        "public_title": _collapse(identifiers.get("publicTitle")),  # titles hold line breaks
        "scientific_title": _collapse(identifiers.get("fullTitle")),
        "conditions": [
            _text(c.get("medicalCondition"))
            for c in _as_list(_dig(information, "medicalCondition", "partIMedicalConditions"))
        ],
        "phases": _text(record.get("trialPhase")),  # "Therapeutic exploratory (Phase II)"
        "interventions": [
            _intervention(name, None, None, problems)
            for name in _unique(
                _text(p.get("productName") or _dig(p, "productDictionaryInfo", "prodName"))
                for p in _as_list(part_one.get("products"))
                if isinstance(p, dict)
            )
        ],
        "primary_sponsor": _ctis_sponsor_name(primary[0]) if primary else None,
        "secondary_sponsors": [_ctis_sponsor_name(s) for s in sponsors if s not in primary],
        "funders": [
            _text(s.get("organisationName")) for s in _as_list(information.get("sourceOfMonetarySupport"))
        ],
        "countries": _country_codes((_dig(site, "address", "countryName") for site in sites), problems),
        "sites": [
            _site(
                _dig(site, "organisation", "name"),
                _dig(site, "address", "city"),
                _dig(site, "address", "countryName"),
            )
            for site in sites
        ],
        "target_enrollment": _text(record.get("totalNumberEnrolled")),
        "sex": "ALL" if female and male else "FEMALE" if female else "MALE" if male else None,
        "recruitment_status": (
            _text(record.get("ctStatus")) if not str(record.get("ctStatus", "")).isdigit() else None
        ),
        "registration_date": min(decision_dates) if decision_dates else None,
        "start_date": _iso_date_part(record.get("startDateEU"))
        or _text(_dig(information, "trialDuration", "estimatedRecruitmentStartDate")),
        "completion_date": _text(_dig(information, "trialDuration", "estimatedEndDate")),
        "primary_outcomes": [
            _outcome(e.get("endPoint")) for e in _as_list(_dig(information, "endPoint", "primaryEndPoints"))
        ],
        "secondary_outcomes": [
            _outcome(e.get("endPoint")) for e in _as_list(_dig(information, "endPoint", "secondaryEndPoints"))
        ],
        "inclusion_criteria": [
            item
            for c in _as_list(_dig(information, "eligibilityCriteria", "principalInclusionCriteria"))
            for item in _all_items(c.get("principalInclusionCriteria"), flattened=True)
        ],
        "exclusion_criteria": [
            item
            for c in _as_list(_dig(information, "eligibilityCriteria", "principalExclusionCriteria"))
            for item in _all_items(c.get("principalExclusionCriteria"), flattened=True)
        ],
        "contacts": [
            _contact(
                c.get("functionalName"),
                f"{c.get('type', '')} contact",
                _dig(c, "organisation", "name"),
                c.get("functionalEmailAddress"),
                c.get("telephone"),
            )
            for s in primary
            for c in _as_list(s.get("publicContacts")) + _as_list(s.get("scientificContacts"))
        ],
    }
    return ct_number, "CTIS", fields, problems


def _ctis_sponsor_name(sponsor: dict) -> Optional[str]:
    """A CTIS sponsor names its organisation directly (newer) or by party id in a contact (older)."""
    if name := _text(_dig(sponsor, "organisation", "name")):
        return name
    for contact in _as_list(sponsor.get("publicContacts")) + _as_list(sponsor.get("scientificContacts")):
        if _dig(contact, "organisation", "id") == sponsor.get("party"):
            return _text(_dig(contact, "organisation", "name"))
    return None


# ---------------------------------------------------------------------------
# ctrdata ISRCTN (ISRCTN API JSON)
# ---------------------------------------------------------------------------


def _from_isrctn(record: dict):
    """One ctrdata ISRCTN record -> (trial id, registry, TrialRecord fields, problems)."""
    problems: list[str] = []
    description = record.get("trialDescription", {}) or {}
    refs = record.get("externalRefs", {}) or {}
    design = record.get("trialDesign", {}) or {}
    participants = record.get("participants", {}) or {}
    interventions = [
        i for i in _as_list(_dig(record, "interventions", "intervention")) if isinstance(i, dict)
    ]
    centres = [c for c in _as_list(_dig(participants, "trialCentres", "trialCentre")) if isinstance(c, dict)]
    isrctn = f"ISRCTN{record.get('isrctn')}"

    secondary = [
        (refs.get("eudraCTNumber"), "EUDRACT"),
        (refs.get("clinicalTrialsGovNumber"), "NCT"),
        (refs.get("irasNumber"), None),
        (refs.get("protocolSerialNumber"), None),
    ]
    secondary += [(number, None) for number in _as_list(_dig(refs, "secondaryNumbers", "secondaryNumber"))]
    fields = {
        "registry_ids": _registry_ids((isrctn, "ISRCTN"), secondary, problems),
        "public_title": _text(description.get("title")),
        "scientific_title": _text(description.get("scientificTitle")),
        "acronym": _text(description.get("acronym")),
        "conditions": [
            _text(_dig(c, "description")) for c in _as_list(_dig(record, "conditions", "condition"))
        ],
        "study_type": _text(design.get("primaryStudyDesign")),
        "phases": _unique(_text(i.get("phase")) for i in interventions),
        "interventions": [
            _intervention(i.get("drugNames"), i.get("interventionType"), i.get("description"), problems)
            for i in interventions
        ],
        "countries": _country_codes(
            _as_list(_dig(participants, "recruitmentCountries", "country")), problems
        ),
        "sites": [_site(c.get("name"), c.get("city"), c.get("country")) for c in centres],
        "target_enrollment": _text(participants.get("targetEnrolment")),
        "min_age_years": _text(participants.get("lowerAgeLimit")),
        "max_age_years": _text(participants.get("upperAgeLimit")),
        "sex": _text(participants.get("gender")),
        "recruitment_status": _text(design.get("overallStatusOverride")),
        "start_date": _iso_date_part(participants.get("recruitmentStart")),
        "completion_date": _iso_date_part(design.get("overallEndDate")),
        "primary_outcomes": [
            _outcome(text) for text in _all_items(description.get("primaryOutcome"), wrapped=True)
        ],
        "secondary_outcomes": [
            _outcome(text) for text in _all_items(description.get("secondaryOutcome"), wrapped=True)
        ],
        "inclusion_criteria": _all_items(participants.get("inclusion"), wrapped=True),
        "exclusion_criteria": _all_items(participants.get("exclusion"), wrapped=True),
        "ethics_review": _text(description.get("ethicsApproval")),
        "ipd_sharing": _text(_dig(record, "miscellaneous", "ipdSharingPlan")),
    }
    return isrctn, "ISRCTN", fields, problems


_CTRDATA_CONVERTERS: dict[str, Callable[[dict], tuple]] = {
    "CTGOV2": lambda record: _from_ctgov_v2(record, "CTGOV2"),
    "CTGOV": _from_ctrdata_ctgov,
    "EUCTR": _from_euctr,
    "CTIS": _from_ctis,
    "ISRCTN": _from_isrctn,
}

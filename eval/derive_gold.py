"""Draft gold labels from registry records, and check that labels are grounded.

A draft is the document's matching registry record reduced to the values the
document itself states (corpus README, "Deriving a gold label"). The check
behind it, `is_stated`, is a deliberately simple normalizing search; the same
check keeps the reviewed gold files grounded (tests/test_gold.py).

A draft is only a starting point: every label must be reviewed by reading the
document (see eval/README.md).

    python eval/derive_gold.py noisy/acc.org-NCT01174550.txt         # print kept / dropped
    python eval/derive_gold.py --write noisy/acc.org-NCT01174550.txt # and write eval/gold/<stem>.json
    python eval/derive_gold.py --check all                           # grounding of the gold files

--write never replaces a gold file unless --force is given. --check lists,
for each gold file, the values `is_stated` cannot find in its document.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO_ROOT / "eval" / "gold"
if str(REPO_ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

import pycountry  # noqa: E402

from trialsift.schemas import normalize  # noqa: E402
from trialsift.schemas.trial import CONTRACT_KEYS, TrialRecord, is_empty  # noqa: E402

# The seeds have no manifest; their kinds and trial ids come from the task brief
# and their own text (002 names no id at all).
SEED_METADATA = {
    "000": ("press", "UMIN000060367"),
    "001": ("registry", "UMIN000060367"),
    "002": ("aggregator", None),
    "003": ("aggregator", "NCT05738187"),
    "004": ("aggregator", "NCT04143984"),
}


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class CorpusDocument:
    source: str  # path relative to the corpus root, e.g. "noisy/acc.org-NCT01174550.txt"
    url: Optional[str]
    kind: str
    trial_id: Optional[str]
    record: Optional[str]  # e.g. "registry/NCT01174550.xml", None when unpaired

    @property
    def stem(self) -> str:
        return Path(self.source).stem


def corpus_documents(corpus_root: Path) -> list[CorpusDocument]:
    """Every document that needs a gold file: noisy/manifest.tsv rows, then the seeds."""
    documents = []
    with open(corpus_root / "noisy" / "manifest.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            documents.append(
                CorpusDocument(
                    source=f"noisy/{row['file']}",
                    url=row["url"] or None,
                    kind=row["kind"],
                    trial_id=row["trial_id"] or None,
                    record=row["record"] or None,
                )
            )
    for path in sorted((corpus_root / "seeds").glob("*.txt")):
        kind, trial_id = SEED_METADATA[path.name[:3]]
        documents.append(CorpusDocument(f"seeds/{path.name}", None, kind, trial_id, None))
    return documents


def read_document(corpus_root: Path, source: str) -> tuple[str, str]:
    """(text, sha256 of the bytes) of one corpus document."""
    data = (corpus_root / source).read_bytes()
    return data.decode("utf-8"), hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- is a value stated?


def compact(text: str) -> str:
    """Letters and digits only, case-folded: the form substring checks run on."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def words_form(text: str) -> str:
    """Lower-case words and numbers separated by single spaces, padded with a space each side."""
    return " " + " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())) + " "


SHORT_VALUE_CHARS = 12  # shorter values must match whole words


def text_is_stated(value: str, text: str) -> bool:
    """Long values: a substring of the text once punctuation and spaces are gone (pages glue
    words together: "Lung CancerMedDRA"). Short values: whole words, so "Nis" is not found
    inside "Nissen"."""
    value_compact = compact(value)
    if not value_compact:
        return False
    if len(value_compact) >= SHORT_VALUE_CHARS:
        return value_compact in compact(text)
    return words_form(value) in words_form(text)


def numbers_in(text: str) -> set[float]:
    """Every number written in the text: "10,003" -> 10003, "N=91" -> 91, "3.3" -> 3.3."""
    found = set()
    for match in re.finditer(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?", text):
        found.add(float(match.group().replace(",", "")))
    return found


_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_NOT_DIGIT_AFTER = r"(?![-/.]?\d)"
# (pattern, order of year/month/day groups); every pattern is matched case-insensitively.
_DATE_PATTERNS = [
    (r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b", "ymd"),  # 2012-10-16, 2026/01/15
    (r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b", "dmy"),  # 19/08/2021 (day first here)
    (r"\b(\d{4})\s*year\s*(\d{1,2})\s*month\s*(\d{1,2})\s*day", "ymd"),  # UMIN
    (rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", "mdy"),  # Oct 16, 2012
    (rf"\b(\d{{1,2}})\s+{_MONTH},?\s+(\d{{4}})\b", "dmy"),  # 16 October 2012
    (rf"\b{_MONTH},?\s+(\d{{4}})\b", "my"),  # September 2012
    (rf"\b(\d{{4}})-(\d{{1,2}})\b{_NOT_DIGIT_AFTER}", "ym"),  # 2024-03
    (rf"\b(\d{{4}})\b{_NOT_DIGIT_AFTER}", "y"),
]


def dates_in(text: str) -> set[str]:
    """ISO partial dates ("2012", "2012-10", "2012-10-16") for the dates written in the text."""
    found = set()
    for pattern, order in _DATE_PATTERNS:
        for match in re.finditer(pattern, text, re.IGNORECASE):
            parts = dict(zip(order, match.groups()))
            month = parts.get("m")
            if month is not None and not month.isdigit():
                month = _MONTHS[month.casefold().rstrip(".")]
            iso = parts["y"]
            if month is not None:
                iso += f"-{int(month):02d}"
            if parts.get("d") is not None:
                iso += f"-{int(parts['d']):02d}"
            found.add(iso)
    return found


def age_is_stated(years: float, text: str) -> bool:
    """The age appears as a number of years, months or weeks."""
    numbers = numbers_in(text)
    return any(abs(years * per_year - n) < 0.05 for per_year in (1, 12, 52) for n in numbers)


def country_is_stated(code: str, text: str) -> bool:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return False
    names = {country.name, getattr(country, "common_name", ""), getattr(country, "official_name", "")}
    names |= {alias for alias, alias_code in _COUNTRY_WORDS.items() if alias_code == code}
    return any(name and re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) for name in names)


_COUNTRY_WORDS = {"USA": "US", "U.S.": "US", "UK": "GB", "Russia": "RU", "Korea": "KR", "Taiwan": "TW"}

# Surface forms that show an enum value is stated. Lenient on purpose: this is
# a grounding check, not an extractor.
ENUM_SURFACE_FORMS: dict[str, dict[Any, list[str]]] = {
    "study_type": {
        "INTERVENTIONAL": [r"interventional"],
        "OBSERVATIONAL": [r"observational"],
        "EXPANDED_ACCESS": [r"expanded access"],
    },
    "phases": {
        "EARLY_PHASE1": [r"early phase ?(1|i)\b", r"phase 0"],
        "PHASE1": [r"phase ?(1|i)[ab]?\b"],
        "PHASE2": [r"phase ?(2|ii)[ab]?\b", r"phase ?(1|i)/(2|ii)"],
        "PHASE3": [r"phase ?(3|iii)[ab]?\b", r"phase ?(2|ii)/(3|iii)"],
        "PHASE4": [r"phase ?(4|iv)\b"],
        "NA": [r"not applicable", r"n/a"],
    },
    "allocation": {
        "RANDOMIZED": [r"randomi[sz]"],
        "NON_RANDOMIZED": [r"non-?randomi[sz]ed", r"not randomi[sz]ed"],
        "NA": [r"n/a", r"not applicable"],
    },
    "masking": {
        "NONE": [r"open[ -]?label", r"no masking", r"none \(open", r"no one is blinded", r"unblinded"],
        "SINGLE": [r"single[ -]?(blind|mask|\()"],
        "DOUBLE": [r"double[ -]?(blind|mask|\()"],
        "TRIPLE": [r"triple"],
        "QUADRUPLE": [r"quadruple"],
    },
    "intervention_model": {
        "SINGLE_GROUP": [r"single group", r"single[ -]arm"],
        "PARALLEL": [r"parallel"],
        "CROSSOVER": [r"cross-?over"],
        "FACTORIAL": [r"factorial"],
        "SEQUENTIAL": [r"sequential"],
    },
    "sex": {
        "ALL": [r"(sex|gender)s?\W+all\b", r"^\s*all\s*$", r"\bmales? (and|or) females?", r"\bmen (and|or) women\b", r"\bboth sexes\b"],
        "FEMALE": [r"female", r"\bwomen\b"],
        "MALE": [r"\bmale\b", r"\bmen\b"],
    },
    "recruitment_status": {
        "NOT_YET_RECRUITING": [r"not yet recruiting"],
        "RECRUITING": [r"recruiting"],
        "ENROLLING_BY_INVITATION": [r"by invitation"],
        "ACTIVE_NOT_RECRUITING": [r"not recruiting", r"no longer recruiting"],
        "SUSPENDED": [r"suspended"],
        "TERMINATED": [r"terminated", r"prematurely ended", r"stopped"],
        "COMPLETED": [r"complete"],
        "WITHDRAWN": [r"withdrawn"],
        "UNKNOWN": [r"unknown"],
    },
    "ipd_sharing": {value: [r"\bipd\b", r"individual participant data"] for value in ("YES", "NO", "UNDECIDED")},
    "healthy_volunteers": {value: [r"healthy"] for value in (True, False)},
    "intervention_type": {
        value: [re.escape(value.replace("_", " ").lower())]
        for value in ("DRUG", "DEVICE", "BIOLOGICAL", "PROCEDURE", "RADIATION", "BEHAVIORAL",
                      "GENETIC", "DIETARY_SUPPLEMENT", "COMBINATION_PRODUCT", "DIAGNOSTIC_TEST", "OTHER")
    },
    "arm_type": {
        "EXPERIMENTAL": [r"experimental"],
        "ACTIVE_COMPARATOR": [r"active comparator"],
        "PLACEBO_COMPARATOR": [r"placebo comparator"],
        "SHAM_COMPARATOR": [r"sham comparator"],
        "NO_INTERVENTION": [r"no intervention"],
        "OTHER": [r"other"],
    },
}


def enum_is_stated(field_name: str, value: Any, text: str) -> bool:
    forms = ENUM_SURFACE_FORMS[field_name].get(value, [])
    return any(re.search(form, text, re.IGNORECASE | re.MULTILINE) for form in forms)


def registry_id_is_stated(identifier: str, text: str) -> bool:
    """Ids are compared after removing spaces and hyphens (and, here, all punctuation).

    A plain substring test, whatever the length: pages glue ids to their labels
    ("Clinical Study IdentifierNCT04143984").
    """
    return bool(compact(identifier)) and compact(identifier) in compact(text)


# Fields whose values are free text, and the enum table for the rest.
TEXT_FIELDS = {
    "public_title", "scientific_title", "acronym", "primary_sponsor", "ethics_review",
    "conditions", "secondary_sponsors", "funders", "collaborators",
    "inclusion_criteria", "exclusion_criteria",
}
DATE_FIELDS = {"registration_date", "start_date", "primary_completion_date", "completion_date"}


def is_stated(field_name: str, value: Any, text: str) -> bool:
    """Whether one scalar value (or one element of a list field) is findable in the text."""
    if field_name in TEXT_FIELDS:
        return text_is_stated(value, text)
    if field_name in DATE_FIELDS:
        return value in dates_in(text)
    if field_name in ("min_age_years", "max_age_years"):
        return age_is_stated(value, text)
    if field_name == "target_enrollment":
        return float(value) in numbers_in(text)
    if field_name == "countries":
        return country_is_stated(value, text)
    if field_name == "registry_ids":
        return registry_id_is_stated(value["id"], text)
    if field_name in ENUM_SURFACE_FORMS:
        return enum_is_stated(field_name, value, text)
    raise KeyError(f"no findability rule for {field_name}")


# Object lists: which attribute is checked how. The first is the element's name.
OBJECT_ATTRIBUTES = {
    "interventions": {"name": "text", "type": "intervention_type", "description": "text"},
    "arms": {"label": "text", "type": "arm_type", "description": "text"},
    "sites": {"name": "text", "city": "text", "country": "countries"},
    "primary_outcomes": {"measure": "text", "time_frame": "text"},
    "secondary_outcomes": {"measure": "text", "time_frame": "text"},
    "contacts": {"name": "words", "role": "text", "affiliation": "text", "email": "text", "phone": "text"},
}


def words_are_stated(value: str, text: str) -> bool:
    """Every word appears somewhere: UMIN splits a name into '1st name ...' and 'Last name ...'."""
    return all(text_is_stated(word, text) for word in value.split())


def _attribute_is_stated(rule: str, value: Any, text: str) -> bool:
    if rule == "text":
        return text_is_stated(value, text)
    if rule == "words":
        return words_are_stated(value, text)
    return is_stated(rule, value, text)


def unstated_values(labels: dict, text: str) -> list[str]:
    """Every label value the simple check cannot find in the text, as 'field: value' lines."""
    missing = []
    for name in CONTRACT_KEYS:
        value = labels.get(name)
        if is_empty(value):
            continue
        if name in OBJECT_ATTRIBUTES:
            for item in value:
                for attribute, rule in OBJECT_ATTRIBUTES[name].items():
                    if not is_empty(item.get(attribute)) and not _attribute_is_stated(rule, item[attribute], text):
                        missing.append(f"{name}.{attribute}: {item[attribute]!r}")
        elif isinstance(value, list):
            missing.extend(f"{name}: {item!r}" for item in value if not is_stated(name, item, text))
        elif not is_stated(name, value, text):
            missing.append(f"{name}: {value!r}")
    return missing


# --------------------------------------------------------------------------- drafting


# Attributes an element cannot exist without (TrialRecord requires them).
REQUIRED_ATTRIBUTE = {"interventions": "name", "arms": "label", "primary_outcomes": "measure", "secondary_outcomes": "measure"}


def _stated_attributes(field_name: str, item: dict, text: str) -> dict:
    """The element with every attribute the text does not state set to None."""
    return {
        attribute: item.get(attribute)
        if not is_empty(item.get(attribute)) and _attribute_is_stated(rule, item[attribute], text)
        else None
        for attribute, rule in OBJECT_ATTRIBUTES[field_name].items()
    }


def draft_labels(record: TrialRecord, text: str) -> tuple[dict, list[str], list[str]]:
    """(labels, kept lines, dropped lines): the record reduced to what the text states."""
    full = record.model_dump(mode="json")
    labels: dict[str, Any] = {}
    kept, dropped = [], []
    for name in CONTRACT_KEYS:
        value = full.get(name)
        if is_empty(value):
            labels[name] = value
            continue
        if name in OBJECT_ATTRIBUTES:
            labels[name] = []
            for item in value:
                reduced = _stated_attributes(name, item, text)
                required = REQUIRED_ATTRIBUTE.get(name)
                if all(v is None for v in reduced.values()) or (required and reduced[required] is None):
                    dropped.append(f"{name}: {item!r}")
                else:
                    labels[name].append(reduced)
                    kept.append(f"{name}: {reduced!r}")
        elif isinstance(value, list):
            labels[name] = [item for item in value if is_stated(name, item, text)]
            kept.extend(f"{name}: {item!r}" for item in labels[name])
            dropped.extend(f"{name}: {item!r}" for item in value if item not in labels[name])
        elif is_stated(name, value, text):
            labels[name] = value
            kept.append(f"{name}: {value!r}")
        else:
            labels[name] = None
            dropped.append(f"{name}: {value!r}")
    labels = TrialRecord.model_validate(labels).model_dump(mode="json")
    return labels, kept, dropped


def _id_key(identifier: str) -> str:
    """A comparable form of a trial id: "2022-000099-20-DE" and "2022-000099-20" agree."""
    try:
        return compact(normalize.normalize_registry_id(identifier)[1])
    except ValueError:
        return compact(identifier)


def matching_record(corpus_root: Path, document: CorpusDocument) -> Optional[TrialRecord]:
    """The document's registry record as a TrialRecord, or None when it has none.

    Bundle files hold many records: the one whose main or secondary ids include the
    manifest's trial id is taken (manifest ids may be secondary ids, e.g. EudraCT).
    """
    if not document.record:
        return None
    from trialsift.pipeline.registry_records import load_registry_records  # only drafting needs it, not the checks

    wanted = _id_key(document.trial_id or "")
    candidates = load_registry_records(corpus_root / document.record)
    for candidate in candidates:
        ids = [candidate.trial_id, candidate.where] + [item.id for item in candidate.record.registry_ids]
        if wanted in {_id_key(identifier) for identifier in ids if identifier}:
            return candidate.record
    if len(candidates) == 1:
        return candidates[0].record
    raise LookupError(f"no record for {document.trial_id} in {document.record}")


def gold_skeleton(document: CorpusDocument, sha256: str, labels: dict) -> dict:
    return {
        "source": document.source,
        "sha256": sha256,
        "url": document.url,
        "kind": document.kind,
        "trial_id": document.trial_id,
        "record": document.record,
        "labels": labels,
        "conflicts": [],
        "notes": "DRAFT from derive_gold.py: review every value against the document",
    }


def draft(corpus_root: Path, document: CorpusDocument, write: bool, force: bool) -> None:
    text, sha256 = read_document(corpus_root, document.source)
    record = matching_record(corpus_root, document)
    print(f"== {document.source} ({document.kind}, record: {document.record or 'none'})")
    if record is None:
        labels = TrialRecord().model_dump(mode="json")
        print("   no registry record: label this document from its own text")
    else:
        labels, kept, dropped = draft_labels(record, text)
        for line in kept:
            print(f"   kept     {line[:150]}")
        for line in dropped:
            print(f"   dropped  {line[:150]}")
    gold_path = GOLD_DIR / f"{document.stem}.json"
    if gold_path.exists():
        reviewed = json.loads(gold_path.read_text(encoding="utf-8"))["labels"]
        differing = [name for name in CONTRACT_KEYS if reviewed.get(name) != labels.get(name)]
        print(f"   reviewed gold differs from the draft in: {', '.join(differing) or 'nothing'}")
    if write:
        if gold_path.exists() and not force:
            print(f"   not written: {gold_path.name} exists (use --force to replace it)")
        else:
            gold_path.write_text(
                json.dumps(gold_skeleton(document, sha256, labels), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            print(f"   wrote {gold_path.relative_to(REPO_ROOT)}")


def check(corpus_root: Path, documents: Iterable[CorpusDocument]) -> int:
    problems = 0
    for document in documents:
        gold_path = GOLD_DIR / f"{document.stem}.json"
        if not gold_path.exists():
            print(f"== {document.source}: no gold file")
            problems += 1
            continue
        text, _ = read_document(corpus_root, document.source)
        missing = unstated_values(json.loads(gold_path.read_text(encoding="utf-8"))["labels"], text)
        problems += len(missing)
        for line in missing:
            print(f"== {document.source}: not found: {line[:150]}")
    return problems


def default_corpus_root() -> Path:
    return REPO_ROOT.parent / "shared" / "corpus"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("documents", nargs="+", help="corpus paths like noisy/<file>.txt, or 'all'")
    parser.add_argument("--corpus", type=Path, default=default_corpus_root())
    parser.add_argument("--write", action="store_true", help="write eval/gold/<stem>.json")
    parser.add_argument("--force", action="store_true", help="with --write: replace an existing gold file")
    parser.add_argument("--check", action="store_true", help="report gold values not found in their document")
    args = parser.parse_args(argv)

    every_document = corpus_documents(args.corpus)
    if args.documents == ["all"]:
        chosen = every_document
    else:
        by_source = {document.source: document for document in every_document}
        unknown = [source for source in args.documents if source not in by_source]
        if unknown:
            parser.error(f"not in the corpus manifest or seeds: {', '.join(unknown)}")
        chosen = [by_source[source] for source in args.documents]

    if args.check:
        return 1 if check(args.corpus, chosen) else 0
    for document in chosen:
        draft(args.corpus, document, args.write, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())

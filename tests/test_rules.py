"""Tests for pipeline/rules.py: labelled patterns in, validated findings with exact evidence out.

Three layers: short labelled strings (table-driven), the seed documents, and every noisy
page of the real corpus, checked against its structured registry record where one exists
in a ClinicalTrials.gov format.
"""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from trialsift.pipeline.records import CleanText, Document
from trialsift.pipeline.rules import extract_rule_findings
from trialsift.schemas.trial import TrialRecord

# ---------------------------------------------------------------------------
# Helpers


def _identity_clean(text: str) -> CleanText:
    return CleanText(text=text, segments=((0, 0, len(text)),))


def _findings_for_text(text: str):
    document = Document(id="test", path="<test>", text=text)
    return extract_rule_findings(document, _identity_clean(text))


def _load(path: Path):
    data = path.read_bytes()
    text = data.decode("utf-8")
    document = Document(
        id=hashlib.sha256(data).hexdigest(), path=str(path), text=text, size_bytes=len(data)
    )
    return document, extract_rule_findings(document, _identity_clean(text))


def _values(findings, field: str) -> list:
    return [finding.value for finding in findings if finding.field == field]


def _seed(corpus_root: Path, number: str):
    (path,) = sorted((corpus_root / "seeds").glob(f"{number}_*.txt"))
    return _load(path)


def _manifest(corpus_root: Path) -> list[dict[str, str]]:
    with open(corpus_root / "noisy" / "manifest.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _id(registry: str, id_: str) -> tuple:
    """A registry id finding's value in the hashable form the CASES table uses."""
    return (("id", id_), ("registry", registry))


# ---------------------------------------------------------------------------
# Labelled strings: each case is a short text and the complete set of (field, value)
# pairs the rules must find in it. An empty set means "nothing": the cases that must
# not be read are as important as the ones that must.

CASES = [
    # ages
    ("Minimum Age: 18", {("min_age_years", 18.0)}),
    ("Maximum Age: 75", {("max_age_years", 75.0)}),
    ("Age-lower limit\n\n18 years-old <=", {("min_age_years", 18.0)}),
    ("Age-lower limit - 18 years-old <= Age-upper limit - Not applicable", {("min_age_years", 18.0)}),
    ("Age-upper limit\n\n\nNot applicable", set()),
    ("Age-upper limit - 65 years-old >", set()),  # strict comparator: inclusive or not is unstated
    ("Ages Eligible for Study: 18 Years to 75 Years (Adult, Older Adult)",
     {("min_age_years", 18.0), ("max_age_years", 75.0)}),
    ("Ages Eligible for Study: 18 Years and older", {("min_age_years", 18.0)}),
    ("Eligible Ages\n6 Months to 17 Years", {("min_age_years", 0.5), ("max_age_years", 17.0)}),
    ("18 years and older", {("min_age_years", 18.0)}),
    ("Ages\n\n18+ years old", {("min_age_years", 18.0)}),
    ("- Age\n- Adult · 18+ yrs", {("min_age_years", 18.0)}),
    ("  • Age > 18 years", set()),
    ("Age ≥ 18 and < 70 years of age", set()),
    ("Eligible Ages\nOver 18 Years", {("min_age_years", 18.0)}),
    ("Patients over 18 years", set()),
    ("  • Mean patient age: 61 years", set()),
    ("Patients aged 18 years or older at the time of consent.", set()),
    # enrollment
    ("Target sample size\n\n60", {("target_enrollment", 60)}),
    ("Target Size - 60", {("target_enrollment", 60)}),
    ("Enrollment: 352", {("target_enrollment", 352)}),
    ("Estimated Enrollment : 60 participants", {("target_enrollment", 60)}),
    ("Actual Enrollment : | 317 participants |", {("target_enrollment", 317)}),
    ("Target number of participants: 23", {("target_enrollment", 23)}),
    ("Trial size 264 participants", {("target_enrollment", 264)}),
    ("  • Total number of enrollees: 10,003", {("target_enrollment", 10003)}),
    ("N=91", {("target_enrollment", 91)}),
    ("Target enrollment:\n0", set()),  # a site artefact, not a planned size
    ("According to the plan, a total of 146 patients will be recruited.", set()),
    ("N=4037 nirsevimab (a single injection).", set()),
    # sex
    ("Sex: All", {("sex", "ALL")}),
    ("Gender - Male and Female", {("sex", "ALL")}),
    ("Sexes Eligible for Study: All", {("sex", "ALL")}),
    ("Gender: Both", {("sex", "ALL")}),
    ("- Sex\n- Female", {("sex", "FEMALE")}),
    ("  • Percentage female: 53%", set()),
    # phase
    ("Study Phase: Phase 2", {("phases", ("PHASE2",))}),
    ("Phase:\nPhase 3", {("phases", ("PHASE3",))}),
    ("Phase N/A", {("phases", ("NA",))}),
    ("Phase phase 3", {("phases", ("PHASE3",))}),
    ("Phase\nEarly phase I", {("phases", ("EARLY_PHASE1",))}),
    ("Phase 2/Phase 3", {("phases", ("PHASE2", "PHASE3"))}),
    ("Developmental phase\n\n\n\nAssessment", set()),
    ("A Single-Arm, Single-Center Phase II Trial", {("phases", ("PHASE2",))}),
    ("This single-arm, single-center phase II trial evaluates safety.", set()),
    ("    Phase 1 trials conducted solely on adults are not publicly available.", set()),
    ("Condition | Intervention | Phase |\n---|---|---|\nCovid19 | Drug: bamlanivimab | Phase 4 |",
     {("phases", ("PHASE4",)), ("interventions", (("description", None), ("name", "bamlanivimab"), ("type", "DRUG")))}),
    ("Condition or disease | Intervention/treatment | Phase |\n---|---|---|\n"
     "Chest Pain | Procedure: Stress Echocardiogram | Not Applicable |",
     {("phases", ("NA",)), ("interventions", (("description", None), ("name", "Stress Echocardiogram"), ("type", "PROCEDURE")))}),
    ("Condition | Phase |\n---|---|\nCovid19 |", set()),  # the row has no Phase cell
    # recruitment status
    ("Status: Recruiting", {("recruitment_status", "RECRUITING")}),
    ("Recruitment status - Open public recruiting", {("recruitment_status", "RECRUITING")}),
    ("Overall Status\nCompleted", {("recruitment_status", "COMPLETED")}),
    ("Recruitment Status : Completed", {("recruitment_status", "COMPLETED")}),
    ("Recruitment Status :\nTerminated\n(In April 2021 the authorisation was revoked.)",
     {("recruitment_status", "TERMINATED")}),
    ("Status\nActive (not recruiting)", {("recruitment_status", "ACTIVE_NOT_RECRUITING")}),
    ("Registration Status:\n\nRetrospective registration", set()),
    ("Trial Status:Ongoing", set()),  # EU CTR "Ongoing" does not say whether it recruits
    ("- Status\n- ot Recruiting", set()),  # cut-off text is not a status
    ("This trial is active, not recruiting.", {("recruitment_status", "ACTIVE_NOT_RECRUITING")}),
    ("This study is ongoing, but not recruiting participants.", {("recruitment_status", "ACTIVE_NOT_RECRUITING")}),
    ("This study has been completed.", {("recruitment_status", "COMPLETED")}),
    ("This study has been completed by 300 patients in 2019.", set()),
    ("We think this study is recruiting too slowly.", set()),
    # study type, allocation, masking, healthy volunteers
    ("Study Type: Interventional", {("study_type", "INTERVENTIONAL")}),
    ("Study type Observational", {("study_type", "OBSERVATIONAL")}),
    ("Study Type : | Interventional (Clinical Trial) |", {("study_type", "INTERVENTIONAL")}),
    ("Type of Trial |\nInterventional |", {("study_type", "INTERVENTIONAL")}),
    ("Allocation: Randomized", {("allocation", "RANDOMIZED")}),
    ("Randomization\n\nNon-randomized", {("allocation", "NON_RANDOMIZED")}),
    ("Randomization unit\n\nIndividual", set()),
    ("Masking: Double", {("masking", "DOUBLE")}),
    ("Study Design Allocation: Randomized;   Intervention Model: Parallel Assignment;   "
     "Masking: Double (Participant, Investigator);   Primary Purpose: Treatment",
     {("allocation", "RANDOMIZED"), ("masking", "DOUBLE")}),
    ("Masking: | None (Open Label) |", {("masking", "NONE")}),
    ("Healthy Volunteers: f", {("healthy_volunteers", False)}),
    ("Accepts Healthy Volunteers: No", {("healthy_volunteers", False)}),
    ("Accepts Healthy Volunteers?\nNo", {("healthy_volunteers", False)}),
    ("Volunteers\n\nNo Healthy Volunteers", {("healthy_volunteers", False)}),
    ("Conditions\nHealthy Volunteers\nInterventions", set()),
    # dates
    ("Registered date\n\n2026 Year 01 Month 15 Day", {("registration_date", "2026-01-15")}),
    ("Date of Registration:\n\n2020-05-08 ", {("registration_date", "2020-05-08")}),
    ("First Posted : September 17, 2015", {("registration_date", "2015-09-17")}),
    ("CTRI/2021/08/035815 [Registered on: 19/08/2021] Trial Registered Prospectively",
     {("registration_date", "2021-08-19"), ("registry_ids", _id("CTRI", "CTRI/2021/08/035815"))}),
    ("Anticipated trial start date - 2023 Year 10 Month 26 Day", {("start_date", "2023-10-26")}),
    ("Actual Study Start Date : | September 2015 |", {("start_date", "2015-09")}),
    ("Date of first enrolment: 2020-03-01", {("start_date", "2020-03-01")}),
    ("Trial start\n2022-08-08", {("start_date", "2022-08-08")}),
    ("Actual Primary Completion Date :\nNov 17, 2014", {("primary_completion_date", "2014-11-17")}),
    ("Estimated PCD\n2024-03-27", {("primary_completion_date", "2024-03-27")}),
    ("Study Completion Date: 2019", {("completion_date", "2019")}),
    ("  • End date\n    Dec 20, 2025", {("completion_date", "2025-12-20")}),
    ("Overall study end date\n31/12/2024", {("completion_date", "2024-12-31")}),
    ("Registration date\n06/07/2020", set()),  # day or month first? nothing in the text says
    ("Last update 12/25/2020\nRegistration date\n06/07/2020", {("registration_date", "2020-06-07")}),
    ("Submission date\n15/05/2023\nRegistration date\n06/07/2020", {("registration_date", "2020-07-06")}),
    ("Study Start Date : Se", set()),  # cut off by the excerpt
    ("Last follow-up date - 2027 Year 09 Month 30 Day", set()),
    ("Date of protocol fixation - 2023 Year 09 Month 11 Day", set()),
    ("Date of IRB - 2023 Year 10 Month 10 Day", set()),
    ("Date of disclosure of the study information 2026/01/15", set()),
    ("Results First Posted : August 17, 2020", set()),
    ("Recruitment end date\n31/12/2024", set()),
    ("The study start date was delayed by the pandemic.", set()),
    # registry ids
    ("Clinical Study IdentifierNCT04143984", {("registry_ids", _id("NCT", "NCT04143984"))}),
    ("  • ISRCTN Number\n\n    N/A", set()),
]


def _comparable(value):
    """Hashable form of a finding's value (lists -> tuples, dicts -> sorted item tuples)."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


@pytest.mark.parametrize("text, expected", CASES, ids=[case[0][:50] for case in CASES])
def test_labelled_strings(text, expected):
    found = {(f.field, _comparable(f.value)) for f in _findings_for_text(text)}
    assert found == expected


def test_every_value_is_one_the_record_accepts():
    """A finding's value goes into TrialRecord unchanged: it is already the stored form."""
    for text, _ in CASES:
        for finding in _findings_for_text(text):
            one_item = finding.field in ("registry_ids", "arms", "interventions")  # one list item per finding
            raw = [finding.value] if one_item else finding.value
            record = TrialRecord.model_validate({finding.field: raw})
            assert record.model_dump(mode="json")[finding.field] == raw


def test_methods_name_the_extractor():
    findings = _findings_for_text("Sex: All\nMinimum Age: 18\nNCT01234567")
    assert {f.method for f in findings} == {"rule:sex", "rule:ages", "rule:registry_ids"}


def test_evidence_spans_label_and_value():
    (finding,) = _findings_for_text("Eligibility\nMinimum Age: 18\n")
    assert finding.evidence.quote == "Minimum Age: 18"
    assert (finding.evidence.start, finding.evidence.end) == (12, 27)


@pytest.mark.parametrize("text, sex", [
    # a listing's facts strip gives who may take part beside the ages, one fact a line
    ("Recruiting\n18 years and older\nAll\nPhase N/A\n", "ALL"),
    ("Women\n\n40 Years to 75 Years\n", "FEMALE"),
    ("18 Years and older\n- Male\n", "MALE"),
    # alone, or beside anything but an age line, "All" or "Women" is no sex
    ("All\nPhase 2\n", None),
    ("Women\nHeart disease is the leading cause of death in women aged 40 and over.\n", None),
    ("18 years and older\n\nAll cancers\n", None),
])
def test_a_sex_badge_beside_an_age_badge_is_the_trials_sex(text, sex):
    assert _values(_findings_for_text(text), "sex") == ([sex] if sex else [])


def test_disagreeing_values_are_all_returned():
    findings = _findings_for_text("Actual Enrollment: 352 participants\nTrial size 264 participants")
    assert _values(findings, "target_enrollment") == [352, 264]


def test_windows_line_endings_read_the_same():
    findings = _findings_for_text("Status:\r\nCompleted\r\nAge-lower limit\r\n\r\n18 years-old <=\r\n")
    assert [(f.field, f.value) for f in findings] == [
        ("recruitment_status", "COMPLETED"), ("min_age_years", 18.0)]
    assert [f.evidence.quote for f in findings] == [
        "Status:\r\nCompleted", "Age-lower limit\r\n\r\n18 years-old <="]


def test_evidence_maps_back_through_the_clean_text():
    # The cleaner dropped a banner at the start: cleaned offsets differ from document offsets.
    raw = "Cookie banner text\nStatus: Recruiting\nSex: All"
    kept_from = raw.index("Status")
    clean = CleanText(text=raw[kept_from:], segments=((0, kept_from, len(raw) - kept_from),))
    findings = extract_rule_findings(Document(id="t", path="<t>", text=raw), clean)
    assert {f.field for f in findings} == {"recruitment_status", "sex"}
    for finding in findings:
        assert finding.evidence.quote == raw[finding.evidence.start : finding.evidence.end]
        assert finding.evidence.start >= kept_from
    assert [f.evidence.quote for f in findings] == ["Status: Recruiting", "Sex: All"]


# ---------------------------------------------------------------------------
# Seed documents


def test_seed_002_aggregator_page(corpus_root):
    _, findings = _seed(corpus_root, "002")
    assert _values(findings, "phases") and all(v == ["PHASE2"] for v in _values(findings, "phases"))
    assert _values(findings, "min_age_years") == [18.0]
    assert _values(findings, "max_age_years") == [75.0]
    assert _values(findings, "sex") == ["ALL"]
    assert _values(findings, "healthy_volunteers") == [False]
    assert set(_values(findings, "recruitment_status")) == {"RECRUITING"}  # its label, and its badge line
    assert _values(findings, "study_type") == ["INTERVENTIONAL"]
    assert _values(findings, "registry_ids") == []


def test_seed_001_umin_registry_page(corpus_root):
    _, findings = _seed(corpus_root, "001")
    assert _values(findings, "registry_ids") == [{"registry": "UMIN", "id": "UMIN000060367"}]
    assert _values(findings, "sex") == ["ALL"]
    assert _values(findings, "min_age_years") == [18.0]
    assert _values(findings, "max_age_years") == []  # "Age-upper limit: Not applicable"
    assert _values(findings, "target_enrollment") == [60]
    assert _values(findings, "study_type") == ["OBSERVATIONAL"]
    assert _values(findings, "recruitment_status") == ["RECRUITING"]
    assert _values(findings, "start_date") == ["2023-10-26"]
    assert _values(findings, "registration_date") == ["2026-01-15"]
    # Protocol fixation, IRB, last follow-up and analysis dates are none of the date fields.
    assert _values(findings, "completion_date") == []
    assert _values(findings, "primary_completion_date") == []
    # "Developmental phase" is empty on this page.
    assert _values(findings, "phases") == []


def test_seed_000_news_item_flattens_the_same_umin_record(corpus_root):
    _, findings = _seed(corpus_root, "000")
    assert _values(findings, "registry_ids") == [{"registry": "UMIN", "id": "UMIN000060367"}]
    assert _values(findings, "min_age_years") == [18.0]
    assert _values(findings, "max_age_years") == []
    assert _values(findings, "sex") == ["ALL"]
    assert _values(findings, "target_enrollment") == [60]
    assert _values(findings, "recruitment_status") == ["RECRUITING"]
    assert _values(findings, "start_date") == ["2023-10-26"]


def test_seed_004_end_date_and_no_prose_numbers(corpus_root):
    _, findings = _seed(corpus_root, "004")
    assert _values(findings, "registry_ids") == [{"registry": "NCT", "id": "NCT04143984"}]
    assert _values(findings, "completion_date") == ["2025-12-20"]
    assert _values(findings, "target_enrollment") == []  # "146 patients will be recruited" is prose
    assert _values(findings, "min_age_years") == []  # an inclusion criterion, left to the model


def test_seed_003_phase_not_applicable(corpus_root):
    _, findings = _seed(corpus_root, "003")
    assert _values(findings, "registry_ids") == [{"registry": "NCT", "id": "NCT05738187"}]
    assert _values(findings, "phases") == [["NA"]]


# ---------------------------------------------------------------------------
# Every noisy page


@pytest.fixture(scope="module")
def noisy_pages(corpus_root):
    """(manifest row, document, findings) for every noisy page."""
    return [(row, *_load(corpus_root / "noisy" / row["file"])) for row in _manifest(corpus_root)]


def test_noisy_pages_evidence_is_exact(noisy_pages):
    pages = noisy_pages
    assert len(pages) == 40
    total = 0
    for row, document, findings in pages:
        starts = [f.evidence.start for f in findings]
        assert starts == sorted(starts), row["file"]
        for finding in findings:
            evidence = finding.evidence
            assert evidence is not None and evidence.quote, (row["file"], finding)
            assert evidence.quote == document.text[evidence.start : evidence.end], (row["file"], finding)
            assert finding.method.startswith("rule:")
            total += 1
    assert total > 100  # the rules do read these pages, not just pass vacuously


def test_noisy_pages_never_give_enrollment_zero(corpus_root, noisy_pages):
    for row, _, findings in noisy_pages:
        assert 0 not in _values(findings, "target_enrollment"), row["file"]
    _, findings = _load(corpus_root / "noisy" / "clinicaltrialexchange-NCT02481830.txt")
    assert _values(findings, "target_enrollment") == []


def test_noisy_pages_known_traps(corpus_root):
    noisy = corpus_root / "noisy"
    _, hra = _load(noisy / "hra.nhs.uk-ISRCTN88261002.txt")
    assert all(v["registry"] != "ISRCTN" for v in _values(hra, "registry_ids"))  # "ISRCTN Number N/A"
    _, cut = _load(noisy / "clinicaltrials.gov-NCT01864876.txt")
    assert _values(cut, "start_date") == []  # "Study Start Date : Se" at the cut
    _, medpath_es = _load(noisy / "medpath-EUCTR2015-001097-18-ES.txt")
    assert _values(medpath_es, "recruitment_status") == []  # "ot Recruiting"
    assert _values(medpath_es, "target_enrollment") == [569]  # the page's value, not the record's
    _, optic = _load(noisy / "optic.convoke.bio-2022-000099-20-DE.txt")
    assert _values(optic, "phases") == [["EARLY_PHASE1"]]  # wrong on the page, but what it states
    _, isrctn = _load(noisy / "isrctn-ISRCTN17473621.txt")
    assert _values(isrctn, "registration_date") == ["2023-06-06"]


# ---------------------------------------------------------------------------
# Against the registry records (ClinicalTrials.gov formats only)

_CTGOV_FORMATS = ("legacy XML", "API v2 JSON", "API v1", "CTGOV (legacy XML as JSON)")


def _record_fields(corpus_root: Path, record_path: str, trial_id: str, format_name: str) -> dict:
    """The record's values for the fields the rules read, validated as TrialRecord values."""
    path = corpus_root / record_path
    if "legacy XML" in format_name and path.suffix == ".xml":
        root = ET.parse(path).getroot()
        legacy = {tag: root.findtext(tag) for tag in (
            "overall_status", "start_date", "primary_completion_date", "completion_date",
            "phase", "study_type", "enrollment")}
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "protocolSection" in data:  # API v2
            status = data["protocolSection"]["statusModule"]
            design = data["protocolSection"]["designModule"]
            raw = {
                "recruitment_status": status.get("overallStatus"),
                "start_date": status.get("startDateStruct", {}).get("date"),
                "primary_completion_date": status.get("primaryCompletionDateStruct", {}).get("date"),
                "completion_date": status.get("completionDateStruct", {}).get("date"),
                "phases": design.get("phases", []),
                "study_type": design.get("studyType"),
                "target_enrollment": design.get("enrollmentInfo", {}).get("count"),
            }
            return TrialRecord.model_validate(raw).model_dump()
        if "FullStudiesResponse" in data:  # API v1
            (study,) = [
                s["Study"]["ProtocolSection"] for s in data["FullStudiesResponse"]["FullStudies"]
                if s["Study"]["ProtocolSection"]["IdentificationModule"]["NCTId"] == trial_id
            ]
            status, design = study["StatusModule"], study["DesignModule"]
            raw = {
                "recruitment_status": status.get("OverallStatus"),
                "start_date": status.get("StartDateStruct", {}).get("StartDate"),
                "primary_completion_date": status.get("PrimaryCompletionDateStruct", {}).get(
                    "PrimaryCompletionDate"),
                "completion_date": status.get("CompletionDateStruct", {}).get("CompletionDate"),
                "phases": design.get("PhaseList", {}).get("Phase", []),
                "study_type": design.get("StudyType"),
                "target_enrollment": design.get("EnrollmentInfo", {}).get("EnrollmentCount"),
            }
            return TrialRecord.model_validate(raw).model_dump()
        legacy = data[trial_id]  # ctrdata CTGOV: the legacy XML keys as JSON
    raw = {
        "recruitment_status": legacy.get("overall_status"),
        "start_date": legacy.get("start_date"),
        "primary_completion_date": legacy.get("primary_completion_date"),
        "completion_date": legacy.get("completion_date"),
        "phases": legacy.get("phase") or [],  # "Phase 1/Phase 2" is one text for the normaliser
        "study_type": legacy.get("study_type"),
        "target_enrollment": legacy.get("enrollment"),
    }
    return TrialRecord.model_validate(raw).model_dump()


@pytest.fixture(scope="module")
def paired_ctgov_pages(corpus_root):
    """(manifest row, findings, record fields) for pages whose record is in a CT.gov format."""
    with open(corpus_root / "registry" / "INDEX.tsv", encoding="utf-8", newline="") as handle:
        index = {(r["file"], r["trial_id"]): r for r in csv.DictReader(handle, delimiter="\t")}
    paired = []
    for row in _manifest(corpus_root):
        if not row["record"]:
            continue
        record_file = row["record"].removeprefix("registry/")
        entry = index.get((record_file, row["trial_id"]))
        if entry is None or not any(name in entry["format"] for name in _CTGOV_FORMATS):
            continue
        _, findings = _load(corpus_root / "noisy" / row["file"])
        record = _record_fields(corpus_root, row["record"], row["trial_id"], entry["format"])
        paired.append((row, findings, record))
    return paired


def test_design_fields_match_the_registry_record(paired_ctgov_pages):
    """Phase and study type do not change over a trial's life: every page must agree."""
    compared = 0
    for row, findings, record in paired_ctgov_pages:
        for field in ("phases", "study_type"):
            for value in _values(findings, field):
                assert value == record[field], (row["file"], field)
                compared += 1
    assert compared >= 20


def test_ctgov_dumps_match_their_registry_record(paired_ctgov_pages):
    """A ClinicalTrials.gov page and a ClinicalTrials.gov record of the same trial agree on
    status, enrollment and dates (these differ legitimately on aggregators: see the corpus README)."""
    compared = 0
    fields = ("recruitment_status", "target_enrollment", "start_date",
              "primary_completion_date", "completion_date")
    for row, findings, record in paired_ctgov_pages:
        if "clinicaltrials.gov" not in row["url"]:
            continue
        for field in fields:
            for value in _values(findings, field):
                assert value == record[field], (row["file"], field, value, record[field])
                compared += 1
    assert compared >= 15


def test_enrollment_matches_the_record_where_pages_copy_it(paired_ctgov_pages):
    """Pages known to copy the record's count (the README lists the ones that do not)."""
    expected_from_record = {
        "crick.ai-NCT02552212.txt", "ctv.veeva-NCT01207388.txt", "acc.org-NCT01174550.txt",
        "clinicaltrials.gov-NCT01174550.txt", "classic.clinicaltrials.gov-NCT02552212.txt",
    }
    seen = set()
    for row, findings, record in paired_ctgov_pages:
        if row["file"] in expected_from_record:
            assert _values(findings, "target_enrollment") == [record["target_enrollment"]], row["file"]
            seen.add(row["file"])
    assert seen == expected_from_record


@pytest.mark.parametrize("text, field, expected", [
    ("Public title\n\nAn Observational Study of X\n\nAcronym\n\nNPC-PIT", "acronym", ["NPC-PIT"]),
    ("Public title\n\nAn Observational Study of X\n\nAcronym\n\nNPC-PIT", "public_title", ["An Observational Study of X"]),
    ("Official Title: | A Randomized Trial of Y |", "scientific_title", ["A Randomized Trial of Y"]),
    ("  • Full title\n\n    A multi-centre trial of Z", "scientific_title", ["A multi-centre trial of Z"]),
    ("Scientific Title:Acronym\nNPC-PIT", "acronym", ["NPC-PIT"]),
    ("Scientific Title:Acronym\nNPC-PIT", "scientific_title", []),  # the acronym's label, not the title's
    ("Official Title:\nBrief Summary:\nThe study ...", "scientific_title", []),  # a heading, not a title
    ("Acronym: Not available", "acronym", []),  # a placeholder
    ("The official title of the study was changed in 2020.", "scientific_title", []),  # prose
    ("Official title of the study was changed in 2020.", "scientific_title", []),  # prose at a line start
])
def test_labelled_titles(text, field, expected):
    assert _values(_findings_for_text(text), field) == expected


@pytest.mark.parametrize("text, expected", [
    ("Primary Sponsor: Institute - National Cancer Center Hospital East", ["National Cancer Center Hospital East"]),
    ("Sponsors\nLeads: Jiangxi Provincial Cancer Hospital", ["Jiangxi Provincial Cancer Hospital"]),
    ("Sponsor:\nBristol-Myers Squibb (Industry)", ["Bristol-Myers Squibb"]),
    ("Sponsor:\nCollaborator:\nParexel", []),  # an empty sponsor is followed by the next label
    ("The sponsor will pay for travel.", []),
])
def test_labelled_sponsor(text, expected):
    assert _values(_findings_for_text(text), "primary_sponsor") == expected



def _items(findings, field, key):
    return [(f.value[key], f.value["type"]) for f in findings if f.field == field]


@pytest.mark.parametrize("text, expected", [
    ("Arm | Intervention/treatment |\n---|---|\nExperimental: Arm A: Nivolumab\nNivolumab 3 mg/kg",
     [("Arm A: Nivolumab", "EXPERIMENTAL")]),
    ("Placebo Comparator: Placebo |\nDrug: Placebo", [("Placebo", "PLACEBO_COMPARATOR")]),
    ("  • Sham Comparator: Sham device", [("Sham device", "SHAM_COMPARATOR")]),
    ("Other: Placebo", []),  # "Other" types interventions too: which one it is cannot be told
    ("The experimental: arm was closed.", []),  # lower case is prose
    ("Arms were Experimental: A and B", []),  # not at the start of a line
])
def test_typed_arms(text, expected):
    assert _items(_findings_for_text(text), "arms", "label") == expected


@pytest.mark.parametrize("text, expected", [
    ("Chest Pain | Procedure: Coronary Angiography Procedure: Nuclear Stress Test | Not Applicable |",
     [("Coronary Angiography", "PROCEDURE"), ("Nuclear Stress Test", "PROCEDURE")]),
    ("Interventions Biological: Certolizumab Pegol\nOther: Placebo",
     [("Certolizumab Pegol", "BIOLOGICAL"), ("Placebo", "OTHER")]),
    ("• Dietary Supplement: Vitamin D3", [("Vitamin D3", "DIETARY_SUPPLEMENT")]),
    ("Biological: Nivolumab\nOther Names:\n  • BMS-936558", [("Nivolumab", "BIOLOGICAL")]),
    ("Use of standard equipment Procedure: Nuclear Stress Test", []),  # a description, then an item: not a list start
    ("Drug: ", []),
])
def test_typed_interventions(text, expected):
    assert _items(_findings_for_text(text), "interventions", "name") == expected


def test_secondary_ids_are_read_under_their_labels_without_the_issuing_body():
    text = ("IRAS number 277021\nSecondary identifying numbers 20011, CPMS 44839, IRAS 277021\n"
            "Study subject ID:\n\n2020-YJ012\nTrial identifier NCT01642004, 2011-004792-36, CA209-017\n"
            "Secondary IDs: N/A\nOther Study ID Numbers: see the sponsor's code A1\n")
    ids = [(f.value["registry"], f.value["id"]) for f in _findings_for_text(text) if f.field == "registry_ids"]
    assert sorted(set(ids)) == sorted({("OTHER", "277021"), ("OTHER", "20011"), ("OTHER", "44839"),
                                       ("OTHER", "2020-YJ012"), ("NCT", "NCT01642004"),
                                       ("EUDRACT", "2011-004792-36"), ("OTHER", "CA209-017")})
    for finding in _findings_for_text(text):
        assert finding.evidence.quote in text


@pytest.mark.parametrize("text, expected", [
    ("Sponsor protocol code |\nABC-Mono-02\n|", [("OTHER", "ABC-Mono-02")]),
    ("Sponsor's Protocol Number: XY 1234", [("OTHER", "XY 1234")]),
    ("Sponsor protocol code number: ABC-12", [("OTHER", "ABC-12")]),  # the longest label, not "... code"
    ("Trial Phases: Phase I Protocol IDs: KQ5001-20 (primary)", [("OTHER", "KQ5001-20")]),
    ("Unique Protocol ID: 2019-0457", [("OTHER", "2019-0457")]),
    ("Org Study ID: B7981015\nSecondary IDs: 2018-001234-56 (EudraCT)", [("OTHER", "B7981015"),
                                                                      ("EUDRACT", "2018-001234-56")]),
    ("Secondary IDs: CA209-017, 12345 (NIH)", [("OTHER", "CA209-017"), ("OTHER", "12345")]),
    # a spaced code of capitals and digits under an id label is one id
    ("Study subject ID:\n\nXYZ RC/AB/4/7\n", [("OTHER", "XYZ RC/AB/4/7")]),
    # the number an ethics board or an institution gives the study, under its own label
    ("IRB Study Number 21-0457\nStatus Recruiting\n", [("OTHER", "21-0457")]),
    ("IRB Project Number:\nPRJ00012345\nDescription\n", [("OTHER", "PRJ00012345")]),
    ("Acme study ID\n204512\n", [("OTHER", "204512")]),
    ("Study code: XYZ-301\n", [("OTHER", "XYZ-301")]),
    ("IDENTIFICADOR 2019-001234-56.\n", [("EUDRACT", "2019-001234-56")]),
    ("Codice protocollo: ABC/2020/07\n", [("OTHER", "ABC/2020/07")]),
    # a sentence about study numbers, or a label with no code, is no id
    ("Study IDs are assigned at enrolment.\n", []),
    ("Study code: see the consent form\n", []),
    # a protocol's version or a sentence about it is no id
    ("Protocol number: not applicable", []),
    ("The protocol code was approved by the ethics committee in 2019.", []),
    ("Protocol version 2.0, dated 12 March 2019", []),
    ("Secondary IDs: version 2 of 2019", []),  # words in lower case: a phrase, not a code
])
def test_the_sponsors_protocol_code_is_an_other_id(text, expected):
    ids = [(f.value["registry"], f.value["id"]) for f in _findings_for_text(text) if f.field == "registry_ids"]
    assert sorted(set(ids)) == sorted(expected)


def test_classic_clinicaltrials_gov_heading_is_the_brief_title_with_its_acronym():
    text = ("ClinicalTrials.gov\nTrial record 1 of 1 for:    NCT02505542\n\n"
            "Study to Evaluate Maintenance of Sustained Remission of axSpA With CZP Compared to Placebo (C-OPTIMISE)\n\n"
            "ClinicalTrials.gov Identifier: NCT02505542\nRecruitment Status : Completed\n")
    found = {(f.field, f.value, f.evidence.quote) for f in _findings_for_text(text) if f.method == "rule:ctgov_title"}
    title = "Study to Evaluate Maintenance of Sustained Remission of axSpA With CZP Compared to Placebo"
    assert found == {("public_title", title, title), ("acronym", "C-OPTIMISE", "C-OPTIMISE")}
    # the line above the identifier is a field's value here, not the page heading
    text = "Sponsor:\nInformation provided by (Responsible Party):\nAmgen Research (Munich) GmbH\n" \
           "ClinicalTrials.gov Identifier:\nNCT01207388\n"
    assert not [f for f in _findings_for_text(text) if f.method == "rule:ctgov_title"]


@pytest.mark.parametrize("line", [
    # separators lost, as an aggregator copies it
    "- Relapsed Small Cell Lung CancerMedDRA version: 18.1Level: PTClassification code 10041068Term: Small cell lung "
    "cancer extensive stageSystem Organ Class: 10029104 - Neoplasms benign, malignant and unspecifiedMedDRA version: "
    "18.1Level: PTClassification code 10041069Term: Small cell lung cancer limited stageSystem Organ Class: 10029104",
    # as WHO ICTRP exports it
    "Health condition(s) or problem(s) studied: Relapsed Small Cell Lung Cancer;MedDRA version: 18.1;Level: PT;"
    "Classification code 10041068;Term: Small cell lung cancer extensive stage;System Organ Class: 10029104 - "
    "Neoplasms;MedDRA version: 18.1;Level: PT;Classification code 10041069;Term: Small cell lung cancer limited stage",
])
def test_an_eu_ctr_meddra_condition_block_gives_its_condition_and_each_term(line):
    findings = _findings_for_text(f"Conditions\n{line}\nRegistration Number\n")
    assert _values(findings, "conditions") == [
        "Relapsed Small Cell Lung Cancer", "Small cell lung cancer extensive stage", "Small cell lung cancer limited stage"]
    for finding in findings:
        assert finding.evidence.quote == finding.value


def test_chictr_role_labels_give_contacts_each_person_once():
    text = ("申请注册联系人:\n\nApplicant:\n\nXijing He \n\n研究负责人:\n\nStudy leader:\n\nXijing He \n\n"
            "Study leader's telephone:\n\n+86 17729109026 \n")
    assert _values(_findings_for_text(text), "contacts") == [
        {"name": "Xijing He", "role": "Applicant", "affiliation": None, "email": None, "phone": None}]
    text = "Applicant:\n\nFang Ge\n\nStudy leader:\n\nHu Zhi-xi\n\nApplicant: the ethics committee of the university\n"
    assert [c["name"] for c in _values(_findings_for_text(text), "contacts")] == ["Fang Ge", "Hu Zhi-xi"]


@pytest.mark.parametrize("text,expected", [
    ("Pilot Study of Drug X\n\nRecruiting\n18 years and older\n", ["RECRUITING"]),  # a badge under the title
    ("- Active, not recruiting\n", ["ACTIVE_NOT_RECRUITING"]),
    ("Recruiting in Palo Alto (17 mi)\n", []),  # a line that says more is not a badge
    ("We are recruiting now.\nCompleted questionnaires are returned by post.\n", []),
])
def test_a_line_that_is_only_a_status_is_the_status(text, expected):
    assert _values(_findings_for_text(text), "recruitment_status") == expected


def test_an_empty_field_is_not_given_the_next_fields_label_and_value():
    # the next line is another field ("Status: Completed"), not this one's value ...
    findings = _findings_for_text("Acronym:\nStatus: Completed\nPublic title\nPhase 2 study of zorvimab in chronic cough\n")
    assert _values(findings, "acronym") == []
    assert _values(findings, "recruitment_status") == ["COMPLETED"]
    # ... but a value may start with a label's word
    assert _values(findings, "public_title") == ["Phase 2 study of zorvimab in chronic cough"]


@pytest.mark.parametrize("tag, other", [("\u65e5\u672c\u8a9e", "\u82f1\u8a9e"), ("English", "Japanese"), ("\u4e2d\u6587", "English")])
def test_a_bilingual_registrys_language_row_tag_is_not_the_value(tag, other):
    """Bilingual registries tag each value's row with its language ("日本語" then the Japanese
    value, "英語" then the English one): the value is the line after the tag."""
    text = f"Acronym\n\n{tag}\nZORVI-2\n\n{other}\nZORVI-2 study\nPublic title\n{tag}\nA study of zorvimab\n"
    findings = _findings_for_text(text)
    assert _values(findings, "acronym") == ["ZORVI-2"]
    assert _values(findings, "public_title") == ["A study of zorvimab"]


@pytest.mark.parametrize("text, first", [
    # recruitment has ended, and the trial too: the trial's state is its status, in either order
    ("Recruitment status\nNo longer recruiting\nOverall study status\nCompleted\n", "COMPLETED"),
    ("Overall status: Terminated\nRecruitment status: Active, not recruiting\n", "TERMINATED"),
    ("Status: Recruiting\nRecruitment: Not yet recruiting\n", "RECRUITING"),
    # one status, or the same one twice: as stated
    ("Recruitment status: No longer recruiting\n", "ACTIVE_NOT_RECRUITING"),
    ("Status: Recruiting\nOverall status: Recruiting\n", "RECRUITING"),
])
def test_of_two_statuses_the_one_furthest_along_the_trials_life_is_kept(text, first):
    statuses = _values(_findings_for_text(text), "recruitment_status")
    assert set(statuses) == {first}

"""Registry record files -> TrialRecords, checked against the real corpus files.

Expected values were read from the registry files by hand (see the comments),
not produced by the code under test.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialsift.pipeline.registry_records import (
    find_registry_record,
    inline_criteria_text,
    load_registry_records,
    sniff_registry_format,
    split_criteria,
)

# INDEX.tsv's format column -> what sniff_registry_format says about the file.
INDEX_FORMATS = {
    "ClinicalTrials.gov API v2 JSON": "ctgov_v2",
    "ClinicalTrials.gov API v1 (FullStudiesResponse)": "ctgov_v1",
    "ClinicalTrials.gov legacy XML (clinical_study)": "ctgov_xml",
}


@pytest.fixture(scope="module")
def registry_dir(corpus_root) -> Path:
    return corpus_root / "registry"


@pytest.fixture(scope="module")
def index_rows(registry_dir) -> list[dict]:
    with open(registry_dir / "INDEX.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def loaded(registry_dir, index_rows) -> dict[str, list]:
    """Every registry file named in INDEX.tsv, loaded once: file name -> records."""
    return {name: load_registry_records(registry_dir / name) for name in {row["file"] for row in index_rows}}


def _record(loaded, file_name, where="(whole file)"):
    matches = [r for r in loaded[file_name] if r.where == where]
    assert len(matches) == 1, (file_name, where, [r.where for r in loaded[file_name]])
    return matches[0]


def _ids(record):
    return {(rid.registry, rid.id) for rid in record.secondary_ids}


# ---------------------------------------------------------------------------
# Every INDEX.tsv row loads
# ---------------------------------------------------------------------------


def test_every_index_row_loads_with_its_trial_id(loaded, index_rows):
    rows_by_file = defaultdict(list)
    for row in index_rows:
        rows_by_file[row["file"]].append(row)
    assert len(index_rows) == 160  # README: 38 data files holding 160 trial records
    assert len(rows_by_file) == 38
    for file_name, rows in rows_by_file.items():
        records = loaded[file_name]
        assert len(records) == len(rows), file_name
        expected = {(row["where_in_file"], row["trial_id"], row["registry"]) for row in rows}
        assert {(r.where, r.trial_id, r.registry) for r in records} == expected, file_name


def test_main_id_comes_first_and_secondary_ids_are_the_rest(loaded):
    for records in loaded.values():
        for result in records:
            ids = result.record.registry_ids
            assert ids and ids[0].id == result.trial_id, (result.trial_id, ids[:1])
            assert result.secondary_ids == ids[1:]


# Legacy XML element -> the field it fills. N/A-valued elements are "not stated".
XML_FIELDS = {
    "brief_title": "public_title",
    "official_title": "scientific_title",
    "acronym": "acronym",
    "condition": "conditions",
    "phase": "phases",
    "study_type": "study_type",
    "study_design_info/allocation": "allocation",
    "study_design_info/masking": "masking",
    "study_design_info/intervention_model": "intervention_model",
    "intervention": "interventions",
    "arm_group": "arms",
    "sponsors/lead_sponsor/agency": "primary_sponsor",
    "sponsors/collaborator": "collaborators",
    "location": "sites",
    "enrollment": "target_enrollment",
    "eligibility/minimum_age": "min_age_years",
    "eligibility/maximum_age": "max_age_years",
    "eligibility/gender": "sex",
    "eligibility/healthy_volunteers": "healthy_volunteers",
    "overall_status": "recruitment_status",
    "study_first_submitted": "registration_date",
    "start_date": "start_date",
    "primary_completion_date": "primary_completion_date",
    "completion_date": "completion_date",
    "primary_outcome": "primary_outcomes",
    "secondary_outcome": "secondary_outcomes",
    "eligibility/criteria/textblock": "inclusion_criteria",
    "overall_official": "contacts",
    "patient_data/sharing_ipd": "ipd_sharing",
}


def test_every_stated_xml_field_is_filled_or_reported(loaded, registry_dir):
    """Nothing the XML states is silently left out: it is filled, or a problem says why not."""
    checked = 0
    for file_name, records in loaded.items():
        if not file_name.endswith(".xml"):
            continue
        root = ElementTree.parse(registry_dir / file_name).getroot()
        result = records[0]
        for path, field_name in XML_FIELDS.items():
            element = root.find(path)
            if element is None or "".join(element.itertext()).strip() in ("", "N/A"):
                continue
            checked += 1
            value = getattr(result.record, field_name)
            assert value not in (None, []) or any(p.startswith(field_name) for p in result.problems), (
                file_name,
                field_name,
            )
    assert checked > 300


def test_sniff_names_the_format_of_every_registry_file(registry_dir, index_rows):
    for row in index_rows:
        expected = INDEX_FORMATS.get(row["format"], "ctrdata")
        path = registry_dir / row["file"]
        assert sniff_registry_format(path) == expected, row["file"]
        assert sniff_registry_format(str(path)) == expected
        assert sniff_registry_format(path.read_text(encoding="utf-8")) == expected


# ---------------------------------------------------------------------------
# Spot checks per format, with values read from the files
# ---------------------------------------------------------------------------


def test_legacy_xml_nct01642004(loaded):
    result = _record(loaded, "NCT01642004.xml")
    record = result.record
    assert result.format == "ctgov_xml"
    assert record.target_enrollment == 352  # <enrollment type="Actual">352
    assert record.start_date == "2012-09-26"  # September 26, 2012
    assert record.registration_date == "2012-07-09"  # study_first_submitted July 9, 2012
    assert record.primary_completion_date == "2014-11-17"
    assert record.phases == ["PHASE3"]
    assert record.masking == "NONE"  # "None (Open Label)" is a value here, not "not stated"
    assert record.allocation == "RANDOMIZED"
    assert record.recruitment_status == "ACTIVE_NOT_RECRUITING"
    assert record.primary_sponsor == "Bristol-Myers Squibb"
    assert (record.sex, record.min_age_years, record.max_age_years) == ("ALL", 18.0, None)  # max "N/A"
    assert record.healthy_volunteers is False
    assert _ids(result) == {("OTHER", "CA209-017"), ("EUDRACT", "2011-004792-36")}
    assert [(i.name, i.type) for i in record.interventions] == [
        ("Nivolumab", "BIOLOGICAL"),
        ("Docetaxel", "DRUG"),
    ]
    assert "US" in record.countries and "GB" in record.countries
    assert record.sites[0].name == "Mayo Clinic Arizona" and record.sites[0].country == "US"
    # The wrapped bullet is one criterion; the line before "Inclusion Criteria:" is a preamble.
    assert record.inclusion_criteria[0] == "Men and women ≥18 years of age"
    assert "Subjects with carcinomatous meningitis" in record.exclusion_criteria
    assert not any("BMSStudyConnect" in c for c in record.inclusion_criteria + record.exclusion_criteria)
    assert {c.role for c in record.contacts} == {"STUDY_DIRECTOR"}


def test_legacy_xml_nct02481830_eudract_secondary_id(loaded):
    result = _record(loaded, "NCT02481830.xml")
    assert ("EUDRACT", "2015-001097-18") in _ids(result)
    assert result.record.target_enrollment == 803
    assert result.record.start_date == "2015-08-28"


def test_api_v2_nct02552212(loaded):
    result = _record(loaded, "NCT02552212.json")
    record = result.record
    assert result.format == "ctgov_v2"
    assert ("EUDRACT", "2015-001894-41") in _ids(result)  # secondaryIdInfos, type EUDRACT_NUMBER
    assert ("OTHER", "AS0006") in _ids(result)  # orgStudyIdInfo
    assert record.acronym == "C-AXSPAND"
    assert record.target_enrollment == 317
    assert record.start_date == "2015-09"  # stated to the month only
    assert record.registration_date == "2015-09-15"
    assert (record.phases, record.masking, record.intervention_model) == (["PHASE3"], "QUADRUPLE", "PARALLEL")
    assert ("Placebo", "PLACEBO_COMPARATOR") in [(a.label, a.type) for a in record.arms]
    assert record.primary_sponsor == "UCB BIOSCIENCES GmbH"
    assert record.primary_outcomes[0].time_frame == "Week 52"
    # Markdown escapes are undone: the file says "\>= 4".
    assert (
        "Bath Ankylosing Spondylitis Disease Activity Index (BASDAI) score >= 4" in record.inclusion_criteria
    )
    assert record.exclusion_criteria[0] == "Diagnosis of AS or any other Inflammatory Arthritis"


def test_api_v2_fixture_quirk_file_holds_another_trial(loaded):
    quirk = _record(loaded, "NCT02278341.json")
    assert quirk.trial_id == "NCT02552212"
    assert quirk.record == _record(loaded, "NCT02552212.json").record


def test_api_v1_bundle_nct04656691(loaded):
    result = _record(loaded, "covid-19-search.json", "FullStudiesResponse.FullStudies[70]")
    record = result.record
    assert result.trial_id == "NCT04656691"
    assert record.acronym == "UNITED"
    assert record.recruitment_status == "TERMINATED"
    assert record.phases == ["PHASE4"]
    assert record.allocation == "NA"  # "N/A" for a single-group study is a value
    assert record.target_enrollment == 139
    assert record.start_date == "2021-01-04"  # "January 4, 2021"
    assert record.min_age_years == 65.0
    assert record.healthy_volunteers is True  # "Accepts Healthy Volunteers"


@pytest.mark.parametrize(
    "trial_id, phases, enrollment, start, min_age, max_age",
    [
        ("NCT00023673", ["PHASE1", "PHASE2"], 63, "2001-07", None, None),  # XML: "Phase 1/Phase 2"
        ("NCT02028676", ["PHASE4"], 1206, "2007-03", 0.25, 17.0),  # "3 Months" to "17 Years"
    ],
)
def test_same_trial_in_v1_json_and_xml_agrees(loaded, trial_id, phases, enrollment, start, min_age, max_age):
    from_json = _record(loaded, f"{trial_id}.json", "FullStudiesResponse.FullStudies[0]").record
    from_xml = _record(loaded, f"{trial_id}.xml").record
    for record in (from_json, from_xml):
        assert record.phases == phases
        assert record.target_enrollment == enrollment
        assert record.start_date == start
        assert record.sex == "ALL"
        if min_age is None:
            assert record.min_age_years is None
        else:
            assert record.min_age_years == pytest.approx(min_age)
        assert record.max_age_years == max_age
    assert from_json.registry_ids == from_xml.registry_ids
    assert from_json.inclusion_criteria == from_xml.inclusion_criteria


def test_ctrdata_ctis_record(loaded):
    result = _record(loaded, "demo_trials.json", "2022-500244-37-00")
    record = result.record
    assert (result.trial_id, result.registry, result.format) == ("2022-500244-37-00", "CTIS", "ctrdata")
    assert record.registry_ids[0].registry == "CTIS"
    assert record.phases == ["PHASE2"]  # "Therapeutic exploratory (Phase II)"
    assert record.target_enrollment == 150
    assert record.sex == "ALL"  # "Male, Female"
    assert record.primary_sponsor == "Kinarus AG"
    assert record.countries == ["DE"]
    assert record.recruitment_status == "NOT_YET_RECRUITING"  # "Authorised, not started"
    assert record.scientific_title.startswith(
        "A 4-week double-blind, randomized, placebo-controlled, phase II"
    )
    assert record.inclusion_criteria and record.exclusion_criteria


def test_ctrdata_ctis_newer_export_shape(loaded):
    result = _record(loaded, "demo_trials.json", "2024-510663-34-00")
    record = result.record
    assert _ids(result) == {("EUDRACT", "2019-001588-63"), ("NCT", "NCT04494412")}
    assert record.registration_date == "2024-04-24"  # earliest decision, "ES: 24/04/2024, IT: 23/10/2024"
    assert record.countries == ["ES", "IT"]
    assert record.recruitment_status is None  # the export gives only a numeric status code


def test_ctrdata_isrctn_elfin(loaded):
    result = _record(loaded, "demo_trials.json", "88261002")
    record = result.record
    assert (result.trial_id, result.registry) == ("ISRCTN88261002", "ISRCTN")
    assert record.acronym == "ELFIN"
    assert _ids(result) == {("EUDRACT", "2012-004260-22"), ("OTHER", "ELFIN01")}
    assert record.target_enrollment == 2200
    assert record.phases == ["PHASE3"]
    assert record.countries == ["GB"]  # "United Kingdom" and "England"
    assert record.ipd_sharing == "NO"
    assert record.start_date == "2013-09-01"
    assert record.completion_date == "2018-05-31"
    assert record.exclusion_criteria[0] == "Infants with severe congenital anomalies"
    assert len(record.exclusion_criteria) == 3
    assert len(record.secondary_outcomes) == 9  # a numbered list of nine
    assert record.ethics_review.startswith("National Research Ethics Service")


def test_ctrdata_isrctn_placeholders_are_not_ids(loaded):
    result = _record(loaded, "demo_trials.json", "17473621")
    assert result.secondary_ids == []  # every secondary number is "Nil known"
    assert result.record.min_age_years == pytest.approx(2 / 365.25)  # "2 Days"


def test_ctrdata_euctr_harmonie(loaded):
    result = _record(loaded, "demo_trials.json", "2022-000099-20-DE")
    record = result.record
    assert (result.trial_id, result.registry) == ("2022-000099-20", "EUCTR")
    assert record.acronym == "HARMONIE"
    assert record.phases == ["PHASE3"]  # E.7.3 therapeutic confirmatory: Yes
    assert (record.allocation, record.masking) == ("RANDOMIZED", "NONE")
    assert ("NCT", "NCT05437510") in _ids(result)
    assert set(record.countries) == {"DE", "GB", "FR"}
    assert record.target_enrollment == 28860
    assert record.healthy_volunteers is True
    assert record.registration_date == "2022-03-29"
    assert len(record.inclusion_criteria) == 3  # "- A - B - C" flattened by the export


def test_ctrdata_ctgov_text_is_repaired(loaded):
    result = _record(loaded, "demo_trials.json", "NCT03325556")
    record = result.record
    assert ("EUDRACT", "2017-002227-13") in _ids(result)
    assert "Has an MMSE score ≥6 and ≤24" in record.inclusion_criteria  # stored as "â‰¥6"
    assert any("Parkinson's disease" in c for c in record.inclusion_criteria)  # stored as "&apos;"
    assert record.target_enrollment == 392


def test_ctrdata_ctgov2_record(loaded):
    result = _record(loaded, "demo_trials.json", "NCT00567567")
    assert (result.registry, result.record.target_enrollment) == ("CTGOV2", 665)
    assert result.record.collaborators == ["National Cancer Institute (NCI)"]


def test_a_value_that_fails_validation_costs_only_that_field(loaded):
    result = _record(loaded, "NCT01220531.xml")  # overall_status "Available" (expanded access)
    assert result.record.recruitment_status is None
    assert any(problem.startswith("recruitment_status") for problem in result.problems)
    assert result.record.public_title == "Thymus Transplantation Safety-Efficacy"
    assert result.record.inclusion_criteria


def test_find_registry_record(corpus_root):
    elfin = find_registry_record(corpus_root, "ISRCTN88261002")
    assert (elfin.trial_id, elfin.where) == ("ISRCTN88261002", "88261002")
    harmonie = find_registry_record(corpus_root, "2022-000099-20-DE")
    assert (harmonie.trial_id, harmonie.where) == ("2022-000099-20", "2022-000099-20-DE")
    assert find_registry_record(corpus_root, "EUCTR2022-000099-20-DE").where == "2022-000099-20-DE"
    # Two files hold NCT02552212: the one named after it wins.
    assert Path(find_registry_record(corpus_root, "NCT02552212").path).name == "NCT02552212.json"
    bundled = find_registry_record(corpus_root, "nct04656691")
    assert bundled.where == "FullStudiesResponse.FullStudies[70]"
    assert find_registry_record(corpus_root, "NCT99999999") is None
    assert find_registry_record(corpus_root, "2024-510663-34-01") is None  # CTIS suffixes are part of the id


def test_api_v2_search_page_loads_every_study(registry_dir, tmp_path):
    studies = [
        json.loads((registry_dir / name).read_text(encoding="utf-8"))
        for name in ("NCT02552212.json", "NCT00763412.json")
    ]
    page = tmp_path / "search.json"
    page.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    assert sniff_registry_format(page) == "ctgov_v2"
    records = load_registry_records(page)
    assert [(r.where, r.trial_id) for r in records] == [
        ("studies[0]", "NCT02552212"),
        ("studies[1]", "NCT00763412"),
    ]


def test_load_refuses_a_file_that_is_not_a_registry_record(corpus_root):
    with pytest.raises(ValueError):
        load_registry_records(corpus_root / "registry" / "INDEX.tsv")


# ---------------------------------------------------------------------------
# sniff_registry_format on everything else
# ---------------------------------------------------------------------------


def test_sniff_returns_none_for_noisy_pages_and_seeds(corpus_root, samples_dir):
    paths = sorted((corpus_root / "noisy").glob("*.txt")) + sorted((corpus_root / "seeds").iterdir())
    paths += sorted(samples_dir.glob("*.txt")) + sorted((corpus_root / "criteria" / "chia").glob("*"))[:20]
    assert len(paths) >= 45
    for path in paths:
        assert sniff_registry_format(path) is None, path.name
        assert sniff_registry_format(path.read_text(encoding="utf-8", errors="replace")) is None, path.name


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        b'{"protocolSection": {}}',
        "",
        "{",
        "<",
        "[]",
        '{"a": 1}',
        "<clinical_studies/>",
        '[{"protocolSection": {"identificationModule": {}}}]',
        "/no/such/file.json",
        Path("/no/such/file.xml"),
    ],
)
def test_sniff_returns_none_for_junk(value, tmp_path):
    assert sniff_registry_format(value) is None
    assert sniff_registry_format(tmp_path) is None  # a directory


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_sniff_never_raises(text):
    assert sniff_registry_format(text) in (None, "ctgov_v2", "ctgov_v1", "ctgov_xml", "ctrdata")


def test_sniff_recognises_minimal_records():
    assert sniff_registry_format('<?xml version="1.0"?>\n<clinical_study rank="1"><id_info/>') == "ctgov_xml"
    assert sniff_registry_format('{"FullStudiesResponse": {"FullStudies": []}}') == "ctgov_v1"
    assert sniff_registry_format('{"protocolSection": {"identificationModule": {}}}') == "ctgov_v2"
    assert (
        sniff_registry_format('{"studies": [{"protocolSection": {"identificationModule": {}}}]}')
        == "ctgov_v2"
    )
    assert sniff_registry_format('{"12345678": {"isrctn": "12345678", "ctrname": "ISRCTN"}}') == "ctrdata"


# ---------------------------------------------------------------------------
# split_criteria
# ---------------------------------------------------------------------------


def _chia_trials(corpus_root) -> list[str]:
    chia = corpus_root / "criteria" / "chia"
    return sorted(p.name[: -len("_inc.txt")] for p in chia.glob("*_inc.txt"))


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _is_line_less_marker(criterion: str, line: str) -> bool:
    """The criterion is the line itself, or the line after a list marker such as "1." or "-"."""
    line = " ".join(line.split())
    return line == criterion or (line.endswith(criterion) and len(line) - len(criterion) <= 5)


def test_split_criteria_on_chia_files(corpus_root):
    """Chia puts one criterion per line and no headings: every line is one inclusion item."""
    chia = corpus_root / "criteria" / "chia"
    trials = _chia_trials(corpus_root)
    assert len(trials) == 100
    for trial in trials:
        for kind in ("inc", "exc"):
            path = chia / f"{trial}_{kind}.txt"
            inclusion, exclusion = split_criteria(path.read_text(encoding="utf-8"))
            lines = _lines(path)
            assert exclusion == [], path.name
            assert len(inclusion) == len(lines), path.name
            for criterion, line in zip(inclusion, lines):
                assert _is_line_less_marker(criterion, line), (path.name, criterion, line)


def test_split_criteria_separates_chia_inclusion_and_exclusion_under_headings(corpus_root):
    chia = corpus_root / "criteria" / "chia"
    for trial in _chia_trials(corpus_root):
        inc_text = (chia / f"{trial}_inc.txt").read_text(encoding="utf-8")
        exc_text = (chia / f"{trial}_exc.txt").read_text(encoding="utf-8")
        combined = f"Inclusion Criteria:\n\n{inc_text}\n\nExclusion Criteria:\n\n{exc_text}"
        inclusion, exclusion = split_criteria(combined)
        assert len(inclusion) == len(_lines(chia / f"{trial}_inc.txt")), trial
        assert len(exclusion) == len(_lines(chia / f"{trial}_exc.txt")), trial


def test_split_criteria_on_api_v2_text(registry_dir):
    protocol = json.loads((registry_dir / "NCT02552212.json").read_text(encoding="utf-8"))["protocolSection"]
    inclusion, exclusion = split_criteria(protocol["eligibilityModule"]["eligibilityCriteria"])
    assert inclusion[0] == "At least 18 years old at the start of Screening Visit"
    assert exclusion[0] == "Diagnosis of AS or any other Inflammatory Arthritis"
    assert len(inclusion) == 8  # six top-level bullets, one with two sub-bullets
    assert not any("Criteria" in c and len(c) < 25 for c in inclusion + exclusion)


@pytest.mark.parametrize(
    "text, inclusion, exclusion",
    [
        (
            "Inclusion Criteria:\n\n* Age 18 or over\n\nExclusion Criteria:\n\n* Pregnant",
            ["Age 18 or over"],
            ["Pregnant"],
        ),
        (
            "KEY INCLUSION CRITERIA:\n1. Age 18 or over\n2) Signed consent\n"
            "Key Exclusion Criteria:\na. Pregnant",
            ["Age 18 or over", "Signed consent"],
            ["Pregnant"],
        ),
        (
            "Inclusion Criteria:Fulfilling all the following\nExclusion criteria\nPregnant",
            ["Fulfilling all the following"],
            ["Pregnant"],
        ),
        (
            "-  INCLUSION CRITERIA:\n\n   -  Age 18 or over\n\nEXCLUSION CRITERIA:\n\n   -  Pregnant",
            ["Age 18 or over"],
            ["Pregnant"],
        ),
        (
            "Inclusion Criteria Stage 1\n- Age 18 or over\nExclusion Criteria for Stage 1\n- Pregnant",
            ["Age 18 or over"],
            ["Pregnant"],
        ),
        ("Age 18 or over\nSigned consent", ["Age 18 or over", "Signed consent"], []),  # no heading: inclusion
        ("Age 18 or over\nExclusion Criteria:\nPregnant", ["Age 18 or over"], ["Pregnant"]),
        (
            "See the protocol.\nInclusion Criteria:\nAge 18 or over",
            ["Age 18 or over"],
            [],
        ),  # preamble dropped
        (
            "Exclusion Criteria:\nDo not meet inclusion criteria\nExclusion criteria include pregnancy",
            [],
            ["Do not meet inclusion criteria", "Exclusion criteria include pregnancy"],
        ),
        ("Exclusion Criteria:\nA subject meeting any of these will be excluded:\nPregnant", [], ["Pregnant"]),
        (
            "Inclusion Criteria:\n  -  First line of a bullet\n     that wraps\n\n"
            "     and a note\n  -  Second",
            ["First line of a bullet that wraps and a note", "Second"],
            [],
        ),
        (
            "Inclusion Criteria:\n\n1.1 Sub-numbered item\n(b) Lettered item\nii) Roman item\n"
            "\u2022 Platelets > 100,000/mm3",
            ["Sub-numbered item", "Lettered item", "Roman item", "Platelets > 100,000/mm3"],
            [],
        ),
        (
            "Key exclusion criteria\nPatients who meet any of the following exclusion criteria will be excluded.\n"
            "1. Pregnant\n2. Under 18",
            [],
            ["Pregnant", "Under 18"],
        ),  # a lead-in sentence is not a criterion
        ("", [], []),
        (None, [], []),
    ],
)
def test_split_criteria_headings_and_items(text, inclusion, exclusion):
    assert split_criteria(text) == (inclusion, exclusion)


def test_split_criteria_on_hard_wrapped_legacy_xml(loaded):
    """The XML wraps lines at 80 columns; ARROW nests a second randomisation's criteria."""
    record = _record(loaded, "NCT02028676.xml").record
    assert "Participating in ARROW" in record.inclusion_criteria
    assert "Likely to switch to second-line therapy in the next 12 weeks" in record.exclusion_criteria
    assert all("\n" not in c and "  " not in c for c in record.inclusion_criteria + record.exclusion_criteria)


def test_criteria_flattened_into_one_line_are_split_by_their_numbers():
    """UMIN-CTR press items write the form as one line of "label - value" pairs."""
    line = ("Eligibility: Gender - Male and Female Key inclusion criteria - 1. Adults with consent. "
            "1.1 A proxy may sign. 2. Aged 18 or older. Key exclusion criteria - Patients who meet any of "
            "the following will be excluded. 1. Pregnant. If already treated, at that time. 2. In another "
            "study. Target Size - 60")
    assert split_criteria(inline_criteria_text(line)) == (
        ["Adults with consent.", "A proxy may sign.", "Aged 18 or older."],
        ["Pregnant. If already treated, at that time.", "In another study."],
    )
    assert inline_criteria_text("The inclusion criteria were broad and the trial enrolled 60.") is None


@pytest.mark.parametrize(
    "text,inclusion",
    [
        (  # a page that wraps at its width and leaves no indent under the dash
            "Inclusion Criteria:\n– Subjects with a previous MRI or CT scan of the brain, performed after the\n"
            "onset of symptoms of dementia, with findings consistent with a diagnosis of\nAlzheimer's disease.\n"
            "– Subjects with a diagnosis of agitation\n– Subjects with a MMSE score of 5 to 22.",
            ["Subjects with a previous MRI or CT scan of the brain, performed after the onset of symptoms of "
             "dementia, with findings consistent with a diagnosis of Alzheimer's disease.",
             "Subjects with a diagnosis of agitation", "Subjects with a MMSE score of 5 to 22."],
        ),
        (  # under a marker, a lower-case line carries on the item above
            "Inclusion Criteria:\n- Must have progressed after platinum-based chemotherapy\nor chemoradiation "
            "for SCLC\n- ECOG 0 or 1",
            ["Must have progressed after platinum-based chemotherapy or chemoradiation for SCLC", "ECOG 0 or 1"],
        ),
        (  # unmarked lower-case lines are separate criteria unless the line above stops mid-sentence
            "Inclusion Criteria:\nage 18 to 75 years\nsigned informed consent\nno prior treatment with\n"
            "anti-PD-1 antibodies",
            ["age 18 to 75 years", "signed informed consent", "no prior treatment with anti-PD-1 antibodies"],
        ),
        (  # other fields of the page inside its eligibility section are not criteria
            "Inclusion Criteria:\nSex: All\nMinimum Age: 18\nHealthy Volunteers: f\nAll\n"
            "• ECOG 0-1\nAre the trial subjects under 18? no\nNumber of subjects for this age range:\n"
            "F.1.2 Adults (18-64 years) yes",
            ["ECOG 0-1"],
        ),
        (  # a form that puts those labels alone on a line and the value on the next
            "Inclusion Criteria:\n• Upper limb weakness.\nMinimum age\n18 Years\nMaximum age\nNo limit\n"
            "Sex\nBoth males and females\nCan healthy volunteers participate?\nNo",
            ["Upper limb weakness."],
        ),
        (  # counter-examples: a criterion after a label, a sentence naming the sexes, a question
            "Inclusion Criteria:\nGender\n- Women who are post-menopausal\nMale and female patients aged 18 to 65\n"
            "Are you over 18?\nAge 18 years",
            ["Women who are post-menopausal", "Male and female patients aged 18 to 65", "Are you over 18?",
             "Age 18 years"],
        ),
        (  # a criterion may still start with its own label
            "Inclusion Criteria:\n1. Age: 18 years or older\n2. Women must use contraception",
            ["Age: 18 years or older", "Women must use contraception"],
        ),
    ],
)
def test_split_criteria_joins_hard_wrapped_lines_and_drops_other_fields(text, inclusion):
    assert split_criteria(text) == (inclusion, [])


_WRAPPED_AT_60 = (  # a plain-text export wrapped at 60 columns
    "Inclusion Criteria:\n"
    "- Confirmed newly diagnosed lung adenocarcinoma (stage IIIB or\n"
    "IV). The diagnosis must be made by biopsy or by cytology of\n"
    "pleural fluid.\n"
    "- Surgery or biopsy performed less than six weeks prior to\n"
    "the first dose of the study drug.\n"
    "- Age 18 years or older.\n")


@pytest.mark.parametrize("text, inclusion", [
    (_WRAPPED_AT_60,
     ["Confirmed newly diagnosed lung adenocarcinoma (stage IIIB or IV). The diagnosis must be made by biopsy "
      "or by cytology of pleural fluid.",
      "Surgery or biopsy performed less than six weeks prior to the first dose of the study drug.",
      "Age 18 years or older."]),
    # counter-examples: one criterion per line, of alike lengths, unpunctuated, in either case
    ("Exclusion Criteria:\nPatients who received antibiotics within the previous four months\n"
     "Patients who were pregnant or breastfeeding at the screening visit\n"
     "Patients who received periodontal surgery within the past year\nPatients who smoke\n", []),
    ("Inclusion Criteria:\nthirty minutes or more of vigorous exercise at least three times weekly\n"
     "heart disease\nphysical limitations that moderate exercise might make worse for them\n"
     "planning to move away within the next two years\n", None),
])
def test_text_hard_wrapped_at_a_fixed_width_is_joined_back(text, inclusion):
    """A line that fills the wrap width and lacks closing punctuation continues, once the text shows
    it is wrapped (full lines stopping on "of", "to"); lists with no such lines stay one per line."""
    lines = [line for line in text.splitlines()[1:] if line]
    expected = inclusion if inclusion is not None else lines
    found_inclusion, found_exclusion = split_criteria(text)
    assert (found_inclusion or found_exclusion) == (expected or lines)


@pytest.mark.parametrize("text, inclusion", [
    # an item that only introduces the items under it states no criterion, wherever it stands
    ("Inclusion Criteria:\n1. Age 18 or older\n2. One of the following:\n- Heart failure\n- Angina\n",
     ["Age 18 or older", "Heart failure", "Angina"]),
    ("Inclusion Criteria:\n- Signed consent\nAlso ONE of the following must apply:\n- LVEF < 35%\n",
     ["Signed consent", "LVEF < 35%"]),
    # one that says what the items define, or names them itself, is a criterion
    ("Inclusion Criteria:\n- Heart failure as shown by ALL THREE of the following:\n- NYHA class III\n",
     ["Heart failure as shown by ALL THREE of the following:", "NYHA class III"]),
    ("Inclusion Criteria:\n- History of any of the following:\n- Stroke\n",
     ["History of any of the following:", "Stroke"]),
    ("Inclusion Criteria:\n- Prior treatment with one of the following: A or B\n",
     ["Prior treatment with one of the following: A or B"]),
])
def test_an_item_that_only_introduces_others_is_no_criterion(text, inclusion):
    assert split_criteria(text) == (inclusion, [])


def test_a_model_item_that_only_introduces_others_is_no_criterion():
    from trialsift.pipeline.resolve import one_criterion_each
    assert one_criterion_each("One of the following:") == []
    assert one_criterion_each("Patients must meet all of the following criteria:") == []
    assert one_criterion_each("History of any of the following:") == ["History of any of the following:"]

"""Tests for pipeline.sections: headings on real registry and aggregator pages, tiling, groups."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialsift.pipeline.cleaning import clean
from trialsift.pipeline.records import CleanText, Section
from trialsift.pipeline.sections import (
    FIELD_GROUP_SECTIONS,
    SECTION_LABELS,
    detect_sections,
    heading_label,
    statement_lines,
    text_for_group,
)
from tests.test_cleaning import all_documents, noisy, seeds  # noqa: F401  (fixtures)

FIELD_GROUPS = {"identification_status", "design_phase", "interventions_arms", "eligibility",
                "outcomes", "sponsors_sites_contacts"}


def line_offset(text: str, line: str) -> int:
    """Offset of the first line that is exactly `line`."""
    match = re.search(rf"^{re.escape(line)}$", text, re.MULTILINE)
    assert match, f"no line {line!r}"
    return match.start()


def section_at(sections: list[Section], offset: int) -> Section:
    return next(section for section in sections if section.start <= offset < section.end)


def check_tiling(text: str, sections: list[Section]) -> None:
    position = 0
    for section in sections:
        assert section.label in SECTION_LABELS
        assert section.start == position < section.end, "sections must tile the text"
        position = section.end
    assert position == len(text)


def plain(text: str) -> CleanText:
    return CleanText(text=text, segments=((0, 0, len(text)),) if text else ())


@pytest.mark.parametrize("line, label", [
    ("Key inclusion criteria", "eligibility"),
    ("  • Inclusion Criteria:", "eligibility"),
    ("## Study Design", "design"),
    ("Arm | Intervention/treatment |", "interventions"),
    ("Sponsors and Collaborators", "sponsors"),
    ("Contacts and Locations", "contacts"),
    ("Outcome Measures", "outcomes"),
    ("Brief Summary:", "summary"),
    ("More Information", "other"),
    ("Funding Source", "sponsors"),
    ("Target sample size", "design"),
    ("Sex", "eligibility"),
    ("A. Protocol Information", "identification"),
    ("B. Sponsor information", "sponsors"),
    ("E.3 Principal inclusion criteria", "eligibility"),
    ("E.5.1 Primary end point(s)", "outcomes"),
    ("F. Population of Trial Subjects", "eligibility"),
    ("A. Patients with a confirmed diagnosis", None),  # a lettered criterion, not EU CTR
    ("F.1.2 Adults (18-64 years) yes", None),
    ("Eligibility is assessed at screening", None),
    ("Sponsor: Acme Pharma", None),  # a field with its value is not a heading
    ("", None),
    ("Eligibility " * 20, None),
])
def test_heading_label(line, label):
    assert heading_label(line) == label


def test_umin_registry_page_sections(seeds):
    cleaned = clean(seeds["001"])
    sections = detect_sections(cleaned)
    check_tiling(cleaned.text, sections)
    expected = {
        "Basic information": "identification", "Objectives": "summary", "Assessment": "outcomes",
        "Study design": "design", "Intervention": "interventions", "Eligibility": "eligibility",
        "Key inclusion criteria": "eligibility", "Key exclusion criteria": "eligibility",
        "Research contact person": "contacts", "Public contact": "contacts",
        "Sponsor or person": "sponsors", "Funding Source": "sponsors",
        "Other administrative information": "status",
    }
    starts = {section.start: section for section in sections}
    for heading, label in expected.items():
        section = starts.get(line_offset(cleaned.text, heading))
        assert section is not None, f"no section starts at {heading!r}"
        assert (section.heading, section.label) == (heading, label)
    text = cleaned.text
    assert section_at(sections, text.index("Rakuten Medical Inc.")).label == "sponsors"
    assert section_at(sections, text.index("npc-pit-office@east.ncc.go.jp")).label == "contacts"
    assert section_at(sections, text.index("Age-lower limit")).label == "eligibility"


def test_aggregator_criteria_are_eligibility(seeds):
    cleaned = clean(seeds["004"])
    sections = detect_sections(cleaned)
    check_tiling(cleaned.text, sections)
    text = cleaned.text
    for line in ("Inclusion Criteria", "Exclusion Criteria"):
        section = section_at(sections, line_offset(text, line))
        assert (section.heading, section.label) == (line, "eligibility")
    assert section_at(sections, text.index("ECOG score: 0-1")).label == "eligibility"
    # The "sponsor" field label at the top labels its value only, not the page
    # description and the id that follow it.
    assert section_at(sections, text.index("Shanghai Proton")).label == "sponsors"
    assert section_at(sections, text.index("NCT04143984")).label == "identification"


def test_aggregator_seed_002_sections(seeds):
    cleaned = clean(seeds["002"])
    sections = detect_sections(cleaned)
    check_tiling(cleaned.text, sections)
    text = cleaned.text
    for heading, label in {"SUMMARY": "summary", "Participation Requirements": "eligibility",
                           "Locations": "locations", "Contact Information": "contacts",
                           "Treatments": "interventions", "Sponsors": "sponsors"}.items():
        assert section_at(sections, line_offset(text, heading)).label == label
    assert section_at(sections, text.index("Minimum Age: 18")).label == "eligibility"
    assert section_at(sections, text.index("Jiangxi Provincial Cancer Hospital")).label == "sponsors"


def test_clinicaltrials_gov_dump_sections(noisy):
    cleaned = clean(noisy["clinicaltrials.gov-NCT01864876.txt"])
    sections = detect_sections(cleaned)
    check_tiling(cleaned.text, sections)
    text = cleaned.text
    assert section_at(sections, line_offset(text, "Brief Summary:")).label == "summary"
    assert section_at(sections, text.index("Rockefeller University")).label == "sponsors"
    assert section_at(sections, text.index("Access to Advanced Health Institute")).label == "sponsors"
    assert section_at(sections, text.index("NCT01864876")).label == "identification"

    def reads(group: str, fact: str) -> bool:
        return any(fact in text[start:end] for start, end in text_for_group(cleaned, sections, group))

    # The study-information table mixes design, titles and dates: every group that
    # needs one of them reads it.
    assert reads("design_phase", "Study Type : Interventional")
    assert reads("identification_status", "Official Title: A Randomized")
    assert not reads("eligibility", "Rockefeller University")


def test_clinicaltrials_gov_outcome_entries_open_an_outcomes_section(noisy):
    cleaned = clean(noisy["clinicaltrials.gov-NCT03325556.txt"])
    sections = detect_sections(cleaned)
    entry = cleaned.text.index("[ Time Frame:")
    assert section_at(sections, entry).label == "outcomes"
    arms = cleaned.text.index("Placebo Comparator: Placebo")
    assert section_at(sections, arms).label == "interventions"


def test_a_label_value_that_looks_like_a_heading():
    text = "Primary Purpose:\nTreatment\nStart Date:\nMay 2019\n"
    assert [(s.label, s.heading) for s in detect_sections(plain(text))] == [
        ("design", "Primary Purpose:"), ("status", "Start Date:")]
    # In a run of labels and values, no colon is needed.
    text = "Allocation\nRANDOMIZED\nPurpose\nTREATMENT\nMasking\nNONE\n"
    assert [(s.label, s.heading) for s in detect_sections(plain(text))] == [
        ("design", "Allocation"), ("summary", "Purpose"), ("design", "Masking")]
    # Without a colon the "label" may be a list item, and the heading a heading.
    text = "Conditions\nDepression\nHealthy Volunteers\nInterventions\nDrug: X\n"
    assert [(s.label, s.heading) for s in detect_sections(plain(text))] == [
        ("identification", "Conditions"), ("interventions", "Interventions")]
    # A label left blank opens nothing.
    text = "Sponsor:\nCollaborator:\nAcme University\n"
    assert [(s.label, s.heading) for s in detect_sections(plain(text))] == [
        ("identification", ""), ("sponsors", "Collaborator:")]


def test_eu_ctr_sections(noisy):
    cleaned = clean(noisy["clinicaltrialsregister.eu-2021-000319-21.txt"])
    sections = detect_sections(cleaned)
    labels = {section.heading: section.label for section in sections}
    assert labels["A. PROTOCOL INFORMATION"] == "identification"
    assert labels["B. SPONSOR INFO"] == "sponsors"


def test_sections_tile_every_page(all_documents):
    for document in all_documents:
        cleaned = clean(document)
        check_tiling(cleaned.text, detect_sections(cleaned))


def test_text_before_the_first_heading_is_identification():
    text = "A trial of something\nNCT01234567\n\nEligibility\nAge 18 or over\n"
    sections = detect_sections(plain(text))
    assert [(s.label, s.heading) for s in sections] == [("identification", ""),
                                                        ("eligibility", "Eligibility")]
    assert sections[0].end == text.index("Eligibility")


def test_field_label_covers_its_value_then_the_enclosing_section_resumes():
    text = "Eligibility\nSex\nFemale\nTarget sample size\n\n60\n\nMust be 18 or over\n"
    sections = detect_sections(plain(text))
    check_tiling(text, sections)
    assert [(s.label, s.heading) for s in sections] == [
        ("eligibility", "Eligibility"), ("eligibility", "Sex"), ("design", "Target sample size"),
        ("eligibility", ""),
    ]
    assert text[sections[2].start:sections[2].end] == "Target sample size\n\n60\n\n"


def test_empty_text_has_no_sections():
    assert detect_sections(plain("")) == []
    assert text_for_group(plain(""), [], "eligibility") == []


def test_field_groups():
    assert set(FIELD_GROUP_SECTIONS) == FIELD_GROUPS
    for labels in FIELD_GROUP_SECTIONS.values():
        assert labels <= set(SECTION_LABELS)
    with pytest.raises(ValueError):
        text_for_group(plain("x"), detect_sections(plain("x")), "no-such-group")


def test_text_for_group_picks_the_group_sections(seeds):
    cleaned = clean(seeds["001"])
    sections = detect_sections(cleaned)

    def group_text(group: str) -> str:
        return "".join(cleaned.text[start:end] for start, end in
                       text_for_group(cleaned, sections, group))

    eligibility = group_text("eligibility")
    assert "Key inclusion criteria" in eligibility and "Age-lower limit" in eligibility
    assert "Rakuten Medical Inc." not in eligibility
    assert "UMIN000060367" in eligibility  # identification is always included
    sponsors = group_text("sponsors_sites_contacts")
    assert "Rakuten Medical Inc." in sponsors and "Key inclusion criteria" not in sponsors
    assert "Primary outcomes" in group_text("outcomes")
    assert len(eligibility) < 0.65 * len(cleaned.text)  # the page without its empty form fields


def test_text_for_group_without_headings_is_the_whole_text(seeds):
    cleaned = clean(seeds["000"])  # a news-wire item: no heading lines
    sections = detect_sections(cleaned)
    for group in FIELD_GROUPS:
        assert text_for_group(cleaned, sections, group) == [(0, len(cleaned.text))]


HEADING_LINES = ["Eligibility", "Sponsor", "Sex", "Inclusion Criteria:", "B. Sponsor information",
                 "Study Design", "Brief Summary", "|", "", "Target sample size", "Outcome Measures"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(st.sampled_from(HEADING_LINES), st.text(max_size=30)), max_size=30),
       newline=st.sampled_from(["\n", "\r\n", "\r", "\u2028"]))
def test_sections_and_groups_keep_their_invariants(lines, newline):
    text = newline.join(lines)
    cleaned = plain(text)
    sections = detect_sections(cleaned)
    check_tiling(text, sections)
    for group in FIELD_GROUPS:
        spans = text_for_group(cleaned, sections, group)
        previous_end = -1
        for start, end in spans:
            assert 0 <= start < end <= len(text) and start > previous_end
            previous_end = end


def test_statement_lines_keep_each_line_and_the_label_above_it():
    text = "Eligibility\n\nAge-upper limit\n\n65 years-old >=\n\nKey inclusion criteria\n1. Adults\n2. Consent\n"
    age = text.index("65")
    spans = statement_lines(text, [(age, age + 2)])
    assert [text[a:b].strip() for a, b in spans] == ["Age-upper limit", "65 years-old >="]
    assert statement_lines(text, []) == []

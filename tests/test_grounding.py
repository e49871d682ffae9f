"""Grounding decides by code whether the source states a value."""

from __future__ import annotations

import pytest

from trialsift.pipeline import statements
from trialsift.pipeline.grounding import ground, verify_evidence
from trialsift.pipeline.records import CleanText, Document, Evidence, Finding
from trialsift.pipeline.resolve import one_criterion_each, one_treatment_each
from trialsift.pipeline.rules import extract_rule_findings


def _doc(text: str) -> tuple[Document, CleanText]:
    document = Document(id="d" * 64, path="x.txt", text=text)
    return document, CleanText(text=text, segments=((0, 0, len(text)),))


def _kept_as_public_title(text: str, title: str) -> tuple[bool, list]:
    """Whether grounding stores `title` as the public title of a page reading `text`, and why not."""
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("public_title", title, "llm:x")])
    return out.values.get("public_title") == title, out.rejections


def _assert_stored_or_filled(field_name: str, method: str, text: str, answer, stored) -> None:
    """Ground a page with `answer` (or none) for `field_name`: `stored` is kept, and a value the
    answer did not give is a resolve step's, its evidence tagged with that step's method."""
    document, clean = _doc(text)
    findings = [Finding(field_name, answer, "llm:x")] if answer else []
    out = ground(document, clean, findings)
    assert out.values.get(field_name) == stored
    if stored and answer != stored:
        assert out.methods[field_name] == method
        assert out.evidence[field_name][0].method == method


def test_values_the_text_states_are_kept_with_exact_evidence():
    document, clean = _doc("Sponsor: Acme University\nTarget enrollment: 1,200 participants\nStart Date: Oct 16, 2012\n")
    out = ground(document, clean, [
        Finding("primary_sponsor", "Acme University", "llm:x"),
        Finding("target_enrollment", 1200, "llm:x"),
        Finding("start_date", "2012-10-16", "llm:x"),
    ])
    assert out.values == {"primary_sponsor": "Acme University", "target_enrollment": 1200, "start_date": "2012-10-16"}
    for name, (evidence,) in out.evidence.items():
        assert document.text[evidence.start:evidence.end] == evidence.quote
    assert out.evidence["start_date"][0].quote == "Oct 16, 2012"
    assert not out.rejections


def test_invented_values_are_rejected_with_a_reason():
    document, clean = _doc("A study of drug X in asthma. Phase 2. 40 participants.")
    out = ground(document, clean, [
        Finding("phases", ["PHASE3"], "llm:x"),
        Finding("target_enrollment", 400, "llm:x"),
        Finding("registry_ids", [{"registry": "NCT", "id": "NCT01234567"}], "llm:x"),
        Finding("acronym", "RAT", "llm:x"),  # not a word of the text
    ])
    assert out.values == {}
    assert {r.field for r in out.rejections} == {"phases", "target_enrollment", "registry_ids", "acronym"}
    assert all("no span" in r.reason for r in out.rejections)


def test_one_span_cannot_state_two_sibling_dates():
    document, clean = _doc("Registration / start date: 2025-10-10\nEstimated Completion Date: 2029-12-31\n")
    out = ground(document, clean, [
        Finding("start_date", "2025-10-10", "rule:dates"),
        Finding("registration_date", "2025-10-10", "llm:x"),
    ])
    assert out.values == {"start_date": "2025-10-10"}
    assert out.rejections[0].field == "registration_date"
    assert "evidence for start_date" in out.rejections[0].reason


def test_list_items_are_judged_one_by_one():
    document, clean = _doc("Conditions: Asthma; COPD")
    out = ground(document, clean, [Finding("conditions", ["Asthma", "Diabetes", "COPD"], "llm:x")])
    assert out.values["conditions"] == ["Asthma", "COPD"]
    assert [r.value for r in out.rejections] == ["Diabetes"]


def test_first_supported_scalar_wins_and_later_disagreement_is_recorded():
    document, clean = _doc("Enrollment: 60\nTrial size 91 participants")
    out = ground(document, clean, [Finding("target_enrollment", 60, "rule:enrollment"),
                                   Finding("target_enrollment", 91, "rule:enrollment")])
    assert out.values["target_enrollment"] == 60
    assert out.rejections[0].reason.startswith("conflicts with")


def test_evidence_must_be_the_documents_own_text():
    document, _ = _doc("Phase 2 trial")
    assert verify_evidence(document, Evidence(0, 7, "Phase 2"))
    assert not verify_evidence(document, Evidence(0, 7, "Phase 3"))
    assert not verify_evidence(document, Evidence(5, 50, "2 trial"))


def test_an_enrollment_must_be_a_number_about_participants():
    document, clean = _doc("Age > 18 years\nECOG 0-1\nA total of 146 patients will be recruited.")
    out = ground(document, clean, [Finding("target_enrollment", 18, "llm:x")])
    assert "target_enrollment" not in out.values
    out = ground(document, clean, [Finding("target_enrollment", 146, "llm:x")])
    assert out.values["target_enrollment"] == 146


def test_a_date_labelled_as_another_kind_of_date_does_not_state_the_field():
    """UMIN puts several dates on one line; the IRB approval date is not the registration date."""
    document, clean = _doc(
        "Recruitment Status: Open public recruiting Date of protocol fixation - 2023 Year 09 Month 11 Day "
        "Date of IRB - 2023 Year 10 Month 10 Day Anticipated trial start date - 2023 Year 10 Month 26 Day\n"
        "Registered: 2023-11-02\nLast updated: 2024-01-05\n2022-05-01\n")
    out = ground(document, clean, [
        Finding("registration_date", "2023-10-10", "llm:x"),  # the IRB date
        Finding("start_date", "2023-10-26", "llm:x"),
        Finding("completion_date", "2024-01-05", "llm:x"),  # the last-updated date
    ])
    assert out.values == {"start_date": "2023-10-26"}
    assert {r.field for r in out.rejections} == {"registration_date", "completion_date"}
    right = ground(document, clean, [Finding("registration_date", "2023-11-02", "llm:x"),
                                     Finding("completion_date", "2022-05-01", "llm:x")])
    assert right.values == {"registration_date": "2023-11-02", "completion_date": "2022-05-01"}, \
        "a date under its own label, or under none, is still found"


@pytest.mark.parametrize("text, date, stated", [
    ("Actual Primary Completion Date : | March 2013 |", "2013-03", True),
    ("- Primary completion\n- May 2019\n", "2019-05", True),  # the label on the line above
    ("Estimated PCD\n2024-03-27\n", "2024-03-27", True),
    ("Fecha de finalización primaria: marzo de 2013", "2013-03", True),
    # a date no label calls the primary completion: some other date of the trial or the page
    ("Topline results are expected in March 2013.", "2013-03", False),
    ("Study completion: March 2013", "2013-03", False),
    ("Posted March 2013 by the editors", "2013-03", False),
])
def test_a_primary_completion_date_is_stated_only_under_its_label(text, date, stated):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("primary_completion_date", date, "llm:x")])
    assert ("primary_completion_date" in out.values) is stated


def test_an_acronym_inside_its_title_does_not_block_the_title():
    document, clean = _doc("Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms - EMBLEMS\n")
    out = ground(document, clean, [
        Finding("acronym", "EMBLEMS", "llm:x"),
        Finding("public_title", "Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms", "llm:x"),
        Finding("scientific_title", "Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms", "llm:x"),
    ])
    assert out.values["acronym"] == "EMBLEMS"
    assert out.values["public_title"] == "Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms"
    assert "scientific_title" not in out.values, "one title line is not both titles"


def test_a_heading_or_an_id_is_not_a_name():
    document, clean = _doc("Brief Summary\nA study of drug X. ChiCTR2000032717\nCriteria\nAdults aged 18 or more\n")
    out = ground(document, clean, [
        Finding("primary_sponsor", "Brief Summary", "llm:x"),
        Finding("sites", [{"name": "ChiCTR2000032717", "city": None, "country": None}], "llm:x"),
        Finding("inclusion_criteria", ["Criteria", "Adults aged 18 or more"], "llm:x"),
    ])
    assert out.values == {"inclusion_criteria": ["Adults aged 18 or more"]}
    reasons = {(r.field, r.reason) for r in out.rejections}
    assert ("primary_sponsor", "a section heading or field label, not a value") in reasons
    assert ("sites", "a registry id, not a name") in reasons
    assert ("inclusion_criteria", "a section heading or field label, not a value") in reasons


def test_categories_acronyms_and_short_titles_are_not_names_or_titles():
    text = ("Official Title: Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms (EMBLEMS)\nSponsor: EMBLEMS\n"
            "Arms: Experimental: anatomic testing\nIntervention Type: Drug\nNCT01234567\n")
    document, clean = _doc(text)
    out = ground(document, clean, [
        Finding("acronym", "EMBLEMS", "llm:x"),
        Finding("primary_sponsor", "EMBLEMS", "llm:x"),
        Finding("public_title", "EMBLEMS", "llm:x"),
        Finding("scientific_title", "Example Multicenter Imaging Study of Back Pain in Adults with Leg Symptoms", "llm:x"),
        Finding("arms", [{"label": "Experimental", "type": "EXPERIMENTAL", "description": None},
                         {"label": "anatomic testing", "type": "EXPERIMENTAL", "description": None}], "llm:x"),
        Finding("interventions", [{"name": "Drug", "type": "DRUG", "description": None}], "llm:x"),
    ])
    assert out.values["acronym"] == "EMBLEMS"
    assert out.values["scientific_title"].startswith("Example Multicenter")
    assert [a["label"] for a in out.values["arms"]] == ["anatomic testing"]
    assert "primary_sponsor" not in out.values and "public_title" not in out.values
    assert "interventions" not in out.values
    reasons = {r.field: r.reason for r in out.rejections}
    assert reasons["primary_sponsor"] == "the trial's acronym, not an organization"
    assert reasons["public_title"] == "too short to be a title"
    assert reasons["interventions"] == "a category, not a name"


@pytest.mark.parametrize("name, kept", [
    ("Participants will walk for thirty minutes every morning for six weeks.", False),
    ("Doctors hope the results will be known by the end of next year.", False),
    ("to learn whether a daily tablet lowers blood pressure in older adults who live at home and take no other medicine", False),
    ("Acme-123 tablets 10 mg once daily", True),
    ("Drug X for injection for use with the Acme Delivery System", True),  # long, but a name
    ("Standard care as provided by Acme Co.", True),  # an abbreviation's stop closes no sentence
])
def test_a_sentence_copied_into_an_interventions_name_is_not_a_name(name, kept):
    document, clean = _doc(f"Intervention:\n{name}\n")
    out = ground(document, clean, [Finding("interventions", [{"name": name, "type": None, "description": None}], "llm:x")])
    assert ("interventions" in out.values) is kept
    if not kept:
        assert {r.reason for r in out.rejections if r.field == "interventions"} == {"a sentence, not a name"}


def test_one_mention_of_an_organization_states_one_role():
    """'Sponsor: Parexel' makes Parexel the sponsor, not also a funder or a site; a second,
    separate mention under Funding does state the funder."""
    document, clean = _doc("Sponsor: Parexel\nLocations: Leeds General Infirmary\n")
    out = ground(document, clean, [
        Finding("primary_sponsor", "Parexel", "llm:x"),
        Finding("funders", ["Parexel"], "llm:x"),
        Finding("sites", [{"name": "Parexel", "city": None, "country": None},
                          {"name": "Leeds General Infirmary", "city": None, "country": None}], "llm:x"),
    ])
    assert out.values == {"primary_sponsor": "Parexel",
                          "sites": [{"name": "Leeds General Infirmary", "city": None, "country": None}]}
    assert {r.field for r in out.rejections} == {"funders", "sites"}
    both, clean = _doc("Sponsor: Parexel\nFunding: Parexel\n")
    out = ground(both, clean, [Finding("primary_sponsor", "Parexel", "llm:x"), Finding("funders", ["Parexel"], "llm:x")])
    assert out.values == {"primary_sponsor": "Parexel", "funders": ["Parexel"]}
    assert both.text[out.evidence["funders"][0].start - 9:out.evidence["funders"][0].end] == "Funding: Parexel"


def test_an_outcome_must_be_stated_as_an_outcome():
    document, clean = _doc(
        "The purpose of the study is to compare the overall survival of drug X with docetaxel.\n"
        "Primary Outcome Measures\nProgression-free survival\n"
        "The primary endpoint was objective response rate.\n")
    out = ground(document, clean, [Finding("primary_outcomes", [
        {"measure": "overall survival", "time_frame": None},
        {"measure": "Progression-free survival", "time_frame": None},
        {"measure": "objective response rate", "time_frame": None}], "llm:x")])
    assert [o["measure"] for o in out.values["primary_outcomes"]] == ["Progression-free survival",
                                                                       "objective response rate"]
    assert [r.value["measure"] for r in out.rejections] == ["overall survival"]


def test_a_sentence_at_the_very_start_of_a_document_is_read_whole():
    # its first word is the outcome word: a sentence that starts the text starts at offset 0
    document, clean = _doc("Endpoints are overall survival and quality of life.\n")
    out = ground(document, clean, [Finding("primary_outcomes", [{"measure": "overall survival"}], "llm:x")])
    assert [o["measure"] for o in out.values["primary_outcomes"]] == ["overall survival"]


def test_design_and_volunteer_statements_in_registry_wordings_are_found():
    document, clean = _doc(
        "Allocation: | N/A |\nMasking: No masking;\nVolunteers\n\nNo Healthy Volunteers\n")
    out = ground(document, clean, [Finding("allocation", "NA", "llm:x"), Finding("masking", "NONE", "llm:x"),
                                   Finding("healthy_volunteers", False, "llm:x")])
    assert out.values == {"allocation": "NA", "masking": "NONE", "healthy_volunteers": False}

    document, clean = _doc("Blinding\n\nOpen -no one is blinded\nThe trial will randomize 300 patients.\n")
    out = ground(document, clean, [Finding("masking", "NONE", "llm:x"), Finding("allocation", "RANDOMIZED", "llm:x")])
    assert out.values == {"masking": "NONE", "allocation": "RANDOMIZED"}


def test_a_label_is_not_a_value_of_the_opposite_kind():
    """'Randomization: Non-randomized' states non-randomized; 'Accepts Healthy Volunteers: No' states no."""
    document, clean = _doc("Randomization\n\nNon-randomized\nAccepts Healthy Volunteers: No\n")
    out = ground(document, clean, [Finding("allocation", "RANDOMIZED", "llm:x"),
                                   Finding("healthy_volunteers", True, "llm:x")])
    assert out.values == {}


def test_fields_whose_role_the_text_never_names_are_not_asked():
    from trialsift.pipeline.statements import unstatable_fields

    _, bare = _doc("A phase 2 study of drug X in asthma, sponsored by Acme University. Contact: a@b.org\n")
    skipped = unstatable_fields(bare)
    assert {"funders", "collaborators", "ethics_review", "inclusion_criteria", "exclusion_criteria",
            "primary_outcomes", "secondary_outcomes"} <= skipped
    assert not {"secondary_sponsors", "contacts", "public_title", "conditions", "sites", "arms"} & skipped

    _, full = _doc("Funded by the Wellcome Trust in collaboration with NHS. Ethics committee approval obtained.\n"
                   "Inclusion criteria: adults. Exclusion criteria: pregnancy.\n"
                   "Primary outcome: FEV1. Secondary outcome: symptoms.\n")
    assert not {"funders", "collaborators", "ethics_review", "inclusion_criteria", "exclusion_criteria",
                "primary_outcomes", "secondary_outcomes"} & unstatable_fields(full)


def test_statement_fields_need_a_statement_grounding_could_take():
    from trialsift.pipeline.statements import statement_spans, unstatable_fields

    text = "Start Date: 2025-10-10\nEstimated Completion Date: 2029-12-31\n• local recurrence; surgery-ineligible;\n"
    _, clean = _doc(text)
    skipped = unstatable_fields(clean)
    # Both dates are labelled as other kinds of date; "surgery-ineligible" is a criterion, not an exclusion.
    assert {"registration_date", "primary_completion_date", "exclusion_criteria"} <= skipped
    assert not {"start_date", "completion_date"} & skipped
    assert [text[a:b] for a, b in statement_spans("start_date", text)] == ["2025-10-10"]
    _, ineligible = _doc("Patients are ineligible if pregnant.\n")
    assert "exclusion_criteria" not in unstatable_fields(ineligible)


def test_a_sex_is_stated_by_a_word_not_part_of_one():
    document, clean = _doc("Treatment of agitation; an impairment study.\n")
    out = ground(document, clean, [Finding("sex", "MALE", "llm:x")])
    assert out.values == {}
    document, clean = _doc("Eligible: men aged 40 or older.\n")
    assert ground(document, clean, [Finding("sex", "MALE", "llm:x")]).values == {"sex": "MALE"}


def test_all_and_both_state_a_sex_only_as_a_sex_labels_answer():
    document, clean = _doc("Both groups will receive the study drug for all visits.\n")
    assert ground(document, clean, [Finding("sex", "ALL", "llm:x")]).values == {}
    for text in ("Sex: Both\n", "Gender: All\n", "Eligible: men and women aged 18-65.\n"):
        document, clean = _doc(text)
        assert ground(document, clean, [Finding("sex", "ALL", "llm:x")]).values == {"sex": "ALL"}, text


def test_placeholders_addresses_registries_classes_and_places_are_not_names():
    document, clean = _doc(
        "Ethics committee: Not available\nIRB contact: irb@example.org\nRegistry: ISRCTN\nFunder Type: Industry\n"
        "Site: Tokyo, Japan\nContact: Acme Pharma (Acme Pharma)\nStudy site: Kyoto University Hospital, Kyoto\n")
    out = ground(document, clean, [
        Finding("ethics_review", "Not available", "llm:x"),
        Finding("ethics_review", "irb@example.org", "llm:x"),
        Finding("ethics_review", "ISRCTN", "llm:x"),
        Finding("funders", ["Industry"], "llm:x"),
        Finding("sites", [{"name": "Tokyo", "city": "Tokyo", "country": "JP"},
                          {"name": "Kyoto University Hospital", "city": "Kyoto", "country": None}], "llm:x"),
        Finding("contacts", [{"name": "Acme Pharma", "role": None, "affiliation": "Acme Pharma",
                              "email": None, "phone": None}], "llm:x"),
    ])
    assert out.values == {"sites": [{"name": "Kyoto University Hospital", "city": "Kyoto", "country": None}]}
    reasons = {r.reason for r in out.rejections}
    assert {"a placeholder for a missing value, not a value", "an e-mail or web address, not a name",
            "a registry's name, not a value", "a class of funder, not an organization", "a place, not a site",
            "an organization (the contact's own affiliation), not a person"} <= reasons


@pytest.mark.parametrize("sponsor, kept", [
    ("Institute", False),  # a registry form's "Institute" row label, read as the sponsor
    ("Hospital", False),
    ("University.", False),
    ("Institute of Cancer Research", True),
    ("Kyoto University Hospital", True),
])
def test_a_kind_of_organization_is_not_its_name(sponsor, kept):
    document, clean = _doc(f"Primary sponsor\nInstitute\nKyoto University Hospital\nSponsor: {sponsor}\n"
                           "Funded by the Institute of Cancer Research\n")
    out = ground(document, clean, [Finding("primary_sponsor", sponsor, "llm:x")])
    assert ("primary_sponsor" in out.values) == kept
    if not kept:
        assert "a kind of organization, not its name" in {r.reason for r in out.rejections}


def test_an_age_worded_as_one_bound_does_not_state_the_other():
    document, clean = _doc("Ages eligible: 18 years and older\nAge-upper limit\n\n65 years-old >\n")
    out = ground(document, clean, [
        Finding("max_age_years", 18.0, "llm:x"),  # "18 years and older" is a minimum
        Finding("min_age_years", 65.0, "llm:x"),  # "65 years-old >" is a maximum
    ])
    assert out.values == {}
    out = ground(document, clean, [Finding("min_age_years", 18.0, "llm:x"), Finding("max_age_years", 65.0, "llm:x")])
    assert out.values == {"min_age_years": 18.0, "max_age_years": 65.0}
    document, clean = _doc("Participants aged 18 to 65 years")  # a range names neither bound by itself
    out = ground(document, clean, [Finding("min_age_years", 18.0, "llm:x"), Finding("max_age_years", 65.0, "llm:x")])
    assert out.values == {"min_age_years": 18.0, "max_age_years": 65.0}


def test_the_sponsor_listed_again_as_a_site_without_a_location_is_not_a_site():
    document, clean = _doc("Sponsor: Bristol-Myers Squibb\nLocations: Bristol-Myers Squibb International Corporation; "
                           "Acme Hospital, Boston\nBristol-Myers Squibb, Princeton\n")
    out = ground(document, clean, [
        Finding("primary_sponsor", "Bristol-Myers Squibb", "llm:x"),
        Finding("sites", [{"name": "Bristol-Myers Squibb International Corporation", "city": None, "country": None},
                          {"name": "Acme Hospital", "city": "Boston", "country": None},
                          {"name": "Bristol-Myers Squibb", "city": "Princeton", "country": None},
                          {"name": "Bristol-Myers Squibb", "city": "New York", "country": "US"}], "llm:x"),
    ])  # the last one's location is not on the page: without it, it is the sponsor again
    assert [site["name"] for site in out.values["sites"]] == ["Acme Hospital", "Bristol-Myers Squibb"]
    assert [r.reason for r in out.rejections if r.field == "sites"] == ["the sponsor again, with no location: not a site"] * 2


@pytest.mark.parametrize("item,criteria", [
    ("Histologically confirmed NPC (WHO II/III); local recurrence ≥1 year; surgery-ineligible;",
     ["Histologically confirmed NPC (WHO II/III)", "local recurrence ≥1 year", "surgery-ineligible"]),
    ("Confirmed SCLC - Subjects with limited or extensive disease - Must have recurrence after chemotherapy",
     ["Confirmed SCLC", "Subjects with limited or extensive disease", "Must have recurrence after chemotherapy"]),
    ("* Born at ≥ 29 weeks gestational age * Informed consent form has been signed",
     ["Born at ≥ 29 weeks gestational age", "Informed consent form has been signed"]),
    ("Stage IIIB - IV disease", ["Stage IIIB - IV disease"]),  # too short after the dash to be a criterion
    ("ECOG 0 - 1", ["ECOG 0 - 1"]),
    ("Two methods of contraception (pill; diaphragm; condoms) until week 6; signed consent",
     ["Two methods of contraception (pill; diaphragm; condoms) until week 6", "signed consent"]),
])
def test_criteria_run_together_are_split_one_per_item(item, criteria):
    assert one_criterion_each(item) == criteria
    document, clean = _doc("Inclusion criteria:\n" + item + "\n")
    out = ground(document, clean, [Finding("inclusion_criteria", [item], "llm:x")])
    assert out.values["inclusion_criteria"] == criteria


def test_a_date_under_a_label_on_the_line_above_is_that_labels_date():
    document, clean = _doc("Actual Study Start Date :\nOct 16, 2012\nDate of disclosure of the study information 2020/11/30\n"
                           "First Posted : July 22, 2015\n")
    out = ground(document, clean, [Finding("registration_date", "2012-10-16", "llm:x"),
                                   Finding("registration_date", "2020-11-30", "llm:x"),
                                   Finding("start_date", "2012-10-16", "llm:x")])
    assert out.values == {"start_date": "2012-10-16"}
    out = ground(document, clean, [Finding("registration_date", "2015-07-22", "llm:x")])
    assert out.values == {"registration_date": "2015-07-22"}


def test_an_acronym_is_short_or_labelled_and_is_not_a_drugs_short_name():
    document, clean = _doc("Qi Stagnation Syndrome and Its Subtype Syndrome Scale\nAcronym: Long Form Of The Trial Name\n"
                           "Interventions: GLA-SE (study drug) 5 mcg\n")
    out = ground(document, clean, [Finding("acronym", "Qi Stagnation Syndrome and Its Subtype Syndrome Scale", "llm:x")])
    assert "acronym" not in out.values
    out = ground(document, clean, [Finding("acronym", "Long Form Of The Trial Name", "llm:x")])
    assert out.values == {"acronym": "Long Form Of The Trial Name"}
    for short_name in ("GLA-SE", "GLA"):
        out = ground(document, clean, [Finding("acronym", short_name, "llm:x"),
                                       Finding("interventions", [{"name": "GLA-SE", "type": None, "description": None}],
                                               "llm:x")])
        assert "acronym" not in out.values
        assert [r.reason for r in out.rejections] == ["an intervention's short name, not the trial's acronym"]


def test_a_condition_written_as_an_intervention_is_the_treatment_not_the_condition():
    document, clean = _doc("Condition: Knee osteoarthritis; Nordic walking\n"
                           "Intervention: Nordic walking, three sessions a week\n"
                           "Vitamin D deficiency is treated with vitamin D.\n")
    conditions = Finding("conditions", ["Knee osteoarthritis", "Nordic walking", "Vitamin D deficiency"], "llm:x")
    interventions = Finding("interventions", [{"name": "nordic  walking", "type": None, "description": None},
                                              {"name": "Vitamin D", "type": None, "description": None}], "llm:x")
    out = ground(document, clean, [conditions, interventions])
    # a condition that contains an intervention's name (the deficiency of the vitamin given) is kept
    assert out.values["conditions"] == ["Knee osteoarthritis", "Vitamin D deficiency"]
    assert [e.quote for e in out.evidence["conditions"]] == ["Knee osteoarthritis", "Vitamin D deficiency"]
    assert [(r.field, r.value) for r in out.rejections] == [("conditions", "Nordic walking")]
    out = ground(document, clean, [conditions])  # without interventions nothing is judged
    assert len(out.values["conditions"]) == 3


def test_a_condition_written_only_inside_a_more_specific_one_is_the_same_condition():
    document, clean = _doc("Condition: Rheumatoid arthritis\nKeywords: disease activity\n")
    out = ground(document, clean, [Finding("conditions", ["Rheumatoid arthritis", "arthritis"], "llm:x")])
    assert out.values["conditions"] == ["Rheumatoid arthritis"]
    assert [e.quote for e in out.evidence["conditions"]] == ["Rheumatoid arthritis"]
    # a term list that gives both as items of their own keeps both
    document, clean = _doc("Conditions: Depression, Postpartum; Depression; Mood Disorders\n")
    out = ground(document, clean, [Finding("conditions", ["Depression, Postpartum", "Depression", "Mood Disorders"], "llm:x")])
    assert out.values["conditions"] == ["Depression, Postpartum", "Depression", "Mood Disorders"]


@pytest.mark.parametrize("name, names", [
    ("Drug A or drug B", ["Drug A", "drug B"]),
    ("Zolmab versus standard care", ["Zolmab", "standard care"]),
    ("Zolmab plus Tenotinib", ["Zolmab", "Tenotinib"]),
    ("Zolmab + Tenotinib", ["Zolmab", "Tenotinib"]),
    # one treatment: an optional part, a count, a dose's plus sign, a single letter
    ("Surgery with or without radiotherapy", ["Surgery with or without radiotherapy"]),
    ("Zolmab one or two tablets daily", ["Zolmab one or two tablets daily"]),
    ("Zolmab 2 + 2 mg", ["Zolmab 2 + 2 mg"]),
    ("Vitamin A or B", ["Vitamin A or B"]),
])
def test_two_treatments_named_as_one_are_two_interventions(name, names):
    item = {"name": name, "type": "DRUG", "description": "given daily"}
    assert [part["name"] for part in one_treatment_each(item)] == names
    assert all(part["type"] == "DRUG" for part in one_treatment_each(item))


def test_each_treatment_of_a_joined_name_is_grounded_where_the_page_names_it():
    document, clean = _doc("Arm 1: Zolmab 10 mg daily.\nArm 2: Tenotinib 5 mg daily.\n")
    finding = Finding("interventions", [{"name": "Zolmab plus Tenotinib", "type": None, "description": None}], "llm:x")
    out = ground(document, clean, [finding])
    assert [item["name"] for item in out.values["interventions"]] == ["Zolmab", "Tenotinib"]
    assert [e.quote for e in out.evidence["interventions"]] == ["Zolmab", "Tenotinib"]


def test_names_under_other_roles_ids_and_author_lists_are_not_the_sponsor():
    document, clean = _doc("National Competent Authority:Germany - BfArM\nApplicant:\n\nXijing He\n"
                           "Affiliation |\nBangalore Medical College |\nAddress |\nDept of Medicine, Bangalore Medical "
                           "College, Fort\nSecondary IDs: ChiCTR2100050545 ; ChiMCTR2100005248\n"
                           "Authors: Simon B Drysdale, Katrina Cathie et al.\nSponsor: Acme Pharma\n")
    for name in ("Germany - BfArM", "Xijing He", "Bangalore Medical College", "ChiCTR2100050545 ; ChiMCTR2100005248",
                 "Simon B Drysdale, Katrina Cathie et al."):
        out = ground(document, clean, [Finding("primary_sponsor", name, "llm:x")])
        assert "primary_sponsor" not in out.values, name
    out = ground(document, clean, [Finding("primary_sponsor", "Acme Pharma", "llm:x")])
    assert out.values == {"primary_sponsor": "Acme Pharma"}


def test_a_last_update_is_no_trial_date_and_an_id_run_into_a_title_is_not_a_title():
    document, clean = _doc("Trial record 1 of 1 for:    NCT02505542\n\nStudy to Evaluate Remission With CZP\n"
                           "Last Update Posted : February 26, 2014\n")
    out = ground(document, clean, [Finding("primary_completion_date", "2014-02-26", "llm:x"),
                                   Finding("scientific_title", "NCT02505542: Study to Evaluate Remission With CZP",
                                           "llm:x")])
    assert out.values == {}


def test_a_condition_or_intervention_a_title_names_is_stated():
    """A title says what the trial studies and tests: its condition and drug are stated there,
    with or without a sentence repeating them (eval/README.md, "Values inside titles")."""
    text = ("Study of Certolizumab Pegol in Subjects With Active Axial Spondyloarthritis\n"
            "Condition: Ankylosing Spondylitis\n"
            "This trial evaluates certolizumab pegol for active axial spondyloarthritis in adults.\n")
    title = "Study of Certolizumab Pegol in Subjects With Active Axial Spondyloarthritis"
    for page in (text, text.split("This trial")[0]):
        document, clean = _doc(page)
        out = ground(document, clean, [
            Finding("public_title", title, "llm:x"),
            Finding("conditions", ["Active Axial Spondyloarthritis", "Ankylosing Spondylitis"], "llm:x"),
            Finding("interventions", [{"name": "Certolizumab Pegol", "type": None, "description": None}], "llm:x"),
        ])
        assert out.values["conditions"] == ["Active Axial Spondyloarthritis", "Ankylosing Spondylitis"]
        assert [i["name"] for i in out.values["interventions"]] == ["Certolizumab Pegol"]


def test_narrative_prose_is_not_turned_into_criteria():
    document, clean = _doc("The trial enrolled patients with Parkinson's disease dementia across 20 sites.\n\n"
                           "Eligibility\n- Aged 50 to 90 years\n")
    out = ground(document, clean, [Finding("inclusion_criteria", ["Parkinson's disease dementia",
                                                                  "Aged 50 to 90 years"], "llm:x")])
    assert out.values == {"inclusion_criteria": ["Aged 50 to 90 years"]}
    assert [r.reason for r in out.rejections] == [
        "not stated as a criterion (no eligibility heading or criteria label above it, or a piece of a longer sentence)"]


def test_a_piece_of_one_criterion_is_not_a_criterion():
    """"at least one of the following: A, B or C" is one criterion; a model that lists B alone
    took a piece of it. Items start at a line, bullet, number, sentence or colon."""
    document, clean = _doc("Eligibility\nPatients met criteria for at least one of the following: "
                           "Parkinson's disease dementia, dementia with Lewy bodies, or vascular dementia.\n"
                           "- Aged 50 to 90 years\n2) Signed consent\n")
    out = ground(document, clean, [Finding("inclusion_criteria", [
        "Patients met criteria for at least one of the following: Parkinson's disease dementia, dementia with "
        "Lewy bodies, or vascular dementia", "dementia with Lewy bodies", "Aged 50 to 90 years", "Signed consent"],
        "llm:x")])
    assert out.values["inclusion_criteria"] == [
        "Patients met criteria for at least one of the following: Parkinson's disease dementia, dementia with "
        "Lewy bodies, or vascular dementia", "Aged 50 to 90 years", "Signed consent"]
    assert [r.value for r in out.rejections] == ["dementia with Lewy bodies"]


@pytest.mark.parametrize("page_end,kept", [
    ("- Presence of minimal residual disease at a ", False),  # ends on a word no phrase ends with
    ("- Experienced a depressive episode. The Major Depr", False),  # "Depr" only begins words here
    ("- Experiencing a major depressive episode after 4 weeks ", False),  # the dump stops after a space
    ("- Any severe intercurrent disease that may interfere with the current study", True),
    ("- Inadequate hepatic function", True),
])
def test_a_criterion_cut_off_by_the_end_of_a_truncated_page_is_not_stated_whole(page_end, kept):
    document, clean = _doc("Eligibility\n- Major Depressive Disorder per DSM-5\n" + page_end)
    item = page_end[2:].strip()
    out = ground(document, clean, [Finding("inclusion_criteria", [item], "llm:x")])
    assert (out.values.get("inclusion_criteria") == [item]) is kept
    if not kept:
        assert [r.reason for r in out.rejections] == ["cut off by the end of the document: not stated whole"]


def test_a_scientific_title_is_one_a_title_label_gives():
    """A model that calls a page's unlabelled title line the scientific title is not taken at its
    word: "Official Title", "Scientific title", "Full title" labels give one, or a title that states
    the design."""
    document, clean = _doc("A Clinical Trial of Oral Ganaxolone in Women With Postpartum Depression\n\n"
                           "Official Title: A Phase 3 Randomized Double-blind Study of Oral Ganaxolone\n"
                           "Statistical analysis plan\nTo be published later.\n")
    out = ground(document, clean, [Finding("scientific_title", "A Clinical Trial of Oral Ganaxolone in Women With "
                                                               "Postpartum Depression", "llm:x")])
    titles = ("public_title", "scientific_title")
    assert {k: v for k, v in out.values.items() if k in titles} == {}
    out = ground(document, clean, [
        Finding("public_title", "A Clinical Trial of Oral Ganaxolone in Women With Postpartum Depression", "llm:x"),
        Finding("scientific_title", "A Clinical Trial of Oral Ganaxolone in Women With Postpartum Depression", "llm:x")])
    assert {k: v for k, v in out.values.items() if k in titles} == {
        "public_title": "A Clinical Trial of Oral Ganaxolone in Women With Postpartum Depression"}
    assert [r.reason for r in out.rejections] == [
        "no official or scientific title label gives it, and it does not state the design"]
    out = ground(document, clean, [Finding("scientific_title", "A Phase 3 Randomized Double-blind Study of Oral "
                                                               "Ganaxolone", "llm:x")])
    assert {k: v for k, v in out.values.items() if k in titles} == {
        "scientific_title": "A Phase 3 Randomized Double-blind Study of Oral Ganaxolone"}
    out = ground(document, clean, [Finding("public_title", "EudraCT number 2015-001894-4", "llm:x")])
    assert {k: v for k, v in out.values.items() if k in titles} == {}
    # the one masking kind the page names and the one sex its population is ("in Women With ..."), filled by resolve
    assert out.values == {"masking": "DOUBLE", "sex": "FEMALE"}


def test_a_country_in_an_address_or_opening_background_prose_is_not_where_the_trial_runs():
    document, clean = _doc("In France, head and neck cancers are the 5th most common cancer.\n"
                           "Contact\nAddress |\nDepartment of Medicine, K.R. Road\nBangalore 560002 India |\n")
    out = ground(document, clean, [Finding("countries", ["FR", "IN"], "llm:x")])
    assert out.values == {}
    assert {r.reason for r in out.rejections} == {
        "named only in an address, in contact details or in background prose, not as a place the trial runs"}
    document, clean = _doc("In France, head and neck cancers are common.\nLocations: Strasbourg, France; Bangalore, India\n")
    out = ground(document, clean, [Finding("countries", ["FR", "IN"], "llm:x")])
    assert out.values == {"countries": ["FR", "IN"]}


@pytest.mark.parametrize("text, stated", [
    # a registrant's or contact's details: name, organisation, country, phone, e-mail
    ("Registrant information\nName\nA. Karimi\nCountry\nIran (Islamic Republic of)\nPhone\n+98 21 5550 0000\n", False),
    ("Scientific contact\nDr J. Smith, Leeds, United Kingdom\nTel: +44 113 000\n", False),
    ("Contact: j.smith@example.org\nCountry: United Kingdom\n", False),
    # where the trial runs: no one's phone or e-mail beside it
    ("Countries of recruitment\nUnited Kingdom\nIran (Islamic Republic of)\n", True),
    ("Recruitment\nCountry: United Kingdom\nTarget size: 120\n", True),
])
def test_a_country_among_a_contacts_details_is_not_where_the_trial_runs(text, stated):
    document, clean = _doc(text)
    code = "IR" if "Iran" in text and "Kingdom" not in text else "GB"
    out = ground(document, clean, [Finding("countries", [code], "llm:x")])
    assert ("countries" in out.values) == stated


def test_an_organization_labelled_sponsor_or_institute_is_not_a_site():
    document, clean = _doc("Primary Sponsor: Institute - National Cancer Center Hospital East\n"
                           "Research contact person\nOrganization\n\nKashiwa Hospital\n"
                           "Recruiting locations\nTokyo Medical Center, Tokyo\n")
    out = ground(document, clean, [Finding("sites", [
        {"name": "Institute - National Cancer Center Hospital East", "city": None, "country": None},
        {"name": "Kashiwa Hospital", "city": None, "country": None},
        {"name": "Tokyo Medical Center", "city": "Tokyo", "country": None}], "llm:x")])
    assert [site["name"] for site in out.values["sites"]] == ["Tokyo Medical Center"]


def test_an_organization_under_another_roles_label_is_not_a_site():
    """Old ClinicalTrials.gov pages: "Sponsor:" with its value lost, then other roles' names."""
    document, clean = _doc("Sponsor:\nCollaborator:\nParexel\nInformation provided by (Responsible Party):\n"
                           "UCB Pharma ( UCB BIOSCIENCES GmbH )\n")
    out = ground(document, clean, [Finding("collaborators", ["Parexel"], "llm:x"),
                                   Finding("sites", [{"name": "UCB Pharma", "city": None, "country": None}], "llm:x")])
    assert out.values == {"collaborators": ["Parexel"]}
    assert [r.reason for r in out.rejections] == [
        "labelled as another role (sponsor, responsible party, organization, address): not a site"]


def test_an_official_title_is_a_title_line_not_a_phrase_cut_out_of_prose():
    text = ("Radiotherapy in Recurrent Nasopharyngeal Carcinoma\n"
            "This single-arm phase II trial evaluates the safety of a radio-immunotherapy strategy for recurrent NPC.\n"
            "Official Title: A Single-Arm Phase II Trial of Radio-immunotherapy for Recurrent NPC\n")
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("scientific_title",
                                           "single-arm phase II trial evaluates the safety of a radio-immunotherapy "
                                           "strategy", "llm:x")])
    assert out.values == {}
    assert [r.reason for r in out.rejections] == ["a phrase inside a sentence, not a title line"]
    out = ground(document, clean, [Finding("scientific_title",
                                           "A Single-Arm Phase II Trial of Radio-immunotherapy for Recurrent NPC",
                                           "llm:x")])
    assert out.values["scientific_title"] == "A Single-Arm Phase II Trial of Radio-immunotherapy for Recurrent NPC"


@pytest.mark.parametrize("text,acronym,kept", [
    ("Study of Blinatumomab in ALL (BLAST)\n\nNCT01207388\nMT103-203\n", "MT103-203", False),  # the code under the id
    ("Study of Blinatumomab in ALL (BLAST)\n\nNCT01207388\nMT103-203\n", "BLAST", True),
    ("Sponsor's Protocol Code Number:ClonDO\n", "ClonDO", False),
    ("Other Study ID Numbers: PROM-01\n", "PROM-01", False),
    ("1. Pimavanserin lowered the risk of relapse.\n", "PIMAV", False),  # an acronym is stated exactly
    ("Acronym: EMBLEMS\n", "EMBLEMS", True),
    # a code's shape (a run of digits, digits between letters) is a compound's or protocol's code...
    ("Phase 3 Trial of Drug X in COPD (XY-7123-019)\n", "XY-7123-019", False),
    ("Acme starts dosing in the trial - AB-123\n", "AB-123", False),
    ("The AB12C study enrolled adults.\n", "AB12C", False),
    # ...unless an Acronym label gives it; a name may end on a short number
    ("Acronym: AB-123\n", "AB-123", True),
    ("Results of the RECAST-3 trial\n", "RECAST-3", True),
    # a word one can say, set apart from its number, is a name with its number
    ("First patient dosed in the HORIZON-301 trial\n", "HORIZON-301", True),
    ("Enrolment in the phase 3 ZORVI 204 study is complete\n", "ZORVI 204", True),
    ("First patient dosed in the trial of ABCD-301\n", "ABCD-301", False),  # letters one cannot say: a code
])
def test_an_acronym_is_stated_exactly_and_not_as_a_protocol_code(text, acronym, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("acronym", acronym, "llm:x")])
    assert (out.values.get("acronym") == acronym) is kept


def test_an_outcome_is_stated_in_its_own_sentence_and_ends_before_a_result():
    """A long paragraph line: "the 2-year PFS was 45%" (background) is not the trial's outcome; "The
    primary endpoint is progression-free survival." is, and the measure stops before any "was"."""
    document, clean = _doc("Carbon ions improved OS, and the 2-year progression-free survival (PFS) was approximately "
                           "45%-50%. The primary endpoint is progression-free survival. Patients are followed.\n")
    out = ground(document, clean, [Finding("primary_outcomes", [{"measure": "progression-free survival",
                                                                 "time_frame": None}], "llm:x")])
    assert out.values["primary_outcomes"] == [{"measure": "progression-free survival", "time_frame": None}]
    assert document.text[out.evidence["primary_outcomes"][0].start:].startswith("progression-free survival. Patients")


@pytest.mark.parametrize("text", [
    "Date of Last Refreshed on:\n\n2020-05-10\n\n注册时间:\n\nDate of Registration:\n\n2020-05-08\n",  # ChiCTR: blank lines
    "ISRCTN ISRCTN17473621\nSubmission date\n15/05/2023\nRegistration date\n06/06/2023\n",
    "Date on which this record was first entered in the EudraCT database:2021-07-01\n",
])
def test_a_date_labelled_as_registration_or_submission_is_not_the_start_date(text):
    document, clean = _doc(text)
    value = "2020-05-08" if "2020" in text else "2023-05-15" if "ISRCTN" in text else "2021-07-01"
    out = ground(document, clean, [Finding("start_date", value, "llm:x")])
    assert out.values == {}


def test_a_treatment_phase_is_not_an_intervention_name():
    document, clean = _doc("Induction: low-dose RT plus anti-PD-1\nDefinitive: IMRT 2 Gy x 28\n")
    out = ground(document, clean, [Finding("interventions", [
        {"name": "Induction", "type": "DRUG", "description": None},
        {"name": "Definitive", "type": "RADIATION", "description": None}], "llm:x")])
    assert out.values == {}


def test_a_list_is_completed_only_from_its_leading_items():
    """"OS, measured at 2 years, and PFS": the accepted items are not a list's leading run, so
    "measured at 2 years" is not taken for an outcome."""
    document, clean = _doc("Secondary endpoints are OS, measured at 2 years, and PFS.\n")
    out = ground(document, clean, [Finding("secondary_outcomes", [{"measure": "OS", "time_frame": None},
                                                                  {"measure": "PFS", "time_frame": None}], "llm:x")])
    assert [item["measure"] for item in out.values["secondary_outcomes"]] == ["OS", "PFS"]


@pytest.mark.parametrize("text, value, quote", [
    ("試験開始日 Study start date: 2025年10月10日", "2025-10-10", "2025年10月10日"),
    ("Study start date: 10-Oct-2025", "2025-10-10", "10-Oct-2025"),
    ("Start Date 19-08-2021\nEnd Date 30-12-2023", "2021-08-19", "19-08-2021"),
    ("Date study starts: 2023 Year 10 Month 26 Day", "2023-10-26", "2023 Year 10 Month 26 Day"),
])
def test_dates_are_found_in_every_common_written_form(text, value, quote):
    """One date detector (schemas.normalize.DATE_IN_TEXT) for rules and grounding: CJK dates,
    day-month-name-year with hyphens, and day-first numeric dates are statements of a date."""
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("start_date", value, "llm:x")])
    assert out.values == {"start_date": value}
    assert out.evidence["start_date"][0].quote == quote


@pytest.mark.parametrize("text, value", [
    ("EudraCT number: 2015-001894-41", "2015"),  # an id, not a year
    ("Study start date: 10-Oct-2025", "2025"),  # the stated precision is a day, not a year
    ("Last updated: 2025年10月10日", "2025-10-10"),  # labelled as another kind of date
])
def test_what_is_not_a_statement_of_the_date(text, value):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("start_date", value, "llm:x")])
    assert "start_date" not in out.values


@pytest.mark.parametrize("text, sponsor", [
    ("Sponsor: Acme University\nPhase 2", "Acme University"),
    ("Primary sponsor\n\nAcme University Hospital\n", "Acme University Hospital"),
    ("Acme Pharma, a clinical-stage company, announced today the first patient dosed", "Acme Pharma"),
    ("申办单位:\nAcme Hospital\n", "Acme Hospital"),
    ("The trial is funded by the Acme Foundation.", "Acme Foundation"),
    # a company a trial page names is the party developing the drug, cue word or not
    ("Acme Therapeutics said on Monday that dosing began in its trial of AB-1.", "Acme Therapeutics"),
    ("\uc885\uadfc\ub2f9\uc81c\uc57d\uc740 \uc784\uc0c1 3\uc0c1\uc744 \uc9c4\ud589\ud55c\ub2e4\uace0 \ubc1d\ud614\ub2e4.", "\uc885\uadfc\ub2f9\uc81c\uc57d"),  # Korean: a pharma company "said"
    # the page calls it a company in its own language, with no legal form in the name
    ("La soci\u00e9t\u00e9 Acmeville a lanc\u00e9 son essai de phase 3.", "Acmeville"),
    ("Das Biotechunternehmen Acmeville startet die Studie.", "Acmeville"),
    ("\u041a\u043e\u043c\u043f\u0430\u043d\u0438\u044f Acmeville \u043d\u0430\u0447\u0430\u043b\u0430 \u0438\u0441\u043f\u044b\u0442\u0430\u043d\u0438\u044f.", "Acmeville"),  # Компания X начала испытания
    ("Forskningsbolaget Acmeville meddelar att studien har startat.", "Acmeville"),
    ("La empresa Acmeville inici\u00f3 el ensayo.", "Acmeville"),
    ("Acmeville\u516c\u53f8\u5ba3\u5e03\u542f\u52a83\u671f\u4e34\u5e8a\u8bd5\u9a8c\u3002", "Acmeville"),  # X公司宣布启动3期临床试验
])
def test_a_sponsor_is_an_organization_the_page_gives_that_role(text, sponsor):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("primary_sponsor", sponsor, "llm:x")])
    assert out.values == {"primary_sponsor": sponsor}


@pytest.mark.parametrize("text, named", [
    ("Registered at the Chinese Clinical Trial Registry\nTitle: A study of X", "Chinese Clinical Trial Registry"),
    ("Related drugs\nEmpagliflozin\nDapagliflozin", "Empagliflozin"),
    ("Locations\nMayo Clinic Depression Center, Rochester", "Mayo Clinic Depression Center"),
    ("Collaborator:\nAcme University\nSponsor:", "Acme University"),
    ("Researchers at Acme University said the results were clear.", "Acme University"),  # no company, no cue
    ("El Hospital Acmeville reclutar\u00e1 pacientes tras la firma del consentimiento.", "Hospital Acmeville"),  # "firma": a signature
    ("Forscher der Acmeville-Klinik und der Deutschen Gesellschaft f\u00fcr Kardiologie berichten.", "Acmeville-Klinik"),
])
def test_an_organization_merely_named_is_not_the_sponsor(text, named):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("primary_sponsor", named, "llm:x")])
    assert "primary_sponsor" not in out.values
    assert out.rejections


@pytest.mark.parametrize("text, code, stated", [
    ("国家:\n中国\n", "CN", True),
    ("Land: Deutschland", "DE", True),
    ("País: España", "ES", True),
    ("中国临床试验注册中心", "CN", False),  # the registry's name holds the word; it states no country
])
def test_countries_are_found_by_their_names_in_other_languages(text, code, stated):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("countries", [code], "llm:x")])
    assert (out.values.get("countries") == [code]) is stated


@pytest.mark.parametrize("text, code, stated", [
    ("임상시험은 미국에서 진행된다.", "US", True),  # Korean: a particle joined to the name
    ("러시아 내 병원 10곳이 참여한다.", "RU", True),  # a short (CLDR) name, not ISO's long one
    ("이 연구는 인도네시아에서 진행된다.", "IN", False),  # India's name begins Indonesia's
    ("미국국립보건원이 연구비를 지원했다.", "US", False),  # the first word of an institute's name
    ("该试验在中国开展，共入组120例。", "CN", True),  # Chinese: after a word that makes it a place
    ("本試験は日本で実施される。", "JP", True),  # Japanese: before one
    ("日本医科大学の研究チームが発表した。", "JP", False),  # the first word of a university's name
])
def test_a_country_in_a_cjk_script_is_found_without_spaces_around_it(text, code, stated):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("countries", [code], "llm:x")])
    assert (out.values.get("countries") == [code]) is stated


@pytest.mark.parametrize("text, site, kept", [
    ("Locations\nAcme Research Unit\n", "Acme Research Unit", True),
    ("Acme University Hospital is recruiting", "Acme University Hospital", True),
    ("Related drugs\nEmpagliflozin\n", "Empagliflozin", False),
    ("Acme Holdings Ltd reported results", "Acme Holdings Ltd", False),
])
def test_a_site_without_a_location_must_be_stated_as_a_place(text, site, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("sites", [{"name": site}], "llm:x")])
    assert bool(out.values.get("sites")) is kept


@pytest.mark.parametrize("text, site, kept", [
    # a summary of many places is no one site
    ("The trial runs at Ruritanian sites from March.\n", "Ruritanian sites", False),
    ("It enrols infants at children's hospitals in Ruritania.\n", "children's hospitals in Ruritania", False),
    ("The study will enrol 300 patients at 20 to 25 Centres in Ruritania.\n", "20 to 25 Centres in Ruritania", False),
    # a proper name is capitalised, plural word or not
    ("Acme University Hospitals, Leeds, is one of the sites.\n", "Acme University Hospitals", True),
    ("Hospitals of the University of Acme, Leeds\n", "Hospitals of the University of Acme", True),
])
def test_a_site_is_one_place_not_a_summary_of_many(text, site, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("sites", [{"name": site}], "llm:x")])
    assert bool(out.values.get("sites")) is kept, out.rejections
    assert any("many sites" in r.reason for r in out.rejections) is not kept


@pytest.mark.parametrize("text, site, kept", [
    # a contact's workplace is their address, however located
    ("Contact information\nDr Jane Doe\nAcme University Hospital\nLeeds\nUnited Kingdom\n", "Acme University Hospital", False),
    ("Contacts and Locations\nAcme University Hospital\nLeeds\nUnited Kingdom\n", "Acme University Hospital", True),
    ("Locations\nAcme University Hospital, Leeds\nContact information\nAcme University Hospital\n",
     "Acme University Hospital", True),  # also listed where the trial runs
    # a criterion's clinic says who may enrol
    ("Inclusion criteria\n* Able to return to Acme University Hospital for follow-up\n", "Acme University Hospital", False),
])
def test_a_site_named_only_in_contact_details_or_criteria_is_no_site(text, site, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("sites", [{"name": site, "city": "Leeds", "country": "GB"}], "llm:x")])
    assert bool(out.values.get("sites")) is kept, out.rejections


@pytest.mark.parametrize("text, kept", [
    # a registry form gives the investigator's institution; nothing says the trial runs there
    ("Principal investigator: Dr Jane Doe\nInstitution: Acme University Hospital, Leeds\n", False),
    # the same hospital listed where the trial runs is a site, the investigator working there too
    ("Locations\nAcme University Hospital, Leeds\n\nPrincipal investigator: Dr Jane Doe, Acme University Hospital\n", True),
])
def test_a_site_that_is_a_contacts_affiliation_is_where_they_work(text, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [
        Finding("sites", [{"name": "Acme University Hospital", "city": "Leeds", "country": None}], "llm:x"),
        Finding("contacts", [{"name": "Dr Jane Doe", "role": "Principal investigator",
                              "affiliation": "Acme University Hospital"}], "llm:x"),
    ])
    assert [c["name"] for c in out.values["contacts"]] == ["Dr Jane Doe"]
    assert bool(out.values.get("sites")) is kept, out.rejections


@pytest.mark.parametrize("text, kept", [
    ("Full title of the trial\nA Randomised Trial of Drug X in Adults With Asthma\n", False),
    ("Scientific title: A Randomised Trial of Drug X in Adults With Asthma\n", False),
    ("Public title: A Randomised Trial of Drug X in Adults With Asthma\n", True),
    ("Title\nA Randomised Trial of Drug X in Adults With Asthma\n", True),
    ("A Randomised Trial of Drug X in Adults With Asthma\nSponsor: Acme\n", True),
])
def test_a_title_under_a_scientific_title_label_is_not_the_public_title(text, kept):
    stored, rejections = _kept_as_public_title(text, "A Randomised Trial of Drug X in Adults With Asthma")
    assert stored is kept, rejections


@pytest.mark.parametrize("text, kept", [
    # an official title states the design: two of allocation, masking, intervention model
    ("Results\nA Randomized, Double-blind, Parallel-group Study of Drug X in Asthma\n", True),
    ("Official title: A Study of Drug X in Asthma\n", True),
    # one design word, or none, and no label: no more than an unlabelled title
    ("Results\nA Randomized Study of Drug X in Asthma\n", False),
    ("Results\nA Phase 3 Study of Drug X in Asthma\n", False),
])
def test_a_scientific_title_is_labelled_or_states_the_design(text, kept):
    document, clean = _doc(text)
    title = text.splitlines()[-1].split(": ")[-1]
    out = ground(document, clean, [Finding("public_title", "Something else", "llm:x"),
                                   Finding("scientific_title", title, "llm:x")])
    assert (out.values.get("scientific_title") == title) is kept, out.rejections


@pytest.mark.parametrize("text, public", [
    # unlabelled, stating the design: the official title, whichever field the model put it in
    ("Results\nA Randomized, Double-blind, Placebo-controlled Study of Drug X in Asthma\n", False),
    # a label gives it as the public or brief title: as written
    ("Brief title: A Randomized, Double-blind, Placebo-controlled Study of Drug X in Asthma\n", True),
    # unlabelled, one design word: no more than an unlabelled title
    ("Results\nA Randomized Study of Drug X in Asthma\n", True),
])
def test_an_unlabelled_title_that_states_the_design_is_the_scientific_title(text, public):
    document, clean = _doc(text)
    title = text.splitlines()[-1].split(": ")[-1]
    out = ground(document, clean, [Finding("public_title", title, "llm:x"), Finding("scientific_title", title, "llm:x")])
    assert (out.values.get("public_title") == title) is public, out.rejections
    assert (out.values.get("scientific_title") == title) is not public, out.rejections


@pytest.mark.parametrize("text, title, kept", [
    ("Acme Announces First Patient Dosed in Phase 3 HORIZON Trial\nBy staff\n",
     "Acme Announces First Patient Dosed in Phase 3 HORIZON Trial", False),
    ("Acme avvia lo studio di fase 2 su XY-12\n", "Acme avvia lo studio di fase 2 su XY-12", False),  # Italian: "begins"
    ("Public title: Acme Announces a Study\n", "Acme Announces a Study", True),  # a title label gives it as written
    ("A Study of Drug X in Patients Who Received Prior Therapy\n", "A Study of Drug X in Patients Who Received Prior Therapy", True),
    ("Multiple Doses of Drug X in Healthy Adults\n", "Multiple Doses of Drug X in Healthy Adults", True),
])
def test_a_news_headline_is_no_public_title(text, title, kept):
    """A trial's title names the study; a headline reports an event (someone announces, begins...)."""
    stored, rejections = _kept_as_public_title(text, title)
    assert stored is kept, rejections


@pytest.mark.parametrize("title, kept", [
    ("Volunteers needed for a migraine study", False),
    ("Adults with asthma invited to take part in inhaler study", False),
    ("Seeking participants for a sleep trial", False),
    ("Probanden gesucht: Studie zu Migr\u00e4ne", False),  # German: "volunteers wanted"
    ("A Study of Drug X in Patients With Migraine", True),
    ("Effect of Help-Seeking Behaviour on Migraine Outcomes", True),
])
def test_a_call_for_participants_is_no_public_title(title, kept):
    """An advertisement calls for participants; a trial's title names the study."""
    stored, rejections = _kept_as_public_title(f"{title}\nPhase: 2\nEnrollment: 40\n", title)
    assert stored is kept, rejections
    # under a title label the page gives it as the title, as written
    stored, rejections = _kept_as_public_title(f"Public title: {title}\nPhase: 2\n", title)
    assert stored, rejections


@pytest.mark.parametrize("text, kept", [
    # a story reports speech or an announcement: its headline is the story's title, whatever verb it uses
    ("Hope for Older Patients in New Heart Drug Study\nAcme announced on Monday that the study enrols 300 "
     "patients.\n", False),
    ("Hope for Older Patients in New Heart Drug Study\nAcme\u516c\u5e03\u8be5\u7814\u7a76\u62db\u52df300\u540d\u60a3\u8005\u3002\n", False),  # Chinese: "Acme made public ..."
    ("Hope for Older Patients in New Heart Drug Study\nThe study enrols 300 patients, the lead "
     "investigator said on Monday.\n", False),
    ("Hope for Older Patients in New Heart Drug Study\nLa \u00e9tude recrute 300 patients, a d\u00e9clar\u00e9 le "
     "m\u00e9decin.\n", False),
    ("Hope for Older Patients in New Heart Drug Study\n\uc5f0\uad6c\ud300\uc740 300\uba85\uc744 "
     "\ubaa8\uc9d1\ud55c\ub2e4\uace0 \ubc1d\ud614\ub2e4.\n", False),  # Korean: "...the team stated"
    # a title label gives it, quotes or not
    ("Study title: Hope for Older Patients in New Heart Drug Study\nThe investigator said it enrols 300.\n", True),
    # a record or listing quotes no one: its unlabelled title line stands
    ("Hope for Older Patients in New Heart Drug Study\nEnrollment: 300\nStatus: Recruiting\n", True),
    # "saidina" and "says-" compounds are not the verb
    ("Hope for Older Patients in New Heart Drug Study\nThe Saidina Hospital enrols 300 patients.\n", True),
])
def test_a_story_gives_no_public_title(text, kept):
    """News items and press releases report what someone said or announced ("..., she said",
    "announced today"); registry records and trial listings state facts under labels. On a story,
    an unlabelled title line is the story's headline."""
    stored, rejections = _kept_as_public_title(text, "Hope for Older Patients in New Heart Drug Study")
    assert stored is kept, rejections


@pytest.mark.parametrize("text, quotes", [
    ("The drug was well tolerated, she said.", True),
    ("\u201cWe are pleased,\u201d sagte der Studienleiter.", True),
    ("\u8be5\u836f\u7269\u5b89\u5168\uff0c\u4ed6\u8868\u793a\u3002", True),  # Chinese: "..., he stated"
    ("Brief Summary: The study says nothing of speech.", True),  # a verb is a verb: the detector reads words
    ("Brief Summary: A randomized study of drug X.\nPhase: 2\nEnrollment: 40", False),
    ("Speak to your doctor about taking part.", False),
    ("Acme Inc. a annonc\u00e9 le d\u00e9but de l'\u00e9tude.", True),
])
def test_a_story_is_read_from_its_reporting_verbs(text, quotes):
    assert statements.reports_news(text) is quotes


@pytest.mark.parametrize("condition, kept", [
    # a phrase ending on a treatment, test or procedure names what the trial does
    ("Gene therapy", False),
    ("Memory assessment", False),
    ("Knee implants", False),
    ("Herbal medicine", False),
    # a disease, or a condition a treatment causes (a linking word before the treatment)
    ("Chronic kidney disease", True),
    ("Nausea after abdominal surgery", True),
    ("Mucositis induced by radiation therapy", True),
    ("Treatment-resistant depression", True),
])
def test_a_condition_names_what_the_trial_studies_not_what_it_does(condition, kept):
    document, clean = _doc(f"Title: A study\nCondition: {condition}\nPhase: 2\n")
    out = ground(document, clean, [Finding("conditions", [condition], "llm:x")])
    assert (condition in (out.values.get("conditions") or [])) is kept, out.rejections


@pytest.mark.parametrize("text, field, item, kept", [
    ("Intervention\nDrug: Metformin 500 mg\n", "interventions", {"name": "Metformin 500 mg"}, True),
    ("Inclusion Criteria:\n- Treated with metformin for 3 months\n", "interventions", {"name": "metformin"}, False),
    ("Eligibility\n\nAge 18 or over\nAdvanced heart failure\n", "interventions", {"name": "Advanced heart failure"}, False),
    ("Exclusion criteria: major depressive disorder\n", "conditions", "major depressive disorder", False),
    # prose's "including" or "exclusively" is no criterion: the paragraph names what the trial gives
    ("The trial compares drug Y with surgery, and outcomes include death. Centres take part exclusively.\n",
     "interventions", {"name": "drug Y"}, True),
    ("Condition: Major depressive disorder\n", "conditions", "Major depressive disorder", True),
])
def test_what_the_criteria_name_is_not_what_the_trial_gives_or_studies(text, field, item, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding(field, [item], "llm:x")])
    assert bool(out.values.get(field)) is kept


@pytest.mark.parametrize("text, answer, stored", [
    ("Studio di fase III, randomizzato", ["PHASE3"], ["PHASE3"]),
    ("一项III期临床试验", ["PHASE3"], ["PHASE3"]),
    ("第III相試験を開始", ["PHASE3"], ["PHASE3"]),
    ("임상 3상 시험", ["PHASE3"], ["PHASE3"]),
    ("III期非小细胞肺癌患者", ["PHASE3"], None),  # a cancer stage, not a phase
    ("A Phase III, randomized study", ["PHASE3", "PHASE4"], ["PHASE3"]),  # the part the page states
    ("A Phase 2/3 study", ["PHASE2", "PHASE3"], ["PHASE2", "PHASE3"]),
])
def test_phases_stated_in_other_languages_and_the_stated_part_of_an_answer(text, answer, stored):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("phases", answer, "llm:x")])
    assert out.values.get("phases") == stored


def test_a_numbered_list_run_into_one_line_gives_one_criterion_per_number():
    text = ("Inclusion Criteria:\n1. Age 18-65, male or female 2. Outpatient of the study clinic "
            "3. Ability to provide informed consent\n")
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("inclusion_criteria", [
        "Age 18-65, male or female 2. Outpatient of the study clinic 3. Ability to provide informed consent"], "llm:x")])
    assert out.values["inclusion_criteria"] == [
        "Age 18-65, male or female", "Outpatient of the study clinic", "Ability to provide informed consent"]


@pytest.mark.parametrize("item", ["Dose of 2. 5 mg daily for 3 days", "Items 1. 3. 5. of the scale"])
def test_numbers_that_do_not_count_up_do_not_split_a_criterion(item):
    assert one_criterion_each(item) == [item]


def test_a_connector_a_flattened_list_leaves_is_not_part_of_the_criterion():
    assert one_criterion_each("Hospitalization for heart failure within six months. AND") == [
        "Hospitalization for heart failure within six months."]


@pytest.mark.parametrize("text,kept", [
    ("Registration date: 2021-02-27, 1399/12/09\n", True),
    ("Date of Registration: |\n2021-02-27 00:00:00 |\n", True),  # the label on the line above
    ("First Posted\n: February 27, 2021\n", True),
    ("\u6ce8\u518c\u65f6\u95f4\uff1a2021-02-27\n", True),  # 注册时间: Chinese "registration time"
    ("The trial was registered with ClinicalTrials.gov on 2021-02-27.\n", True),
    ("By staff writers\nFebruary 27, 2021\nRelated reading\n", False),  # a news item's dateline
    ("Page created: 2021-02-27 @ 4:12 AM\n", False),  # the page's own date
    ("Mis \u00e0 jour le 27/02/2021\n", False),  # "updated on"
    ("Enrolment of the first patient: 2021-02-27\n", False),
])
def test_a_registration_date_is_accepted_only_under_its_own_label(text, kept):
    """Registries give the registration date under its label; an unlabelled date on a trial's page
    is a dateline, the page's own date or another event's."""
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("registration_date", "2021-02-27", "llm:x")])
    assert (out.values.get("registration_date") == "2021-02-27") is kept
    out = ground(document, clean, [Finding("start_date", "2021-02-27", "llm:x")])
    if "Enrolment" in text:
        assert out.values == {"start_date": "2021-02-27"}, "other dates are still stated in prose"


@pytest.mark.parametrize("text,acronym,kept", [
    ("A Study of Drug X in Chest Pain (ABCD)\n", "ABCD", True),  # closes the title line
    ("Title: KIDNEY-X (The Study of Kidney Protection With Drug X)\n", "KIDNEY-X", True),
    ("Enrollment began in the pivotal clinical trial (DEVICE I) comparing two devices.\n", "DEVICE I", True),
    ("The company initiates a Phase 2 clinical trial, Tulip, assessing drug Y.\n", "Tulip", True),
    ("Results of the WALK study were presented.\n", "WALK", True),
    ("The CARE (Children's Antiviral REgimens) programme enrolled children.\n", "CARE", True),
    ("Trial acronym\nStEP Trial\nHealth condition\n", "StEP Trial", True),
    ("Patients receive drugname pegol (DP) 200 mg every two weeks.\n", "DP", False),  # a drug's abbreviation
    ("Acme Pharma Inc. (ACME) announced top-line results on Monday.\n", "ACME", False),  # a ticker
    ("Treatment of Relapsed Lymphoma, MDS, and Chronic Myelomonocytic Leukemia\n", "MDS", False),  # a disease
    # a short name closing a sentence of prose abbreviates what the sentence names; closing a title, it is the trial's
    ("The drug is approved for adults with chronic kidney disease (CKD).\n", "CKD", False),
    ("Shares rose after the news, said analysts at Acme Capital (AC).\n", "AC", False),
    ("The study (CKD-GO) enrolled adults with chronic kidney disease.\n", "CKD-GO", True),
    ("Phase 3 Trial of Drug X in Chronic Kidney Disease (KIDNEY-GO)\n", "KIDNEY-GO", True),
    ("Acronym\nStudy hypothesis\n1. Is the treatment better?\n", "Study hypothesis", False),  # the next label
    ("Acronym:\nStatus: COMPLETED\n", "Status: COMPLETED", False),  # the next field, label and all
    # a name is written as one; a line of ordinary words is a heading, not the trial's short name
    ("Registry record\nRelated records\nPublic title: X\n", "Related records", False),
    ("Results of the KIDNEY-GO 2 trial\n", "KIDNEY-GO 2", True),
    ("The StarLite 017 trial enrolled 272 patients.\n", "StarLite 017", True),
    ("The Beacon IV trial compared two stents.\n", "Beacon IV", True),
    ("The iCARE study enrolled men.\n", "iCARE", True),
    # a trial word names the short name beside it, not what a linking word joins to it
    ("Acme begins a Phase 1 trial of ABLE-2 in healthy adults.\n", "ABLE-2", False),
    ("Results for ABLE-2 in a Phase 1 study were positive.\n", "ABLE-2", False),
    ("The study evaluating ZX-9 enrolled 40 adults.\n", "ZX-9", False),
    ("Acme Announces First Patient Dosed in Phase 3 HORIZON Trial\n", "HORIZON", True),
    ("The ROSE Phase III clinical study enrolled adults.\n", "ROSE", True),
    # a name ending a line is set apart from the words before it, not a headline's object
    ("Acme Pharma begins dosing in trial of ABLE-2\n", "ABLE-2", False),
    ("Acme Pharma starts dosing with ABLE-2\n", "ABLE-2", False),
    ("Research summary\nELFIN\nResearch type\n", "ELFIN", True),
    ("Acme Pharma starts dosing - ABLE-2\n", "ABLE-2", True),
])
def test_an_acronym_is_one_the_page_gives_as_the_trials_name(text, acronym, kept):
    """A short name is the trial's acronym where the page gives it as the trial's name; the same
    shape in running text is another thing's abbreviation, and a field label is no name at all."""
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("acronym", acronym, "llm:x")])
    assert (out.values.get("acronym") == acronym) is kept, out.rejections


@pytest.mark.parametrize("text,added", [
    ("Participants are randomised to drug X or placebo for 12 weeks.\n", "placebo"),
    ("Half will receive drug X and half will receive a placebo (a dummy injection).\n", "placebo"),
    ("Could I receive a Placebo?\nYes\nDrug X tablets daily.\n", "Placebo"),
    ("Els pacients rebran drug X o placebo durant 14 dies.\n", "placebo"),  # Catalan: "will receive X or placebo"
    ("Half took drug X, the other half took a placebo pill every morning.\n", "placebo"),
    ("Three groups receive drug X at different doses and the fourth is getting a placebo.\n", "placebo"),
    ("I pazienti assumono drug X o il placebo per sei mesi.\n", "placebo"),  # Italian: "take X or the placebo"
    ("Les patients prennent drug X, les autres prennent le placebo.\n", "placebo"),  # French: "take the placebo"
    ("Patients take drug X daily in this placebo-controlled trial.\n", None),
    ("A randomised, double-blind, placebo-controlled trial of drug X.\nDrug X is given daily.\n", None),
    ("All patients entered a single-blind placebo run-in before drug X.\n", None),
    ("Control\nPlacebo group\nDrug X 10 mg\n", None),  # a group's name alone says nothing of who gets what
])
def test_a_placebo_participants_receive_is_an_intervention_beside_the_drug(text, added):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("interventions", [{"name": "drug X", "type": "DRUG", "description": None}],
                                           "llm:x")])
    names = [item["name"] for item in out.values["interventions"]]
    assert names == (["drug X", added] if added else ["drug X"])
    if added:
        evidence = out.evidence["interventions"][-1]
        assert evidence.quote == added and evidence.method == "grounding:placebo"
    # no intervention accepted, nothing added: a placebo is a comparator of something
    out = ground(document, clean, [Finding("interventions", [{"name": "drug Y", "type": None, "description": None}],
                                           "llm:x")])
    assert "interventions" not in out.values


def test_narrative_prose_is_no_inclusion_criterion_but_an_exclusion_item_needs_no_heading():
    """Prose about who took part reads as inclusion criteria, so an inclusion item must stand where
    the page lists criteria; an exclusion item is one wherever it starts an item, as long as it is
    not a piece of a sentence."""
    document, clean = _doc("About the study\nPatients with severe asthma were enrolled at 12 centres.\n"
                           "Who cannot take part\n- Pregnant or breastfeeding women\n"
                           "Smokers and pregnant women are not studied here.\n")
    out = ground(document, clean, [
        Finding("inclusion_criteria", ["Patients with severe asthma"], "llm:x"),
        Finding("exclusion_criteria", ["Pregnant or breastfeeding women", "pregnant women"], "llm:x"),
    ])
    assert "inclusion_criteria" not in out.values
    assert out.values["exclusion_criteria"] == ["Pregnant or breastfeeding women"]


@pytest.mark.parametrize("text,title,kept", [
    ("A Study of Drug X in Adults With Asthma\nSponsor: Acme\n", "A Study of Drug X in Adults With Asthma", True),
    ("Public title: A Study of Drug X in Adults With Asthma\n", "A Study of Drug X in Adults With Asthma", True),
    ("A Study of Drug X in Adults With Asthma - Example Trials\n", "A Study of Drug X in Adults With Asthma", True),
    ("The Clotbust ER Phase III clinical study is being conducted at 60 sites.\n",
     "Clotbust ER Phase III clinical study", False),  # a phrase cut out of a sentence
    # a title line closed by a full stop, or opened by the trial's code in brackets
    ("Menu\nA Study of Drug X in Adults With Asthma.\nSponsor: Acme\n", "A Study of Drug X in Adults With Asthma", True),
    ("Menu\n(XY-1234) A Study of Drug X in Adults With Asthma\n", "A Study of Drug X in Adults With Asthma", True),
    # a sentence's end is still a sentence: words before the phrase
    ("The trial tests a study drug in adults with asthma.\n", "a study drug in adults with asthma", False),
    ("(see below) A Study of Drug X in Adults With Asthma\n", "A Study of Drug X in Adults With Asthma", False),
])
def test_a_public_title_stands_as_a_title_line(text, title, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("public_title", title, "llm:x")])
    assert (out.values.get("public_title") == title) is kept, out.rejections


@pytest.mark.parametrize("name, role, kept", [
    ("Jane Doe", "Principal Investigator", True),
    ("Clinical trial disclosure desk", "Public contact", True),  # a named desk is a contact
    ("\u674e\u6d01", "\u7533\u8bf7\u4eba", True),  # a CJK name is one word
    ("ZhangWei", "Applicant", True),  # pinyin given and family name written together
    ("Northfield Clinic Sleep Center", "Principal Investigator", False),  # an organization: a site or sponsor
    ("Zorvimab", "Drug", False),  # one word, no one's name
    ("editorial", "contact", False),
    ("\uae40\uc11c\uc5f0", "\uae30\uc790", False),  # the byline's reporter (기자)
    ("Tom Baker", "Health reporter", False),
    # whom a story quotes beside its trial: a press contact, a company's officer, a patient
    ("Ann Lee", "MEDIA CONTACT", False),
    ("Ann Lee", "Founder and Chief Executive Officer", False),
    ("Ann Lee", "Directeur g\u00e9n\u00e9ral", False),
    ("Ann Lee", "patient", False),
    ("Ann Lee", "Contact for patients", True),  # a trial contact for patients' questions
    ("Ann Lee", "Study coordinator", True),
])
def test_a_contact_is_a_person_or_a_named_desk(name, role, kept):
    text = f"Contacts\n{name}\n{role}\nThe trial of Zorvimab at the Northfield Clinic Sleep Center is run by its staff.\n"
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("contacts", [{"name": name, "role": role}], "llm:x")])
    assert bool(out.values.get("contacts")) == kept, out.rejections


def test_a_language_tag_is_no_title_and_a_cjk_phrase_no_acronym_without_its_label():
    long_title = "\u5065\u813e\u6c64\u6cbb\u7597\u9ad8\u5c3f\u9178\u8840\u75c7\u968f\u673a\u5bf9\u7167\u4e34\u5e8a\u7814\u7a76"  # 18 characters
    document, clean = _doc(f"Public title\n\u65e5\u672c\u8a9e\n{long_title} (ZORVI) trial\n")
    out = ground(document, clean, [Finding("public_title", "\u65e5\u672c\u8a9e", "llm:x"),
                                   Finding("acronym", long_title, "llm:x")])
    assert "public_title" not in out.values and "acronym" not in out.values
    # the same phrase under an Acronym label is the page's acronym, as some registries fill it
    document, clean = _doc(f"Acronym: {long_title}\n")
    assert ground(document, clean, [Finding("acronym", long_title, "llm:x")]).values.get("acronym") == long_title


@pytest.mark.parametrize("field_name,page_end,kept", [
    # a dump cut mid-word or mid-phrase: the value is not stated whole
    ("scientific_title", "Official Title: A 12-Week, Dose-Ranging, Multicentre Desi", False),
    ("public_title", "Public title\nEffect of a walking programme on the quality of", False),
    ("primary_outcomes", "Primary outcome: Change in the score of the", False),
    ("conditions", "Condition: Recurrent low-grade follicular lym", False),
    # a value that ends the page whole is kept
    ("scientific_title", "Official Title: A Randomized Trial of Drug X in Asthma", True),
    ("conditions", "Condition: Asthma", True),
])
def test_any_text_value_cut_off_by_the_end_of_a_truncated_page_is_not_stated_whole(field_name, page_end, kept):
    # the cut word begins words elsewhere on the page ("Desi" in "Design"), and stands alone nowhere
    document, clean = _doc("Study record: Design, Lymphoma, Scoring\nSponsor: Acme Pharma\n" + page_end)
    value = page_end.split(":", 1)[1].strip() if ":" in page_end else page_end.split("\n", 1)[1]
    findings = [Finding(field_name, [value] if field_name in ("conditions", "primary_outcomes") else value, "llm:x")]
    if field_name == "primary_outcomes":
        findings = [Finding(field_name, [{"measure": value, "time_frame": None}], "llm:x")]
    out = ground(document, clean, findings)
    assert (field_name in out.values) is kept
    if not kept:
        assert "cut off by the end of the document: not stated whole" in [r.reason for r in out.rejections]


@pytest.mark.parametrize("text,title,kept", [
    ("Tokyo -- The registry received information related to the study (R1) titled 'An Observational Study of "
     "Drug X for Recurrent Carcinoma'. The study is sponsored by Acme.\n",
     "An Observational Study of Drug X for Recurrent Carcinoma", True),
    ('In response, the "Walking Intervention for Knee Pain Evaluation" Trial will test two strategies.\n',
     "Walking Intervention for Knee Pain Evaluation", True),
    ("A trial called \u201cKidney Outcomes with Drug Y or Placebo\u201d began in May.\n",
     "Kidney Outcomes with Drug Y or Placebo", True),
    # a quotation that is not given as a name, or a phrase out of a sentence, is no title
    ('One patient said "it was a study of hope for people with cancer" after the visit.\n',
     "it was a study of hope for people with cancer", False),
    ("The study titled below evaluates Drug X for recurrent carcinoma in adults.\n",
     "evaluates Drug X for recurrent carcinoma in adults", False),
])
def test_a_title_a_sentence_quotes_as_the_trials_name_stands_as_a_title(text, title, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("public_title", title, "llm:x")])
    assert (out.values.get("public_title") == title) is kept


@pytest.mark.parametrize("name,kept_name", [
    ("Examplizumab (XYZ-12345)", "Examplizumab"),
    ("Herbalgranule(HG-12)", "Herbalgranule"),
    ("nivolumab [BMS-936558]", "nivolumab"),
    # an abbreviation, a dose or strength, or a code that is the only name stays as written
    ("abacavir (ABC)", "abacavir (ABC)"),
    ("Aspirin (81mg)", "Aspirin (81mg)"),
    ("Insulin glargine (100U/ml)", "Insulin glargine (100U/ml)"),
    ("Vitamin D (1000 IU)", "Vitamin D (1000 IU)"),
    ("Study drug (ABC-123)", "Study drug (ABC-123)"),
    ("AB-123", "AB-123"),
])
def test_a_development_code_in_brackets_after_a_drugs_name_is_its_alias(name, kept_name):
    assert [part["name"] for part in one_treatment_each({"name": name, "type": "DRUG"})] == [kept_name]


@pytest.mark.parametrize("lead,kept", [
    ("Participants Must:", True),
    ("To take part, you need to:", True),
    ("Patients should not:", True),
    ("You can take part in this study if:", True),  # on what condition people may take part
    ("You may be eligible to join if:", True),
    ("Key facts:", False),  # a list under another lead is no list of criteria
    ("What happens during the study", False),
    ("Call the study team if:", False),  # "if:" alone says nothing about taking part
])
def test_a_list_under_a_lead_saying_what_people_must_be_or_do_states_criteria(lead, kept):
    item = "Participants must have type 2 diabetes for at least six months"
    document, clean = _doc(f"Overview\n\n{lead}\n\n  \u2022 Be aged 18 to 65\n\n  \u2022 {item}\n\nContact us\n")
    out = ground(document, clean, [Finding("inclusion_criteria", [item], "llm:x")])
    assert (out.values.get("inclusion_criteria") == [item]) is kept


@pytest.mark.parametrize("rows,kept", [
    # a numbered table flattened to text: row numbers glued to the rows or spaced from them,
    # with the table's column header between the lead and the rows
    ("Criterion\n1Aged 18 to 65 years\n2Type 2 diabetes for at least six months\n", True),
    ("1 Aged 18 to 65 years\n2 Type 2 diabetes for at least six months\n", True),
    # a numbered list under a lead that is not about taking part states no criteria
    (None, False),
])
def test_numbered_table_rows_under_a_participation_lead_are_criteria(rows, kept):
    item = "Type 2 diabetes for at least six months"
    lead = "You can take part in this study if:" if rows else "Our three study visits:"
    rows = rows or "1Aged 18 to 65 years\n2Type 2 diabetes for at least six months\n"
    document, clean = _doc(f"Overview\n\n{lead}\n{rows}\nContact us\n")
    out = ground(document, clean, [Finding("inclusion_criteria", [item], "llm:x")])
    assert (out.values.get("inclusion_criteria") == [item]) is kept


@pytest.mark.parametrize("line,kept", [
    ("1Pregnant or breastfeeding", True),  # a row number glued to its row
    ("12 Pregnant or breastfeeding", True),
    ("3D scans of the Pregnant or breastfeeding", False),  # a word with a digit in it is no row number
    ("in 2 Pregnant or breastfeeding", False),  # a number inside a line, no full stop: no item number
])
def test_a_row_number_opening_the_line_starts_an_item(line, kept):
    item = "Pregnant or breastfeeding"
    document, clean = _doc(f"Exclusion criteria\n{line}\n")
    out = ground(document, clean, [Finding("exclusion_criteria", [item], "llm:x")])
    assert (out.values.get("exclusion_criteria") == [item]) is kept


def test_a_rules_reading_gets_the_same_value_checks_as_a_models_answer():
    # an empty label's next line is page furniture, whoever read it as the label's value
    document, clean = _doc("Acronym\nANZCTR registration information\nPublic title\nExercise after knee surgery\n")
    out = ground(document, clean, extract_rule_findings(document, clean))
    assert "acronym" not in out.values
    assert any(r.field == "acronym" and r.method.startswith("rule:") for r in out.rejections)
    # a labelled value that is a value stays
    document, clean = _doc("Acronym\nKNEEX\nPublic title\nExercise after knee surgery\n")
    assert ground(document, clean, extract_rule_findings(document, clean)).values["acronym"] == "KNEEX"


@pytest.mark.parametrize("field_name,value,kept", [
    ("acronym", "ANZCTR registration information", False),
    ("sites", {"name": "CTRI Clinical Trial Site", "city": None, "country": None}, False),
    ("primary_sponsor", "ISRCTN registration record", False),
    # an organization or acronym that only shares letters with a registry's name is kept
    ("primary_sponsor", "NCT Heidelberg", True),
])
def test_a_registrys_name_for_its_own_page_parts_is_not_a_value(field_name, value, kept):
    text = f"Sponsor: {value['name'] if isinstance(value, dict) else value}\nLocations and sites:\n"
    document, clean = _doc(f"Acronym\n{value}\n" if field_name == "acronym" else text)
    out = ground(document, clean, [Finding(field_name, [value] if field_name == "sites" else value, "llm:x")])
    assert (field_name in out.values) is kept
    if not kept:
        assert [r.reason for r in out.rejections] == [
            "the registry's own page furniture (its record, registration or site), not a value"]


@pytest.mark.parametrize("text,answer,stored", [
    ("A randomised, double-blind, placebo-controlled study of drug X.\n", None, "DOUBLE"),
    ("Studio randomizzato in doppio cieco del farmaco X.\n", None, "DOUBLE"),
    ("一项随机、单盲、对照的临床研究。\n", None, "SINGLE"),
    ("An open-label, single-arm study of drug X.\n", None, "NONE"),
    # two kinds named: the page does not settle it, the answer does
    ("A double-blind period followed by an open-label extension.\n", None, None),
    ("A double-blind period followed by an open-label extension.\n", "NONE", "NONE"),
    # an answer the page states is never overruled by the words
    ("Masking: Quadruple\nA randomised, double-blind study of drug X.\n", "QUADRUPLE", "QUADRUPLE"),
    ("A study of drug X in adults.\n", None, None),  # nothing stated, nothing filled
    ("A Phase 3, Randomized, Double-blind, Placebo-controlled Trial of X\n", None, "DOUBLE"),
    ("This is a phase 1, randomized, single-blinded study.\n", None, "SINGLE"),
    ("The blinding was double in effect.\n", None, None),  # no wording of a masking kind
])
def test_an_empty_masking_is_the_one_kind_the_page_names(text, answer, stored):
    _assert_stored_or_filled("masking", "resolve:masking_stated", text, answer, stored)


@pytest.mark.parametrize("text,answer,stored", [
    ("A phase 3 trial of drug X in women with migraine.\n", None, "FEMALE"),
    ("The study will enrol 640 women, aged 18 to 49, at 90 sites.\n", None, "FEMALE"),
    ("A study of gene therapy in approximately 60 male ambulatory subjects aged 5 to 9.\n", None, "MALE"),
    ("A trial of drug X in boys aged 6 to 12 with a muscle disease.\n", None, "MALE"),
    # an answer "All" that no span states is refused; the population named settles it
    ("A phase 2 trial of drug X in men with prostate cancer.\n", "ALL", "MALE"),
    # both sexes said somewhere: the field is the model's
    ("A trial in women with migraine.\nMen and women of childbearing potential must use contraception.\n",
     None, None),
    ("A trial in male and female subjects between the ages of 18 and 65.\n", None, None),
    # the two sexes each named as a population: nothing settled
    ("Part A in men with gout; part B in women with gout.\n", None, None),
    # no population phrase: background and criteria say nothing about who enrols
    ("Prostate cancer affects 1 in 8 men during their lifetime.\n", None, None),
    ("Exclusion criteria: women who are pregnant or breastfeeding.\n", None, None),
    # a stated answer is kept
    ("Sex: Female\nA trial in women with migraine.\n", "FEMALE", "FEMALE"),
])
def test_an_empty_sex_is_the_one_sex_the_population_is(text, answer, stored):
    _assert_stored_or_filled("sex", "resolve:sex_of_population", text, answer, stored)


@pytest.mark.parametrize("text, condition, kept", [
    ("A trial of a vitamin drop in newborn infants to prevent rickets.\n", "newborn infants", False),
    ("The study enrols care-home elderly at risk of falls.\n", "care-home elderly", False),
    # a registry's condition field may name a population: as labelled, it stands
    ("Condition: Healthy adults living at home\n", "Healthy adults living at home", True),
    ("Health condition(s) or problem(s) studied: anaemic plasma donors\n", "anaemic plasma donors", True),
    ("Condition\nHealthy Volunteers\n", "Healthy Volunteers", True),
    # a condition's name with the patients who have it is the condition
    ("A trial in COVID-19 patients in hospital.\n", "COVID-19 patients", True),
    ("A study of breast cancer in women.\n", "breast cancer", True),
])
def test_a_population_is_no_condition_unless_labelled_so(text, condition, kept):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("conditions", [condition], "llm:x")])
    assert (out.values.get("conditions") == [condition]) is kept, out.rejections


@pytest.mark.parametrize("text,added", [
    # Chinese, Japanese, Korean: a placebo group in running text, placebo beside the drug, a count given it
    ("drug X \u8bd5\u9a8c\u8bbe\u6709\u5b89\u6170\u5242\u5bf9\u7167\u7ec4\u3002\n", "\u5b89\u6170\u5242"),  # 试验设有安慰剂对照组。
    ("\u53d7\u8bd5\u8005\u63a5\u79cd drug X \u6216\u5b89\u6170\u5242\u3002\n", "\u5b89\u6170\u5242"),  # 受试者接种X或安慰剂。
    ("\u5bfe\u8c61\u306f\u8a08100\u4f8b(drug X:80\u4f8b\u3001\u30d7\u30e9\u30bb\u30dc20\u4f8b)\n", "\u30d7\u30e9\u30bb\u30dc"),  # 対象は計100例(X:80例、プラセボ20例)
    ("drug X \ud22c\uc5ec\uad70\uacfc \uc704\uc57d\uad70\uc744 \ube44\uad50\ud55c\ub2e4.\n", "\uc704\uc57d"),  # X 투여군과 위약군을 비교한다.
    # "placebo-controlled" as a design word, and a group's label on its own line, say nothing
    ("\u4e00\u9879\u968f\u673a\u3001\u53cc\u76f2\u3001\u5b89\u6170\u5242\u5bf9\u7167\u7684\u4e34\u5e8a\u8bd5\u9a8c\u3002drug X\n", None),  # 一项随机、双盲、安慰剂对照的临床试验。
    ("\u4e8c\u91cd\u76f2\u691c\u30d7\u30e9\u30bb\u30dc\u5bfe\u7167\u8a66\u9a13 drug X\n", None),  # 二重盲検プラセボ対照試験
    ("\u5b89\u6170\u5242\u7ec4\ndrug X 10 mg\n", None),  # 安慰剂组 (a label line)
])
def test_a_placebo_group_or_placebo_given_in_cjk_text_is_an_intervention(text, added):
    document, clean = _doc(text)
    out = ground(document, clean, [Finding("interventions", [{"name": "drug X", "type": "DRUG", "description": None}],
                                           "llm:x")])
    names = [item["name"] for item in out.values["interventions"]]
    assert names == (["drug X", added] if added else ["drug X"])
    if added:
        assert out.evidence["interventions"][-1].method == "grounding:placebo"

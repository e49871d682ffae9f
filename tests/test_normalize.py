"""Normalizers on real field values (seeds, noisy pages, registry records).

Every table row is a value as it is written in /work/shared/corpus, or a
form the product issue names. Expected values are written out by hand.
"""

from __future__ import annotations

import csv
import re

import pytest
from pydantic import ValidationError

from trialsift.schemas import normalize as n
from trialsift.schemas.trial import (
    Allocation,
    InterventionModel,
    IpdSharing,
    Masking,
    Phase,
    RecruitmentStatus,
    Sex,
    StudyType,
    TrialRecord,
)

# "Not stated" forms every scalar normalizer maps to None.
NOT_STATED = [None, "", "   ", "None", "-", "Not provided", "Not stated"]


def _raises(func, value, match: str | None = None):
    with pytest.raises(ValueError, match=match):
        func(value)


# --- phases -----------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Phase II", ["PHASE2"]),
    ("Phase 2", ["PHASE2"]),  # seed 002 "Study Phase: Phase 2"
    ("phase 3", ["PHASE3"]),  # smartpatients
    ("Phase 2/3", ["PHASE2", "PHASE3"]),
    ("Phase II/III", ["PHASE2", "PHASE3"]),
    ("Phase I/II", ["PHASE1", "PHASE2"]),
    ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),  # CT.gov legacy XML
    ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
    ("PHASE2", ["PHASE2"]),  # CT.gov API v2
    ("N/A", ["NA"]),
    ("Phase N/A", ["NA"]),  # seed 003
    ("Not Applicable", ["NA"]),  # CT.gov API v1
    ("NA", ["NA"]),
    ("Early Phase 1", ["EARLY_PHASE1"]),
    ("Early phase I", ["EARLY_PHASE1"]),  # optic.convoke.bio
    ("EARLY_PHASE1", ["EARLY_PHASE1"]),
    ("Phase 0", ["EARLY_PHASE1"]),
    ("Phase 1b", ["PHASE1"]),
    ("Phase IIa", ["PHASE2"]),
    ("Phase IIIb", ["PHASE3"]),  # HARMONIE title
    ("Phase III", ["PHASE3"]),  # ctrdata ISRCTN records
    ("Therapeutic exploratory (Phase II)", ["PHASE2"]),  # CTIS
    ("Therapeutic use (Phase IV)", ["PHASE4"]),  # CTIS
    (["Phase 2", "Phase 3"], ["PHASE2", "PHASE3"]),
    (["PHASE3", "Phase 2", "Phase II"], ["PHASE2", "PHASE3"]),  # de-duplicated, in phase order
    ([Phase.PHASE1, Phase.PHASE2], ["PHASE1", "PHASE2"]),
    (None, []),
    ("", []),
    ("None", []),
    ([], []),
])
def test_phases(raw, expected):
    assert n.normalize_phases(raw) == expected


@pytest.mark.parametrize("raw", ["foo", "Phase 5", "Phase", "Phase 3 trial of nivolumab", "Adult", ["Phase 2", "late"]])
def test_phases_refuses_non_phases(raw):
    _raises(n.normalize_phases, raw, match="phase")


def test_phase_error_lists_the_allowed_values():
    with pytest.raises(ValueError) as error:
        n.normalize_phases("foo")
    assert "'foo'" in str(error.value)
    for phase in Phase:
        assert phase.value in str(error.value)


# --- ages -------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("18 years-old <=", 18.0),  # UMIN lower limit (seed 001)
    ("65 years-old >=", 65.0),  # UMIN upper limit
    ("18 Years", 18.0),
    ("18", 18.0),  # seed 002 "Minimum Age: 18"
    (18, 18.0),
    (17.5, 17.5),
    ("6 Months", 0.5),
    ("3 Months", 0.25),  # CT.gov legacy XML
    ("12 Weeks", 12 * 7 / 365.25),
    ("29 Weeks", 29 * 7 / 365.25),  # ISRCTN upper age limit
    ("30 Days", 30 / 365.25),
    ("1 Day", 1 / 365.25),
    ("18+ yrs", 18.0),  # vellito
    ("18+ years old", 18.0),  # ctv.veeva
    ("18 years and older", 18.0),  # seed 003
    ("Over 18 Years", 18.0),  # uams.trialstoday
    ("≥ 18 years", 18.0),
    ("Not applicable", None),  # UMIN upper limit (seed 001)
    ("N/A", None),  # CT.gov legacy XML
    *[(value, None) for value in NOT_STATED],
])
def test_age_years(raw, expected):
    if expected is None:
        assert n.normalize_age_years(raw) is None
    else:
        assert n.normalize_age_years(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [
    "Adult · 18+ yrs",  # two facts in one value
    "31/2-5 years",  # arrowtrial's "3½-5 years"
    "18 to 64 years",
    "18 parsecs",
    "-1", -1, 200, float("nan"), True, "eighteen",
])
def test_age_refuses(raw):
    _raises(n.normalize_age_years, raw, match="age")


# --- sex --------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Male and Female", "ALL"),  # UMIN
    ("All", "ALL"),
    ("ALL", "ALL"),
    ("Both", "ALL"),
    ("Male, Female", "ALL"),  # ctrdata CTIS
    ("Female, Male", "ALL"),
    ("men and women", "ALL"),
    # the wordings the shared sex detector reads as ALL: one word list serves both
    ("either sex", "ALL"), ("Either gender", "ALL"), ("any sex", "ALL"), ("any gender", "ALL"),
    ("male", "MALE"),
    ("Male", "MALE"),
    ("Female", "FEMALE"),  # medpath, vellito
    ("FEMALE", "FEMALE"),
    (Sex.MALE, Sex.MALE),
    *[(value, None) for value in NOT_STATED],
])
def test_sex(raw, expected):
    assert n.normalize_sex(raw) == expected


@pytest.mark.parametrize("raw", ["F", "M", "Gender", "Male and dogs", "48.0% female"])
def test_sex_refuses(raw):
    _raises(n.normalize_sex, raw, match="sex")


# --- countries --------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("United States", "US"),
    ("USA", "US"),
    ("US", "US"),
    ("United Kingdom", "GB"),
    ("UK", "GB"),
    ("Korea, Republic of", "KR"),
    ("South Korea", "KR"),
    ("Russian Federation", "RU"),
    ("Russia", "RU"),
    ("Iran", "IR"),
    ("Taiwan", "TW"),
    ("Czechia", "CZ"),
    ("Czech Republic", "CZ"),  # CT.gov legacy XML
    ("Turkey", "TR"),
    ("Tanzania", "TZ"),
    ("Germany", "DE"),
    ("DEU", "DE"),
    ("China", "CN"),  # seed 002
    ("Japan", "JP"),  # UMIN "Region"
    ("Puerto Rico", "PR"),
    ("Hong Kong", "HK"),
    ("the Netherlands", "NL"),
    ("NA", "NA"),  # upper-case ISO code: Namibia, not "not applicable"
    # The UN/WHO order of ISO's qualified names ("Iran, Islamic Republic of")
    ("Iran (Islamic Republic of)", "IR"),
    ("Korea (Republic of)", "KR"),
    ("Korea (Democratic People's Republic of)", "KP"),
    ("Bolivia (Plurinational State of)", "BO"),
    ("러시아", "RU"), ("Russland", "RU"), ("ロシア", "RU"), ("Südkorea", "KR"),  # CLDR's short names
    ("N/A", None),
    *[(value, None) for value in NOT_STATED],
])
def test_country(raw, expected):
    assert n.normalize_country(raw) == expected


@pytest.mark.parametrize("raw", ["Atlantis", "Korea", "European Union", "756", "Jiangxi Cancer Hospital", "XX",
                                 "Beijing (China)", "Asia (Pacific)"])  # a qualifier is no country by itself
def test_country_refuses(raw):
    _raises(n.normalize_country, raw, match="country")


# --- dates ------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("2023 Year 10 Month 26 Day", "2023-10-26"),
    ("2026 Year 01 Month 15 Day", "2026-01-15"),  # seed 001
    ("Dec 20, 2025", "2025-12-20"),  # seed 004
    ("2025-10-10", "2025-10-10"),  # seed 002
    ("2026/01/15", "2026-01-15"),  # seed 001
    ("2026/01/15 16:32:40", "2026-01-15"),  # UMIN "Last modified on"
    ("15 October 2025", "2025-10-15"),
    ("13 May 2022", "2022-05-13"),  # seed 004
    ("October 2012", "2012-10"),
    ("September 2015", "2015-09"),  # classic CT.gov
    ("Feb 2023", "2023-02"),  # vellito
    ("Sept 2015", "2015-09"),
    ("2012", "2012"),
    (2012, "2012"),
    ("2012-10", "2012-10"),
    ("September 26, 2012", "2012-09-26"),  # CT.gov legacy XML
    ("Oct 16, 2012", "2012-10-16"),  # clincosm
    ("26/09/2012", "2012-09-26"),  # day first, unambiguous
    ("19/08/2021", "2021-08-19"),  # CTRI
    ("15/05/2023", "2023-05-15"),  # ISRCTN
    ("09/26/2012", "2012-09-26"),  # month first, unambiguous
    ("06/06/2023", "2023-06-06"),  # both readings agree
    ("2022-08-08T00:00:00+02:00", "2022-08-08"),  # ctrdata
    ("2024-05-01T00:00:00.000Z", "2024-05-01"),
    ("2020年5月8日", "2020-05-08"),
    *[(value, None) for value in NOT_STATED],
])
def test_partial_date(raw, expected):
    assert n.normalize_partial_date(raw) == expected


@pytest.mark.parametrize("raw, match", [
    ("03/04/2012", "ambiguous"),
    ("Se", "not a date"),  # "Study Start Date : Se", cut by the 2000-byte cap
    ("Jan. 16", "year"),  # seed 000: no year stated
    ("Oct 16, 12", "year"),
    ("2012-13", "month"),
    ("2021-02-30", "not a real date"),
    ("1850", "year"),
    ("Q3 2021", "date"),
    ("12 months", "date"),
])
def test_partial_date_refuses(raw, match):
    _raises(n.normalize_partial_date, raw, match=match)


# --- recruitment status -----------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Recruiting", "RECRUITING"),
    ("Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
    ("Active (not recruiting)", "ACTIVE_NOT_RECRUITING"),  # optic.convoke.bio
    ("Not yet recruiting", "NOT_YET_RECRUITING"),
    ("Enrolling by invitation", "ENROLLING_BY_INVITATION"),
    ("Completed", "COMPLETED"),
    ("COMPLETED", "COMPLETED"),  # medpath
    ("Terminated", "TERMINATED"),
    ("Withdrawn", "WITHDRAWN"),
    ("Suspended", "SUSPENDED"),
    ("Unknown status", "UNKNOWN"),
    ("ACTIVE_NOT_RECRUITING", "ACTIVE_NOT_RECRUITING"),
    ("Open public recruiting", "RECRUITING"),  # UMIN
    ("Preinitiation", "NOT_YET_RECRUITING"),  # UMIN
    ("No longer recruiting", "ACTIVE_NOT_RECRUITING"),  # UMIN, ISRCTN
    ("Main results already published", "COMPLETED"),  # UMIN
    ("Prematurely Ended", "TERMINATED"),  # EU CTR
    ("Authorised, not started", "NOT_YET_RECRUITING"),  # CTIS
    (RecruitmentStatus.SUSPENDED, RecruitmentStatus.SUSPENDED),
    *[(value, None) for value in NOT_STATED],
])
def test_recruitment_status(raw, expected):
    assert n.normalize_recruitment_status(raw) == expected


@pytest.mark.parametrize("raw", [
    "Ongoing",  # EU CTR: says nothing about recruitment
    "ot Recruiting",  # medpath, cut
    "Withheld",  # CT.gov expanded access
    "Available",
    "This study is ongoing, but not recruiting participants.",
])
def test_recruitment_status_refuses(raw):
    _raises(n.normalize_recruitment_status, raw, match="recruitment status")


def test_ongoing_error_says_what_to_do():
    with pytest.raises(ValueError, match="RECRUITING or ACTIVE_NOT_RECRUITING"):
        n.normalize_recruitment_status("Ongoing")


# --- design enums -----------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Interventional", "INTERVENTIONAL"),
    ("INTERVENTIONAL", "INTERVENTIONAL"),  # crick.ai
    ("Interventional (Clinical Trial)", "INTERVENTIONAL"),  # classic CT.gov
    ("Interventional study", "INTERVENTIONAL"),  # ChiCTR
    ("Observational", "OBSERVATIONAL"),  # seed 000
    ("Observational [Patient Registry]", "OBSERVATIONAL"),
    ("Expanded Access", "EXPANDED_ACCESS"),
    (StudyType.OBSERVATIONAL, StudyType.OBSERVATIONAL),
    ("N/A", None),
    *[(value, None) for value in NOT_STATED],
])
def test_study_type(raw, expected):
    assert n.normalize_study_type(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Randomized", "RANDOMIZED"),
    ("RANDOMIZED", "RANDOMIZED"),
    ("randomized", "RANDOMIZED"),  # smartpatients
    ("Randomised", "RANDOMIZED"),
    ("Non-Randomized", "NON_RANDOMIZED"),
    ("Non-randomized", "NON_RANDOMIZED"),  # UMIN
    ("NON_RANDOMIZED", "NON_RANDOMIZED"),
    ("N/A", "NA"),  # CT.gov: single-group studies
    ("NA", "NA"),
    (Allocation.RANDOMIZED, Allocation.RANDOMIZED),
    *[(value, None) for value in NOT_STATED],
])
def test_allocation(raw, expected):
    assert n.normalize_allocation(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("None (Open Label)", "NONE"),
    ("Open label", "NONE"),  # smartpatients
    ("No masking", "NONE"),  # old CT.gov layout
    ("Open -no one is blinded", "NONE"),  # UMIN
    ("NONE", "NONE"),
    ("Single", "SINGLE"),
    ("Single (Participant)", "SINGLE"),
    ("Single blind", "SINGLE"),
    ("Double", "DOUBLE"),
    ("Double (Participant, Investigator)", "DOUBLE"),
    ("Double-blind", "DOUBLE"),
    ("Double blind -all involved are blinded", "DOUBLE"),  # UMIN
    ("Triple", "TRIPLE"),
    ("Quadruple", "QUADRUPLE"),
    ("Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)", "QUADRUPLE"),
    (Masking.TRIPLE, Masking.TRIPLE),
    (None, None),
    ("", None),
])
def test_masking(raw, expected):
    assert n.normalize_masking(raw) == expected


@pytest.mark.parametrize("raw", ["Blinded", "Partially", "Placebo"])
def test_masking_refuses(raw):
    _raises(n.normalize_masking, raw, match="masking")


@pytest.mark.parametrize("raw, expected", [
    ("Single Group Assignment", "SINGLE_GROUP"),
    ("Parallel Assignment", "PARALLEL"),
    ("parallel assignment", "PARALLEL"),  # smartpatients
    ("PARALLEL", "PARALLEL"),  # medpath
    ("Parallel", "PARALLEL"),  # UMIN "Basic design"
    ("Single arm", "SINGLE_GROUP"),  # UMIN "Basic design"
    ("Crossover Assignment", "CROSSOVER"),
    ("Factorial Assignment", "FACTORIAL"),
    ("Sequential Assignment", "SEQUENTIAL"),
    (InterventionModel.CROSSOVER, InterventionModel.CROSSOVER),
    *[(value, None) for value in NOT_STATED],
])
def test_intervention_model(raw, expected):
    assert n.normalize_intervention_model(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Yes", "YES"), ("No", "NO"), ("Undecided", "UNDECIDED"), ("UNDECIDED", "UNDECIDED"),
    (IpdSharing.NO, IpdSharing.NO),
    *[(value, None) for value in NOT_STATED],
])
def test_ipd_sharing(raw, expected):
    assert n.normalize_ipd_sharing(raw) == expected


@pytest.mark.parametrize("func, raw", [
    (n.normalize_study_type, "Ayurveda"),  # CTRI "Type of Study"
    (n.normalize_study_type, "Clinical trial"),
    (n.normalize_allocation, "Stratified"),
    (n.normalize_intervention_model, "Randomized, Parallel Group, Active Controlled Trial"),
    (n.normalize_ipd_sharing, "Maybe later"),
])
def test_design_enums_refuse(func, raw):
    _raises(func, raw, match=re.escape(repr(raw)))


def test_enum_members_and_canonical_values_pass_through():
    cases = [
        (n.normalize_study_type, StudyType), (n.normalize_allocation, Allocation),
        (n.normalize_masking, Masking), (n.normalize_intervention_model, InterventionModel),
        (n.normalize_sex, Sex), (n.normalize_recruitment_status, RecruitmentStatus),
        (n.normalize_ipd_sharing, IpdSharing),
    ]
    for func, enum_class in cases:
        for member in enum_class:
            assert func(member) is member
            assert func(member.value) == member.value
    for phase in Phase:
        assert n.normalize_phases(phase.value) == [phase.value]


# --- enrollment, booleans, text lists ---------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("23", 23),  # seed 002
    ("N=91", 91),  # vellito
    ("N = 8058", 8058),  # pathway.md
    ("1,200", 1200),
    ("10,000 patients", 10000),  # grantome
    ("10003", 10003),
    ("317 participants", 317),  # classic CT.gov
    ("116 patients", 116),  # ctv.veeva
    ("0", 0),  # clinicaltrialexchange "Target enrollment: 0"
    (60, 60),
    (60.0, 60),
    *[(value, None) for value in NOT_STATED],
])
def test_enrollment(raw, expected):
    assert n.normalize_enrollment(raw) == expected


@pytest.mark.parametrize("raw", ["-5", -5, "abc", "12.5", 12.5, "1.200", "1,20", "4,996 vs 5,007", "8613970866296", True])
def test_enrollment_refuses(raw):
    _raises(n.normalize_enrollment, raw, match="enrollment")


@pytest.mark.parametrize("raw, expected", [
    ("Yes", True), ("No", False),  # CT.gov, clinicaltrialexchange "Accepts Healthy Volunteers? No"
    ("t", True), ("f", False),  # seed 002 "Healthy Volunteers: f"
    ("true", True), ("false", False), ("True", True),
    ("Accepts Healthy Volunteers", True),  # CT.gov legacy XML
    ("No Healthy Volunteers", False),  # ctv.veeva
    (True, True), (False, False), (1, True), (0, False),
    *[(value, None) for value in NOT_STATED],
])
def test_bool(raw, expected):
    assert n.normalize_bool(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "Healthy", 2, 0.5, "yes and no"])
def test_bool_refuses(raw):
    _raises(n.normalize_bool, raw)


@pytest.mark.parametrize("raw, expected", [
    ("Nasopharyngeal carcinoma", ["Nasopharyngeal carcinoma"]),  # seed 001
    ("  Lung Cancer  ", ["Lung Cancer"]),
    (["Depression", " Mood Disorders", "depression", "", "PPD"], ["Depression", "Mood Disorders", "PPD"]),
    (["Parexel", "(none)", "N/A", None], ["Parexel"]),  # clincosm "Collaborator (none)"
    ("None", []),  # UMIN "Condition None"
    (None, []),
    ([], []),
])
def test_text_list(raw, expected):
    assert n.normalize_text_list(raw) == expected


def test_text_list_refuses_non_text_items():
    _raises(n.normalize_text_list, ["Depression", 3])


# --- registry names ---------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("NCT", "NCT"), ("ClinicalTrials.gov", "NCT"), ("CTGOV2", "NCT"),
    ("UMIN-CTR", "UMIN"), ("jRCT", "JRCT"), ("ChiCTR", "CHICTR"),
    ("ISRCTN", "ISRCTN"), ("EudraCT", "EUDRACT"), ("EUCTR", "EUDRACT"),
    ("EU CT number", "CTIS"), ("CTIS", "CTIS"), ("CTRI", "CTRI"), ("ANZCTR", "ACTRN"),
    ("DRKS", "DRKS"), ("IRCT", "IRCT"), ("CRIS", "KCT"), ("NTR", "NTR"), ("PACTR", "PACTR"),
    ("TCTR", "TCTR"), ("ITMCTR", "ITMCTR"), ("OTHER", "OTHER"),
    ("Sponsor protocol number", "OTHER"), ("ChiMCTR", "OTHER"),
    (None, None), ("", None),
])
def test_registry_name(raw, expected):
    assert n.normalize_registry_name(raw) == expected


# --- registry ids: one id string --------------------------------------------

@pytest.mark.parametrize("raw, hint, expected", [
    ("NCT02552212", None, ("NCT", "NCT02552212")),
    ("nct02552212", None, ("NCT", "NCT02552212")),
    ("ClinicalTrials.gov Identifier: NCT01174550", None, ("NCT", "NCT01174550")),
    ("UMIN000060367", None, ("UMIN", "UMIN000060367")),
    ("jRCTs031180001", None, ("JRCT", "jRCTs031180001")),
    ("jRCT2031210001", None, ("JRCT", "jRCT2031210001")),
    ("ChiCTR2000032717", None, ("CHICTR", "ChiCTR2000032717")),
    ("ChiCTR-TRC-12002345", None, ("CHICTR", "ChiCTR-TRC-12002345")),
    ("ISRCTN17473621", None, ("ISRCTN", "ISRCTN17473621")),
    ("ISRCTN 17473621", None, ("ISRCTN", "ISRCTN17473621")),
    ("ISRCTNISRCTN63231313", None, ("ISRCTN", "ISRCTN63231313")),  # isrctn.com address typo
    ("88261002", "ISRCTN", ("ISRCTN", "ISRCTN88261002")),  # ctrdata key
    ("EudraCT Number:2021-000319-21", None, ("EUDRACT", "2021-000319-21")),
    ("2015-001894-41", None, ("EUDRACT", "2015-001894-41")),
    ("EUCTR2015-001097-18-ES", None, ("EUDRACT", "2015-001097-18")),
    ("2015-001097-18-ES", None, ("EUDRACT", "2015-001097-18")),
    ("2022-000099-20-DE", "EudraCT", ("EUDRACT", "2022-000099-20")),
    ("2022-500244-37-00", None, ("CTIS", "2022-500244-37-00")),  # ctrdata CTIS key
    ("2023-508143-51-01", "EudraCT", ("CTIS", "2023-508143-51-01")),
    ("CTRI/2021/08/035815", None, ("CTRI", "CTRI/2021/08/035815")),
    ("CTRI-2021-08-035815", None, ("CTRI", "CTRI/2021/08/035815")),
    ("ACTRN12605000001695", None, ("ACTRN", "ACTRN12605000001695")),
    ("DRKS00012345", None, ("DRKS", "DRKS00012345")),
    ("IRCT2013052113406N1", None, ("IRCT", "IRCT2013052113406N1")),
    ("KCT0001234", None, ("KCT", "KCT0001234")),
    ("NTR1234", None, ("NTR", "NTR1234")),
    ("NL7405", None, ("NTR", "NL7405")),
    ("PACTR201509001234567", None, ("PACTR", "PACTR201509001234567")),
    ("TCTR20190101001", None, ("TCTR", "TCTR20190101001")),
    ("ITMCTR2100005248", None, ("ITMCTR", "ITMCTR2100005248")),
    ("ChiMCTR2000003284", None, ("OTHER", "ChiMCTR2000003284")),  # ChiCTR page, partner registry
    ("CA209-017", None, ("OTHER", "CA209-017")),  # smartpatients, sponsor protocol code
    (" MT103-203 ", None, ("OTHER", "MT103-203")),  # ctv.veeva
    ("2020-YJ012", "OTHER", ("OTHER", "2020-YJ012")),  # ChiCTR "Study subject ID"
    ("IRAS 277021", None, ("OTHER", "IRAS 277021")),  # ISRCTN "Secondary identifying numbers"
    ("ELFIN01", None, ("OTHER", "ELFIN01")),  # ctrdata ISRCTN record, sponsor code
    ("SAFEPRIM-II", "OTHER", ("OTHER", "SAFEPRIM-II")),  # CT.gov org study id, vouched for
    ("COVID-19 in Egypt", "OTHER", ("OTHER", "COVID-19 in Egypt")),
])
def test_normalize_registry_id(raw, hint, expected):
    assert n.normalize_registry_id(raw, hint) == expected


@pytest.mark.parametrize("raw, hint, match", [
    ("N/A", None, "no id"),  # hra.nhs.uk "ISRCTN Number N/A"
    ("N/A", "ISRCTN", "no id"),
    ("N/A", "OTHER", "no id"),
    ("None", None, "no id"),
    ("NO", None, "no id"),  # UMIN "Secondary IDs NO"
    ("NO", "OTHER", "no id"),
    ("NIL", None, "no id"),  # CTRI "Secondary ID NIL"
    ("-", None, "no id"),
    ("", None, "no id"),
    (None, None, "no id"),
    ("ISRCTN", None, "starts with ISRCTN"),
    ("SAFEPRIM-II", None, "trial id"),  # without a hint, an id needs a digit
    ("NCT0123", None, "starts with NCT"),
    ("ISRCTN1234", None, "starts with ISRCTN"),
    ("NCT02552212, NCT02505542", None, "several"),
    ("NCT02552212", "ISRCTN", "belongs to registry NCT, not ISRCTN"),
    ("CA209-017", "NCT", "format of NCT"),
    ("The trial was stopped early for efficacy in 2019 after an interim analysis", None, "too long"),
    ("stopped in 2019 for efficacy", None, "trial id"),
    ("18 years", None, "trial id"),
    ("Phase 2", None, "trial id"),
])
def test_normalize_registry_id_refuses(raw, hint, match):
    with pytest.raises(ValueError, match=match):
        n.normalize_registry_id(raw, hint)


# --- registry ids: free text ------------------------------------------------

def _ids(text: str) -> list[tuple[str, str]]:
    return [(m.registry, m.id) for m in n.find_registry_ids(text)]


@pytest.mark.parametrize("text, expected", [
    ("Clinical Study IdentifierNCT04143984", [("NCT", "NCT04143984")]),  # seed 004, glued
    ("https://clinicaltrials.gov/ct2/show/NCT01864876", [("NCT", "NCT01864876")]),  # in a URL
    ("ISRCTN ISRCTN17473621\nDOI https://doi.org/10.1186/ISRCTN17473621", [("ISRCTN", "ISRCTN17473621")]),
    ("Trial identifier NCT01642004, 2011-004792-36, CA209-017",  # smartpatients
     [("NCT", "NCT01642004"), ("EUDRACT", "2011-004792-36")]),
    ("  • Eudract number\n\n    2012-004260-22\n", [("EUDRACT", "2012-004260-22")]),  # hra.nhs.uk
    ("Registration Number\n- EUCTR2015-001097-18-ES", [("EUDRACT", "2015-001097-18")]),  # medpath
    ("EU CT number: 2022-500244-37-00", [("CTIS", "2022-500244-37-00")]),
    ("ChiCTR2100050545 ; ChiMCTR2100005248", [("CHICTR", "ChiCTR2100050545"), ("OTHER", "ChiMCTR2100005248")]),
    ("(UMIN000060367) titled", [("UMIN", "UMIN000060367")]),  # seed 000
    ("CTRI/2021/08/035815 [Registered on: 19/08/2021]", [("CTRI", "CTRI/2021/08/035815")]),
    # No id: a bare EudraCT-shaped number in prose, N/A, dates, phone numbers,
    # a CCMO number, a ChiCTR receipt number, and a number cut by the byte cap.
    ("Call 2015-001894-41 for details.", []),
    ("ISRCTN Number\n\n    N/A\n", []),
    ("First Posted : September 17, 2015 ... 2020-05-08 ... +86 17729109026", []),
    ("CCMO NL12345.018.15", []),
    ("Receipt number R000068865", []),
    ("EudraCT number\n    2015-001894-4", []),
    ("NCT012345678 is one digit too long", []),
])
def test_find_registry_ids(text, expected):
    assert _ids(text) == expected


def test_find_registry_ids_spans_point_at_the_text_as_written():
    text = "See EUCTR2015-001097-18-ES and ISRCTNISRCTN63231313, then NCT01864876."
    spans = [text[m.start:m.end] for m in n.find_registry_ids(text)]
    assert spans == ["EUCTR2015-001097-18-ES", "ISRCTNISRCTN63231313", "NCT01864876"]


def test_find_registry_ids_keeps_the_first_span_of_a_repeated_id():
    text = "NCT02505542 ... Trial record 1 of 1 for: NCT02505542"
    matches = n.find_registry_ids(text)
    assert [(m.id, m.start, m.end) for m in matches] == [("NCT02505542", 0, 11)]


# --- registry ids over the real corpus --------------------------------------

def _expected_id(trial_id: str) -> tuple[str, str]:
    """The canonical id of a manifest trial_id, worked out independently."""
    eu = re.fullmatch(r"(?:EUCTR)?(\d{4}-\d{6}-\d{2})(?:-[A-Z]{2})?", trial_id)
    if eu:
        return "EUDRACT", eu[1]
    prefix = re.match(r"[A-Za-z]+", trial_id)[0]
    registry = {"NCT": "NCT", "ISRCTN": "ISRCTN", "UMIN": "UMIN", "ChiCTR": "CHICTR",
                "CTRI": "CTRI", "ITMCTR": "ITMCTR"}[prefix]
    return registry, trial_id


def _manifest(corpus_root):
    with open(corpus_root / "noisy" / "manifest.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_manifest_trial_ids_normalize(corpus_root):
    for row in _manifest(corpus_root):
        assert n.normalize_registry_id(row["trial_id"]) == _expected_id(row["trial_id"]), row["file"]


def test_each_noisy_document_yields_its_own_trial_id(corpus_root):
    """Every page that states its trial's id gives it back.

    Many pages never state it (news items, or the id lies past the 2000-byte
    cut); for those there is nothing to find.
    """
    checked, missing = 0, []
    for row in _manifest(corpus_root):
        text = (corpus_root / "noisy" / row["file"]).read_text(encoding="utf-8")
        registry, id_ = _expected_id(row["trial_id"])
        if id_.casefold() not in text.casefold():
            continue
        checked += 1
        if (registry, id_) not in _ids(text):
            missing.append((row["file"], registry, id_))
    assert missing == []
    assert checked >= 25  # 26 pages state their id today; guard against a silent no-op


@pytest.mark.parametrize("file, expected", [
    ("seeds/000_9eabc73317a48817.txt", [("UMIN", "UMIN000060367")]),
    ("seeds/001_3d5e767ef9ecad4c.txt", [("UMIN", "UMIN000060367")]),
    ("seeds/002_62fd2beb726bde5a.txt", []),
    ("seeds/003_44f9e5a0fcc5c43c.txt", [("NCT", "NCT05738187")]),
    ("seeds/004_556e452210aea786.txt", [("NCT", "NCT04143984")]),
    ("noisy/hra.nhs.uk-ISRCTN88261002.txt", [("EUDRACT", "2012-004260-22")]),  # "ISRCTN Number N/A"
    ("noisy/clinicaltrialsregister.eu-2015-001894-41.txt", []),  # id cut to "2015-001894-4"
    ("noisy/smartpatients-NCT01642004.txt", [("NCT", "NCT01642004"), ("EUDRACT", "2011-004792-36")]),
    ("noisy/itmctr-ITMCTR2100005248.txt",
     [("ITMCTR", "ITMCTR2100005248"), ("CHICTR", "ChiCTR2100050545"), ("OTHER", "ChiMCTR2100005248")]),
])
def test_corpus_documents_yield_exactly_these_ids(corpus_root, file, expected):
    text = (corpus_root / file).read_text(encoding="utf-8")
    assert _ids(text) == expected


def test_hra_page_yields_no_isrctn_id(corpus_root):
    text = (corpus_root / "noisy" / "hra.nhs.uk-ISRCTN88261002.txt").read_text(encoding="utf-8")
    assert "N/A" in text  # the page's "ISRCTN Number N/A" is still there
    assert [m for m in n.find_registry_ids(text) if m.registry == "ISRCTN"] == []


def test_every_corpus_match_round_trips(corpus_root):
    """Each span found in a real document normalizes back to the same id."""
    paths = sorted((corpus_root / "seeds").glob("*.txt")) + sorted((corpus_root / "noisy").glob("*.txt"))
    total = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for match in n.find_registry_ids(text):
            total += 1
            assert n.normalize_registry_id(text[match.start:match.end]) == (match.registry, match.id)
    assert total >= 30


# --- through the TrialRecord contract ---------------------------------------

def test_trial_record_accepts_document_wording():
    record = TrialRecord(
        phases="Phase II/III", study_type="Interventional (Clinical Trial)", allocation="N/A",
        masking="None (Open Label)", intervention_model="Single Group Assignment",
        sex="Male and Female", min_age_years="18 years-old <=", max_age_years="Not applicable",
        healthy_volunteers="f", recruitment_status="Active, not recruiting",
        target_enrollment="N=91", start_date="Oct 16, 2012", countries=["USA", "Korea, Republic of"],
        conditions="Nasopharyngeal carcinoma", ipd_sharing="Undecided",
        registry_ids=[{"registry": "ClinicalTrials.gov", "id": "NCT01642004"}],
    )
    assert record.phases == ["PHASE2", "PHASE3"]
    assert record.study_type == "INTERVENTIONAL"
    assert record.allocation == "NA"
    assert record.masking == "NONE"
    assert record.intervention_model == "SINGLE_GROUP"
    assert record.sex == "ALL"
    assert record.min_age_years == 18.0 and record.max_age_years is None
    assert record.healthy_volunteers is False
    assert record.recruitment_status == "ACTIVE_NOT_RECRUITING"
    assert record.target_enrollment == 91
    assert record.start_date == "2012-10-16"
    assert record.countries == ["US", "KR"]
    assert record.conditions == ["Nasopharyngeal carcinoma"]
    assert record.ipd_sharing == "UNDECIDED"
    assert record.registry_ids[0].registry == "NCT"


@pytest.mark.parametrize("field, value, message", [
    ("phases", "Phase 5", "phase 'Phase 5' is not one of"),
    ("recruitment_status", "Ongoing", "recruitment status 'Ongoing'"),
    ("start_date", "03/04/2012", "ambiguous"),
    ("countries", ["Atlantis"], "country 'Atlantis'"),
])
def test_trial_record_reports_a_readable_error(field, value, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        TrialRecord(**{field: value})


@pytest.mark.parametrize("written, code", [("中国", "CN"), ("美国", "US"), ("Deutschland", "DE"), ("España", "ES"),
                                           ("대한민국", "KR"), ("日本", "JP"), ("Italia", "IT")])
def test_country_names_in_the_registries_languages(written, code):
    assert n.normalize_country(written) == code


@pytest.mark.parametrize("written", ["北京", "Hubei", "World", "Country 1"])
def test_places_that_are_not_countries_are_refused_or_empty(written):
    try:
        assert n.normalize_country(written) is None
    except ValueError:
        pass


@pytest.mark.parametrize("written, phases", [
    ("fase III", ["PHASE3"]), ("Fase 2", ["PHASE2"]), ("III期临床", ["PHASE3"]), ("第3相", ["PHASE3"]),
    ("3상", ["PHASE3"]), ("Ⅱ/Ⅲ期临床", ["PHASE2", "PHASE3"]), ("第I相", ["PHASE1"]), ("Ⅲ期", ["PHASE3"]), ("三期", ["PHASE3"]),
])
def test_phases_as_other_languages_write_them(written, phases):
    assert n.normalize_phases(written) == phases

"""Statements in other languages: a trial's status, design, size, ages and dates written the way
registries and news outside the English-speaking world write them are found by the same
detectors as their English forms, and decide the same enum values. Each case is made up, in
the standard wording of its language; counter-examples show what must not be read."""

from __future__ import annotations

import re

import pytest

from trialsift.pipeline import statements
from trialsift.pipeline.grounding import ground
from trialsift.pipeline.records import Finding
from trialsift.schemas import lexicon, normalize
from tests.test_grounding import _doc


def _dates(text: str) -> list[str]:
    found = []
    for match in normalize.DATE_IN_TEXT.finditer(text):
        try:
            found.append(normalize.normalize_partial_date(match.group()))
        except ValueError:
            found.append("refused")
    return found


@pytest.mark.parametrize("text, expected", [
    ("Fecha de inicio: 10 de octubre de 2025", ["2025-10-10"]),
    ("Studienbeginn: 10. Oktober 2025", ["2025-10-10"]),
    ("Début de l'étude : 1er mars 2024", ["2024-03-01"]),
    ("Inizio: 1 marzo 2024", ["2024-03-01"]),
    ("Início: outubro de 2023", ["2023-10"]),
    ("Start: März 2024", ["2024-03"]),
    ("Startdatum: 5 juni 2019", ["2019-06-05"]),
    ("등록일: 2025년 10월 10일", ["2025-10-10"]),
    ("시작일 2025. 10. 10.", ["2025-10-10"]),
    ("登録日 2025年10月10日", ["2025-10-10"]),
    # counter-examples: a sentence ending after a year is not a Korean dotted date, a month name
    # with a day that does not exist is refused, and the English forms read as before
    ("Enrolment ended in 2019. 12 patients were followed.", ["2019"]),
    ("Inizio: 31 febbraio 2024", ["refused"]),
    ("Start date: 10-Oct-2025", ["2025-10-10"]),
])
def test_dates_in_other_languages(text, expected):
    assert _dates(text) == expected


def test_foreign_month_names_come_from_the_cldr_for_each_language():
    months = lexicon.month_numbers()
    assert months["octubre"] == months["oktober"] == months["ottobre"] == months["outubro"] == 10
    assert months["märz"] == months["mars"] == months["maart"] == 3
    assert len({number for number in months.values()}) == 12


@pytest.mark.parametrize("text, count", [
    ("신약 2상 임상에는 환자 240명이 참여할 예정이다.", 240),  # Korean counter 명
    ("共纳入200例患者", 200),  # Chinese counter 例
    ("目標参加者数 60", 60),  # Japanese sample-size label
    ("总样本量：120", 120),  # Chinese sample-size label
    ("Die Studie soll 300 Patienten einschließen.", 300),
    ("El ensayo incluirá a 450 pacientes.", 450),
    ("The program was tested with 20 students.", 20),
    ("The trial will enrol 900 premature infants.", 900),  # a word between the count and its people
    ("W badaniu weźmie udział 250 osób.", 250),  # Polish
    ("Do studie bude zařazeno 120 pacientů.", 120),  # Czech
    ("Испытание охватит 300 добровольцев.", 300),  # Russian
    ("Araştırmaya 400 gönüllü dahil edilecek.", 400),  # Turkish
    ("Uji klinis ini melibatkan 540 relawan.", 540),  # Indonesian
    ("Thử nghiệm dự kiến trên 250 tình nguyện viên.", 250),  # Vietnamese
    ("연구에는 90례가 등록될 예정이다.", 90),  # Korean counter 례
])
def test_counts_of_people_in_other_languages(text, count):
    assert count in [number for number, _ in statements.counts_of_participants(text)]


@pytest.mark.parametrize("text", [
    "Version 3 of the protocol, amended on page 12.",  # numbers about no one
    "In 2019 the hospital opened 4 new wards.",
    "A1 level, 3rd edition",  # digits glued to Latin letters are no numbers
    "Szpital ma 300 łóżek.",  # Polish: 300 beds
    "Çalışma 3 yıl sürecek.",  # Turkish: the study lasts 3 years
])
def test_numbers_about_no_people_are_no_counts(text):
    assert list(statements.counts_of_participants(text)) == []


@pytest.mark.parametrize("text, ages", [
    ("18歳以上", [18.0]), ("18岁至65岁", [18.0, 65.0]), ("만 19세 이상", [19.0]),
    ("âgés de 18 ans et plus", [18.0]), ("zwischen 18 und 65 Jahren", [18.0, 65.0]),
])
def test_ages_in_other_languages(text, ages):
    assert [years for years, _ in statements.ages(text)] == ages


@pytest.mark.parametrize("field_name, text, value", [
    ("recruitment_status", "状态：招募中", "RECRUITING"),
    ("recruitment_status", "募集状況: 一般募集中", "RECRUITING"),
    ("recruitment_status", "Status: rekrutierend", "RECRUITING"),
    ("recruitment_status", "Estado: reclutando", "RECRUITING"),
    # the negated or closed forms contain the open one: they must win
    ("recruitment_status", "Estado: Todavía no reclutando", "NOT_YET_RECRUITING"),
    ("recruitment_status", "Status: noch nicht rekrutierend", "NOT_YET_RECRUITING"),
    ("recruitment_status", "募集状況: 募集前", "NOT_YET_RECRUITING"),
    ("recruitment_status", "募集状況: 参加者募集終了", "ACTIVE_NOT_RECRUITING"),
    ("recruitment_status", "Statut : recrutement terminé", "ACTIVE_NOT_RECRUITING"),
    ("allocation", "Eine randomisierte, doppelblinde Studie", "RANDOMIZED"),
    ("allocation", "Étude non randomisée", "NON_RANDOMIZED"),
    ("allocation", "多中心、非随机对照试验", "NON_RANDOMIZED"),
    ("allocation", "多中心、随机、双盲试验", "RANDOMIZED"),
    ("masking", "多中心、随机、双盲试验", "DOUBLE"),
    ("masking", "二重盲検比較試験", "DOUBLE"),
    ("masking", "Ensayo abierto de fase 2", "NONE"),
    ("masking", "Studio in singolo cieco", "SINGLE"),
    ("masking", "Badanie z podwójnie ślepą próbą", "DOUBLE"),
    ("masking", "Двойное слепое рандомизированное исследование", "DOUBLE"),
    ("masking", "Randomize, çift kör, plasebo kontrollü çalışma", "DOUBLE"),
    ("masking", "ניסוי אקראי בסמיות כפולה", "DOUBLE"),
    ("masking", "تجربة عشوائية مزدوجة التعمية", "DOUBLE"),
    ("masking", "کارآزمایی بالینی دوسوکور", "DOUBLE"),
    ("masking", "무작위 배정, 이중 눈가림 임상시험", "DOUBLE"),
    ("masking", "Tek kör bir çalışma", "SINGLE"),
])
def test_enum_wordings_in_other_languages(field_name, text, value):
    assert [stated for stated, _ in statements.enum_statements(field_name, text)] == [value]


def test_a_foreign_statement_grounds_the_models_enum_value_and_nothing_else():
    document, clean = _doc("研究デザイン: ランダム化、二重盲検\n募集状況: 一般募集中\n目標参加者数: 120名\n")
    out = ground(document, clean, [
        Finding("allocation", "RANDOMIZED", "llm:x"),
        Finding("masking", "DOUBLE", "llm:x"),
        Finding("recruitment_status", "RECRUITING", "llm:x"),
        Finding("target_enrollment", 120, "llm:x"),
    ])
    assert out.values == {"allocation": "RANDOMIZED", "masking": "DOUBLE", "recruitment_status": "RECRUITING",
                          "target_enrollment": 120}
    assert out.evidence["recruitment_status"][0].quote == "一般募集中"
    # the same values on a page that states none of them in any language
    document, clean = _doc("研究の目的: 新しい治療法の安全性を調べる。\n")
    out = ground(document, clean, [
        Finding("allocation", "RANDOMIZED", "llm:x"),
        Finding("recruitment_status", "RECRUITING", "llm:x"),
        Finding("target_enrollment", 120, "llm:x"),
    ])
    assert out.values == {}


def test_fields_stated_only_in_another_language_are_asked():
    _, clean = _doc("募集状況: 一般募集中\n目標参加者数: 120名\n研究デザイン: ランダム化\n")
    unstatable = statements.unstatable_fields(clean)
    assert not {"recruitment_status", "target_enrollment", "allocation"} & unstatable
    _, clean = _doc("研究の目的: 新しい治療法の安全性を調べる。\n")
    assert {"recruitment_status", "target_enrollment", "allocation"} <= statements.unstatable_fields(clean)


@pytest.mark.parametrize("text, value", [
    ("The trial is now enrolling patients at five hospitals.", "RECRUITING"),
    ("Enrollment is open at 12 sites.", "RECRUITING"),
    ("Status: Closed to accrual", "ACTIVE_NOT_RECRUITING"),
    ("The company completed enrollment in March.", "ACTIVE_NOT_RECRUITING"),  # not "Completed"
    ("Trial status: Study complete", "COMPLETED"),
    # someone seeking the people the trial enrols: recruitment is open
    ("The hospital is actively seeking volunteers aged 60 to 80.", "RECRUITING"),
    ("Researchers are looking for eligible adult patients with asthma.", "RECRUITING"),
    ("The clinic seeks volunteers for a vaccine study.", "RECRUITING"),
    ("Right now, a study is enrolling for people with migraine.", "RECRUITING"),
    ("Die Ärzte suchen noch Patienten für die Studie.", "RECRUITING"),
    ("Probanden gesucht", "RECRUITING"),
    ("El hospital busca voluntarios sanos.", "RECRUITING"),
    ("L'équipe recherche des volontaires.", "RECRUITING"),
    ("Het ziekenhuis zoekt deelnemers.", "RECRUITING"),
    ("Overall status: Active (not recruiting)", "ACTIVE_NOT_RECRUITING"),
])
def test_recruitment_stated_in_prose(text, value):
    assert [stated for stated, _ in statements.enum_statements("recruitment_status", text)] == [value]


@pytest.mark.parametrize("text", [
    "Many doctors are seeking new treatments for patients with cancer.",  # a thing sought for patients
    "Patients seeking treatment for pain were excluded.",  # the patients are the ones seeking
    "The company is seeking approval for the drug.",
    "The study enrolled 40 patients.",  # past: says nothing of now
    "Die Ärzte untersuchen die Patienten.",  # "untersuchen" (examine) holds "suchen"
    "La recherche chez les patients atteints de diabète",  # "recherche" is also research
    "El estudio busca mejorar la vida de los pacientes.",  # what is sought is not the patients
    "la ricerca sui pazienti anziani",
])
def test_seeking_words_that_say_nothing_of_recruitment(text):
    assert list(statements.enum_statements("recruitment_status", text)) == []


@pytest.mark.parametrize("text, stated", [
    ("Accepts Healthy Volunteers  No\nSex: All", [False]),  # a table flattened onto one line
    ("Healthy volunteers accepted\tYes", [True]),
    ("Gesunde Probanden: Nein", [False]),  # the phrase labels a form field: its answer is the statement
    ("Volontaires sains : Oui", [True]),
    ("Voluntarios sanos:\nNo", [False]),
    # prose: words follow the phrase, so a "no" there answers nothing
    ("In healthy volunteers no serious adverse events were seen.", [True]),
    ("Healthy volunteers no longer needed for the pilot", []),
])
def test_an_answer_after_a_healthy_volunteers_label(text, stated):
    assert [value for value, _ in statements.healthy_statements(text)] == stated


@pytest.mark.parametrize("text, stated", [
    ("A phase 1 study in healthy volunteers of a new vaccine", [True]),
    ("The trial is enrolling 40 healthy older adults.", [True]),
    ("Condition: Healthy", [True]),
    ("Healthy Volunteers: No", [False]),
    # healthy controls are compared with the trial's population, not part of it
    ("Patients were compared with healthy controls.", []),
    ("Condition: Healthy controls", []),
])
def test_a_healthy_study_population_states_healthy_volunteers(text, stated):
    assert [value for value, _ in statements.healthy_statements(text)] == stated


@pytest.mark.parametrize("text, expected", [
    ("Registro Brasileiro de Ensaios Clínicos: RBR-7yt6x4", ("OTHER", "RBR-7yt6x4")),
    ("SLCTR/2019/012", ("OTHER", "SLCTR/2019/012")),
    ("JapicCTI121234", ("OTHER", "JapicCTI-121234")),
    ("JMA-IIA00123", ("OTHER", "JMA-IIA00123")),
    ("REPEC: PER-012-19", ("OTHER", "PER-012-19")),
    ("NL-OMON23456", ("OTHER", "NL-OMON23456")),
    ("Universal Trial Number (UTN)\nU1111-1234-5678", ("OTHER", "U1111-1234-5678")),
])
def test_ids_of_the_other_who_registries(text, expected):
    assert [(m.registry, m.id) for m in normalize.find_registry_ids(text)] == [expected]


@pytest.mark.parametrize("text", [
    "U1111-12345-6789",  # not the UTN's 4-4 digit groups
    "Call U1111-1234 for details",
    "SU1111-1234-5678",  # part of a longer code
])
def test_what_only_resembles_a_universal_trial_number_is_no_id(text):
    assert normalize.find_registry_ids(text) == []


def test_two_ids_of_other_registries_do_not_make_a_page_of_several_trials():
    from trialsift.pipeline.extraction import listed_trials
    _, clean = _doc("JapicCTI-121234\nJMA-IIA00123\n")
    assert listed_trials(clean) == []
    _, clean = _doc("NCT01234567 and NCT07654321\n")
    assert listed_trials(clean) == ["NCT01234567", "NCT07654321"]


@pytest.mark.parametrize("text, inclusion, exclusion", [
    ("纳入标准：\n1. 年龄18-75岁\n2. 确诊为哮喘\n排除标准：\n1. 妊娠期妇女", ["年龄18-75岁", "确诊为哮喘"], ["妊娠期妇女"]),
    ("Einschlusskriterien:\n- Alter ab 18 Jahren\nAusschlusskriterien:\n- Schwangerschaft",
     ["Alter ab 18 Jahren"], ["Schwangerschaft"]),
    ("選択基準\n1) 20歳以上\n除外基準\n1) 妊娠中", ["20歳以上"], ["妊娠中"]),
    ("Critères d’inclusion : patients âgés de 18 ans\nCritères d'exclusion:\n- grossesse",
     ["patients âgés de 18 ans"], ["grossesse"]),
    ("선정 기준\n- 만 19세 이상\n제외기준\n- 임신", ["만 19세 이상"], ["임신"]),
    # counter-example: a sentence that mentions the word is no heading
    ("Die Einschlusskriterien wurden 2020 geändert.", ["Die Einschlusskriterien wurden 2020 geändert."], []),
])
def test_criteria_headings_in_other_languages(text, inclusion, exclusion):
    from trialsift.pipeline.registry_records import split_criteria
    assert split_criteria(text) == (inclusion, exclusion)


def test_a_foreign_criteria_heading_opens_the_eligibility_section_and_makes_criteria_askable():
    from trialsift.pipeline.sections import heading_label
    assert heading_label("纳入标准：") == heading_label("Einschlusskriterien") == "eligibility"
    _, clean = _doc("研究の概要\n選択基準\n20歳以上\n")
    assert "inclusion_criteria" not in statements.unstatable_fields(clean)
    _, clean = _doc("研究の概要\n新しい治療法の安全性を調べる。\n")
    assert {"inclusion_criteria", "exclusion_criteria"} <= statements.unstatable_fields(clean)


# Each registry's own status vocabulary, as its pages print it: a statement the detectors see
# (so the model is asked) and a value the labelled rule reads.
@pytest.mark.parametrize("line, value", [
    ("Recruitment Status: Recruiting planned", "NOT_YET_RECRUITING"),  # DRKS
    ("Recruitment Status: Recruiting complete, study complete", "COMPLETED"),  # not "Recruiting"
    ("Recruitment Status: Recruiting complete, study continuing", "ACTIVE_NOT_RECRUITING"),
    ("Recruitment status: Stopped early", "TERMINATED"),  # ANZCTR
    ("Recruitment status: Closed: follow-up continuing", "ACTIVE_NOT_RECRUITING"),
    ("Recruitment Status of Trial (India): Closed to Recruitment of Participants", "ACTIVE_NOT_RECRUITING"),  # CTRI
    ("Recruitment Status of Trial (Global): Open to Recruitment", "RECRUITING"),
    ("Recruiting status: Not recruiting yet", "NOT_YET_RECRUITING"),  # ChiCTR
    ("Trial Status: Temporarily Halted", "SUSPENDED"),  # EU CTR
])
def test_registry_status_vocabularies_are_statements_and_read_by_their_labels(line, value):
    from tests.test_rules import _findings_for_text, _values
    assert [stated for stated, _ in statements.enum_statements("recruitment_status", line)][-1] == value
    assert _values(_findings_for_text(line + "\n"), "recruitment_status") == [value]


@pytest.mark.parametrize("text", ["Recruitment status: Not recruiting", "Recruiting status: Stop recruiting",
                                  "Recruiting status:\n"])
def test_not_recruiting_and_a_status_label_are_no_recruiting_statement(text):
    assert "RECRUITING" not in [stated for stated, _ in statements.enum_statements("recruitment_status", text)]


@pytest.mark.parametrize("text, answer", [
    ("Healthy volunteers accepted: No", False),  # the answer after the label, not the label's "accepted"
    ("Can healthy volunteers participate?: Yes", True),
    ("Accepts healthy volunteers", True),  # a badge that is its own answer
    ("Accepts Healthy Volunteers\nNo", False),
    ("Participant type(s): Patient, Healthy volunteer", True),
    ("Participant type(s): Patient", None),
    ("Healthy controls will be matched by age.", None),
])
def test_healthy_volunteer_answers(text, answer):
    stated = [value for value, _ in statements.healthy_statements(text)]
    assert stated == ([] if answer is None else [answer])


@pytest.mark.parametrize("field_name, text, value", [
    ("masking", "Blinding: Open", "NONE"), ("masking", "Trial blinding: Single", "SINGLE"),
    ("phases", "Phase: Not Applicable", ["NA"]), ("sex", "Sex: Males", "MALE"),
])
def test_labelled_enum_wordings_are_statements(field_name, text, value):
    assert [stated for stated, _ in statements.enum_statements(field_name, text)] == [value]


@pytest.mark.parametrize("name, company", [
    ("Acme Pharma", True), ("Acme Therapeutics", True), ("Acme Holdings Inc.", True), ("Acme S.p.A.", True),
    ("Acme AG", True), ("\uc885\uadfc\ub2f9\uc81c\uc57d", True),  # 종근당제약: Korean "pharmaceutical"
    ("\u6b66\u7530\u85ac\u54c1\u5de5\u696d", True),  # 武田薬品工業: Japanese "pharmaceutical industries"
    ("\u5f00\u62d3\u836f\u4e1a", True),  # 开拓药业: Chinese "pharmaceutical business"
    # a legal form counts only where it ends the name; a hospital or university is no company
    ("AG-120", False), ("Co-operative Oncology Group", False), ("Acme University Hospital", False),
    ("National Cancer Institute", False),
])
def test_a_company_is_told_by_its_legal_form_or_industry_word(name, company):
    assert bool(re.search(lexicon.COMPANY_NAME_WORDS, name, re.I)) is company


@pytest.mark.parametrize("text,count", [
    ("O ensaio vai recrutar 12 mil participantes.", 12_000),  # a scale word after the number
    ("Die Studie soll 3 Tausend Teilnehmer einschließen.", 3_000),
    ("Lo studio arruolerà 2.000 mila persone.", 2_000_000),  # a thousands separator, then the scale
    ("The trial will enrol 1.5 million people.", 1_500_000),
    ("试验计划招募1.2万名受试者", 12_000),  # CJK scale right after the number
    ("1만 명의 환자를 모집한다", 10_000),
])
def test_a_count_written_with_a_scale_word_is_the_scaled_number(text, count):
    assert count in [number for number, _ in statements.counts_of_participants(text)]


@pytest.mark.parametrize("text,not_counts", [
    ("Se incluirán 1,5 millones de personas.", {5_000_000, 1_500_000}),  # a decimal comma is not read
    ("Each of the 3 bins holds 40 vials for patients.", {3_000}),  # an English word is no scale
    ("About 12 milliliters per patient.", {12_000}),
])
def test_no_scale_is_read_where_the_word_is_not_one(text, not_counts):
    assert not not_counts & {number for number, _ in statements.counts_of_participants(text)}


@pytest.mark.parametrize("text, phases", [
    ("The sponsor runs a phase IV, open-label extension.", ["PHASE4"]),  # not "phase I" and a "V"
    ("A Phase IIb dose-ranging study", ["PHASE2"]),
    ("Faz-2 çalışması bu ay başlıyor.", ["PHASE2"]),  # Turkish
    ("2. Faz çalışması başladı.", ["PHASE2"]),  # Turkish, ordinal before the word
    ("Badanie II fazy obejmie 120 pacjentów.", ["PHASE2"]),  # Polish, numeral before the word
    ("Начались испытания фазы 3.", ["PHASE3"]),  # Russian, the word declined
    ("Препарат прошёл III фазу испытаний.", ["PHASE3"]),
    ("Den första patienten ingår i fas 3-studien.", ["PHASE3"]),  # Swedish
    ("Препарат прошёл обе стадии: итоги первой и второй фаз клинических испытаний готовы.", ["PHASE1", "PHASE2"]),
    ("Компания начинает вторую и третью фазы клинических испытаний.", ["PHASE2", "PHASE3"]),
    ("the first and second phases of clinical trials of the vaccine", ["PHASE1", "PHASE2"]),
    ("\u05d4\u05d7\u05d1\u05e8\u05d4 \u05de\u05ea\u05d7\u05d9\u05dc\u05d4 \u05e0\u05d9\u05e1\u05d5\u05d9 "
     "\u05e7\u05dc\u05d9\u05e0\u05d9 \u05e9\u05dc\u05d1 3", ["PHASE3"]),  # Hebrew: a trial word, then שלב 3
    ("\u4e00\u9879\u2162\u671f\u4e34\u5e8a\u8bd5\u9a8c", ["PHASE3"]),  # 一项Ⅲ期临床试验: the Roman numeral character
    ("\u4e00\u9879\u4e09\u671f\u4e34\u5e8a\u7814\u7a76", ["PHASE3"]),  # 一项三期临床研究: the CJK numeral
])
def test_phases_in_other_languages_and_roman_numerals(text, phases):
    assert [value for value, _ in statements.enum_statements("phases", text)] == [phases]


@pytest.mark.parametrize("text", [
    "Phase 10 of the construction plan",  # a number that is no phase
    "O estudo começou faz 2 anos.",  # Portuguese "faz": a duration
    "Fas 1 ligand binds its receptor.",  # "Fas", a cell receptor, is no Swedish "fas"
    "\u05d4\u05de\u05d8\u05d5\u05e4\u05dc\u05d9\u05dd \u05d7\u05d5\u05dc\u05d9\u05dd \u05d1\u05e9\u05dc\u05d1 4",  # Hebrew stage 4 of a disease, no trial word
    "\u2162\u671f\u80ba\u764c\u60a3\u8005",  # Ⅲ期肺癌患者: a cancer stage
])
def test_what_only_resembles_a_phase_is_none(text):
    assert list(statements.enum_statements("phases", text)) == []


@pytest.mark.parametrize("text, sex", [
    ("Adults aged 18-65, male or female, may take part.", "ALL"),
    ("Adults of either sex aged 18 to 60 may join.", "ALL"),
    ("Healthy volunteers of both sexes", "ALL"),
    ("Se incluirán pacientes de ambos sexos.", "ALL"),
    ("Eingeschlossen werden Erwachsene beiderlei Geschlechts.", "ALL"),
    ("Postmenopausal women aged 50 or over", "FEMALE"),  # one sex stays one sex
    # "men and women" in other languages
    ("Er doen 80 deelnemers mee, zowel mannen als vrouwen.", "ALL"),
    ("Teilnehmen können Männer und Frauen ab 18 Jahren.", "ALL"),
    ("L'essai recrute des hommes et des femmes de 18 à 65 ans.", "ALL"),
    ("Se incluirán hombres y mujeres mayores de edad.", "ALL"),
    ("本试验招募男女患者各50例。", "ALL"),
    ("건강한 남녀 성인 40명", "ALL"),
])
def test_any_sex_in_its_common_wordings(text, sex):
    assert [value for value, _ in statements.enum_statements("sex", text)][:1] == [sex]


def test_a_ratio_of_the_sexes_is_no_statement_of_either():
    assert list(statements.enum_statements("sex", "対象者の男女比は1:1であった。")) == []
@pytest.mark.parametrize("text, stated", [
    ("受试者为健康成人。", True),  # Chinese: healthy adults
    ("健康な成人を対象とする第1相試験", True),  # Japanese
    ("건강한 성인을 대상으로 한 임상", True),  # Korean
    ("Araştırma sağlıklı yetişkinlerde yapılacak.", True),  # Turkish
    ("Die Studie wird an gesunden Probanden durchgeführt.", True),  # German
    ("Un ensayo en voluntarios sanos", True),  # Spanish
    ("Испытание на здоровых добровольцах", True),  # Russian
    ("每位居民须出示健康码。", False),  # a health code, no population
    ("Patients were compared with healthy controls.", False),
])
def test_a_healthy_study_population_in_other_languages(text, stated):
    assert bool(list(statements.healthy_statements(text))) is stated


@pytest.mark.parametrize("text, ages", [
    ("受试者年龄为20至55周岁。", [20, 55]),  # Chinese: full years of age, and the word for age
    ("Katılımcıların yaşı 18 ile 65 arasında olmalı.", [18, 65]),  # Turkish
    ("Do badania kwalifikują się osoby w wieku 30-70 lat.", [30, 70]),  # Polish
    ("Участники в возрасте от 18 до 45 лет.", [18, 45]),  # Russian
    ("Peserta berusia 21 tahun ke atas.", [21]),  # Indonesian
    ("Người tham gia từ 18 tuổi trở lên.", [18]),  # Vietnamese
])
def test_ages_in_more_languages(text, ages):
    assert [years for years, _ in statements.ages(text)] == ages


@pytest.mark.parametrize("text, phases", [
    ("The Phase Two study will enrol 300 adults.", ["PHASE2"]),  # a number word after "phase"
    ("It passed the first phase of clinical trials last year.", ["PHASE1"]),  # an ordinal, then a clinical word
    ("Препарат вошёл во вторую фазу клинического исследования.", ["PHASE2"]),  # Russian
    ("La segunda fase de los ensayos clínicos empieza hoy.", ["PHASE2"]),  # Spanish
    ("Die dritte Phase der klinischen Prüfung beginnt.", ["PHASE3"]),  # German
    ("회사는 임상2a 승인을 받았다.", ["PHASE2"]),  # Korean, a lettered phase without 상
])
def test_a_phase_written_in_words(text, phases):
    assert [value for value, _ in statements.enum_statements("phases", text)] == [phases]


@pytest.mark.parametrize("text", [
    "In the second phase of the study, everyone receives the active drug.",  # a period of one study
    "The first phase of the building work ends in May.",
    "The drug Phase of the programme is over.",
])
def test_an_ordinal_phase_without_a_clinical_word_is_no_phase(text):
    assert list(statements.enum_statements("phases", text)) == []


@pytest.mark.parametrize("text, counts", [
    ("Patients receive 25 mg daily for 8 weeks.", []),  # a dose and a duration near a people word
    ("About 300 patients will join at 40 sites.", [300.0]),  # the places are no people
    ("患者300名を全国の40施設で募集する。", [300.0]),  # Japanese: 40 facilities
    ("60% of participants were women.", []),  # a share
    ("The 12-week study enrolled 200 adults.", [200.0]),
])
def test_a_number_with_a_unit_of_its_own_is_no_count_of_participants(text, counts):
    assert [count for count, _ in statements.counts_of_participants(text)] == counts


@pytest.mark.parametrize("text, not_ages", [
    ("Response at 12 months: 61% (n=58; p<0.001) versus 20%.", [58.0, 61.0]),  # a count and a share
    ("Participants over 40 years: 35% of the total", [35.0]),
])
def test_a_count_or_a_share_is_no_age(text, not_ages):
    found = [years for years, _ in statements.ages(text)]
    assert found and not set(found) & set(not_ages)


@pytest.mark.parametrize("line, calls", [
    ("Volunteers needed for a migraine study", True),
    ("\u504f\u5934\u75db\u4e34\u5e8a\u8bd5\u9a8c\u62db\u52df\u53d7\u8bd5\u8005", True),  # Chinese: "... recruits subjects"
    ("\u81e8\u5e8a\u8a66\u9a13\u306e\u53c2\u52a0\u8005\u3092\u52df\u96c6", True),  # Japanese: "participants wanted"
    ("\ud3b8\ub450\ud1b5 \uc784\uc0c1\uc2dc\ud5d8 \ucc38\uac00\uc790 \ubaa8\uc9d1", True),  # Korean: "participants wanted"
    ("Deelnemers gezocht voor onderzoek naar migraine", True),  # Dutch
    ("Se buscan voluntarios para un estudio", True),  # Spanish
    ("A Study of Drug X in Patients With Migraine", False),
    ("Effect of Help-Seeking Behaviour on Migraine Outcomes", False),
])
def test_a_call_for_participants(line, calls):
    assert bool(re.search(lexicon.RECRUITMENT_CALLS, line, re.I)) is calls


def test_two_cjk_phases_joined_by_and_are_both_stated():
    text = "\u5c06\u5f00\u5c55\u2161\u671f\u548c\u2162\u671f\u4e34\u5e8a\u8bd5\u9a8c"  # 将开展Ⅱ期和Ⅲ期临床试验
    assert [value for value, _ in statements.enum_statements("phases", text)] == [["PHASE2"], ["PHASE3"]]


@pytest.mark.parametrize("text, stated", [
    ("About 60 healthy adults will receive one dose each.", True),  # a count of them
    ("Last week the first healthy participant was dosed.", True),  # an ordinal
    ("Studien omfattar 48 friska frivilliga.", True),  # Swedish
    ("Forsøget omfatter 40 raske frivillige.", True),  # Danish
    ("健康な小児120名を対象とする。", True),  # Japanese: healthy children
    ("במחקר ישתתפו 60 מתנדבים בריאים.", True),  # Hebrew: healthy volunteers
    ("تشمل الدراسة 200 متطوع سليم", True),  # Arabic: a healthy volunteer
    ("We compared 40 patients with 20 healthy control subjects.", False),  # controls beside patients
    ("Patients were compared with 20 healthy controls.", False),
    ("Participants are advised to eat 3 healthy meals a day.", False),  # no people word
    ("The first healthy lifestyle programme starts in May.", False),
])
def test_a_count_or_an_ordinal_of_healthy_people_states_a_healthy_population(text, stated):
    assert bool(list(statements.statements_of("healthy_volunteers", text))) is stated


@pytest.mark.parametrize("text, allocation", [
    ("En randomiserad studie med 80 patienter.", "RANDOMIZED"),  # Swedish
    ("Et randomiseret, dobbeltblindet forsøg.", "RANDOMIZED"),  # Danish
    ("En randomisert studie med 200 pasienter.", "RANDOMIZED"),  # Norwegian
    ("Badanie randomizowane z podwójnie ślepą próbą.", "RANDOMIZED"),  # Polish
    ("Badanie nierandomizowane, otwarte.", "NON_RANDOMIZED"),
    ("Рандомизированное двойное слепое исследование.", "RANDOMIZED"),  # Russian
    ("Нерандомизированное исследование.", "NON_RANDOMIZED"),
    ("ניסוי קליני אקראי בקרב 300 משתתפים.", "RANDOMIZED"),  # Hebrew: a random(ised) clinical trial
    ("تجربة سريرية عشوائية على 300 مشارك.", "RANDOMIZED"),  # Arabic
    ("کارآزمایی بالینی تصادفی در ۳۰۰ بیمار.", "RANDOMIZED"),  # Persian
    ("נבחר מדגם אקראי של אנשים.", None),  # a random sample, not a randomised trial
    ("أخذت عينة عشوائية من السكان.", None),
])
def test_randomised_in_the_languages_whose_blinding_is_read(text, allocation):
    found = [value for value, _ in statements.enum_statements("allocation", text) if value]
    assert found == ([allocation] if allocation else [])


@pytest.mark.parametrize("text", [
    "Die Studie steht unter der Leitung von Prof. Dr. Erika Muster.",  # German
    "Het onderzoek wordt geleid door prof. dr. J. Jansen.",  # Dutch
    "Lo studio è coordinato da Mario Rossi.",  # Italian
    "El ensayo está dirigido por la doctora Ana García.",  # Spanish
    "L'essai est mené par le professeur Jean Dupont.",  # French
    "Studien leds av professor Anna Andersson.",  # Swedish
])
def test_led_by_in_other_languages_names_a_trial_role(text):
    _, clean = _doc(text + "\n")
    assert "contacts" not in statements.unstatable_fields(clean)
    _, clean = _doc(text.split(" ")[0] + " Studie über Schlaf.\n")
    assert "contacts" in statements.unstatable_fields(clean)


@pytest.mark.parametrize("text, age, bound", [
    ("Older adults (65years old or more) may join.", 65.0, "min_age_years"),  # the unit against it
    ("Participants aged 40yrs or over", 40.0, "min_age_years"),
    ("Deltagarna är mellan 20 och 45 år gamla.", 45.0, None),  # Swedish år
    ("يشترط أن يكون عمر المشارك 21 عامًا فأكثر", 21.0, None),  # Arabic: 21 years or more
    ("Women 21 and older may take part.", 21.0, "min_age_years"),  # older says it is an age
    ("Patients 75 or younger may take part.", 75.0, "max_age_years"),
])
def test_ages_with_a_glued_unit_in_more_languages_and_with_older_or_younger(text, age, bound):
    found = {years: span for years, span in statements.ages(text)}
    assert age in found
    if bound:
        assert statements.age_bound(text, found[age]) == bound


@pytest.mark.parametrize("text", [
    "Room A1 holds 100 and over.",  # a count, no older or younger
    "Samples were stored in 3rd-floor freezers.",
])
def test_what_only_resembles_such_an_age_is_none(text):
    assert list(statements.ages(text)) == []


@pytest.mark.parametrize("text, names", [
    ("Volunteers may join the ZENOVA study at four hospitals.", ["ZENOVA"]),
    ("Results of the KX4 trial were presented.", ["KX4"]),
    ("Take part in the BrightStep research study.", ["BrightStep"]),
    ("Die Studie ZENOVA-2 beginnt im Mai.", ["ZENOVA-2"]),
    ("L'essai ZENOVA recrute.", ["ZENOVA"]),
    # candidates only: a disease's abbreviation stands there too (the model and the acronym checks judge)
    ("a new COVID-19 trial", ["COVID-19"]),
    # ordinary capitalised words, a phase, a design word: no name
    ("A Phase 3 Study of zenovamab", []),
    ("The Study Type is interventional.", []),
    ("in a randomized trial of adults", []),
    ("Zenovamab trial opens", []),  # a drug's name in a headline: one capital, no digit
    ("A Phase II trial of zenovamab", []),  # a phase's numeral
    ("Phase II/III study", []),
    ("Registered at the UMIN Clinical Trials Registry", []),  # a registry's name
    ("ISRCTN-registered trial", []),
])
def test_short_names_written_beside_a_word_for_the_trial(text, names):
    assert [text[start:end] for start, end in statements.trial_name_spans(text)] == names

"""Hand-built cases for pipeline.scoring: typed matching, counting, averages."""

from __future__ import annotations

import pytest

from trialsift.pipeline.scoring import (
    FIELD_RULES,
    OBJECT_KEYS,
    FieldCounts,
    compare_field,
    compare_record,
    dates_match,
    score,
    texts_match,
)
from trialsift.schemas.trial import CONTRACT_KEYS, ITEM_NAME_KEYS, TrialRecord

PROMISE_TITLE = "PROspective Multicenter Imaging Study for Evaluation of Chest Pain (PROMISE)"


def counts_of(c: FieldCounts) -> tuple[int, int, int, int, int]:
    return c.tp, c.fp, c.fn, c.hallucinations, c.gold_empty


def test_every_contract_field_has_a_rule():
    assert set(FIELD_RULES) == set(CONTRACT_KEYS)


def test_an_object_item_is_matched_first_by_the_key_that_names_it():
    # the scorer, grounding and the token probabilities name an item by the same key (ITEM_NAME_KEYS)
    assert {name: keys[0] for name, keys in OBJECT_KEYS.items()} == {
        name: key for name, key in ITEM_NAME_KEYS.items() if name != "registry_ids"}
    for name, key in ITEM_NAME_KEYS.items():
        item_model = TrialRecord.model_fields[name].annotation.__args__[0]
        assert key in item_model.model_fields, (name, key)


# --------------------------------------------------------------------------- scalars


def test_identical_records_score_perfectly():
    gold = {
        "registry_ids": [{"registry": "NCT", "id": "NCT01174550"}],
        "public_title": PROMISE_TITLE,
        "phases": ["NA"],
        "target_enrollment": 10003,
        "start_date": "2010-07",
        "recruitment_status": "COMPLETED",
        "healthy_volunteers": False,
        "min_age_years": 45.0,
        "inclusion_criteria": ["Patients with chest pain suspicious for coronary disease"],
    }
    per_field = compare_record(dict(gold), gold)
    stated = [name for name in gold]
    for name in stated:
        assert counts_of(per_field[name])[:3] == (len(gold[name]) if isinstance(gold[name], list) else 1, 0, 0), name
    card = score([(gold, gold, "registry")])
    assert card.micro.f1 == 1.0
    assert card.hallucination_rate == 0.0


def test_both_empty_counts_nothing_but_the_empty_gold():
    for name in CONTRACT_KEYS:
        empty = [] if FIELD_RULES[name].endswith("list") else None
        assert counts_of(compare_field(name, empty, empty)) == (0, 0, 0, 0, 1), name


def test_hallucinated_scalar_is_a_false_positive_and_a_hallucination():
    assert counts_of(compare_field("recruitment_status", "COMPLETED", None)) == (0, 1, 0, 1, 1)


def test_missed_scalar_is_a_false_negative():
    assert counts_of(compare_field("target_enrollment", None, 91)) == (0, 0, 1, 0, 0)


def test_wrong_scalar_is_both_false_positive_and_false_negative():
    assert counts_of(compare_field("target_enrollment", 60, 91)) == (0, 1, 1, 0, 0)
    assert counts_of(compare_field("masking", "DOUBLE", "QUADRUPLE")) == (0, 1, 1, 0, 0)


def test_booleans_are_exact_and_false_is_a_stated_value():
    assert counts_of(compare_field("healthy_volunteers", False, False)) == (1, 0, 0, 0, 0)
    assert counts_of(compare_field("healthy_volunteers", None, False)) == (0, 0, 1, 0, 0)
    assert counts_of(compare_field("healthy_volunteers", True, False)) == (0, 1, 1, 0, 0)


def test_enrollment_of_zero_is_a_stated_value():
    assert counts_of(compare_field("target_enrollment", 0, 0)) == (1, 0, 0, 0, 0)


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "predicted",
    [
        PROMISE_TITLE,
        PROMISE_TITLE.upper(),
        "Prospective multicenter imaging study for evaluation of chest pain - PROMISE",
        "PROspective Multicentre Imaging Study for Evalution of Chest Pain (PROMISE)",  # two typos
        "PROspective Multicenter Imaging Study for Evaluation of Chest Pain",  # acronym left off
    ],
)
def test_title_variants_match(predicted):
    assert texts_match(predicted, PROMISE_TITLE)
    assert counts_of(compare_field("public_title", predicted, PROMISE_TITLE)) == (1, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "predicted",
    [
        "Relapse Prevention Study of Pimavanserin in Dementia-related Psychosis",  # another trial
        "Multicenter Study Evaluating Certolizumab Pegol Compared to Placebo in Subjects With axSpA",
        "Chest Pain",  # a fragment: token_set_ratio alone would score it 100
        "",
    ],
)
def test_other_titles_do_not_match(predicted):
    assert not texts_match(predicted, PROMISE_TITLE)


def test_sponsor_spelling_variants_match():
    assert texts_match("Bristol Myers Squibb", "Bristol-Myers Squibb")
    assert not texts_match("Marinus Pharmaceuticals", "Bristol-Myers Squibb")


def test_acronym_ignores_case_and_punctuation_only():
    assert counts_of(compare_field("acronym", "c-optimise", "C-OPTIMISE")) == (1, 0, 0, 0, 0)
    assert counts_of(compare_field("acronym", "CheckMate 017", "CheckMate 331")) == (0, 1, 1, 0, 0)


# --------------------------------------------------------------------------- dates and ages


@pytest.mark.parametrize(
    "predicted, gold, expected",
    [
        ("2012-10-16", "2012-10-16", True),
        ("2012-10-16", "2012-10", True),  # more precise than gold, agrees on gold's part
        ("2012-10", "2012-10", True),
        ("2012-10-16", "2012", True),
        ("2012-10", "2012-10-16", False),  # less precise than gold
        ("2012", "2012-10", False),
        ("2012-09-26", "2012-10-16", False),
        ("2012-11-01", "2012-10", False),
    ],
)
def test_dates_are_compared_at_the_gold_precision(predicted, gold, expected):
    assert dates_match(predicted, gold) is expected
    assert compare_field("start_date", predicted, gold).tp == int(expected)


@pytest.mark.parametrize(
    "predicted, gold, expected",
    [(18.0, 18.0, True), (18, 18.0, True), (0.25, 0.2499, True), (3.5, 3.6, False), (18.0, 45.0, False)],
)
def test_ages_are_numeric(predicted, gold, expected):
    assert compare_field("min_age_years", predicted, gold).tp == int(expected)


# --------------------------------------------------------------------------- registry ids


@pytest.mark.parametrize(
    "predicted",
    [
        {"registry": "EUDRACT", "id": "2015-001894-41"},
        {"registry": "eudract", "id": "2015 001894 41"},
        {"registry": "EUDRACT", "id": "2015001894-41"},
    ],
)
def test_registry_ids_are_normalized_before_exact_comparison(predicted):
    gold = [{"registry": "EUDRACT", "id": "2015-001894-41"}]
    assert counts_of(compare_field("registry_ids", [predicted], gold)) == (1, 0, 0, 0, 0)


def test_registry_ids_go_through_the_schema_id_normalizer():
    gold = [{"registry": "EUDRACT", "id": "2015-001097-18"}]
    predicted = [{"registry": "EUDRACT", "id": "EUCTR2015-001097-18-ES"}]
    assert compare_field("registry_ids", predicted, gold).tp == 1


def test_registry_prefix_in_the_id_is_optional():
    gold = [{"registry": "ISRCTN", "id": "ISRCTN17473621"}]
    assert compare_field("registry_ids", [{"registry": "ISRCTN", "id": "17473621"}], gold).tp == 1


def test_registry_ids_need_the_same_registry_and_id():
    gold = [{"registry": "NCT", "id": "NCT01642004"}, {"registry": "EUDRACT", "id": "2011-004792-36"}]
    predicted = [
        {"registry": "NCT", "id": "NCT01642004"},
        {"registry": "ISRCTN", "id": "2011-004792-36"},  # right id, wrong registry
        {"registry": "NCT", "id": "NCT01642005"},
    ]
    assert counts_of(compare_field("registry_ids", predicted, gold)) == (1, 2, 1, 0, 0)


# --------------------------------------------------------------------------- lists


def test_partial_criteria_list():
    gold = [
        "Unstable hemodynamics or arrhythmias",
        "Urgent evaluation for rule-out acute coronary syndrome",
        "Congenital, valvular, or cardiomyopathic heart disease",
    ]
    predicted = [
        "unstable hemodynamics or arrhythmias.",  # case and punctuation differ: a match
        "Congenital valvular or cardiomyopathic heart disease",  # a match
        "Pregnancy",  # not in gold
    ]
    c = compare_field("exclusion_criteria", predicted, gold)
    assert counts_of(c) == (2, 1, 1, 0, 0)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)


def test_a_fragment_of_a_criterion_does_not_count_as_the_criterion():
    gold = ["Age ≥ 18 and < 70 years of age"]
    assert compare_field("inclusion_criteria", ["Age ≥ 18"], gold).tp == 0


def test_list_matching_is_one_to_one():
    gold = ["Depression, Postpartum"]
    predicted = ["Depression, Postpartum", "Postpartum depression"]
    assert counts_of(compare_field("conditions", predicted, gold)) == (1, 1, 0, 0, 0)


def test_duplicate_predictions_are_counted_once():
    gold = ["PHASE2"]
    assert counts_of(compare_field("phases", ["PHASE2", "PHASE2"], gold)) == (1, 0, 0, 0, 0)


def test_enum_lists_are_exact():
    assert counts_of(compare_field("phases", ["PHASE2", "PHASE3"], ["PHASE3"])) == (1, 1, 0, 0, 0)
    assert counts_of(compare_field("countries", ["UG"], ["UG", "ZW"])) == (1, 0, 1, 0, 0)


def test_object_lists_match_by_their_name():
    gold = [{"name": "Certolizumab Pegol", "type": "BIOLOGICAL"}, {"name": "Placebo", "type": "OTHER"}]
    predicted = [{"name": "certolizumab pegol (CZP)", "type": "DRUG"}, {"name": "Docetaxel"}]
    assert counts_of(compare_field("interventions", predicted, gold)) == (1, 1, 1, 0, 0)

    outcomes_gold = [{"measure": "Overall Survival (OS)", "time_frame": "38 months"}]
    outcomes_predicted = [{"measure": "overall survival (OS)", "time_frame": None}]
    assert compare_field("primary_outcomes", outcomes_predicted, outcomes_gold).tp == 1


def test_sites_without_a_name_match_by_city():
    gold = [{"name": None, "city": "Nanchang", "country": "CN"}]
    assert compare_field("sites", [{"city": "nanchang"}], gold).tp == 1


def test_hallucinated_list():
    c = compare_field("secondary_outcomes", [{"measure": "PFS"}, {"measure": "ORR"}], [])
    assert counts_of(c) == (0, 2, 0, 1, 1)


# --------------------------------------------------------------------------- averages


def test_micro_and_macro_arithmetic_by_hand():
    # news document: acronym right; one right and one extra phase; enrollment wrong.
    news_gold = {"acronym": "PROMISE", "phases": ["PHASE3"], "target_enrollment": 100}
    news_pred = {"acronym": "PROMISE", "phases": ["PHASE3", "PHASE2"], "target_enrollment": 90}
    # registry document: acronym invented; phase missed; enrollment right.
    registry_gold = {"acronym": None, "phases": ["PHASE2"], "target_enrollment": 50}
    registry_pred = {"acronym": "X", "phases": [], "target_enrollment": 50}

    card = score([(news_pred, news_gold, "news"), (registry_pred, registry_gold, "registry")])

    # acronym: tp 1, fp 1 -> F1 2/3; phases: tp 1, fp 1, fn 1 -> F1 1/2;
    # enrollment: tp 1, fp 1, fn 1 -> F1 1/2. All other fields are empty on both sides.
    assert counts_of(card.per_field["acronym"])[:3] == (1, 1, 0)
    assert counts_of(card.per_field["phases"])[:3] == (1, 1, 1)
    assert counts_of(card.per_field["target_enrollment"])[:3] == (1, 1, 1)

    micro = card.micro  # tp 3, fp 3, fn 2
    assert (micro.tp, micro.fp, micro.fn) == (3, 3, 2)
    assert micro.precision == pytest.approx(3 / 6)
    assert micro.recall == pytest.approx(3 / 5)
    assert micro.f1 == pytest.approx(6 / 11)

    macro = card.macro
    assert macro.fields == 3
    assert macro.f1 == pytest.approx((2 / 3 + 1 / 2 + 1 / 2) / 3)  # 5/9
    assert macro.precision == pytest.approx((1 / 2 + 1 / 2 + 1 / 2) / 3)
    assert macro.recall == pytest.approx((1 + 1 / 2 + 1 / 2) / 3)

    # One hallucination (the acronym) over every empty gold value: 35 - 3 and 35 - 2.
    n = len(CONTRACT_KEYS)
    assert card.micro.gold_empty == (n - 3) + (n - 2)
    assert card.hallucination_rate == pytest.approx(1 / ((n - 3) + (n - 2)))

    news, registry = card.by_kind["news"], card.by_kind["registry"]
    assert news.documents == registry.documents == 1
    assert (news.micro.tp, news.micro.fp, news.micro.fn) == (2, 2, 1)
    assert (registry.micro.tp, registry.micro.fp, registry.micro.fn) == (1, 1, 1)
    assert registry.per_field["acronym"].hallucinations == 1


def test_undefined_metrics_are_none_not_zero():
    card = score([({}, {}, "news")])
    assert card.micro.precision is None and card.micro.f1 is None
    assert card.macro.f1 is None and card.macro.fields == 0
    assert card.hallucination_rate == 0.0


def test_rows_cover_every_field_and_kind():
    gold = {"phases": ["PHASE3"], "sex": "ALL"}
    pred = {"phases": ["PHASE3"], "sex": "FEMALE"}
    rows = score([(pred, gold, "aggregator"), (gold, gold, "news")]).to_rows()
    kinds = {row["kind"] for row in rows}
    assert kinds == {"all", "aggregator", "news"}
    per_kind = len(CONTRACT_KEYS) + 2  # every field, plus _micro and _macro
    assert len(rows) == 3 * per_kind
    sex_all = next(r for r in rows if r["kind"] == "all" and r["field"] == "sex")
    assert (sex_all["tp"], sex_all["fp"], sex_all["fn"]) == (1, 1, 1)
    micro_all = next(r for r in rows if r["kind"] == "all" and r["field"] == "_micro")
    assert (micro_all["tp"], micro_all["fp"], micro_all["fn"]) == (3, 1, 1)
    assert micro_all["documents"] == 2

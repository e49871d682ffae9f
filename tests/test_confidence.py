"""How sure the model was of each value (pipeline/confidence.py), and the check that refuses a
value the model gave a low probability (extraction.without_unsure), end to end against a
scripted llama.cpp-like server that returns token probabilities."""

from __future__ import annotations

import contextlib
import json
import math

import pytest

from trialsift import Database, extract
from trialsift.pipeline.confidence import MEASURED_THRESHOLD, probability_of, value_probabilities
from trialsift.pipeline.extraction import without_unsure
from trialsift.pipeline.llm import Endpoint, LLMClient
from tests.scripted_llm import ScriptedLLM, WithLogprobs
from tests.test_extraction_loop import asked_keys, query

SURE, UNSURE = math.log(0.9), math.log(0.05)


def tokens_of(text: str, unsure: tuple[str, ...] = ()) -> list[tuple[str, float]]:
    """The text as tokens of a few characters, each sure, but those that open or spell one of
    `unsure` (the quote before it and its words), as a model's answer would come back."""
    marked = [False] * len(text)
    for phrase in unsure:
        at = text.index(json.dumps(phrase)[1:-1])
        for i in range(at - 1, at + len(phrase)):
            marked[i] = True
    pieces, start = [], 0
    for end in range(1, len(text) + 1):  # cut where the mark changes, else every 4 characters
        if end == len(text) or marked[end] != marked[start] or end - start == 4:
            pieces.append((text[start:end], UNSURE if marked[start] else SURE))
            start = end
    return pieces


def test_a_value_has_the_lowest_probability_of_the_tokens_that_open_and_spell_it():
    answer = {"conditions": ["Asthma", "Chronic bronchitis"], "target_enrollment": 120, "healthy_volunteers": False}
    found = value_probabilities(tokens_of(json.dumps(answer), unsure=("Chronic bronchitis",)), answer)
    assert found["conditions"]["Asthma"] == 0.9
    assert found["conditions"]["Chronic bronchitis"] == 0.05
    assert found["target_enrollment"] == {"120": 0.9}
    assert found["healthy_volunteers"] == {"false": 0.9}
    assert probability_of(found, "conditions", "Chronic bronchitis") == 0.05
    assert probability_of(found, "conditions", "Emphysema") is None  # not in the answer: unknown


def test_the_token_that_opens_a_list_is_its_first_items_choice():
    """'["' is where the model chose to fill the list rather than leave it empty: a doubtful
    choice there makes the first item doubtful, not the second."""
    answer = {"conditions": ["Asthma", "Gout"]}
    text = json.dumps(answer)
    at = text.index('["')
    tokens = [(text[:at], SURE), ('["', UNSURE), (text[at + 2:], SURE)]
    found = value_probabilities(tokens, answer)
    assert found["conditions"] == {"Asthma": 0.05, "Gout": 0.9}


def test_items_of_objects_are_known_by_their_name_and_a_fence_before_the_json_is_no_matter():
    """llama.cpp may report tokens the reply's content does not hold (a code fence the grammar
    then refused): values are found by their text, wherever the JSON starts."""
    answer = {"interventions": [{"name": "Zenthor", "type": "DRUG", "description": None},
                                {"name": "placebo", "type": "OTHER", "description": None}]}
    tokens = [("```json\n", math.log(0.6))] + tokens_of(json.dumps(answer), unsure=("placebo",))
    found = value_probabilities(tokens, answer)
    assert found["interventions"] == {"Zenthor": 0.9, "placebo": 0.05}
    assert probability_of(found, "interventions", {"name": "placebo", "type": "OTHER"}) == 0.05


def test_a_value_written_with_other_escapes_is_not_judged():
    answer = {"public_title": "Étude Acme"}
    written = '{"public_title": "\\u00c9tude Acme"}'  # the model escaped what json.dumps would not
    assert value_probabilities([(written, UNSURE)], answer) == {}


def test_without_unsure_keeps_values_of_unknown_probability():
    kept = {"conditions": ["Asthma", "Gout", "Emphysema"], "primary_sponsor": "Acme", "acronym": "XY"}
    probabilities = {"conditions": {"Asthma": 0.9, "Gout": 0.1}, "primary_sponsor": {"Acme": 0.2}}
    sure, unsure = without_unsure(kept, probabilities, MEASURED_THRESHOLD)
    assert sure == {"conditions": ["Asthma", "Emphysema"], "acronym": "XY"}
    assert unsure == [("conditions", "Gout", 0.1), ("primary_sponsor", "Acme", 0.2)]
    assert without_unsure(kept, probabilities, 0.0) == (kept, [])


PAGE = ("Acme-101 in Asthma and Chronic Bronchitis\n\nSponsor: Acme Pharma\nCondition: Asthma\n"
        "Condition: Chronic bronchitis\nTarget number of participants: 120\n")


def unsure_of_bronchitis(request_json: dict) -> WithLogprobs:
    """Every asked key answered; the model doubts the second condition."""
    truth = {"conditions": ["Asthma", "Chronic bronchitis"], "primary_sponsor": "Acme Pharma"}
    answer = {key: truth.get(key) for key in asked_keys(request_json)}
    return WithLogprobs(tuple(tokens_of(json.dumps(answer), unsure=("Chronic bronchitis",))))


def page_and_database(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    return page, Database(tmp_path / "t.duckdb")


@contextlib.contextmanager
def doubting_server():
    """A scripted llama.cpp-like server that doubts the second condition, and a client for it."""
    with ScriptedLLM(responder=unsure_of_bronchitis) as server:
        yield server, LLMClient(Endpoint(server.base_url, "local", "scripted-model", "json_schema", "scripted", 0,
                                         llama_cpp=True))


def test_min_probability_refuses_what_the_model_doubted_to_review_and_is_stored_as_its_own_version(tmp_path):
    """With a threshold, the doubted value goes to review with its probability; the extraction is
    stored under its own version, so the default run (no threshold) of the same page is not skipped
    as done, and it reads the same cached answer (probabilities included) without asking again."""
    page, db = page_and_database(tmp_path)
    with doubting_server() as (server, llm):
        assert db.extract([page], model=llm, min_probability=MEASURED_THRESHOLD).ok == 1
        asked = len(server.chat_requests)
        assert asked >= 1
        assert db.extract([page], model=llm).ok == 1
        assert len(server.chat_requests) == asked
    stored = {version: json.loads(conditions) for version, conditions in query(
        db.path, "SELECT prompt_version, record->'conditions' FROM extractions")}
    thresholded = [v for v in stored if v.endswith("-p0.25")]
    assert len(stored) == 2 and len(thresholded) == 1
    assert stored[thresholded[0]] == ["Asthma"]
    assert [c for v, c in stored.items() if v not in thresholded] == [["Asthma", "Chronic bronchitis"]]
    reasons = query(db.path, "SELECT value, reason FROM review WHERE field = 'conditions'")
    assert [(json.loads(v), r) for v, r in reasons] == [
        ("Chronic bronchitis", f"the model was unsure of it (probability 0.05, under {MEASURED_THRESHOLD})")]


def test_min_probability_must_be_a_probability():
    with pytest.raises(ValueError, match="min_probability"):
        extract("Sponsor: Acme", no_llm=True, min_probability=1.5)


def test_evidence_of_a_model_value_carries_its_probability_and_a_code_found_value_none(tmp_path):
    """What a curator sorts a review queue by: each stored model value's probability, in SQL."""
    page, db = page_and_database(tmp_path)
    with doubting_server() as (server, llm):
        assert db.extract([page], model=llm).ok == 1
    rows = {(row["field"], row["value"]): (row["method"], row["probability"]) for row in db.sql(
        "SELECT field, value->>'$' AS value, method, probability FROM evidence")}
    assert rows[("conditions", "Chronic bronchitis")] == ("llm:all", 0.05)
    assert rows[("conditions", "Asthma")][1] == 0.9
    code_found = [(key, p) for key, (method, p) in rows.items() if not method.startswith("llm")]
    assert code_found and all(p is None for _, p in code_found)  # e.g. the labelled sponsor, the count

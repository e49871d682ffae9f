"""The eval sets each value the checks refused beside the gold labels (pipeline/eval_refusals.py):
had it been stored, would it have been true, false, or a hallucination?"""

from __future__ import annotations

import json
from pathlib import Path

from trialsift.pipeline import evaluation, report
from trialsift.pipeline.eval_refusals import Refusal, reason_kind, refusal_counts, would_add
from trialsift.pipeline.llm import Endpoint, LLMClient
from tests.scripted_llm import ScriptedLLM

SEED = "003_44f9e5a0fcc5c43c"  # a hospital trial page that names France, and no other country


def test_a_reason_is_counted_by_its_kind_not_the_value_it_quotes():
    assert reason_kind("conflicts with the accepted value 'RECRUITING' (rule:status)") == \
        "conflicts with the accepted value"
    assert reason_kind("invalid after retries: Value error, country 'Zenthor' is not a country name") == \
        "invalid after retries"
    assert reason_kind("no span of the source text states this item") == "no span of the source text states this item"
    assert reason_kind("the trial's acronym, not an organization") == "the trial's acronym, not an organization"


def test_a_refused_value_is_true_false_or_hallucinated_by_the_gold_beside_it():
    gold = ["DE", "FR"]
    assert would_add("countries", "DE", ["FR"], gold) == "true"  # a gold item the record lacks
    assert would_add("countries", "FR", ["FR"], gold) == "false"  # stored already: it adds nothing
    assert would_add("countries", "JP", ["FR"], gold) == "false"
    assert would_add("countries", "JP", [], []) == "hallucinated"
    assert would_add("countries", ["DE", "JP"], [], gold) == "true"  # a refused list adds its items
    assert would_add("acronym", "ZEN-1", None, "ZEN-1") == "true"
    assert would_add("acronym", "ZEN-1", "ZEN-1", "ZEN-1") == "false"  # the field holds the gold value
    assert would_add("acronym", "XY-1234", None, "ZEN-1") == "false"
    assert would_add("acronym", "XY-1234", None, None) == "hallucinated"


def _scored(split: str, labels: dict, predicted: dict, refused: list[Refusal]) -> evaluation.DocumentScore:
    gold = evaluation.GoldDoc(source=f"x/{split}.txt", path=Path("x.txt"), kind="news", labels=labels,
                              sha256="0", site=f"{split}.example", split=split)
    return evaluation.DocumentScore(gold=gold, predicted=predicted, status="ok", refused=refused)


def test_refusals_are_counted_per_field_reason_and_split_most_true_values_first():
    unstated = "no span of the source text states this item"
    documents = [
        _scored("dev", {"countries": ["DE"], "funders": []}, {"countries": []},
                [Refusal("countries", "DE", unstated), Refusal("funders", "Acme Foundation", unstated)]),
        _scored("validation", {"countries": ["DE", "FR"]}, {"countries": ["FR"]},
                [Refusal("countries", "DE", unstated), Refusal("countries", "JP", unstated),
                 Refusal("countries", "Ruritania", "invalid after retries: Value error, country 'Ruritania'")]),
    ]
    counts = [(c.field, c.reason, c.split, c.true, c.false, c.hallucinated) for c in refusal_counts(documents)]
    assert counts == [
        ("countries", unstated, "validation", 1, 1, 0),  # as many true values: the more refused first
        ("countries", unstated, "dev", 1, 0, 0),
        ("countries", "invalid after retries", "validation", 0, 1, 0),
        ("funders", unstated, "dev", 0, 0, 1),
    ]


def test_the_eval_report_sets_the_values_the_checks_refused_beside_gold(tmp_path):
    # A gold file of this test's own for one seed, whose countries hold one the page never names
    # (DE): the model's DE is then refused as unstated although gold holds it, its JP is refused
    # and gold lacks it, and an acronym, which gold leaves empty, would have been a hallucination.
    [gold] = [json.loads(p.read_text(encoding="utf-8")) for p in evaluation.GOLD_DIR.glob(f"{SEED}.json")]
    gold["labels"]["countries"] = ["FR", "DE"]
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / f"{SEED}.json").write_text(json.dumps(gold), encoding="utf-8")

    def answers(request: dict) -> dict:
        asked = request["response_format"]["json_schema"]["schema"]["properties"]
        return {key: value for key, value in {"countries": ["DE", "JP"], "acronym": "ZENTHOR"}.items()
                if key in asked}

    with ScriptedLLM(responder=answers) as server:
        llm = LLMClient(Endpoint(server.base_url, "test-key", "m", "json_schema", "scripted"), backoff_base_s=0.01)
        run = evaluation.run_eval(tmp_path / "no-corpus", db_path=str(tmp_path / "eval.duckdb"), llm=llm,
                                  endpoint_label="scripted", gold_dir=gold_dir)
    [document] = run.documents
    assert "DE" not in document.predicted["countries"]
    rows = {(row[0], row[1]): row[2:] for row in report.refusal_rows(run)}
    assert rows[("countries", "no span of the source text states this item")] == ["1 / 1 / 0", ""]
    assert rows[("acronym", "no span of the source text states this value")] == ["0 / 0 / 1", ""]
    markdown = report.write_report(run, tmp_path / "report").markdown.read_text(encoding="utf-8")
    assert "## Refused values beside gold" in markdown
    assert "| countries | no span of the source text states this item | 1 / 1 / 0 |  |" in markdown

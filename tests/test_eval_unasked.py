"""The eval counts the gold values lost at the statement gate (pipeline/eval_unasked.py): a field
the page states in no form the detectors read is never asked, whatever the model would say."""

from __future__ import annotations

import json
from pathlib import Path

from trialsift.pipeline import evaluation, report
from trialsift.pipeline.eval_unasked import unasked_counts

SEED = "003_44f9e5a0fcc5c43c"  # a hospital trial page that names no funder


def _scored(split: str, labels: dict, predicted: dict, unstated: set) -> evaluation.DocumentScore:
    gold = evaluation.GoldDoc(source=f"x/{split}.txt", path=Path("x.txt"), kind="news", labels=labels,
                              sha256="0", site=f"{split}.example", split=split)
    return evaluation.DocumentScore(gold=gold, predicted=predicted, status="ok", unstated=frozenset(unstated))


def test_a_gold_value_on_a_page_the_detectors_find_no_statement_in_is_counted_as_never_asked():
    documents = [
        _scored("validation", {"healthy_volunteers": True, "sex": "ALL"}, {}, {"healthy_volunteers", "sex"}),
        _scored("validation", {"healthy_volunteers": True}, {"healthy_volunteers": True}, set()),  # asked, stored
        _scored("validation", {"healthy_volunteers": None}, {}, {"healthy_volunteers"}),  # no gold value
        _scored("dev", {"healthy_volunteers": False}, {}, {"healthy_volunteers"}),
        # a registry record can fill a field the text states no statement of: stored, so not lost
        _scored("dev", {"sex": "ALL"}, {"sex": "ALL"}, {"sex"}),
    ]
    counts = [(c.field, c.split, c.never_asked, c.with_gold) for c in unasked_counts(documents)]
    assert counts == [
        ("healthy_volunteers", "dev", 1, 1),  # the most losses on validation first
        ("healthy_volunteers", "validation", 1, 2),
        ("sex", "dev", 0, 1),
        ("sex", "validation", 1, 1),
    ]


def test_fields_the_gate_never_closed_on_a_gold_value_are_not_listed():
    documents = [_scored("dev", {"allocation": "RANDOMIZED"}, {"allocation": "RANDOMIZED"}, set()),
                 _scored("dev", {"masking": None}, {}, {"masking"})]
    assert unasked_counts(documents) == []


def test_the_eval_of_a_real_page_knows_what_it_states_and_the_report_lists_the_losses(tmp_path):
    # A gold file of this test's own for one seed, giving it a funder although the page never
    # says fund, grant, finance or support: a rules-only eval reads from the page itself that it
    # states no funder, so the gold value is counted as lost at the gate and the report says so.
    [gold] = [json.loads(p.read_text(encoding="utf-8")) for p in evaluation.GOLD_DIR.glob(f"{SEED}.json")]
    gold["labels"]["funders"] = ["Zenthor Foundation"]
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / f"{SEED}.json").write_text(json.dumps(gold), encoding="utf-8")
    run = evaluation.run_eval(tmp_path / "no-corpus", db_path=str(tmp_path / "eval.duckdb"), llm=None,
                              endpoint_label="none", gold_dir=gold_dir)
    [document] = run.documents
    assert "funders" in document.unstated and "public_title" not in document.unstated  # titles: always statable
    assert report.unasked_rows(run) == [["funders", "1 / 1", ""]]
    markdown = report.write_report(run, tmp_path / "report").markdown.read_text(encoding="utf-8")
    assert "## Gold values never asked" in markdown
    assert "| funders | 1 / 1 |  |" in markdown

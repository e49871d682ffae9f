"""`trialsift eval`: the gold set, stored eval runs, comparisons and reports.

Runs use --no-llm (rules and registry logic only) or the scripted
OpenAI-compatible server, so they are fast and deterministic. Expected numbers
come from the gold files and from what the scripted responders were told to
answer, never from the code under test.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from trialsift.pipeline import evaluation, report
from trialsift.pipeline.cli import app
from trialsift.pipeline.evaluation import FieldDelta
from trialsift.pipeline.extraction import ExtractionConfig
from trialsift.pipeline.llm import Endpoint, LLMClient
from trialsift.schemas.trial import CONTRACT_KEYS, TrialRecord
from tests.scripted_llm import ScriptedLLM

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEEDS = ["seeds/*"]
SUMMARY_FIELDS = {"_micro", "_macro"}
COUNT_COLUMNS = ("tp", "fp", "fn", "hallucinations", "gold_empty")


def gold_files() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(evaluation.GOLD_DIR.glob("*.json"))]


def seed_gold() -> list[dict]:
    return [gold for gold in gold_files() if gold["source"].startswith("seeds/")]


def collected_gold() -> list[dict]:
    return [gold for gold in gold_files() if gold["source"].startswith(evaluation.COLLECTED_PREFIX)]


def split_counts(golds: list[dict]) -> str:
    """'110 dev, 55 validation': the eval's own wording, counted from the gold files' URLs."""
    from trialsift.pipeline.eval_split import SPLITS, site_of, split_of

    return ", ".join(f"{sum(split_of(site_of(g['url'])) == name for g in golds)} {name}" for name in SPLITS)


def query(db: Path, sql: str, params: list = ()) -> list[dict]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cursor = conn.execute(sql, list(params))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        conn.close()


def invoke(*args: str):
    result = CliRunner().invoke(app, ["eval", *args])
    assert result.exit_code == 0, result.output
    return result


def field_scores(db: Path, eval_id: str) -> list[dict]:
    return query(db, "SELECT * EXCLUDE (eval_id) FROM eval_field_scores WHERE eval_id = ? ORDER BY kind, field", [eval_id])


# --------------------------------------------------------------------------- (a) the real corpus, no LLM


def test_eval_without_llm_over_the_corpus_stores_scores_that_add_up(corpus_root, tmp_path):
    db = tmp_path / "eval.duckdb"
    first = invoke("--no-llm", "--corpus", str(corpus_root), "--db", str(db))
    gold = gold_files()
    assert (f"scored {len(gold)} documents ({split_counts(gold)}) from {corpus_root} and eval/pages/"
            in " ".join(first.output.split()))

    [run] = query(db, "SELECT * FROM eval_runs")
    assert run["documents"] == len(gold) and run["model"] == "none"
    all_rows = query(db, "SELECT * FROM eval_field_scores WHERE eval_id = ?", [run["eval_id"]])
    rows = [r for r in all_rows if r["split"] == "all"]
    overall = {r["field"]: r for r in rows if r["kind"] == "all"}
    assert set(overall) == set(CONTRACT_KEYS) | SUMMARY_FIELDS

    # micro counts are the sums of the field counts, and the stored micro scores follow from them
    fields = [overall[name] for name in CONTRACT_KEYS]
    for column in COUNT_COLUMNS:
        assert overall["_micro"][column] == sum(r[column] for r in fields), column
    tp, fp, fn = (overall["_micro"][c] for c in ("tp", "fp", "fn"))
    assert run["micro_precision"] == pytest.approx(tp / (tp + fp))
    assert run["micro_recall"] == pytest.approx(tp / (tp + fn))
    assert run["micro_f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    defined_f1 = [r["f1"] for r in fields if r["tp"] + r["fp"] + r["fn"] > 0]
    assert run["macro_f1"] == pytest.approx(sum(defined_f1) / len(defined_f1))

    # per-kind rows partition the documents and the counts
    kinds = {g["kind"] for g in gold}
    for name in CONTRACT_KEYS:
        per_kind = [r for r in rows if r["field"] == name and r["kind"] != "all"]
        assert {r["kind"] for r in per_kind} == kinds
        for column in COUNT_COLUMNS:
            assert sum(r[column] for r in per_kind) == overall[name][column]
    for kind in kinds:
        [micro] = [r for r in rows if r["kind"] == kind and r["field"] == "_micro"]
        assert micro["documents"] == sum(g["kind"] == kind for g in gold)

    # the dev and validation rows partition the documents and the counts, and carry intervals
    for name in CONTRACT_KEYS:
        per_split = [r for r in all_rows if r["field"] == name and r["kind"] == "all" and r["split"] != "all"]
        assert {r["split"] for r in per_split} == {"dev", "validation"}
        for column in COUNT_COLUMNS:
            assert sum(r[column] for r in per_split) == overall[name][column]
    for r in all_rows:
        if r["kind"] == "all" and r["f1"] is not None and r["field"] != "_macro":
            assert r["f1_low"] <= r["f1"] + 1e-9 and r["f1"] - 1e-9 <= r["f1_high"], r

    # per-document results add up to the field counts, one row per document and field
    documents = query(db, "SELECT field, sum(tp) tp, sum(fp) fp, sum(fn) fn, count(*) n FROM eval_document_results "
                          "WHERE eval_id = ? GROUP BY field", [run["eval_id"]])
    for row in documents:
        assert row["n"] == len(gold)
        assert (row["tp"], row["fp"], row["fn"]) == tuple(overall[row["field"]][c] for c in ("tp", "fp", "fn"))

    # a rerun is answered from the stored extractions: same scores, nothing extracted again
    invoke("--no-llm", "--corpus", str(corpus_root), "--db", str(db))
    second, first_again = query(db, "SELECT eval_id, run_id FROM eval_runs ORDER BY created_at DESC")
    assert field_scores(db, second["eval_id"]) == field_scores(db, first_again["eval_id"])
    [rerun] = query(db, "SELECT documents, llm_calls FROM runs WHERE run_id = ?", [second["run_id"]])
    assert rerun == {"documents": len(gold), "llm_calls": 0}


# --------------------------------------------------------------------------- (b) a scripted LLM


def asked_fields(request: dict) -> list[str]:
    return list(request["response_format"]["json_schema"]["schema"]["properties"])


def wrong_country(request: dict) -> dict:
    """Answers countries with the country of an address the page gives ("University Hospital,
    Strasbourg, France": where the sponsor is, not where the page says the trial runs); nothing
    else. Grounding accepts it: the page names the country on a line of its own."""
    if "countries" not in asked_fields(request) or not re.search(r"\bFrance\b", request["messages"][-1]["content"]):
        return {}
    return {"countries": ["FR"]}


def abstaining(request: dict) -> dict:
    return {}  # the prompt's own advice: an empty field is better than a wrong one


def client(server: ScriptedLLM, model: str) -> LLMClient:
    return LLMClient(Endpoint(server.base_url, "test-key", model, "json_schema", "scripted"), backoff_base_s=0.01)


def test_a_wrong_field_is_scored_as_such_and_compare_flags_the_change(tmp_path):
    db, no_corpus = str(tmp_path / "eval.duckdb"), tmp_path / "no-corpus"
    rules_only = evaluation.run_eval(no_corpus, db_path=db, llm=None, endpoint_label="none", only=SEEDS)
    with ScriptedLLM(responder=wrong_country) as server:
        wrong = evaluation.run_eval(no_corpus, db_path=db, llm=client(server, "wrong"), endpoint_label="scripted",
                                    concurrency=2, only=SEEDS)
        requests = len(server.chat_requests)
        again = evaluation.run_eval(no_corpus, db_path=db, llm=client(server, "wrong"), endpoint_label="scripted",
                                    concurrency=2, only=SEEDS)
        assert len(server.chat_requests) == requests > 0  # the rerun made no LLM call
    assert again.scorecard.to_rows() == wrong.scorecard.to_rows()

    countries = wrong.scorecard.per_field["countries"]
    assert countries.fp >= 1 and countries.hallucinations >= 1
    invented = query(Path(db), "SELECT * FROM eval_document_results WHERE eval_id = ? AND field = 'countries' "
                               "AND hallucinated", [wrong.eval_id])
    assert invented and all(json.loads(r["gold"]) == [] and r["fp"] == 1 for r in invented)
    for row in invented:  # the invented country is one the document names, so grounding let it through
        text = (evaluation.SAMPLES_DIR / Path(row["source"]).name).read_text(encoding="utf-8")
        assert json.loads(row["predicted"]) == ["FR"] and re.search(r"\bFrance\b", text)

    # against rules only, the wrong answers changed one field, for the worse
    worse = evaluation.compare(db, rules_only.eval_id, wrong.eval_id)
    assert {d.field for d in worse.regressions} - SUMMARY_FIELDS == {"countries"}

    with ScriptedLLM(responder=abstaining) as server:
        better = evaluation.run_eval(no_corpus, db_path=db, llm=client(server, "abstaining"),
                                     endpoint_label="scripted", concurrency=2, only=SEEDS)
    assert better.scorecard.per_field["countries"].hallucinations == 0

    forward = evaluation.compare(db, wrong.eval_id, better.eval_id)
    assert {d.field for d in forward.improvements} - SUMMARY_FIELDS == {"countries"}
    assert forward.regressions == [] and forward.warnings == []
    backward = evaluation.compare(db, better.eval_id, wrong.eval_id)
    [regressed] = [d for d in backward.regressions if d.field not in SUMMARY_FIELDS]
    assert regressed.field == "countries" and regressed.delta("hallucination_rate") > 0
    assert evaluation.compare(db, "previous", "latest").b["eval_id"] == better.eval_id
    previous_to_latest = evaluation.compare(db, "previous", "latest")
    assert (previous_to_latest.a["eval_id"], previous_to_latest.b["eval_id"]) == (again.eval_id, better.eval_id)


@pytest.mark.parametrize(
    "before, after, regression, improvement",
    [
        ({"f1": 0.80, "hallucination_rate": 0.1}, {"f1": 0.77, "hallucination_rate": 0.1}, True, False),
        ({"f1": 0.80, "hallucination_rate": 0.1}, {"f1": 0.79, "hallucination_rate": 0.1}, False, False),
        ({"f1": 0.80, "hallucination_rate": 0.1}, {"f1": 0.90, "hallucination_rate": 0.1}, False, True),
        ({"f1": 0.80, "hallucination_rate": 0.0}, {"f1": 0.90, "hallucination_rate": 0.01}, True, False),
        ({"f1": 0.80, "hallucination_rate": 0.2}, {"f1": 0.80, "hallucination_rate": 0.1}, False, True),
        ({"f1": None, "hallucination_rate": None}, {"f1": 0.5, "hallucination_rate": None}, False, False),
    ],
)
def test_regression_means_an_f1_drop_over_two_points_or_any_new_hallucination(before, after, regression, improvement):
    pad = {"precision": None, "recall": None}
    delta = FieldDelta("sex", {**pad, **before}, {**pad, **after})
    assert (delta.regression, delta.improvement) == (regression, improvement)


def test_compare_refuses_unknown_runs(tmp_path):
    with pytest.raises(evaluation.EvalError, match="no evaluation database"):
        evaluation.compare(str(tmp_path / "none.duckdb"), "latest", "previous")


# --------------------------------------------------------------------------- (c) report files, (d) no corpus


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory) -> evaluation.EvalRun:
    folder = tmp_path_factory.mktemp("seeds-eval")
    return evaluation.run_eval(folder / "no-corpus", db_path=str(folder / "eval.duckdb"), llm=None, endpoint_label="none",
                               only=["seeds/*"])


def test_report_writes_markdown_and_a_png_chart(seeds_run, tmp_path):
    pytest.importorskip("matplotlib")
    files = report.write_report(seeds_run, tmp_path / "report")
    markdown = files.markdown.read_text(encoding="utf-8")
    assert files.markdown.name == "eval-report.md" and files.note is None
    assert f"![Per-field F1]({files.chart.name})" in markdown
    for name in CONTRACT_KEYS:
        assert f"| {name} |" in markdown
    assert all(f"| {kind} |" in markdown for kind in {g["kind"] for g in seed_gold()})

    png = files.chart.read_bytes()
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 0 and height > 0
    from matplotlib.image import imread

    assert imread(files.chart).shape[:2] == (height, width)


def test_report_without_matplotlib_still_writes_the_markdown(seeds_run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` raise ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    files = report.write_report(seeds_run, tmp_path / "report")
    assert files.chart is None and not (tmp_path / "report" / report.CHART_NAME).exists()
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "matplotlib is not installed" in markdown and "| target_enrollment |" in markdown


def test_collection_of_pages_names_the_manifest_or_fragment_listing_each_page(tmp_path):
    header = "file\turl\tretrieved\tkind\ttrial_id\tsite\tlanguage\n"
    (tmp_path / "manifest.d").mkdir()
    (tmp_path / "manifest.tsv").write_text(header + "a.txt\thttp://a.org/\t2026-01-01\tnews\t\ta.org\ten\n")
    (tmp_path / "manifest.d" / "s9-batch.tsv").write_text(
        header + "b.txt\thttp://b.org/\t2026-01-02\tnews\t\tb.org\ten\nc.txt\thttp://c.org/\t2026-01-02\tnews\t\tc.org\ten\n")
    assert evaluation.collection_of_pages(tmp_path) == {"a.txt": "manifest", "b.txt": "s9-batch", "c.txt": "s9-batch"}
    assert evaluation.collection_of_pages(tmp_path / "nowhere") == {}


def test_report_scores_each_collection_batch_apart(tmp_path):
    # one collected page from the first manifest and one from a later batch's fragment, and the seeds
    first = {}
    for page, collection in evaluation.collection_of_pages().items():
        first.setdefault(collection, page)
    later = sorted(name for name in first if name != "manifest")[-1]
    picked = [first["manifest"], first[later]]
    run = evaluation.run_eval(tmp_path / "no-corpus", db_path=str(tmp_path / "eval.duckdb"), llm=None,
                              endpoint_label="none", only=["seeds/*", *(f"eval/pages/{page}" for page in picked)])
    rows = {row[0]: row for row in report.collection_rows(run)}
    assert set(rows) == {"seeds", "manifest", later}
    assert rows["seeds"][1].startswith("5 (") and rows["manifest"][1].startswith("1 (") and rows[later][1].startswith("1 (")
    scored = {d.gold.collection: d for d in run.documents}
    counts = evaluation.collection_scores(run.documents)
    assert sum(c.dev + c.validation for c in counts) == len(run.documents)
    assert scored[later].gold.source == f"eval/pages/{first[later]}"
    markdown = report.write_report(run, tmp_path / "report").markdown.read_text(encoding="utf-8")
    assert "## Per collection" in markdown and f"| {later} | 1 (" in markdown


def test_without_a_corpus_only_the_seeds_and_collected_pages_are_scored_and_the_run_says_so(tmp_path):
    db, missing = tmp_path / "eval.duckdb", tmp_path / "no-corpus"
    result = invoke("--no-llm", "--corpus", str(missing), "--db", str(db), "--report", str(tmp_path / "report"))
    scored = seed_gold() + collected_gold()
    message = (f"corpus not found at {missing}: scoring the {len(scored)} documents ({split_counts(scored)}) "
               "of eval/pages/ and the bundled seeds only")
    assert message in " ".join(result.output.split())
    [run] = query(db, "SELECT * FROM eval_runs")
    assert run["documents"] == len(scored) and run["corpus"] == str(evaluation.SAMPLES_DIR)
    assert message in run["notes"]
    sources = {r["source"] for r in query(db, "SELECT DISTINCT source FROM eval_document_results")}
    assert sources == {g["source"] for g in scored}
    assert message in (tmp_path / "report" / "eval-report.md").read_text(encoding="utf-8")


def test_a_document_that_differs_from_its_gold_file_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(evaluation.SAMPLES_DIR, corpus / "seeds")
    changed = sorted((corpus / "seeds").iterdir())[0]
    changed.write_bytes(changed.read_bytes() + b"\n")
    with pytest.raises(evaluation.EvalError) as refused:
        evaluation.gold_documents(corpus)
    message = str(refused.value)
    assert f"seeds/{changed.name}: sha256 is" in message
    assert "noisy/" in message and "missing" in message  # this corpus lacks noisy/ altogether


def test_single_shot_baseline_is_stored_beside_the_pipeline_and_compared(tmp_path):
    """The baseline sends each whole raw document with every contract key in one call; its
    extractions carry their own prompt version, so both runs live in one database."""
    db, no_corpus = str(tmp_path / "eval.duckdb"), tmp_path / "no-corpus"
    with ScriptedLLM(responder=abstaining) as server:
        pipeline_run = evaluation.run_eval(no_corpus, db_path=db, llm=client(server, "m"), endpoint_label="s",
                                           only=["seeds/002_*"])
        pipeline_requests = list(server.chat_requests)
        baseline = evaluation.run_eval(no_corpus, db_path=db, llm=client(server, "m"), endpoint_label="s",
                                       only=["seeds/002_*"], config=ExtractionConfig(strategy="single-shot"))
        baseline_requests = server.chat_requests[len(pipeline_requests):]
    assert len(pipeline_run.documents) == len(baseline.documents) == 1
    raw = (evaluation.SAMPLES_DIR / "002_62fd2beb726bde5a.txt").read_text(encoding="utf-8")
    [request] = baseline_requests
    assert asked_fields(request.body) == list(TrialRecord.model_fields)
    assert raw in request.messages[-1]["content"]
    assert all(len(asked_fields(r.body)) < len(TrialRecord.model_fields) for r in pipeline_requests)
    assert baseline.prompt_version == pipeline_run.prompt_version + "-single-shot"
    assert baseline.extraction.skipped == 0, "the pipeline's extraction is not mistaken for the baseline's"
    # the whole raw page in one request; the pipeline's first ask reads the cleaned sections (a model
    # that names no one is then asked for contacts alone: that second request is small too)
    first_ask = pipeline_requests[0].messages[-1]["content"]
    assert len(request.messages[-1]["content"]) > len(first_ask) > max(
        len(r.messages[-1]["content"]) for r in pipeline_requests[1:])
    assert baseline.extraction.prompt_tokens > pipeline_run.extraction.prompt_tokens / len(pipeline_requests)
    comparison = evaluation.compare(db, pipeline_run.eval_id, baseline.eval_id)
    assert comparison.a["eval_id"] == pipeline_run.eval_id and comparison.b["prompt_version"].endswith("-single-shot")


def test_eval_with_another_prompt_folder_asks_with_it_and_stores_its_version(tmp_path):
    """`trialsift eval --prompts DIR`: a prompt experiment is a first-class run, asked with the
    folder's prompts and stored under its version; a folder without the prompt files is refused."""
    from trialsift.pipeline import prompting

    folder = tmp_path / "prompts"
    shutil.copytree(prompting.PROMPTS_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    system = folder / "system.md"
    system.write_text(system.read_text(encoding="utf-8") + "\nMARKER-OF-AN-EXPERIMENT\n", encoding="utf-8")
    db = tmp_path / "eval.duckdb"
    with ScriptedLLM(responder=abstaining) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key"}
        result = CliRunner().invoke(app, ["eval", "--model", "scripted", "--prompts", str(folder), "--only", "seeds/*",
                                          "--corpus", str(tmp_path / "no-corpus"), "--db", str(db)], env=env)
        assert result.exit_code == 0, result.output
        assert server.chat_requests
        assert all("MARKER-OF-AN-EXPERIMENT" in r.messages[0]["content"] for r in server.chat_requests)
    assert query(db, "SELECT prompt_version FROM eval_runs") == [
        {"prompt_version": prompting.load_prompts(folder).version}]

    (folder / "fields.md").unlink()
    refused = CliRunner().invoke(app, ["eval", "--no-llm", "--prompts", str(folder), "--db", str(db)])
    assert refused.exit_code == 2 and "lacks fields.md" in " ".join(refused.output.split())


def test_only_refuses_a_glob_that_matches_nothing(tmp_path):
    with pytest.raises(evaluation.EvalError, match="no gold document matches"):
        evaluation.gold_documents(tmp_path / "no-corpus", only=["nothing/*"])


def _saved_run(db: str, documents: list[evaluation.DocumentScore]) -> str:
    """An eval run over hand-made documents, stored as run_eval stores one."""
    from datetime import datetime
    from trialsift.pipeline import store
    from trialsift.pipeline.runner import RunSummary

    splits = evaluation.split_scores(documents)
    run = evaluation.EvalRun(
        eval_id=f"run{len(query_or_empty(db))}", created_at=datetime(2026, 12, 3, 9, len(query_or_empty(db))),
        db_path=db, model="m", endpoint="s", prompt_version="p", schema_version="1", git_commit="c",
        corpus="c", corpus_note="hand-made", scorecard=splits["all"].scorecard, documents=documents,
        extraction=RunSummary(run_id="r", db_path=db, model="m", endpoint="s", prompt_version="p"),
        splits=splits)
    conn = store.connect(db)
    try:
        evaluation.save_eval(conn, run)
    finally:
        conn.close()
    return run.eval_id


def query_or_empty(db: str) -> list:
    return query(Path(db), "SELECT eval_id FROM eval_runs") if Path(db).exists() else []


def test_compare_flags_a_regression_that_only_one_split_shows(tmp_path):
    """A field that goes wrong on validation pages only: the dev rows stay, the validation rows
    flag it, whatever the overall row says."""
    db = str(tmp_path / "eval.duckdb")
    gold = TrialRecord(sex="FEMALE", phases=["PHASE2"]).model_dump(mode="json")

    def documents(validation_sex: str) -> list[evaluation.DocumentScore]:
        made = []
        for index in range(8):
            split = "validation" if index % 2 else "dev"
            predicted = dict(gold, sex=validation_sex if split == "validation" else "FEMALE")
            doc = evaluation.GoldDoc(source=f"x/{index}.txt", path=Path(f"{index}.txt"), kind="aggregator",
                                     labels=gold, sha256=str(index), site=f"site{index % 4}", split=split)
            made.append(evaluation.DocumentScore(gold=doc, predicted=predicted, status="ok"))
        return made

    before = _saved_run(db, documents("FEMALE"))
    after = _saved_run(db, documents("MALE"))
    comparison = evaluation.compare(db, before, after)
    flagged = {(d.split, d.field) for d in comparison.regressions}
    assert ("validation", "sex") in flagged and ("all", "sex") in flagged
    assert ("dev", "sex") not in flagged
    assert not any(d.field == "phases" for d in comparison.regressions)
    [run] = [r for r in query(Path(db), "SELECT * FROM eval_field_scores WHERE eval_id = ? AND field = '_micro' "
                                        "AND kind = 'all' AND split = 'validation'", [after])]
    assert run["documents"] == 4 and run["f1_low"] <= run["f1"] <= run["f1_high"]

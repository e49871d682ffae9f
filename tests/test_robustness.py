"""Hostile input, endpoints and operators (issue 20): each fault found by probing, reproduced
with real files, a real DuckDB and, where a model is involved, a misbehaving scripted server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from pipeline.runner import run_extraction
from tests.scripted_llm import ScriptedLLM
from tests.test_store_cli import cli
from tests.test_extraction_loop import answer_from, client_for, write_documents


def statuses(db: Path) -> dict[str, str]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {Path(path).name: status for path, status in
                conn.execute("SELECT path, status FROM documents").fetchall()}
    finally:
        conn.close()


def test_an_ingestion_fault_fails_its_document_not_the_run(tmp_path, monkeypatch):
    # As when a fresh install lacked lxml_html_clean: importing the HTML extractor raises.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.html").write_text("<html><body><p>Study Phase: Phase 3</p></body></html>", encoding="utf-8")
    (folder / "b.txt").write_text("Trial of Drug Z\nStudy Phase: Phase 2\nRegistration: NCT01234567\n")
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # `import trafilatura` raises ImportError
    summary = run_extraction([str(folder)], db_path=str(tmp_path / "t.duckdb"), llm=None, endpoint_label="none")
    assert summary.documents == 2 and summary.ok == 1 and summary.failed == 1
    reason = dict((Path(p).name, r) for p, r in summary.failures)["a.html"]
    assert reason.startswith("cannot ingest: ModuleNotFoundError")
    assert statuses(tmp_path / "t.duckdb") == {"a.html": "failed", "b.txt": "ok"}


def test_a_file_name_that_is_not_utf8_is_stored_and_nothing_is_paid_twice(tmp_path):
    folder = write_documents(tmp_path / "in", 2)
    odd = Path(os.fsdecode(bytes(folder) + b"/odd\xff.txt"))  # not valid UTF-8, as on many Linux disks
    (folder / "doc001.txt").rename(odd)
    db = tmp_path / "t.duckdb"
    with ScriptedLLM(responder=answer_from({"public_title": "Trial of Compound 1 in Condition 1"})) as server:
        first = run_extraction([str(folder)], db_path=str(db), llm=client_for(server), endpoint_label="scripted")
        again = run_extraction([str(folder)], db_path=str(db), llm=client_for(server), endpoint_label="scripted")
    assert first.failed == 0 and first.ok == 2 and first.llm_calls > 0
    assert again.skipped == 2 and again.llm_calls == 0, "the answers were saved, so nothing is asked again"
    assert set(statuses(db)) == {"doc000.txt", "odd\\xff.txt"}


def test_an_invalid_option_value_is_a_usage_error_that_touches_nothing(tmp_path, samples_dir):
    assert cli("extract", str(samples_dir), "--no-llm", "--db", "t.duckdb", cwd=tmp_path).returncode == 0
    before = statuses(tmp_path / "t.duckdb")
    for option in (["--kind", "foo"], ["--precedence", "registry,blog"]):
        result = cli("extract", str(samples_dir), "--no-llm", "--db", "t.duckdb", *option, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert option[0] in result.stderr
    assert statuses(tmp_path / "t.duckdb") == before == {name: "ok" for name in before}
    assert cli("export", "--format", "xlsx", "--db", "t.duckdb", cwd=tmp_path).returncode == 2

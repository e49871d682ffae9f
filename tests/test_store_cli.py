"""The DuckDB store and the CLI around it: round trip, read-only SQL, export, migrations."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import duckdb
import pytest
from rich.console import Console

from trialsift.pipeline import cli as cli_module
from trialsift.pipeline import store
from trialsift.pipeline.runner import run_extraction
from trialsift.schemas.trial import CONTRACT_KEYS
from tests.scripted_llm import HttpError, ScriptedLLM
from tests.test_extraction_loop import SEED_002

TRIALSIFT = str(Path(sys.executable).with_name("trialsift"))


def cli(*args: str, cwd: Path, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}  # wide enough that tables are not abbreviated
    return subprocess.run([TRIALSIFT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory, samples_dir) -> Path:
    """The five samples, rules and registry logic only (no model): a real store in seconds."""
    folder = tmp_path_factory.mktemp("store")
    run_extraction([str(samples_dir)], db_path=str(folder / "t.duckdb"), llm=None, endpoint_label="none")
    return folder / "t.duckdb"


def test_round_trip_and_one_trial_per_study(samples_db):
    conn = duckdb.connect(str(samples_db), read_only=True)
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (5,)
    assert conn.execute("SELECT count(*) FROM extractions").fetchone() == (5,)
    # Seeds 000 (press item) and 001 (UMIN page) are one trial.
    sources = conn.execute("SELECT count(*) FROM trial_sources WHERE trial_id = 'UMIN000060367'").fetchone()
    assert sources == (2,)
    assert conn.execute("SELECT count(*) FROM trials").fetchone() == (4,)
    record = json.loads(conn.execute("SELECT record FROM trials WHERE trial_id = 'UMIN000060367'").fetchone()[0])
    assert list(record) == list(CONTRACT_KEYS)
    assert record["target_enrollment"] == 60 and record["sex"] == "ALL"
    conn.close()


def test_every_stored_value_has_evidence_in_its_document(samples_db):
    conn = duckdb.connect(str(samples_db), read_only=True)
    total, grounded = conn.execute(
        """SELECT count(*), count(*) FILTER (strpos(d.text, e.quote) > 0 AND substr(d.text, e.start_offset + 1,
                  e.end_offset - e.start_offset) = e.quote)
           FROM evidence e JOIN documents d USING (document_id)"""
    ).fetchone()
    assert total > 20 and grounded == total
    # and every non-empty field of every extraction has at least one evidence row
    rows = conn.execute("SELECT document_id, record FROM extractions").fetchall()
    fields_with_evidence = set(conn.execute("SELECT DISTINCT document_id, field FROM evidence").fetchall())
    for doc_id, record in rows:
        for name, value in json.loads(record).items():
            if value not in (None, [], ""):
                assert (doc_id, name) in fields_with_evidence, name
    conn.close()


def test_sql_answers_and_formats(samples_db):
    result = cli("sql", "SELECT trial_id, source_count FROM trials_flat ORDER BY trial_id", "--db", str(samples_db),
                 "--format", "json", cwd=samples_db.parent)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"trial_id": "UMIN000060367", "source_count": 2} in rows
    csv_out = cli("sql", "SELECT trial_id FROM trials ORDER BY 1", "--db", str(samples_db), "--format", "csv",
                  cwd=samples_db.parent)
    assert csv_out.stdout.splitlines()[0] == "trial_id"


@pytest.mark.parametrize("statement", [
    "DROP TABLE trials",
    "DELETE FROM trials",
    "INSERT INTO trials (trial_id) VALUES ('x')",
    "ATTACH 'other.duckdb' AS other",
    "COPY trials TO 'out.csv'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT 1; DROP TABLE trials",
    "CREATE TABLE x AS SELECT 1",
    # what probing tried (issue 20): other writes, settings, files by other functions, wrapped statements
    "UPDATE trials SET acronym = 'x'",
    "/* a comment first */ DROP TABLE trials",
    "SELECT 1 -- a comment\n; DROP TABLE trials",
    "SELECT $$ ; $$; DROP TABLE trials",
    "DETACH t",
    "EXPORT DATABASE 'out'",
    "CHECKPOINT",
    "VACUUM",
    "BEGIN TRANSACTION",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "USE memory",
    "CREATE MACRO m() AS 1",
    "EXPLAIN ANALYZE COPY trials TO 'out.csv'",
    "EXPLAIN DELETE FROM trials",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM read_json_auto('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM 'https://example.org/x.csv'",
    "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
    "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x",
    "SELECT (SELECT count(*) FROM read_text('/etc/passwd')) FROM trials",
])
def test_sql_refuses_anything_but_reading(samples_db, statement):
    result = cli("sql", statement, "--db", str(samples_db), cwd=samples_db.parent)
    assert result.returncode == 2
    assert "refused" in result.stderr
    conn = duckdb.connect(str(samples_db), read_only=True)
    assert conn.execute("SELECT count(*) FROM trials").fetchone() == (4,)
    conn.close()


def test_export_per_document_uses_exactly_the_contract_keys(samples_db, tmp_path):
    result = cli("export", "--per-document", "--format", "jsonl", "--db", str(samples_db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    for record in records:
        assert list(record) == ["document_id", "path", *CONTRACT_KEYS]
    trials = cli("export", "--format", "jsonl", "--db", str(samples_db), cwd=tmp_path)
    assert [list(json.loads(line)) for line in trials.stdout.splitlines()][0] == ["trial_id", *CONTRACT_KEYS]
    parquet = cli("export", "--format", "parquet", "-o", str(tmp_path / "t.parquet"), "--db", str(samples_db), cwd=tmp_path)
    assert parquet.returncode == 0, parquet.stderr
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 't.parquet'}'").fetchone() == (4,)


def test_extract_exits_0_only_when_every_document_was_extracted_whole(tmp_path, samples_dir):
    whole = cli("extract", str(samples_dir), "--no-llm", "--db", "whole.duckdb", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr

    (tmp_path / "empty.txt").write_text("")
    mixed = cli("extract", str(samples_dir), "empty.txt", "--no-llm", "--db", "mixed.duckdb", cwd=tmp_path)
    assert mixed.returncode == 3, mixed.stderr
    assert "1 failed and 0 partial of 6 documents" in mixed.stderr
    conn = duckdb.connect(str(tmp_path / "mixed.duckdb"), read_only=True)
    statuses = sorted(conn.execute("SELECT status FROM documents").fetchall())
    conn.close()
    assert statuses == [("failed",)] + [("ok",)] * 5, "the batch went on, and the failure is stored"


def test_extract_exits_3_when_the_model_fails_and_documents_are_partial(tmp_path, samples_dir):
    with ScriptedLLM(responder=lambda request: HttpError(400, "this endpoint refuses everything")) as server:
        result = cli("extract", str(samples_dir / SEED_002), "--model", "scripted",
                     "--db", "t.duckdb", cwd=tmp_path,
                     env={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key"})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "0 failed and 1 partial of 1 documents" in result.stderr
    assert "running the same command again retries just those" in " ".join(result.stderr.split())


def test_extract_with_another_prompt_folder_asks_with_it(tmp_path, samples_dir):
    """`trialsift extract --prompts DIR` asks with that folder's prompts and versions the run by them."""
    import shutil
    from trialsift.pipeline import prompting

    folder = tmp_path / "prompts"
    shutil.copytree(prompting.PROMPTS_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "system.md").write_text((folder / "system.md").read_text(encoding="utf-8") + "\nMARKER-OF-A-FOLDER\n",
                                      encoding="utf-8")
    with ScriptedLLM(responder=lambda request: {}) as server:
        result = cli("extract", str(samples_dir / SEED_002), "--model", "scripted", "--prompts", str(folder),
                     "--db", "t.duckdb", cwd=tmp_path,
                     env={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert server.chat_requests
        assert all("MARKER-OF-A-FOLDER" in r.messages[0]["content"] for r in server.chat_requests)
    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    versions = conn.execute("SELECT DISTINCT prompt_version FROM runs").fetchall()
    conn.close()
    assert versions == [(prompting.load_prompts(folder).version,)]


def test_show_finds_a_trial_by_any_of_its_ids(samples_db):
    result = cli("show", "UMIN000060367", "--db", str(samples_db), cwd=samples_db.parent)
    assert result.returncode == 0, result.stderr
    assert "2 source document(s)" in result.stdout and "registry id UMIN000060367" in result.stdout
    assert cli("show", "NCT99999999", "--db", str(samples_db), cwd=samples_db.parent).returncode == 1


def test_migrations_run_once_and_move_forward(tmp_path):
    db = tmp_path / "m.duckdb"
    conn = store.connect(db)
    version = store.schema_version(conn)
    assert version == len(store.MIGRATIONS)
    conn.close()
    conn = store.connect(db)  # reopening applies nothing twice
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (version,)
    conn.close()
    # A database at version 1 is migrated forward without losing its rows.
    old = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(old))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    conn.execute(store.MIGRATIONS[0])
    conn.execute("INSERT INTO schema_migrations VALUES (1, now())")
    conn.execute("INSERT INTO trials (trial_id) VALUES ('KEEP-ME')")
    conn.close()
    conn = store.connect(old)
    assert store.schema_version(conn) == len(store.MIGRATIONS)
    assert conn.execute("SELECT trial_id FROM trials").fetchall() == [("KEEP-ME",)]
    conn.close()


def test_runs_summarizes_each_run(samples_db):
    result = cli("runs", "--db", str(samples_db), cwd=samples_db.parent)
    assert result.returncode == 0, result.stderr
    assert "5/0/0/0" in result.stdout  # five documents ok, none partial, failed or skipped


def test_the_progress_bar_says_how_long_is_left_once_documents_are_done(monkeypatch):
    """A document takes a second on a hosted model and minutes on a slow CPU: the bar estimates the rest."""
    screen = Console(record=True, force_terminal=True, width=120)
    monkeypatch.setattr(cli_module, "console", screen)
    with cli_module._progress("extracting") as hooks:
        hooks["on_total"](4)
        for _ in range(2):
            time.sleep(0.3)
            hooks["on_progress"]("a.txt", "ok")
    last_frame = screen.export_text().strip().splitlines()[-1]
    assert "2/4" in last_frame
    assert re.search(r"left \d+:\d\d:\d\d", last_frame), last_frame

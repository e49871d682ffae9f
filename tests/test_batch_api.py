"""OpenAI Batch API mode against a loopback server implementing /v1/files and /v1/batches.

A batch run must store what a live run stores, make no live chat calls when every line is
answered, ask live only for what the batch could not answer, cost half in the ledger, and,
killed while the batch is in flight, resume by polling the same batch (never submitting twice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from trialsift.pipeline.runner import run_extraction
from tests.scripted_llm import ScriptedLLM
from tests.test_extraction_loop import asked_keys, client_for
from tests.test_resume import truthful
from tests.test_extraction_loop import write_documents

TRIALSIFT = str(Path(sys.executable).with_name("trialsift"))
PRICES = {"scripted-model": {"prompt": 1.0, "completion": 4.0}}


def _records(db: Path) -> list[tuple]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute("SELECT document_id, status, record FROM extractions ORDER BY 1").fetchall()
    finally:
        conn.close()


def _paths(server: ScriptedLLM, method: str, prefix: str) -> list[str]:
    return [r.path for r in server.requests if r.method == method and r.path.startswith(prefix)]


def test_batch_run_stores_what_a_live_run_stores_with_no_live_calls_at_half_the_cost(tmp_path):
    docs = write_documents(tmp_path / "docs", 6, first_id=20000000)
    with ScriptedLLM(responder=truthful) as server:
        live = run_extraction([str(docs)], db_path=str(tmp_path / "live.duckdb"), llm=client_for(server),
                              endpoint_label="scripted", prices=PRICES)
        chat_before = len(server.chat_requests)
        batched = run_extraction([str(docs)], db_path=str(tmp_path / "batch.duckdb"), llm=client_for(server),
                                 endpoint_label="scripted", prices=PRICES, use_batch_api=True, batch_poll_s=0.01)
        assert len(server.chat_requests) == chat_before, "every request was answered by the batch"
        assert _paths(server, "POST", "/v1/files") == ["/v1/files"]
        assert _paths(server, "POST", "/v1/batches") == ["/v1/batches"]
        upload = next(r for r in server.requests if r.path == "/v1/files")
        assert upload.headers["authorization"] == "Bearer test-key-123456"

    assert batched.ok == live.ok == 6 and batched.failed == 0
    assert len(batched.batch_ids) == 1 and batched.batch_calls == live.llm_calls == 6
    assert batched.cached_calls == 6  # the extraction read every answer the batch put in the cache
    assert _records(tmp_path / "batch.duckdb") == _records(tmp_path / "live.duckdb")
    assert batched.prompt_tokens == live.prompt_tokens
    assert abs(batched.cost_usd - live.cost_usd / 2) < 1e-12 and live.cost_usd > 0

    conn = duckdb.connect(str(tmp_path / "batch.duckdb"), read_only=True)
    assert conn.execute("SELECT api, outcome, count(*) FROM llm_calls GROUP BY ALL").fetchall() == [("batch", "ok", 6)]
    assert conn.execute("SELECT status, requests, ingested FROM batch_jobs").fetchall() == [("completed", 6, True)]
    assert conn.execute("SELECT count(DISTINCT document_id) FROM batch_requests").fetchone()[0] == 6
    conn.close()


def test_lines_the_batch_cannot_answer_are_asked_live(tmp_path):
    docs = write_documents(tmp_path / "docs", 4, first_id=20000000)
    answered_once: set[int] = set()

    def first_answer_for_doc_1_is_invalid(request_json):
        k = int(request_json["messages"][-1]["content"].split("Compound ", 1)[1].split()[0])
        if k == 1 and k not in answered_once:
            answered_once.add(k)
            return '{"conditions": ["Condition 1"'  # cut-off JSON: no valid answer
        return truthful(request_json)

    with ScriptedLLM(responder=first_answer_for_doc_1_is_invalid) as server:
        summary = run_extraction([str(docs)], db_path=str(tmp_path / "t.duckdb"), llm=client_for(server),
                                 endpoint_label="scripted", use_batch_api=True, batch_poll_s=0.01)
        live_requests = server.chat_requests
    assert summary.ok == 4
    assert len(live_requests) == 1 and "Compound 1 " in live_requests[0].messages[-1]["content"]
    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    ledger = conn.execute("SELECT api, outcome, count(*) FROM llm_calls GROUP BY ALL ORDER BY ALL").fetchall()
    assert ledger == [("batch", "ok", 3), ("batch", "validation_error", 1), ("chat", "ok", 1)]
    conditions = conn.execute("SELECT conditions FROM trials_flat ORDER BY 1").fetchall()
    assert [c[0] for c in conditions] == [f"Condition {k}" for k in range(4)]
    conn.close()


def test_a_run_killed_while_its_batch_is_in_flight_resumes_that_batch(tmp_path):
    docs = write_documents(tmp_path / "docs", 5, first_id=20000000)
    db = tmp_path / "t.duckdb"
    with ScriptedLLM(responder=truthful) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key", "COLUMNS": "200"}
        command = [TRIALSIFT, "extract", str(docs), "--db", str(db), "--model", "scripted-model", "--batch-api"]
        first = subprocess.Popen(command + ["--batch-poll-seconds", "60"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not _paths(server, "GET", "/v1/batches/") and time.monotonic() < deadline:
            time.sleep(0.1)  # submitted and polled once: the batch is in flight
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert _paths(server, "POST", "/v1/batches") == ["/v1/batches"]

        resumed = subprocess.run(command + ["--batch-poll-seconds", "0.01"], env=env, capture_output=True,
                                 text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert _paths(server, "POST", "/v1/batches") == ["/v1/batches"], "the batch was not submitted twice"
        assert server.chat_requests == []
    assert "resuming batch" in resumed.stdout
    assert "5 ok" in resumed.stdout
    conn = duckdb.connect(str(db), read_only=True)
    assert conn.execute("SELECT count(*), count(DISTINCT custom_id) FROM batch_requests").fetchone() == (5, 5)
    assert conn.execute("SELECT count(*) FROM llm_calls WHERE api = 'batch'").fetchone()[0] == 5
    conn.close()


def test_batch_api_without_a_remote_endpoint_is_refused_clearly(tmp_path):
    docs = write_documents(tmp_path / "docs", 1, first_id=20000000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    result = subprocess.run([TRIALSIFT, "extract", str(docs), "--db", str(tmp_path / "t.duckdb"), "--batch-api"],
                            env=env | {"COLUMNS": "200"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--batch-api needs an endpoint with the OpenAI Batch API" in result.stderr

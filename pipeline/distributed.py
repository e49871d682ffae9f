"""`trialsift extract --engine ray`: the batch run on a Ray cluster, results as Parquet.

The driver lists the input files and hands them to Ray Data; an actor pool (one actor per
worker, a few per node) reads each file and extracts it with the local runner's own
per-document functions (runner._read_file, runner._extract_safely: the same planning, prompts,
cache keys and grounding), keeping at most `in_flight` documents (so LLM requests) in flight
per actor. Each batch of finished documents becomes one part of Parquet files under the
results folder (pipeline.parquet_io); `trialsift load DIR --db FILE` brings them into DuckDB.

Resuming: documents the folder already holds as extracted with this model and prompt are
skipped (read and hashed, not sent), as the local runner skips what its database holds. A
worker or node lost mid-job costs the batches it had in flight: Ray Data restarts the actor and
runs those batches again (its actor pools restart actors and retry their tasks); a batch whose
part was already written when its worker died is written twice and `load` keeps one copy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

from . import documents, parquet_io, store
from .extraction import ExtractionConfig
from .llm import Endpoint, LLMClient
from .package import code_version
from .records import Document
from .runner import RunSummary, Skipped, _extract_safely, _read_file, failure_document_id

# An actor waits on HTTP almost all the time: a quarter of a CPU each lets a 2-CPU node hold
# eight of them, and leaves Ray Data's own tasks room to run.
ACTOR_CPUS = 0.25
# Batches one actor is handed at once: while one batch's last documents finish, the next
# batch's documents already fill the freed threads, so an actor never idles at a batch's end.
BATCHES_IN_FLIGHT_PER_ACTOR = 2
DEFAULT_WORKERS = 2
DEFAULT_IN_FLIGHT = 32
# A batch, unless asked otherwise, is this many rounds of an actor's `in_flight` documents. Each
# batch costs Ray Data a task, Arrow conversions and a Parquet part of six files whatever its
# size, so larger batches cost less CPU a document and leave fewer files for `load` (at 0.5 s
# a call: 0.58, 0.67, 0.72 of ideal throughput at 1, 4, 8 rounds, bench/RESULTS-ray.md); a lost
# worker costs the documents of its batches in flight, at most BATCHES_IN_FLIGHT_PER_ACTOR of them.
BATCH_ROUNDS = 4


def default_batch_size(in_flight: int) -> int:
    return BATCH_ROUNDS * in_flight


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached: said in one line."""


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the extra installs both; a bare `ray` lacks Ray Data)
    except ImportError:
        raise RayUnavailable("--engine ray needs Ray Data: pip install 'trialsift[ray]'") from None
    return ray


class ExtractionActor:
    """One worker of the actor pool: an LLM client, a response cache and a Parquet writer,
    built once, then called with batches of file paths."""

    def __init__(self, *, out_dir: str, endpoint: Optional[Endpoint], client_options: dict, in_flight: int,
                 max_bytes: int, kind: Optional[str], config: ExtractionConfig, prices: Optional[dict],
                 done: frozenset, cached: list, run_id: str, driver_cwd: str):
        # Relative paths are stored as given, as a local run stores them: read them from the
        # driver's folder when this node has it (a local cluster, a shared filesystem).
        if os.path.isdir(driver_cwd):
            os.chdir(driver_cwd)
        prompts = config.prompts()
        self.model = endpoint.model if endpoint else "none"
        self.prompt_version = config.prompt_version(prompts)
        self.llm = LLMClient(endpoint, **client_options) if endpoint else None
        # The cache lives in this actor's memory: answers asked here, and those a failed or
        # partial document left in the folder by an earlier run (so its retry asks only the rest).
        self.cache_conn = store.connect(":memory:")
        store.insert_rows(self.cache_conn, "llm_cache", [list(row) for row in cached])
        self.cache = store.DuckDBCache(self.cache_conn, model=self.model, prompt_version=prompts.version)
        self.writer = parquet_io.PartWriter(out_dir)
        self.write_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="trialsift-ray-worker")
        self.max_bytes, self.kind, self.config, self.prices = max_bytes, kind, config, prices
        self.done, self.run_id, self.prompts = done, run_id, prompts

    def _one(self, path: str):
        outcome = _read_file(Path(path), done=self.done, max_bytes=self.max_bytes, kind=self.kind)
        if isinstance(outcome, Document):
            return _extract_safely(outcome, self.llm, self.cache, self.config, self.prompts)
        return outcome

    def __call__(self, batch: dict) -> dict:
        paths = [str(path) for path in batch["path"]]
        outcomes = list(self.pool.map(self._one, paths))
        results, failures, rows = [], [], []
        for path, outcome in zip(paths, outcomes):
            if isinstance(outcome, documents.IngestFailure):
                failures.append((outcome, failure_document_id(outcome)))
                rows.append(_row(path, "failed", error=outcome.reason))
            elif isinstance(outcome, Skipped):
                rows.append(_row(path, "skipped"))
            else:
                results += outcome
                for result in outcome:  # a registry record file: one row per record, the last ends it
                    rows.append(_row(path, result.status, error=result.error or "", calls=result.calls,
                                     cached_calls=result.cached_calls, prices=self.prices, ends_file=False))
                if outcome:
                    rows[-1]["ends_file"] = True
        # The part is written before the batch is returned: once Ray counts a batch done, its
        # documents are on disk. One part at a time per actor (the in-memory tables are shared).
        with self.write_lock:
            self.writer.write(results, failures, run_id=self.run_id, model=self.model,
                              prompt_version=self.prompt_version, prices=self.prices)
        return {name: [row[name] for row in rows] for name in _ROW_COLUMNS}


_ROW_COLUMNS = ("path", "status", "error", "llm_calls", "cached_calls", "prompt_tokens", "completion_tokens",
                "cost_usd", "ends_file")


def _row(path: str, status: str, *, error: str = "", calls=(), cached_calls: int = 0, prices=None,
         ends_file: bool = True) -> dict:
    """What the driver needs of one document to count it, as the local runner's summary does."""
    return {"path": path, "status": status, "error": error, "llm_calls": len(calls), "cached_calls": cached_calls,
            "prompt_tokens": sum(c.prompt_tokens for c in calls),
            "completion_tokens": sum(c.completion_tokens for c in calls),
            "cost_usd": sum(store.call_cost(c, prices) for c in calls), "ends_file": ends_file}


def run_ray_extraction(
    paths: list[str],
    *,
    out_dir: str,
    endpoint: Optional[Endpoint],
    endpoint_label: str,
    address: Optional[str] = None,
    workers: int = DEFAULT_WORKERS,
    in_flight: int = DEFAULT_IN_FLIGHT,
    batch_size: Optional[int] = None,
    client_options: Optional[dict] = None,
    max_bytes: int = documents.DEFAULT_MAX_BYTES,
    kind: Optional[str] = None,
    config: ExtractionConfig = ExtractionConfig(),
    prices: Optional[dict] = None,
    force: bool = False,
    on_progress: Callable[[str, str], None] = lambda path, status: None,
    on_total: Callable[[int], None] = lambda total: None,
    on_status: Callable[[str], None] = lambda message: None,
    command: str = "extract --engine ray",
) -> RunSummary:
    """Extract `paths` on a Ray cluster (address, or the one this process is connected to, or a
    new local one) into Parquet parts under out_dir; the summary counts what a local run counts
    (its `trials` stays 0: trials are merged by `trialsift load`)."""
    ray = import_ray()
    started = time.perf_counter()
    prompts = config.prompts()
    model = endpoint.model if endpoint else "none"
    prompt_version = config.prompt_version(prompts)
    summary = RunSummary(run_id=uuid.uuid4().hex[:12], db_path=str(out_dir), endpoint=endpoint_label, model=model,
                         prompt_version=prompt_version)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    parquet_io.clear_staging(out_dir)
    run_row = dict(run_id=summary.run_id, command=command, endpoint=endpoint_label, model=model,
                   prompt_version=prompt_version, git_commit=code_version())
    parquet_io.write_run(out_dir, **run_row)

    files = [str(path) for path in documents.discover(paths)]
    on_total(len(files))
    summary.documents = len(files)
    done = frozenset() if force else frozenset(parquet_io.done_documents(out_dir, model, prompt_version))
    cached = parquet_io.cached_answers(out_dir, model, prompt_version)
    started_here = False
    try:
        if not ray.is_initialized():
            # ray.init installs its own SIGTERM handler; the caller's (the CLI's: stop as on Ctrl-C,
            # mark the run interrupted, exit 143) is put back.
            sigterm = signal.getsignal(signal.SIGTERM)
            try:
                ray.init(address=address, log_to_driver=False, include_dashboard=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RayUnavailable(f"cannot reach the Ray cluster at {address or 'a new local cluster'}: "
                                     f"{str(error).splitlines()[0]}") from None
            finally:
                if threading.current_thread() is threading.main_thread() and sigterm is not None:
                    signal.signal(signal.SIGTERM, sigterm)
            started_here = True
        if files:
            on_status(f"{len(files)} files, {len(done)} done before; {workers} workers x {in_flight} in flight")
            _execute(ray, files, summary, out_dir=out_dir, endpoint=endpoint, client_options=client_options or {},
                     workers=workers, in_flight=in_flight, batch_size=batch_size or default_batch_size(in_flight),
                     max_bytes=max_bytes,
                     kind=kind, config=config, prices=prices, done=done, cached=cached, on_progress=on_progress)
    except BaseException as error:
        summary.seconds = round(time.perf_counter() - started, 2)
        interrupted = isinstance(error, (KeyboardInterrupt, SystemExit))
        with contextlib.suppress(Exception):
            parquet_io.write_run(out_dir, **run_row, summary=summary.as_row("interrupted" if interrupted else "failed"))
        raise
    finally:
        if started_here:
            ray.shutdown()
    summary.seconds = round(time.perf_counter() - started, 2)
    parquet_io.write_run(out_dir, **run_row, summary=summary.as_row())
    return summary


def _execute(ray, files: list[str], summary: RunSummary, *, out_dir, endpoint, client_options, workers, in_flight,
             batch_size, max_bytes, kind, config, prices, done, cached, on_progress) -> None:
    # Ray Data's default scheduling strategy, SPREAD, puts the actors on as many nodes as there
    # are: a node lost takes the fewest batches with it.
    dataset = ray.data.from_items([{"path": path} for path in files])
    results = dataset.map_batches(
        ExtractionActor,
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=BATCHES_IN_FLIGHT_PER_ACTOR,
                                           max_concurrent_calls_per_actor=BATCHES_IN_FLIGHT_PER_ACTOR,
                                           enable_true_multi_threading=True),
        num_cpus=ACTOR_CPUS,
        fn_constructor_kwargs=dict(
            out_dir=str(Path(out_dir).resolve()), endpoint=endpoint, client_options=client_options,
            in_flight=in_flight, max_bytes=max_bytes, kind=kind, config=config, prices=prices,
            done=done, cached=cached, run_id=summary.run_id, driver_cwd=os.getcwd()),
    )
    for row in results.iter_rows():
        _count(summary, row)
        if row["ends_file"]:
            on_progress(row["path"], row["status"])


def _count(summary: RunSummary, row: dict) -> None:
    status = row["status"]
    if status == "skipped":
        summary.skipped += 1
        return
    if status == "ok":
        summary.ok += 1
    elif status == "partial":
        summary.partial += 1
        summary.partials.append((row["path"], row["error"]))
    else:
        summary.failed += 1
        summary.failures.append((row["path"], row["error"] or "unknown error"))
    summary.llm_calls += int(row["llm_calls"])
    summary.cached_calls += int(row["cached_calls"])
    summary.prompt_tokens += int(row["prompt_tokens"])
    summary.completion_tokens += int(row["completion_tokens"])
    summary.cost_usd += float(row["cost_usd"])

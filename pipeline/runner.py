"""A batch run: read each file -> extract it -> store -> merge trials -> summary.

Files are read one at a time as workers free up, so only the documents in flight
are in memory, however large the batch. Documents are extracted concurrently by
worker threads; only this module's
main loop writes to the database, one transaction per group of finished
documents (at most SAVE_EVERY_S seconds' worth), so a crash (even kill -9)
loses at most the documents in flight and that last group, whose LLM answers
are already in the cache. Running the same command
again skips documents already extracted with the same model and prompt
version and answers repeated LLM requests from the cache, so a resumed batch
finishes with nothing lost, nothing duplicated and nothing paid twice.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

from . import batch_api, documents, merge, store
from .extraction import ExtractionConfig, extract_document
from .llm import LanguageModel, LLMClient
from .package import code_version
from .records import Document, DocumentResult
from .registry_records import load_registry_records, sniff_registry_format

# Finished documents are written together, in one transaction, at most this often.
SAVE_EVERY_S = 0.5
# The trial tables are rebuilt during a run too (a killed run leaves them current to within this
# long), but never so often that rebuilding costs more than a twentieth of the run's time.
MERGE_EVERY_S = 30.0
MERGE_SHARE = 0.05
# On Ctrl-C or SIGTERM, documents in flight get this long to finish before the run stops; their
# calls are not waited for (one may take minutes) and are asked again by the next run.
STOP_GRACE_S = 2.0


@dataclass
class RunSummary:
    run_id: str
    db_path: str
    endpoint: str
    model: str
    prompt_version: str
    documents: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    trials: int = 0
    llm_calls: int = 0  # live calls plus Batch API lines
    batch_calls: int = 0
    batch_ids: list[str] = field(default_factory=list)
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    partials: list[tuple[str, str]] = field(default_factory=list)

    def as_row(self, status: str = "finished") -> dict:
        row = {k: getattr(self, k) for k in (
            "documents", "ok", "partial", "failed", "skipped", "llm_calls", "cached_calls",
            "prompt_tokens", "completion_tokens", "cost_usd", "seconds")}
        row["status"] = status
        return row


def registry_record_results(document: Document) -> Optional[list[DocumentResult]]:
    """A registry record file becomes exact records, one pseudo-document per record; None if not one."""
    if document.media_type not in ("application/json", "application/xml"):
        return None
    if sniff_registry_format(document.text) is None:
        return None
    results = []
    for registry_record in load_registry_records(Path(document.path)):
        where = "" if registry_record.where == "(whole file)" else registry_record.where
        one = Document(
            id=hashlib.sha256(f"{document.id}#{where}".encode()).hexdigest() if where else document.id,
            path=document.path + (f"#{where}" if where else ""),
            text=document.text if not where else "",
            media_type=document.media_type,
            encoding=document.encoding,
            kind="registry-record",
            url=document.url,
            size_bytes=document.size_bytes,
        )
        results.append(DocumentResult(document=one, record=registry_record.record, method="registry-record"))
    return results


def _long_lived_objects_frozen(run):
    """Runs `run` with the objects alive at its start frozen out of the garbage collector.

    Modules, schemas, prompts and the client (150,000-200,000 objects) outlive any run, yet a
    full collection walks them all with the GIL held, stalling every worker for 40-130 ms,
    several times a batch (merging 2,048 trials took 0.4 s instead of 0.25 s). Frozen, the
    collector walks only what the run creates; they are handed back when the run ends.
    """
    @functools.wraps(run)
    def frozen(*args, **kwargs):
        gc.freeze()
        try:
            return run(*args, **kwargs)
        finally:
            gc.unfreeze()

    return frozen


@_long_lived_objects_frozen
def run_extraction(
    paths: list[str],
    *,
    db_path: str,
    llm: Optional[LanguageModel],
    endpoint_label: str,
    concurrency: int = 1,
    max_bytes: int = documents.DEFAULT_MAX_BYTES,
    kind: Optional[str] = None,
    config: ExtractionConfig = ExtractionConfig(),
    prices: Optional[dict] = None,
    force: bool = False,
    precedence: tuple[str, ...] = merge.DEFAULT_PRECEDENCE,
    on_progress: Callable[[str, str], None] = lambda path, status: None,
    on_total: Callable[[int], None] = lambda total: None,
    on_status: Callable[[str], None] = lambda message: None,
    command: str = "extract",
    use_batch_api: bool = False,
    batch_poll_s: float = 30.0,
) -> RunSummary:
    started = time.perf_counter()
    prompts = config.prompts()
    prompt_version = config.prompt_version(prompts)
    model = llm.model if llm else "none"
    conn = store.connect(db_path)
    summary = RunSummary(
        run_id=uuid.uuid4().hex[:12], db_path=db_path, endpoint=endpoint_label, model=model,
        prompt_version=prompt_version,
    )
    store.mark_abandoned_runs(conn)
    store.start_run(conn, summary.run_id, command=command, endpoint=endpoint_label, model=model,
                    prompt_version=prompt_version, git_commit=code_version())
    try:
        _run(summary, conn, paths, llm=llm, concurrency=concurrency, max_bytes=max_bytes, kind=kind, config=config,
             prices=prices, force=force, precedence=precedence, on_progress=on_progress, on_total=on_total,
             on_status=on_status, use_batch_api=use_batch_api, batch_poll_s=batch_poll_s, prompts=prompts,
             started=started)
    except BaseException as error:
        # What was saved stays; the trial tables are brought up to date with it and the run
        # is marked, so `trialsift runs` tells an interrupted or broken run from a finished one.
        with contextlib.suppress(Exception):
            summary.trials = store.merge_trials(conn, precedence)
        with contextlib.suppress(Exception):
            summary.seconds = round(time.perf_counter() - started, 2)
            interrupted = isinstance(error, (KeyboardInterrupt, SystemExit))
            store.finish_run(conn, summary.run_id, summary.as_row("interrupted" if interrupted else "failed"))
        conn.close()
        raise
    conn.close()
    return summary


def _run(summary: RunSummary, conn, paths, *, llm, concurrency, max_bytes, kind, config, prices, force, precedence,
         on_progress, on_total, on_status, use_batch_api, batch_poll_s, prompts, started) -> None:
    model, prompt_version = summary.model, summary.prompt_version
    files = documents.discover(paths)
    on_total(len(files))
    summary.documents = len(files)
    done = frozenset(store.extracted_documents(conn, model, prompt_version)) if not force else frozenset()
    finished: list[DocumentResult] = []

    def save_finished() -> None:
        store.save_document_results(conn, finished, run_id=summary.run_id, model=model,
                                    prompt_version=prompt_version, prices=prices)
        for result in finished:
            _count(summary, result, prices)
            on_progress(result.document.path, result.status)
        finished.clear()

    def record(outcome: Outcome) -> None:
        """Settle one file's outcome; only this thread writes to the database."""
        if isinstance(outcome, documents.IngestFailure):
            store.record_document_failure(
                conn, document_id=failure_document_id(outcome), path=outcome.path, reason=outcome.reason, size_bytes=outcome.size_bytes, run_id=summary.run_id)
            summary.failed += 1
            summary.failures.append((outcome.path, outcome.reason))
            on_progress(outcome.path, "failed")
        elif isinstance(outcome, Skipped):
            summary.skipped += 1
            on_progress(outcome.path, "skipped")
        else:
            finished.extend(outcome)

    if use_batch_api and llm is not None:
        if not isinstance(llm, LLMClient):
            raise ValueError("the Batch API needs an OpenAI-compatible endpoint (an LLMClient), not "
                             f"{type(llm).__name__}")
        # A pre-pass: the Batch API answers every document's calls into the cache; the run
        # below then reads each file again and finds its answers there. This pass holds every
        # pending document at once (one batch is built from them all): shard a huge job.
        pending = [outcome for outcome in (_read_file(path, done=done, max_bytes=max_bytes, kind=kind) for path in files)
                   if isinstance(outcome, Document)]
        report = batch_api.prefill_cache(conn, pending, llm, run_id=summary.run_id, config=config, prompts=prompts,
                                         prices=prices, poll_s=batch_poll_s, on_status=on_status)
        del pending  # the documents themselves: the run below reads them one at a time
        summary.batch_ids = report.batch_ids
        summary.batch_calls = len(report.calls)
        summary.llm_calls += len(report.calls)
        summary.prompt_tokens += sum(c.prompt_tokens for c in report.calls)
        summary.completion_tokens += sum(c.completion_tokens for c in report.calls)
        summary.cost_usd += sum(store.call_cost(c, prices) for c in report.calls)

    cache = store.DuckDBCache(conn, model=model, prompt_version=prompts.version)  # after the batch filled it
    workers = max(1, concurrency)
    # Worker threads extract; this thread reads each file just before handing it out (reading
    # overlaps the LLM waits, and only the documents in flight are in memory), saves finished
    # documents and is the only one to touch the database. Twice the workers' documents are
    # handed out ahead, so no worker waits while this thread saves a group.
    to_extract: queue.SimpleQueue = queue.SimpleQueue()
    extracted: queue.SimpleQueue = queue.SimpleQueue()

    def extract_documents() -> None:
        while (document := to_extract.get()) is not None:
            extracted.put(_extract_safely(document, llm, cache, config, prompts))

    to_process = iter(files)

    def hand_out_next() -> int:
        for path in to_process:
            outcome = _read_file(path, done=done, max_bytes=max_bytes, kind=kind)
            if isinstance(outcome, Document):
                to_extract.put(outcome)
                return 1
            record(outcome)
        return 0

    # Every worker is started before the first document is handed out: a thread started while
    # others already extract waits its turn for the GIL, and started one by one (as a thread
    # pool does) 64 workers sent their first requests over 0.2 s, a lag every later wave kept.
    threads = [threading.Thread(target=extract_documents, name=f"trialsift-worker-{n}", daemon=True)
               for n in range(workers)]
    for thread in threads:
        thread.start()
    merge_due = 0.0  # the first saved group is merged at once: a run killed early still leaves its trials
    try:
        in_flight = sum(hand_out_next() for _ in range(2 * workers))
        last_save = time.perf_counter()
        while in_flight:
            try:
                finished_now = [extracted.get(timeout=SAVE_EVERY_S)]
                while not extracted.empty():
                    finished_now.append(extracted.get_nowait())
            except queue.Empty:
                finished_now = []
            for outcome in finished_now:
                record(outcome)
            in_flight += sum(hand_out_next() for _ in finished_now) - len(finished_now)
            if time.perf_counter() - last_save >= SAVE_EVERY_S:
                wrote = bool(finished)
                save_finished()
                last_save = time.perf_counter()
                if wrote and last_save >= merge_due:
                    merge_started = time.perf_counter()
                    summary.trials = store.merge_trials(conn, precedence)
                    took = time.perf_counter() - merge_started
                    merge_due = time.perf_counter() + max(MERGE_EVERY_S, took / MERGE_SHARE)
    except BaseException as error:
        # Ctrl-C, SIGTERM or an error: the documents waiting for a worker are dropped, those in
        # flight are finished (on Ctrl-C or SIGTERM, those that finish within a short grace),
        # and whatever finished is saved before the error goes on up.
        stopped = isinstance(error, (KeyboardInterrupt, SystemExit))
        _stop_workers(to_extract, threads, grace_s=STOP_GRACE_S if stopped else None)
        with contextlib.suppress(Exception):
            with contextlib.suppress(queue.Empty):
                while True:
                    record(extracted.get_nowait())
            save_finished()
        raise
    _stop_workers(to_extract, threads, grace_s=None)
    save_finished()

    summary.trials = store.merge_trials(conn, precedence)
    summary.seconds = round(time.perf_counter() - started, 2)
    store.finish_run(conn, summary.run_id, summary.as_row())


def _stop_workers(to_extract: queue.SimpleQueue, threads: list, *, grace_s: Optional[float]) -> None:
    """Drop the documents not yet handed to a worker and end the workers: waiting for each
    (grace_s None), or for at most grace_s in all (worker threads are daemons: one still in a
    call is abandoned with the process)."""
    with contextlib.suppress(queue.Empty):
        while True:
            to_extract.get_nowait()
    for _ in threads:
        to_extract.put(None)
    deadline = None if grace_s is None else time.monotonic() + grace_s
    for thread in threads:
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))


def failure_document_id(failure: documents.IngestFailure) -> str:
    """The id a file that could not be read is stored under: its bytes' hash when they were
    read, else its path's (a file that cannot be opened has no content to hash)."""
    return failure.sha256 or "path:" + hashlib.sha256(os.fsencode(failure.path)).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A document already extracted with this model and prompt version."""

    path: str


# What one file comes to: why it could not be read, that it was done before, or its results
# (one per record for a registry record file; one, possibly "failed", for any other document).
Outcome = Union[documents.IngestFailure, Skipped, list[DocumentResult]]


def _read_file(path: Path, *, done: frozenset, max_bytes: int, kind) -> Union[Document, Outcome]:
    """One file, read: the document to extract, or what it comes to without the LLM."""
    document = documents.read_document(path, max_bytes=max_bytes, kind=kind)
    if isinstance(document, documents.IngestFailure):
        return document
    try:
        records = registry_record_results(document)
    except Exception as error:  # a malformed record file fails alone
        return documents.IngestFailure(document.path, f"unreadable registry record: {type(error).__name__}: "
                                                      f"{error}"[:500], document.id, document.size_bytes)
    if records is not None:
        return records
    if document.id in done:
        return Skipped(document.path)
    return document


def _extract_safely(document, llm, cache, config, prompts) -> list[DocumentResult]:
    """One document's failure, of any kind, is recorded and the batch goes on. `prompts` are the
    run's own: the set whose version the run and its cached answers are stored under."""
    try:
        return [extract_document(document, llm, cache=cache, config=config, prompts=prompts)]
    except Exception as error:
        from ..schemas.trial import TrialRecord

        return [DocumentResult(document=document, record=TrialRecord(), status="failed",
                               error=f"internal error: {type(error).__name__}: {error}"[:500])]


def _count(summary: RunSummary, result: DocumentResult, prices) -> None:
    if result.status == "ok":
        summary.ok += 1
    elif result.status == "partial":
        summary.partial += 1
        summary.partials.append((result.document.path, result.error or ""))
    else:
        summary.failed += 1
        summary.failures.append((result.document.path, result.error or "unknown error"))
    summary.llm_calls += len(result.calls)
    summary.cached_calls += result.cached_calls
    summary.prompt_tokens += sum(c.prompt_tokens for c in result.calls)
    summary.completion_tokens += sum(c.completion_tokens for c in result.calls)
    summary.cost_usd += sum(store.call_cost(c, prices) for c in result.calls)

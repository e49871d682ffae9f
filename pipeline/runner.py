"""A batch run: ingest -> extract each document -> store -> merge trials -> summary.

Documents are extracted concurrently by worker threads (in one process, or
spread over worker processes for high concurrency); only this module's
main loop writes to the database, one transaction per group of finished
documents (at most SAVE_EVERY_S seconds' worth), so a crash (even kill -9)
loses at most the documents in flight and that last group, whose LLM answers
are already in the cache. Running the same command
again skips documents already extracted with the same model and prompt
version and answers repeated LLM requests from the cache, so a resumed batch
finishes with nothing lost, nothing duplicated and nothing paid twice.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import queue
import subprocess
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from pipeline import batch_api, documents, merge, store
from pipeline.extraction import ExtractionConfig, extract_document
from pipeline.llm import LLMClient
from pipeline.prompting import load_prompts
from pipeline.records import Document, DocumentResult
from pipeline.registry_records import load_registry_records, sniff_registry_format
from schemas.trial import TrialRecord

# Finished documents are written together, in one transaction, at most this often.
SAVE_EVERY_S = 0.5


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

    def as_row(self) -> dict:
        row = {k: getattr(self, k) for k in (
            "documents", "ok", "partial", "failed", "skipped", "llm_calls", "cached_calls",
            "prompt_tokens", "completion_tokens", "cost_usd", "seconds")}
        row["status"] = "finished"
        return row


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


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


def run_extraction(
    paths: list[str],
    *,
    db_path: str,
    llm: Optional[LLMClient],
    endpoint_label: str,
    concurrency: int = 1,
    workers: int = 1,
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
    prompts = load_prompts()
    prompt_version = config.prompt_version(prompts)
    model = llm.endpoint.model if llm else "none"
    conn = store.connect(db_path)
    summary = RunSummary(
        run_id=uuid.uuid4().hex[:12], db_path=db_path, endpoint=endpoint_label, model=model,
        prompt_version=prompt_version,
    )
    store.start_run(conn, summary.run_id, command=command, endpoint=endpoint_label, model=model,
                    prompt_version=prompt_version, git_commit=git_commit())
    ingested = documents.ingest(paths, max_bytes=max_bytes, kind=kind)
    on_total(len(ingested))
    summary.documents = len(ingested)
    pending: list[Document] = []

    finished: list[DocumentResult] = []

    def save_finished() -> None:
        store.save_document_results(conn, finished, run_id=summary.run_id, model=model,
                                    prompt_version=prompt_version, prices=prices)
        for result in finished:
            _count(summary, result, prices)
            on_progress(result.document.path, result.status)
        finished.clear()

    done = store.extracted_documents(conn, model, prompt_version) if not force else set()
    for item in ingested:
        if isinstance(item, documents.IngestFailure):
            store.record_document_failure(
                conn, document_id=item.sha256 or "path:" + hashlib.sha256(item.path.encode()).hexdigest(),
                path=item.path, reason=item.reason, size_bytes=item.size_bytes, run_id=summary.run_id)
            summary.failed += 1
            summary.failures.append((item.path, item.reason))
            on_progress(item.path, "failed")
            continue
        records = _safe_registry_results(item)
        if isinstance(records, str):
            summary.failed += 1
            summary.failures.append((item.path, records))
            store.record_document_failure(conn, document_id=item.id, path=item.path, reason=records,
                                          size_bytes=item.size_bytes, run_id=summary.run_id)
            on_progress(item.path, "failed")
        elif records is not None:
            finished.extend(records)
        elif item.id in done:
            summary.skipped += 1
            on_progress(item.path, "skipped")
        else:
            pending.append(item)
    save_finished()

    if use_batch_api and llm is not None and pending:
        report = batch_api.prefill_cache(conn, pending, llm, run_id=summary.run_id, config=config, prompts=prompts,
                                         prices=prices, poll_s=batch_poll_s, on_status=on_status)
        summary.batch_ids = report.batch_ids
        summary.batch_calls = len(report.calls)
        summary.llm_calls += len(report.calls)
        summary.prompt_tokens += sum(c.prompt_tokens for c in report.calls)
        summary.completion_tokens += sum(c.completion_tokens for c in report.calls)
        summary.cost_usd += sum(store.call_cost(c, prices) for c in report.calls)

    cache = store.DuckDBCache(conn, model=model, prompt_version=prompts.version)  # after the batch filled it
    if workers > 1 and llm is not None and len(pending) > 1:
        results = _extract_in_processes(pending, llm, cache.answers(), config, concurrency, workers)
    else:
        results = _extract_in_threads(pending, llm, cache, config, concurrency)
    last_save = time.perf_counter()
    for group in results:
        finished.extend(group)
        if time.perf_counter() - last_save >= SAVE_EVERY_S:
            save_finished()
            last_save = time.perf_counter()
    save_finished()

    summary.trials = store.merge_trials(conn, precedence)
    summary.seconds = round(time.perf_counter() - started, 2)
    store.finish_run(conn, summary.run_id, summary.as_row())
    conn.close()
    return summary


def _extract_in_threads(pending, llm, cache, config, concurrency) -> Iterator[list[DocumentResult]]:
    """Results as they finish (in groups, at least every SAVE_EVERY_S), from worker threads."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        running = {pool.submit(_extract_safely, doc, llm, cache, config) for doc in pending}
        while running:
            completed, running = wait(running, timeout=SAVE_EVERY_S, return_when=FIRST_COMPLETED)
            yield [future.result() for future in completed]


def _extract_in_processes(pending, llm, answers, config, concurrency, workers) -> Iterator[list[DocumentResult]]:
    """Results as they finish, from `workers` forked processes with concurrency/workers threads each.

    One process's threads share one GIL: at 64 requests in flight the pipeline's own CPU (about
    6 ms a document) queues for it. Workers read the cache from a snapshot (`answers`) and send
    each result back; this process stays the only database writer. A worker that dies takes
    only its documents in flight with it: they are recorded as failed, and the batch goes on.
    """
    context = multiprocessing.get_context("fork")
    inbox, outbox = context.Queue(), context.Queue()
    threads = max(1, -(-concurrency // workers))
    processes = [context.Process(target=_worker_main, args=(llm.share(workers), answers, config, threads, inbox, outbox),
                                 daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    outstanding = {doc.id: doc for doc in pending}
    for doc in pending:
        inbox.put(doc)
    for _ in processes:
        inbox.put(None)
    try:
        while outstanding:
            group = []
            try:
                while len(group) < 256:
                    group.append(outbox.get(timeout=SAVE_EVERY_S if not group else 0.001))
            except queue.Empty:
                pass
            for result in group:
                outstanding.pop(result.document.id, None)
            if not group and not any(process.is_alive() for process in processes):
                group = [DocumentResult(document=doc, record=TrialRecord(), status="failed",
                                        error="internal error: the worker process extracting it died")
                         for doc in outstanding.values()]
                outstanding.clear()
            yield group
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


def _worker_main(llm, answers, config, threads, inbox, outbox) -> None:
    """A worker process: extract documents from `inbox` with `threads` threads, holding no more
    than that many at once (so idle workers are never starved by a busy one's backlog)."""
    slots = threading.Semaphore(threads)

    def extract(doc):
        try:
            outbox.put(_extract_safely(doc, llm, answers, config))
        finally:
            slots.release()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            slots.acquire()
            doc = inbox.get()
            if doc is None:
                break
            pool.submit(extract, doc)


def _safe_registry_results(document: Document):
    try:
        return registry_record_results(document)
    except Exception as error:  # a malformed record file fails alone
        return f"unreadable registry record: {type(error).__name__}: {error}"[:500]


def _extract_safely(document, llm, cache, config) -> DocumentResult:
    """One document's failure, of any kind, is recorded and the batch goes on."""
    try:
        return extract_document(document, llm, cache=cache, config=config)
    except Exception as error:
        return DocumentResult(document=document, record=TrialRecord(), status="failed",
                              error=f"internal error: {type(error).__name__}: {error}"[:500])


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

"""OpenAI Batch API mode: a job's LLM requests sent as batches (half price), answers into the cache.

1. plan: every request the pending documents need (extraction.plan_document: the same prompts
   and cache keys as a live run), less those the cache already answers;
2. submit: the requests as JSONL, uploaded to /v1/files and submitted to /v1/batches; the batch
   and what each line asks for are recorded in DuckDB before polling starts;
3. poll until the batch ends (completed, expired, cancelled or failed);
4. ingest: an answer that validates against its field group's schema goes into the response
   cache; every line goes into the llm_calls ledger with api = 'batch'.

The extraction that follows finds its answers in the cache. What a batch could not answer (an
error line, an answer that fails validation, a cut-off answer) is asked live, with validation
retries, and so are the second asks (extraction.SECOND_ASK_FIELDS): whether one is needed
depends on the first answers. A run killed while a batch is in flight resumes by polling that batch: nothing is
submitted, or paid for, twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import openai
from pydantic import ValidationError

from . import store
from .extraction import ExtractionConfig, plan_document
from .llm import CallRecord, LLMClient
from .prompting import PromptSet
from .records import Document
from ..schemas.groups import group_model

ENDED = ("completed", "expired", "cancelled", "failed")
MAX_REQUESTS_PER_BATCH = 50_000  # OpenAI's limit per batch


class BatchError(Exception):
    """The Batch API could not be used; the message says why and what to do."""


@dataclass
class BatchReport:
    batch_ids: list[str] = field(default_factory=list)
    requests: int = 0  # lines answered by the batches this run ingested
    answered: int = 0  # valid answers put into the cache
    not_answered: int = 0  # error lines, invalid or cut-off answers: asked live afterwards
    calls: list[CallRecord] = field(default_factory=list)


def prefill_cache(
    conn,
    documents: list[Document],
    llm: LLMClient,
    *,
    run_id: str,
    config: ExtractionConfig,
    prompts: PromptSet,
    prices: Optional[dict] = None,
    poll_s: float = 30.0,
    max_requests: int = MAX_REQUESTS_PER_BATCH,
    on_status: Callable[[str], None] = lambda message: None,
) -> BatchReport:
    """Answer the documents' LLM requests through the Batch API, into the response cache."""
    endpoint = llm.endpoint
    base_url = endpoint.base_url or "https://api.openai.com/v1"
    cache = store.DuckDBCache(conn, model=endpoint.model, prompt_version=prompts.version)
    report = BatchReport()

    for batch_id in store.unfinished_batch_jobs(conn, base_url=base_url, model=endpoint.model):
        on_status(f"resuming batch {batch_id}")
        _finish(conn, llm, batch_id, cache, report, run_id=run_id, prompts=prompts, prices=prices,
                poll_s=poll_s, on_status=on_status)

    requests, lines, seen = [], [], set()
    for document in documents:
        for planned in plan_document(document, endpoint.model, config, prompts).calls:
            if planned.cache_key in seen or cache.get(planned.cache_key) is not None:
                continue
            seen.add(planned.cache_key)
            requests.append({"custom_id": planned.cache_key, "document_id": document.id,
                             "field_group": planned.group, "fields": list(planned.fields),
                             "chunk_sha256": planned.chunk.sha256})
            lines.append(json.dumps({"custom_id": planned.cache_key, "method": "POST", "url": "/v1/chat/completions",
                                     "body": llm.request_body(group_model(planned.fields), planned.messages)}))

    for start in range(0, len(requests), max_requests):
        part = slice(start, start + max_requests)
        batch = _submit(llm, "\n".join(lines[part]) + "\n", run_id)
        store.record_batch_job(conn, batch=batch, run_id=run_id, base_url=base_url, model=endpoint.model,
                               prompt_version=prompts.version, requests=requests[part])
        on_status(f"submitted batch {batch['id']} ({len(requests[part])} requests)")
        _finish(conn, llm, batch["id"], cache, report, run_id=run_id, prompts=prompts, prices=prices,
                poll_s=poll_s, on_status=on_status)
    return report


def _call(llm: LLMClient, operation, *args, **kwargs):
    """A files/batches request under the same transport retry policy as chat requests."""
    try:
        for attempt in llm.transport_retrying():
            with attempt:
                return operation(*args, **kwargs)
    except openai.NotFoundError as error:
        raise BatchError(
            f"the endpoint has no Batch API ({error.request.url.path if error.request else '?'} not found); "
            "run without --batch-api") from error


def _client(llm: LLMClient) -> openai.OpenAI:
    return openai.OpenAI(base_url=llm.endpoint.base_url, api_key=llm.endpoint.api_key, max_retries=0, timeout=120)


def _submit(llm: LLMClient, jsonl: str, run_id: str) -> dict:
    client = _client(llm)
    uploaded = _call(llm, client.files.create, file=(f"trialsift-{run_id}.jsonl", jsonl.encode()), purpose="batch")
    batch = _call(llm, client.batches.create, input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                  completion_window="24h", metadata={"trialsift_run": run_id})
    return batch.model_dump()


def _finish(conn, llm: LLMClient, batch_id: str, cache, report: BatchReport, *, run_id: str,
            prompts: PromptSet, prices, poll_s: float, on_status) -> None:
    """Poll one batch until it ends, then ingest its answers and mark it ingested."""
    client = _client(llm)
    while True:
        batch = _call(llm, client.batches.retrieve, batch_id).model_dump()
        store.update_batch_job(conn, batch)
        if batch["status"] in ENDED:
            break
        on_status(f"batch {batch_id}: {batch['status']}")
        time.sleep(poll_s)
    asked = store.batch_requests(conn, batch_id)
    calls = []
    for file_id in (batch.get("output_file_id"), batch.get("error_file_id")):
        if not file_id:
            continue
        content = _call(llm, client.files.content, file_id).text
        for line in content.splitlines():
            if line.strip():
                # the whole line, answer and error alike, without the key a server may echo
                call = _ingest_line(json.loads(llm.without_key(line)), asked, cache, llm, prompts)
                if call is not None:
                    calls.append(call)
    store.insert_calls(conn, calls, run_id=run_id, prices=prices)
    store.update_batch_job(conn, batch, ingested=True)
    report.batch_ids.append(batch_id)
    report.requests += len(calls)
    report.answered += sum(c.outcome == "ok" for c in calls)
    report.not_answered += len(asked) - sum(c.outcome == "ok" for c in calls)
    report.calls += calls
    on_status(f"batch {batch_id} {batch['status']}: {sum(c.outcome == 'ok' for c in calls)} of {len(asked)} answered")


def _ingest_line(line: dict, asked: dict[str, dict], cache, llm: LLMClient, prompts: PromptSet) -> Optional[CallRecord]:
    """One output (or error) line: a valid answer into the cache, and its ledger record."""
    request = asked.get(line.get("custom_id"))
    if request is None:
        return None  # not a line of ours
    call = CallRecord(model=llm.endpoint.model, group=request["field_group"], chunk_sha256=request["chunk_sha256"],
                      attempt=1, outcome="ok", document_id=request["document_id"], api="batch")
    response = line.get("response") or {}
    body = response.get("body") or {}
    usage = body.get("usage") or {}
    call.prompt_tokens, call.completion_tokens = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    if line.get("error") or response.get("status_code") != 200:
        call.outcome = f"http_{response.get('status_code')}" if response.get("status_code") else "error"
        call.error = json.dumps(line.get("error") or body.get("error"))[:500]
        return call
    choice = (body.get("choices") or [{}])[0]
    if choice.get("finish_reason") == "length":
        call.outcome, call.error = "incomplete", "the answer was cut off (max tokens reached)"
        return call
    model = group_model(request["fields"])
    try:
        answer = llm.parse_answer(model, (choice.get("message") or {}).get("content") or "")
    except ValidationError as error:
        call.outcome, call.error = "validation_error", str(error)[:500]
        return call
    cache.put(line["custom_id"], json.dumps(answer.model_dump(mode="json"), sort_keys=True))
    return call

"""Benchmark: does the batch runner keep C LLM requests in flight, and what does it cost in CPU?

A scripted OpenAI-compatible server (tests/scripted_llm.py) answers every
request after a fixed latency with nulls for the asked keys, so the only
limits left are the runner's own. It runs in a child process, so that
time.process_time() in this process counts the pipeline (and its openai
client), not the server.

Figures (issue 8):
- documents/s at C = 1, 4, 16, 64 in flight, as a ratio to the ideal
  C / (latency x LLM calls per document); target >= 0.9;
- the server's own floor: requests/s that a raw asyncio HTTP client (no pipeline, no
  openai client, one thread) gets from the same server at the largest C, with the
  pipeline's own request body, so that the server's share of any shortfall is measured;
- pipeline CPU per document (process CPU time: the server runs in another process), rules
  only (llm=None) and with the LLM client in each throughput run; target <= 10 ms.
Then a cProfile of extract_document over the batch (in this thread: cProfile
sees only the thread that enables it), top functions by own time.

    python -m bench.orchestration [--latency 0.5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import multiprocessing
import pstats
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path

from trialsift.pipeline.documents import read_document
from trialsift.pipeline.extraction import extract_document
from trialsift.pipeline.llm import Endpoint, LLMClient
from trialsift.pipeline.runner import run_extraction
from tests.scripted_llm import ScriptedLLM
from tests.test_extraction_loop import asked_keys

IN_FLIGHT_LEVELS = (1, 4, 16, 64)
IDEAL_RATIO_TARGET = 0.9
CPU_MS_PER_DOCUMENT_LIMIT = 10.0


def null_answers(request_json: dict) -> dict:
    """Every asked key, unknown: the cheapest valid answer."""
    return {key: None for key in asked_keys(request_json)}


def _serve(latency_s: float, urls, stop) -> None:
    # The forked child inherits this process's heap (openai, pydantic, duckdb: ~200k objects).
    # A full collection in the server walks them all with every handler stalled, and replies
    # come late: a raw asyncio client got 0.96-0.97 of ideal; frozen, 0.985-0.99. The requests
    # are not kept, for the same reason.
    gc.freeze()
    with ScriptedLLM(responder=null_answers, latency_s=latency_s, keep_requests=False) as server:
        urls.put(server.base_url)
        stop.wait()


class ServerProcess:
    """The scripted server in a child process: `with ServerProcess(0.5) as base_url:`."""

    def __init__(self, latency_s: float) -> None:
        context = multiprocessing.get_context("fork")
        self._urls, self._stop = context.Queue(), context.Event()
        self._process = context.Process(target=_serve, args=(latency_s, self._urls, self._stop), daemon=True)

    def __enter__(self) -> str:
        self._process.start()
        return self._urls.get(timeout=30)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._process.join(timeout=10)


def write_documents(folder: Path, count: int, offset: int = 0) -> list[str]:
    """Short, distinct plain-text documents (distinct text: no cache hits across them)."""
    paths = []
    for number in range(offset, offset + count):
        path = folder / f"trial_{number:05d}.txt"
        path.write_text(f"Trial number {number}. Sponsor: Org {number}. Phase 2.\n")
        paths.append(str(path))
    return paths


def request_body() -> bytes:
    """The body of the pipeline's LLM request for one bench document, as sent."""
    with tempfile.TemporaryDirectory(prefix="trialsift-bench-") as tmp, ScriptedLLM(responder=null_answers) as server:
        document = read_document(Path(write_documents(Path(tmp), 1)[0]), max_bytes=1 << 20)
        extract_document(document, client(server.base_url))
        return json.dumps(server.chat_requests[0].body).encode()


def raw_client_rate(base_url: str, body: bytes, concurrency: int, requests_each: int) -> float:
    """Requests/s with `concurrency` keep-alive connections, each posting `body` `requests_each` times."""
    url = urllib.parse.urlsplit(base_url)
    request = (f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        for _ in range(requests_each):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
        writer.close()

    async def all_connections() -> None:
        await asyncio.gather(*(connection() for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(all_connections())
    return concurrency * requests_each / (time.perf_counter() - started)


def client(base_url: str) -> LLMClient:
    return LLMClient(Endpoint(base_url, "k", "scripted", "json_schema", "bench"))


def timed_run(paths: list[str], db_path: Path, llm, concurrency: int) -> tuple[float, float, object]:
    """(wall seconds, process CPU seconds, RunSummary) of one run_extraction into a fresh database."""
    wall, cpu = time.perf_counter(), time.process_time()
    summary = run_extraction(paths, db_path=str(db_path), llm=llm, endpoint_label="bench", concurrency=concurrency)
    return time.perf_counter() - wall, time.process_time() - cpu, summary


def check(summary, documents: int) -> None:
    if summary.documents != documents or summary.failed:
        raise SystemExit(f"benchmark run was not clean: {summary.documents} documents, "
                         f"{summary.failed} failed: {summary.failures[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="scripted LLM latency, seconds")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--waves", type=int, default=32, help="documents per request in flight (a batch long enough that its fixed costs, about 0.4 s, are a small part of it)")
    parser.add_argument("--in-flight", type=int, nargs="+", default=IN_FLIGHT_LEVELS, help="requests in flight to measure")
    parser.add_argument("--cpu-documents", type=int, default=512, help="documents in each rules-only run")
    parser.add_argument("--profile-top", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="trialsift-bench-") as tmp, ServerProcess(args.latency) as base_url:
        work = Path(tmp)
        run_number = 0

        def fresh(count: int) -> tuple[list[str], Path]:
            nonlocal run_number
            run_number += 1
            folder = work / f"docs{run_number}"
            folder.mkdir()
            return write_documents(folder, count, offset=run_number * 10_000), work / f"run{run_number}.duckdb"

        # The server's floor, at the largest C: what a client with no CPU to speak of gets.
        top = max(args.in_flight)
        body = request_body()
        floor_rates = [raw_client_rate(base_url, body, top, args.waves) for _ in range(args.repeats)]
        floor_ratio = statistics.median(floor_rates) / (top / args.latency)
        print(f"server floor, raw asyncio client, C={top}: {statistics.median(floor_rates):.2f} requests/s "
              f"(runs: {', '.join(f'{r:.2f}' for r in floor_rates)}), {floor_ratio:.3f} of ideal")

        # Throughput: `waves` documents per worker, so that the run's fixed costs (opening and
        # migrating the database, merging trials) are a small part of it, as in a real batch.
        # The same runs give the pipeline's CPU per document with the LLM client.
        throughput_rows = []
        for concurrency in args.in_flight:
            count = args.waves * concurrency
            rates, cpu_ms, calls_per_document = [], [], 0.0
            for _ in range(args.repeats):
                paths, db_path = fresh(count)
                wall, cpu, summary = timed_run(paths, db_path, client(base_url), concurrency)
                check(summary, count)
                rates.append(count / wall)
                cpu_ms.append(cpu * 1000 / count)
                calls_per_document = summary.llm_calls / summary.documents
            ideal = concurrency / (args.latency * calls_per_document)
            rate = statistics.median(rates)
            throughput_rows.append((concurrency, count, calls_per_document, rate, ideal, statistics.median(cpu_ms)))
            print(f"C={concurrency:>2}: {count} docs, {calls_per_document:.2f} calls/doc, "
                  f"{rate:.2f} docs/s (runs: {', '.join(f'{r:.2f}' for r in rates)}), ideal {ideal:.2f}, "
                  f"CPU {statistics.median(cpu_ms):.1f} ms/doc (runs: {', '.join(f'{m:.1f}' for m in cpu_ms)})")

        # CPU per document without the LLM: the rules-only path, one worker.
        rules_ms = []
        for _ in range(args.repeats):
            paths, db_path = fresh(args.cpu_documents)
            _, cpu, summary = timed_run(paths, db_path, None, 1)
            check(summary, args.cpu_documents)
            rules_ms.append(cpu * 1000 / args.cpu_documents)
        cpu_rows = [("rules only (llm=None), one worker", statistics.median(rules_ms))]
        # Runs under 512 documents are mostly the run's fixed costs (about 0.9 s of CPU: opening and
        # migrating the database, starting the workers, the closing checkpoint), not per-document work.
        cpu_rows += [(f"with the LLM client, C={c} ({n} docs)", ms) for c, n, _, _, _, ms in throughput_rows
                     if n >= 512]
        # Per document beyond the run's fixed costs: the slope between the two largest runs, if two.
        largest_two = sorted(throughput_rows, key=lambda row: row[1])[-2:]
        if len(largest_two) == 2 and largest_two[1][1] > largest_two[0][1]:
            (_, small, *_, small_ms), (_, large, *_, large_ms) = largest_two
            cpu_rows.append((f"with the LLM client, marginal ({small} to {large} docs)",
                             (large_ms * large - small_ms * small) / (large - small)))
        print(f"CPU rules only: {statistics.median(rules_ms):.1f} ms/doc "
              f"(runs: {', '.join(f'{m:.1f}' for m in rules_ms)})")

    # Where the CPU goes: extract_document with an instant LLM, profiled in this thread.
    with tempfile.TemporaryDirectory(prefix="trialsift-bench-") as tmp, ServerProcess(0.0) as base_url:
        paths = write_documents(Path(tmp), 32)
        llm = client(base_url)
        documents = [read_document(Path(path), max_bytes=1 << 20) for path in paths]
        profiler = cProfile.Profile()
        profiler.enable()
        for document in documents:
            extract_document(document, llm)
        profiler.disable()

    print("\n| figure | value | target | ratio | met? |\n|---|---|---|---|---|")
    print(f"| server floor: requests/s of a raw asyncio client at C={top} (no pipeline) "
          f"| {statistics.median(floor_rates):.2f} (ideal {top / args.latency:.2f}) | (reference) "
          f"| {floor_ratio:.2f} | |")
    for concurrency, count, calls, rate, ideal, _ in throughput_rows:
        ratio = rate / ideal
        print(f"| docs/s at C={concurrency} ({count} docs, {calls:.0f} calls/doc, {args.latency} s latency) "
              f"| {rate:.2f} (ideal {ideal:.2f}) | >= {IDEAL_RATIO_TARGET} x ideal | {ratio:.2f} "
              f"| {'yes' if ratio >= IDEAL_RATIO_TARGET else 'no'} |")
    for label, ms in cpu_rows:
        print(f"| CPU per document, {label} | {ms:.1f} ms | <= {CPU_MS_PER_DOCUMENT_LIMIT:.0f} ms "
              f"| {ms / CPU_MS_PER_DOCUMENT_LIMIT:.2f} | {'yes' if ms <= CPU_MS_PER_DOCUMENT_LIMIT else 'no'} |")
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats("tottime").print_stats(args.profile_top)
    stats.sort_stats("cumulative").print_stats(args.profile_top * 2)
    print("\ncProfile of extract_document x 32 with an instant scripted LLM (one thread):")
    print(report.getvalue())


if __name__ == "__main__":
    main()

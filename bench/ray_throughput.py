"""Benchmark: `extract --engine ray` throughput beside the local runner's, and `load` at 100,000 documents.

The scripted OpenAI-compatible server (bench.orchestration.ServerProcess: a child process,
fixed latency, null answers) is the model, so the only limits left are the pipelines' own.

Figures (issue 23):
- documents/s of a 2,000-document job at 64 requests in flight, through Ray (a local cluster on
  this machine: WORKERS actors x 64/WORKERS in flight each) and through the local runner
  (--concurrency 64), each as a ratio to the ideal 64 / (latency x LLM calls per document);
  target for Ray >= 0.85. Ray's is timed end to end (actor start included) and from its first
  finished batch to its last (the steady rate a long job sees; it counts a document when its
  batch returns, so it means little once a batch is more than one round of in-flight documents);
- CPU per document: the driver's (this process) and the workers' (every ray:: process of the
  job, sampled while they live) plus Ray's own daemons (raylet, GCS);
- `trialsift load` of 100,000 documents' Parquet into a fresh DuckDB file: the Ray job's parts,
  copied 50 times with new document ids (the same layout: one part per batch), loaded, then
  trials merged over all of them.

    python -m bench.ray_throughput [--documents 2000] [--in-flight 64] [--workers 2] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

import duckdb
import ray

from bench.orchestration import ServerProcess, check, client, timed_run, write_documents
from trialsift.pipeline import merge, parquet_io, store
from trialsift.pipeline.distributed import default_batch_size, run_ray_extraction
from trialsift.pipeline.llm import Endpoint

RATIO_TARGET = 0.85


def _ray_processes_cpu(workers: set[int] = None) -> dict[int, float]:
    """CPU seconds (user + system) of each live Ray process on this machine, read from /proc:
    its workers (titled ray::...), raylet, GCS and the other daemons it starts. The pids of the
    job's extraction actors are added to `workers`."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
            if not any(mark in cmdline for mark in (b"ray::", b"raylet", b"gcs_server", b"ray/_private",
                                                     b"default_worker.py", b"dashboard")):
                continue
            if workers is not None and cmdline.startswith(b"ray::MapWorker"):
                workers.add(int(entry.name))
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return found


class RayCpu:
    """CPU seconds used by Ray's processes from start() to stop(): each process's times are
    sampled while it lives, since a job's workers exit with it; a process first seen during the
    job (a worker) counts all its time, its start included."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self._before: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self.workers: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self._last.update(_ray_processes_cpu(self.workers))
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> "RayCpu":
        self._before = _ray_processes_cpu()
        self._thread.start()
        return self

    def stop(self) -> tuple[float, float]:
        """(CPU seconds of the extraction actors, of every other Ray process)."""
        self._stop.set()
        self._thread.join()
        self._last.update(_ray_processes_cpu(self.workers))
        used = {pid: cpu - self._before.get(pid, 0.0) for pid, cpu in self._last.items()}
        actors = sum(cpu for pid, cpu in used.items() if pid in self.workers)
        return actors, sum(used.values()) - actors


def ray_run(paths: list[str], out: Path, base_url: str, *, workers: int, in_flight: int,
            batch_size: Optional[int] = None) -> dict:
    endpoint = Endpoint(base_url, "k", "scripted", "json_schema", "bench")
    finished_at: list[float] = []
    cpu = RayCpu().start()
    wall, driver_cpu = time.perf_counter(), time.process_time()
    summary = run_ray_extraction(paths, out_dir=str(out), endpoint=endpoint, endpoint_label="bench", workers=workers,
                                 in_flight=in_flight, batch_size=batch_size, on_progress=lambda path, status: finished_at.append(time.perf_counter()))
    wall, driver_cpu = time.perf_counter() - wall, time.process_time() - driver_cpu
    actor_cpu, daemon_cpu = cpu.stop()
    check(summary, len(paths))
    # Steady state: from the first batch's results to the last (documents finished in between).
    first_batch = batch_size or default_batch_size(in_flight)  # a batch's documents arrive together
    steady = (len(finished_at) - first_batch) / (finished_at[-1] - finished_at[first_batch - 1])
    return {"summary": summary, "wall": wall, "rate": len(paths) / wall, "steady_rate": steady,
            "driver_cpu_ms": 1000 * driver_cpu / len(paths), "actor_cpu_ms": 1000 * actor_cpu / len(paths),
            "daemon_cpu_ms": 1000 * daemon_cpu / len(paths), "daemon_cpu_s_per_s": daemon_cpu / wall}


def copies_of_parts(source: Path, target: Path, copies: int) -> int:
    """`copies` copies of the job under source, each copy's ids made new (sha256 of id and copy
    number), one part per copy under target: the documents of a job `copies` times larger (in
    fewer, larger parts than the job would write: 300 Parquet files instead of about 19,000)."""
    conn = duckdb.connect(":memory:")
    renamed = {"documents": ["document_id"], "extractions": ["document_id"], "evidence": ["document_id"],
               "review": ["document_id"], "llm_calls": ["document_id"], "llm_cache": ["key"]}
    (target / parquet_io.PARTS).mkdir(parents=True)
    for copy in range(copies):
        folder = target / parquet_io.PARTS / f"copy-{copy:03d}"
        folder.mkdir()
        for table, columns in renamed.items():
            replaced = ", ".join(f"sha256({c} || '#{copy}') AS {c}" for c in columns)
            conn.execute(f"COPY (SELECT * REPLACE ({replaced}) FROM read_parquet('{source}/parts/*/{table}.parquet')) "
                         f"TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    shutil.copytree(source / parquet_io.RUNS, target / parquet_io.RUNS)
    conn.close()
    return copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=64, help="requests in flight in all")
    parser.add_argument("--workers", type=int, default=2, help="Ray actors sharing them")
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs the local Ray cluster may use")
    parser.add_argument("--batch-size", type=int, default=None, help="documents a Ray batch (default: the engine's, "
                        "BATCH_ROUNDS x in flight per actor)")
    parser.add_argument("--load-copies", type=int, default=50,
                        help="copies of the job's parts for the load figure (0: no load figure)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="trialsift-ray-bench-") as tmp, ServerProcess(args.latency) as base_url:
        work = Path(tmp)
        (work / "docs").mkdir()
        paths = write_documents(work / "docs", args.documents)

        wall, cpu, local = timed_run(paths, work / "local.duckdb", client(base_url), args.in_flight)
        check(local, args.documents)
        calls_per_document = local.llm_calls / args.documents
        ideal = args.in_flight / (args.latency * calls_per_document)
        local_rate = args.documents / wall
        print(f"local runner: {local_rate:.1f} docs/s, ideal {ideal:.1f} -> {local_rate / ideal:.3f} of ideal; "
              f"{1000 * cpu / args.documents:.2f} ms CPU per document ({calls_per_document:g} calls per document)")

        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        try:
            result = ray_run(paths, work / "out", base_url, workers=args.workers,
                             in_flight=args.in_flight // args.workers, batch_size=args.batch_size)
        finally:
            ray.shutdown()
        print(f"ray: {result['rate']:.1f} docs/s end to end ({result['wall']:.1f} s) -> {result['rate'] / ideal:.3f} "
              f"of ideal; steady {result['steady_rate']:.1f} docs/s -> {result['steady_rate'] / ideal:.3f} of ideal; "
              f"CPU per document: driver {result['driver_cpu_ms']:.2f} ms, extraction actors "
              f"{result['actor_cpu_ms']:.2f} ms (their start included), Ray's other processes "
              f"{result['daemon_cpu_ms']:.2f} ms ({result['daemon_cpu_s_per_s']:.2f} CPU-s per second of the job)")

        if not args.load_copies:
            return
        parts = copies_of_parts(work / "out", work / "big", args.load_copies)
        documents = args.documents * args.load_copies
        # What load_results does, in its two steps, timed apart: the copy in, then the trial merge.
        conn = store.connect(work / "big.duckdb")
        started = time.perf_counter()
        conn.execute("BEGIN")
        parquet_io._load(conn, work / "big")
        conn.execute("COMMIT")
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        trials = store.merge_trials(conn, merge.DEFAULT_PRECEDENCE)
        merge_s = time.perf_counter() - started
        loaded = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        conn.close()
        assert loaded == documents, (loaded, documents)
        print(f"load: {documents} documents in {parts} parts: copied in {copy_s:.1f} s "
              f"({documents / copy_s:,.0f} documents/s), then {trials} trials merged in {merge_s:.1f} s")
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"ray {ray.__version__}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: a batch against endpoints that stall or leak (issue 20).

Three scripted OpenAI-compatible servers on loopback (tests/scripted_llm.py), each behind the
real CLI (`trialsift extract`, a child process) over the same documents:

- hung: every request waits 600 s before answering;
- dripping: every answer is sent one byte every 0.2 s (no read ever times out);
- key-echoing: every answer carries the request's API key ("Authorization: Bearer ...").

Checked and written down: wall time against the bound `--call-timeout` sets (each document's
calls end at their deadline), every document accounted for with its reason, the run marked
finished, and the API key found nowhere in the database file.

    python -m bench.stalling_endpoints [--documents 20] [--call-timeout 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.scripted_llm import Delay, Drip, ScriptedLLM  # noqa: E402
from tests.test_extraction_loop import answer_from, write_documents  # noqa: E402

KEY = "sk-bench-secret-0123456789"


def _behaviours():
    echo = f"Authorization: Bearer {KEY}"
    return {
        "hung": lambda request: Delay(600, then={}),
        "dripping": lambda request: Drip(0.2, then=answer_from({})(request)),
        "key-echoing": answer_from({"public_title": echo, "primary_sponsor": f"Bearer {KEY}"}),
    }


def run(name, responder, folder: Path, work: Path, call_timeout: float, concurrency: int) -> dict:
    db = work / f"{name}.duckdb"
    trialsift = Path(sys.executable).with_name("trialsift")
    with ScriptedLLM(responder=responder) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY}
        started = time.monotonic()
        result = subprocess.run([str(trialsift), "extract", str(folder), "--db", str(db), "--model", "scripted",
                                 "--call-timeout", str(call_timeout), "--concurrency", str(concurrency)],
                                env=env, capture_output=True, text=True)
        took = time.monotonic() - started
    conn = duckdb.connect(str(db), read_only=True)
    try:
        statuses = dict(conn.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
        without_reason = conn.execute(
            "SELECT count(*) FROM documents WHERE status <> 'ok' AND coalesce(reason, '') = ''").fetchone()[0]
        runs = [row[0] for row in conn.execute("SELECT status FROM runs").fetchall()]
        leaks = sum(conn.execute(f"SELECT count(*) FROM {table} WHERE CAST({column} AS VARCHAR) LIKE ?",
                                 [f"%{KEY}%"]).fetchone()[0]
                    for table, column in (("llm_cache", "value"), ("review", "value"), ("llm_calls", "error"),
                                          ("evidence", "quote"), ("documents", "reason")))
        reasons = [row[0] for row in conn.execute(
            "SELECT DISTINCT reason FROM documents WHERE status <> 'ok' LIMIT 2").fetchall()]
    finally:
        conn.close()
    return {"name": name, "exit": result.returncode, "seconds": took, "statuses": statuses,
            "without_reason": without_reason, "runs": runs, "reasons": reasons,
            "key_in_file": leaks > 0 or KEY.encode() in db.read_bytes()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--call-timeout", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = write_documents(work / "docs", args.documents)
        rows = [run(name, responder, folder, work, args.call_timeout, args.concurrency)
                for name, responder in _behaviours().items()]
    # Each document's calls end at their deadline; documents run `concurrency` at a time.
    bound = args.call_timeout * -(-args.documents // args.concurrency)
    print(f"## Stalling and key-echoing endpoints, {date.today()}\n")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} cores; command: python -m bench.stalling_endpoints "
          f"--documents {args.documents} --call-timeout {args.call_timeout:g} --concurrency {args.concurrency}")
    print(f"- bound: {args.call_timeout:g} s per call x {-(-args.documents // args.concurrency)} rounds of "
          f"{args.concurrency} documents = {bound:g} s (plus start-up)\n")
    print("| endpoint | exit | wall s | ratio to bound | documents by status | not ok without a reason | run | "
          "API key stored (cache, review, ledger, evidence, or the file's bytes) | a reason |")
    print("|---|---:|---:|---:|---|---:|---|---|---|")
    for row in rows:
        print(f"| {row['name']} | {row['exit']} | {row['seconds']:.1f} | {row['seconds'] / bound:.2f} | "
              f"{row['statuses']} | {row['without_reason']} | {', '.join(row['runs'])} | "
              f"{'YES' if row['key_in_file'] else 'no'} | {(row['reasons'] or [''])[0][:90]} |")


if __name__ == "__main__":
    main()

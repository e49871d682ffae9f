"""Benchmark: a 2,000-document batch against an endpoint that fails 10% of the time.

A scripted OpenAI-compatible server on loopback (tests/scripted_llm.py) injects
429s, 500s, timeouts (it hangs up), malformed JSON, truncated output
(finish_reason "length") and schema-invalid answers at set rates; otherwise it
answers what each document states. The batch is the real CLI (`trialsift
extract`, a child process), run twice over the same documents:

- A: uninterrupted;
- B: killed with kill -9 about halfway, then the same command run again.

Checked and written down (issue 7): every document is accounted for (documents
table = files given; ok + partial + failed = documents), none is duplicated, the
ledger's outcomes match the faults the server injected, and B's database content
equals A's. Besides the good documents, the batch holds bad input (empty, binary,
Latin-1, a page listing several trials), which must fail alone with its reason.

    python -m bench.faults [--documents 2000] [--fault-rate 0.10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from trialsift.pipeline.cli import EXIT_SOME_DOCUMENTS_INCOMPLETE
from tests.scripted_llm import FaultPlan, ScriptedLLM
from tests.test_extraction_loop import asked_keys
from tests.test_resume import database_content, saved_extractions

TRIALSIFT = str(Path(sys.executable).with_name("trialsift"))
# The fault mix: shares of the total fault rate.
MIX = {"rate_429": 0.2, "rate_500": 0.2, "rate_timeout": 0.1, "rate_malformed": 0.2,
       "rate_truncated": 0.15, "rate_schema_invalid": 0.15}


def write_documents(folder: Path, n: int) -> dict[str, str]:
    """n good documents plus bad input; returns {file name: expected outcome}."""
    folder.mkdir(parents=True)
    expected = {}
    for k in range(n):
        name = f"trial{k:05d}.txt"
        (folder / name).write_text(
            f"Trial of Compound {k} in Condition {k % 97}\n\nShare this trial\nSign up for email alerts\n\n"
            f"Sponsor: Organisation {k % 311}\nStudy Phase: Phase {1 + k % 3}\n"
            f"Target number of participants: {20 + k % 500}\nRegistration: NCT{30000000 + k}\n"
            f"Start date: 2025-{1 + k % 12:02d}-{1 + k % 28:02d}\n",
            encoding="utf-8")
        expected[name] = "ok"
    bad = {
        "empty.txt": b"",
        "binary.txt": bytes(range(256)) * 16,
        "latin1.txt": "Essai de phase 2, Hôpital Européen. Trial of Compound 999999 in Condition 1\n".encode("latin-1"),
        "listing.txt": b"NCT01234567 Trial one, Phase 3\nNCT02345678 Trial two, Phase 2\n",
    }
    for name, content in bad.items():
        (folder / name).write_bytes(content)
    expected.update({"empty.txt": "failed", "binary.txt": "failed", "latin1.txt": "ok", "listing.txt": "failed"})
    return expected


def truthful(request_json: dict):
    text = "\n".join(str(m.get("content") or "") for m in request_json["messages"])  # re-asks append messages
    k = int(text.split("Compound ", 1)[1].split()[0])
    truth = {"primary_sponsor": f"Organisation {k % 311}", "conditions": [f"Condition {k % 97}"],
             "public_title": f"Trial of Compound {k} in Condition {k % 97}"}
    return {key: truth.get(key) for key in asked_keys(request_json)}


def extract(folder: Path, db: Path, base_url: str, concurrency: int, wait: bool = True):
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "bench-key", "COLUMNS": "200"}
    command = [TRIALSIFT, "extract", str(folder), "--db", str(db), "--model", "scripted-model",
               "--concurrency", str(concurrency)]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def accounting(db: Path, expected: dict[str, str]) -> dict:
    conn = duckdb.connect(str(db))
    try:
        statuses = dict(conn.execute("SELECT status, count(*) FROM documents GROUP BY 1").fetchall())
        paths = [Path(p).name for (p,) in conn.execute("SELECT path FROM documents").fetchall()]
        outcomes = dict(conn.execute("SELECT outcome, count(*) FROM llm_calls GROUP BY 1").fetchall())
        by_name = {Path(p).name: s for p, s in conn.execute("SELECT path, status FROM documents").fetchall()}
        extraction_rows, extraction_docs = conn.execute(
            "SELECT count(*), count(DISTINCT document_id) FROM extractions").fetchone()
    finally:
        conn.close()
    return {
        "statuses": statuses,
        "lost": len(set(expected) - set(paths)),
        "duplicates": (len(paths) - len(set(paths))) + (extraction_rows - extraction_docs),
        "unexpected": {name: by_name.get(name) for name, want in expected.items() if by_name.get(name) != want},
        "ledger": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS-faults.md"))
    args = parser.parse_args()

    faults = FaultPlan(**{kind: share * args.fault_rate for kind, share in MIX.items()}, timeout_s=2.0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        expected = write_documents(tmp / "docs", args.documents)
        total = len(expected)
        with ScriptedLLM(responder=truthful, faults=faults, seed=11) as server:
            started = time.perf_counter()
            # Every run ends with the bad input recorded as failed: the command says so in its exit status.
            run_a = extract(tmp / "docs", tmp / "a.duckdb", server.base_url, args.concurrency)
            seconds_a = time.perf_counter() - started
            stats_a = server.stats
            assert run_a.returncode == EXIT_SOME_DOCUMENTS_INCOMPLETE, run_a.stderr[-2000:]

            interrupted = extract(tmp / "docs", tmp / "b.duckdb", server.base_url, args.concurrency, wait=False)
            time.sleep(seconds_a / 2)  # the writer holds the file's lock: time is the only gauge
            interrupted.send_signal(signal.SIGKILL)
            interrupted.wait()
            saved_at_kill = saved_extractions(tmp / "b.duckdb")
            run_b = extract(tmp / "docs", tmp / "b.duckdb", server.base_url, args.concurrency)
            assert run_b.returncode == EXIT_SOME_DOCUMENTS_INCOMPLETE, run_b.stderr[-2000:]
            stats_all = server.stats

            a, b = accounting(tmp / "a.duckdb", expected), accounting(tmp / "b.duckdb", expected)
            content_a, content_b = database_content(tmp / "a.duckdb"), database_content(tmp / "b.duckdb")
            same = content_a == content_b
            differing = {table: len(set(content_a[table]) ^ set(content_b[table])) for table in content_a}
            # A document whose calls exhaust their retries ends partial in one run and not the other
            # (faults fall on requests in arrival order). Running the command again retries exactly
            # those documents, as a user would; then the two databases are compared again.
            for db in ("a.duckdb", "b.duckdb"):
                again = extract(tmp / "docs", tmp / db, server.base_url, args.concurrency)
                assert again.returncode == EXIT_SOME_DOCUMENTS_INCOMPLETE, again.stderr[-2000:]
            same_after_rerun = database_content(tmp / "a.duckdb") == database_content(tmp / "b.duckdb")

    injected_a = {k: v for k, v in stats_a.items() if k != "ok"}
    faults_total = sum(v for k, v in injected_a.items() if k in (
        "http_429", "http_500", "timeout", "malformed", "truncated", "schema_invalid"))
    lines = [
        "# Fault injection: a 2,000-document batch at a 10% fault rate",
        "",
        f"- machine: {platform.platform()}, {os.cpu_count()} cores; date {date.today().isoformat()}",
        f"- command: python -m bench.faults --documents {args.documents} --fault-rate {args.fault_rate} "
        f"--concurrency {args.concurrency}",
        f"- documents: {args.documents} good + {total - args.documents} bad input (empty, binary, Latin-1, a listing "
        "of several trials)",
        f"- fault mix (share of the {args.fault_rate:.0%}): " + ", ".join(f"{k[5:]} {v:.0%}" for k, v in MIX.items()),
        "",
        "| figure | run A (uninterrupted) | run B (kill -9 at half, resumed) | target |",
        "|---|---|---|---|",
        f"| documents accounted for | {total - a['lost']} of {total} | {total - b['lost']} of {total} | all |",
        f"| documents lost | {a['lost']} | {b['lost']} | 0 |",
        f"| duplicates | {a['duplicates']} | {b['duplicates']} | 0 |",
        f"| statuses | {a['statuses']} | {b['statuses']} | add up to {total} |",
        f"| outcome other than expected | {a['unexpected'] or 'none'} | {b['unexpected'] or 'none'} | none |",
        f"| ledger outcomes | {a['ledger']} | {b['ledger']} | |",
        "",
        f"- Run A: {seconds_a:.0f} s; the server answered {stats_a.get('ok', 0)} requests and injected "
        f"{faults_total} faults: {injected_a}.",
        f"- Run B was killed with {saved_at_kill} of {total} documents saved; the resumed command skipped them and "
        f"finished the rest. Server totals over both runs: {stats_all}.",
        f"- Database content of B equals A (documents, extractions, trials, evidence): **{'yes' if same else 'no'}**"
        + ("" if same else f" (rows differing per table: {differing}: documents left partial in one run only)") + ".",
        f"- After running the same command once more on each database (it retries partial documents and skips the "
        f"rest): equal **{'yes' if same_after_rerun else 'no'}**.",
        "",
        "Reading the ledger: each injected transport fault (429, 500, timeout) is a failed attempt retried by "
        "tenacity; each malformed, truncated or schema-invalid answer is a `validation_error` or `incomplete` "
        "attempt re-asked by instructor. A document ends `partial` only if one of its calls exhausts its retries.",
    ]
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

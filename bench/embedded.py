"""Embedded-model benchmark: pipeline speed against llama.cpp's own speed, same model and threads.

    python -m bench.embedded --model fast                  # raw speed, extract data/samples, raw speed again
    python -m bench.embedded --model default --db FILE     # reuse an existing extraction (or eval) database

Raw speed is the same llama.cpp server, asked for plain text completion (no chat template, no
grammar, no prompt cache): prompt tokens/s over a prompt of the size trialsift sends, and generated
tokens/s, from the server's own timings. The pipeline's figures come from the llm_calls ledger. A
document's floor is the time its tokens need at raw speed: the prompt tokens the server did not
have cached / raw prompt rate + answer tokens / raw generation rate. Actual time over the floor
shows what HTTP, the JSON grammar, retries and the pipeline itself cost.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from datetime import date
from pathlib import Path
from typing import Optional

import duckdb

from trialsift.pipeline import embedded

REPO = Path(__file__).resolve().parent.parent


def raw_speed(base_url: str, prompt_tokens: int = 700, generate: int = 128, runs: int = 3) -> dict:
    """llama.cpp's speed on this machine: a ~700-token prompt read without cache, 128 tokens generated."""
    root = base_url.removesuffix("/v1")
    text = (REPO / "data/samples/004_556e452210aea786.txt").read_text(encoding="utf-8")
    tokens = _post(root + "/tokenize", {"content": text})["tokens"][:prompt_tokens]
    prompt_rates, gen_rates = [], []
    for _ in range(runs):
        reply = _post(root + "/completion", {"prompt": tokens, "n_predict": generate, "temperature": 0,
                                             "top_k": 1, "cache_prompt": False, "ignore_eos": True})
        timings = reply["timings"]
        prompt_rates.append(timings["prompt_per_second"])
        gen_rates.append(timings["predicted_per_second"])
    return {"prompt_tps": statistics.median(prompt_rates), "gen_tps": statistics.median(gen_rates),
            "prompt_tokens": len(tokens), "generated": generate}


def _mean_speed(before: dict, after: dict) -> dict:
    return {**after, "prompt_tps": (before["prompt_tps"] + after["prompt_tps"]) / 2,
            "gen_tps": (before["gen_tps"] + after["gen_tps"]) / 2}


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=900) as response:
        return json.load(response)


def sample_document_ids() -> list[str]:
    """Ids (sha256 of the bytes) of the bundled samples, as the pipeline names documents."""
    return [hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((REPO / "data/samples").glob("*.txt"))]


def pipeline_speed(db: Path, run_id: Optional[str] = None, *, samples_only: bool = True) -> list[dict]:
    """Per document: LLM seconds and tokens (prompt, of them cached, completion) from the llm_calls
    ledger, for the bundled samples (or every document), of one run if given."""
    conn = duckdb.connect(str(db), read_only=True)
    rows = conn.execute(
        """SELECT document_id, sum(latency_ms) / 1000, sum(prompt_tokens), sum(cached_prompt_tokens),
                  sum(completion_tokens), count(*)
           FROM llm_calls WHERE (NOT ? OR document_id IN (SELECT unnest(from_json(?, '["VARCHAR"]'))))
             AND (? IS NULL OR run_id = ?)
           GROUP BY document_id ORDER BY document_id""",
        [samples_only, json.dumps(sample_document_ids()), run_id, run_id],
    ).fetchall()
    conn.close()
    return [{"document": r[0], "seconds": r[1], "prompt": r[2], "cached": r[3] or 0, "completion": r[4],
             "calls": r[5]} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="fast")
    parser.add_argument("--db", type=Path, help="an existing extraction DB for this model (else extract data/samples)")
    parser.add_argument("--run", help="only this run's calls (e.g. an eval's run)")
    parser.add_argument("--all-documents", action="store_true", help="every document of the run, not only the samples")
    args = parser.parse_args()
    pack = embedded.resolve_pack(args.model)
    db = args.db
    raw_before = None
    if db is None:
        with embedded.LlamaServer(embedded.ensure_model(pack), pack.alias) as server:
            raw_before = raw_speed(server.base_url)
        db = Path(tempfile.mkdtemp()) / "bench.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        subprocess.run([str(Path(sys.executable).with_name("trialsift")), "extract", str(REPO / "data/samples"),
                        "--db", str(db), "--model", args.model], check=True, env=env)
    documents = pipeline_speed(db, args.run, samples_only=not args.all_documents)
    with embedded.LlamaServer(embedded.ensure_model(pack), pack.alias) as server:
        raw_after = raw_speed(server.base_url)
    # A shared machine's speed drifts within minutes: the floor uses the mean of the raw speeds
    # measured just before and just after the pipeline's own run, and says how far they differ.
    raw = _mean_speed(raw_before, raw_after) if raw_before else raw_after
    for document in documents:
        document["floor"] = ((document["prompt"] - document["cached"]) / raw["prompt_tps"]
                             + document["completion"] / raw["gen_tps"])
    seconds = sum(d["seconds"] for d in documents)
    floor = sum(d["floor"] for d in documents)
    median_seconds = statistics.median(d["seconds"] for d in documents) if documents else 0.0
    median_floor = statistics.median(d["floor"] for d in documents) if documents else 0.0
    print(f"## Embedded model: {pack.name}\n")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} cores; date {date.today()}")
    print(f"- command: python -m bench.embedded --model {args.model}" + (f" --db {args.db}" if args.db else "")
          + (f" --run {args.run}" if args.run else "") + (" --all-documents" if args.all_documents else ""))
    print(f"- llama.cpp raw, same server ({raw['prompt_tokens']}-token prompt, {raw['generated']} generated, "
          f"{os.cpu_count()} threads, median of 3): {raw['prompt_tps']:.1f} prompt tok/s, {raw['gen_tps']:.1f} gen tok/s"
          + (f" (mean of before the run: {raw_before['prompt_tps']:.1f} / {raw_before['gen_tps']:.1f}, after: "
             f"{raw_after['prompt_tps']:.1f} / {raw_after['gen_tps']:.1f}; a drift over 10% means the machine's speed "
             f"changed during the run and the ratio below is not a measurement)" if raw_before else
             " (measured now, not during the run the database holds: on a shared machine, read the ratio with care)")
          + "\n")
    print("| figure | value |\n|---|---|")
    print(f"| documents | {len(documents)} |")
    print(f"| LLM calls | {sum(d['calls'] for d in documents)} |")
    print(f"| prompt tokens (of them from the prompt cache) + completion tokens | "
          f"{sum(d['prompt'] for d in documents)} ({sum(d['cached'] for d in documents)}) + "
          f"{sum(d['completion'] for d in documents)} |")
    print(f"| LLM seconds, all documents | {seconds:.0f} |")
    print(f"| median LLM seconds per document | {median_seconds:.1f} |")
    print(f"| median floor per document (uncached prompt / raw prompt rate + answer / raw generation rate) | "
          f"{median_floor:.1f} |")
    print(f"| median time / median floor (target <= 1.3) | {median_seconds / median_floor if median_floor else 0:.2f} |")
    print(f"| floor / actual time, all documents | {floor / seconds if seconds else 0:.2f} |")


if __name__ == "__main__":
    main()

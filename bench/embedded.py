"""Embedded-model benchmark: pipeline speed against llama.cpp's own speed, same model and threads.

    python -m bench.embedded --model fast [--db FILE]      # extract data/samples, then measure raw speed
    python -m bench.embedded --model default --db FILE     # reuse an existing extraction database

Raw speed is llama.cpp through llama-cpp-python's Python API (no server, no HTTP, no grammar):
prompt tokens/s over a prompt of the size trialsift sends, and generated tokens/s. The pipeline's
figures come from the llm_calls ledger: per document, wall time, tokens, and tokens/s. The ratio
pipeline/raw shows what the server, HTTP, JSON grammar and retries cost.
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
import time
from datetime import date
from pathlib import Path
from typing import Optional

import duckdb

from pipeline import embedded

REPO = Path(__file__).resolve().parent.parent


def raw_speed(pack: embedded.ModelPack, prompt_tokens: int = 700, generate: int = 128, runs: int = 3) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=str(embedded.ensure_model(pack)), n_ctx=4096, n_threads=os.cpu_count(),
                n_threads_batch=os.cpu_count(), verbose=False)
    text = (REPO / "data/samples/004_556e452210aea786.txt").read_text(encoding="utf-8")
    tokens = llm.tokenize(text.encode())[:prompt_tokens]
    prompt_rates, gen_rates = [], []
    for _ in range(runs):
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        prompt_rates.append(len(tokens) / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(generate):
            token = llm.sample(temp=0.0)
            llm.eval([token])
        gen_rates.append(generate / (time.perf_counter() - start))
    return {"prompt_tps": statistics.median(prompt_rates), "gen_tps": statistics.median(gen_rates),
            "prompt_tokens": len(tokens), "generated": generate}


def sample_document_ids() -> list[str]:
    """Ids (sha256 of the bytes) of the bundled samples, as the pipeline names documents."""
    return [hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((REPO / "data/samples").glob("*.txt"))]


def pipeline_speed(db: Path, run_id: Optional[str] = None) -> dict:
    """Per-document LLM time and tokens of the samples, from the llm_calls ledger (one run's, if given)."""
    conn = duckdb.connect(str(db), read_only=True)
    per_doc = conn.execute(
        """SELECT document_id, sum(latency_ms) / 1000 AS seconds, sum(prompt_tokens) AS prompt,
                  sum(completion_tokens) AS completion, count(*) AS calls
           FROM llm_calls WHERE document_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))
             AND (? IS NULL OR run_id = ?)
           GROUP BY document_id ORDER BY document_id""", [json.dumps(sample_document_ids()), run_id, run_id]
    ).fetchall()
    conn.close()
    seconds = [r[1] for r in per_doc]
    return {
        "documents": len(per_doc),
        "median_seconds": statistics.median(seconds) if seconds else 0.0,
        "prompt_tokens": sum(r[2] for r in per_doc),
        "completion_tokens": sum(r[3] for r in per_doc),
        "seconds": sum(seconds),
        "calls": sum(r[4] for r in per_doc),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="fast")
    parser.add_argument("--db", type=Path, help="an existing extraction DB for this model (else extract data/samples)")
    parser.add_argument("--run", help="only this run's calls (e.g. an eval's run, which holds the samples too)")
    args = parser.parse_args()
    pack = embedded.resolve_pack(args.model)
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp()) / "bench.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        subprocess.run([str(Path(sys.executable).with_name("trialsift")), "extract", str(REPO / "data/samples"),
                        "--db", str(db), "--model", args.model], check=True, env=env)
    pipe = pipeline_speed(db, args.run)
    raw = raw_speed(pack)
    # What the same tokens would take at llama.cpp's raw speed, versus what they took.
    ideal = pipe["prompt_tokens"] / raw["prompt_tps"] + pipe["completion_tokens"] / raw["gen_tps"]
    ratio = ideal / pipe["seconds"] if pipe["seconds"] else 0.0
    print(f"## Embedded model: {pack.name}\n")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} cores; date {date.today()}")
    print(f"- command: python -m bench.embedded --model {args.model}" + (f" --db {args.db}" if args.db else "")
          + (f" --run {args.run}" if args.run else ""))
    print(f"- llama.cpp raw ({raw['prompt_tokens']}-token prompt, {raw['generated']} generated, "
          f"{os.cpu_count()} threads, median of 3): {raw['prompt_tps']:.1f} prompt tok/s, {raw['gen_tps']:.1f} gen tok/s\n")
    print("| figure | value |\n|---|---|")
    print(f"| documents | {pipe['documents']} |")
    print(f"| LLM calls | {pipe['calls']} |")
    print(f"| median LLM seconds per document | {pipe['median_seconds']:.1f} |")
    print(f"| prompt + completion tokens | {pipe['prompt_tokens']} + {pipe['completion_tokens']} |")
    print(f"| pipeline completion tok/s (incl. prompt time) | {pipe['completion_tokens'] / max(pipe['seconds'], 1e-9):.1f} |")
    print(f"| time at raw llama.cpp speed / actual time (target >= 0.85) | {ratio:.2f} |")


if __name__ == "__main__":
    main()

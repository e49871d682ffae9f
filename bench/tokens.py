"""Benchmark: tokens per document, single-shot whole-document call versus the pipeline (issue 5, issue 8.3).

Single-shot: the whole raw document and every contract key in one call (`trialsift eval
--single-shot`). Pipeline: cleaned text, sections, rules first, and only the fields still open
(`extraction.plan_document`).

1. Prompt tokens, every gold document: both plans rendered into the embedded model's chat
   format and counted with its own tokenizer (the embedded llama.cpp server's /tokenize; nothing
   is generated).
2. Prompt + completion tokens as measured (the llm_calls ledger) in eval runs of both
   strategies stored in an eval database, over the documents both runs extracted.

    python -m bench.tokens [--eval-db trialsift-eval.duckdb] [--model default]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from collections import defaultdict
import urllib.request
from datetime import date
from pathlib import Path

import duckdb

from trialsift.pipeline import embedded, evaluation
from trialsift.pipeline.documents import read_document
from trialsift.pipeline.extraction import ExtractionConfig, plan_document
from trialsift.pipeline.prompting import load_prompts

TARGET_REDUCTION = 0.40


class ServerTokenizer:
    """The model's own tokenizer, through its llama.cpp server's /tokenize endpoint."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.removesuffix("/v1") + "/tokenize"

    def count(self, text: str) -> int:
        request = urllib.request.Request(self.url, data=json.dumps({"content": text, "parse_special": True}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return len(json.load(response)["tokens"])


def chat_tokens(tokenizer: ServerTokenizer, messages: list[dict]) -> int:
    """Tokens of the messages in Qwen2.5's chat format (what llama.cpp's server builds from them)."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
    return tokenizer.count(text)


def planned_prompt_tokens(tokenizer, documents, strategy: str) -> dict[str, int]:
    prompts, config = load_prompts(), ExtractionConfig(strategy=strategy)
    totals = {}
    for gold in documents:
        plan = plan_document(read_document(gold.path), "default", config, prompts)
        totals[gold.source] = sum(chat_tokens(tokenizer, call.messages) for call in plan.calls)
    return totals


def measured_tokens(db: Path) -> list[tuple]:
    """(prompt_version, source path, prompt tokens, completion tokens, calls) per document and strategy,
    from the newest run that called the model for that document with that strategy."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute("""
            SELECT prompt_version, path, prompt, completion, calls FROM (
                SELECT r.prompt_version, d.path, r.started_at, sum(c.prompt_tokens) AS prompt,
                       sum(c.completion_tokens) AS completion, count(*) AS calls
                FROM llm_calls c JOIN runs r USING (run_id) JOIN documents d USING (document_id)
                GROUP BY ALL)
            QUALIFY row_number() OVER (PARTITION BY prompt_version, path ORDER BY started_at DESC) = 1
            ORDER BY prompt_version, path""").fetchall()
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-db", type=Path, help="eval database holding runs of both strategies")
    parser.add_argument("--model", default="default", help="embedded model whose tokenizer counts")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS-tokens.md"))
    args = parser.parse_args()

    pack = embedded.MODEL_PACKS[args.model]
    documents, note = evaluation.gold_documents()
    with embedded.LlamaServer(embedded.ensure_model(pack), pack.alias, context_tokens=2048) as server:
        tokenizer = ServerTokenizer(server.base_url)
        pipeline = planned_prompt_tokens(tokenizer, documents, "pipeline")
        single = planned_prompt_tokens(tokenizer, documents, "single-shot")

    by_kind = defaultdict(lambda: [0, 0, 0])
    for gold in documents:
        row = by_kind[gold.kind]
        row[0] += 1
        row[1] += single[gold.source]
        row[2] += pipeline[gold.source]
    total_single, total_pipeline = sum(single.values()), sum(pipeline.values())
    reductions = [1 - pipeline[g.source] / single[g.source] for g in documents]

    lines = [
        "# Tokens per document: single-shot versus the pipeline",
        "",
        f"- machine: {platform.platform()}, {os.cpu_count()} cores; date {date.today().isoformat()}",
        "- command: python -m bench.tokens" + (f" --eval-db {args.eval_db}" if args.eval_db else ""),
        f"- documents: {note}; prompt version {load_prompts().version}; tokenizer of {pack.name}",
        "",
        "## Prompt tokens, counted (every gold document, no model run)",
        "",
        "| kind | documents | single-shot | pipeline | fewer |",
        "|---|---|---|---|---|",
    ]
    for kind, (count, s, p) in sorted(by_kind.items()):
        lines.append(f"| {kind} | {count} | {s:,} | {p:,} | {1 - p / s:.0%} |")
    lines += [
        f"| **all** | {len(documents)} | {total_single:,} | {total_pipeline:,} | **{1 - total_pipeline / total_single:.0%}** |",
        "",
        f"Per document, the pipeline's prompt is {statistics.median(reductions):.0%} smaller at the median "
        f"(range {min(reductions):.0%} to {max(reductions):.0%}). Target: at least {TARGET_REDUCTION:.0%} fewer tokens.",
    ]

    if args.eval_db:
        measured = measured_tokens(args.eval_db)
        per_strategy = defaultdict(dict)
        for version, path, prompt, completion, calls in measured:
            strategy = "single-shot" if version.endswith("-single-shot") else "pipeline"
            per_strategy[strategy][path] = (prompt, completion, calls)
        both = sorted(set(per_strategy["pipeline"]) & set(per_strategy["single-shot"]))
        lines += ["", "## Prompt + completion tokens, measured (llm_calls ledger)", ""]
        if both:
            lines += ["| document | single-shot prompt + completion (calls) | pipeline prompt + completion (calls) |",
                      "|---|---|---|"]
            sums = {"single-shot": [0, 0], "pipeline": [0, 0]}
            for path in both:
                cells = []
                for strategy in ("single-shot", "pipeline"):
                    prompt, completion, calls = per_strategy[strategy][path]
                    sums[strategy][0] += prompt
                    sums[strategy][1] += completion
                    cells.append(f"{prompt:,} + {completion:,} ({calls})")
                lines.append(f"| {Path(path).name} | {cells[0]} | {cells[1]} |")
            s, p = sum(sums["single-shot"]), sum(sums["pipeline"])
            lines += [f"| **total** | {sums['single-shot'][0]:,} + {sums['single-shot'][1]:,} | "
                      f"{sums['pipeline'][0]:,} + {sums['pipeline'][1]:,} |", "",
                      f"Measured over {len(both)} documents: the pipeline used **{1 - p / s:.1%} fewer** prompt + "
                      f"completion tokens (target {TARGET_REDUCTION:.0%})."]
        else:
            lines.append(f"No document has calls from both strategies in {args.eval_db}.")
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

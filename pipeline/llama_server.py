"""The embedded model's server process: llama.cpp's own HTTP server, through xllamacpp.

xllamacpp ships prebuilt CPU wheels of llama.cpp (built without -march=native, so they
run on any x86-64), so nothing is compiled at install time. Its `Server` starts
llama.cpp's native OpenAI-compatible HTTP server inside this process: continuous
batching, a prompt (prefix) cache that keeps the KV of the longest common prefix
between requests, and grammar-constrained sampling that checks the grammar after
sampling (only a rejected token sends the whole vocabulary through the grammar).

Sampling is not configured here: every request carries its own settings
(pipeline/llm.py's SAMPLING and LLAMA_CPP_SAMPLING), so any server given the same request
samples the same way.

    python -m trialsift.pipeline.llama_server --model FILE.gguf --port N [--threads N] [--ctx N] [--alias A]

It prints `listening <address>` once the model is loaded and serves until killed.
"""

from __future__ import annotations

import argparse
import signal
import sys


def serve(model: str, port: int, threads: int, context_tokens: int, alias: str,
          batch_tokens: int, parallel: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = {alias}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = context_tokens
    params.n_parallel = parallel
    params.n_batch = batch_tokens
    params.n_ubatch = batch_tokens
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.cache_prompt = True
    params.endpoint_metrics = True
    server = xllamacpp.Server(params)
    print(f"listening {server.listening_address}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    del server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trialsift.pipeline.llama_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=16384)
    parser.add_argument("--alias", default="local")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args(argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    serve(args.model, args.port, args.threads, args.ctx, args.alias, args.batch, args.parallel)
    return 0


if __name__ == "__main__":
    sys.exit(main())

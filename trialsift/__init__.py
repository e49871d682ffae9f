"""trialsift: noisy clinical-trial documents in, a clean, grounded, queryable trial database out.

The public API (the `trialsift` command is a thin layer over it):

- ``extract(source, *, model=None, no_llm=False, kind=None)`` -> ``Extraction`` (a list of them for
  a list of sources): one document (a path, a string of text or HTML), no database. An
  ``Extraction`` has ``record`` (a ``TrialRecord``), ``evidence`` (``Evidence``: field, value, start,
  end, quote, method), ``refused`` (``Refusal``: what grounding refused and why), ``usage``
  (``Usage``: calls and tokens), ``status`` and ``error``.
- ``Database(path)``: ``extract(paths, ...)`` (the batch run, resumable) -> ``RunSummary``;
  ``trials()``, ``trial(id)`` -> ``Trial``; ``sql(query)`` (read-only) -> rows as dicts;
  ``export(output, format=...)``; ``review(id)`` -> HTML; ``evaluate(...)`` -> ``EvalRun``;
  ``compare(a, b)``; ``combine(shards)``; ``load(results)`` (a Ray job's Parquet results).
- ``extract_on_ray(paths, out, *, address=None, workers=2, concurrency=32, ...)`` -> ``RunSummary``:
  the batch run on a Ray cluster (needs the ``ray`` extra and an endpoint every worker reaches),
  into Parquet parts under ``out``; ``Database(path).load(out)`` brings them into DuckDB.
- ``LanguageModel``: the protocol a model implements (``model`` and one structured ``extract``
  call with its usage). Implementations: ``OpenAICompatibleModel`` (any OpenAI-compatible endpoint)
  and ``EmbeddedModel`` (llama.cpp's server running the packaged model). ``model=None`` means the
  endpoint of OPENAI_BASE_URL / OPENAI_API_KEY when set, else the embedded default, started and
  stopped for the call (or a warm ``trialsift serve``); a str names a model as ``--model`` does.

Everything under ``trialsift.pipeline``, ``trialsift.schemas`` and ``trialsift.prompts`` is
internal and may change between versions.
"""

from .pipeline.api import (
    CallRecord,
    Database,
    DocumentError,
    EmbeddedModel,
    EvalRun,
    Evidence,
    Extraction,
    ExtractionFailed,
    LanguageModel,
    OpenAICompatibleModel,
    Refusal,
    RunSummary,
    Trial,
    TrialRecord,
    Usage,
    extract,
    extract_on_ray,
    open_model,
)
from .pipeline.package import package_version

__version__ = package_version()

__all__ = [
    "extract", "extract_on_ray", "Extraction", "Evidence", "Refusal", "Usage",
    "Database", "Trial", "RunSummary", "EvalRun",
    "LanguageModel", "OpenAICompatibleModel", "EmbeddedModel", "open_model", "ExtractionFailed", "CallRecord",
    "TrialRecord", "DocumentError", "__version__",
]

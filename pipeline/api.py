"""trialsift's public API, re-exported by the `trialsift` package: `extract`, `Database`, the
`LanguageModel` protocol and its two implementations. The command line is a thin layer over it.

Everything here wraps the pipeline's modules (documents, extraction, runner, store, evaluation,
export, review, endpoints): no extraction logic lives in this file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from . import distributed, documents, evaluation, export, parquet_io, review, shards, store
from .endpoints import open_embedded_endpoint, open_endpoint
from .evaluation import EvalRun
from .extraction import ExtractionConfig, extract_document
from .llm import CallRecord, Endpoint, ExtractionFailed, LanguageModel, LLMClient, configured_endpoint
from .merge import DEFAULT_PRECEDENCE
from .records import Document, DocumentResult
from .runner import RunSummary, registry_record_results, run_extraction
from ..schemas.trial import TrialRecord

__all__ = [
    "extract", "Extraction", "Evidence", "Refusal", "Usage", "Database", "Trial", "LanguageModel",
    "OpenAICompatibleModel", "EmbeddedModel", "open_model", "DocumentError", "OptionError",
    "TrialRecord", "RunSummary", "EvalRun", "ExtractionFailed", "CallRecord",
]

# A str is read as text unless it names an existing file (and has no line break).
_DOCUMENT_SUFFIXES = tuple(documents.TEXT_SUFFIXES) + tuple(documents.RECORD_SUFFIXES)
_HTML_START = re.compile(r"\A\s*(?:<!doctype html|<html\b|<head\b|<body\b)", re.IGNORECASE)
TEXT_SOURCE = "<text>"  # the path an Extraction of a string gives


class OptionError(ValueError):
    """An argument is invalid (nothing was opened, started or written); the message says which."""


class DocumentError(ValueError):
    """A source that cannot be extracted as asked (e.g. a file holding several registry records
    passed alone); the message says why and what to do."""


# --------------------------------------------------------------------------- models


class OpenAICompatibleModel(LLMClient):
    """Any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, a llama.cpp server...).

    `structured_output` is "json_schema" (OpenAI, vLLM, llama-server) or "json_object_schema"
    (llama-cpp-python's server). Further keywords are LLMClient's: call_timeout_s,
    requests_per_minute, run_token_budget, transport_retries, max_output_tokens...
    """

    def __init__(self, model: str, *, base_url: Optional[str] = None, api_key: str = "not-needed",
                 structured_output: str = "json_schema", label: str = "openai-compatible", **client_options: Any):
        super().__init__(Endpoint(base_url, api_key, model, structured_output, label), **client_options)


class EmbeddedModel:
    """The embedded model: llama.cpp's server running a packaged GGUF, on this machine.

    `model` is an alias ("default", "fast"), a .gguf path, or None for the best installed one. A
    warm `trialsift serve` is reused; otherwise a server is started on first use and stopped by
    close() (or on leaving a `with` block, or with this process). Keywords are LLMClient's.
    """

    def __init__(self, model: Optional[str] = None, *, context_tokens: int = 16384, **client_options: Any):
        self._wanted = model
        self._context_tokens = context_tokens
        self._client_options = client_options
        self._client: Optional[LLMClient] = None
        self._running = contextlib.ExitStack()

    def start(self) -> "EmbeddedModel":
        """Start (or find) the server now; raises embedded.ModelError when no model is installed."""
        if self._client is None:
            endpoint = self._running.enter_context(
                open_embedded_endpoint(self._wanted, context_tokens=self._context_tokens))
            self._client = LLMClient(endpoint, **self._client_options)
        return self

    def close(self) -> None:
        """Stop the server this object started (a warm `trialsift serve` keeps running)."""
        self._client = None
        self._running.close()

    def __enter__(self) -> "EmbeddedModel":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def client(self) -> LLMClient:
        """The OpenAI-compatible client of the running server (started if needed)."""
        self.start()
        assert self._client is not None
        return self._client

    @property
    def model(self) -> str:
        return self.client.model

    @property
    def label(self) -> str:
        return self.client.label

    def extract(self, response_model, messages, *, group: str = "", chunk_sha256: str = "",
                token_budget: Optional[int] = None) -> tuple[Any, list[CallRecord]]:
        return self.client.extract(response_model, messages, group=group, chunk_sha256=chunk_sha256,
                                   token_budget=token_budget)


ModelChoice = Union[None, str, LanguageModel]


@contextlib.contextmanager
def open_model(model: ModelChoice = None, **client_options: Any) -> Iterator[LanguageModel]:
    """The model a call uses, ready, and released on leaving.

    A LanguageModel is used as it is (its owner starts and stops it). None or a name chooses as
    the command line does: the endpoint of OPENAI_BASE_URL / OPENAI_API_KEY when set (a name is
    then the remote model's), otherwise the embedded model (a name is an alias or a .gguf path),
    a warm `trialsift serve` if one runs, else a server started here and stopped on leaving.
    """
    if model is not None and not isinstance(model, str):
        if not isinstance(model, LanguageModel):
            raise TypeError(f"model must be None, a name or a LanguageModel, not {type(model).__name__}")
        yield model
        return
    with open_endpoint(model) as endpoint:
        yield LLMClient(endpoint, **client_options)


def _has_batch_api(model: ModelChoice) -> bool:
    """Whether the model a call would use is an OpenAI-compatible endpoint (the embedded one has no Batch API)."""
    if model is None or isinstance(model, str):
        return configured_endpoint(model) is not None
    return isinstance(model, LLMClient) and not model.label.startswith("embedded")


def model_label(model: LanguageModel) -> str:
    """How a run names its endpoint: the model's own label, else its class and name."""
    return getattr(model, "label", None) or f"{type(model).__name__}:{model.model}"


# --------------------------------------------------------------------------- one-off extraction


@dataclass(frozen=True)
class Evidence:
    """Where one stored value came from: offsets into the document's text and the quoted text."""

    field: str
    value: Any  # the value (for a list, the one item) in the record's JSON form
    start: int
    end: int
    quote: str
    method: str  # e.g. rule:registry_ids, llm:design, registry, grounding:placebo


@dataclass(frozen=True)
class Refusal:
    """A proposed value grounding (or validation) did not store, and why."""

    field: str
    value: Any
    method: str
    reason: str


@dataclass(frozen=True)
class Usage:
    """The LLM usage of one extraction."""

    calls: int = 0  # HTTP attempts, retries included
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_calls: int = 0  # answered from a cache instead


@dataclass(frozen=True)
class Extraction:
    """What one document yields: the record, its evidence, what was refused, the LLM usage."""

    source: str  # the file's path, or "<text>" for a string
    document_id: str  # sha256 of the document's bytes
    record: TrialRecord
    evidence: list[Evidence]
    refused: list[Refusal]
    usage: Usage
    status: str  # ok | partial (some calls failed) | failed (see error)
    error: Optional[str] = None
    method: str = "llm"  # llm | rules-only | registry-record
    text: str = ""  # the document's text, which evidence offsets point into

    @classmethod
    def from_result(cls, result: DocumentResult, source: Optional[str] = None) -> "Extraction":
        values = result.record.model_dump(mode="json")
        evidence = []
        for name, items in result.evidence.items():
            stored = values.get(name)
            for index, item in enumerate(items):
                value = stored[index] if isinstance(stored, list) and index < len(stored) else stored
                evidence.append(Evidence(name, value, item.start, item.end, item.quote,
                                         item.method or result.methods.get(name, "")))
        calls = result.calls
        return cls(
            source=source or result.document.path, document_id=result.document.id, record=result.record,
            evidence=evidence,
            refused=[Refusal(r.field, r.value, r.method, r.reason) for r in result.rejections],
            usage=Usage(len(calls), sum(c.prompt_tokens for c in calls), sum(c.completion_tokens for c in calls),
                        result.cached_calls),
            status=result.status, error=result.error, method=result.method, text=result.document.text,
        )

    @classmethod
    def failure(cls, source: str, reason: str, document_id: str = "") -> "Extraction":
        return cls(source=source, document_id=document_id, record=TrialRecord(), evidence=[], refused=[],
                   usage=Usage(), status="failed", error=reason, method="none")


Source = Union[str, Path]


def extract(source: Union[Source, Sequence[Source]], *, model: ModelChoice = None, no_llm: bool = False,
            kind: Optional[str] = None, token_budget: int = 60_000, max_bytes: int = documents.DEFAULT_MAX_BYTES,
            min_probability: float = 0.0, **client_options: Any) -> Union[Extraction, list[Extraction]]:
    """Extract one trial record from each source, without a database.

    `source` is a path (a pathlib.Path, or a str naming an existing file: .txt .md .html, or a
    registry record .json/.xml), a string of text or HTML, or a list of them (then a list comes
    back, one Extraction per document, as for a folder or a glob; a registry file may hold
    several records). `model`: None
    (the OPENAI_* endpoint if configured, else the embedded default, started and stopped here or
    reused from `trialsift serve`), a name, or any LanguageModel. `no_llm=True` uses rules and
    registry records only. A document that cannot be read or extracted gives an Extraction with
    status "failed" and the reason in `error`. `min_probability` (0 to 1, default 0: off) refuses a
    model's value whose tokens it gave a lower probability, where the server reports token
    probabilities (the embedded model); it goes to `refused` with its probability.
    """
    if kind is not None and kind not in documents.KINDS:
        raise ValueError(f"kind must be one of {', '.join(documents.KINDS)}, not '{kind}'")
    many = isinstance(source, (list, tuple))
    sources: list[Union[Path, str]] = []
    for item in (source if many else [source]):
        files = _files(item)
        many = many or files is not None and not (len(files) == 1 and files[0] == Path(item))
        sources += files if files is not None else [str(item)]
    loaded = [_load(item, kind=kind, max_bytes=max_bytes) for item in sources]
    if not many and isinstance(loaded[0], list) and len(loaded[0]) != 1:
        raise DocumentError(f"{sources[0]} holds {len(loaded[0])} registry records: pass it in a list "
                            "to get one Extraction per record")
    config = _config(token_budget=token_budget, min_value_probability=min_probability)
    needs_model = not no_llm and any(isinstance(item, Document) for item in loaded)
    with (open_model(model, **client_options) if needs_model else contextlib.nullcontext()) as llm:
        results: list[Extraction] = []
        for item in loaded:
            if isinstance(item, Extraction):
                results.append(item)
            elif isinstance(item, list):  # a registry record file: exact records, no model
                results += [Extraction.from_result(result) for result in item]
            else:
                results.append(_extract_one(item, llm, config))
    return results if many else results[0]


def _extract_one(document: Document, llm: Optional[LanguageModel], config: ExtractionConfig) -> Extraction:
    try:
        return Extraction.from_result(extract_document(document, llm, config=config))
    except Exception as error:  # as in a batch: one document's failure is reported, not raised
        return Extraction.failure(document.path, f"internal error: {type(error).__name__}: {error}"[:500],
                                  document.id)


def _load(source: Union[Path, str], *, kind: Optional[str],
          max_bytes: int) -> Union[Document, list[DocumentResult], Extraction]:
    """A source, read: a document to extract, a registry file's records, or why it failed."""
    if isinstance(source, str):
        return _text_document(source, kind)
    document = documents.read_document(source, max_bytes=max_bytes, kind=kind)
    if isinstance(document, documents.IngestFailure):
        return Extraction.failure(document.path, document.reason, document.sha256 or "")
    try:
        records = registry_record_results(document)
    except Exception as error:  # a malformed record file fails alone
        return Extraction.failure(document.path, f"unreadable registry record: {type(error).__name__}: {error}"[:500],
                                  document.id)
    return records if records is not None else document


def _files(source: Source) -> Optional[list[Path]]:
    """The files a source names (a file; a folder's or a glob's documents, as the command line
    finds them), or None when it is text. A str with a document suffix and no whitespace that
    names no file is a mistyped path, not text: FileNotFoundError."""
    if isinstance(source, Path):
        return [source] if not source.is_dir() else documents.discover([str(source)])
    if not isinstance(source, str):
        raise TypeError(f"a source is a path or a str, not {type(source).__name__}")
    if "\n" in source or len(source) > 4096 or not source.strip():
        return None
    path = Path(source).expanduser()
    if path.is_file():
        return [path]
    looks_like_a_path = not re.search(r"\s", source.strip())
    if path.is_dir() or looks_like_a_path and any(c in source for c in "*?["):
        return documents.discover([source])
    if looks_like_a_path and source.lower().endswith(_DOCUMENT_SUFFIXES):
        raise FileNotFoundError(f"no such file: {source} (pass the text itself, or an existing path)")
    return None


def _text_document(text: str, kind: Optional[str]) -> Union[Document, Extraction]:
    data = text.encode("utf-8", "surrogatepass")
    sha = hashlib.sha256(data).hexdigest()
    is_html = bool(_HTML_START.match(text))
    text = documents.universal_newlines(text)
    body = documents.html_to_text(text) if is_html else text
    if not body.strip():
        return Extraction.failure(TEXT_SOURCE, "no text" if not is_html else "no text found in the HTML", sha)
    return Document(id=sha, path=TEXT_SOURCE, text=body, media_type="text/html" if is_html else "text/plain",
                    encoding="utf-8", kind=kind, size_bytes=len(data))


# --------------------------------------------------------------------------- a database


@dataclass(frozen=True)
class Trial:
    """One merged trial: its record, the documents it came from, and any conflicts between them."""

    trial_id: str
    record: TrialRecord
    sources: list[dict]  # document_id, path, kind, link_reason
    field_sources: dict[str, str]  # field -> the document_id its value came from
    conflicts: list[dict]  # field, chosen_value, other_value, other_document


def check_precedence(precedence: Sequence[str]) -> None:
    """Raises OptionError when `precedence` names a document kind trialsift does not know."""
    unknown = set(precedence) - set(DEFAULT_PRECEDENCE)
    if unknown:
        raise OptionError(f"precedence: unknown kind(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(DEFAULT_PRECEDENCE)})")


def check_extract_arguments(paths: Sequence[str], *, model: ModelChoice = None, no_llm: bool = False,
                            kind: Optional[str] = None, precedence: Sequence[str] = DEFAULT_PRECEDENCE,
                            batch_api: bool = False) -> None:
    """Database.extract's arguments, checked before anything is opened: a bad value must not touch
    the database nor start a model. Raises OptionError."""
    if kind is not None and kind not in documents.KINDS:
        raise OptionError(f"kind must be one of {', '.join(documents.KINDS)}, not '{kind}'")
    check_precedence(precedence)
    unmatched = documents.unmatched_inputs(paths)
    if unmatched:
        raise OptionError(f"nothing to extract at {', '.join(map(repr, unmatched))}: no such file, or no "
                          "file the glob or folder holds is a document (.txt .md .html .htm, registry "
                          ".json/.xml)")
    if batch_api and not no_llm and not _has_batch_api(model):
        raise OptionError("the Batch API needs an endpoint with the OpenAI Batch API (set OPENAI_BASE_URL/"
                          "OPENAI_API_KEY); the embedded model has none")


def extract_on_ray(paths: Union[Source, Sequence[Source]], out: Union[str, Path], *, model: ModelChoice = None,
                   no_llm: bool = False, address: Optional[str] = None, workers: int = distributed.DEFAULT_WORKERS,
                   concurrency: int = distributed.DEFAULT_IN_FLIGHT, batch_size: Optional[int] = None,
                   kind: Optional[str] = None,
                   max_bytes: int = documents.DEFAULT_MAX_BYTES, force: bool = False, token_budget: int = 60_000,
                   prices: Optional[dict] = None, min_probability: float = 0.0,
                   on_total: Callable[[int], None] = lambda total: None,
                   on_progress: Callable[[str, str], None] = lambda path, status: None,
                   on_status: Callable[[str], None] = lambda message: None,
                   call_timeout_s: Optional[float] = None, requests_per_minute: Optional[float] = None,
                   run_token_budget: Optional[int] = None, prompts: Union[None, str, Path] = None) -> RunSummary:
    """`trialsift extract --engine ray`: the batch run on a Ray cluster (`address`, else $RAY_ADDRESS,
    else a new local one), `workers` actors with `concurrency` documents in flight each, into
    Parquet parts under `out`, one part a batch of `batch_size` documents (default:
    distributed.default_batch_size(concurrency)) (resumable as Database.extract is); Database.load brings them into
    DuckDB. Every worker calls the model itself, so the model must be an endpoint they all reach:
    a name with OPENAI_BASE_URL / OPENAI_API_KEY set, or an OpenAICompatibleModel."""
    paths = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    check_extract_arguments(paths, model=model, no_llm=no_llm, kind=kind)
    endpoint = None
    if not no_llm:
        if model is None or isinstance(model, str):
            endpoint = configured_endpoint(model)
        elif isinstance(model, LLMClient) and not model.label.startswith("embedded"):
            endpoint = model.endpoint
        if endpoint is None:
            raise OptionError("the ray engine needs an OpenAI-compatible endpoint every worker can reach (set "
                              "OPENAI_BASE_URL and OPENAI_API_KEY: a vLLM pool, a hosted API, a llama.cpp server); "
                              "the embedded model runs with the local engine only")
    if Path(out).exists() and not Path(out).is_dir():
        raise OptionError(f"out: {out} is a file: give a folder for the results")
    # The run-wide limits are shared out: each worker gets its part of the rate and of the token
    # budget, so all of them together stay within what was asked.
    client_options = {"call_timeout_s": call_timeout_s,
                      "requests_per_minute": requests_per_minute / workers if requests_per_minute else None,
                      "run_token_budget": max(1, run_token_budget // workers) if run_token_budget else None}
    return distributed.run_ray_extraction(
        paths, out_dir=str(out), endpoint=endpoint, endpoint_label=endpoint.label if endpoint else NO_MODEL_LABEL,
        address=address, workers=workers, in_flight=concurrency, batch_size=batch_size, client_options=client_options,
        max_bytes=max_bytes, kind=kind, prices=prices, force=force,
        config=_config(token_budget=token_budget, prompts=prompts, min_value_probability=min_probability),
        on_total=on_total, on_progress=on_progress, on_status=on_status)


class Database:
    """A trialsift DuckDB file: batch extraction into it (resumable), and reading it back.

    Every method opens the file for its own duration, so a Database object holds no lock.
    """

    def __init__(self, path: Union[str, Path] = store.DEFAULT_DB):
        self.path = str(path)

    def __repr__(self) -> str:
        return f"Database({self.path!r})"

    def extract(self, paths: Union[Source, Sequence[Source]], *, model: ModelChoice = None, no_llm: bool = False,
                concurrency: int = 1, kind: Optional[str] = None, max_bytes: int = documents.DEFAULT_MAX_BYTES,
                force: bool = False, token_budget: int = 60_000, prices: Optional[dict] = None,
                precedence: Sequence[str] = DEFAULT_PRECEDENCE, batch_api: bool = False,
                batch_poll_seconds: float = 30.0, prompts: Union[None, str, Path] = None,
                min_probability: float = 0.0,
                on_total: Callable[[int], None] = lambda total: None,
                on_progress: Callable[[str, str], None] = lambda path, status: None,
                on_status: Callable[[str], None] = lambda message: None,
                **client_options: Any) -> RunSummary:
        """`trialsift extract`: files, folders or globs into this database, then merge trials.

        Running it again skips documents already extracted with the same model and prompt and
        answers repeated LLM requests from the database's cache (a stopped run resumes). Keywords
        not listed go to the model's client (call_timeout_s, requests_per_minute, run_token_budget).
        `prompts` names a folder of prompt files to ask with instead of the shipped ones.
        `min_probability` refuses a model's value it gave a lower probability (api.extract); such a
        run is stored as its own version of each extraction.
        """
        paths = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
        check_extract_arguments(paths, model=model, no_llm=no_llm, kind=kind, precedence=precedence,
                                batch_api=batch_api)
        # Built before the model starts, so a prompt folder that cannot be read fails first.
        config = _config(token_budget=token_budget, prompts=prompts, min_value_probability=min_probability)

        def run(llm: Optional[LanguageModel], label: str) -> RunSummary:
            return run_extraction(paths, db_path=self.path, llm=llm, endpoint_label=label, concurrency=concurrency,
                                  max_bytes=max_bytes, kind=kind, config=config, prices=prices,
                                  force=force, precedence=tuple(precedence), use_batch_api=batch_api,
                                  batch_poll_s=batch_poll_seconds, on_progress=on_progress, on_total=on_total,
                                  on_status=on_status)

        if no_llm:
            return run(None, NO_MODEL_LABEL)
        with open_model(model, **client_options) as llm:
            return run(llm, model_label(llm))

    def trials(self) -> list[dict]:
        """Every merged trial as a dict: trial_id, then the record's keys (as `export` writes them)."""
        return export.stored_records(self.path, per_document=False)

    def trial(self, trial_id: str) -> Trial:
        """One merged trial, by its trial id or any of its registry ids (KeyError if none)."""
        conn = store.connect_read_only(self.path)
        try:
            try:
                trial_id = review.resolve_trial_id(conn, trial_id)
            except review.UnknownTrial as error:
                raise KeyError(str(error)) from None
            record = conn.execute("SELECT record FROM trials WHERE trial_id = ?", [trial_id]).fetchone()[0]
            sources = conn.execute(
                """SELECT s.document_id, d.path, d.kind, s.link_reason FROM trial_sources s
                   LEFT JOIN documents d USING (document_id) WHERE trial_id = ? ORDER BY s.document_id""",
                [trial_id]).fetchall()
            field_sources = conn.execute(
                "SELECT field, document_id FROM trial_field_sources WHERE trial_id = ?", [trial_id]).fetchall()
            conflicts = conn.execute(
                "SELECT field, chosen_value, other_value, other_document FROM conflicts WHERE trial_id = ?",
                [trial_id]).fetchall()
        finally:
            conn.close()
        return Trial(
            trial_id=trial_id, record=TrialRecord.model_validate(json.loads(record)),
            sources=store.as_dicts(["document_id", "path", "kind", "link_reason"], sources),
            field_sources=dict(field_sources),
            conflicts=store.as_dicts(["field", "chosen_value", "other_value", "other_document"], conflicts),
        )

    def sql(self, query: str, *, timeout: float = store.DEFAULT_QUERY_TIMEOUT_S) -> list[dict[str, Any]]:
        """One read-only SQL statement (a SELECT, or EXPLAIN of one); rows as dicts.
        Raises store.UnsafeQuery for anything else, store.QueryTimeout after `timeout` seconds."""
        return store.as_dicts(*self.query(query, timeout=timeout))

    def query(self, query: str, *, timeout: float = store.DEFAULT_QUERY_TIMEOUT_S) -> tuple[list[str], list[tuple]]:
        """As sql(), as (column names, row tuples)."""
        return store.read_only_query(self.path, query, timeout_s=timeout)

    def export(self, output: Union[None, str, Path] = None, *, format: str = "jsonl", per_document: bool = False,
               neutralize: bool = True) -> int:
        """Write the records (per trial, or per source document) as jsonl, csv or parquet, with exactly the
        contract's key names, to `output` (stdout when None; parquet needs a file). Returns how many."""
        return export.export_records(self.path, format=format, per_document=per_document,
                                     output=Path(output) if output is not None else None, neutralize=neutralize)

    def review(self, trial_id: str) -> str:
        """An HTML page showing each source document of a trial with its evidence highlighted."""
        return review.render_review(self.path, trial_id)

    def combine(self, shard_paths: Sequence[Union[str, Path]],
                precedence: Sequence[str] = DEFAULT_PRECEDENCE) -> shards.CombineSummary:
        """Copy shard databases (written by extract) into this one and merge their trials again."""
        check_precedence(precedence)
        return shards.combine_shards(self.path, [str(p) for p in shard_paths], tuple(precedence))

    def load(self, results: Union[str, Path],
             precedence: Sequence[str] = DEFAULT_PRECEDENCE) -> parquet_io.LoadSummary:
        """Bring a results folder written by extract_on_ray into this database and merge trials over
        everything (loading the same folder again changes nothing). FileNotFoundError if it holds none."""
        check_precedence(precedence)
        return parquet_io.load_results(self.path, results, tuple(precedence))

    def evaluate(self, *, corpus: Union[None, str, Path] = None, gold: Union[None, str, Path] = None,
                 model: ModelChoice = None, no_llm: bool = False, concurrency: int = 1, only: Sequence[str] = (),
                 split: Optional[str] = None, single_shot: bool = False, prompts: Union[None, str, Path] = None,
                 min_probability: float = 0.0,
                 on_total: Callable[[int], None] = lambda total: None,
                 on_progress: Callable[[str, str], None] = lambda path, status: None,
                 **client_options: Any) -> EvalRun:
        """`trialsift eval`: extract the gold documents into this database, score them field by field
        against the gold labels, store and return the run. The bundled gold labels, collected pages and
        seeds are used unless `gold` names a folder of gold files; `corpus` (or $TRIALSIFT_CORPUS)
        adds the corpus's gold documents. `prompts` names a folder of prompt files to ask with instead of
        the shipped ones (a prompt experiment: its answers are cached under its own prompt version)."""
        config = _config(strategy="single-shot" if single_shot else "pipeline", prompts=prompts,
                         min_value_probability=min_probability)

        def run(llm: Optional[LanguageModel], label: str) -> EvalRun:
            return evaluation.run_eval(Path(corpus) if corpus is not None else None, db_path=self.path, llm=llm,
                                       endpoint_label=label, concurrency=concurrency, config=config, only=only,
                                       split=split, gold_dir=Path(gold) if gold is not None else None,
                                       on_progress=on_progress, on_total=on_total)

        if no_llm:
            return run(None, NO_MODEL_LABEL)
        with open_model(model, **client_options) as llm:
            return run(llm, model_label(llm))

    def compare(self, a: str = "previous", b: str = "latest") -> evaluation.Comparison:
        """Two stored eval runs side by side (ids, 'previous', 'latest'), regressions flagged."""
        return evaluation.compare(self.path, a, b)


NO_MODEL_LABEL = "none (rules and registry records only)"


def _config(prompts: Union[None, str, Path] = None, **options: Any) -> ExtractionConfig:
    """An ExtractionConfig, with a prompt folder checked up front (FileNotFoundError naming what it lacks)
    and a probability threshold in [0, 1) (ValueError)."""
    if not 0.0 <= options.get("min_value_probability", 0.0) < 1.0:
        raise ValueError(f"min_probability must be at least 0 and below 1, not {options['min_value_probability']}")
    # An absolute path: Ray's workers read it from the driver's folder or a shared filesystem.
    config = ExtractionConfig(prompts_dir=str(Path(prompts).resolve()) if prompts is not None else None, **options)
    config.prompts()
    return config

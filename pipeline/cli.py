"""The `trialsift` command line: a thin layer over trialsift's Python API (trialsift.extract,
trialsift.Database), adding argument parsing, progress display, exit codes and printing."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import signal
import sys
from pathlib import Path
from typing import Optional

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import distributed, embedded, evaluation, store
from . import report as reporting
from .api import Database, OptionError, check_extract_arguments, extract_on_ray
from .batch_api import BatchError
from .endpoints import choose_pack
from .llm import EMBEDDED_CALL_TIMEOUT_S, REMOTE_CALL_TIMEOUT_S, configured_endpoint, redact
from .merge import DEFAULT_PRECEDENCE
from .prompting import load_prompts
from .review import UnknownTrial
from .runner import RunSummary

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
errors = Console(stderr=True)

DbOption = typer.Option(store.DEFAULT_DB, "--db", help="DuckDB file")
MinProbabilityOption = typer.Option(
    0.0, "--min-probability", min=0.0, max=0.99,
    help="Refuse (to review) a model's value whose tokens it gave a lower probability than this; needs a server "
         "that returns token probabilities (the embedded model). 0.25 measured on validation: precision "
         "0.736 -> 0.751, recall 0.600 -> 0.588 (eval/HISTORY.md). Default 0: off")

# `trialsift extract` exits 0 when every document was extracted whole (or was done before), 1 on an
# error that stopped the run, 2 on a usage error, and this when the run finished but some documents
# failed or are partial: all of it is stored, with reasons, so a script can tell the cases apart.
EXIT_SOME_DOCUMENTS_INCOMPLETE = 3
# Stopped by Ctrl-C or SIGTERM (128 + the signal's number, as shells report it).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is."""


def _raise_terminated(*_) -> None:
    raise Terminated()


def _as_option(message: str) -> str:
    """The API's argument names as the command line spells them."""
    for argument, option in (("kind must", "--kind must"), ("precedence:", "--precedence:"),
                             ("the Batch API needs", "--batch-api needs"), ("out:", "--out"),
                             ("the ray engine", "--engine ray")):
        if message.startswith(argument):
            return option + message[len(argument):]
    return message


def _precedence(option: str) -> tuple[str, ...]:
    """--precedence "registry,aggregator,news" -> ("registry", "aggregator", "news")."""
    return tuple(kind.strip() for kind in option.split(",") if kind.strip())


def _fail(message: str, code: int = 1) -> None:
    errors.print(_labelled("error:", "bold red", redact(message)))
    raise typer.Exit(code)


def _plain(value) -> Text:
    """Data (stored values, paths, reasons, model names) as literal text: rich would read
    '[...]' in it as markup, hiding text, rendering links, or raising on a stray '[/]'."""
    return Text("" if value is None else str(value))


def _labelled(label: str, style: str, data) -> Text:
    """A styled label, then data as literal text (no markup, no :emoji: codes)."""
    return Text.assemble((label, style), " ", _plain(data))


@app.command()
def extract(
    paths: list[str] = typer.Argument(..., help="Files, folders or globs (.txt .md .html, registry .json/.xml)"),
    db: str = DbOption,
    model: Optional[str] = typer.Option(None, help="Remote model name, or an embedded model (default, fast, a .gguf path)"),
    concurrency: int = typer.Option(1, min=1, help="Documents extracted at once"),
    kind: Optional[str] = typer.Option(None, help="Document kind for all inputs: press, news, registry, aggregator"),
    max_bytes: int = typer.Option(5 * 1024 * 1024, help="Refuse files larger than this"),
    force: bool = typer.Option(False, help="Re-extract documents already extracted with this model and prompt"),
    no_llm: bool = typer.Option(False, "--no-llm", help="Rules and registry records only: no model at all"),
    token_budget: int = typer.Option(60_000, min=1, help="Per-document token budget: all of a document's calls, "
                                     "retries included; a call that would go over it is not sent"),
    run_token_budget: Optional[int] = typer.Option(None, min=1, help="Token budget of the whole run (all documents); "
                                                   "once spent, no more calls are sent"),
    call_timeout: Optional[float] = typer.Option(None, "--call-timeout", min=1,
                                                 help="Seconds one LLM call may take, retries included (default "
                                                      f"{REMOTE_CALL_TIMEOUT_S:g} for a remote endpoint, "
                                                      f"{EMBEDDED_CALL_TIMEOUT_S:g} for the embedded model)"),
    prices: Optional[Path] = typer.Option(None, help="JSON price table {model: {prompt: $/1M, completion: $/1M}}"),
    precedence: str = typer.Option(",".join(DEFAULT_PRECEDENCE), help="Source precedence when documents disagree"),
    batch: bool = typer.Option(False, "--batch-api", help="Send the LLM requests as OpenAI Batch API jobs (half price, "
                               "answers within 24 h); what a batch cannot answer is asked live"),
    batch_poll_seconds: float = typer.Option(30.0, help="Seconds between Batch API status checks"),
    max_rpm: Optional[float] = typer.Option(None, "--max-rpm", min=0.001,
                                            help="At most this many LLM requests a minute (all workers together)"),
    engine: str = typer.Option("local", help="local: this process, into --db; ray: a Ray cluster, into Parquet "
                               "under --out (then `trialsift load`)"),
    address: Optional[str] = typer.Option(None, help="--engine ray: the Ray cluster (ray://HOST:10001 or HOST:6379; "
                                          "default: $RAY_ADDRESS, else a new local cluster)"),
    workers: int = typer.Option(distributed.DEFAULT_WORKERS, min=1,
                                help="--engine ray: actors extracting at once (each with --concurrency in flight)"),
    out: str = typer.Option("trialsift-results", help="--engine ray: the results folder (Parquet)"),
    batch_size: Optional[int] = typer.Option(None, min=1, help="--engine ray: documents a batch (one Parquet part; "
                                             "a lost worker redoes its batches in flight); default "
                                             f"{distributed.BATCH_ROUNDS} x --concurrency"),
    prompts: Optional[Path] = typer.Option(None, "--prompts", help="A folder of prompt files (system.md, user.md, "
                                           "fields.md) to ask with instead of the shipped ones: prompt experiments"),
    min_probability: float = MinProbabilityOption,
):
    """Extract trials from documents into DuckDB (or, with --engine ray, into Parquet), then print a summary."""
    if engine not in ("local", "ray"):
        _fail(f"--engine must be local or ray, not '{engine}'", 2)
    _check_prompts(prompts)
    try:
        check_extract_arguments(paths, model=model, no_llm=no_llm, kind=kind, precedence=_precedence(precedence),
                                batch_api=batch)
    except OptionError as error:
        _fail(_as_option(str(error)), 2)
    # A plain `kill` stops the run as Ctrl-C does: what was saved stays, the run is marked
    # interrupted and the embedded server is stopped on the way out.
    signal.signal(signal.SIGTERM, _raise_terminated)
    price_table = json.loads(prices.read_text()) if prices else None
    if engine == "ray":
        _extract_on_ray(paths, model=model, no_llm=no_llm, batch=batch, out=out, address=address, workers=workers,
                        concurrency=concurrency, batch_size=batch_size, kind=kind, max_bytes=max_bytes, force=force,
                        token_budget=token_budget, prices=price_table, requests_per_minute=max_rpm,
                        call_timeout_s=call_timeout, run_token_budget=run_token_budget, prompts=prompts,
                        min_probability=min_probability)
        return
    try:
        with _progress("extracting") as hooks:
            summary = Database(db).extract(
                paths, model=model, no_llm=no_llm, concurrency=concurrency, kind=kind, max_bytes=max_bytes,
                force=force, token_budget=token_budget, prices=price_table, precedence=_precedence(precedence),
                batch_api=batch, batch_poll_seconds=batch_poll_seconds, prompts=prompts,
                min_probability=min_probability, on_status=lambda message: console.log(_plain(message)),
                requests_per_minute=max_rpm, call_timeout_s=call_timeout, run_token_budget=run_token_budget, **hooks)
    except (embedded.ModelError, BatchError, store.DatabaseUnavailable) as error:
        _fail(str(error))
    except KeyboardInterrupt as stop:
        errors.print(_plain(f"interrupted: the documents finished so far are saved in {db} and the run is marked "
                            "interrupted; running the same command again resumes"))
        raise typer.Exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    _print_summary(summary)
    _exit_if_incomplete(summary)


def _exit_if_incomplete(summary: RunSummary) -> None:
    if summary.failed or summary.partial:
        errors.print(f"{summary.failed} failed and {summary.partial} partial of {summary.documents} documents "
                     "(reasons above and in the documents table): running the same command "
                     "again retries just those")
        raise typer.Exit(EXIT_SOME_DOCUMENTS_INCOMPLETE)


def _extract_on_ray(paths, *, out, batch, **options) -> None:
    """`extract --engine ray`: the same extraction on a Ray cluster, into Parquet under --out."""
    if batch:
        _fail("--batch-api runs on one machine: leave out --engine ray", 2)
    with Progress(*_progress_columns(), console=console) as progress:
        task = progress.add_task("extracting on Ray", total=None)
        try:
            summary = extract_on_ray(paths, out, on_total=lambda n: progress.update(task, total=n),
                                     on_progress=lambda path, status: progress.advance(task),
                                     on_status=lambda message: console.log(_plain(message)), **options)
        except OptionError as error:
            _fail(_as_option(str(error)), 2)
        except distributed.RayUnavailable as error:
            _fail(str(error))
        except KeyboardInterrupt as stop:
            errors.print(_plain(f"interrupted: the documents finished so far are saved in {out}; running the same "
                                "command again resumes"))
            raise typer.Exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
        except Exception as error:  # the cluster failed the job (a node lost beyond Ray's retries, ...)
            _fail(f"the Ray job failed: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}; "
                  f"what finished is saved in {out} and running the same command again resumes")
    _print_summary(summary, results_folder=True)
    console.print(_plain(f"load the results into DuckDB with: trialsift load {out} --db {store.DEFAULT_DB}"))
    _exit_if_incomplete(summary)


@app.command()
def combine(
    shards: list[str] = typer.Argument(..., help="Shard databases written by `trialsift extract --db`"),
    db: str = DbOption,
    precedence: str = typer.Option(",".join(DEFAULT_PRECEDENCE), help="Source precedence when documents disagree"),
):
    """Combine shard databases into one and merge their trials again (a job split across processes or machines)."""
    try:
        summary = Database(db).combine(shards, _precedence(precedence))
    except OptionError as error:
        _fail(_as_option(str(error)), 2)
    except (FileNotFoundError, ValueError, duckdb.Error, store.DatabaseUnavailable) as error:
        _fail(f"could not combine: {error}")
    console.print(_plain(f"{db}: {summary.shards} shard(s) combined: {summary.documents} documents, "
                  f"{summary.extractions} extractions, {summary.trials} trials"))


@app.command()
def load(
    results: str = typer.Argument(..., help="A results folder written by `trialsift extract --engine ray --out`"),
    db: str = DbOption,
    precedence: str = typer.Option(",".join(DEFAULT_PRECEDENCE), help="Source precedence when documents disagree"),
):
    """Load a Ray job's Parquet results into DuckDB and merge trials over everything (loading again changes nothing)."""
    try:
        summary = Database(db).load(results, _precedence(precedence))
    except OptionError as error:
        _fail(_as_option(str(error)), 2)
    except (FileNotFoundError, duckdb.Error, store.DatabaseUnavailable) as error:
        _fail(f"could not load: {error}")
    console.print(_plain(f"{db}: {summary.parts} part(s) loaded from {results}: {summary.documents} documents, "
                  f"{summary.extractions} extractions, {summary.trials} trials"))


def _progress_columns() -> tuple:
    """Documents done of all, time spent and, once a few are done, time left: a document can take a
    second against a hosted model or minutes on a slow CPU, so the estimate is what tells a user to wait."""
    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn())


@contextlib.contextmanager
def _progress(description: str, *, transient: bool = False):
    """A progress bar that says "preparing the model" until the run counts its documents; yields
    the on_total / on_progress hooks the API's batch calls take."""
    with Progress(*_progress_columns(), console=console, transient=transient) as progress:
        task = progress.add_task("preparing the model", total=None)
        yield {"on_total": lambda n: progress.update(task, description=description, total=n),
               "on_progress": lambda path, status: progress.advance(task)}


def _print_summary(s: RunSummary, results_folder: bool = False) -> None:
    table = Table(title=f"trialsift run {s.run_id}", show_header=False)
    table.add_row("results (Parquet)" if results_folder else "database", _plain(s.db_path))
    table.add_row("endpoint / model", _plain(f"{s.endpoint} / {s.model}"))
    table.add_row("prompt version", _plain(s.prompt_version))
    table.add_row("documents", f"{s.documents}: {s.ok} ok, {s.partial} partial, {s.failed} failed, {s.skipped} already done")
    table.add_row("trials in database", "merged by `trialsift load`" if results_folder else str(s.trials))
    calls = f"{s.llm_calls}"
    if s.batch_ids:
        calls += f" ({s.batch_calls} in Batch API job{'s' if len(s.batch_ids) > 1 else ''} {', '.join(s.batch_ids)})"
    table.add_row("LLM calls", f"{calls} (+{s.cached_calls} answered from cache)")
    table.add_row("tokens", f"{s.prompt_tokens} prompt + {s.completion_tokens} completion")
    if s.cost_usd:
        table.add_row("estimated cost", f"${s.cost_usd:.4f}")
    table.add_row("time", f"{s.seconds:.1f} s")
    console.print(table)
    for path, reason in s.partials:
        console.print(_labelled("partial", "yellow", f"{path}: {reason}"))
    for path, reason in s.failures:
        console.print(_labelled("failed", "red", f"{path}: {reason}"))


def _render(columns, rows, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(store.as_dicts(columns, rows), default=str, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")  # lines as a terminal and Unix tools expect them
        writer.writerow(columns)
        writer.writerows(rows)
        print(buffer.getvalue(), end="")
    else:
        table = Table()
        for column in columns:
            table.add_column(_plain(column))
        for row in rows:
            table.add_row(*map(_plain, row))
        console.print(table)


@app.command()
def sql(
    query: str = typer.Argument(..., help="One read-only SQL statement"),
    db: str = DbOption,
    format: str = typer.Option("table", "--format", help="table, csv or json"),
    timeout: float = typer.Option(store.DEFAULT_QUERY_TIMEOUT_S, "--timeout", min=0.001,
                                  help="Stop the query after this many seconds"),
):
    """Run a read-only SQL query against the database (Ctrl-C or --timeout stops it)."""
    if format not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json", 2)
    try:
        columns, rows = Database(db).query(query, timeout=timeout)
    except store.UnsafeQuery as error:
        _fail(f"refused: {error}", 2)
    except KeyboardInterrupt:
        errors.print("interrupted: the query was stopped")
        raise typer.Exit(EXIT_INTERRUPTED)
    except (FileNotFoundError, store.QueryTimeout, store.DatabaseUnavailable) as error:
        _fail(str(error))
    except Exception as error:  # duckdb's own errors are clear enough
        _fail(str(error).splitlines()[0])
    _render(columns, rows, format)


@app.command()
def show(trial_id: str = typer.Argument(..., help="A trial id (e.g. NCT04143984)"), db: str = DbOption):
    """Show one merged trial: its fields, where each came from, and any conflicts."""
    try:
        trial = Database(db).trial(trial_id)
    except (FileNotFoundError, store.DatabaseUnavailable) as error:
        _fail(str(error))
    except KeyError:
        _fail(f"no trial '{trial_id}' in {db}")
    record = trial.record.model_dump(mode="json")
    origin = {f: d[:8] for f, d in trial.field_sources.items()}
    table = Table(title=_plain(f"{trial.trial_id}  ({len(trial.sources)} source document(s))"), show_lines=False)
    table.add_column("field")
    table.add_column("value")
    table.add_column("from doc")
    for name, value in record.items():
        if value in (None, [], ""):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        table.add_row(name, _plain(text if len(text) < 400 else text[:400] + " ..."), origin.get(name, ""))
    console.print(table)
    for source in trial.sources:
        console.print(_plain(f"source {source['document_id'][:8]}  {source['kind'] or 'unknown kind'}  {source['path']}  "
                             f"(linked by {source['link_reason']})"))
    for c in trial.conflicts:
        console.print(_labelled("conflict", "yellow", f"{c['field']}: kept {c['chosen_value']}, document "
                                                      f"{c['other_document'][:8]} says {c['other_value']}"))


@app.command()
def export(
    db: str = DbOption,
    format: str = typer.Option("jsonl", "--format", help="jsonl, csv or parquet"),
    per_document: bool = typer.Option(False, "--per-document", help="One record per source document instead of per trial"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (parquet needs one); default stdout"),
    neutralize: bool = typer.Option(True, "--neutralize/--no-neutralize",
                                    help="CSV: prefix cells starting with = + - @ with ' so spreadsheets do not run them"),
):
    """Export records with exactly the contract's key names."""
    if format not in ("jsonl", "csv", "parquet"):
        _fail("--format must be jsonl, csv or parquet", 2)
    try:
        Database(db).export(output, format=format, per_document=per_document, neutralize=neutralize)
    except (ValueError, FileNotFoundError, store.DatabaseUnavailable) as error:
        _fail(str(error))


@app.command()
def runs(db: str = DbOption, limit: int = typer.Option(20, help="How many recent runs")):
    """Summarize recent runs: documents, outcomes, LLM calls, tokens, cost and time."""
    try:
        columns, rows = Database(db).query(f"""
            SELECT run_id, strftime(started_at, '%m-%d %H:%M') AS started, model, documents AS docs,
                   format('{{}}/{{}}/{{}}/{{}}', ok, partial, failed, skipped) AS "ok/part/fail/skip",
                   format('{{}}+{{}}', llm_calls, cached_calls) AS "calls+cached",
                   prompt_tokens + completion_tokens AS tokens, round(cost_usd, 4) AS "cost $",
                   round(seconds, 1) AS seconds
            FROM runs ORDER BY started_at DESC LIMIT {int(limit)}""")
    except (FileNotFoundError, store.DatabaseUnavailable) as error:
        _fail(str(error))
    _render(columns, rows, "table")


@app.command()
def models():
    """List the packaged embedded models, whether each is installed and verified, and the active endpoint."""
    table = Table("alias", "model", "installed", "verified", "size")
    for pack in embedded.MODEL_PACKS.values():
        installed = embedded.parts_installed(pack)
        table.add_row(pack.alias, _plain(pack.name), "yes" if installed else "no",
                      "yes" if embedded.is_verified(pack) else ("not yet (verified on first use)" if installed else "no"),
                      f"{pack.size / 1e6:.0f} MB")
    console.print(table)
    remote = configured_endpoint()
    if remote:
        console.print(_plain(f"active endpoint: {remote.base_url or 'https://api.openai.com/v1'} (model {remote.model}, "
                             "from OPENAI_* variables)"))
    else:
        warm = [url for url in map(embedded.running_server, embedded.MODEL_PACKS) if url]
        try:
            active = choose_pack(None).alias
        except embedded.ModelError:
            active = None
        where = f"warm server at {warm[0]}" if warm else "a server started per command"
        console.print(_plain(f"active endpoint: embedded model '{active}' ({where})" if active
                             else "active endpoint: none (no OPENAI_* variables, no embedded model installed)"))
    console.print(f"llama.cpp server installed: {'yes' if embedded.llama_server_available() else 'no'}")


@app.command()
def serve(model: Optional[str] = typer.Option(None, help="default, fast or a .gguf path")):
    """Keep the embedded model warm for repeated runs (Ctrl-C to stop)."""
    try:
        pack = choose_pack(model)
        server = embedded.LlamaServer(embedded.ensure_model(pack), pack.alias).start()
    except embedded.ModelError as error:
        _fail(str(error))
    embedded.write_server_state(server)
    console.print(_plain(f"serving '{pack.alias}' at {server.base_url} (Ctrl-C to stop)"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        embedded.clear_server_state()


@app.command()
def review(
    trial_id: str = typer.Argument(..., help="A trial id or any of its registry ids (e.g. UMIN000060367)"),
    db: str = DbOption,
    html: Path = typer.Option(..., "--html", help="HTML file to write"),
):
    """Write an HTML page showing each source document of a trial with its evidence highlighted."""
    try:
        page = Database(db).review(trial_id)
    except (UnknownTrial, FileNotFoundError, store.DatabaseUnavailable) as error:
        _fail(str(error))
    html.write_text(page, encoding="utf-8")
    print(html)


def _check_prompts(folder: Optional[Path]) -> None:
    """A --prompts folder that cannot be read is a usage error, said before any work starts."""
    if folder is not None:
        try:
            load_prompts(folder)
        except (FileNotFoundError, UnicodeDecodeError) as error:
            _fail(f"--prompts: {error}", 2)


@app.command("eval")
def eval_(
    corpus: Optional[Path] = typer.Option(None, help="Corpus root (default $TRIALSIFT_CORPUS, or ../shared/corpus "
                                                     "beside a checkout); without one, the collected pages and the "
                                                     "bundled seeds are scored"),
    gold: Optional[Path] = typer.Option(None, help="Folder of gold label files to score against instead of the "
                                                   "bundled ones (format: eval/README.md in the repository)"),
    db: str = typer.Option(evaluation.DEFAULT_EVAL_DB, "--db", help="DuckDB file for eval runs and their extractions"),
    model: Optional[str] = typer.Option(None, help="Remote model name, or an embedded model (default, fast, a .gguf path)"),
    concurrency: int = typer.Option(1, min=1, help="Documents extracted at once"),
    report: Optional[Path] = typer.Option(None, help="Folder to write eval-report.md and its F1 chart into"),
    no_llm: bool = typer.Option(False, "--no-llm", help="Rules and registry records only: no model at all"),
    compare: Optional[tuple[str, str]] = typer.Option(
        None, "--compare", help="Compare two stored eval runs A B (ids, 'previous', 'latest') instead of running one"),
    only: list[str] = typer.Option([], help="Score only the gold documents whose source matches this glob "
                                            "(repeatable), e.g. 'seeds/*'"),
    split: Optional[str] = typer.Option(None, help="Score one split only: dev or validation (default both)"),
    single_shot: bool = typer.Option(False, "--single-shot", help="Baseline: the whole raw document and every key in "
                                     "one call (no cleaning, sections or rules), to measure what the pipeline adds"),
    prompts: Optional[Path] = typer.Option(None, "--prompts", help="A folder of prompt files (system.md, user.md, "
                                           "fields.md) to ask with instead of the shipped ones: prompt experiments"),
    min_probability: float = MinProbabilityOption,
):
    """Score extraction against the gold labels (eval/gold), store the run, and print per-field scores."""
    if compare and all(compare):
        try:
            reporting.print_comparison(Database(db).compare(*compare), console)
        except evaluation.EvalError as error:
            _fail(str(error))
        return
    _check_prompts(prompts)
    try:
        with _progress("extracting the gold documents", transient=True) as hooks:
            result = Database(db).evaluate(corpus=corpus, gold=gold, model=model, no_llm=no_llm,
                                           concurrency=concurrency, only=only, split=split,
                                           single_shot=single_shot, prompts=prompts,
                                           min_probability=min_probability, **hooks)
    except (embedded.ModelError, evaluation.EvalError, store.DatabaseUnavailable) as error:
        _fail(str(error))
    reporting.print_eval(result, console)
    if report:
        files = reporting.write_report(result, report)
        console.print(_plain(f"report: {files.markdown}" + (f" (chart {files.chart})" if files.chart else f" ({files.note})")))


if __name__ == "__main__":
    app()

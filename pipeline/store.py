"""Store: a DuckDB file with normalized tables, a flat view, and forward migrations.

Writes are idempotent: documents are keyed by content hash, extractions by
(document, model, prompt version, schema version), and the trial tables are
rebuilt from the latest extraction of every document, so re-running the same
documents never duplicates anything. `read_only_query` is what `trialsift sql`
uses: a read-only connection without file access, plus DuckDB's own parse of the statement.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

import duckdb

from .confidence import probability_of
from .merge import MergedTrial, SourceDocument, merge_all
from .records import DocumentResult
from ..schemas.trial import SCHEMA_VERSION, TrialRecord

DEFAULT_DB = "trialsift.duckdb"

# Each migration moves the schema forward one version; never edit a released one.
MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, command VARCHAR,
        endpoint VARCHAR, model VARCHAR, prompt_version VARCHAR, schema_version VARCHAR, git_commit VARCHAR,
        documents INTEGER, ok INTEGER, partial INTEGER, failed INTEGER, skipped INTEGER,
        llm_calls INTEGER, cached_calls INTEGER, prompt_tokens BIGINT, completion_tokens BIGINT,
        cost_usd DOUBLE, seconds DOUBLE, status VARCHAR
    );
    CREATE TABLE documents (
        document_id VARCHAR PRIMARY KEY, path VARCHAR, url VARCHAR, kind VARCHAR, media_type VARCHAR,
        encoding VARCHAR, size_bytes BIGINT, text VARCHAR, status VARCHAR, reason VARCHAR,
        last_run_id VARCHAR, updated_at TIMESTAMP
    );
    CREATE TABLE extractions (
        document_id VARCHAR, model VARCHAR, prompt_version VARCHAR, schema_version VARCHAR,
        run_id VARCHAR, method VARCHAR, status VARCHAR, error VARCHAR, failed_groups VARCHAR[],
        record JSON, extracted_at TIMESTAMP,
        PRIMARY KEY (document_id, model, prompt_version, schema_version)
    );
    CREATE TABLE evidence (
        document_id VARCHAR, model VARCHAR, prompt_version VARCHAR, field VARCHAR, item INTEGER,
        value JSON, start_offset INTEGER, end_offset INTEGER, quote VARCHAR, method VARCHAR
    );
    CREATE TABLE review (
        document_id VARCHAR, model VARCHAR, prompt_version VARCHAR, field VARCHAR, value JSON,
        method VARCHAR, reason VARCHAR, run_id VARCHAR
    );
    CREATE TABLE llm_calls (
        run_id VARCHAR, document_id VARCHAR, field_group VARCHAR, chunk_sha256 VARCHAR, model VARCHAR,
        attempt INTEGER, outcome VARCHAR, prompt_tokens INTEGER, completion_tokens INTEGER,
        latency_ms DOUBLE, cost_usd DOUBLE, error VARCHAR, called_at TIMESTAMP
    );
    CREATE TABLE llm_cache (
        key VARCHAR PRIMARY KEY, value JSON, model VARCHAR, prompt_version VARCHAR, created_at TIMESTAMP
    );
    CREATE TABLE trials (
        trial_id VARCHAR PRIMARY KEY, record JSON, public_title VARCHAR, scientific_title VARCHAR,
        acronym VARCHAR, study_type VARCHAR, allocation VARCHAR, masking VARCHAR,
        intervention_model VARCHAR, primary_sponsor VARCHAR, target_enrollment INTEGER,
        min_age_years DOUBLE, max_age_years DOUBLE, sex VARCHAR, healthy_volunteers BOOLEAN,
        recruitment_status VARCHAR, registration_date VARCHAR, start_date VARCHAR,
        primary_completion_date VARCHAR, completion_date VARCHAR, ethics_review VARCHAR,
        ipd_sharing VARCHAR, source_count INTEGER
    );
    CREATE TABLE trial_sources (trial_id VARCHAR, document_id VARCHAR, link_reason VARCHAR);
    CREATE TABLE trial_field_sources (trial_id VARCHAR, field VARCHAR, document_id VARCHAR);
    CREATE TABLE conflicts (
        trial_id VARCHAR, field VARCHAR, chosen_value JSON, chosen_document VARCHAR,
        other_value JSON, other_document VARCHAR
    );
    CREATE TABLE registry_ids (trial_id VARCHAR, registry VARCHAR, id VARCHAR);
    CREATE TABLE phases (trial_id VARCHAR, phase VARCHAR);
    CREATE TABLE conditions (trial_id VARCHAR, condition VARCHAR);
    CREATE TABLE interventions (trial_id VARCHAR, name VARCHAR, type VARCHAR, description VARCHAR);
    CREATE TABLE arms (trial_id VARCHAR, label VARCHAR, type VARCHAR, description VARCHAR);
    CREATE TABLE outcomes (trial_id VARCHAR, kind VARCHAR, measure VARCHAR, time_frame VARCHAR);
    CREATE TABLE criteria (trial_id VARCHAR, kind VARCHAR, ordinal INTEGER, text VARCHAR);
    CREATE TABLE organizations (trial_id VARCHAR, role VARCHAR, name VARCHAR);
    CREATE TABLE countries (trial_id VARCHAR, country VARCHAR);
    CREATE TABLE sites (trial_id VARCHAR, name VARCHAR, city VARCHAR, country VARCHAR);
    CREATE TABLE contacts (
        trial_id VARCHAR, name VARCHAR, role VARCHAR, affiliation VARCHAR, email VARCHAR, phone VARCHAR
    );
    CREATE VIEW trials_flat AS
    SELECT t.trial_id,
           (SELECT string_agg(r.registry || ':' || r.id, '; ' ORDER BY r.registry, r.id) FROM registry_ids r WHERE r.trial_id = t.trial_id) AS registry_ids,
           t.public_title, t.scientific_title, t.acronym,
           (SELECT string_agg(c.condition, '; ') FROM conditions c WHERE c.trial_id = t.trial_id) AS conditions,
           t.study_type,
           (SELECT string_agg(p.phase, '/' ORDER BY p.phase) FROM phases p WHERE p.trial_id = t.trial_id) AS phases,
           t.allocation, t.masking, t.intervention_model,
           (SELECT string_agg(i.name, '; ') FROM interventions i WHERE i.trial_id = t.trial_id) AS interventions,
           t.primary_sponsor,
           (SELECT string_agg(c.country, ', ' ORDER BY c.country) FROM countries c WHERE c.trial_id = t.trial_id) AS countries,
           t.target_enrollment, t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers,
           t.recruitment_status, t.registration_date, t.start_date, t.primary_completion_date,
           t.completion_date, t.source_count
    FROM trials t;
    """,
    # 2: evaluation runs against the gold set (pipeline/evaluation.py). Field '_micro' and
    # '_macro' rows in eval_field_scores are the summary rows; kind is 'all' or a document kind.
    """
    CREATE TABLE eval_runs (
        eval_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, model VARCHAR, endpoint VARCHAR,
        prompt_version VARCHAR, schema_version VARCHAR, git_commit VARCHAR, corpus VARCHAR,
        documents INTEGER, micro_precision DOUBLE, micro_recall DOUBLE, micro_f1 DOUBLE,
        macro_f1 DOUBLE, hallucination_rate DOUBLE, notes VARCHAR, run_id VARCHAR
    );
    CREATE TABLE eval_field_scores (
        eval_id VARCHAR, kind VARCHAR, field VARCHAR, documents INTEGER, tp INTEGER, fp INTEGER,
        fn INTEGER, precision DOUBLE, recall DOUBLE, f1 DOUBLE, hallucinations INTEGER,
        gold_empty INTEGER, hallucination_rate DOUBLE
    );
    CREATE TABLE eval_document_results (
        eval_id VARCHAR, document_id VARCHAR, source VARCHAR, kind VARCHAR, field VARCHAR,
        predicted JSON, gold JSON, tp INTEGER, fp INTEGER, fn INTEGER, hallucinated BOOLEAN
    );
    """,
    # 3: trials_flat becomes a table rebuilt with the trial tables: as a view its correlated
    # string_agg subqueries were recomputed for every trial on every query (seconds at 100k trials).
    """
    DROP VIEW trials_flat;
    CREATE TABLE trials_flat (
        trial_id VARCHAR PRIMARY KEY, registry_ids VARCHAR, public_title VARCHAR, scientific_title VARCHAR,
        acronym VARCHAR, conditions VARCHAR, study_type VARCHAR, phases VARCHAR, allocation VARCHAR,
        masking VARCHAR, intervention_model VARCHAR, interventions VARCHAR, primary_sponsor VARCHAR,
        countries VARCHAR, target_enrollment INTEGER, min_age_years DOUBLE, max_age_years DOUBLE, sex VARCHAR,
        healthy_volunteers BOOLEAN, recruitment_status VARCHAR, registration_date VARCHAR, start_date VARCHAR,
        primary_completion_date VARCHAR, completion_date VARCHAR, source_count INTEGER
    );
    """,
    # 4: OpenAI Batch API jobs (pipeline/batch_api.py). A job is recorded before it is polled, so a
    # killed run resumes polling it instead of paying for it twice; ledger rows say which API they used.
    """
    ALTER TABLE llm_calls ADD COLUMN api VARCHAR DEFAULT 'chat';
    CREATE TABLE batch_jobs (
        batch_id VARCHAR PRIMARY KEY, run_id VARCHAR, base_url VARCHAR, model VARCHAR, prompt_version VARCHAR,
        input_file_id VARCHAR, requests INTEGER, status VARCHAR, output_file_id VARCHAR, error_file_id VARCHAR,
        submitted_at TIMESTAMP, finished_at TIMESTAMP, ingested BOOLEAN DEFAULT false
    );
    CREATE TABLE batch_requests (
        batch_id VARCHAR, custom_id VARCHAR, document_id VARCHAR, field_group VARCHAR, fields VARCHAR[],
        chunk_sha256 VARCHAR
    );
    """,
    # 5: prompt tokens a server answered from its prompt cache (OpenAI's usage.prompt_tokens_details),
    # so a run's ledger tells what the model really had to read.
    """
    ALTER TABLE llm_calls ADD COLUMN cached_prompt_tokens BIGINT DEFAULT 0;
    """,
    # 6: eval scores per split (pipeline/eval_split.py: 'all', 'dev', 'validation') with bootstrap 95%
    # intervals of F1; each scored document's site and split.
    """
    ALTER TABLE eval_field_scores ADD COLUMN split VARCHAR DEFAULT 'all';
    ALTER TABLE eval_field_scores ADD COLUMN f1_low DOUBLE;
    ALTER TABLE eval_field_scores ADD COLUMN f1_high DOUBLE;
    ALTER TABLE eval_document_results ADD COLUMN site VARCHAR;
    ALTER TABLE eval_document_results ADD COLUMN split VARCHAR;
    """,
    # 7: how sure the model was of a value it proposed (pipeline/confidence.py; NULL for values code
    # found, and where the server reports no token probabilities): a review queue can start there.
    """
    ALTER TABLE evidence ADD COLUMN probability DOUBLE;
    """,
]

def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened for this command: said in one line."""


def _open(path: str | Path, **options) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, with why it failed in one line (held by another process, not a database
    file, a folder, a folder that does not exist) instead of a traceback."""
    if Path(path).is_dir():
        raise DatabaseUnavailable(f"cannot open the database {path}: it is a folder (give a file with --db)")
    try:
        return duckdb.connect(str(path), **options)
    except duckdb.Error as error:
        raise DatabaseUnavailable(f"cannot open the database {path}: {str(error).splitlines()[0]}") from None


def connect(path: str | Path = DEFAULT_DB) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the database to the current schema version.
    Refuses a database written by a newer trialsift (its schema is unknown here) and a DuckDB
    file of some other program (nothing is added to it)."""
    conn = _open(path)
    try:
        _check_ours(conn, path)
    except BaseException:
        conn.close()
        raise
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, sql in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        conn.execute("BEGIN")
        conn.execute(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, _now()])
        conn.execute("COMMIT")
    return conn


def _check_ours(conn, path) -> None:
    tables = {row[0] for row in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if not tables:
        return  # a new database
    if "schema_migrations" not in tables:
        raise DatabaseUnavailable(f"{path} is a DuckDB database but not trialsift's (no schema_migrations table): "
                                  "give another file with --db")
    newest = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0
    if newest > len(MIGRATIONS):
        raise DatabaseUnavailable(f"{path} has schema version {newest}, newer than this trialsift knows "
                                  f"({len(MIGRATIONS)}): upgrade trialsift to use it")


def schema_version(conn) -> int:
    return conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]


# --- the LLM response cache ------------------------------------------------------------------


class DuckDBCache:
    """The response cache, keyed by (document, chunk, fields, prompt version, schema version, model).

    The keys of one model and prompt version are read once, so that a document never asked
    before (every document of a first run) costs no query; a lookup costs about a millisecond,
    a tenth of the pipeline's CPU per document. Worker threads share it; DuckDB cursors are
    per-thread, so each lookup opens its own. A key is a sha256 digest, so 64 bytes a key.
    """

    def __init__(self, conn, *, model: str, prompt_version: str):
        self.conn = conn
        self.model, self.prompt_version = model, prompt_version
        self._keys = {row[0] for row in conn.execute(
            "SELECT key FROM llm_cache WHERE model = ? AND prompt_version = ?", [model, prompt_version]).fetchall()}

    def get(self, key: str) -> Optional[str]:
        if key not in self._keys:
            return None
        # The key is inlined, not bound: binding a parameter makes DuckDB try to import pandas
        # each time. It was read from the table above, so it is a sha256 digest, safe to inline.
        row = self.conn.cursor().execute(f"SELECT value FROM llm_cache WHERE key = '{key}'").fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self.conn.cursor().execute("INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?)",
                                   [key, value, self.model, self.prompt_version, _now()])
        self._keys.add(key)


# --- writing ---------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _column_types(table: str) -> dict[str, str]:
    """Column name -> type of a table, as the migrations define it (read once, from an
    in-memory database migrated the same way, instead of on every insert)."""
    conn = duckdb.connect(":memory:")
    try:
        for sql in MIGRATIONS:
            conn.execute(sql)
        declared = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall()
    finally:
        conn.close()
    return {name: "VARCHAR" if data_type == "JSON" else data_type for name, data_type in declared}


def insert_rows(conn, table: str, rows: list, *, verb: str = "INSERT") -> None:
    """Many rows in one statement, sent as one JSON document.

    Rows are dicts by column name, or lists in the table's column order. DuckDB's
    executemany converts every parameter on its own (trying to import pandas each
    time), which costs seconds per thousand rows; one JSON document costs milliseconds.
    `verb` may be "INSERT OR REPLACE" for tables with a primary key.
    """
    if not rows:
        return
    types = _column_types(table)
    if not isinstance(rows[0], dict):
        rows = [dict(zip(types, row)) for row in rows]
    structure = json.dumps([{name: types[name] for name in rows[0]}])
    conn.execute(
        f"{verb} INTO {table} BY NAME SELECT unnest(from_json(?, ?), recursive := true)",
        [_valid_unicode(json.dumps(rows, default=str, ensure_ascii=False)), structure],
    )


def _valid_unicode(text: str) -> str:
    """DuckDB refuses text with lone surrogates (what Python makes of undecodable bytes in a
    file name); they become U+FFFD so one odd name cannot roll back a whole save group."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text)


def storable_path(path: str) -> str:
    """A path as valid text: bytes of a file name that are not UTF-8 are written as \\xNN, so the
    name stays readable and distinct instead of failing the save."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def record_document_failure(conn, *, document_id: str, path: str, reason: str, size_bytes: int, run_id: str) -> None:
    conn.execute(
        """INSERT OR REPLACE INTO documents (document_id, path, size_bytes, status, reason, last_run_id, updated_at)
           VALUES (?, ?, ?, 'failed', ?, ?, ?)""",
        [document_id, storable_path(path), size_bytes, _valid_unicode(reason), run_id, _now()],
    )


def extracted_documents(conn, model: str, prompt_version: str) -> set[str]:
    """Ids of the documents already extracted (status ok) with this model, prompt and schema version."""
    rows = conn.execute(
        """SELECT document_id FROM extractions WHERE model = ? AND prompt_version = ? AND schema_version = ?
           AND status = 'ok'""",
        [model, prompt_version, SCHEMA_VERSION],
    ).fetchall()
    return {row[0] for row in rows}


def save_document_results(conn, results: list[DocumentResult], *, run_id: str, model: str, prompt_version: str,
                          prices=None) -> None:
    """Everything a group of documents produced, in one transaction (a crash leaves all or none
    of them); a handful of statements whatever the group's size."""
    if not results:
        return
    results = list({result.document.id: result for result in results}.values())  # same bytes twice: saved once
    now = _now()
    document_rows, extraction_rows, evidence_rows, review_rows, calls, answers = [], [], [], [], [], []
    for result in results:
        doc = result.document
        key = {"document_id": doc.id, "model": model, "prompt_version": prompt_version}
        document_rows.append({
            "document_id": doc.id, "path": storable_path(doc.path), "url": doc.url,
            "kind": doc.kind or ("registry-record" if result.method == "registry-record" else None),
            "media_type": doc.media_type, "encoding": doc.encoding, "size_bytes": doc.size_bytes, "text": doc.text,
            "status": result.status, "reason": result.error, "last_run_id": run_id, "updated_at": now})
        extraction_rows.append(key | {
            "schema_version": SCHEMA_VERSION, "run_id": run_id, "method": result.method, "status": result.status,
            "error": result.error, "failed_groups": result.failed_groups, "record": result.record.model_dump_json(),
            "extracted_at": now})
        values = result.record.model_dump(mode="json")
        for name, items in result.evidence.items():
            stored = values.get(name)
            for index, ev in enumerate(items):
                value = stored[index] if isinstance(stored, list) and index < len(stored) else stored
                method = ev.method or result.methods.get(name, "")
                evidence_rows.append(key | {
                    "field": name, "item": index, "value": json.dumps(value), "start_offset": ev.start,
                    "end_offset": ev.end, "quote": ev.quote, "method": method,
                    "probability": probability_of(result.value_probabilities, name, value)
                    if method.startswith("llm") else None})
        review_rows += [key | {"field": r.field, "value": json.dumps(r.value, default=str), "method": r.method,
                               "reason": r.reason, "run_id": run_id} for r in result.rejections]
        calls += result.calls
        answers += [{"key": a.key, "value": a.value, "model": a.model, "prompt_version": a.prompt_version,
                     "created_at": now} for a in result.new_answers]
    ids = [result.document.id for result in results]
    conn.execute("BEGIN")
    try:
        insert_rows(conn, "documents", document_rows, verb="INSERT OR REPLACE")
        insert_rows(conn, "extractions", extraction_rows, verb="INSERT OR REPLACE")
        for table in ("evidence", "review"):
            conn.execute(f"DELETE FROM {table} WHERE model = ? AND prompt_version = ? AND "
                         "document_id IN (SELECT unnest(from_json(?, '[\"VARCHAR\"]')))",
                         [model, prompt_version, json.dumps(ids)])  # a list parameter: two pandas imports tried per item
        insert_rows(conn, "evidence", evidence_rows)
        insert_rows(conn, "review", review_rows)
        insert_calls(conn, calls, run_id=run_id, prices=prices)
        insert_rows(conn, "llm_cache", list({row["key"]: row for row in answers}.values()), verb="INSERT OR REPLACE")
        conn.execute("COMMIT")
    except BaseException:  # Ctrl-C too: the connection must stay usable to save the rest
        conn.execute("ROLLBACK")
        raise


def call_cost(call, prices: Optional[dict]) -> float:
    """Cost from a price table {model: {"prompt": $/1M tokens, "completion": $/1M tokens,
    "batch_factor": 0.5}}; Batch API calls cost batch_factor (default half) of the live price."""
    price = (prices or {}).get(call.model)
    if not price:
        return 0.0
    cost = (call.prompt_tokens * price.get("prompt", 0) + call.completion_tokens * price.get("completion", 0)) / 1e6
    return cost * price.get("batch_factor", 0.5) if call.api == "batch" else cost


def insert_calls(conn, calls: list, *, run_id: str, prices=None) -> None:
    """Rows of the llm_calls ledger."""
    now = _now()
    insert_rows(conn, "llm_calls", [
        {"run_id": run_id, "document_id": c.document_id, "field_group": c.group, "chunk_sha256": c.chunk_sha256,
         "model": c.model, "attempt": c.attempt, "outcome": c.outcome, "prompt_tokens": c.prompt_tokens,
         "completion_tokens": c.completion_tokens, "cached_prompt_tokens": c.cached_prompt_tokens,
         "latency_ms": c.latency_ms, "cost_usd": call_cost(c, prices),
         "error": c.error, "called_at": now, "api": c.api}
        for c in calls])


# --- Batch API jobs ----------------------------------------------------------------------------


def record_batch_job(conn, *, batch: dict, run_id: str, base_url: str, model: str, prompt_version: str,
                     requests: list[dict]) -> None:
    """A submitted batch and what each of its lines asks for, in one transaction."""
    conn.execute("BEGIN")
    try:
        conn.execute(
            "INSERT INTO batch_jobs (batch_id, run_id, base_url, model, prompt_version, input_file_id, requests, "
            "status, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch["id"], run_id, base_url, model, prompt_version, batch["input_file_id"], len(requests),
             batch["status"], _now()])
        insert_rows(conn, "batch_requests", [{"batch_id": batch["id"], **request} for request in requests])
        conn.execute("COMMIT")
    except BaseException:  # Ctrl-C too: the connection must stay usable to save the rest
        conn.execute("ROLLBACK")
        raise


def update_batch_job(conn, batch: dict, *, ingested: bool = False) -> None:
    conn.execute(
        "UPDATE batch_jobs SET status = ?, output_file_id = ?, error_file_id = ?, ingested = ?, "
        "finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE batch_id = ?",
        [batch["status"], batch.get("output_file_id"), batch.get("error_file_id"), ingested, ingested, _now(),
         batch["id"]])


def unfinished_batch_jobs(conn, *, base_url: str, model: str) -> list[str]:
    """Batches submitted to this endpoint whose answers were never ingested (a killed run's)."""
    rows = conn.execute(
        "SELECT batch_id FROM batch_jobs WHERE NOT ingested AND base_url = ? AND model = ? ORDER BY submitted_at",
        [base_url, model]).fetchall()
    return [row[0] for row in rows]


def batch_requests(conn, batch_id: str) -> dict[str, dict]:
    """custom_id -> what that line asked for."""
    rows = conn.execute(
        "SELECT custom_id, document_id, field_group, fields, chunk_sha256 FROM batch_requests WHERE batch_id = ?",
        [batch_id]).fetchall()
    return {row[0]: {"document_id": row[1], "field_group": row[2], "fields": tuple(row[3]), "chunk_sha256": row[4]}
            for row in rows}


def latest_records(conn) -> list[tuple[str, str, TrialRecord]]:
    """(document_id, kind, record) for the newest extraction of every document that has one."""
    rows = conn.execute(
        """SELECT e.document_id, coalesce(d.kind, CASE WHEN e.method = 'registry-record' THEN 'registry-record' END, 'unknown'),
                  e.record
           FROM extractions e JOIN documents d USING (document_id)
           WHERE e.status IN ('ok', 'partial')
           QUALIFY row_number() OVER (PARTITION BY e.document_id ORDER BY e.extracted_at DESC) = 1
           ORDER BY e.document_id"""
    ).fetchall()
    return [(doc_id, kind, TrialRecord.model_validate_json(record)) for doc_id, kind, record in rows]


_TRIAL_TABLES = ("trials", "trial_sources", "trial_field_sources", "conflicts", "registry_ids", "phases",
                 "conditions", "interventions", "arms", "outcomes", "criteria", "organizations", "countries",
                 "sites", "contacts")


# How merged trials reach the trial tables: Python writes one line per trial (its record exactly as
# pydantic serializes it, plus how it was merged) to a temp NDJSON file; DuckDB reads it in parallel,
# parses each record once into a struct (json_transform) and projects every table out of it in SQL.
# The record stays the one source of truth, and 100,000 trials take seconds (bench/duckdb_scale.py).
_MERGED_COLUMNS = "{trial_id: 'VARCHAR', record: 'JSON', sources: 'JSON', field_sources: 'JSON', conflicts: 'JSON'}"
_SCALAR_COLUMNS = ("public_title", "scientific_title", "acronym", "study_type", "allocation", "masking",
                   "intervention_model", "primary_sponsor", "target_enrollment", "min_age_years", "max_age_years",
                   "sex", "healthy_volunteers", "recruitment_status", "registration_date", "start_date",
                   "primary_completion_date", "completion_date", "ethics_review", "ipd_sharing")
_TEXT_LISTS = ("phases", "conditions", "countries", "secondary_sponsors", "funders", "collaborators",
               "inclusion_criteria", "exclusion_criteria")
_ITEM_LISTS = {
    "registry_ids": ("registry", "id"), "interventions": ("name", "type", "description"),
    "arms": ("label", "type", "description"), "primary_outcomes": ("measure", "time_frame"),
    "secondary_outcomes": ("measure", "time_frame"), "sites": ("name", "city", "country"),
    "contacts": ("name", "role", "affiliation", "email", "phone"),
}


@lru_cache(maxsize=None)
def _record_structure() -> str:
    """The json_transform structure of a TrialRecord, with the trials table's column types."""
    types = _column_types("trials")
    structure = {name: types[name] for name in _SCALAR_COLUMNS}
    structure |= {name: ["VARCHAR"] for name in _TEXT_LISTS}
    structure |= {name: [{key: "VARCHAR" for key in keys}] for name, keys in _ITEM_LISTS.items()}
    return json.dumps(structure)


def _unnest(field: str, keys: tuple[str, ...]) -> str:
    return (f"SELECT trial_id, {', '.join(f'x.{key}' for key in keys)} FROM "
            f"(SELECT trial_id, unnest(r.{field}) AS x FROM merged)")


_FILL_TRIAL_TABLES = (
    "INSERT INTO trials BY NAME SELECT trial_id, record, json_array_length(sources) AS source_count, "
    + ", ".join(f"r.{name}" for name in _SCALAR_COLUMNS) + " FROM merged",
    "INSERT INTO trial_sources SELECT trial_id, s->>0, s->>1 FROM "
    "(SELECT trial_id, unnest(json_extract(sources, '$[*]')) AS s FROM merged)",
    "INSERT INTO trial_field_sources SELECT trial_id, field, field_sources->>field FROM "
    "(SELECT trial_id, field_sources, unnest(json_keys(field_sources)) AS field FROM merged)",
    "INSERT INTO conflicts SELECT trial_id, c->>'field', c->'chosen_value', c->>'chosen_document', c->'other_value', "
    "c->>'other_document' FROM (SELECT trial_id, unnest(json_extract(conflicts, '$[*]')) AS c FROM merged)",
    "INSERT INTO registry_ids " + _unnest("registry_ids", _ITEM_LISTS["registry_ids"]),
    "INSERT INTO phases SELECT trial_id, unnest(r.phases) FROM merged",
    "INSERT INTO conditions SELECT trial_id, unnest(r.conditions) FROM merged",
    "INSERT INTO interventions " + _unnest("interventions", _ITEM_LISTS["interventions"]),
    "INSERT INTO arms " + _unnest("arms", _ITEM_LISTS["arms"]),
    "INSERT INTO outcomes SELECT trial_id, kind, x.measure, x.time_frame FROM "
    "(SELECT trial_id, 'primary' AS kind, unnest(r.primary_outcomes) AS x FROM merged UNION ALL "
    "SELECT trial_id, 'secondary', unnest(r.secondary_outcomes) FROM merged)",
    "INSERT INTO criteria SELECT trial_id, kind, unnest(range(len(items))), unnest(items) FROM "
    "(SELECT trial_id, 'inclusion' AS kind, r.inclusion_criteria AS items FROM merged "
    "UNION ALL SELECT trial_id, 'exclusion', r.exclusion_criteria FROM merged)",
    "INSERT INTO organizations SELECT trial_id, 'primary_sponsor', r.primary_sponsor FROM merged "
    "WHERE r.primary_sponsor IS NOT NULL",
    "INSERT INTO organizations SELECT trial_id, 'secondary_sponsor', unnest(r.secondary_sponsors) FROM merged",
    "INSERT INTO organizations SELECT trial_id, 'funder', unnest(r.funders) FROM merged",
    "INSERT INTO organizations SELECT trial_id, 'collaborator', unnest(r.collaborators) FROM merged",
    "INSERT INTO countries SELECT trial_id, unnest(r.countries) FROM merged",
    "INSERT INTO sites " + _unnest("sites", _ITEM_LISTS["sites"]),
    "INSERT INTO contacts " + _unnest("contacts", _ITEM_LISTS["contacts"]),
    # trials_flat: one row per trial, lists joined into text (what `trialsift sql` users read first).
    """INSERT INTO trials_flat
    SELECT trial_id,
           nullif(array_to_string(list_sort(list_transform(r.registry_ids, x -> x.registry || ':' || x.id)), '; '), ''),
           r.public_title, r.scientific_title, r.acronym, nullif(array_to_string(r.conditions, '; '), ''),
           r.study_type, nullif(array_to_string(list_sort(r.phases), '/'), ''), r.allocation, r.masking,
           r.intervention_model, nullif(array_to_string(list_transform(r.interventions, x -> x.name), '; '), ''),
           r.primary_sponsor, nullif(array_to_string(list_sort(r.countries), ', '), ''), r.target_enrollment,
           r.min_age_years, r.max_age_years, r.sex, r.healthy_volunteers, r.recruitment_status, r.registration_date,
           r.start_date, r.primary_completion_date, r.completion_date, json_array_length(sources)
    FROM merged""",
)


def merge_trials(conn, precedence: tuple[str, ...]) -> int:
    """Merge the newest record of every document into trials and rewrite the trial tables; the count."""
    sources = [SourceDocument(doc_id, kind, record) for doc_id, kind, record in latest_records(conn)]
    return replace_trials(conn, merge_all(sources, precedence))


def replace_trials(conn, trials: Iterable[MergedTrial]) -> int:
    """Rebuild the trial tables from merged trials (derived data: rebuilt, never appended)."""
    count = 0
    with tempfile.TemporaryDirectory(prefix="trialsift-") as folder:
        path = Path(folder) / "merged.ndjson"
        with path.open("w", encoding="utf-8") as out:
            for trial in trials:
                count += 1
                out.write(f'{{"trial_id":{json.dumps(trial.trial_id)},"record":{trial.record.model_dump_json()},'
                          f'"sources":{json.dumps(trial.sources)},"field_sources":{json.dumps(trial.field_sources)},'
                          f'"conflicts":{json.dumps(trial.conflicts, default=str)}}}\n')
        quoted = str(path).replace("'", "''")
        conn.execute("BEGIN")
        try:
            conn.execute(f"CREATE OR REPLACE TEMP TABLE merged AS SELECT *, json_transform(record, "
                         f"'{_record_structure()}') AS r FROM read_json('{quoted}', "
                         f"format = 'newline_delimited', columns = {_MERGED_COLUMNS})")
            for name in _TRIAL_TABLES + ("trials_flat",):
                conn.execute(f"DELETE FROM {name}")
            for sql in _FILL_TRIAL_TABLES:
                conn.execute(sql)
            conn.execute("DROP TABLE merged")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return count


def start_run(conn, run_id: str, *, command: str, endpoint: str, model: str, prompt_version: str, git_commit: str) -> None:
    conn.execute(
        "INSERT INTO runs (run_id, started_at, command, endpoint, model, prompt_version, schema_version, git_commit, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
        [run_id, _now(), command, endpoint, model, prompt_version, SCHEMA_VERSION, git_commit],
    )


def mark_abandoned_runs(conn) -> None:
    """Runs still 'running' when a writer opens the database were killed (kill -9, a crash, a
    power cut): DuckDB lets one process write a file, so none of them is still going."""
    conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")


def finish_run(conn, run_id: str, summary: dict) -> None:
    columns = ["documents", "ok", "partial", "failed", "skipped", "llm_calls", "cached_calls",
               "prompt_tokens", "completion_tokens", "cost_usd", "seconds", "status"]
    assignments = ", ".join(f"{c} = ?" for c in columns)
    conn.execute(
        f"UPDATE runs SET finished_at = ?, {assignments} WHERE run_id = ?",
        [_now()] + [summary.get(c) for c in columns] + [run_id],
    )


# --- reading -------------------------------------------------------------------------------------

class UnsafeQuery(ValueError):
    """`trialsift sql` refuses anything but reading the database."""


class QueryTimeout(RuntimeError):
    """A query ran past its time limit and was interrupted."""


DEFAULT_QUERY_TIMEOUT_S = 60.0
# Statement types that only read. DuckDB's parser reports DESCRIBE, SHOW, SUMMARIZE, FROM-first,
# VALUES, TABLE and table-valued PRAGMAs as SELECT; EXPLAIN is allowed around a SELECT only.
_READING = {duckdb.StatementType.SELECT}


def check_read_only(sql: str) -> None:
    """Exactly one statement, which only reads, as DuckDB's own parser sees it: strings, quoted
    identifiers ('"update"'), dollar-quoted text ('$$ ; $$') and comments are tokens, never
    mistaken for statements or keywords. Reading files is stopped by the connection itself
    (connect_read_only), whatever function a query calls."""
    statements = duckdb.extract_statements(sql)  # a ParserException for what is not SQL
    if len(statements) != 1:
        raise UnsafeQuery("give exactly one statement")
    statement = statements[0]
    kind = statement.type
    if kind == duckdb.StatementType.EXPLAIN:
        inner = re.sub(r"^\s*explain(?:\s+analy[sz]e)?\b", "", statement.query, flags=re.IGNORECASE)
        try:
            inner_statements = duckdb.extract_statements(inner)
        except duckdb.Error:
            inner_statements = []
        if len(inner_statements) == 1 and inner_statements[0].type in _READING:
            return
    elif kind in _READING:
        return
    raise UnsafeQuery(f"only read-only queries are allowed (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN), "
                      f"not {kind.name}: trialsift sql is read-only")


def connect_read_only(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """A connection that can only read this database file (no files, no extensions)."""
    if not Path(db_path).exists():
        raise FileNotFoundError(f"no database at {db_path}: run `trialsift extract` first")
    return _open(db_path, read_only=True, config={"enable_external_access": False})


def read_only_query(db_path: str | Path, sql: str, *,
                    timeout_s: Optional[float] = DEFAULT_QUERY_TIMEOUT_S) -> tuple[list[str], list[tuple]]:
    """Columns and rows of one read-only statement. It runs in a worker thread so that the
    caller's thread stays free to interrupt it: at `timeout_s` (QueryTimeout) or on Ctrl-C
    (KeyboardInterrupt, raised once DuckDB has stopped), where a query running in the calling
    thread would hold it until the query ends. A file it tries to read is refused (UnsafeQuery)."""
    check_read_only(sql)
    conn = connect_read_only(db_path)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            cursor = conn.execute(sql)
            outcome["columns"] = [d[0] for d in cursor.description] if cursor.description else []
            outcome["rows"] = cursor.fetchall()
        except BaseException as error:  # handed to the calling thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="trialsift-sql", daemon=True)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.05)
                if deadline is not None and time.monotonic() >= deadline and worker.is_alive():
                    conn.interrupt()
                    worker.join()
                    raise QueryTimeout(f"the query was stopped after {timeout_s:g} s (raise the limit with --timeout)")
        except KeyboardInterrupt:
            conn.interrupt()
            worker.join()
            raise
    finally:
        conn.close()
    error = outcome.get("error")
    if isinstance(error, duckdb.PermissionException):
        raise UnsafeQuery("the query reads or writes files outside the database, which trialsift sql does not "
                          "allow") from None
    if error is not None:
        raise error
    return outcome["columns"], outcome["rows"]


def as_dicts(columns: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row)) for row in rows]

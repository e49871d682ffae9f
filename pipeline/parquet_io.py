"""Results as Parquet: what a distributed job writes, and how one DuckDB file takes it in.

DuckDB lets one process write a file, so the workers of a distributed job (pipeline.distributed)
never open the database: each group of finished documents becomes one *part*, a folder of
Parquet files, one per table (documents, extractions, evidence, review, llm_calls, llm_cache),
with exactly the rows the local runner would have saved for those documents (they are made by
the same store.save_document_results, in an in-memory DuckDB). A part is written under
DIR/.staging and renamed into DIR/parts in one step, so a worker killed while writing leaves
no half part behind: only whole parts count.

`load_results` brings a results folder into a database the way `combine` brings in a shard: a
document written twice (a batch Ray retried after its worker died once the part was written, or
a later run with --force) keeps its newest extraction, with that extraction's own evidence and
review; loading the same folder again changes nothing; then trials are merged over everything.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import duckdb

from . import merge, store
from .records import DocumentResult
from ..schemas.trial import SCHEMA_VERSION

# The tables one part holds: what store.save_document_results and record_document_failure write.
PART_TABLES = ("documents", "extractions", "evidence", "review", "llm_calls", "llm_cache")
PARTS = "parts"
STAGING = ".staging"
RUNS = "runs"


def _literal(text: str) -> str:
    """A path as an SQL string literal (COPY and read_parquet take literals, not parameters)."""
    return "'" + str(text).replace("'", "''") + "'"


def _part_glob(out_dir: str | Path, table: str) -> str:
    return str(Path(out_dir) / PARTS / "*" / f"{table}.parquet")


def has_parts(out_dir: str | Path) -> bool:
    folder = Path(out_dir) / PARTS
    return folder.is_dir() and any(folder.iterdir())


class PartWriter:
    """Turns groups of finished documents into parts under out_dir; one per worker (actor).

    The rows come from the store's own writer into an in-memory database, so a part holds the
    same rows, with the same types, as a local run's database would."""

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        (self.out_dir / PARTS).mkdir(parents=True, exist_ok=True)
        (self.out_dir / STAGING).mkdir(parents=True, exist_ok=True)
        self.conn = store.connect(":memory:")

    def write(self, results: list[DocumentResult], failures: Iterable, *, run_id: str, model: str,
              prompt_version: str, prices: Optional[dict] = None) -> Optional[str]:
        """One part for these results and ingest failures (documents.IngestFailure, with the id
        the local runner gives them); its name, or None when there was nothing to write."""
        failures = list(failures)
        if not results and not failures:
            return None
        try:
            for failure, document_id in failures:
                store.record_document_failure(self.conn, document_id=document_id, path=failure.path,
                                              reason=failure.reason, size_bytes=failure.size_bytes, run_id=run_id)
            store.save_document_results(self.conn, results, run_id=run_id, model=model,
                                        prompt_version=prompt_version, prices=prices)
            name = uuid.uuid4().hex
            staging = self.out_dir / STAGING / name
            staging.mkdir()
            for table in PART_TABLES:
                self.conn.execute(f"COPY {table} TO {_literal(staging / f'{table}.parquet')} (FORMAT parquet)")
            os.rename(staging, self.out_dir / PARTS / name)  # the part appears whole or not at all
            return name
        finally:
            for table in PART_TABLES:
                self.conn.execute(f"DELETE FROM {table}")


def write_run(out_dir: str | Path, *, run_id: str, command: str, endpoint: str, model: str, prompt_version: str,
              git_commit: str, summary: Optional[dict] = None) -> None:
    """The run's row in DIR/runs/RUN_ID.parquet: 'running' at the start, replaced at the end."""
    folder = Path(out_dir) / RUNS
    folder.mkdir(parents=True, exist_ok=True)
    conn = store.connect(":memory:")
    try:
        store.start_run(conn, run_id, command=command, endpoint=endpoint, model=model,
                        prompt_version=prompt_version, git_commit=git_commit)
        if summary is not None:
            store.finish_run(conn, run_id, summary)
        staging = Path(out_dir) / STAGING / f"{run_id}.{uuid.uuid4().hex}.parquet"
        staging.parent.mkdir(parents=True, exist_ok=True)
        conn.execute(f"COPY runs TO {_literal(staging)} (FORMAT parquet)")
        os.replace(staging, folder / f"{run_id}.parquet")
    finally:
        conn.close()


def done_documents(out_dir: str | Path, model: str, prompt_version: str) -> set[str]:
    """Ids of the documents a results folder holds as extracted (status ok) with this model,
    prompt and schema version: what a re-run skips, as store.extracted_documents does."""
    if not has_parts(out_dir):
        return set()
    conn = duckdb.connect(":memory:")
    try:
        rows = conn.execute(
            f"SELECT DISTINCT document_id FROM read_parquet({_literal(_part_glob(out_dir, 'extractions'))}) "
            "WHERE model = ? AND prompt_version = ? AND schema_version = ? AND status = 'ok'",
            [model, prompt_version, SCHEMA_VERSION]).fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows}


def cached_answers(out_dir: str | Path, model: str, prompt_version: str) -> list[tuple]:
    """Rows of llm_cache (key, value, model, prompt_version, created_at) stored in the parts that
    hold an unfinished (failed or partial) extraction with this model and prompt version: what a
    retry of those documents can reuse. Parts whose documents all finished are not read: their
    documents are skipped, so their answers would never be asked for."""
    if not has_parts(out_dir):
        return []
    conn = duckdb.connect(":memory:")
    try:
        return conn.execute(f"""
            WITH unfinished AS (
                SELECT DISTINCT parse_dirpath(filename) AS part
                FROM read_parquet({_literal(_part_glob(out_dir, 'extractions'))}, filename = true)
                WHERE model = ? AND prompt_version = ? AND status <> 'ok')
            SELECT key, value, model, prompt_version, created_at
            FROM read_parquet({_literal(_part_glob(out_dir, 'llm_cache'))}, filename = true)
            WHERE parse_dirpath(filename) IN (SELECT part FROM unfinished) AND model = ?
            QUALIFY row_number() OVER (PARTITION BY key ORDER BY created_at DESC) = 1""",
            [model, prompt_version, model]).fetchall()
    finally:
        conn.close()


def clear_staging(out_dir: str | Path) -> None:
    """Parts a killed worker was writing when it died: never renamed into parts/, so never read."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(Path(out_dir) / STAGING)


@dataclass
class LoadSummary:
    parts: int
    documents: int
    extractions: int
    trials: int


def load_results(db_path: str, out_dir: str | Path,
                 precedence: tuple[str, ...] = merge.DEFAULT_PRECEDENCE) -> LoadSummary:
    """Bring a results folder into db_path (created if needed) and merge trials over everything."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"no results folder at {out_dir}")
    if not has_parts(out_dir):
        raise FileNotFoundError(f"{out_dir} holds no results (no {PARTS}/ folder with parts: written by "
                                "`trialsift extract --engine ray --out DIR`)")
    parts = sum(1 for _ in (out_dir / PARTS).iterdir())
    conn = store.connect(db_path)
    try:
        conn.execute("BEGIN")
        try:
            _load(conn, out_dir)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        trials = store.merge_trials(conn, precedence)
        documents, extractions = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM extractions)").fetchone()
        return LoadSummary(parts=parts, documents=documents, extractions=extractions, trials=trials)
    finally:
        conn.close()


def _load(conn, out_dir: Path) -> None:
    def parts_of(table: str) -> str:
        # by name: parts written before a column was added (a job resumed across an upgrade) load too
        return f"read_parquet({_literal(_part_glob(out_dir, table))}, filename = true, union_by_name = true)"

    # The newest extraction of each (document, model, prompt, schema) in the folder, and the part
    # it came from: a batch written twice gives two equal extractions, of which one is kept, and
    # only that part's evidence and review rows.
    conn.execute(f"""
        CREATE TEMP TABLE incoming AS
        SELECT * EXCLUDE (filename), parse_dirpath(filename) AS part FROM {parts_of('extractions')}
        QUALIFY row_number() OVER (PARTITION BY document_id, model, prompt_version, schema_version
                                   ORDER BY extracted_at DESC, part DESC) = 1""")
    try:
        # As `combine` does: what the folder has newer than the database replaces it.
        conn.execute("""
            DELETE FROM incoming i USING extractions m
            WHERE (i.document_id, i.model, i.prompt_version, i.schema_version)
                = (m.document_id, m.model, m.prompt_version, m.schema_version)
              AND i.extracted_at <= m.extracted_at""")
        key = "document_id, model, prompt_version"
        for table in ("evidence", "review"):
            conn.execute(f"DELETE FROM {table} WHERE ({key}) IN (SELECT ({key}) FROM incoming)")
            conn.execute(f"""
                INSERT INTO {table} BY NAME
                SELECT t.* EXCLUDE (filename) FROM {parts_of(table)} t
                JOIN incoming i ON (t.document_id, t.model, t.prompt_version, parse_dirpath(t.filename))
                                 = (i.document_id, i.model, i.prompt_version, i.part)""")
        conn.execute("INSERT OR REPLACE INTO extractions BY NAME SELECT * EXCLUDE (part) FROM incoming")
    finally:
        conn.execute("DROP TABLE incoming")
    conn.execute(f"""
        INSERT OR REPLACE INTO documents BY NAME
        SELECT s.* FROM (
            SELECT * EXCLUDE (filename) FROM {parts_of('documents')}
            QUALIFY row_number() OVER (PARTITION BY document_id
                                       ORDER BY updated_at DESC, parse_dirpath(filename) DESC) = 1) s
        LEFT JOIN documents m USING (document_id)
        WHERE m.updated_at IS NULL OR s.updated_at > m.updated_at""")
    # The ledger: every call the folder's runs made (a batch retried after its part was written
    # really was asked twice), replacing what an earlier load of the same folder brought in.
    runs_glob = _literal(str(out_dir / RUNS / "*.parquet"))
    has_runs = (out_dir / RUNS).is_dir() and any((out_dir / RUNS).glob("*.parquet"))
    conn.execute(f"""
        CREATE TEMP TABLE folder_calls AS SELECT * EXCLUDE (filename) FROM {parts_of('llm_calls')}""")
    try:
        conn.execute("DELETE FROM llm_calls WHERE run_id IN (SELECT DISTINCT run_id FROM folder_calls)")
        conn.execute("INSERT INTO llm_calls BY NAME SELECT * FROM folder_calls")
    finally:
        conn.execute("DROP TABLE folder_calls")
    if has_runs:
        # A run still 'running' in the folder never wrote its end (its driver was killed): as
        # store.mark_abandoned_runs says of such runs, it was interrupted.
        conn.execute(f"""
            INSERT OR REPLACE INTO runs BY NAME
            SELECT * REPLACE (CASE WHEN status = 'running' THEN 'interrupted' ELSE status END AS status)
            FROM read_parquet({runs_glob})""")
    conn.execute(f"""
        INSERT OR IGNORE INTO llm_cache BY NAME
        SELECT * EXCLUDE (filename) FROM {parts_of('llm_cache')}
        QUALIFY row_number() OVER (PARTITION BY key ORDER BY created_at DESC, parse_dirpath(filename) DESC) = 1""")

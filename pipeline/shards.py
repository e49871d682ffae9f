"""Combine shard databases into one: how a job split across processes or machines ends.

A large job runs as shards, one `trialsift extract SHARD --db shard-N.duckdb` each (DuckDB allows
one writer per file). Combining copies every shard's documents, extractions, evidence, review
items, ledger, response cache and batch jobs into one database, then merges trials again over
all of them: a trial whose pages landed in different shards becomes one trial.

Combining is idempotent: a document seen in several shards (or combined twice) keeps one
extraction per model and prompt version (the newest) with that extraction's evidence and
review; a run's ledger rows are copied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import merge, store


@dataclass
class CombineSummary:
    shards: int
    documents: int
    extractions: int
    trials: int


# The key that identifies one extraction; evidence and review rows belong to it.
_EXTRACTION_KEY = "document_id, model, prompt_version"


def combine_shards(db_path: str, shard_paths: list[str],
                   precedence: tuple[str, ...] = merge.DEFAULT_PRECEDENCE) -> CombineSummary:
    """Copy each shard into db_path (created if needed), then rebuild the trial tables."""
    shards = [Path(p) for p in shard_paths]
    for shard in shards:
        if not shard.is_file():
            raise FileNotFoundError(f"no shard database at {shard}")
        if shard.resolve() == Path(db_path).resolve():
            raise ValueError(f"{shard} is the database being combined into")
        store.connect(shard).close()  # bring an older shard up to this schema version first
    conn = store.connect(db_path)
    try:
        for shard in shards:
            quoted = str(shard).replace("'", "''")  # ATTACH takes a literal, not a parameter
            conn.execute(f"ATTACH '{quoted}' AS shard (READ_ONLY)")
            try:
                conn.execute("BEGIN")
                _copy_shard(conn)
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.execute("DETACH shard")
        trials = store.merge_trials(conn, precedence)
        documents, extractions = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM extractions)").fetchone()
        return CombineSummary(shards=len(shards), documents=documents, extractions=extractions, trials=trials)
    finally:
        conn.close()


def _copy_shard(conn) -> None:
    # Extractions the shard has newer than ours replace ours, with their evidence and review.
    conn.execute("""
        CREATE TEMP TABLE incoming AS
        SELECT s.* FROM shard.extractions s
        LEFT JOIN extractions m USING (document_id, model, prompt_version, schema_version)
        WHERE m.extracted_at IS NULL OR s.extracted_at > m.extracted_at""")
    try:
        for table in ("evidence", "review"):
            conn.execute(f"DELETE FROM {table} WHERE ({_EXTRACTION_KEY}) IN (SELECT ({_EXTRACTION_KEY}) FROM incoming)")
            conn.execute(f"INSERT INTO {table} BY NAME SELECT t.* FROM shard.{table} t "
                         f"WHERE ({_EXTRACTION_KEY}) IN (SELECT ({_EXTRACTION_KEY}) FROM incoming)")
        conn.execute("INSERT OR REPLACE INTO extractions BY NAME SELECT * FROM incoming")
    finally:
        conn.execute("DROP TABLE incoming")
    conn.execute("""
        INSERT OR REPLACE INTO documents BY NAME
        SELECT s.* FROM shard.documents s LEFT JOIN documents m USING (document_id)
        WHERE m.updated_at IS NULL OR s.updated_at > m.updated_at""")
    # The ledger: a run's calls once, however often its shard is combined.
    conn.execute("INSERT INTO llm_calls BY NAME SELECT * FROM shard.llm_calls "
                 "WHERE run_id NOT IN (SELECT run_id FROM runs)")
    conn.execute("INSERT OR IGNORE INTO runs BY NAME SELECT * FROM shard.runs")
    conn.execute("INSERT OR IGNORE INTO llm_cache BY NAME SELECT * FROM shard.llm_cache")
    conn.execute("INSERT INTO batch_requests BY NAME SELECT * FROM shard.batch_requests "
                 "WHERE batch_id NOT IN (SELECT batch_id FROM batch_jobs)")
    conn.execute("INSERT OR IGNORE INTO batch_jobs BY NAME SELECT * FROM shard.batch_jobs")

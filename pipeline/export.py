"""Export: merged trials (or per-document records) with exactly the contract's keys.

Each record holds every TrialRecord key plus what identifies it: `trial_id`
for trials; `document_id` and `path` with --per-document. CSV flattens lists as JSON strings; parquet goes
through DuckDB's own writer.

CSV cells that a spreadsheet would run as a formula (text starting with =, +, -, @, a tab or a
carriage return, e.g. "=HYPERLINK(...)" from a hostile page) get a leading apostrophe, as OWASP
recommends against CSV injection; `neutralize=False` writes them raw.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path
from typing import Optional

import duckdb

from . import store
from ..schemas.trial import CONTRACT_KEYS


def stored_records(db_path: str, per_document: bool) -> list[dict]:
    """The merged trials (trial_id, then the record's keys), or each document's latest good record."""
    conn = store.connect_read_only(db_path)
    try:
        if per_document:
            rows = conn.execute(
                """SELECT e.document_id, d.path, e.record FROM extractions e JOIN documents d USING (document_id)
                   WHERE e.status IN ('ok', 'partial')
                   QUALIFY row_number() OVER (PARTITION BY e.document_id ORDER BY e.extracted_at DESC) = 1
                   ORDER BY d.path"""
            ).fetchall()
            return [{"document_id": d, "path": p, **json.loads(r)} for d, p, r in rows]
        rows = conn.execute("SELECT trial_id, record FROM trials ORDER BY trial_id").fetchall()
        return [{"trial_id": t, **json.loads(r)} for t, r in rows]
    finally:
        conn.close()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralized(cell):
    """A text cell a spreadsheet would evaluate, made inert with a leading apostrophe."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell


def export_records(db_path: str, *, format: str, per_document: bool, output: Optional[Path],
                   neutralize: bool = True) -> int:
    if format not in ("jsonl", "csv", "parquet"):
        raise ValueError("--format must be jsonl, csv or parquet")
    records = stored_records(db_path, per_document)
    ident = ["document_id", "path"] if per_document else ["trial_id"]
    columns = ident + list(CONTRACT_KEYS)
    if format == "parquet":
        if output is None:
            raise ValueError("parquet needs an output file: -o FILE.parquet")
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tmp:
            for record in records:
                tmp.write(json.dumps({k: record.get(k) for k in columns}) + "\n")
        conn = duckdb.connect()
        conn.execute(
            f"COPY (SELECT * FROM read_json_auto('{tmp.name}', format='newline_delimited')) "
            f"TO '{str(output).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)"
        )
        Path(tmp.name).unlink()
        return len(records)
    out = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if format == "jsonl":
            for record in records:
                out.write(json.dumps({k: record.get(k) for k in columns}, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out)
            writer.writerow(columns)
            for record in records:
                row = [json.dumps(record.get(k), ensure_ascii=False) if isinstance(record.get(k), (list, dict))
                       else record.get(k) for k in columns]
                writer.writerow([neutralized(cell) for cell in row] if neutralize else row)
    finally:
        if output:
            out.close()
    return len(records)

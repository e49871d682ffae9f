"""Parquet parts and `load`, without Ray: a batch written twice (what a retried batch leaves) is
loaded once; a run whose driver died is loaded as interrupted; a half-written part is never read."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from trialsift.pipeline import documents, parquet_io
from trialsift.pipeline.extraction import ExtractionConfig, extract_document
from trialsift.pipeline.prompting import load_prompts
from trialsift.pipeline.runner import failure_document_id, run_extraction
from tests.test_shards import content

RUN_ID = "parquetrun01"


def _write_parts(folder: Path, out: Path, *, twice: bool) -> None:
    """The documents of `folder`, rules only, as parts (each batch a second time if `twice`)."""
    prompt_version = ExtractionConfig().prompt_version(load_prompts())
    writer = parquet_io.PartWriter(out)
    parquet_io.write_run(out, run_id=RUN_ID, command="test", endpoint="none", model="none",
                         prompt_version=prompt_version, git_commit="test")
    read = [documents.read_document(path) for path in documents.discover([str(folder)])]
    results = [extract_document(doc, None) for doc in read if isinstance(doc, documents.Document)]
    failures = [(doc, failure_document_id(doc)) for doc in read if isinstance(doc, documents.IngestFailure)]
    for batch in (results[:2], results[2:]):
        for _ in range(2 if twice else 1):
            writer.write(batch, failures, run_id=RUN_ID, model="none", prompt_version=prompt_version)


@pytest.fixture()
def folder(tmp_path, samples_dir) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(samples_dir, docs)
    (docs / "empty.txt").write_text("")
    return docs


def test_a_batch_written_twice_is_loaded_once_and_equals_a_local_run(folder, tmp_path):
    run_extraction([str(folder)], db_path=str(tmp_path / "local.duckdb"), llm=None, endpoint_label="none")
    _write_parts(folder, tmp_path / "out", twice=True)
    assert len(list((tmp_path / "out" / "parts").iterdir())) == 4
    summary = parquet_io.load_results(str(tmp_path / "loaded.duckdb"), tmp_path / "out")
    assert (summary.parts, summary.documents, summary.extractions) == (4, 6, 5)
    local, loaded = content(tmp_path / "local.duckdb"), content(tmp_path / "loaded.duckdb")
    for table in local:
        assert loaded[table] == local[table], table
    parquet_io.load_results(str(tmp_path / "loaded.duckdb"), tmp_path / "out")
    assert content(tmp_path / "loaded.duckdb") == loaded, "loading again changes nothing"


def test_a_run_without_its_end_is_loaded_as_interrupted_and_staging_is_never_read(folder, tmp_path):
    out = tmp_path / "out"
    _write_parts(folder, out, twice=False)
    # A worker killed while writing leaves a part in staging: not loaded, and cleared by the next run.
    staged = out / parquet_io.STAGING / "halfwritten"
    staged.mkdir(parents=True)
    (staged / "documents.parquet").write_bytes(b"not parquet")
    parquet_io.load_results(str(tmp_path / "t.duckdb"), out)
    conn = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    try:
        assert conn.execute("SELECT run_id, status FROM runs").fetchall() == [(RUN_ID, "interrupted")]
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 6
    finally:
        conn.close()
    assert len(parquet_io.done_documents(out, "none", ExtractionConfig().prompt_version(load_prompts()))) == 5
    parquet_io.clear_staging(out)
    assert not (out / parquet_io.STAGING).exists()


def test_load_refuses_a_folder_without_results(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results folder"):
        parquet_io.load_results(str(tmp_path / "t.duckdb"), tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no results"):
        parquet_io.load_results(str(tmp_path / "t.duckdb"), tmp_path / "empty")

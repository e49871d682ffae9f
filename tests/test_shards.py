"""Shard databases combine into one database equal to a single run over all their documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from trialsift.pipeline.runner import run_extraction
from trialsift.pipeline.shards import combine_shards
from tests.scripted_llm import ScriptedLLM
from tests.test_extraction_loop import answer_from, client_for
from tests.test_store_cli import cli

# Seeds 000 and 001 are two pages of one trial (UMIN000060367): put them in different shards.
SHARD_A = ("000_9eabc73317a48817.txt", "002_62fd2beb726bde5a.txt")
SHARD_B = ("001_3d5e767ef9ecad4c.txt", "003_44f9e5a0fcc5c43c.txt", "004_556e452210aea786.txt")
TRUTH = {"primary_sponsor": "Jiangxi Provincial Cancer Hospital", "countries": ["CN"]}


def content(db: Path) -> dict:
    """What a user queries, in a comparable form (run ids and times aside)."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "trials_flat": conn.execute("SELECT * FROM trials_flat ORDER BY trial_id").fetchall(),
            "trial_sources": conn.execute("SELECT * FROM trial_sources ORDER BY ALL").fetchall(),
            "documents": conn.execute("SELECT document_id, regexp_extract(path, '[^/]+$'), status FROM documents "
                                      "ORDER BY ALL").fetchall(),  # shards read other folders
            "extractions": conn.execute("SELECT document_id, model, prompt_version, status, record "
                                        "FROM extractions ORDER BY ALL").fetchall(),
            "evidence": conn.execute("SELECT document_id, field, item, quote FROM evidence ORDER BY ALL").fetchall(),
            "review": conn.execute("SELECT document_id, field, reason FROM review ORDER BY ALL").fetchall(),
            "llm_calls": conn.execute("SELECT document_id, outcome, prompt_tokens FROM llm_calls ORDER BY ALL").fetchall(),
            "llm_cache": conn.execute("SELECT key, value FROM llm_cache ORDER BY ALL").fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def shards(tmp_path_factory, samples_dir):
    """Two shards and one whole run over the same documents, with the same scripted model."""
    root = tmp_path_factory.mktemp("shards")
    folders = {}
    for name, files in (("a", SHARD_A), ("b", SHARD_B), ("whole", SHARD_A + SHARD_B)):
        folders[name] = root / name
        folders[name].mkdir()
        for file in files:
            shutil.copy(samples_dir / file, folders[name] / file)
    with ScriptedLLM(responder=answer_from(TRUTH)) as server:
        for name, folder in folders.items():
            summary = run_extraction([str(folder)], db_path=str(root / f"{name}.duckdb"), llm=client_for(server),
                                     endpoint_label="scripted")
            assert summary.ok == len(list(folder.iterdir()))
    return root


def test_combined_shards_equal_one_run_over_all_documents(shards):
    combined = shards / "combined.duckdb"
    summary = combine_shards(str(combined), [str(shards / "a.duckdb"), str(shards / "b.duckdb")])
    whole = content(shards / "whole.duckdb")
    assert summary.documents == 5 and summary.trials == len(whole["trials_flat"])
    got = content(combined)
    for table in whole:
        assert got[table] == whole[table], table
    umin = [row for row in got["trials_flat"] if row[0] == "UMIN000060367"]
    assert umin and umin[0][-1] == 2, "the trial's two pages, from two shards, are one trial again"


def test_combining_again_changes_nothing(shards):
    combined = shards / "twice.duckdb"
    paths = [str(shards / "a.duckdb"), str(shards / "b.duckdb")]
    combine_shards(str(combined), paths)
    once = content(combined)
    combine_shards(str(combined), paths)
    assert content(combined) == once


def test_the_command_combines_and_refuses_a_missing_shard(shards):
    result = cli("combine", "a.duckdb", "b.duckdb", "--db", "cli.duckdb", cwd=shards)
    assert result.returncode == 0, result.stderr
    assert "2 shard(s) combined: 5 documents" in result.stdout
    missing = cli("combine", "a.duckdb", "nope.duckdb", "--db", "cli2.duckdb", cwd=shards)
    assert missing.returncode != 0 and "no shard database at nope.duckdb" in missing.stderr + missing.stdout
    # an unknown kind in --precedence is a usage error before anything is copied
    unknown = cli("combine", "a.duckdb", "b.duckdb", "--db", "cli3.duckdb", "--precedence", "registry,blog", cwd=shards)
    assert unknown.returncode == 2 and "--precedence" in unknown.stderr and not (shards / "cli3.duckdb").exists()

"""eval/answers.py: the cached answers to collected pages travel to another machine's database,
and only those: an answer to any other document stays out of the saved file."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import duckdb

from trialsift.pipeline.runner import run_extraction
from tests.scripted_llm import ScriptedLLM
from tests.test_extraction_loop import answer_from, client_for

answers = importlib.import_module("eval.answers")

COLLECTED_PAGE = sorted(answers.PAGES_DIR.glob("*.txt"))[0]


def test_saved_answers_to_collected_pages_are_answered_from_the_cache_elsewhere(tmp_path):
    other = tmp_path / "elsewhere" / "page.txt"  # a document that is no collected page
    other.parent.mkdir()
    shutil.copy(COLLECTED_PAGE, other)
    with other.open("a", encoding="utf-8") as text:
        text.write("\nAnother copy, with a line of its own.\n")
    first_db, saved = tmp_path / "first.duckdb", tmp_path / "answers" / "saved.parquet"
    with ScriptedLLM(responder=answer_from({"phases": ["PHASE2"]})) as server:
        run_extraction([str(COLLECTED_PAGE), str(other)], db_path=str(first_db), llm=client_for(server),
                       endpoint_label="scripted")
        asked = len(server.chat_requests)
    assert asked >= 2

    count = answers.save(str(first_db), str(saved))
    cached = {key for (key,) in duckdb.connect(str(first_db), read_only=True).execute("SELECT key FROM llm_cache").fetchall()}
    written = {key for (key,) in duckdb.sql(f"SELECT key FROM read_parquet('{saved}')").fetchall()}
    assert 0 < count == len(written) < len(cached) and written <= cached

    second_db = tmp_path / "second.duckdb"
    assert answers.load(str(second_db), [str(saved)]) == count
    assert answers.load(str(second_db), [str(saved)]) == 0  # loading twice adds nothing
    with ScriptedLLM(responder=answer_from({"phases": ["PHASE2"]})) as server:
        summary = run_extraction([str(COLLECTED_PAGE)], db_path=str(second_db), llm=client_for(server),
                                 endpoint_label="scripted")
        assert summary.ok == 1 and server.chat_requests == []  # every answer came from the loaded cache
        run_extraction([str(other)], db_path=str(second_db), llm=client_for(server), endpoint_label="scripted")
        assert server.chat_requests, "the other document's answers were not saved, so it is asked"

"""Keep the model's answers to the collected pages from one machine to the next.

    python eval/answers.py save trialsift-eval.duckdb eval/answers/<name>.parquet
    python eval/answers.py load trialsift-eval.duckdb eval/answers/*.parquet

An eval run keeps each answer in its database's answer cache (`llm_cache`), keyed by the document,
the excerpt, the fields asked, the prompt and schema versions and the model, so a later run with
the same prompts re-scores from it without asking the model. A machine that starts without that
database asks again, at 20-90 s a document on 2 cores. `save` writes the answers to the collected
pages (eval/pages/, which are committed) to a Parquet file that can be committed too; an answer to a
document of the shared corpus stays out (its text is not redistributed), and so does any answer
whose document this code cannot tell (another prompt folder, the single-shot baseline). `load`
adds such files to a database's cache; an answer asked with other prompts or another model is
never used, as its key is never asked for.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from trialsift.pipeline import store  # noqa: E402
from trialsift.pipeline.extraction import SECOND_ASK_FIELDS, ExtractionConfig, cache_key, plan_document  # noqa: E402
from trialsift.pipeline.prompting import load_prompts  # noqa: E402
from trialsift.pipeline.records import Document  # noqa: E402

PAGES_DIR = REPO_ROOT / "eval" / "pages"


def collected_page_ids() -> set[str]:
    """The document ids of the collected pages: a document's id is the sha256 of its bytes, so a
    page is recognised wherever it was read from (another checkout, a copy)."""
    return {hashlib.sha256(page.read_bytes()).hexdigest() for page in PAGES_DIR.glob("*.txt")}


def collected_page_keys(conn) -> set[str]:
    """The cache keys of the answers to collected pages: each page's planned first asks, and a
    second ask of each SECOND_ASK_FIELDS field over each excerpt the ledger says it was asked over."""
    prompts = load_prompts()
    models = [model for (model,) in conn.execute("SELECT DISTINCT model FROM llm_cache").fetchall()]
    keys, collected = set(), collected_page_ids()
    for document_id, path, url, text in conn.execute("SELECT document_id, path, url, text FROM documents").fetchall():
        if document_id not in collected:
            continue
        document = Document(id=document_id, path=path, text=text, url=url)
        second_ask_chunks = [sha for (sha,) in conn.execute(
            "SELECT DISTINCT chunk_sha256 FROM llm_calls WHERE document_id = ? AND field_group = 'second_ask'",
            [document_id]).fetchall()]
        for model in models:
            keys.update(call.cache_key for call in plan_document(document, model, ExtractionConfig(), prompts).calls)
            keys.update(cache_key(document_id, sha, (name,), prompts.version, model)
                        for sha in second_ask_chunks for name in SECOND_ASK_FIELDS)
    return keys


def save(db: str, out: str) -> int:
    """Write the cached answers to collected pages to a Parquet file; return how many."""
    conn = duckdb.connect(str(db), read_only=True)
    wanted = sorted(collected_page_keys(conn) & {key for (key,) in conn.execute("SELECT key FROM llm_cache").fetchall()})
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    conn.execute("CREATE TEMP TABLE wanted (key VARCHAR)")
    if wanted:
        conn.executemany("INSERT INTO wanted VALUES (?)", [[key] for key in wanted])
    conn.execute("COPY (SELECT llm_cache.* FROM llm_cache JOIN wanted USING (key) ORDER BY key) "
                 "TO ? (FORMAT parquet, COMPRESSION zstd)", [str(out)])
    return len(wanted)


def load(db: str, files: list[str]) -> int:
    """Add the answers in Parquet files to a database's cache (created if missing); return how many were new."""
    conn = store.connect(db)
    before = conn.execute("SELECT count(*) FROM llm_cache").fetchone()[0]
    conn.execute("INSERT OR IGNORE INTO llm_cache BY NAME SELECT * FROM read_parquet(?)", [list(files)])
    return conn.execute("SELECT count(*) FROM llm_cache").fetchone()[0] - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    save_command = commands.add_parser("save", help="cached answers to collected pages -> a Parquet file")
    save_command.add_argument("db")
    save_command.add_argument("out")
    load_command = commands.add_parser("load", help="Parquet files of answers -> a database's cache")
    load_command.add_argument("db")
    load_command.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "save":
        print(f"{save(args.db, args.out)} answers to collected pages written to {args.out}")
    else:
        print(f"{load(args.db, args.files)} answers added to the cache of {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

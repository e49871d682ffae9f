"""Property: whatever the files hold and whatever the endpoint does, a batch finishes and
accounts for every document (issue 20).

Hypothesis draws the input folder (random bytes, text in legacy and Unicode encodings, HTML,
JSON and XML that are not registry records, file names that are not valid UTF-8) and the
endpoint's behaviour request by request (a valid answer, HTTP 429 and 500, malformed or cut-off
JSON, an answer of the wrong shape, a slow answer, one dripped byte by byte past the call
deadline). Every run must end `finished`, with one row per file in `documents`, each ok,
partial or failed, and every failed or partial one with its reason. The examples are drawn
the same way on every run (derandomize), so a failure in CI is one anybody can replay; this test
found that instructor's re-ask read its reply under a per-read timeout only (a dripped re-ask
took 150 s past a 0.5 s call deadline).
"""

from __future__ import annotations

import os

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialsift.pipeline.runner import run_extraction

from .scripted_llm import Delay, Drip, HttpError, ScriptedLLM, Truncated
from .test_extraction_loop import asked_keys, client_for

ENCODINGS = ("utf-8", "utf-16", "latin-1", "cp1252", "shift_jis", "gb18030")
EXTENSIONS = (".txt", ".md", ".html", ".json", ".xml")

trial_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300).map(
    lambda text: f"A Phase 2 Study of Drug X\nSponsor: Acme\n{text}\nTarget enrollment: 40\n")
contents = st.one_of(
    st.binary(max_size=300),
    st.tuples(trial_text, st.sampled_from(ENCODINGS)).map(lambda pair: pair[0].encode(pair[1], errors="ignore")),
    trial_text.map(lambda text: f"<html><body><p>{text}</p><script>x()</script></body></html>".encode()),
    st.just(b'{"password": "hunter2", "debug": true}'),
    st.just(b"<config><user>admin</user></config>"),
)
# A name's bytes: letters, digits and a few bytes that are not UTF-8 (0xff, a lone continuation byte).
name_bytes = st.lists(st.sampled_from([b"a", b"b", b"1", b"-", b" ", b"\xff", b"\x80", b"\xc3\xa9"]),
                      min_size=1, max_size=8).map(b"".join)
# Distinct names and contents: a document is its content, so two files with the same bytes are one
# document (stored once), which is not what this test is about.
files = st.lists(st.tuples(name_bytes, st.sampled_from(EXTENSIONS), contents), min_size=1, max_size=3,
                 unique_by=(lambda file: (file[0], file[1]), lambda file: file[2]))
behaviours = st.lists(st.sampled_from(["answer", "429", "500", "malformed", "truncated", "wrong shape", "slow",
                                       "drip"]), min_size=1, max_size=6)


def _responder(plan: list[str]):
    asked = []

    def respond(request_json: dict):
        behaviour = plan[len(asked) % len(plan)]
        asked.append(behaviour)
        answer = {key: None for key in asked_keys(request_json)}
        return {"answer": answer,
                "429": HttpError(429, "slow down", {"Retry-After": "0"}),
                "500": HttpError(500, "boom"),
                "malformed": '{"phases": ["PHASE2"',
                "truncated": Truncated('{"phases": '),
                "wrong shape": {"unexpected": [1, 2, 3]},
                "slow": Delay(0.1, then=answer),
                "drip": Drip(0.3, then=answer)}[behaviour]  # past the 0.5 s call deadline

    return respond


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(drawn_files=files, plan=behaviours)
def test_a_batch_always_finishes_with_every_document_accounted_for(tmp_path_factory, drawn_files, plan):
    folder = tmp_path_factory.mktemp("in")
    for name, extension, content in drawn_files:
        (folder / os.fsdecode(name + extension.encode())).write_bytes(content)
    db = folder.parent / f"{folder.name}.duckdb"
    with ScriptedLLM(responder=_responder(plan)) as server:
        summary = run_extraction([str(folder)], db_path=str(db), endpoint_label="scripted",
                                 llm=client_for(server, call_timeout_s=0.5, transport_retries=1))
    assert summary.documents == len(drawn_files)
    assert summary.ok + summary.partial + summary.failed + summary.skipped == summary.documents
    conn = duckdb.connect(str(db), read_only=True)
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("finished",)]
        rows = conn.execute("SELECT status, reason FROM documents").fetchall()
    finally:
        conn.close()
    assert len(rows) == len(drawn_files), "one row per file, whatever its name or content"
    assert all(status in ("ok", "partial", "failed") for status, _ in rows)
    assert all(reason for status, reason in rows if status != "ok"), "a document not ok says why"

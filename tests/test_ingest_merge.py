"""Ingest of bad and odd input, and merging documents into trials."""

from __future__ import annotations

from pathlib import Path

from trialsift.pipeline import documents
from trialsift.pipeline.merge import SourceDocument, merge_all
from trialsift.pipeline.runner import run_extraction
from trialsift.schemas.trial import TrialRecord


def test_bad_input_gets_a_clear_outcome_and_the_batch_goes_on(tmp_path, samples_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "latin1.txt").write_bytes("Étude de phase 2 chez des patients âgés. Sponsor: Hôpital Européen\n".encode("latin-1"))
    (folder / "big.txt").write_bytes(b"Phase 2 trial of drug X.\n" * 800_000)  # 20 MB
    (folder / "page.html").write_text(
        "<html><head><script>var x=1;</script></head><body><h1>Study of Drug Y</h1>"
        "<p>Study Phase: Phase 3</p><p>Sex: All</p><p>Minimum Age: 18 Years</p></body></html>", encoding="utf-8")
    (folder / "sample.txt").write_bytes((samples_dir / "002_62fd2beb726bde5a.txt").read_bytes())
    (folder / "listing.txt").write_text(
        "Search results: 3 trials found for 'melanoma'\n\n"
        "NCT01234567 | Pembrolizumab in Advanced Melanoma | Phase 3 | Recruiting | 600 participants\n"
        "NCT02345678 | Adjuvant Nivolumab After Resection | Phase 2 | Completed | 120 participants\n"
        "NCT03456789 | Vaccine Plus Ipilimumab | Phase 1 | Active, not recruiting | 40 participants\n",
        encoding="utf-8")
    summary = run_extraction([str(folder)], db_path=str(tmp_path / "t.duckdb"), llm=None, endpoint_label="none")
    assert summary.documents == 7
    reasons = dict((Path(p).name, r) for p, r in summary.failures)
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["big.txt"].startswith("file too large")
    assert reasons["listing.txt"].startswith("lists several trials (NCT01234567, NCT02345678, NCT03456789)")
    assert summary.ok == 3  # latin1, html, sample
    assert summary.ok + summary.failed == summary.documents
    html = documents.read_document(folder / "page.html")
    assert "Phase 3" in html.text and "var x" not in html.text
    latin = documents.read_document(folder / "latin1.txt")
    assert "Hôpital Européen" in latin.text


def test_files_are_read_as_workers_free_up_not_all_before_the_first_extraction(tmp_path, monkeypatch):
    """Only the documents in flight are in memory: a batch of a million files must not be read
    up front. With one worker, the pool is handed two documents at a time."""
    import trialsift.pipeline.runner as runner

    for number in range(8):
        (tmp_path / f"t{number}.txt").write_text(f"Trial {number}. Phase 2.\n")
    events = []
    read, extract = runner.documents.read_document, runner.extract_document
    monkeypatch.setattr(runner.documents, "read_document",
                        lambda path, **kw: events.append(("read", path.name)) or read(path, **kw))
    monkeypatch.setattr(runner, "extract_document",
                        lambda document, *a, **kw: events.append(("extract", Path(document.path).name))
                        or extract(document, *a, **kw))
    summary = run_extraction([str(tmp_path)], db_path=str(tmp_path / "t.duckdb"), llm=None, endpoint_label="none")
    assert summary.ok == 8
    assert events.index(("read", "t7.txt")) > events.index(("extract", "t0.txt"))
    assert sum(1 for event in events[: events.index(("extract", "t0.txt"))] if event[0] == "read") <= 2


def test_document_id_is_the_content_hash(tmp_path):
    (tmp_path / "a.txt").write_text("Phase 2 trial")
    (tmp_path / "b.txt").write_text("Phase 2 trial")
    a, b = documents.ingest([str(tmp_path / "*.txt")])
    assert a.id == b.id and len(a.id) == 64


def test_sidecar_metadata_gives_kind_and_url(tmp_path):
    (tmp_path / "a.txt").write_text("Phase 2 trial")
    (tmp_path / "a.txt.meta.json").write_text('{"kind": "aggregator", "url": "https://example.org/t/1"}')
    (doc,) = documents.ingest([str(tmp_path)])
    assert (doc.kind, doc.url) == ("aggregator", "https://example.org/t/1")


def _src(doc_id: str, kind: str, **fields) -> SourceDocument:
    return SourceDocument(doc_id, kind, TrialRecord.model_validate(fields))


def test_secondary_ids_link_documents_and_precedence_decides_conflicts():
    registry = _src("r" * 64, "registry-record",
                    registry_ids=[{"registry": "NCT", "id": "NCT02552212"}, {"registry": "EUDRACT", "id": "2015-001894-41"}],
                    phases=["PHASE1"], target_enrollment=100)
    eu_page = _src("e" * 64, "registry", registry_ids=[{"registry": "EUDRACT", "id": "2015-001894-41"}],
                   target_enrollment=100)
    aggregator = _src("a" * 64, "aggregator", registry_ids=[{"registry": "NCT", "id": "NCT02552212"}],
                      phases=["NA"], conditions=["Lung cancer"])
    other = _src("o" * 64, "news", registry_ids=[{"registry": "NCT", "id": "NCT01174550"}])
    trials = {t.trial_id: t for t in merge_all([aggregator, other, eu_page, registry])}
    assert set(trials) == {"NCT02552212", "NCT01174550"}
    merged = trials["NCT02552212"]
    assert len(merged.sources) == 3
    assert merged.record.phases == ["PHASE1"]  # the registry record outranks the aggregator
    assert merged.field_sources["phases"] == "r" * 64
    assert merged.record.conditions == ["Lung cancer"]  # only the aggregator states it
    assert merged.conflicts == [{"field": "phases", "chosen_value": ["PHASE1"], "chosen_document": "r" * 64,
                                 "other_value": ["NA"], "other_document": "a" * 64}]


def test_documents_without_ids_link_only_on_an_exact_title():
    title = "Ganaxolone in Women With Postpartum Depression: a Randomized Trial"
    one = _src("1" * 64, "aggregator", public_title=title)
    two = _src("2" * 64, "news", public_title=title.upper() + ".")
    three = _src("3" * 64, "news", public_title="Ganaxolone in Women With Postpartum Depression: an Open Trial")
    trials = merge_all([one, two, three])
    assert sorted(len(t.sources) for t in trials) == [1, 2]
    linked = next(t for t in trials if len(t.sources) == 2)
    assert {why for _, why in linked.sources} == {"exact title match"}


def test_a_document_without_ids_joins_the_first_trial_with_ids_that_has_its_title():
    """Titles never merge two documents that have ids (two registrations of one title are two
    trials), but a press item without an id joins the first of them, in document order."""
    title = "Ganaxolone in Women With Postpartum Depression: a Randomized Trial"
    first = _src("1" * 64, "registry", public_title=title, registry_ids=[{"registry": "NCT", "id": "NCT01000001"}])
    second = _src("2" * 64, "registry", public_title=title, registry_ids=[{"registry": "NCT", "id": "NCT01000002"}])
    press = _src("3" * 64, "press", public_title=title.lower())
    trials = {t.trial_id: t for t in merge_all([first, second, press])}
    assert set(trials) == {"NCT01000001", "NCT01000002"}
    assert trials["NCT01000001"].sources == [("1" * 64, "only document"), ("3" * 64, "exact title match")]
    assert trials["NCT01000002"].sources == [("2" * 64, "only document")]

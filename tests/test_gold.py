"""The gold-labelled eval set (eval/gold/*.json) stays complete, valid and grounded in its documents."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from trialsift.schemas import normalize
from trialsift.schemas.trial import CONTRACT_KEYS, TrialRecord, is_empty

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO_ROOT / "eval" / "gold"
ALL_GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
# Labels of the corpus documents (../shared/corpus), and of the pages collected into eval/pages/.
GOLD_FILES = [p for p in ALL_GOLD_FILES if not json.loads(p.read_text(encoding="utf-8"))["source"].startswith("eval/pages/")]
COLLECTED_GOLD_FILES = [p for p in ALL_GOLD_FILES if p not in GOLD_FILES]
HEADER_KEYS = {"source", "sha256", "url", "kind", "trial_id", "record", "labels", "conflicts", "notes"}
KINDS = {"press", "news", "registry", "aggregator"}


def _load_derive_gold():
    """eval/ is not a package: load the drafting script (it holds the findability check) by path."""
    spec = importlib.util.spec_from_file_location("derive_gold", REPO_ROOT / "eval" / "derive_gold.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_gold"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


derive_gold = _load_derive_gold()


def gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def document_text(corpus_root: Path, entry: dict) -> str:
    return (corpus_root / entry["source"]).read_bytes().decode("utf-8")


def gold_by_stem(stem: str) -> dict:
    return gold(GOLD_DIR / f"{stem}.json")


gold_file = pytest.mark.parametrize("path", GOLD_FILES, ids=[p.stem for p in GOLD_FILES])


# --------------------------------------------------------------------------- completeness and format


def test_every_corpus_document_has_exactly_one_gold_file(corpus_root):
    expected = {document.stem for document in derive_gold.corpus_documents(corpus_root)}
    assert len(expected) == 45  # 40 noisy documents (manifest.tsv) + 5 seeds
    assert {path.stem for path in GOLD_FILES} == expected


@gold_file
def test_header_matches_the_corpus_manifest(path, corpus_root):
    entry = gold(path)
    assert set(entry) == HEADER_KEYS
    assert entry["kind"] in KINDS
    documents = {document.source: document for document in derive_gold.corpus_documents(corpus_root)}
    document = documents[entry["source"]]
    assert Path(entry["source"]).stem == path.stem
    assert (entry["url"], entry["kind"], entry["trial_id"], entry["record"]) == (
        document.url, document.kind, document.trial_id, document.record
    )
    assert "DRAFT" not in entry["notes"], "a draft from derive_gold.py has not been reviewed"


@gold_file
def test_sha256_matches_the_document(path, corpus_root):
    entry = gold(path)
    assert hashlib.sha256((corpus_root / entry["source"]).read_bytes()).hexdigest() == entry["sha256"]


@gold_file
def test_labels_are_a_valid_canonical_trial_record(path):
    labels = gold(path)["labels"]
    assert set(labels) == set(CONTRACT_KEYS)
    # Canonical: validation (which normalizes) changes nothing, so scoring sees the stored values.
    assert TrialRecord.model_validate(labels).model_dump(mode="json") == labels


@gold_file
def test_conflicts_name_a_field_and_both_values(path):
    for conflict in gold(path)["conflicts"]:
        assert set(conflict) == {"field", "document", "record", "note"}
        assert conflict["field"] in CONTRACT_KEYS
        assert conflict["document"] != conflict["record"]
        assert conflict["note"].strip()


# --------------------------------------------------------------------------- grounding


def _without_spaces_and_hyphens(text: str) -> str:
    return re.sub(r"[\s\-\u00a0]+", "", text).upper()


@gold_file
def test_registry_ids_are_written_in_the_document(path, corpus_root):
    entry = gold(path)
    text = _without_spaces_and_hyphens(document_text(corpus_root, entry))
    for item in entry["labels"]["registry_ids"]:
        assert _without_spaces_and_hyphens(item["id"]) in text, item


@gold_file
def test_registry_ids_are_canonical(path):
    """Ids pass the schema's id rule unchanged: "N/A" or a digit-less code would raise."""
    for item in gold(path)["labels"]["registry_ids"]:
        assert normalize.normalize_registry_id(item["id"], item["registry"]) == (item["registry"], item["id"])


@gold_file
def test_every_label_value_is_findable_in_the_document(path, corpus_root):
    entry = gold(path)
    assert derive_gold.unstated_values(entry["labels"], document_text(corpus_root, entry)) == []


# --------------------------------------------------------------------------- the findability check itself


@pytest.mark.parametrize(
    "field_name, value, text, expected",
    [
        ("target_enrollment", 91, "Phase 2\nN=91\n", True),
        ("target_enrollment", 10003, "Total number of enrollees: 10,003", True),
        ("target_enrollment", 60, "Phase 2\nN=91\n", False),
        ("start_date", "2012-10-16", "Actual Study Start Date :\nOct 16, 2012", True),
        ("start_date", "2012-10", "Actual Study Start Date :\nOct 16, 2012", False),  # gold must keep the stated precision
        ("start_date", "2012-09", "Start date September 2012", True),
        ("registration_date", "2023-06-06", "Registration date\n06/06/2023", True),
        ("registration_date", "2026-01-15", "Registered date\n\n2026 Year 01 Month 15 Day", True),
        ("min_age_years", 18.0, "Age\n- Adult · 18+ yrs", True),
        ("min_age_years", 3.5, "followed for 31/2-5 years", False),
        ("max_age_years", 1.0, "aged 0 to 12 months", True),
        ("phases", "PHASE3", "Phase IIIb Randomized", True),
        ("phases", "PHASE2", "Phase IIIb Randomized", False),
        ("masking", "NONE", "Masking:\nNone (Open Label)", True),
        ("masking", "DOUBLE", "Masking:\nNone (Open Label)", False),
        ("sex", "ALL", "Eligible Genders\nAll", True),
        ("sex", "ALL", "all-cause mortality", False),
        ("countries", "GB", "across 60 UK hospitals", True),
        ("countries", "ZW", "in Uganda", False),
        ("conditions", "Nis", "Nissen fundoplication", False),
        ("conditions", "Relapsed Small Cell Lung Cancer", "Relapsed Small Cell Lung CancerMedDRA version", True),
    ],
)
def test_findability_check(field_name, value, text, expected):
    assert derive_gold.is_stated(field_name, value, text) is expected


def test_unstated_values_reports_what_it_cannot_find():
    labels = TrialRecord(target_enrollment=60, primary_sponsor="Marinus Pharmaceuticals").model_dump(mode="json")
    missing = derive_gold.unstated_values(labels, "Sponsor\n- Marinus Pharmaceuticals\nN=91")
    assert missing == ["target_enrollment: 60"]


# --------------------------------------------------------------------------- the corpus README's known conflicts


@pytest.mark.parametrize(
    "stem, field_name, expected",
    [
        ("vellito-NCT03228394", "target_enrollment", 91),
        ("medpath-NCT03228394", "target_enrollment", 91),
        ("medpath-NCT03228394", "recruitment_status", "COMPLETED"),
        ("smartpatients-NCT01642004", "target_enrollment", 264),
        ("clincosm-NCT01642004", "recruitment_status", "COMPLETED"),
        ("clincosm-NCT01642004", "start_date", "2012-10-16"),
        ("clinicaltrialexchange-NCT02481830", "target_enrollment", None),  # "0" is a site artefact
        ("uams.trialstoday.org-NCT02481830", "recruitment_status", "COMPLETED"),
        ("medpath-EUCTR2015-001097-18-ES", "target_enrollment", 569),
        ("medpath-EUCTR2015-001097-18-ES", "recruitment_status", None),  # "ot Recruiting"
        ("grantome-NCT01174550", "target_enrollment", 10000),
        ("arrowtrial.org-NCT02028676", "target_enrollment", 1200),
        ("arrowtrial.org-NCT02028676", "min_age_years", None),  # "31/2-5 years" is follow-up
        ("optic.convoke.bio-2022-000099-20-DE", "phases", ["EARLY_PHASE1"]),
    ],
)
def test_documented_conflicts_follow_the_page(stem, field_name, expected):
    entry = gold_by_stem(stem)
    assert entry["labels"][field_name] == expected
    if expected is not None:  # a labelled value that differs from the record is recorded as a conflict
        assert field_name in {conflict["field"] for conflict in entry["conflicts"]}


def test_na_is_never_an_isrctn_id():
    registries = {item["registry"] for item in gold_by_stem("hra.nhs.uk-ISRCTN88261002")["labels"]["registry_ids"]}
    assert "ISRCTN" not in registries
    assert "EUDRACT" in registries


def test_the_gold_set_scores_perfectly_against_itself():
    """Every gold value must be matchable by the scorer (e.g. dates and ids in a form it can compare)."""
    from trialsift.pipeline.scoring import score

    entries = [gold(path) for path in ALL_GOLD_FILES]
    card = score([(entry["labels"], entry["labels"], entry["kind"]) for entry in entries])
    assert card.micro.fp == card.micro.fn == 0
    assert card.micro.f1 == 1.0
    assert set(card.by_kind) == KINDS


# --------------------------------------------------------------------------- pages collected into eval/pages/

check_label = importlib.import_module("eval.check_label")
collected_gold_file = pytest.mark.parametrize("path", COLLECTED_GOLD_FILES, ids=[p.stem for p in COLLECTED_GOLD_FILES])


def test_every_collected_page_has_one_manifest_row_and_one_gold_file():
    rows = check_label.manifest_rows()
    pages = {path.name for path in check_label.PAGES_DIR.glob("*.txt")}
    assert set(rows) == pages
    assert {path.stem + ".txt" for path in COLLECTED_GOLD_FILES} == pages
    assert len(pages) >= 100


@collected_gold_file
def test_a_collected_label_matches_its_page_and_manifest_and_is_canonical(path):
    """check_label's checks, except findability: a collected page's label may hold a paraphrase
    the simple search cannot find ("randomly assigned" = RANDOMIZED, CJK text without word
    breaks); each such value is explained in the file's notes."""
    problems = [p for p in check_label.problems_of(path, check_label.manifest_rows())
                if not p.startswith("not findable")]
    assert problems == []

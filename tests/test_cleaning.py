"""Tests for pipeline.cleaning on the real seeds and noisy pages, plus fuzzing.

Expected values here are short field values read off the pages by a person
(ids, phases, sponsor names) or phrases of well-known boilerplate; page text
itself is read from the corpus at test time, never pasted here.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialsift.pipeline.cleaning import (
    build_site_profile,
    carries_fact,
    clean,
    profiles_by_site,
    site_of,
)
from trialsift.pipeline.records import CleanText, Document
from trialsift.schemas.normalize import find_registry_ids

SEED_KINDS = {"000": "press", "001": "registry", "002": "aggregator", "003": "aggregator",
              "004": "aggregator"}


def make_document(path: Path, kind: str | None, url: str | None = None) -> Document:
    data = path.read_bytes()
    return Document(id=hashlib.sha256(data).hexdigest(), path=str(path), text=data.decode("utf-8"),
                    kind=kind, url=url, size_bytes=len(data))


@pytest.fixture(scope="module")
def seeds(corpus_root) -> dict[str, Document]:
    """Seed documents by their number ("000".."004")."""
    return {
        path.name[:3]: make_document(path, SEED_KINDS[path.name[:3]])
        for path in sorted((corpus_root / "seeds").glob("*.txt"))
    }


@pytest.fixture(scope="module")
def noisy(corpus_root) -> dict[str, Document]:
    """Noisy pages by file name, with kind and URL from manifest.tsv."""
    folder = corpus_root / "noisy"
    with open(folder / "manifest.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {row["file"]: make_document(folder / row["file"], row["kind"], row["url"]) for row in rows}


@pytest.fixture(scope="module")
def all_documents(seeds, noisy) -> list[Document]:
    return [*seeds.values(), *noisy.values()]


def check_offset_map(document: Document, cleaned: CleanText, samples: int = 200) -> None:
    """The cleaned text is exact slices of the document, and kept + removed tile it."""
    text = document.text
    clean_position = 0
    raw_ranges = []
    for clean_start, raw_start, length in cleaned.segments:
        assert length > 0
        assert clean_start == clean_position, "segments must cover the cleaned text in order"
        assert cleaned.text[clean_start:clean_start + length] == text[raw_start:raw_start + length]
        raw_ranges.append((raw_start, raw_start + length))
        clean_position += length
    assert clean_position == len(cleaned.text)
    for block in cleaned.removed:
        assert 0 <= block.start < block.end <= len(text)
        assert block.reason
        raw_ranges.append((block.start, block.end))
    raw_ranges.sort()
    position = 0
    for start, end in raw_ranges:
        assert start == position, "kept and removed ranges must tile the document without overlap"
        position = end
    assert position == len(text)
    rng = random.Random(len(text))
    for offset in (rng.randrange(len(cleaned.text)) for _ in range(samples if cleaned.text else 0)):
        assert text[cleaned.to_raw(offset)] == cleaned.text[offset]


def nonblank_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_offset_map_is_exact_on_every_page(all_documents):
    for document in all_documents:
        check_offset_map(document, clean(document))


def test_raw_span_maps_a_cleaned_span_back(seeds):
    document = seeds["004"]
    cleaned = clean(document)
    start = cleaned.text.index("NCT04143984")
    raw_start, raw_end = cleaned.raw_span(start, start + len("NCT04143984"))
    assert document.text[raw_start:raw_end] == "NCT04143984"


@pytest.mark.parametrize("seed", ["003", "004"])
def test_known_boilerplate_is_removed(seeds, seed):
    phrases = {
        "003": ["powered by ai", "what is a clinical trial?", "how safe are clinical trials?",
                "first name*", "email*", "send a message", "sign up", "add a private note",
                "passcode", "faqs"],
        "004": ["lorem ipsum", "similar trials", "browse trials", "sign up as volunteer",
                "how to participate?", "clear my responses", "yes no not sure",
                "add a private note", "passcode", "learn more"],
    }[seed]
    raw, cleaned = seeds[seed].text.casefold(), clean(seeds[seed]).text.casefold()
    for phrase in phrases:
        assert phrase in raw, f"corpus changed? {phrase!r} not in the seed"
        assert phrase not in cleaned, f"{phrase!r} survived cleaning"


def test_removed_blocks_carry_reasons(seeds):
    reasons = {block.reason for block in clean(seeds["003"]).removed}
    assert {"boilerplate-phrase:faq", "boilerplate-phrase:contact-form", "blank-run"} <= reasons
    reasons = {block.reason for block in clean(seeds["004"]).removed}
    assert {"lorem-ipsum", "boilerplate-phrase:similar-trials", "ui-text"} <= reasons


@pytest.mark.parametrize("seed, facts", [
    ("002", ["Jiangxi Provincial Cancer Hospital", "Study Phase: Phase 2", "Minimum Age: 18",
             "Maximum Age: 75", "Target number of participants: 23", "Start Date: 2025-10-10",
             "ndzhlyy0005@ncu.edu"]),
    ("003", ["NCT05738187", "Phase N/A", "18 years and older", "Recruiting",
             "University Hospital, Strasbourg, France", "15 October 2025",
             "Recurrent Head and Neck Cancer"]),
    ("004", ["NCT04143984", "Dec 20, 2025", "Shanghai Proton and Heavy Ion Center",
             "Updated on 13 May 2022", "Camrelizumab", "ECOG score: 0-1"]),
])
def test_facts_are_kept(seeds, seed, facts):
    document = seeds[seed]
    cleaned = clean(document).text
    title = next(line for line in nonblank_lines(document.text) if len(line.split()) >= 5)
    for fact in [title, *facts]:
        assert fact in document.text, f"corpus changed? {fact!r}"
        assert fact in cleaned, f"{fact!r} was dropped"


@pytest.mark.parametrize("seed, after, before", [
    ("002", "View:", "Locations"),
    ("003", "Eligibility", "Study details"),
    ("004", "Yes No Not Sure", "Clear my responses"),
])
def test_every_criteria_line_is_kept(seeds, seed, after, before):
    """Every line between two markers that enclose a page's criteria survives."""
    lines = seeds[seed].text.splitlines()
    start = lines.index(after) + 1
    end = lines.index(before, start)
    criteria = [line for line in lines[start:end] if line.strip()]
    assert len(criteria) >= 4
    kept = set(clean(seeds[seed]).text.splitlines())
    assert [line for line in criteria if line not in kept] == []


def test_seed_001_registry_page_loses_only_blank_runs_its_disclaimer_and_empty_fields(seeds):
    document = seeds["001"]
    cleaned = clean(document)
    disclaimer = [line for line in document.text.splitlines() if line.startswith("* ")]
    assert len(disclaimer) == 2
    empty = {document.text[b.start:b.end].strip() for b in cleaned.removed if b.reason == "empty-field"}
    empty_labels = {label for block in empty for label in nonblank_lines(block)}
    assert {"Blocking", "Interventions/Control_10", "Results Delay Reason", "Middle name"} <= empty_labels
    # Labels with values, and the labels that head a group of fields, stay.
    assert not empty_labels & {"Target sample size", "Age-upper limit", "Name of lead principal investigator",
                               "Eligibility", "Intervention", "Funding Source"}
    assert {b.reason for b in cleaned.removed} == {"blank-run", "boilerplate-phrase:site-chrome", "empty-field"}
    chrome = [line for b in cleaned.removed if b.reason == "boilerplate-phrase:site-chrome"
              for line in nonblank_lines(document.text[b.start:b.end])]
    assert chrome == disclaimer
    lines = cleaned.text.splitlines()
    label = lines.index("Target sample size")
    assert [line for line in lines[label + 1:] if line.strip()][0] == "60"


def test_registry_layout_is_detected_without_a_kind(seeds):
    registry = clean(seeds["001"])
    unknown_kind = clean(Document(**{**seeds["001"].__dict__, "kind": None}))
    assert unknown_kind.text == registry.text
    aggregator_unknown_kind = clean(Document(**{**seeds["004"].__dict__, "kind": None}))
    assert "lorem ipsum" not in aggregator_unknown_kind.text.casefold()


def test_registry_pages_drop_only_site_chrome_blank_runs_empty_fields_and_local_copies(seeds, noisy):
    registry_pages = [seeds["001"]] + [doc for doc in noisy.values() if doc.kind == "registry"]
    assert len(registry_pages) == 19
    allowed = {"blank-run", "ui-text", "boilerplate-phrase:site-chrome", "empty-field", "other-language-copy"}
    for document in registry_pages:
        cleaned = clean(document)
        assert {block.reason for block in cleaned.removed} <= allowed, document.path
        for block in cleaned.removed:
            if block.reason == "ui-text":  # a button, never more than a short line
                assert len(document.text[block.start:block.end].strip()) <= 20
            if block.reason == "other-language-copy":  # a value written in the local script
                assert re.search(r"[^\x00-\u024f\s]", document.text[block.start:block.end]), document.path


def test_lines_with_registry_ids_survive_everywhere(all_documents):
    for document in all_documents:
        kept = set(clean(document).text.splitlines())
        for line in document.text.splitlines():
            if find_registry_ids(line):
                assert line in kept, (document.path, line)


def test_blank_runs_collapse_to_one_blank_line(all_documents):
    for document in all_documents:
        lines = clean(document).text.splitlines()
        assert not lines or lines[0].strip(), document.path
        for before, after in zip(lines, lines[1:]):
            assert before.strip() or after.strip(), f"two blank lines in a row in {document.path}"


def test_aggregator_seeds_shrink_by_a_quarter_or_more(seeds):
    for seed in ("003", "004"):
        assert len(clean(seeds[seed]).text) <= 0.75 * len(seeds[seed].text)


@pytest.mark.parametrize("line, expected", [
    ("Phase N/A", True), ("Age ≥ 18 and < 70 years of age", True), ("Dec 20, 2025", True),
    ("NCT04143984", True), ("N=91", True), ("Enrollment 116 patients", True),
    ("2023 Year 09 Month 11 Day", True), ("npc-pit-office@east.ncc.go.jp", True),
    ("Sign up as volunteer", False), ("Learn more", False), ("The phase of the moon", False),
    ("x" * 10_000, True),  # too long to scan: content
])
def test_carries_fact(line, expected):
    assert carries_fact(line) is expected


# --- Site profiles (synthetic pages: a made-up site footer) ---------------------

FOOTER = "Join the Example Health community of patient advocates today"
SISTER_CRITERION = "Pregnant or lactating women are not eligible"


def synthetic_document(number: int, host: str = "trials.example.org") -> Document:
    """A made-up trial page; pages 0 and 1 are sister trials sharing a plain criterion line."""
    shared = SISTER_CRITERION if number in (0, 1) else "Any other condition the investigator judges"
    text = (f"Trial number {number}\n\nSponsor: Acme Pharma\n\n{FOOTER}\n\n"
            f"Exclusion Criteria\n\n- Criterion only trial {number} has\n"
            f"- History of bipolar I disorder\n{shared}\n\n{FOOTER}\n")
    return Document(id=str(number), path=f"page-{number}.txt", text=text, kind="aggregator",
                    url=f"https://www.{host}/trial/{number}")


def test_site_profile_drops_lines_repeated_across_the_site_only():
    documents = [synthetic_document(number) for number in range(3)]
    profile = build_site_profile(documents)
    assert profile.site == "trials.example.org"
    assert profile.document_count == 3
    cleaned = clean(documents[0], profile)
    check_offset_map(documents[0], cleaned)
    # The footer is on every page, before and after the criteria: it goes.
    assert FOOTER not in cleaned.text
    assert "repeated-across-site" in {block.reason for block in cleaned.removed}
    # Repeated, but a fact, a list item on every page, or a criterion two sister
    # trials share: kept.
    assert "Sponsor: Acme Pharma" in cleaned.text
    assert "- History of bipolar I disorder" in cleaned.text
    assert SISTER_CRITERION in cleaned.text
    assert "Criterion only trial 0 has" in cleaned.text
    # Without a profile the footer stays.
    assert FOOTER in clean(documents[0]).text


def test_site_profile_needs_min_documents():
    documents = [synthetic_document(number) for number in range(3)]
    assert build_site_profile(documents, min_documents=4).repeated_lines == {}
    assert build_site_profile(documents[:2]).repeated_lines[FOOTER.casefold()] == 2
    # Documents without a URL join the site of the others.
    no_url = Document(**{**documents[2].__dict__, "url": None})
    assert build_site_profile([*documents[:2], no_url]).site == "trials.example.org"


def test_site_profiles_group_by_host():
    documents = [synthetic_document(0), synthetic_document(1),
                 synthetic_document(2, host="other.example.com")]
    with pytest.raises(ValueError):
        build_site_profile(documents)
    assert build_site_profile(documents, site="mixed").site == "mixed"
    profiles = profiles_by_site(documents)
    assert set(profiles) == {"trials.example.org", "other.example.com"}
    assert profiles["other.example.com"].repeated_lines == {}
    assert site_of(Document(id="x", path="x", text="", url="not a url")) is None


# --- Robustness -------------------------------------------------------------------

# Lines that exercise every rule: boilerplate, headings, labels, facts, UI text.
LINE_VOCABULARY = [
    "", " ", "\u00a0", "FAQs", "What is a clinical trial?", "A clinical trial is a study.",
    "Similar trials to consider", "Sign up", "Lorem ipsum dolor sit amet", "First name*",
    "Add a private note", "Eligibility", "Inclusion Criteria:", "• Age ≥ 18 years", "Sponsor",
    "Acme Pharma", "Phase 2", "NCT01234567", "Target sample size", "60", "Learn more", "Image",
    "Share on Facebook", "Study Design", "Read More", "Sponsor: Acme", "x" * 700, "|",
    "E.3 Principal inclusion criteria", "Powered by AI", "We use cookies to improve this site",
]


@st.composite
def page_texts(draw) -> str:
    lines = draw(st.lists(st.one_of(st.sampled_from(LINE_VOCABULARY), st.text(max_size=40)),
                          max_size=40))
    breaks = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r", "\n\n\n", "\u2028", "\x0c"]),
                           min_size=len(lines), max_size=len(lines)))
    return "".join(line + brk for line, brk in zip(lines, breaks)) + draw(st.text(max_size=10))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(page_texts(), st.text(max_size=300)),
       kind=st.sampled_from([None, "registry", "aggregator", "news"]),
       with_profile=st.booleans())
def test_clean_never_raises_and_keeps_its_invariants(text, kind, with_profile):
    document = Document(id="fuzz", path="fuzz.txt", text=text, kind=kind, url="https://x.example/1")
    profile = None
    if with_profile:
        profile = build_site_profile([document, Document(id="b", path="b", text=text[::-1] + text)])
    check_offset_map(document, clean(document, profile), samples=20)


@pytest.mark.parametrize("text", [
    "a" * 2_000_000,  # no "@": a backtracking e-mail pattern would be quadratic here
    "1 " * 1_000_000,
    "1-1-" * 500_000,
    "What is a clinical trial " * 80_000 + "?",
    "\n" * 1_000_000,
    "Sign up\n" * 200_000,
])
def test_large_inputs_clean_in_linear_time(text):
    """A guard against catastrophic backtracking, not a speed target (those are in bench/): a
    quadratic pattern takes hours on these sizes, so the bound is generous enough for a machine
    whose cores are busy with other work (a few seconds alone, over 20 beside an eval run)."""
    started = time.perf_counter()
    cleaned = clean(Document(id="big", path="big.txt", text=text, kind="aggregator"))
    assert time.perf_counter() - started < 90
    assert sum(length for _, _, length in cleaned.segments) == len(cleaned.text)


def test_no_single_trial_page_of_the_corpus_is_taken_for_a_listing(all_documents):
    """Each corpus page is about one trial (noisy/manifest.tsv): once cleaned, none may name two
    trials of one registry, or the listing check would refuse a page it should extract."""
    from trialsift.pipeline.extraction import listed_trials

    flagged = {Path(d.path).name: listed_trials(clean(d)) for d in all_documents}
    assert {name: ids for name, ids in flagged.items() if ids} == {}


def test_empty_form_fields_go_only_on_umin_pages():
    """A UMIN-CTR form label followed straight away by the next label is a field left empty;
    a label with a value, a group label and the same lines on another site's page stay."""
    page = ("Unique ID issued by UMIN UMIN000000001\n\nRandomization unit\n\nBlinding\n\nOpen -no one is blinded\n\n"
            "Name of lead principal investigator\n\n1st name Taro\nMiddle name\nLast name Yamada\n")
    cleaned = clean(Document(id="u", path="u.txt", text=page, kind="registry"))
    assert nonblank_lines(cleaned.text) == [
        "Unique ID issued by UMIN UMIN000000001", "Blinding", "Open -no one is blinded",
        "Name of lead principal investigator", "1st name Taro", "Last name Yamada"]
    other_site = page.replace("Unique ID issued by UMIN UMIN000000001", "NCT00000001")
    assert "Randomization unit" in clean(Document(id="o", path="o.txt", text=other_site, kind="registry")).text


def _bilingual(text: str) -> tuple[Document, CleanText]:
    document = Document(id="b" * 64, path="<test>", text=text, kind="registry")
    return document, clean(document)


def test_a_bilingual_records_local_script_copy_of_a_value_goes_where_the_english_is_given():
    # each label over its value, the local one first
    document, cleaned = _bilingual("注册题目:\n\n健脾汤治疗高尿酸血症\n\nPublic title:\n\n"
                                   "Jianpi Tang for hyperuricemia\n\n研究负责人:\n\n申斌\n\nStudy leader:\n\nShen Bin\n")
    check_offset_map(document, cleaned)
    assert "健脾汤" not in cleaned.text and "申斌" not in cleaned.text
    assert "Jianpi Tang for hyperuricemia" in cleaned.text and "Shen Bin" in cleaned.text
    assert {block.reason for block in cleaned.removed} >= {"other-language-copy"}
    # both labels stacked over both values
    _, cleaned = _bilingual("注册号状态:\nRegistration Status:\n预注册\nProspective registration\n")
    assert "预注册" not in cleaned.text and "Prospective registration" in cleaned.text


@pytest.mark.parametrize("text", [
    "注册题目:\n健脾汤治疗高尿酸血症\nPublic title:\n\n研究负责人:\n申斌\n",  # no English value: the local one stays
    "试验名称:\n健脾汤治疗高尿酸血症\n申请人:\n申斌\n",  # one language only
    "Public title:\n健脾汤治疗高尿酸血症\nStudy leader:\nShen Bin\n",  # an English label over a local value
    "申请注册联系人传真 : Applicant Fax: |\nStudy leader's fax: |\n+86 10 1234\n",  # labels, not values
])
def test_a_value_given_in_one_script_only_stays(text):
    _, cleaned = _bilingual(text)
    assert "other-language-copy" not in {block.reason for block in cleaned.removed}

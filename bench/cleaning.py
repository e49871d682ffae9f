"""Benchmark the cleaner on the real corpus: tokens saved and gold facts kept.

    python -m bench.cleaning [--corpus PATH] [--out bench/RESULTS-cleaning.md]

Runs pipeline.cleaning.clean over the 5 seeds and the 40 noisy pages and
writes a markdown report (also printed):

- Token reduction per document kind (manifest.tsv; seeds: 000 press, 001
  registry, 002-004 aggregator): median over documents and total over the
  kind. Tokens are counted as regex word pieces, `\\w+|[^\\w\\s]` (each run of
  letters/digits and each punctuation mark is one token), a stand-in for a
  BPE tokenizer that needs no model files.
- The same with site profiles (pipeline.cleaning.profiles_by_site over the
  noisy pages), to show what repeated-across-site adds.
- Fact retention: for each gold file eval/gold/<stem>.json, the share of its
  label values that are findable in the raw text and still findable in the
  cleaned text. A value is findable if its string form appears, case- and
  whitespace-insensitively; values the page writes in another form
  (enums, dates, ages, ids: the gold files hold no evidence quotes) use the
  gold set's own findability check, eval/derive_gold.is_stated. Values not
  findable in the raw text cannot be lost by cleaning and are not counted.
- Section recall: of the gold values still findable in the cleaned text,
  the share findable in the spans their field group reads
  (pipeline.sections.text_for_group; groups from schemas.groups), and how
  much of the cleaned text each group reads.
- Speed: seconds to clean the seeds repeated to 1, 4 and 16 MB (the
  cleaner must stay roughly linear up to 20 MB inputs).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

from trialsift.pipeline.cleaning import clean, profiles_by_site, site_of
from trialsift.pipeline.documents import read_document
from trialsift.pipeline.records import CleanText, Document
from trialsift.pipeline.sections import FIELD_GROUP_SECTIONS, detect_sections, text_for_group
from trialsift.schemas.groups import GROUP_OF_FIELD
from trialsift.schemas.trial import CONTRACT_KEYS, is_empty

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO_ROOT / "eval" / "gold"
DEFAULT_OUT = REPO_ROOT / "bench" / "RESULTS-cleaning.md"
SEED_KINDS = {"000": "press", "001": "registry", "002": "aggregator", "003": "aggregator",
              "004": "aggregator"}
KIND_ORDER = ("aggregator", "news", "press", "registry")
TOKEN = re.compile(r"\w+|[^\w\s]")
TARGET_REDUCTION = 0.30  # the target for aggregator pages


def count_tokens(text: str) -> int:
    """Regex word pieces: each run of word characters and each punctuation mark."""
    return len(TOKEN.findall(text))


@dataclass
class Entry:
    """One corpus document and what cleaning did to it."""

    name: str  # file name in the corpus
    source: str  # "seed" or "noisy"
    document: Document
    cleaned: CleanText
    profiled: CleanText  # cleaned with the site's profile (same as cleaned without a site)
    checked: int = 0  # gold values findable in the raw text
    lost: list[str] = field(default_factory=list)  # of those, not findable after cleaning
    # per field group: (values findable in the cleaned text, of those findable in the group's spans)
    group_recall: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    hidden: list[str] = field(default_factory=list)  # values their group's spans do not show

    @property
    def kind(self) -> str:
        return self.document.kind or "unknown"

    @property
    def raw_tokens(self) -> int:
        return count_tokens(self.document.text)

    def reduction(self) -> float:
        """Share of the raw tokens that cleaning removed."""
        raw = self.raw_tokens
        return 1 - count_tokens(self.cleaned.text) / raw if raw else 0.0


# --- Corpus --------------------------------------------------------------------


def default_corpus_root() -> Path:
    candidate = os.environ.get("TRIALSIFT_CORPUS") or REPO_ROOT.parent / "shared" / "corpus"
    return Path(candidate)


def load_documents(corpus_root: Path) -> list[tuple[str, str, Document]]:
    """(file name, "seed"/"noisy", Document) for every seed and noisy page, via the ingest stage."""
    found: list[tuple[str, str, Document]] = []

    def add(path: Path, source: str, kind: str, url: Optional[str]) -> None:
        document = read_document(path, kind=kind)
        if not isinstance(document, Document):
            print(f"skipped {path.name}: {document.reason}", file=sys.stderr)
            return
        found.append((path.name, source, replace(document, url=url or None)))

    for path in sorted((corpus_root / "seeds").glob("*.txt")):
        add(path, "seed", SEED_KINDS[path.name[:3]], None)
    with open(corpus_root / "noisy" / "manifest.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            add(corpus_root / "noisy" / row["file"], "noisy", row["kind"], row["url"])
    return found


# --- Fact retention -------------------------------------------------------------


def load_derive_gold() -> Optional[ModuleType]:
    """eval/derive_gold.py (not a package) holds the gold set's findability check."""
    path = REPO_ROOT / "eval" / "derive_gold.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("derive_gold", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_gold"] = module  # its dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


def squeeze(text: str) -> str:
    return " ".join(text.split()).casefold()


def gold_values(labels: dict, derive_gold: Optional[ModuleType]) -> list[tuple[str, Any, str]]:
    """(field name, value, check rule) for every non-empty label value, list elements and
    object attributes included. The rule names derive_gold's check for the value."""
    object_attributes = getattr(derive_gold, "OBJECT_ATTRIBUTES", {})
    values = []
    for name in CONTRACT_KEYS:
        value = labels.get(name)
        if is_empty(value):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict) and name != "registry_ids":
            for item in value:
                rules = object_attributes.get(name) or {key: "text" for key in item}
                for attribute, rule in rules.items():
                    if not is_empty(item.get(attribute)):
                        values.append((f"{name}.{attribute}", item[attribute], rule))
        else:
            for item in value if isinstance(value, list) else [value]:
                values.append((name, item, name))
    return values


def findable(value: Any, rule: str, text: str, derive_gold: Optional[ModuleType]) -> bool:
    if isinstance(value, dict):  # a registry id
        string_form = value.get("id", "")
    else:
        string_form = value if isinstance(value, str) else ""
    if string_form and squeeze(string_form) in squeeze(text):
        return True
    if derive_gold is None:
        return False
    if rule == "text":
        return derive_gold.text_is_stated(value, text)
    if rule == "words":
        return derive_gold.words_are_stated(value, text)
    try:
        return derive_gold.is_stated(rule, value, text)
    except (KeyError, TypeError, ValueError):
        return False


def group_texts(cleaned: CleanText) -> dict[str, str]:
    """The text each field group reads: its spans joined by blank lines."""
    sections = detect_sections(cleaned)
    return {
        group: "\n\n".join(cleaned.text[start:end]
                            for start, end in text_for_group(cleaned, sections, group))
        for group in FIELD_GROUP_SECTIONS
    }


def check_retention(entry: Entry, gold: dict, derive_gold: Optional[ModuleType]) -> None:
    raw, cleaned = entry.document.text, entry.cleaned.text
    texts = group_texts(entry.cleaned)
    for name, value, rule in gold_values(gold.get("labels", {}), derive_gold):
        if not findable(value, rule, raw, derive_gold):
            continue
        entry.checked += 1
        shown = f"{name}: {str(value.get('id') if isinstance(value, dict) else value)[:50]!r}"
        if not findable(value, rule, cleaned, derive_gold):
            entry.lost.append(shown)
            continue
        group = GROUP_OF_FIELD[name.split(".")[0]]
        counts = entry.group_recall[group]
        counts[0] += 1
        if findable(value, rule, texts[group], derive_gold):
            counts[1] += 1
        else:
            entry.hidden.append(f"{group} / {shown}")


# --- Report ---------------------------------------------------------------------


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def reduction_table(entries: list[Entry]) -> list[str]:
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_kind[entry.kind].append(entry)
    rows = ["| kind | docs | raw tokens | median reduction | total reduction | "
            "total with site profiles | gold values checked | retained |",
            "|---|---|---|---|---|---|---|---|"]
    groups = [(kind, by_kind[kind]) for kind in KIND_ORDER if kind in by_kind]
    groups += [("aggregator: seeds 002-004", [e for e in by_kind["aggregator"] if e.source == "seed"]),
               ("aggregator: noisy pages", [e for e in by_kind["aggregator"] if e.source == "noisy"]),
               ("all", entries)]
    for label, group in groups:
        if not group:
            continue
        raw = sum(e.raw_tokens for e in group)
        kept = sum(count_tokens(e.cleaned.text) for e in group)
        kept_profiled = sum(count_tokens(e.profiled.text) for e in group)
        checked = sum(e.checked for e in group)
        retained = checked - sum(len(e.lost) for e in group)
        retention = percent(retained / checked) if checked else "n/a"
        rows.append(
            f"| {label} | {len(group)} | {raw} | {percent(statistics.median(e.reduction() for e in group))} "
            f"| {percent(1 - kept / raw)} | {percent(1 - kept_profiled / raw)} | {checked} "
            f"| {retained} ({retention}) |"
        )
    return rows


def document_table(entries: list[Entry]) -> list[str]:
    rows = ["| document | kind | raw tokens | cleaned | reduction | top removal reasons (tokens) | gold lost |",
            "|---|---|---|---|---|---|---|"]
    for entry in sorted(entries, key=lambda e: (e.kind, -e.reduction())):
        by_reason: Counter[str] = Counter()
        for block in entry.cleaned.removed:
            by_reason[block.reason] += count_tokens(entry.document.text[block.start:block.end])
        reasons = ", ".join(f"{reason} {tokens}" for reason, tokens in by_reason.most_common(3) if tokens)
        rows.append(
            f"| {entry.name} | {entry.kind} | {entry.raw_tokens} | {count_tokens(entry.cleaned.text)} "
            f"| {percent(entry.reduction())} | {reasons or '-'} | {len(entry.lost)} of {entry.checked} |"
        )
    return rows


def group_share_table(entries: list[Entry]) -> list[str]:
    """Per field group: share of the cleaned tokens its LLM call reads, and section recall."""
    shares: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        text = entry.cleaned.text
        total = count_tokens(text)
        if not total:
            continue
        sections = detect_sections(entry.cleaned)
        for group in FIELD_GROUP_SECTIONS:
            spans = text_for_group(entry.cleaned, sections, group)
            shares[group].append(sum(count_tokens(text[s:e]) for s, e in spans) / total)
    rows = ["| field group | median share of cleaned tokens | docs reading everything "
            "| gold values in the group's spans |", "|---|---|---|---|"]
    for group, values in shares.items():
        whole = sum(1 for share in values if share >= 0.999)
        findable_total = sum(e.group_recall[group][0] for e in entries)
        shown_total = sum(e.group_recall[group][1] for e in entries)
        recall = f"{shown_total} of {findable_total}" if findable_total else "n/a"
        rows.append(f"| {group} | {percent(statistics.median(values))} | {whole} of {len(values)} "
                    f"| {recall} |")
    return rows


SPEED_SIZES_MB = (1, 4, 16)


def speed_table(entries: list[Entry]) -> list[str]:
    """Clean the seeds repeated to growing sizes: time per MB should stay flat."""
    seeds = "\n\n".join(e.document.text for e in entries if e.source == "seed")
    rows = ["| input | clean seconds | seconds per MB | detect_sections seconds |", "|---|---|---|---|"]
    for megabytes in SPEED_SIZES_MB:
        text = (seeds * (megabytes * 1_000_000 // len(seeds) + 1))[: megabytes * 1_000_000]
        document = Document(id="speed", path="speed.txt", text=text, kind="aggregator")
        started = time.perf_counter()
        cleaned = clean(document)
        cleaned_at = time.perf_counter()
        detect_sections(cleaned)
        done = time.perf_counter()
        rows.append(f"| seeds repeated to {megabytes} MB | {cleaned_at - started:.2f} "
                    f"| {(cleaned_at - started) / megabytes:.2f} | {done - cleaned_at:.2f} |")
    return rows


def report(entries: list[Entry], gold_found: int, derive_gold_found: bool, command: str) -> str:
    aggregator = [e for e in entries if e.kind == "aggregator"]
    median_aggregator = statistics.median(e.reduction() for e in aggregator) if aggregator else 0.0
    on_target = [e.name for e in aggregator if e.reduction() >= TARGET_REDUCTION]
    below_target = sorted((e for e in aggregator if e.reduction() < TARGET_REDUCTION),
                          key=lambda e: -e.reduction())
    lost = [(e.name, item) for e in entries for item in e.lost]
    checked = sum(e.checked for e in entries)
    lines = [
        "# Cleaning benchmark",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"- Command: `{command}`",
        "- Tokens: regex word pieces `\\w+|[^\\w\\s]` (each run of letters/digits and each "
        "punctuation mark counts 1), a model-free stand-in for BPE tokens.",
        f"- Documents: {len(entries)} (5 seeds, {sum(e.source == 'noisy' for e in entries)} noisy pages). "
        "Noisy pages are the first 2000 bytes of each page, so they hold little of the page "
        "furniture that sits at the bottom of full pages; the seeds are whole pages.",
        "",
        "## Token reduction and fact retention by kind",
        "",
        *reduction_table(entries),
        "",
        f"Target (issue): >= {percent(TARGET_REDUCTION)} fewer tokens on aggregator pages with 100% gold "
        f"fact retention. Median over all aggregator pages: {percent(median_aggregator)}. "
        f"At or above the target: {len(on_target)} of {len(aggregator)} aggregator pages"
        + (f" ({', '.join(on_target)})" if on_target else "") + "; the best of the rest: "
        + (", ".join(f"{e.name} {percent(e.reduction())}" for e in below_target[:3]) or "none") + ".",
        "",
    ]
    if gold_found == 0:
        lines += ["Fact retention: no gold files in eval/gold/ yet, so retention was not measured.", ""]
    else:
        how = ("string form, else eval/derive_gold.is_stated" if derive_gold_found
               else "string form only (eval/derive_gold.py not found)")
        lines += [f"Fact retention: {gold_found} gold files, {checked} values findable in the raw text "
                  f"({how}); {len(lost)} lost by cleaning."]
        lines += [f"- lost in {name}: {item}" for name, item in lost] or ["- none lost"]
        lines.append("")
    hidden = [(e.name, item) for e in entries for item in e.hidden]
    lines += ["## Field groups (pipeline.sections.text_for_group)", "", *group_share_table(entries), ""]
    if gold_found:
        lines += [f"Gold values the group's spans do not show ({len(hidden)}):"]
        lines += [f"- {name}: {item}" for name, item in hidden] or ["- none"]
        lines.append("")
    lines += ["## Speed", "", *speed_table(entries), "",
              "## Per document", "", *document_table(entries), ""]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus_root())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.corpus / "noisy" / "manifest.tsv").exists():
        print(f"corpus not found at {args.corpus} (set --corpus or $TRIALSIFT_CORPUS)", file=sys.stderr)
        return 2

    loaded = load_documents(args.corpus)
    profiles = profiles_by_site([document for _, source, document in loaded if source == "noisy"])
    entries = []
    for name, source, document in loaded:
        cleaned = clean(document)
        profile = profiles.get(site_of(document) or "")
        profiled = clean(document, profile) if profile else cleaned
        entries.append(Entry(name, source, document, cleaned, profiled))

    derive_gold = load_derive_gold()
    gold_found = 0
    for entry in entries:
        gold_path = GOLD_DIR / f"{Path(entry.name).stem}.json"
        if gold_path.exists():
            gold_found += 1
            check_retention(entry, json.loads(gold_path.read_text(encoding="utf-8")), derive_gold)

    command = " ".join(["python -m bench.cleaning", *(sys.argv[1:] if argv is None else argv)])
    text = report(entries, gold_found, derive_gold is not None, command)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

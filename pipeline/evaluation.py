"""Evaluation: extract the gold-labelled documents, score them field by field, store the run.

`run_eval` is `trialsift eval`: it extracts every document that has a gold file
(eval/gold/, see eval/README.md) with the ordinary batch runner, into its own
DuckDB file, scores the stored per-document records against the gold labels
with pipeline/scoring.py, and stores the scores (eval_runs, eval_field_scores,
eval_document_results). Every run re-extracts every document, so it measures the
code as it is now (a grounding or rules change shows up at once); the LLM answers
are cached in that file, so an unchanged model and prompt cost no LLM call.
`compare` sets two stored runs side by side and flags regressions.

Without the corpus ($TRIALSIFT_CORPUS, or ../shared/corpus beside a checkout) only the
five seed documents bundled in data/samples/ are scored, and the run says so. The gold
labels, the collected pages and the seeds ship as package data (package.resource_dir), so
this works from an installed wheel too; `gold_dir` scores a user's own gold folder instead.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import cleaning, statements, store
from .documents import read_document
from .eval_refusals import Refusal
from .eval_split import SPLITS, site_of, split_of
from .eval_stats import Interval, ScoredDocument, SiteOut, bootstrap_intervals, leave_one_site_out, site_macro_f1
from .extraction import ExtractionConfig
from .llm import LanguageModel
from .records import Document
from .package import checkout_root, code_version, resource_dir
from .runner import RunSummary, run_extraction
from .scoring import Scorecard, compare_record, score
from ..schemas.trial import SCHEMA_VERSION, TrialRecord

GOLD_DIR = resource_dir("eval", "gold")
PAGES_DIR = resource_dir("eval", "pages")
SAMPLES_DIR = resource_dir("data", "samples")  # byte-identical copies of the corpus seeds
DEFAULT_EVAL_DB = "trialsift-eval.duckdb"  # kept apart from the user's trialsift.duckdb

# A field regresses when its F1 drops by more than this, or its hallucination rate rises at all.
F1_REGRESSION_MARGIN = 0.02


class EvalError(ValueError):
    """The evaluation cannot run or compare as asked; the message says why and what to do."""


# --------------------------------------------------------------------------- the gold set


@dataclass(frozen=True)
class GoldDoc:
    """One gold-labelled document: where it is, its kind, and its expected labels."""

    source: str  # as the gold file names it: relative to the corpus root ("noisy/x.txt", "seeds/y.txt"),
    # or to the repository for the pages collected into eval/pages/ ("eval/pages/x.txt")
    path: Path  # the file on disk
    kind: str
    labels: dict
    sha256: str
    site: str = "seeds"  # eval_split.site_of its URL
    split: str = "dev"  # eval_split.split_of its site
    collection: str = "seeds"  # when it joined the set: collection_of_pages' name, "corpus" or "seeds"


def default_corpus_root() -> Optional[Path]:
    """$TRIALSIFT_CORPUS, else ../shared/corpus beside the repository when running from a
    checkout (the tests' convention); an installed package has no default corpus."""
    if os.environ.get("TRIALSIFT_CORPUS"):
        return Path(os.environ["TRIALSIFT_CORPUS"])
    root = checkout_root()
    return root.parent / "shared" / "corpus" if root is not None else None


def _corpus(corpus_root: Optional[Path]) -> tuple[Optional[Path], bool]:
    """The corpus directory asked for (or the default one, if any), and whether it exists."""
    root = Path(corpus_root) if corpus_root is not None else default_corpus_root()
    return root, root is not None and root.is_dir()


COLLECTED_PREFIX = "eval/pages/"  # pages collected into the repository (eval/README.md)


def collection_of_pages(pages_dir: Path = PAGES_DIR) -> dict[str, str]:
    """Collected page file name -> the collection it joined the set with: the name of the manifest
    fragment listing it (eval/pages/manifest.d/<name>.tsv, one per collection batch), or
    "manifest" for eval/pages/manifest.tsv. A batch collected after the code it is scored with
    is unseen by that code, whichever split its sites fall in."""
    collections = {}
    for manifest in [pages_dir / "manifest.tsv", *sorted((pages_dir / "manifest.d").glob("*.tsv"))]:
        if manifest.is_file():
            name = "manifest" if manifest.parent == pages_dir else manifest.stem
            with manifest.open(encoding="utf-8", newline="") as rows:
                for row in csv.DictReader(rows, delimiter="\t"):
                    collections[row["file"]] = name
    return collections


def gold_documents(corpus_root: Optional[Path] = None, only: Sequence[str] = (),
                   split: Optional[str] = None, gold_dir: Optional[Path] = None) -> tuple[list[GoldDoc], str]:
    """The documents to score and a sentence saying which set they are.

    The pages collected into eval/pages/ are always there; with a corpus, its gold documents too;
    without one, of the corpus only the seeds, read from data/samples/. `only` keeps the sources
    matching any of its globs ("seeds/*"); `split` keeps one split ("dev" or "validation").
    Validation documents come first, so that a run cut short has scored them. Any document
    whose bytes differ from its gold file's sha256 is refused: its labels describe other text.
    `gold_dir` replaces the bundled gold labels (same format); their sources are read from the
    corpus, except "eval/pages/..." and "seeds/..." which are the bundled ones.
    """
    if split is not None and split not in SPLITS:
        raise EvalError(f"unknown split '{split}': choose one of {', '.join(SPLITS)}")
    root, have_corpus = _corpus(corpus_root)
    gold_dir = Path(gold_dir) if gold_dir is not None else GOLD_DIR
    gold_files = sorted(gold_dir.glob("*.json"))
    if not gold_files:
        raise EvalError(f"no gold files in {gold_dir}")

    collections = collection_of_pages()
    docs: list[GoldDoc] = []
    for gold_file in gold_files:
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        source = gold["source"]
        if only and not any(fnmatch.fnmatch(source, pattern) for pattern in only):
            continue
        site = site_of(gold["url"])
        if split is not None and split_of(site) != split:
            continue
        collection = "seeds" if source.startswith("seeds/") else "corpus"
        if source.startswith(COLLECTED_PREFIX):
            path = PAGES_DIR / source[len(COLLECTED_PREFIX):]
            collection = collections.get(path.name, "manifest")
        elif have_corpus:
            path = root / source
        elif source.startswith("seeds/"):
            path = SAMPLES_DIR / Path(source).name
        else:
            continue
        docs.append(GoldDoc(source=source, path=path, kind=gold["kind"], labels=gold["labels"], sha256=gold["sha256"],
                            site=site, split=split_of(site), collection=collection))

    _check_documents(docs)
    if not docs:
        raise EvalError("no gold document matches " + " and ".join(
            ([f"--only {' '.join(only)}"] if only else []) + ([f"--split {split}"] if split else [])))
    docs.sort(key=lambda doc: (doc.split != "validation", doc.source))
    subset = (f" matching {' or '.join(only)}" if only else "") + (f" of the {split} split" if split else "")
    counts = ", ".join(f"{sum(d.split == name for d in docs)} {name}" for name in SPLITS)
    if have_corpus:
        return docs, f"scored {len(docs)} documents{subset} ({counts}) from {root} and {COLLECTED_PREFIX}"
    missing = f"corpus not found at {root}" if root is not None else "no corpus (--corpus or $TRIALSIFT_CORPUS)"
    return docs, (f"{missing}: scoring the {len(docs)} documents{subset} ({counts}) of "
                  f"{COLLECTED_PREFIX} and the bundled seeds only")


def _check_documents(docs: list[GoldDoc]) -> None:
    problems = []
    for doc in docs:
        if not doc.path.is_file():
            problems.append(f"{doc.source}: missing ({doc.path})")
            continue
        actual = hashlib.sha256(doc.path.read_bytes()).hexdigest()
        if actual != doc.sha256:
            problems.append(f"{doc.source}: sha256 is {actual[:12]}..., the gold file expects {doc.sha256[:12]}...")
    if problems:
        raise EvalError(
            "refusing to score documents that are not the ones the gold labels describe "
            "(re-review their gold files, see eval/README.md):\n  " + "\n  ".join(problems)
        )


# --------------------------------------------------------------------------- one eval run


@dataclass
class DocumentScore:
    """One document's predicted labels next to its gold labels."""

    gold: GoldDoc
    predicted: dict
    status: str  # the extraction's status, or "missing" when nothing was stored
    refused: list[Refusal] = field(default_factory=list)  # values the extraction refused (review)
    # fields of which the detectors find no statement on the page: never asked (pipeline/eval_unasked.py)
    unstated: frozenset = frozenset()


@dataclass
class SplitScore:
    """The scores of one split (or of all documents), with how far they can be trusted."""

    name: str  # 'all', 'dev' or 'validation'
    scorecard: Scorecard
    intervals: dict[str, Interval]  # bootstrap 95% intervals: per field F1, '_micro', '_hallucination'
    sites_out: list[SiteOut]  # leave-one-site-out micro-F1, lowest first
    site_macro_f1: Optional[float]
    sites: int


def split_scores(documents: list["DocumentScore"]) -> dict[str, SplitScore]:
    """Scores of all documents and of each split present, in that order."""
    groups = {"all": documents}
    for name in SPLITS:
        members = [d for d in documents if d.gold.split == name]
        if members and len(members) < len(documents):
            groups[name] = members
    result = {}
    for name, members in groups.items():
        scored = [ScoredDocument(d.gold.site, compare_record(d.predicted, d.gold.labels)) for d in members]
        result[name] = SplitScore(
            name=name,
            scorecard=score([(d.predicted, d.gold.labels, d.gold.kind) for d in members]),
            intervals=bootstrap_intervals(scored),
            sites_out=leave_one_site_out(scored),
            site_macro_f1=site_macro_f1(scored),
            sites=len({d.gold.site for d in members}),
        )
    return result


@dataclass
class CollectionScore:
    """The scores of the documents that joined the set together (GoldDoc.collection)."""

    name: str
    dev: int  # documents on each side of the split
    validation: int
    scorecard: Scorecard


def collection_scores(documents: list["DocumentScore"]) -> list[CollectionScore]:
    """One score per collection, by name (collection batches are named in the order they were added)."""
    names = sorted({d.gold.collection for d in documents})
    result = []
    for name in names:
        members = [d for d in documents if d.gold.collection == name]
        result.append(CollectionScore(
            name=name, dev=sum(d.gold.split == "dev" for d in members),
            validation=sum(d.gold.split == "validation" for d in members),
            scorecard=score([(d.predicted, d.gold.labels, d.gold.kind) for d in members])))
    return result


@dataclass
class EvalRun:
    eval_id: str
    created_at: datetime
    db_path: str
    model: str
    endpoint: str
    prompt_version: str
    schema_version: str
    git_commit: str
    corpus: str  # the corpus directory, or the samples directory for a seeds-only run
    corpus_note: str  # "scored 45 documents from ..." / "corpus not found at ...: ..."
    scorecard: Scorecard
    documents: list[DocumentScore]
    extraction: RunSummary
    notes: list[str] = field(default_factory=list)
    splits: dict[str, SplitScore] = field(default_factory=dict)  # 'all', then 'dev' / 'validation' if both


def run_eval(
    corpus_root: Optional[Path] = None,
    *,
    db_path: str = DEFAULT_EVAL_DB,
    llm: Optional[LanguageModel],
    endpoint_label: str,
    concurrency: int = 1,
    config: ExtractionConfig = ExtractionConfig(),
    only: Sequence[str] = (),
    split: Optional[str] = None,
    gold_dir: Optional[Path] = None,
    on_progress: Callable[[str, str], None] = lambda path, status: None,
    on_total: Callable[[int], None] = lambda total: None,
) -> EvalRun:
    """Extract the gold documents into `db_path`, score them, store and return the eval run."""
    commit = code_version()  # the code that runs is the code at the start: a long eval can outlive a commit
    docs, corpus_note = gold_documents(corpus_root, only, split, gold_dir)
    root, have_corpus = _corpus(corpus_root)
    summary = run_extraction(
        [str(doc.path) for doc in docs], db_path=db_path, llm=llm, endpoint_label=endpoint_label,
        concurrency=concurrency, config=config, on_progress=on_progress, on_total=on_total, command="eval",
        force=True,  # an extraction stored by older code must not stand in for the current code's
    )
    conn = store.connect(db_path)
    try:
        scored = _predictions(conn, docs, model=summary.model, prompt_version=summary.prompt_version)
        splits = split_scores(scored)
        run = EvalRun(
            eval_id=uuid.uuid4().hex[:12],
            created_at=datetime.now(timezone.utc).replace(tzinfo=None),
            db_path=db_path,
            model=summary.model,
            endpoint=endpoint_label,
            prompt_version=summary.prompt_version,
            schema_version=SCHEMA_VERSION,
            git_commit=commit,
            corpus=str(root if have_corpus else SAMPLES_DIR),
            corpus_note=corpus_note,
            scorecard=splits["all"].scorecard,
            documents=scored,
            extraction=summary,
            notes=[corpus_note] + _status_notes(scored),
            splits=splits,
        )
        save_eval(conn, run)
    finally:
        conn.close()
    return run


def _predictions(conn, docs: list[GoldDoc], *, model: str, prompt_version: str) -> list[DocumentScore]:
    """Each document's record from this model and prompt version (not another model's, even if newer)."""
    rows = conn.execute(
        """SELECT document_id, status, record FROM extractions
           WHERE model = ? AND prompt_version = ? AND schema_version = ?""",
        [model, prompt_version, SCHEMA_VERSION],
    ).fetchall()
    stored = {document_id: (status, record) for document_id, status, record in rows}
    refused: dict[str, list[Refusal]] = {}
    for document_id, field_name, value, reason in conn.execute(
            "SELECT document_id, field, value, reason FROM review WHERE model = ? AND prompt_version = ?",
            [model, prompt_version]).fetchall():
        refused.setdefault(document_id, []).append(Refusal(field_name, json.loads(value), reason))
    scored = []
    for doc in docs:
        status, record = stored.get(doc.sha256, ("missing", None))
        predicted = TrialRecord.model_validate_json(record) if record else TrialRecord()
        scored.append(DocumentScore(gold=doc, predicted=predicted.model_dump(mode="json"), status=status,
                                    refused=refused.get(doc.sha256, []), unstated=_unstated_fields(doc.path)))
    return scored


def _unstated_fields(path: Path) -> frozenset:
    """The fields the page states in no form the statement detectors read (none for a file that
    cannot be read: its extraction failed and says why)."""
    document = read_document(path)
    if not isinstance(document, Document):
        return frozenset()
    return frozenset(statements.unstatable_fields(cleaning.clean(document)))


def _status_notes(scored: list[DocumentScore]) -> list[str]:
    """Documents whose extraction did not finish are scored as they are; say which."""
    notes = []
    for status in ("partial", "failed", "missing"):
        sources = [d.gold.source for d in scored if d.status == status]
        if sources:
            notes.append(f"{len(sources)} {status} extraction(s), scored as stored: {', '.join(sources)}")
    return notes


# --------------------------------------------------------------------------- storage


def save_eval(conn, run: EvalRun) -> None:
    """The run, its per-field scores (overall and per kind) and per-document results, in one transaction."""
    card = run.scorecard
    micro, macro = card.micro, card.macro
    field_rows = []
    for split in run.splits.values() or [SplitScore("all", card, {}, [], None, 0)]:
        for row in split.scorecard.to_rows():
            name = "_micro" if row["field"] == "_micro" else row["field"]
            low, high = split.intervals.get(name, (None, None)) if row["kind"] == "all" else (None, None)
            field_rows.append({"eval_id": run.eval_id, **row, "split": split.name, "f1_low": low, "f1_high": high})
    document_rows = [
        {"eval_id": run.eval_id, "document_id": doc.gold.sha256, "source": doc.gold.source, "kind": doc.gold.kind,
         "field": name, "predicted": json.dumps(doc.predicted.get(name)), "gold": json.dumps(doc.gold.labels.get(name)),
         "tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "hallucinated": bool(counts.hallucinations),
         "site": doc.gold.site, "split": doc.gold.split}
        for doc in run.documents
        for name, counts in compare_record(doc.predicted, doc.gold.labels).items()
    ]
    conn.execute("BEGIN")
    try:
        conn.execute(
            "INSERT INTO eval_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.eval_id, run.created_at, run.model, run.endpoint, run.prompt_version, run.schema_version,
             run.git_commit, run.corpus, len(run.documents), micro.precision, micro.recall, micro.f1,
             macro.f1, card.hallucination_rate, "\n".join(run.notes), run.extraction.run_id],
        )
        store.insert_rows(conn, "eval_field_scores", field_rows)
        store.insert_rows(conn, "eval_document_results", document_rows)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------- comparing two runs

METRICS = ("precision", "recall", "f1", "hallucination_rate")


@dataclass(frozen=True)
class FieldDelta:
    """One field's overall scores in run A (before) and run B (after)."""

    field: str
    before: dict[str, Optional[float]]
    after: dict[str, Optional[float]]
    split: str = "all"  # 'all', 'dev' or 'validation'

    def delta(self, metric: str) -> Optional[float]:
        a, b = self.before[metric], self.after[metric]
        return None if a is None or b is None else b - a

    @property
    def regression(self) -> bool:
        f1, hallucination = self.delta("f1"), self.delta("hallucination_rate")
        return (f1 is not None and f1 < -F1_REGRESSION_MARGIN) or (hallucination is not None and hallucination > 0)

    @property
    def improvement(self) -> bool:
        if self.regression:
            return False
        f1, hallucination = self.delta("f1"), self.delta("hallucination_rate")
        return (f1 is not None and f1 > F1_REGRESSION_MARGIN) or (hallucination is not None and hallucination < 0)


@dataclass(frozen=True)
class Comparison:
    a: dict  # the eval_runs row of the earlier ("before") run
    b: dict  # the eval_runs row of the later ("after") run
    fields: list[FieldDelta]  # every contract field, then '_micro' and '_macro'; for 'all', then each split
    warnings: list[str]

    @property
    def regressions(self) -> list[FieldDelta]:
        return [d for d in self.fields if d.regression]

    @property
    def improvements(self) -> list[FieldDelta]:
        return [d for d in self.fields if d.improvement]


def compare(db_path: str, a: str, b: str) -> Comparison:
    """Per-field deltas from eval run `a` to eval run `b` (ids, unique id prefixes, "latest", "previous")."""
    if not Path(db_path).exists():
        raise EvalError(f"no evaluation database at {db_path}: run `trialsift eval` first")
    conn = store.connect(db_path)
    try:
        run_a, run_b = _eval_row(conn, a), _eval_row(conn, b)
        scores_a, scores_b = _field_scores(conn, run_a["eval_id"]), _field_scores(conn, run_b["eval_id"])
    finally:
        conn.close()
    empty = dict.fromkeys(METRICS)
    deltas = []
    for split in ["all", *[name for name in SPLITS if name in scores_a and name in scores_b]]:
        a_split, b_split = scores_a.get(split, {}), scores_b.get(split, {})
        names = list(a_split) + [name for name in b_split if name not in a_split]
        deltas += [FieldDelta(name, a_split.get(name, empty), b_split.get(name, empty), split) for name in names]
    warnings = []
    if (run_a["corpus"], run_a["documents"]) != (run_b["corpus"], run_b["documents"]):
        warnings.append(
            f"the runs scored different document sets ({run_a['documents']} from {run_a['corpus']} vs "
            f"{run_b['documents']} from {run_b['corpus']}): deltas mix model and data changes"
        )
    return Comparison(a=run_a, b=run_b, fields=deltas, warnings=warnings)


def _eval_row(conn, wanted: str) -> dict:
    ordered = conn.execute("SELECT * FROM eval_runs ORDER BY created_at DESC, eval_id").fetchall()
    columns = [d[0] for d in conn.description]
    runs = [dict(zip(columns, row)) for row in ordered]
    if wanted in ("latest", "previous"):
        position = 0 if wanted == "latest" else 1
        if len(runs) <= position:
            raise EvalError(f"'{wanted}' needs {position + 1} eval run(s) in the database, it holds {len(runs)}")
        return runs[position]
    matches = [run for run in runs if run["eval_id"].startswith(wanted)]
    if len(matches) != 1:
        known = ", ".join(run["eval_id"] for run in runs[:10]) or "none"
        problem = "no eval run" if not matches else "more than one eval run"
        raise EvalError(f"{problem} matches '{wanted}' (latest runs: {known})")
    return matches[0]


def _field_scores(conn, eval_id: str) -> dict[str, dict[str, dict[str, Optional[float]]]]:
    """split -> field -> metric, from the rows over all kinds."""
    rows = conn.execute(
        f"SELECT coalesce(split, 'all'), field, {', '.join(METRICS)} FROM eval_field_scores "
        "WHERE eval_id = ? AND kind = 'all' ORDER BY rowid",
        [eval_id],
    ).fetchall()
    scores: dict[str, dict[str, dict[str, Optional[float]]]] = {}
    for split, name, *values in rows:
        scores.setdefault(split, {})[name] = dict(zip(METRICS, values))
    return scores

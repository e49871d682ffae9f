"""Benchmark: 100,000 trials through the store's bulk path, then typical queries.

Generates valid TrialRecords (schemas/trial.py), wraps them as MergedTrials and
times pipeline.store.replace_trials into a fresh database (target >= 20,000
records/s): every table, trials_flat included, in one transaction. Then it times typical queries over trials_flat and the
normalized tables, median of 5 runs each (target < 100 ms). Also timed, with no target in
issue 8: merging the documents behind those trials (one registry record each, plus an id-less
press item with the same title for every fourth) with pipeline.merge.merge_all.

    python -m bench.duckdb_scale [--records 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from trialsift.pipeline import store
from trialsift.pipeline.merge import MergedTrial, SourceDocument, merge_all
from trialsift.schemas.trial import TrialRecord

INSERT_TARGET_PER_S = 20_000
QUERY_LIMIT_MS = 100.0

CONDITIONS = ["Type 2 Diabetes", "Hypertension", "Asthma", "Breast Cancer", "Major Depressive Disorder",
              "COPD", "Heart Failure", "Rheumatoid Arthritis", "Psoriasis", "Alzheimer Disease",
              "Chronic Kidney Disease", "Migraine", "Obesity", "HIV Infections", "Hepatitis C"]
PHASE_SETS = [["PHASE1"], ["PHASE2"], ["PHASE3"], ["PHASE4"], ["PHASE1", "PHASE2"], ["PHASE2", "PHASE3"],
              ["EARLY_PHASE1"], ["NA"]]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "CN", "IN", "BR", "CA", "AU", "ES", "IT", "KR", "NL", "SE"]
STATUSES = ["RECRUITING", "COMPLETED", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "TERMINATED"]


def generated_trial(number: int, rng: random.Random) -> MergedTrial:
    """One valid, varied trial; validated through the contract like any extracted record."""
    record = TrialRecord.model_validate({
        "registry_ids": [{"registry": "NCT", "id": f"NCT{number:08d}"}],
        "public_title": f"Study {number} of treatment in {rng.choice(CONDITIONS)}",
        "conditions": rng.sample(CONDITIONS, rng.randint(1, 3)),
        "study_type": "INTERVENTIONAL",
        "phases": rng.choice(PHASE_SETS),
        "primary_sponsor": f"Sponsor Org {number % 500}",
        "countries": rng.sample(COUNTRIES, rng.randint(1, 3)),
        "target_enrollment": rng.randint(10, 5000),
        "min_age_years": 18,
        "sex": "ALL",
        "recruitment_status": rng.choice(STATUSES),
        "start_date": f"{rng.randint(2005, 2025)}-{rng.randint(1, 12):02d}",
        "interventions": [{"name": f"Drug {number % 997}", "type": "DRUG"}],
        "primary_outcomes": [{"measure": "Change in primary score", "time_frame": "12 weeks"}],
    })
    document_id = f"doc{number:08d}"
    return MergedTrial(trial_id=f"trial{number:08d}", record=record, sources=[(document_id, "registry id")],
                       field_sources={"phases": document_id})


def time_store_path(db_path: Path, trials: list[MergedTrial]) -> float:
    conn = store.connect(db_path)
    started = time.perf_counter()
    store.replace_trials(conn, trials)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def time_merge(trials: list[MergedTrial]) -> tuple[float, int, int]:
    """(seconds, documents, trials) of merge_all over one registry document per trial and an
    id-less press item, linked by its exact title, for every fourth: linking at scale."""
    sources = [SourceDocument(trial.sources[0][0], "registry", trial.record) for trial in trials]
    sources += [SourceDocument(f"press{number:08d}", "press", TrialRecord(public_title=trial.record.public_title))
                for number, trial in enumerate(trials[::4])]
    started = time.perf_counter()
    merged = merge_all(sources)
    return time.perf_counter() - started, len(sources), len(merged)


QUERIES = {
    "by condition (conditions join trials)":
        "SELECT t.trial_id, t.public_title FROM conditions c JOIN trials t USING (trial_id) WHERE c.condition = 'Asthma'",
    "by phase (phases join trials)":
        "SELECT count(*) FROM phases p JOIN trials t USING (trial_id) WHERE p.phase = 'PHASE3'",
    "by country (countries join trials)":
        "SELECT t.trial_id, t.target_enrollment FROM countries c JOIN trials t USING (trial_id) WHERE c.country = 'JP'",
    "by enrollment range (trials)":
        "SELECT trial_id, target_enrollment FROM trials WHERE target_enrollment BETWEEN 500 AND 600",
    "by sponsor (trials)":
        "SELECT trial_id FROM trials WHERE primary_sponsor = 'Sponsor Org 42'",
    "trials_flat, condition LIKE":
        "SELECT trial_id, phases, countries FROM trials_flat WHERE conditions LIKE '%Asthma%'",
    "trials_flat, sponsor":
        "SELECT * FROM trials_flat WHERE primary_sponsor = 'Sponsor Org 42'",
    "trials_flat, enrollment range + phase":
        "SELECT trial_id, phases FROM trials_flat WHERE target_enrollment BETWEEN 500 AND 600 AND phases LIKE '%PHASE2%'",
    "trials_flat, full export count":
        "SELECT count(*), count(countries) FROM trials_flat",
    "count per condition and phase":
        "SELECT c.condition, p.phase, count(*) FROM conditions c JOIN phases p USING (trial_id) GROUP BY ALL",
}


def time_queries(db_path: Path, runs: int = 5) -> dict[str, tuple[float, int]]:
    """name -> (median ms, rows returned). Results are fetched, not just planned."""
    conn = store.connect(db_path)
    timings = {}
    for name, sql in QUERIES.items():
        samples, rows = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(conn.execute(sql).fetchall())
            samples.append((time.perf_counter() - started) * 1000)
        timings[name] = (statistics.median(samples), rows)
    conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="insert runs; the median is reported")
    args = parser.parse_args()
    rng = random.Random(20240601)

    started = time.perf_counter()
    trials = [generated_trial(number, rng) for number in range(args.records)]
    print(f"generated {len(trials)} records in {time.perf_counter() - started:.1f} s (not timed below)")

    with tempfile.TemporaryDirectory(prefix="trialsift-bench-") as tmp:
        work_dir = Path(tmp)
        store_seconds = []
        for repeat in range(args.repeats):
            store_seconds.append(time_store_path(work_dir / f"store{repeat}.duckdb", trials))
            print(f"store.replace_trials run {repeat + 1}: {store_seconds[-1]:.2f} s")
        timings = time_queries(work_dir / "store0.duckdb")
    merge_seconds, merge_documents, merged_trials = time_merge(trials)
    if merged_trials != len(trials):
        raise SystemExit(f"merge linked {merge_documents} documents into {merged_trials} trials, not {len(trials)}")

    store_rate = args.records / statistics.median(store_seconds)
    print("\n| figure | value | target | ratio | met? |\n|---|---|---|---|---|")
    print(f"| store.replace_trials, records/s (median of {args.repeats}) | {store_rate:,.0f} | >= {INSERT_TARGET_PER_S:,} "
          f"| {store_rate / INSERT_TARGET_PER_S:.2f} | {'yes' if store_rate >= INSERT_TARGET_PER_S else 'no'} |")
    print(f"| merge.merge_all, {merge_documents:,} documents into {merged_trials:,} trials | {merge_seconds:.1f} s "
          f"({merge_documents / merge_seconds:,.0f} documents/s) | (none) | | |")
    for name, (median_ms, rows) in timings.items():
        print(f"| query: {name} ({rows} rows), median ms | {median_ms:.1f} | < {QUERY_LIMIT_MS:.0f} "
              f"| {median_ms / QUERY_LIMIT_MS:.2f} | {'yes' if median_ms < QUERY_LIMIT_MS else 'no'} |")


if __name__ == "__main__":
    main()

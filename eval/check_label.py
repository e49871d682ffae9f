"""Check gold labels of collected pages (eval/pages/) before they are committed.

    python eval/check_label.py eval/gold/<stem>.json [...]   # one or more gold files
    python eval/check_label.py --all                          # every gold file of eval/pages

For each file: the header has the right keys and matches its row in eval/pages/manifest.tsv
(or a fragment under eval/pages/manifest.d/), the sha256 is the page's, the labels are a canonical
TrialRecord, every registry id is written in the page, and every value is findable by
derive_gold.is_stated (a simple normalizing search: a value it cannot find is either a label
written differently from the page, or a paraphrase to double-check). Exit 1 on any problem.
It never runs the pipeline: labels are written from the page alone.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from eval.derive_gold import unstated_values  # noqa: E402
from trialsift.schemas.trial import CONTRACT_KEYS, TrialRecord  # noqa: E402

PAGES_DIR = REPO_ROOT / "eval" / "pages"
GOLD_DIR = REPO_ROOT / "eval" / "gold"
HEADER_KEYS = {"source", "sha256", "url", "kind", "trial_id", "record", "labels", "conflicts", "notes"}
KINDS = {"press", "news", "registry", "aggregator"}
MANIFEST_COLUMNS = ["file", "url", "retrieved", "kind", "trial_id", "site", "language"]


def manifest_rows() -> dict[str, dict]:
    """file -> row, from manifest.tsv and any manifest.d/*.tsv fragments."""
    rows = {}
    paths = [PAGES_DIR / "manifest.tsv", *sorted((PAGES_DIR / "manifest.d").glob("*.tsv"))]
    for path in paths:
        if not path.exists():
            continue
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows[row["file"]] = row
    return rows


def problems_of(gold_path: Path, rows: dict[str, dict]) -> list[str]:
    entry = json.loads(gold_path.read_text(encoding="utf-8"))
    problems = []
    if set(entry) != HEADER_KEYS:
        problems.append(f"header keys {sorted(entry)} != {sorted(HEADER_KEYS)}")
        return problems
    source = entry["source"]
    if not source.startswith("eval/pages/"):
        return [f"source {source!r} is not under eval/pages/"]
    page = REPO_ROOT / source
    if not page.is_file():
        return [f"page {source} is missing"]
    if Path(source).stem != gold_path.stem:
        problems.append("gold file name differs from the page's stem")
    data = page.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        problems.append(f"sha256 should be {hashlib.sha256(data).hexdigest()}")
    text = data.decode("utf-8")
    row = rows.get(Path(source).name)
    if row is None:
        problems.append("no manifest row for this page")
    else:
        if (row["url"], row["kind"], row["trial_id"] or None) != (entry["url"], entry["kind"], entry["trial_id"]):
            problems.append("url/kind/trial_id differ from the manifest row")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.get("retrieved") or ""):
            problems.append("manifest row has no retrieved date (YYYY-MM-DD)")
        if not row.get("site"):
            problems.append("manifest row has no site")
    if entry["kind"] not in KINDS:
        problems.append(f"kind {entry['kind']!r} not in {sorted(KINDS)}")
    if entry["record"] is not None:
        problems.append("record must be null for collected pages")
    labels = entry["labels"]
    if set(labels) != set(CONTRACT_KEYS):
        problems.append(f"labels keys differ: missing {sorted(set(CONTRACT_KEYS) - set(labels))}, "
                        f"extra {sorted(set(labels) - set(CONTRACT_KEYS))}")
        return problems
    try:
        canonical = TrialRecord.model_validate(labels).model_dump(mode="json")
    except Exception as error:  # noqa: BLE001 - report any validation error
        return problems + [f"labels do not validate: {error}"]
    for key in CONTRACT_KEYS:
        if canonical[key] != labels[key]:
            problems.append(f"{key} is not canonical: write {json.dumps(canonical[key], ensure_ascii=False)}")
    squeeze = lambda s: re.sub(r"[\s\-\u00a0]+", "", s).upper()  # noqa: E731
    for item in labels["registry_ids"]:
        if squeeze(item["id"]) not in squeeze(text):
            problems.append(f"registry id {item['id']} is not written in the page")
    problems.extend(f"not findable (check wording): {line}" for line in unstated_values(labels, text))
    if "DRAFT" in (entry["notes"] or ""):
        problems.append("notes say DRAFT")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    rows = manifest_rows()
    paths = list(args.gold)
    if args.all:
        paths = [p for p in sorted(GOLD_DIR.glob("*.json"))
                 if json.loads(p.read_text(encoding="utf-8"))["source"].startswith("eval/pages/")]
    failed = 0
    for path in paths:
        problems = problems_of(path, rows)
        if problems:
            failed += 1
            print(f"{path.name}:")
            for problem in problems:
                print(f"  - {problem}")
    print(f"{len(paths) - failed} of {len(paths)} gold files pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

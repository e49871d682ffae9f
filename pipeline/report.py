"""Reports of an eval run: rich tables for the terminal, and a markdown file with a chart.

The tables show per-field precision, recall, F1 and hallucination rate, the
micro and macro averages, and one row per document kind. `write_report` puts
the same tables in `eval-report.md` beside a per-field F1 bar chart drawn by
matplotlib (the optional `report` extra); without matplotlib the markdown is
written anyway and says why the chart is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .eval_refusals import refusal_counts
from .eval_unasked import unasked_counts
from .evaluation import Comparison, EvalRun, SplitScore, collection_scores
from .scoring import Scorecard

REPORT_NAME = "eval-report.md"
CHART_NAME = "field-f1.png"

FIELD_COLUMNS = ("field", "tp", "fp", "fn", "precision", "recall", "F1", "hallucination rate")
SUMMARY_LABELS = {"_micro": "micro (counts summed)", "_macro": "macro (mean of fields)"}
KIND_COLUMNS = ("kind", "documents", "micro P", "micro R", "micro F1", "macro F1", "hallucination rate")
REFUSAL_COLUMNS = ("field", "refused because", "dev: true / false / hallucinated",
                   "validation: true / false / hallucinated")
REFUSAL_ROWS_SHOWN = 30
UNASKED_COLUMNS = ("field", "dev: never asked / with a gold value", "validation: never asked / with a gold value")
COLLECTION_COLUMNS = ("collection", "documents (dev / validation)", "tp", "fp", "fn", "micro F1", "hallucination rate")


def _number(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _count(value: Optional[int]) -> str:
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- table rows


def field_rows(card: Scorecard) -> list[list[str]]:
    """One row per contract field, then the micro and macro rows.

    The hallucination rate reads "rate (h/n)": n documents had no gold value, h of them got one anyway.
    """
    rows = []
    for row in card.to_rows():
        if row["kind"] != "all":
            continue
        if row["field"] == "_macro":
            hallucinations = ""
        else:
            hallucinations = f"{_number(row['hallucination_rate'])} ({row['hallucinations']}/{row['gold_empty']})"
        rows.append([SUMMARY_LABELS.get(row["field"], row["field"]),
                     _count(row["tp"]), _count(row["fp"]), _count(row["fn"]),
                     _number(row["precision"]), _number(row["recall"]), _number(row["f1"]), hallucinations])
    return rows


def kind_rows(card: Scorecard) -> list[list[str]]:
    rows = []
    for kind, sub in sorted(card.by_kind.items()):
        micro, macro = sub.micro, sub.macro
        rows.append([kind, str(sub.documents), _number(micro.precision), _number(micro.recall),
                     _number(micro.f1), _number(macro.f1), _number(sub.hallucination_rate)])
    return rows


def collection_rows(run: EvalRun) -> list[list[str]]:
    """One row per collection batch: its documents on each side of the split, micro counts and F1."""
    rows = []
    for collection in collection_scores(run.documents):
        micro = collection.scorecard.micro
        rows.append([collection.name, f"{collection.dev + collection.validation} ({collection.dev} / "
                     f"{collection.validation})", str(micro.tp), str(micro.fp), str(micro.fn),
                     _number(micro.f1), _number(collection.scorecard.hallucination_rate)])
    return rows


def refusal_rows(run: EvalRun) -> list[list[str]]:
    """One row per field and reason: what its refused values would have added, per split."""
    by_reason: dict[tuple[str, str], dict] = {}
    for count in refusal_counts(run.documents):
        by_reason.setdefault((count.field, count.reason), {})[count.split] = count
    order = sorted(by_reason, key=lambda key: (-sum(c.true for c in by_reason[key].values()),
                                               -sum(c.refused for c in by_reason[key].values()), key))
    return [[name, reason] + [_refusal_cell(by_reason[(name, reason)].get(split)) for split in ("dev", "validation")]
            for name, reason in order]


def unasked_rows(run: EvalRun) -> list[list[str]]:
    """One row per field the statement gate closed on a gold value: never asked / with a gold value, per split."""
    by_field: dict[str, dict] = {}
    for count in unasked_counts(run.documents):
        by_field.setdefault(count.field, {})[count.split] = count
    return [[name] + [f"{c.never_asked} / {c.with_gold}" if (c := by_field[name].get(split)) else ""
                      for split in ("dev", "validation")] for name in by_field]


def _refusal_cell(count) -> str:
    return f"{count.true} / {count.false} / {count.hallucinated}" if count else ""


def _interval(interval) -> str:
    low, high = interval if interval else (None, None)
    return "" if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _shown_splits(run: EvalRun) -> list[SplitScore]:
    """The splits side by side: dev and validation when the run has both, else all documents."""
    named = [split for name, split in run.splits.items() if name != "all"]
    return named or [run.splits["all"]] if run.splits else []


def split_summary_rows(run: EvalRun) -> list[list[str]]:
    """One row per split: documents, sites, micro P/R/F1 with its interval, hallucination rate with
    its interval, the mean of per-site F1, and the lowest leave-one-site-out F1."""
    rows = []
    for split in run.splits.values():
        micro = split.scorecard.micro
        lowest = split.sites_out[0] if split.sites_out else None
        rows.append([
            split.name, str(split.scorecard.documents), str(split.sites),
            _number(micro.precision), _number(micro.recall),
            f"{_number(micro.f1)} {_interval(split.intervals.get('_micro'))}",
            f"{_number(micro.hallucination_rate)} {_interval(split.intervals.get('_hallucination'))} "
            f"({micro.hallucinations}/{micro.gold_empty})",
            _number(split.site_macro_f1),
            f"{_number(lowest.f1_without)} (without {lowest.site})" if lowest else "",
        ])
    return rows


SPLIT_COLUMNS = ("split", "documents", "sites", "micro P", "micro R", "micro F1 [95% CI]",
                 "hallucination rate [95% CI]", "mean per-site F1", "lowest leave-one-site-out F1")


def split_field_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Per-field F1 with its interval, one column per split shown."""
    splits = _shown_splits(run)
    columns = ["field"] + [f"{split.name} F1 [95% CI]" for split in splits] + [f"{split.name} tp/fp/fn" for split in splits]
    rows = []
    for name in (splits[0].scorecard.per_field if splits else {}):
        cells = [name]
        for split in splits:
            counts = split.scorecard.per_field[name]
            cells.append(f"{_number(counts.f1)} {_interval(split.intervals.get(name))}".strip())
        for split in splits:
            counts = split.scorecard.per_field[name]
            cells.append(f"{counts.tp}/{counts.fp}/{counts.fn}")
        rows.append(cells)
    return columns, rows


def summary_lines(run: EvalRun) -> list[tuple[str, str]]:
    card, summary = run.scorecard, run.extraction
    micro = card.micro
    return [
        ("eval id", run.eval_id),
        ("date (UTC)", run.created_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("endpoint / model", f"{run.endpoint} / {run.model}"),
        ("prompt / schema version", f"{run.prompt_version} / {run.schema_version}"),
        ("code version", run.git_commit),
        ("database", run.db_path),
        ("LLM calls", f"{summary.llm_calls} (+{summary.cached_calls} answered from cache)"),
        ("micro P / R / F1", f"{_number(micro.precision)} / {_number(micro.recall)} / {_number(micro.f1)}"),
        ("macro F1", f"{_number(card.macro.f1)} over {card.macro.fields} fields with any value"),
        ("hallucination rate", f"{_number(card.hallucination_rate)} ({micro.hallucinations} values where gold "
                               f"has none, of {micro.gold_empty})"),
    ]


# --------------------------------------------------------------------------- terminal


def print_eval(run: EvalRun, console: Console) -> None:
    console.print(run.corpus_note, soft_wrap=True, markup=False, highlight=False)  # unwrapped: easy to grep
    overview = Table(title=f"trialsift eval {run.eval_id}", show_header=False)
    for name, value in summary_lines(run):
        overview.add_row(name, Text(value))  # literal: a model name or path may hold '[...]' 
    console.print(overview)
    if len(run.splits) > 1:
        console.print(_table("per split (bootstrap 95% intervals)", SPLIT_COLUMNS, split_summary_rows(run)))
        columns, rows = split_field_rows(run)
        console.print(_table("per field and split", columns, rows))
    console.print(_table("per field (all documents)", FIELD_COLUMNS, field_rows(run.scorecard), summary_rows=2))
    console.print(_table("per document kind", KIND_COLUMNS, kind_rows(run.scorecard)))
    for note in run.notes[1:]:  # the first is the corpus note, shown above
        console.print(Text.assemble(("note", "yellow"), " ", note))


def _table(title: str, columns, rows, summary_rows: int = 0) -> Table:
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right", no_wrap=index == 0)
    for index, row in enumerate(rows):
        table.add_row(*row, end_section=index == len(rows) - summary_rows - 1)
    return table


def print_comparison(comparison: Comparison, console: Console) -> None:
    """Fields whose scores changed (and the micro and macro rows), with a verdict each."""
    a, b = comparison.a, comparison.b
    table = Table(title=Text(f"eval {a['eval_id']} ({a['model']}) -> {b['eval_id']} ({b['model']})"))
    for column in ("split", "field", "F1 A", "F1 B", "ΔF1", "ΔP", "ΔR", "halluc. A", "halluc. B", "verdict"):
        table.add_column(column, justify="left" if column in ("field", "verdict") else "right", no_wrap=column == "field")
    unchanged = 0
    for delta in comparison.fields:
        summary_row = delta.field in SUMMARY_LABELS
        if not summary_row and delta.before == delta.after:
            unchanged += 1
            continue
        verdict = "[red]regression[/]" if delta.regression else "[green]improvement[/]" if delta.improvement else ""
        table.add_row(
            delta.split, delta.field.lstrip("_"), _number(delta.before["f1"]), _number(delta.after["f1"]),
            _signed(delta.delta("f1")), _signed(delta.delta("precision")), _signed(delta.delta("recall")),
            _number(delta.before["hallucination_rate"]), _number(delta.after["hallucination_rate"]), verdict,
        )
    console.print(table)
    console.print(f"{unchanged} field(s) unchanged; {len(comparison.regressions)} regression(s), "
                  f"{len(comparison.improvements)} improvement(s)")
    for warning in comparison.warnings:
        console.print(Text.assemble(("warning", "yellow"), " ", warning))


def _signed(value: Optional[float]) -> str:
    return "" if value is None or abs(value) < 1e-12 else f"{value:+.3f}"


# --------------------------------------------------------------------------- report file


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    chart: Optional[Path]  # None when matplotlib is missing
    note: Optional[str]  # why the chart is missing


def write_report(run: EvalRun, directory: Path) -> ReportFiles:
    """eval-report.md (and field-f1.png when matplotlib is installed) in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    chart_path: Optional[Path] = directory / CHART_NAME
    note = None
    try:
        draw_f1_chart(_shown_splits(run) or [SplitScore("all", run.scorecard, {}, [], None, 0)], chart_path,
                      title=f"Per-field F1 with bootstrap 95% intervals, eval {run.eval_id} ({run.model})")
    except ImportError:
        chart_path = None
        note = "chart not drawn: matplotlib is not installed (pip install 'trialsift[report]')"

    lines = ["# trialsift eval report", "", run.corpus_note, ""]
    lines += [f"- **{name}**: {value}" for name, value in summary_lines(run)]
    if len(run.splits) > 1:
        lines += ["", "## Per split", "",
                  "Split by site (pipeline/eval_split.py): validation pages come from sites no code was written "
                  "against. Intervals: bootstrap over documents, 1,000 resamples. Leave-one-site-out: micro-F1 "
                  "of the split without one site's pages (the lowest shown).", ""]
        lines += _markdown_table(SPLIT_COLUMNS, split_summary_rows(run))
        columns, rows = split_field_rows(run)
        lines += ["", "## Per field and split", ""] + _markdown_table(columns, rows)
        for split in _shown_splits(run):
            lines += ["", f"### Per document kind ({split.name})", ""]
            lines += _markdown_table(KIND_COLUMNS, kind_rows(split.scorecard))
    lines += ["", "## Per field (all documents)", ""]
    lines += _markdown_table(FIELD_COLUMNS, field_rows(run.scorecard))
    lines += ["", "Hallucinations: documents with no gold value for the field that got a value anyway, "
                  "of all documents with no gold value.", ""]
    lines += ["## Per document kind", ""]
    lines += _markdown_table(KIND_COLUMNS, kind_rows(run.scorecard))
    lines += ["", "## Per collection", "",
              "The documents by when they joined the set: the corpus, the seeds, and each batch of collected "
              "pages (eval/pages/manifest.tsv, then one eval/pages/manifest.d/ fragment per batch). A batch "
              "collected after the code it is scored with was never read while writing that code, whichever "
              "split its sites fall in.", ""]
    lines += _markdown_table(COLLECTION_COLUMNS, collection_rows(run))
    rows = refusal_rows(run)
    if rows:
        lines += ["", "## Refused values beside gold", "",
                  "What each check's refusals (the `review` table) would have added had they been stored: a true "
                  "value (a gold item the record lacks), a false one, or a hallucination (no gold value). A "
                  "one-pass estimate of an ablation (pipeline/eval_refusals.py); the most true values first"
                  + (f", {REFUSAL_ROWS_SHOWN} of {len(rows)} rows." if len(rows) > REFUSAL_ROWS_SHOWN else "."), ""]
        lines += _markdown_table(REFUSAL_COLUMNS, rows[:REFUSAL_ROWS_SHOWN])
    unasked = unasked_rows(run)
    if unasked:
        lines += ["", "## Gold values never asked", "",
                  "Documents whose gold holds a value of a field the page states in no form the statement "
                  "detectors read, so the field was never asked and nothing was stored (pipeline/eval_unasked.py), "
                  "of the documents whose gold holds a value of it. The detectors were written from dev pages: "
                  "what they miss on validation pages is recall no model can recover.", ""]
        lines += _markdown_table(UNASKED_COLUMNS, unasked)
    lines += ["", "## Per-field F1", ""]
    lines += [f"![Per-field F1]({CHART_NAME})" if chart_path else f"_{note}_"]
    if run.notes[1:]:
        lines += ["", "## Notes", ""] + [f"- {note_line}" for note_line in run.notes[1:]]
    markdown = directory / REPORT_NAME
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ReportFiles(markdown=markdown, chart=chart_path, note=note)


def _markdown_table(columns, rows) -> list[str]:
    def line(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(columns), line(["---"] + ["---:"] * (len(columns) - 1))] + [line(row) for row in rows]


def draw_f1_chart(splits: list[SplitScore], path: Path, *, title: str) -> None:
    """Horizontal bars of per-field F1, one bar per split with its bootstrap interval; fields no
    split has a value for are left out.

    Uses matplotlib's object API (no pyplot), so no global figure state and no display needed.
    Raises ImportError without matplotlib.
    """
    from matplotlib.figure import Figure

    names = [name for name in splits[0].scorecard.per_field
             if any(split.scorecard.per_field[name].f1 is not None for split in splits)]
    height = 0.8 / len(splits)
    colors = ("#4C72B0", "#DD8452", "#55A868")
    figure = Figure(figsize=(8, 0.32 * len(names) * max(1, len(splits) * 0.7) + 1.4))
    axes = figure.add_subplot()
    for index, split in enumerate(splits):
        positions = [row + (index - (len(splits) - 1) / 2) * height for row in range(len(names))]
        values = [split.scorecard.per_field[name].f1 or 0.0 for name in names]
        errors = [[], []]
        for name, value in zip(names, values):
            low, high = split.intervals.get(name, (None, None))
            errors[0].append(max(0.0, value - low) if low is not None else 0.0)
            errors[1].append(max(0.0, high - value) if high is not None else 0.0)
        axes.barh(positions, values, height=height, color=colors[index % len(colors)],
                  xerr=errors, error_kw={"elinewidth": 0.8, "capsize": 1.5},
                  label=f"{split.name} ({split.scorecard.documents} documents)")
    axes.set_yticks(list(range(len(names))), names, fontsize=8)
    axes.invert_yaxis()  # contract order, top to bottom
    axes.set_xlim(0, 1)
    axes.set_xlabel("F1")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)

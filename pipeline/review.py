"""Review page: one trial's source documents with every evidence span highlighted.

`render_review(db_path, trial_id)` reads the store and returns one
self-contained HTML page (inline CSS, no scripts, no external assets): a
legend of field colours, the merged record with the document that supplied
each field, the conflicts between documents, the values grounding rejected,
and then each source document's full text with its evidence spans marked.
Hovering a mark shows "field = value (method)". Spans may overlap, so the
text is cut at every span boundary and each piece is marked once, listing
every span that covers it; the marks never nest, and the text between the
tags is exactly the stored document text.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import store
from ..schemas.trial import TrialRecord


class UnknownTrial(LookupError):
    """No trial with that trial id or registry id in the store."""


@dataclass(frozen=True)
class Span:
    """One evidence span: text[start:end] supports `value` for `field`."""

    start: int
    end: int
    field: str
    value: Any
    method: str


@dataclass(frozen=True)
class Segment:
    """A stretch of text covered by the same spans (none for plain text)."""

    start: int
    end: int
    spans: tuple[Span, ...]


@dataclass
class SourceDocument:
    document_id: str
    path: Optional[str]
    kind: Optional[str]
    url: Optional[str]
    text: str
    link_reason: str
    extraction: Optional[dict]  # model, prompt_version, method, status of the latest extraction
    spans: list[Span]
    rejections: list[dict]  # field, value, method, reason


# --- colours ----------------------------------------------------------------------------------

_FIELD_ORDER = list(TrialRecord.model_fields)

# Light, clearly different backgrounds (ColorBrewer Set3 and Pastel1) that keep black text readable.
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#bc80bd", "#ccebc5", "#ffed6f", "#fbb4ae", "#b3cde3", "#decbe4", "#fed9a6", "#e5d8bd",
)


def _field_rank(field: str) -> tuple[int, str]:
    """Contract order first, unknown fields after it, alphabetically."""
    return (_FIELD_ORDER.index(field) if field in _FIELD_ORDER else len(_FIELD_ORDER), field)


def field_colours(fields: set[str]) -> dict[str, str]:
    """A colour per field, handed out in contract order (repeats only beyond the palette's size)."""
    return {field: PALETTE[i % len(PALETTE)] for i, field in enumerate(sorted(fields, key=_field_rank))}


# --- splitting overlapping spans --------------------------------------------------------------


def segments(text_length: int, spans: list[Span]) -> list[Segment]:
    """Cut [0, text_length) at every span boundary; each piece lists the spans covering it.

    Spans are clipped to the text and empty ones dropped, so the pieces always
    tile the text exactly, whatever the offsets in the store say.
    """
    clipped = [s for s in spans if 0 <= s.start < s.end <= text_length]
    cuts = sorted({0, text_length} | {s.start for s in clipped} | {s.end for s in clipped})
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        covering = tuple(s for s in clipped if s.start <= start and end <= s.end)
        pieces.append(Segment(start, end, covering))
    return pieces


# --- reading the store ------------------------------------------------------------------------


def resolve_trial_id(conn, trial_id: str) -> str:
    """The stored trial id for a trial id or any of the trial's registry ids."""
    if conn.execute("SELECT 1 FROM trials WHERE trial_id = ?", [trial_id]).fetchone():
        return trial_id
    row = conn.execute(
        "SELECT trial_id FROM registry_ids WHERE upper(id) = upper(?) ORDER BY trial_id LIMIT 1", [trial_id.strip()]
    ).fetchone()
    if row is None:
        raise UnknownTrial(f"no trial '{trial_id}' in the database (tried trial ids and registry ids)")
    return row[0]


def _latest_extraction(conn, document_id: str) -> Optional[dict]:
    row = conn.execute(
        """SELECT model, prompt_version, method, status, extracted_at FROM extractions
           WHERE document_id = ? ORDER BY extracted_at DESC LIMIT 1""",
        [document_id],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("model", "prompt_version", "method", "status", "extracted_at"), row))


def load_sources(conn, trial_id: str) -> list[SourceDocument]:
    """The trial's documents, each with the evidence and rejections of its latest extraction."""
    rows = conn.execute(
        """SELECT s.document_id, d.path, d.kind, d.url, coalesce(d.text, ''), s.link_reason
           FROM trial_sources s LEFT JOIN documents d USING (document_id)
           WHERE s.trial_id = ? ORDER BY d.path, s.document_id""",
        [trial_id],
    ).fetchall()
    sources = []
    for document_id, path, kind, url, text, link_reason in rows:
        extraction = _latest_extraction(conn, document_id)
        spans, rejections = [], []
        if extraction:
            key = [document_id, extraction["model"], extraction["prompt_version"]]
            spans = [
                Span(start, end, field, json.loads(value), method or "")
                for field, value, start, end, method in conn.execute(
                    """SELECT field, value, start_offset, end_offset, method FROM evidence
                       WHERE document_id = ? AND model = ? AND prompt_version = ?
                         AND start_offset IS NOT NULL AND end_offset IS NOT NULL
                       ORDER BY start_offset, end_offset DESC, field, item""",
                    key,
                ).fetchall()
            ]
            rejections = [
                {"field": field, "value": json.loads(value) if value else None, "method": method, "reason": reason}
                for field, value, method, reason in conn.execute(
                    """SELECT field, value, method, reason FROM review
                       WHERE document_id = ? AND model = ? AND prompt_version = ? ORDER BY field""",
                    key,
                ).fetchall()
            ]
        sources.append(SourceDocument(document_id, path, kind, url, text, link_reason or "", extraction, spans, rejections))
    return sources


# --- rendering --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    # Browsers turn a raw CR into LF; a character reference keeps the text exact.
    return html.escape(text, quote=True).replace("\r", "&#13;")


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # a registry id, site, arm, ...: "key: value" pairs, empty keys left out
        return "; ".join(f"{k}: {_value_text(v)}" for k, v in value.items() if v not in (None, "", []))
    return json.dumps(value, ensure_ascii=False)


def _short(document_id: Optional[str]) -> str:
    return (document_id or "")[:12]


def render_text(text: str, spans: list[Span], colours: dict[str, str]) -> str:
    """The document text, escaped, with one non-nested <mark> per covered segment."""
    out = []
    for piece in segments(len(text), spans):
        chunk = _escape(text[piece.start:piece.end])
        if not piece.spans:
            out.append(chunk)
            continue
        # The shortest covering span is the most specific one: it picks the colour.
        main = min(piece.spans, key=lambda s: (s.end - s.start, s.field))
        fields = sorted({s.field for s in piece.spans})
        title = "\n".join(f"{s.field} = {_value_text(s.value)} ({s.method})" for s in piece.spans)
        overlap = " overlap" if len(piece.spans) > 1 else ""
        out.append(
            f'<mark class="ev{overlap}" style="background:{colours[main.field]}" '
            f'data-fields="{_escape(" ".join(fields))}" title="{_escape(title)}">{chunk}</mark>'
        )
    return "".join(out)


def _render_value(value: Any) -> str:
    if isinstance(value, list):
        items = "".join(f"<li>{_escape(_value_text(v))}</li>" for v in value)
        return f"<ul>{items}</ul>"
    return _escape(_value_text(value))


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="none">{_escape(empty)}</p>'
    head = "".join(f"<th>{_escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _document_label(document_id: Optional[str], paths: dict[str, str]) -> str:
    if not document_id:
        return ""
    path = paths.get(document_id)
    suffix = f" <span class=\"path\">{_escape(path)}</span>" if path else ""
    return f"<code>{_escape(_short(document_id))}</code>{suffix}"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; background: #fff; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td ul { margin: 0; padding-left: 18px; }
.none, .meta { color: #666; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
.legend span.swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #999; margin-right: 4px;
  vertical-align: -1px; }
.document { border: 1px solid #ccc; border-radius: 4px; margin-top: 12px; }
.document header { background: #f6f6f6; padding: 8px 12px; font-size: 13px; border-bottom: 1px solid #ccc; }
.document-text { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, monospace;
  font-size: 13px; line-height: 1.5; padding: 10px 12px; margin: 0; }
mark.ev { color: inherit; padding: 0; border-radius: 2px; }
mark.overlap { outline: 1px dashed #555; }
.path { color: #555; }
"""


def render_review(db_path: str | Path, trial_id: str) -> str:
    """The review page for one trial (by trial id or any registry id), as an HTML string."""
    conn = store.connect_read_only(db_path)
    try:
        trial_id = resolve_trial_id(conn, trial_id)
        record = json.loads(conn.execute("SELECT record FROM trials WHERE trial_id = ?", [trial_id]).fetchone()[0])
        field_sources = dict(conn.execute(
            "SELECT field, document_id FROM trial_field_sources WHERE trial_id = ?", [trial_id]).fetchall())
        conflicts = conn.execute(
            """SELECT field, chosen_value, chosen_document, other_value, other_document FROM conflicts
               WHERE trial_id = ? ORDER BY field""", [trial_id]).fetchall()
        registry_ids = conn.execute(
            "SELECT registry, id FROM registry_ids WHERE trial_id = ? ORDER BY registry, id", [trial_id]).fetchall()
        sources = load_sources(conn, trial_id)
    finally:
        conn.close()
    paths = {s.document_id: s.path or "" for s in sources}
    colours = field_colours({span.field for s in sources for span in s.spans})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>trialsift review: {_escape(trial_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Trial {_escape(trial_id)}</h1>",
        '<p class="meta">registry ids: '
        + (_escape(", ".join(f"{r}:{i}" for r, i in registry_ids)) or "none")
        + f" &middot; {len(sources)} source document(s)</p>",
        _render_legend(sources, colours),
        "<h2>Merged record</h2>",
        _table(
            ["field", "value", "supplied by"],
            [[_escape(name), _render_value(value), _document_label(field_sources.get(name), paths)]
             for name, value in record.items() if value not in (None, [], "")],
            "The merged record is empty.",
        ),
        "<h2>Conflicts</h2>",
        _table(
            ["field", "kept value", "from", "other value", "from"],
            [[_escape(f), _render_value(json.loads(cv)), _document_label(cd, paths),
              _render_value(json.loads(ov)), _document_label(od, paths)] for f, cv, cd, ov, od in conflicts],
            "No conflicts between the documents.",
        ),
        "<h2>Rejected values</h2>",
        _table(
            ["document", "field", "value", "method", "reason"],
            [[_document_label(s.document_id, paths), _escape(r["field"]), _render_value(r["value"]),
              _escape(r["method"] or ""), _escape(r["reason"] or "")] for s in sources for r in s.rejections],
            "Grounding rejected no values.",
        ),
        "<h2>Source documents</h2>",
        *(_render_document(s, colours) for s in sources),
        "</body></html>",
    ]
    return "\n".join(parts)


def _render_legend(sources: list[SourceDocument], colours: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for source in sources:
        for span in source.spans:
            counts[span.field] = counts.get(span.field, 0) + 1
    if not counts:
        return '<p class="none">No evidence spans to highlight.</p>'
    items = "".join(
        f'<span data-field="{_escape(f)}"><span class="swatch" style="background:{colours[f]}"></span>'
        f"{_escape(f)} ({counts[f]})</span>"
        for f in sorted(counts, key=_field_rank)
    )
    return f'<h2>Legend</h2><div class="legend">{items}</div>'


def _render_document(source: SourceDocument, colours: dict[str, str]) -> str:
    extraction = source.extraction
    how = (f"{extraction['method']} extraction by model {extraction['model']}, prompt {extraction['prompt_version']}"
           f" ({extraction['status']})" if extraction else "no extraction stored")
    header = (
        f"<h3>{_escape(source.path or '(no path)')}</h3>"
        f"kind: {_escape(source.kind or 'unknown')} &middot; "
        f"url: {_escape(source.url) if source.url else 'none'} &middot; "
        f"document id: <code>{_escape(source.document_id)}</code><br>"
        f"linked by {_escape(source.link_reason or 'unknown')} &middot; {_escape(how)} &middot; "
        f"{len(source.spans)} evidence span(s)"
    )
    # The text div holds the document text and nothing else, so it reads back exactly.
    empty = "" if source.text else '<p class="none">(no text stored for this document)</p>'
    return (f'<section class="document"><header>{header}</header>{empty}'
            f'<div class="document-text" data-document-id="{_escape(source.document_id)}">'
            f"{render_text(source.text, source.spans, colours)}</div></section>")

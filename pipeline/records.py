"""Typed records that flow between the pipeline's stages.

Document -> CleanText (with an offset map back to the document) -> Section /
Chunk -> Finding (a value plus the evidence for it) -> per-document record ->
merged trial -> rows. Every stage takes and returns these; none keeps state.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Document:
    """One input document. `text` is what evidence offsets point into."""

    id: str  # sha256 of the file's bytes
    path: str
    text: str
    media_type: str = "text/plain"  # text/plain, text/markdown, text/html, application/json
    encoding: str = "utf-8"
    kind: Optional[str] = None  # press | news | registry | aggregator (sidecar metadata)
    url: Optional[str] = None
    size_bytes: int = 0


@dataclass(frozen=True)
class RemovedBlock:
    """A stretch of the document the cleaner dropped, and why (for review and benchmarks)."""

    start: int  # offsets in Document.text
    end: int
    reason: str


@dataclass(frozen=True)
class CleanText:
    """Cleaned text as a concatenation of slices of the document text.

    segments[i] = (clean_start, raw_start, length) means
    text[clean_start:clean_start+length] == document.text[raw_start:raw_start+length].
    Segments are sorted by clean_start and cover the whole cleaned text.
    """

    text: str
    segments: tuple[tuple[int, int, int], ...]
    removed: tuple[RemovedBlock, ...] = ()

    def to_raw(self, clean_offset: int) -> int:
        """Map an offset in the cleaned text to the document text."""
        if not self.segments:
            return clean_offset
        starts = [s[0] for s in self.segments]
        i = max(0, bisect.bisect_right(starts, clean_offset) - 1)
        clean_start, raw_start, length = self.segments[i]
        return raw_start + min(clean_offset - clean_start, length)

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a cleaned-text span to the document text (end is exclusive)."""
        if end <= start:
            raw = self.to_raw(start)
            return raw, raw
        return self.to_raw(start), self.to_raw(end - 1) + 1


@dataclass(frozen=True)
class Section:
    """A labelled region of the cleaned text (offsets into CleanText.text)."""

    label: str  # e.g. identification, status, design, interventions, eligibility, outcomes, sponsors, contacts, other
    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """What one LLM call sees: some text of one document for one field group."""

    document_id: str
    group: str
    text: str
    start: int  # offsets into CleanText.text
    end: int
    sha256: str


@dataclass(frozen=True)
class Evidence:
    """Where a value came from: a span of Document.text and its text."""

    start: int
    end: int
    quote: str
    method: str = ""  # how this item was found, when not as its field was (e.g. grounding:placebo)


@dataclass(frozen=True)
class Finding:
    """One proposed value for one contract field, before grounding decides on it."""

    field: str
    value: Any
    method: str  # "rule:<name>", "llm:<group>", "registry"
    evidence: Optional[Evidence] = None


@dataclass
class Rejection:
    """A value not stored as a fact, kept for review with the reason."""

    field: str
    value: Any
    method: str
    reason: str


@dataclass(frozen=True)
class CachedAnswer:
    """An LLM answer to keep in the response cache, saved with its document's results."""

    key: str
    value: str  # the answer as JSON
    model: str
    prompt_version: str


@dataclass
class DocumentResult:
    """What one document yields: a validated record, the evidence per value, and what was rejected."""

    document: Document
    record: Any  # schemas.trial.TrialRecord
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    status: str = "ok"  # ok | partial | failed
    error: Optional[str] = None
    failed_groups: list[str] = field(default_factory=list)
    calls: list = field(default_factory=list)  # pipeline.llm.CallRecord, for the ledger
    cached_calls: int = 0
    new_answers: list[CachedAnswer] = field(default_factory=list)  # answers paid for in this run, to cache
    method: str = "llm"  # llm | registry-record | rules-only
    # {field: {value: probability}} of the model's answers (pipeline/confidence.py), where known
    value_probabilities: dict = field(default_factory=dict)

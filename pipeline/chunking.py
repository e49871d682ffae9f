"""Chunking: the cleaned-text spans a field group may see -> Chunks that fit the context.

Spans come from the section detector (only the sections that can hold a group's
fields). Spans are joined in document order; text longer than the chunk size is
split at line breaks with an overlap, so a fact cut by one boundary is whole in
the neighbouring chunk. Results from several chunks are merged per field later.
"""

from __future__ import annotations

import hashlib

from .records import CleanText, Chunk

SPAN_SEPARATOR = "\n\n"


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _windows(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Windows of at most `size` chars ending at a line break where possible."""
    windows, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            end = cut + 1 if cut > 0 else end
        windows.append((start, end))
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return windows


def make_chunks(
    document_id: str,
    group: str,
    clean: CleanText,
    spans: list[tuple[int, int]],
    *,
    max_chars: int,
    overlap_chars: int,
) -> list[Chunk]:
    merged = merge_spans(spans) or [(0, len(clean.text))]
    group_text = SPAN_SEPARATOR.join(clean.text[s:e].strip("\n") for s, e in merged)
    chunks = []
    for start, end in _windows(group_text, max_chars, overlap_chars):
        text = group_text[start:end]
        if not text.strip():
            continue
        chunks.append(
            Chunk(
                document_id=document_id,
                group=group,
                text=text,
                start=merged[0][0],
                end=merged[-1][1],
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return chunks

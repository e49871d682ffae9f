"""Merge: per-document records -> one trial per real-world study.

Documents that share a registry id (including secondary ids, e.g. the EudraCT
number a ClinicalTrials.gov record lists) are one trial. Documents with no id
are linked only by an exact normalized title match, recorded as such.

Each merged field comes from the most authoritative document that states it
(source precedence: registry record > registry page > aggregator > news/press,
configurable); lists are unioned. Where a less authoritative document states
a different value, the disagreement is kept as a conflict, never overwritten
silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..schemas.trial import CONTRACT_KEYS, WHOLE_VALUE_FIELDS, TrialRecord, is_empty

DEFAULT_PRECEDENCE = ("registry-record", "registry", "aggregator", "news", "press", "unknown")
ID_PRECEDENCE = ("NCT", "EUDRACT", "CTIS", "ISRCTN", "UMIN", "JRCT", "CHICTR", "CTRI", "ACTRN", "DRKS")


@dataclass(frozen=True)
class SourceDocument:
    document_id: str
    kind: str  # a DEFAULT_PRECEDENCE entry
    record: TrialRecord


@dataclass
class MergedTrial:
    trial_id: str
    record: TrialRecord
    sources: list[tuple[str, str]]  # (document_id, how it was linked: registry id / title / only document)
    field_sources: dict[str, str] = field(default_factory=dict)  # field -> document_id
    conflicts: list[dict] = field(default_factory=list)


class _UnionFind:
    def __init__(self, items):
        self.parent = {item: item for item in items}

    def find(self, item):
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a, b) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _title_key(record: TrialRecord) -> Optional[str]:
    title = record.scientific_title or record.public_title
    if not title:
        return None
    key = re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()
    return key if len(key) >= 25 else None  # short titles are too generic to link on


def _ids(record: TrialRecord) -> list[tuple[str, str]]:
    return [(r.registry, r.id) for r in record.registry_ids if r.registry != "OTHER"]


def trial_id_for(records: list[TrialRecord], fallback: str) -> str:
    ids = {pair for record in records for pair in _ids(record)}
    for registry in ID_PRECEDENCE:
        matching = sorted(i for r, i in ids if r == registry)
        if matching:
            return matching[0]
    return sorted(i for _, i in ids)[0] if ids else fallback


def link(sources: list[SourceDocument]) -> list[list[tuple[SourceDocument, str]]]:
    """Group documents into trials; each member carries how it was linked."""
    by_id = {s.document_id: s for s in sources}
    groups = _UnionFind(by_id)
    reason: dict[str, str] = {}
    seen_ids: dict[tuple[str, str], str] = {}
    for source in sources:
        for pair in _ids(source.record):
            if pair in seen_ids:
                groups.union(source.document_id, seen_ids[pair])
                reason[source.document_id] = f"registry id {pair[1]}"
                reason.setdefault(seen_ids[pair], f"registry id {pair[1]}")
            else:
                seen_ids[pair] = source.document_id
    # Titles link id-less documents only: ids are the stronger evidence. An id-less document
    # joins another id-less one with its title, and the first document with ids that has it.
    id_less: list[tuple[SourceDocument, Optional[str]]] = []
    with_ids_by_title: dict[str, str] = {}
    for source in sources:
        key = _title_key(source.record)
        if not _ids(source.record):
            id_less.append((source, key))
        elif key is not None:
            with_ids_by_title.setdefault(key, source.document_id)
    by_title: dict[str, str] = {}
    for source, key in id_less:
        if key is None:
            continue
        if key in by_title:
            groups.union(source.document_id, by_title[key])
            reason[source.document_id] = "exact title match"
            reason.setdefault(by_title[key], "exact title match")
        else:
            by_title[key] = source.document_id
    for source, key in id_less:
        if key in with_ids_by_title:
            groups.union(source.document_id, with_ids_by_title[key])
            reason[source.document_id] = "exact title match"
    clusters: dict[str, list[tuple[SourceDocument, str]]] = {}
    for source in sources:
        clusters.setdefault(groups.find(source.document_id), []).append(
            (source, reason.get(source.document_id, "only document"))
        )
    return list(clusters.values())


def merge_trial(members: list[tuple[SourceDocument, str]], precedence=DEFAULT_PRECEDENCE) -> MergedTrial:
    rank = {kind: i for i, kind in enumerate(precedence)}
    ordered = sorted(members, key=lambda m: (rank.get(m[0].kind, len(rank)), m[0].document_id))
    merged: dict[str, Any] = {}
    field_sources: dict[str, str] = {}
    conflicts: list[dict] = []
    for source, _ in ordered:
        values = source.record.model_dump(mode="json")
        for name in CONTRACT_KEYS:
            value = values[name]
            if is_empty(value):
                continue
            if isinstance(value, list) and name not in WHOLE_VALUE_FIELDS:
                current = merged.setdefault(name, [])
                for item in value:
                    if item not in current:
                        current.append(item)
                field_sources.setdefault(name, source.document_id)
            elif name not in merged:
                merged[name] = value
                field_sources[name] = source.document_id
            elif merged[name] != value:
                conflicts.append(
                    {
                        "field": name,
                        "chosen_value": merged[name],
                        "chosen_document": field_sources[name],
                        "other_value": value,
                        "other_document": source.document_id,
                    }
                )
    record = TrialRecord.model_validate(merged)
    fallback = "DOC-" + ordered[0][0].document_id[:12]
    return MergedTrial(
        trial_id=trial_id_for([m[0].record for m in members], fallback),
        record=record,
        sources=[(s.document_id, why) for s, why in ordered],
        field_sources=field_sources,
        conflicts=conflicts,
    )


def merge_all(sources: list[SourceDocument], precedence=DEFAULT_PRECEDENCE) -> list[MergedTrial]:
    return sorted((merge_trial(c, precedence) for c in link(sources)), key=lambda t: t.trial_id)

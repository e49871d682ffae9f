"""Ingest: files, folders and globs -> Documents, or a recorded reason why not.

A document's id is the sha256 of its bytes, so the same file ingested twice,
under any name, is one document. Text is decoded as UTF-8, or with the
encoding charset-normalizer detects; HTML goes through trafilatura. A sidecar
`<file>.meta.json` may give {"url": ..., "kind": "press|news|registry|aggregator"}.
Bad input never raises out of here: it becomes an IngestFailure with a reason.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from pipeline.records import Document

TEXT_SUFFIXES = {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html", ".htm": "text/html"}
RECORD_SUFFIXES = {".json": "application/json", ".xml": "application/xml"}
KINDS = ("press", "news", "registry", "aggregator")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class IngestFailure:
    path: str
    reason: str
    sha256: Optional[str] = None
    size_bytes: int = 0


Ingested = Union[Document, IngestFailure]


def discover(paths: Iterable[str]) -> list[Path]:
    """Expand files, folders (recursively) and globs into a sorted, de-duplicated file list."""
    found: dict[str, Path] = {}
    for raw in paths:
        matches = glob.glob(raw, recursive=True) if glob.has_magic(raw) else [raw]
        for match in matches:
            path = Path(match)
            if path.is_dir():
                candidates = (
                    p for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | RECORD_SUFFIXES
                    and not p.name.endswith(".meta.json")
                )
            else:
                candidates = [path]
            for candidate in candidates:
                found.setdefault(str(candidate.resolve()), candidate)
    return sorted(found.values(), key=lambda p: str(p))


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, kind: Optional[str] = None) -> Ingested:
    """One file -> a Document, or an IngestFailure saying why it cannot be one."""
    try:
        return _read_document(path, max_bytes=max_bytes, kind=kind)
    except Exception as error:  # a fault in a decoder or an HTML library fails this file, never the batch
        return IngestFailure(str(path), f"cannot ingest: {type(error).__name__}: {error}"[:500])


def _read_document(path: Path, *, max_bytes: int, kind: Optional[str]) -> Ingested:
    try:
        data = path.read_bytes()
    except OSError as error:
        return IngestFailure(str(path), f"cannot read file: {error.strerror or error}")
    sha = hashlib.sha256(data).hexdigest()
    size = len(data)
    fail = lambda reason: IngestFailure(str(path), reason, sha, size)  # noqa: E731
    if size == 0:
        return fail("empty file")
    if size > max_bytes:
        return fail(
            f"file too large: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit "
            "(raise it with --max-bytes)"
        )
    suffix = path.suffix.lower()
    media_type = TEXT_SUFFIXES.get(suffix) or RECORD_SUFFIXES.get(suffix)
    if media_type is None:
        return fail(f"unsupported file type '{suffix or 'none'}' (use .txt, .md, .html, or a registry .json/.xml)")
    decoded = _decode(data)
    if decoded is None:
        return fail("binary file: not text in any detectable encoding")
    text, encoding = decoded
    if media_type == "text/html":
        text = html_to_text(text)
    if not text.strip():
        return fail("no text after decoding" if media_type != "text/html" else "no text found in the HTML")
    meta = _sidecar(path)
    doc_kind = kind or meta.get("kind")
    if doc_kind is not None and doc_kind not in KINDS:
        return fail(f"unknown document kind '{doc_kind}' (one of {', '.join(KINDS)})")
    return Document(
        id=sha,
        path=str(path),
        text=text,
        media_type=media_type,
        encoding=encoding,
        kind=doc_kind,
        url=meta.get("url"),
        size_bytes=size,
    )


def ingest(paths: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES, kind: Optional[str] = None) -> list[Ingested]:
    files = discover(paths)
    return [read_document(path, max_bytes=max_bytes, kind=kind) for path in files]


def _decode(data: bytes) -> Optional[tuple[str, str]]:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # NUL bytes: binary, not UTF-16 text
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    # Too many control characters means we "decoded" binary data.
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(5, len(text[:20000]) // 100):
        return None
    return text, best.encoding


def html_to_text(html: str) -> str:
    """Main text of an HTML page (trafilatura), falling back to plain tag stripping."""
    import trafilatura

    text = trafilatura.extract(html, include_tables=True, include_comments=False, favor_recall=True)
    if text:
        return text
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag, attrs):
            self._skip += tag in ("script", "style")

        def handle_endtag(self, tag):
            if tag in ("script", "style"):
                self._skip = max(0, self._skip - 1)
            elif tag in ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "br"):
                self.parts.append("\n")

        def handle_data(self, data):
            if not self._skip:
                self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts).strip()


def _sidecar(path: Path) -> dict:
    meta_path = path.with_name(path.name + ".meta.json")
    if not meta_path.exists():
        return {}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def relative_to_cwd(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path

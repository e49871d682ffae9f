"""Ingest: files, folders and globs -> Documents, or a recorded reason why not.

A document's id is the sha256 of its bytes, so the same file ingested twice,
under any name, is one document. Text is decoded as UTF-8, or with the
encoding charset-normalizer detects; HTML goes through trafilatura. A sidecar
`<file>.meta.json` may give {"url": ..., "kind": "press|news|registry|aggregator"}; one that
is not such an object fails its document with the reason. A .json or .xml file is read only
as a registry record (pipeline/registry_records.py); any other is refused, never sent to a model.
Bad input never raises out of here: it becomes an IngestFailure with a reason.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from .records import Document
from .registry_records import sniff_registry_format

TEXT_SUFFIXES = {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html", ".htm": "text/html"}
RECORD_SUFFIXES = {".json": "application/json", ".xml": "application/xml"}
KINDS = ("press", "news", "registry", "aggregator")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
NOT_A_REGISTRY_RECORD = ("not a registry record: .json and .xml files are read only as registry records "
                         "(ClinicalTrials.gov API v2 or v1 JSON, its legacy XML, ctrdata exports)")


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
        for candidate in _expand(raw):
            found.setdefault(str(candidate.resolve()), candidate)
    return sorted(found.values(), key=lambda p: str(p))


def unmatched_inputs(paths: Iterable[str]) -> list[str]:
    """The inputs that give no file at all: a glob matching nothing, a path that does not exist,
    a folder without one document file. Asking for them is a mistake to report, not an empty
    batch to finish successfully (stops at each input's first file, so a huge folder costs little)."""
    def nothing(raw: str) -> bool:
        first = next(iter(_expand(raw)), None)
        return first is None or not os.path.lexists(first)

    return [raw for raw in paths if nothing(raw)]


def _expand(raw: str) -> Iterable[Path]:
    # A name that exists is that file or folder, even with glob characters in it ('a[1].txt').
    matches = glob.glob(raw, recursive=True) if glob.has_magic(raw) and not os.path.lexists(raw) else [raw]
    for match in matches:
        path = Path(match)
        if path.is_dir():
            yield from (
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | RECORD_SUFFIXES
                and not p.name.endswith(".meta.json")
            )
        else:  # a path that does not exist too: reading it fails it with its reason
            yield path


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, kind: Optional[str] = None) -> Ingested:
    """One file -> a Document, or an IngestFailure saying why it cannot be one."""
    try:
        return _read_document(path, max_bytes=max_bytes, kind=kind)
    except Exception as error:  # a fault in a decoder or an HTML library fails this file, never the batch
        return IngestFailure(str(path), f"cannot ingest: {type(error).__name__}: {error}"[:500])


def _read_document(path: Path, *, max_bytes: int, kind: Optional[str]) -> Ingested:
    try:
        data = _read_regular_file(path, max_bytes)
    except OSError as error:
        return IngestFailure(str(path), f"cannot read file: {error.strerror or error}")
    except _NotReadable as refused:
        return IngestFailure(str(path), refused.reason, size_bytes=refused.size)
    sha = hashlib.sha256(data).hexdigest()
    size = len(data)
    fail = lambda reason: IngestFailure(str(path), reason, sha, size)  # noqa: E731
    if size == 0:
        return fail("empty file")
    suffix = path.suffix.lower()
    media_type = TEXT_SUFFIXES.get(suffix) or RECORD_SUFFIXES.get(suffix)
    if media_type is None:
        return fail(f"unsupported file type '{suffix or 'none'}' (use .txt, .md, .html, or a registry .json/.xml)")
    decoded = _decode(data)
    if decoded is None:
        return fail("binary file: not text in any detectable encoding")
    text, encoding = decoded
    if media_type in RECORD_SUFFIXES.values() and sniff_registry_format(text) is None:
        # JSON and XML are structured data, not pages: only a registry record is a trial document.
        # Anything else (a config file with a password, another tool's export) is refused here,
        # never sent to a model or stored.
        return fail(NOT_A_REGISTRY_RECORD)
    text = universal_newlines(text)
    if media_type == "text/html":
        text = html_to_text(text)
    if not text.strip():
        return fail("no text after decoding" if media_type != "text/html" else "no text found in the HTML")
    meta, problem = _sidecar(path)
    if problem:
        return fail(problem)
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


class _NotReadable(Exception):
    def __init__(self, reason: str, size: int = 0):
        self.reason, self.size = reason, size


_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _too_large(size: int, max_bytes: int) -> str:
    return (f"file too large: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit "
            "(raise it with --max-bytes)")


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most max_bytes, judged by the open file's own stat before
    anything is read: a pipe or device could block forever or never end, and a huge file would
    be held in memory whole only to be refused. Opened without blocking (a FIFO with no writer
    would block open itself); a file that grows past the limit after the check is refused too."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "not a regular file")
            raise _NotReadable(f"not a regular file: {what}")
        if info.st_size > max_bytes:
            raise _NotReadable(_too_large(info.st_size, max_bytes), info.st_size)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _NotReadable(_too_large(len(data), max_bytes), len(data))
    return data


def ingest(paths: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES, kind: Optional[str] = None) -> list[Ingested]:
    files = discover(paths)
    return [read_document(path, max_bytes=max_bytes, kind=kind) for path in files]


def universal_newlines(text: str) -> str:
    """Windows ("\\r\\n") and old Mac ("\\r") line ends as "\\n", as Python reads any text file: a page
    saved on another system states the same values, and line-based readers see the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _decode(data: bytes) -> Optional[tuple[str, str]]:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # NUL bytes: binary, not UTF-16 text
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _utf8_with_replacement(data)
    if mostly_utf8 is not None:
        return mostly_utf8
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


def _utf8_with_replacement(data: bytes) -> Optional[tuple[str, str]]:
    """UTF-8 text with a few corrupt bytes (a truncated copy, one stray legacy byte) as UTF-8, the
    bad bytes replaced by U+FFFD and counted in the encoding, instead of the whole file guessed as
    a legacy code page. The criterion: at least as many valid multi-byte UTF-8 characters as
    invalid bytes. Legacy-encoded text almost never forms a valid multi-byte sequence (a lead
    byte 0xC2-0xF4 followed by the right number of bytes 0x80-0xBF), so it has many invalid
    bytes and few or no valid sequences; ASCII with a lone high byte has none and is left to
    the detector."""
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - invalid
    if multibyte == 0 or invalid > multibyte:
        return None
    text = re.sub("[\udc80-\udcff]", "\ufffd", text)
    return text, f"utf-8 ({invalid} invalid byte{'s' if invalid > 1 else ''} replaced)"


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


def _sidecar(path: Path) -> tuple[dict, Optional[str]]:
    """The sidecar's metadata, and what is wrong with it if anything is: a sidecar that cannot be
    read as {"url": "...", "kind": "..."} fails its document instead of being ignored, since the
    kind it was meant to give decides the document's precedence when trials merge."""
    meta_path = path.with_name(path.name + ".meta.json")
    if not meta_path.exists():
        return {}, None
    where = f"sidecar {meta_path.name}"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as error:
        return {}, f"cannot read {where}: {error.strerror or error}"
    except ValueError as error:
        return {}, f"{where} is not valid JSON: {error}"[:500]
    if not isinstance(meta, dict):
        return {}, f'{where} must be a JSON object such as {{"kind": "news", "url": "https://..."}}'
    wrong = [key for key in ("url", "kind") if key in meta and not isinstance(meta[key], (str, type(None)))]
    if wrong:
        return {}, f"{where}: {' and '.join(wrong)} must be text"
    return meta, None


def relative_to_cwd(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path

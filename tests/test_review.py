"""The review page: evidence marks that reassemble to the document text, and a real browser rendering."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from trialsift.pipeline.cli import app
from trialsift.pipeline.review import Span, UnknownTrial, render_review, segments
from trialsift.pipeline.runner import run_extraction

TRIAL = "UMIN000060367"  # seeds 000 and 001 both name this UMIN id


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, samples_dir) -> Path:
    """A real store built from the sample documents with rules only (no model)."""
    path = tmp_path_factory.mktemp("review") / "t.duckdb"
    run_extraction([str(samples_dir)], db_path=str(path), llm=None, endpoint_label="none")
    return path


@pytest.fixture
def store_copy(store_path, tmp_path) -> Path:
    """A copy of the store a test may add rows to."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store_path, copy)
    return copy


def stored_documents(db: Path, trial_id: str) -> dict[str, str]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return dict(conn.execute(
            "SELECT d.document_id, d.text FROM trial_sources s JOIN documents d USING (document_id) WHERE s.trial_id = ?",
            [trial_id]).fetchall())
    finally:
        conn.close()


def stored_spans(db: Path, document_id: str) -> list[tuple[str, int, int]]:
    """(field, start, end) of the evidence of the document's latest extraction, read straight from the store."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(
            """SELECT e.field, e.start_offset, e.end_offset FROM evidence e
               JOIN (SELECT model, prompt_version FROM extractions WHERE document_id = ?
                     ORDER BY extracted_at DESC LIMIT 1) latest USING (model, prompt_version)
               WHERE e.document_id = ?""", [document_id, document_id]).fetchall()
    finally:
        conn.close()


class PageReader(HTMLParser):
    """Reads each document's text back from the page, with the offsets and fields of every mark."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.marks: dict[str, list[tuple[int, int, set[str], str]]] = {}  # start, end, fields, colour
        self.current: str | None = None
        self.open_mark: tuple[int, set[str], str] | None = None
        self.depth = 0  # open divs inside the current document text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and self.current is None and "document-text" in (attrs.get("class") or "").split():
            self.current = attrs["data-document-id"]
            self.texts[self.current], self.marks[self.current], self.depth = "", [], 1
        elif self.current is not None and tag == "mark":
            assert self.open_mark is None, "a <mark> is nested inside another"
            colour = attrs["style"].split("background:")[1].strip().rstrip(";")
            self.open_mark = (len(self.texts[self.current]), set(attrs["data-fields"].split()), colour)
        elif self.current is not None:
            assert tag == "div", f"unexpected <{tag}> inside a document's text"
            self.depth += 1

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag == "mark":
            start, fields, colour = self.open_mark
            self.marks[self.current].append((start, len(self.texts[self.current]), fields, colour))
            self.open_mark = None
        elif tag == "div":
            self.depth -= 1
            if self.depth == 0:
                assert self.open_mark is None, "a <mark> is left open at the end of a document"
                self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.texts[self.current] += data


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def assert_marks_match_evidence(reader: PageReader, db: Path, document_id: str) -> None:
    """Every evidence character is marked with its field, and no mark claims a field it has no evidence for."""
    text = reader.texts[document_id]
    marked_fields = [set() for _ in text]
    for start, end, fields, _ in reader.marks[document_id]:
        for i in range(start, end):
            marked_fields[i] |= fields
    evidence_fields = [set() for _ in text]
    for field, start, end in stored_spans(db, document_id):
        for i in range(start, end):
            evidence_fields[i].add(field)
    assert marked_fields == evidence_fields


# --- splitting overlapping spans ---------------------------------------------------------------


def test_overlapping_spans_become_pieces_that_tile_the_text():
    outer = Span(2, 10, "inclusion_criteria", "x", "rule")
    inner = Span(4, 6, "min_age_years", 18, "rule")
    crossing = Span(8, 14, "sex", "ALL", "rule")
    outside = Span(30, 40, "sex", "ALL", "rule")  # past the end of a 20-character text
    pieces = segments(20, [outer, inner, crossing, outside])
    assert [(p.start, p.end) for p in pieces] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 14), (14, 20)]
    assert [set(p.spans) for p in pieces] == [set(), {outer}, {outer, inner}, {outer}, {outer, crossing},
                                              {crossing}, set()]


# --- the page for a real store ----------------------------------------------------------------


def test_page_shows_both_documents_with_marks_that_reassemble_to_the_text(store_path):
    documents = stored_documents(store_path, TRIAL)
    assert len(documents) == 2
    page = render_review(store_path, TRIAL)
    reader = read_page(page)
    assert set(reader.texts) == set(documents)
    for document_id, text in documents.items():
        assert reader.texts[document_id] == text
        assert reader.marks[document_id], f"no marks in document {document_id}"
        assert_marks_match_evidence(reader, store_path, document_id)
    for path in ("000_9eabc73317a48817.txt", "001_3d5e767ef9ecad4c.txt"):
        assert path in page
    # Different fields get different colours on one page.
    colour_of = {}
    for marks in reader.marks.values():
        for _, _, fields, colour in marks:
            if len(fields) == 1:
                colour_of.setdefault(colour, set()).update(fields)
    assert all(len(fields) == 1 for fields in colour_of.values()), colour_of
    # Self-contained: no scripts and nothing fetched (document text is escaped, so "<" here is markup).
    assert not any(tag in page.lower() for tag in ("<script", "<link", "<img", "<iframe"))


def test_overlaps_old_extractions_conflicts_and_rejections(store_copy):
    documents = stored_documents(store_copy, TRIAL)
    document_id = min(documents)
    text = documents[document_id]
    conn = duckdb.connect(str(store_copy))
    model, prompt_version = conn.execute(
        "SELECT model, prompt_version FROM extractions WHERE document_id = ? ORDER BY extracted_at DESC LIMIT 1",
        [document_id]).fetchone()
    field, start, end = conn.execute(
        "SELECT field, start_offset, end_offset FROM evidence WHERE document_id = ? ORDER BY start_offset LIMIT 1",
        [document_id]).fetchone()
    # A span that overlaps the first one from inside it to past its end, with a value that needs escaping.
    overlap_start, overlap_end = (start + end) // 2, min(len(text), end + 12)
    conn.execute("INSERT INTO evidence VALUES (?, ?, ?, 'public_title', 0, ?, ?, ?, ?, 'llm', NULL)",
                 [document_id, model, prompt_version, json.dumps("<b>Title</b> & co"), overlap_start, overlap_end,
                  text[overlap_start:overlap_end]])
    # An older extraction by another model: its evidence must not be shown.
    conn.execute("INSERT INTO extractions (document_id, model, prompt_version, schema_version, status, extracted_at) "
                 "VALUES (?, 'old-model', 'p0', '1', 'ok', TIMESTAMP '2000-01-01')", [document_id])
    conn.execute("INSERT INTO evidence VALUES (?, 'old-model', 'p0', 'acronym', 0, '\"OLD\"', 0, 5, ?, 'llm', NULL)",
                 [document_id, text[:5]])
    conn.execute("INSERT INTO review VALUES (?, ?, ?, 'max_age_years', '99', 'llm', 'quote not found in the text', 'r')",
                 [document_id, model, prompt_version])
    conn.execute("INSERT INTO conflicts VALUES (?, 'target_enrollment', '60', ?, '70', ?)",
                 [TRIAL, document_id, max(documents)])
    conn.close()

    page = render_review(store_copy, TRIAL)
    reader = read_page(page)
    assert reader.texts[document_id] == text
    assert_marks_match_evidence(reader, store_copy, document_id)  # the stored spans exclude old-model's
    assert any({field, "public_title"} <= fields for _, _, fields, _ in reader.marks[document_id])
    assert not any("acronym" in fields for _, _, fields, _ in reader.marks[document_id])
    assert "&lt;b&gt;Title&lt;/b&gt; &amp; co" in page and "<b>Title</b>" not in page
    assert "quote not found in the text" in page and "max_age_years" in page
    conflicts = page[page.index("<h2>Conflicts</h2>"):page.index("<h2>Rejected values</h2>")]
    assert "target_enrollment" in conflicts and "70" in conflicts


def test_registry_ids_find_the_trial_and_unknown_ids_fail_clearly(store_copy):
    conn = duckdb.connect(str(store_copy))
    conn.execute("INSERT INTO registry_ids VALUES (?, 'JRCT', 'jRCT1031230999')", [TRIAL])
    conn.close()
    assert render_review(store_copy, "jrct1031230999") == render_review(store_copy, TRIAL)
    with pytest.raises(UnknownTrial, match="NCT00000000"):
        render_review(store_copy, "NCT00000000")
    with pytest.raises(FileNotFoundError):
        render_review(store_copy.parent / "missing.duckdb", TRIAL)


def test_cli_writes_the_page_and_prints_its_path(store_path, tmp_path):
    out = tmp_path / "review.html"
    result = CliRunner().invoke(app, ["review", TRIAL, "--db", str(store_path), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    assert out.read_text(encoding="utf-8") == render_review(store_path, TRIAL)
    result = CliRunner().invoke(app, ["review", "NCT00000000", "--db", str(store_path), "--html", str(out)])
    assert result.exit_code == 1
    assert "NCT00000000" in result.output


# --- a real browser renders the marks ---------------------------------------------------------

CHROMIUM_MISSING = ("chromium is not installed, so the review page cannot be rendered: "
                    "install it with `apt-get install -y chromium` (Debian)")


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG layout {header}"
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        unfilter(filter_type, row, previous, channels)
        rows.append(bytes(row) if channels == 3 else bytes(b for i, b in enumerate(row) if i % 4 != 3))
        previous = row
    return width, height, rows


def unfilter(filter_type: int, row: bytearray, previous: bytearray, bpp: int) -> None:
    """Undo one PNG row filter in place (the five filters of the PNG specification)."""
    if filter_type == 0:
        return
    if filter_type == 2:
        row[:] = bytes((a + b) & 0xFF for a, b in zip(row, previous))
        return
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = previous[i]
        if filter_type == 1:
            row[i] = (row[i] + left) & 0xFF
        elif filter_type == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif filter_type == 4:
            up_left = previous[i - bpp] if i >= bpp else 0
            estimate = left + up - up_left
            da, db, dc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
            predictor = left if da <= db and da <= dc else (up if db <= dc else up_left)
            row[i] = (row[i] + predictor) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter type {filter_type}")


def count_pixels(rows: list[bytes], rgb: bytes) -> int:
    return sum(
        1 for row in rows for x in range(0, len(row), 3) if row[x:x + 3] == rgb
    )


def test_chromium_screenshot_shows_the_highlights(store_path, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    page = render_review(store_path, TRIAL)
    page_file = tmp_path / "review.html"
    page_file.write_text(page, encoding="utf-8")
    screenshot = tmp_path / "review.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    completed = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={screenshot}", "--window-size=1280,2000",
         page_file.as_uri()],
        capture_output=True, text=True, timeout=180,
    )
    assert screenshot.exists(), f"chromium wrote no screenshot (exit {completed.returncode}): {completed.stderr[-2000:]}"
    width, height, rows = decode_png(screenshot.read_bytes())
    assert (width, height) == (1280, 2000)
    assert len(rows) == height and all(len(row) == width * 3 for row in rows)

    # The first document's study-type mark is near the top of the documents; take its colour from the page.
    reader = read_page(page)
    first_document = min(stored_documents(store_path, TRIAL), key=lambda d: page.index(d))
    colour = next(c for _, _, fields, c in reader.marks[first_document] if fields == {"study_type"})
    rgb = bytes.fromhex(colour.lstrip("#"))
    highlighted = count_pixels(rows, rgb)
    # The legend's swatch is 12 x 12 pixels; the marks add thousands more.
    assert highlighted > 1000, f"only {highlighted} pixels of {colour} in the screenshot"
    white = count_pixels(rows, b"\xff\xff\xff")
    assert white > width * height // 4, "the page background is not mostly white: the page did not render"

"""Metamorphic tests: what code stores from a page must not change when the page changes in ways
that say nothing new about the trial. Each transformation keeps every statement of the page and
adds or alters only its form: line endings, spacing, blank lines, the site furniture around it
(cookie banners, sign-up forms, share buttons, footers), also in another language. Run on the
bundled samples with rules and grounding only (no model), so a difference is the code's."""

from __future__ import annotations

import pytest

from trialsift.pipeline.documents import read_document
from trialsift.pipeline.extraction import extract_document

_FURNITURE_EN = (
    "Accept all cookies\nWe use cookies to improve your experience. Manage preferences\n"
    "Sign up for our newsletter\nEmail address\nSubscribe\nShare this page: Facebook Twitter LinkedIn\n"
)
_FOOTER_EN = "\nPrivacy policy | Terms of use | Accessibility\n© 2024 Example Health Media. All rights reserved.\n"
_FURNITURE_DE = (
    "Alle Cookies akzeptieren\nWir verwenden Cookies, um Ihr Erlebnis zu verbessern.\n"
    "Newsletter abonnieren\nE-Mail-Adresse\nAbonnieren\nDiese Seite teilen: Facebook Twitter\n"
)
_FOOTER_ZH = "\n隐私政策 | 使用条款 | 联系我们\n© 2024 示例健康网 版权所有\n"

TRANSFORMATIONS = {
    "windows line endings": lambda text: text.replace("\n", "\r\n"),
    "trailing spaces on every line": lambda text: "\n".join(line + "  " for line in text.split("\n")),
    "blank lines doubled": lambda text: text.replace("\n\n", "\n\n\n"),
    "English site furniture around the page": lambda text: _FURNITURE_EN + "\n" + text + _FOOTER_EN,
    "German and Chinese site furniture around the page": lambda text: _FURNITURE_DE + "\n" + text + _FOOTER_ZH,
}


def _stored(text: str, folder) -> dict:
    page = folder / "page.txt"
    page.write_bytes(text.encode("utf-8"))  # as a user's file: ingest decodes it
    record = extract_document(read_document(page), None).record.model_dump(mode="json")
    return {name: value for name, value in record.items() if value not in (None, [], "")}


@pytest.mark.parametrize("name", sorted(TRANSFORMATIONS))
def test_what_code_stores_does_not_change_with_the_pages_form(name, samples_dir, tmp_path):
    checked = 0
    for path in sorted(samples_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        original = _stored(text, tmp_path)
        assert original, f"{path.name}: rules store something from every sample"
        assert _stored(TRANSFORMATIONS[name](text), tmp_path) == original, f"{path.name} changed under: {name}"
        checked += 1
    assert checked == 5

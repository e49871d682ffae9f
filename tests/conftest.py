"""Shared fixtures: where the real corpus lives, and temporary databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _corpus_root() -> Path | None:
    candidates = [os.environ.get("TRIALSIFT_CORPUS"), REPO_ROOT.parent / "shared" / "corpus"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "noisy" / "manifest.tsv").exists():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """The real corpus (../shared/corpus beside the clone, or $TRIALSIFT_CORPUS).

    Missing corpus is a setup error, not a reason to pass quietly.
    """
    root = _corpus_root()
    if root is None:
        pytest.fail(
            "The real corpus was not found: expected ../shared/corpus beside the repository "
            "(with noisy/manifest.tsv) or a path in $TRIALSIFT_CORPUS.",
            pytrace=False,
        )
    return root


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return REPO_ROOT / "data" / "samples"

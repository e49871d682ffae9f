"""Where trialsift's own files are, and which code version is running.

The package's files are found through the import system (importlib.resources), never relative to
the current directory, so trialsift works the same from a checkout, an editable install or a
wheel. Installed, the `trialsift` package mirrors the repository's root: trialsift.pipeline,
trialsift.schemas, trialsift.prompts, trialsift.data (seed documents) and trialsift.eval (gold
labels and collected pages) are the folders pipeline/, schemas/, prompts/, data/ and eval/.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Optional

DISTRIBUTION = "trialsift"
# "trialsift" when imported as trialsift.pipeline: the one top-level name the package has.
TOP_LEVEL = __package__.partition(".")[0]


def resource_dir(subpackage: str, *parts: str) -> Path:
    """A folder of package data, e.g. resource_dir("eval", "gold") -> .../eval/gold.

    A Path, not a Traversable: the evaluation opens these files by path, records their paths and
    hashes their bytes, which needs real files (a wheel is installed unpacked, so they are)."""
    location: Traversable = resources.files(f"{TOP_LEVEL}.{subpackage}")
    for part in parts:
        location = location / part
    return Path(str(location))


def checkout_root() -> Optional[Path]:
    """The repository's root when this code runs from a git checkout (editable install or source
    tree); None when it runs from an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / ".git").exists() and (root / "pipeline").is_dir():
        return root
    return None


def package_version() -> str:
    """The installed distribution's version ("0.1.0"), or "unknown" when it is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


@lru_cache(maxsize=None)
def code_version() -> str:
    """What a run records as the code that made it: the package version, plus the commit when
    running from a checkout ("0.1.0+d52d875", a PEP 440 local version). git is only ever asked
    about a checkout, never run inside site-packages."""
    version = package_version()
    root = checkout_root()
    if root is None:
        return version
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=root).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+{commit}" if commit else version

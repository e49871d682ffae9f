"""Prompts: files in prompts/, rendered for one field group and one chunk.

A prompt's version is the hash of the files' content, so any edit to a
prompt file changes the version recorded with every extraction and the cache
key (old cached answers are never reused for a new prompt).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

from .package import resource_dir

# The prompts package's own folder, found through the import system (a checkout, an editable
# install and a wheel alike), not relative to this file.
PROMPTS_DIR = resource_dir("prompts")
PROMPT_FILES = ("system.md", "user.md", "fields.md")


@dataclass(frozen=True)
class PromptSet:
    system: Template
    user: Template
    field_descriptions: dict[str, str]
    version: str


def load_prompts(directory: Path = PROMPTS_DIR) -> PromptSet:
    """The prompt files in `directory` (the shipped prompts/ unless another folder is given);
    FileNotFoundError naming what is missing."""
    directory = Path(directory)
    missing = [name for name in PROMPT_FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"prompt folder {directory} lacks {', '.join(missing)} "
                                f"(a prompt folder holds {', '.join(PROMPT_FILES)})")
    # Read once per content: a file edited between runs in one process is read again.
    stamps = tuple((directory / name).stat().st_mtime_ns for name in PROMPT_FILES)
    return _read_prompts(directory, stamps)


@lru_cache(maxsize=None)
def _read_prompts(directory: Path, _stamps: tuple) -> PromptSet:
    texts = {name: (directory / name).read_text(encoding="utf-8") for name in PROMPT_FILES}
    digest = hashlib.sha256()
    for name in PROMPT_FILES:
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    descriptions = {}
    for line in texts["fields.md"].splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, description = line.partition(":")
            descriptions[key.strip()] = description.strip()
    return PromptSet(
        system=Template(texts["system.md"]),
        user=Template(texts["user.md"]),
        field_descriptions=descriptions,
        version=digest.hexdigest()[:12],
    )


def render_messages(prompts: PromptSet, fields: tuple[str, ...], text: str) -> list[dict[str, str]]:
    """Chat messages asking for `fields` from `text`.

    The system message is the same for every call: the rules and the definition of every
    key (small models return mostly nulls without the definitions, and the embedded model
    never sees the schema, which only constrains its sampling). A server's prompt cache
    (llama.cpp's keeps the KV of the longest common prefix) then reads it once per run,
    not once per call. The user message puts the excerpt before the asked keys, so that
    successive calls about one document share the excerpt as well.
    """
    definitions = "\n".join(f"- {key}: {text_}" for key, text_ in prompts.field_descriptions.items())
    system = prompts.system.substitute(field_definitions=definitions)
    user = prompts.user.substitute(text=text, fields=", ".join(fields))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]

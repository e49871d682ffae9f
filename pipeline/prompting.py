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

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
PROMPT_FILES = ("system.md", "user.md", "fields.md")


@dataclass(frozen=True)
class PromptSet:
    system: Template
    user: Template
    field_descriptions: dict[str, str]
    version: str


@lru_cache(maxsize=None)
def load_prompts(directory: Path = PROMPTS_DIR) -> PromptSet:
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

    The fields are stated in the prompt as well as in the schema: small models return
    mostly nulls without it (and the embedded model never sees the schema, which only
    constrains its sampling). They come after the excerpt, so that successive calls about
    one document share their longest prefix (rules + excerpt), which llama.cpp's server
    reuses from its KV cache instead of reading the excerpt again for every field group.
    """
    field_lines = "\n".join(f"- {f}: {prompts.field_descriptions[f]}" for f in fields)
    system = prompts.system.substitute()
    user = prompts.user.substitute(text=text, fields=field_lines)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]

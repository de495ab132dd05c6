"""Prompt templates as data files (``prompts/*.yaml``) with declared variables.

A template is validated when it is loaded: every ``{name}`` it uses must be declared in
``variables`` and every declared variable must be used; anything else fails at load, not at
answer time. Rendering fills the variables (their values are never re-parsed as templates).
Each prompt has a name and version, recorded with every answer it produced.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    variables: tuple[str, ...]
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.name}@v{self.version}"

    def render(self, **values: str) -> tuple[str, str]:
        missing = set(self.variables) - set(values)
        unknown = set(values) - set(self.variables)
        if missing or unknown:
            raise PromptError(f"prompt {self.id}: missing {sorted(missing)}, "
                              f"unknown {sorted(unknown)}")
        return self.system.format(**values), self.user.format(**values)


def _fields(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise PromptError(f"malformed template: {exc}") from exc


def parse_prompt(text: str, origin: str = "<string>") -> Prompt:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise PromptError(f"{origin}: not a mapping")
    for key in ("name", "version", "variables", "system", "user"):
        if key not in data:
            raise PromptError(f"{origin}: missing key {key!r}")
    declared = tuple(data["variables"])
    used = _fields(data["system"]) | _fields(data["user"])
    bad = {f for f in used if not re.fullmatch(r"[a-z_]+", f)}
    if bad:
        raise PromptError(f"{origin}: invalid placeholders {sorted(bad)}")
    if used != set(declared):
        raise PromptError(f"{origin}: undeclared variables {sorted(used - set(declared))}, "
                          f"unused variables {sorted(set(declared) - used)}")
    return Prompt(str(data["name"]), int(data["version"]), declared, data["system"], data["user"])


@cache
def load_prompt(name: str, folder: Path = PROMPTS_DIR) -> Prompt:
    path = folder / f"{name}.yaml"
    return parse_prompt(path.read_text(encoding="utf-8"), str(path.name))

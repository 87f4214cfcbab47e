"""Hints the validator, the linter and the query checker share: 'did you mean', dotted names."""

from __future__ import annotations

import re

from . import catalog
from .lexicon import quote

__all__ = ["close_names", "did_you_mean", "suggest", "dotted_key", "dotted_field_hint"]

#: A dotted name for a key of an object (``metadata.user_id``, ``extra.metadata.k``, ``inputs.q``).
_DOTTED_RE = re.compile(rf"(?:extra\.)?({'|'.join(catalog.OBJECT_FAMILIES)})\.(.+)")


def close_names(name: str, candidates: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The candidates ``name`` was probably meant to be, closest first (its lowercase alone when that is one)."""
    import difflib  # start-up: only a misspelt name needs it

    lowered = [c for c in candidates if c == name.lower()]
    return tuple(lowered or difflib.get_close_matches(name.lower(), candidates, n=3, cutoff=0.6))


def did_you_mean(names: tuple[str, ...] | list[str]) -> str:
    """'did you mean `a` or `b`?', or '' for no names."""
    return "did you mean " + " or ".join(f"`{c}`" for c in names) + "?" if names else ""


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """'did you mean ...' for the closest candidates, or ''."""
    return did_you_mean(close_names(name, candidates))


def dotted_key(name: str) -> tuple[str, str] | None:
    """``metadata.user_id`` -> ("metadata", "user_id"), ``inputs.q`` -> ("input", "q"); else None."""
    m = _DOTTED_RE.fullmatch(name)
    if m is None:
        return None
    return catalog.OBJECT_FAMILIES[m.group(1)], m.group(2)


def dotted_field_hint(name: str) -> str:
    """How to write a dotted name such as ``metadata.user_id`` as a key/value pair, or ''."""
    pair = dotted_key(name)
    if pair is not None:
        family, key = pair
        return (f"fields have no dots; to test the {family} key `{key}` write "
                f"and(eq({family}_key, {quote(key)}), eq({family}_value, ...))")
    if "." in name:
        return "fields have no dots; nested keys of metadata, inputs and outputs are key/value pairs"
    return ""

"""Text a person reads, in Finnish, Swedish and English.

Rule authors write it either as one plain string (untranslated: taken as English) or as a
mapping ``{fi: ..., sv: ..., en: ...}``. :func:`read_text` accepts both; whether every
language is present is a separate question (:attr:`Label.complete`), so a loader can
refuse a missing translation with its own file, line and fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

__all__ = ["LANGUAGES", "Label", "Untranslated", "read_text"]

LANGUAGES = ("fi", "sv", "en")


@attrs.frozen
class Label:
    """A text in Finnish, Swedish and English (an empty string: not given)."""

    fi: str
    sv: str
    en: str

    def get(self, language: str) -> str:
        """The text in *language*; a language not given (or not one of the three) falls
        back to Finnish, then English, then Swedish."""
        text = {"fi": self.fi, "sv": self.sv, "en": self.en}.get(language, "")
        return text or self.fi or self.en or self.sv

    @property
    def complete(self) -> bool:
        """Whether the text is given in every language of :data:`LANGUAGES`."""
        return bool(self.fi and self.sv and self.en)

    @property
    def missing(self) -> tuple[str, ...]:
        """The languages the text is not given in."""
        return tuple(lang for lang in LANGUAGES if not getattr(self, lang))


def read_text(value: object) -> Label | None:
    """The :class:`Label` of a plain string (English) or a ``{fi, sv, en}`` mapping of
    strings; None when *value* is neither, is empty, or has a key other than the three."""
    if isinstance(value, str):
        return Label("", "", value.strip()) if value.strip() else None
    if not isinstance(value, Mapping) or not value:
        return None
    if any(key not in LANGUAGES for key in value):
        return None
    if not all(isinstance(v, str) and v.strip() for v in value.values()):
        return None
    texts = {lang: str(value.get(lang, "")).strip() for lang in LANGUAGES}
    return Label(texts["fi"], texts["sv"], texts["en"])


@attrs.frozen
class Untranslated:
    """A text a person reads that lacks one of :data:`LANGUAGES`, and where it is written."""

    path: Path
    line: int | None
    column: int | None
    what: str
    """What the text is, e.g. ``the basis of clock 'care'``."""
    label: Label

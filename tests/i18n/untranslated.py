"""Finding English left in a page or an email rendered in another language.

Every English source string of the catalog whose translation differs from it is looked for in
the visible text: long strings by their fragments between placeholders and tags, single words
as whole words. Names and brand words are listed in ``slotwise.core.i18n.UNTRANSLATED_WORDS``.
"""

from __future__ import annotations

import functools
import html
import re

from babel.messages.pofile import read_po

from slotwise.core import i18n
from slotwise.core.management.commands.translations import po_path

_SPLIT = re.compile(r"%\(\w+\)[sd]|\{\{[^}]*\}\}|<[^>]+>|&\w+;|\\n|\n")
_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")


@functools.cache
def english_left_markers(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(fragments, words) of English that must not appear in text written in ``code``."""
    with po_path(code).open("rb") as handle:
        catalog = read_po(handle, locale=code)
    translated_text = " ".join(
        " ".join(m.string) if isinstance(m.string, tuple) else str(m.string)
        for m in catalog
        if m.id
    )
    translated_words = set(_WORD.findall(translated_text))
    keep = set(i18n.UNTRANSLATED_WORDS)
    fragments: set[str] = set()
    words: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for source, target in zip(ids, strings, strict=False):
            if source == target:
                continue
            for part in _SPLIT.split(source):
                part = part.strip(" .,:;!?()—–-“”‘’\"'")
                if not part:
                    continue
                tokens = _WORD.findall(part)
                if len(tokens) >= 3 and part not in translated_text:
                    fragments.add(part)
                elif (
                    len(tokens) == 1
                    and tokens[0] == part
                    and len(part) >= 4
                    and part not in translated_words | keep
                ):
                    words.add(part)
    return tuple(sorted(fragments)), tuple(sorted(words))


def visible_text(markup: str) -> str:
    """The words a reader sees (tags, addresses and links taken out)."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return " ".join(text.split())


def english_left(text: str, code: str) -> list[str]:
    """The English fragments and words found in ``text`` (empty: none)."""
    fragments, words = english_left_markers(code)
    found = [f for f in fragments if f in text]
    present = set(_WORD.findall(text))
    found += [w for w in words if w in present]
    return found

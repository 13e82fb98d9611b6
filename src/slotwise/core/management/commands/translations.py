"""``manage.py translations update|check|compile`` — the translation workflow (docs/translating.md).

- ``update`` (``make messages``): collect the marked strings from the code and templates
  into every shipped language's ``django.po`` (Django's ``makemessages``, which needs GNU
  gettext), then write each file sorted and without line numbers, so merges stay quiet.
- ``check`` (part of ``make lint``): fail when a shipped language has an entry that is
  untranslated, fuzzy, or whose ``%(name)s`` placeholders differ from the English.
- ``compile`` (part of ``make install``): build the ``.mo`` files from the ``.po`` files with
  Babel (pure Python), so a fresh machine needs no gettext tools.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*(\w+)\s*\}\}")
#: Message files are written this wide (GNU gettext's default), so reformatting adds no churn.
_WIDTH = 79


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def translated_languages() -> list[str]:
    """Every shipped language but the source language (English needs no catalog)."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def po_path(code: str) -> Path:
    return locale_dir() / code / "LC_MESSAGES" / "django.po"


def read_catalog(path: Path, code: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=code, abort_invalid=True)


def write_catalog(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=_WIDTH,
            no_location=True,
            omit_header=False,
            sort_output=True,
            ignore_obsolete=True,
            include_previous=False,
        )


def problems(catalog: Catalog) -> list[str]:
    """What keeps ``catalog`` from shipping: untranslated, fuzzy or mismatched entries."""
    found: list[str] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        ids = [str(x) for x in (message.id if isinstance(message.id, tuple) else (message.id,))]
        raw = message.string if isinstance(message.string, tuple) else (message.string,)
        strings = [str(x or "") for x in raw]
        label = ids[0].replace("\n", "\\n")
        if message.fuzzy:
            found.append(f"fuzzy: {label!r}")
            continue
        if not all(strings):
            found.append(f"untranslated: {label!r}")
            continue
        wanted = set(_placeholders(ids[-1])) | set(_placeholders(ids[0]))
        for text in strings:
            got = set(_placeholders(text))
            if not got <= wanted or (len(strings) == 1 and got != set(_placeholders(ids[0]))):
                found.append(f"placeholders differ: {label!r}")
                break
    return found


def _placeholders(text: str) -> list[str]:
    return [a or b for a, b in _PLACEHOLDER.findall(text)]


class Command(BaseCommand):
    help = "Update, check or compile the translations (docs/translating.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["update", "check", "compile"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "update":
            self.update()
        elif action == "check":
            self.check_all()
        else:
            self.compile_all()

    def update(self) -> None:
        # makemessages reads the tree it runs in: the package only, not tests or benchmarks.
        with contextlib.chdir(locale_dir().parent):
            call_command(
                "makemessages",
                locale=translated_languages(),
                no_location=True,
                no_obsolete=True,
                ignore_patterns=["migrations/*", "locale/*"],
                verbosity=0,
            )
        for code in translated_languages():
            path = po_path(code)
            catalog = read_catalog(path, code)
            write_catalog(path, catalog)
            open_entries = len(problems(catalog))
            self.stdout.write(f"{code}: {len(catalog)} messages, {open_entries} to translate")

    def check_all(self) -> None:
        failures: list[str] = []
        for code in translated_languages():
            path = po_path(code)
            if not path.exists():
                failures.append(f"{code}: {path} is missing")
                continue
            failures += [f"{code}: {p}" for p in problems(read_catalog(path, code))]
        if failures:
            listing = "\n".join(failures[:200])
            more = f"\n… and {len(failures) - 200} more" if len(failures) > 200 else ""
            raise CommandError(
                f"{len(failures)} translation entries are not ready:\n{listing}{more}\n"
                "Translate them in the .po files (docs/translating.md), then run this again."
            )
        self.stdout.write(f"Translations complete: {', '.join(translated_languages())}.")

    def compile_all(self) -> None:
        for code in translated_languages():
            path = po_path(code)
            catalog = read_catalog(path, code)
            with path.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
        self.stdout.write(f"Compiled: {', '.join(translated_languages())}.")

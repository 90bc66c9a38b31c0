"""The catalogue of translations without Flask: Swedish msgids, English from messages.po.

The same compiled catalogue (``translations/en/LC_MESSAGES/messages.mo``) that Flask-Babel
reads for the pages, loaded with Babel alone, so that what runs without an app (the offline
verifier ``attest verify``, the bulk verification worker) says its texts in the language
asked for. Swedish needs no catalogue: a msgid is its own Swedish text.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from pathlib import Path

from babel.support import Translations

from attest.paths import PACKAGE_DIR

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"


def N_(text: str) -> str:
    """Marks a text for extraction to the catalogue without translating it here."""
    return text


def translations_dir() -> Path:
    # Like templates/: inside the package in a wheel, at the top level in a checkout.
    inside = PACKAGE_DIR / "translations"
    return inside if inside.is_dir() else PACKAGE_DIR.parent / "translations"


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language``; Swedish (and anything unknown) says the msgid."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return _gettext.NullTranslations()
    return Translations.load(str(translations_dir()), [language])


def gettext(language: str, msgid: str) -> str:
    """The msgid in ``language``, or the msgid itself when the catalogue lacks it."""
    return translations(language).gettext(msgid)

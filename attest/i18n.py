"""Languages: Swedish by default, English when the person chooses it (Flask-Babel).

The source strings are Swedish: in the templates (``{{ _("...") }}``, ``{% trans %}``) and in
the code. The English catalogue is ``translations/en/LC_MESSAGES/messages.po``, compiled to
``messages.mo`` beside it (committed, so a fresh checkout runs; ``make i18n`` extracts,
updates and compiles). Swedish needs no catalogue: a msgid is its own Swedish text.

The choice lives in a cookie (``attest_lang``) so that it survives logging in and out;
``<html lang>`` follows it. The PDF and its "Attesterat av" table are always Swedish: they
are made outside the request's language (``select_language`` says Swedish without a
request, and the PDF code never goes through the catalogue).

Texts of the Python code are defined where they are used: ``_l("...", name=value)``, a
lazy string translated each time it is shown (form labels, hints, validators, states,
roles); ``gettext`` when the text is used at once (a flash message, an error raised in a
request). A lazy string is never stored: ``str()`` it, in Swedish, before it goes to the
database, the audit log or a PDF. What runs without Flask (the offline verifier) translates
through ``attest.catalogue`` from the same catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import get_translations, gettext
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from attest.catalogue import DEFAULT_LANGUAGE, N_, translations_dir

__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LazyText",
    "N_",
    "_l",
    "init_app",
    "swedish",
]

LANGUAGES = {"sv": "Svenska", "en": "English"}
COOKIE = "attest_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


class LazyText(LazyString):
    """A lazy translation that Jinja escapes like any text.

    Flask-Babel's LazyString says it is HTML already (``__html__`` returns it as it is), so a
    value put into it (a name, a Dnr) would reach the page unescaped.
    """

    def __html__(self) -> Markup:
        return escape(str(self))


def _l(text: str, **variables: Any) -> LazyText:
    """``text`` in the language of the request when it is shown; Swedish outside one."""
    return LazyText(gettext, text, **variables)


def swedish(text: Any) -> str:
    """A text as it is stored (the database, the audit log): in Swedish, whatever the
    language of the request it is made in."""
    from flask_babel import force_locale

    with force_locale(DEFAULT_LANGUAGE):
        return str(text)


def select_language() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # the CLI, the worker: Swedish, like the PDF
        return DEFAULT_LANGUAGE
    # Programs (the JSON API) say their language in Accept-Language, people with the cookie.
    for prefix in current_app.extensions.get("attest.accept_language_paths", ()):
        if request.path.startswith(prefix):
            return request.accept_languages.best_match(LANGUAGES, DEFAULT_LANGUAGE)
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _page_translations() -> Any:
    """Flask-Babel's translations for this request, kept with the locale they are for: a
    ``force_locale`` (another locale set on the same context) gets its own."""
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, "attest_translations", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    if state is not None:  # outside an app context there is nowhere to keep them
        state.attest_translations = (getattr(state, "babel_locale", None), translations)
    return translations


@pass_eval_context
def _template_gettext(eval_context: EvalContext, message: str, **variables: Any) -> str:
    """The templates' ``_()`` and ``{% trans %}``: Jinja's "newstyle" gettext (the text
    Markup where the template escapes, then ``%`` with its variables, escaped), without its
    two context calls and the alias in between: about twenty a page."""
    # Not kept on the evaluation context: an imported template's macros keep theirs across
    # requests (Jinja caches the module), and so would one request's language.
    translated = _page_translations().ugettext(message)
    if eval_context.autoescape:
        # The catalogue's text is the app's own, HTML as Jinja's newstyle gettext takes it;
        # the variables are escaped by the % below.
        translated = Markup(translated)  # nosec B704
    return translated % variables


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    Babel(app, locale_selector=select_language)
    # The templates' _() and {% trans %} (about twenty a page) look the catalogue up once
    # per request, not each through Flask-Babel's whole chain (locale, domain, cache).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext)

    @app.context_processor
    def _language():
        language = current_language()
        return {
            "current_language": language,
            "other_languages": [
                (code, name) for code, name in LANGUAGES.items() if code != language
            ],
        }

"""Languages: Swedish by default, English when the person chooses it (Flask-Babel).

The source strings are Swedish: in the templates (``{{ _("...") }}``, ``{% trans %}``) and in
the code. The English catalogue is ``translations/en/LC_MESSAGES/messages.po``, compiled to
``messages.mo`` beside it (committed, so a fresh checkout runs; ``make i18n`` extracts,
updates and compiles). Swedish needs no catalogue: a msgid is its own Swedish text.

The choice lives in a cookie (``attest_lang``) so that it survives logging in and out;
``<html lang>`` follows it. The PDF and its "Attesterat av" table are always Swedish: they
are made in Python without going through the catalogue.

Strings that the Python code hands to the templates (form labels, hints, validation
messages, flash messages, states, roles) are translated when shown, with the ``tr``
filter: it looks the finished Swedish text up in the catalogue and falls back to it
unchanged. ``FROM_PYTHON`` below marks those texts for extraction; a message built with
values (a Dnr, a name, a count) is not found and stays Swedish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request

from attest.paths import PACKAGE_DIR

LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"
COOKIE = "attest_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(text: str) -> str:
    """Marks a text for extraction to the catalogue without translating it here."""
    return text


def translations_dir() -> Path:
    # Like templates/: inside the package in a wheel, at the top level in a checkout.
    inside = PACKAGE_DIR / "translations"
    return inside if inside.is_dir() else PACKAGE_DIR.parent / "translations"


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


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def translate(text: Any) -> Any:
    """The catalogue's translation of a finished Swedish text, or the text itself.

    No formatting and no Markup: the result is escaped like any other value, so it is safe
    for texts that carry a person's input.
    """
    if not isinstance(text, str) or not text:
        return text
    from flask_babel import get_translations

    return get_translations().gettext(text)


def init_app(app: Flask) -> None:
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    Babel(app, locale_selector=select_language)
    app.jinja_env.filters["tr"] = translate

    @app.context_processor
    def _language():
        language = current_language()
        return {
            "current_language": language,
            "other_languages": [
                (code, name) for code, name in LANGUAGES.items() if code != language
            ],
        }


# Texts from the Python code that the pages show as they are; translated by ``tr``.
FROM_PYTHON = (
    # attest.auth
    N_("Användarnamn"),
    N_("Lösenord"),
    N_("Logga in"),
    N_("Logga ut"),
    N_("Ange ditt användarnamn."),
    N_("Ange ditt lösenord."),
    N_("Fel användarnamn eller lösenord."),
    N_("Logga in för att fortsätta."),
    N_("Du är utloggad."),
    # attest.memos: the form, its hints and checks; the section headings are the PDF's own
    N_("Rubrik"),
    N_("Underrubrik"),
    N_("Sammanträdesdatum"),
    N_("Bilagor"),
    N_("Typ av ärende"),
    N_("Diariets Dnr"),
    N_("Förvaltningens förslag till beslut"),
    N_("Sammanfattning"),
    N_("Bakgrund"),
    N_("Ärendet"),
    N_("Ärendets beredning"),
    N_("Förvaltningens synpunkter och förslag"),
    N_("Delavsnittets rubrik"),
    N_("Delavsnittets text"),
    N_("Titel"),
    N_("Ordning"),
    N_("Ta bort"),
    N_("Spara utkast"),
    N_("Skriv en tom rad mellan styckena."),
    N_(
        "Ett delavsnitt har en egen rubrik, t.ex. Jämställdhetsanalys och "
        "barnrättsperspektiv. Lämna rutorna tomma om du inte behöver dem."
    ),
    N_("PDF-filer. Du kan välja flera på en gång; de läggs sist bland bilagorna."),
    N_("Välj filen igen: den är inte sparad."),
    N_("Välj filerna igen: de är inte sparade."),
    N_("Ange en rubrik."),
    N_("Ett delavsnitt med text måste ha en rubrik."),
    N_("Ange bilagans titel."),
    N_("Ange datumet som ÅÅÅÅ-MM-DD."),
    N_("Ange bilagans plats med en siffra."),
    N_("Ange en siffra från 1 till 999."),
    N_("Tjänsteutlåtandet finns inte."),
    N_("Versionen finns inte."),
    N_("Bilagan finns inte."),
    N_("Bara handläggare kan skapa tjänsteutlåtanden."),
    N_("Bara handläggaren som skrev tjänsteutlåtandet kan ändra det."),
    N_(
        "Tjänsteutlåtandet har ändrats av någon annan sedan du öppnade sidan, "
        "så din åtgärd genomfördes inte. Ladda om sidan och se hur det ser ut nu."
    ),
    # attest.workflow: actions, states, roles, the forms and what the actions say
    N_("Skicka för attest"),
    N_("Attestera"),
    N_("Returnera"),
    N_("Återkalla"),
    N_("Skickade för attest"),
    N_("Attesterade"),
    N_("Returnerade"),
    N_("Återkallade"),
    N_("Utkast"),
    N_("Under attest"),
    N_("Attesterad"),
    N_("Hos avdelningschef"),
    N_("Hos stadsdelsdirektör"),
    N_("Väntar på attest"),
    N_("Väljs när det skickas"),
    N_("Handläggare"),
    N_("Avdelningschef"),
    N_("Stadsdelsdirektör"),
    N_("Registrator"),
    N_("Administratör"),
    N_("Välj person"),
    N_("Kommentar"),
    N_("Ditt eget lösenord. Det låser upp din personliga nyckel för signaturen."),
    N_("Skriv en kommentar som förklarar varför tjänsteutlåtandet returneras."),
    N_("Tjänsteutlåtandet är skickat för attest."),
    N_("Du har attesterat tjänsteutlåtandet."),
    N_("Tjänsteutlåtandet är returnerat till handläggaren."),
    N_("Tjänsteutlåtandet är återkallat och är ett utkast igen."),
    N_("Radera utkastet"),
    N_("Raderade"),
    N_("Raderat"),
    N_("Returnerad"),
    N_("Anledning (frivillig)"),
    N_("Utkastet är raderat."),
    N_(
        "Det du skrev är sparat. Logga in igen, så kommer du tillbaka till sidan med det "
        "ifyllt. Inget har skickats än."
    ),
    N_("Du kan inte attestera ditt eget tjänsteutlåtande."),
    N_("Bara handläggaren som skrev tjänsteutlåtandet kan göra det."),
    # attest.users: enrolment, "Byt lösenord", the password rules
    N_("Byt lösenord"),
    N_("Välj lösenord"),
    N_("Nytt lösenord"),
    N_("Nytt lösenord igen"),
    N_("Nuvarande lösenord"),
    N_("Aktivera kontot"),
    N_("Välj ett lösenord."),
    N_("Ange ditt nuvarande lösenord."),
    N_("Skriv samma nya lösenord två gånger."),
    N_(
        "Minst 12 tecken. Till exempel tre eller fyra ord som inte hör ihop. Inte ditt namn och "
        "inte ett vanligt lösenord. Lösenordet låser också upp din signeringsnyckel."
    ),
    N_("Lösenordet måste ha minst 12 tecken."),
    N_("Lösenordet är för långt."),
    N_(
        "Lösenordet finns bland de vanligaste lösenorden och i listor över läckta lösenord, som "
        "är det första en angripare provar. Välj ett annat."
    ),
    N_("Lösenordet får inte innehålla ditt namn eller ditt användarnamn."),
    N_("Lösenordet består av upprepningar (som aaaa eller abcabc) och är lätt att gissa."),
    N_("Lösenordet är en följd (som abcd, 1234 eller qwerty) och är lätt att gissa."),
    N_(
        "Lösenordet är för lätt att gissa. Använd till exempel tre eller fyra ord som inte hör "
        "ihop, eller fler tecken."
    ),
    N_("Det nuvarande lösenordet stämmer inte."),
    N_("Det nya lösenordet måste skilja sig från det nuvarande."),
    N_("Länken kan inte användas"),
    N_(
        "Länken är redan använd: kontot är aktiverat. Logga in med det lösenord du valde, eller "
        "be en administratör om en ny länk om du har glömt det."
    ),
    N_("Länken gäller inte längre: en nyare länk har skickats. Använd den i stället."),
    N_("Länken har slutat gälla. Be en administratör om en ny."),
    N_("Länken är ogiltig. Kontrollera att du har fått med hela länken."),
    N_(
        "Ditt lösenord har satts av en administratör. Välj ett eget under ”Byt lösenord” "
        "innan du attesterar: först då får du en signeringsnyckel som bara du kan låsa upp."
    ),
    N_("Ditt konto är aktiverat. Logga in med ditt nya lösenord."),
    N_("Ditt lösenord är bytt. Dina andra inloggningar är avslutade."),
    # attest.web: the error pages
    N_("Felaktig begäran"),
    N_("Inloggning krävs"),
    N_("Åtkomst nekad"),
    N_("Sidan finns inte"),
    N_("Metoden är inte tillåten"),
    N_("Konflikt"),
    N_("Filen är för stor"),
    N_("För många försök"),
    N_("Internt fel"),
    N_("Tillfälligt otillgänglig"),
    N_("Lagringen är full"),
    N_("Felaktiga uppgifter"),
    N_("Databasen går inte att nå just nu. Vänta en stund och försök igen."),
    N_(
        "Lagringsutrymmet för filer är fullt, så det du skickade kunde inte sparas. "
        "Inget har ändrats. Försök igen senare, och säg till den som sköter attest om "
        "det inte går."
    ),
    N_("Formuläret är ofullständigt; ladda om sidan."),
    N_("Fel"),
    N_("Begäran kunde inte behandlas."),
    N_("Du har inte behörighet till den här sidan."),
    N_("Sidan du söker finns inte, eller så har du inte tillgång till den."),
    N_("Den här adressen tar inte emot den sortens begäran."),
    N_("Det du skickade är större än vad som tillåts."),
    N_("Något gick fel hos oss. Försök igen om en stund."),
    N_(
        "Formuläret kunde inte skickas eftersom säkerhetstoken saknas eller är ogiltig. "
        "Ladda om sidan och försök igen."
    ),
    # attest.archive: the register page's export
    N_("Ange periodens första dag."),
    N_("Ange periodens sista dag."),
    N_("Ange datum som ÅÅÅÅ-MM-DD."),
    N_("Periodens slutdatum ligger före startdatumet."),
    N_("Inga tjänsteutlåtanden attesterades under perioden."),
    N_(
        "Perioden har fler än 50 attesterade tjänsteutlåtanden, det mesta som exporteras här åt "
        "gången. Välj en kortare period, eller använd kommandot attest archive export."
    ),
)

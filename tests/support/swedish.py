"""Finding Swedish in a page or a report that should be all English.

A word is Swedish when it has å, ä or ö, or is one of the common Swedish words of attest's
interface below that English does not have. What people wrote (a memo's rubrik and text,
names, the organisation's name, a Dnr) is theirs and stays as written: the caller passes
it as ``allowed`` and its words are not counted.
"""

from __future__ import annotations

import re
from typing import Iterable

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Common words of attest's Swedish interface without å, ä or ö that are not English words.
SWEDISH_WORDS = frozenset("""
    och inte att som med av den det har kan ska eller finns sidan utkast attestera
    attesterad attesterat attesterade attester attestordning returnera returnerad
    kommentar bilaga bilagor spara skicka logga ange inga inget alla nytt avbryt rubrik
    underrubrik namn roller typ steg filen fil inloggad titel ordning ny nya sida sidor
    hos versionen lista sammanfattning bakgrund beslut nyckel nycklar granskningslogg
    verifiera verifierad giltig ogiltig kontroller kontroll registret personer telefon
    adress webbplats skapa ladda ner senaste inloggning installningar utkorg fel felaktig
    felaktiga saknas sedan efter innan mellan samma varje vilka vem
    """.split())


def swedish_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The Swedish words of ``text`` that are not among the words of ``allowed``."""
    permitted = {w.lower() for phrase in allowed for w in WORD.findall(phrase or "")}
    found = []
    for word in WORD.findall(text):
        lower = word.lower()
        if lower in permitted:
            continue
        if re.search("[åäöÅÄÖ]", word) or lower in SWEDISH_WORDS:
            found.append(word)
    return found

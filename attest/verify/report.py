"""What a verification report says: one place for every text, as Swedish msgids.

The checks (attest.verify.checks, .document, .route) build each message from these
templates; the web page and the CLI print the messages as they are, so both show the
same reasons. English comes from the one catalogue (translations/en/.../messages.po)
through attest.catalogue, which needs no Flask app: the offline verifier uses it too.
Placeholders are ``{name}`` (str.format), filled after translation; a value that is itself
a text to translate is a Msg, a list of them a Joined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from attest.catalogue import LANGUAGES, N_, gettext

__all__ = [
    "CHECK_TITLES",
    "Joined",
    "LABELS",
    "LANGUAGES",
    "MODIFICATION_LEVELS",
    "Msg",
    "STATUS_SYMBOLS",
    "TEXTS",
    "VERDICT_TITLES",
    "check_title",
    "format_time",
    "label",
    "render",
    "text",
    "verdict_title",
]

STOCKHOLM = ZoneInfo("Europe/Stockholm")

VERDICT_TITLES: Mapping[str, str] = {
    "valid": N_("Giltig"),
    "invalid": N_("Ogiltig"),
    "undecidable": N_("Kan inte avgöras"),
}

STATUS_SYMBOLS: Mapping[str, str] = {"ok": "✓", "failed": "✗", "not_checked": "–"}

# Short names of the checks, for headings and tables.
CHECK_TITLES: Mapping[str, str] = {
    "file_is_pdf": N_("Filen är en PDF"),
    "file_intact": N_("Filen är hel"),
    "within_limits": N_("Inom gränsen för signaturer"),
    "has_signatures": N_("Dokumentet är signerat"),
    "certification_first": N_("Systemsigillets certifiering först"),
    "route_sealed": N_("Rutten är förseglad i dokumentet"),
    "intact": N_("Signerade byte oförändrade"),
    "valid": N_("Signaturen är kryptografiskt korrekt"),
    "trusted": N_("Certifikatet är utfärdat av organisationens CA"),
    "not_revoked": N_("Certifikatet är inte återkallat"),
    "timestamp": N_("Tidsstämpel från betrodd tjänst"),
    "time_within_validity": N_("Tidpunkt inom certifikatets giltighet"),
    "changes_allowed": N_("Bara tillåtna ändringar efteråt"),
    "authority": N_("Rätt person med behörighet"),
    "appearance": N_("Raden visar certifikatet"),
    "route_order": N_("Attesterna i rätt ordning"),
    "complete": N_("Alla rader attesterade"),
    "closing_seal": N_("Slutsigillet och inget efter det"),
    "archive_timestamp": N_("Dokumenttidsstämpel och valideringsdata"),
    "nothing_after": N_("Inget efter sista signaturen"),
    "records": N_("Jämförd med register och logg"),
}

# pyHanko's modification levels in words.
MODIFICATION_LEVELS: Mapping[str, str] = {
    "NONE": N_("inga ändringar"),
    "LTA_UPDATES": N_("bara valideringsdata och dokumenttidsstämpel"),
    "FORM_FILLING": N_("bara ifyllda signaturfält"),
    "ANNOTATIONS": N_("kommentarer eller anteckningar"),
    "OTHER": N_("andra ändringar, t.ex. nytt eller ändrat sidinnehåll, sidor eller borttagna fält"),
}

# Labels the CLI (and the web page) print around the checks.
LABELS: Mapping[str, str] = {
    "attested_by": N_("Attesterat av"),
    "no_attestations": N_("Inga attester."),
    "checks": N_("Kontroller"),
    "document": N_("Hela dokumentet"),
    "step": N_("steg"),
    "timestamped": N_("tidsstämplad"),
    "signed": N_("signerad"),
    "certificate": N_("certifikat"),
    "file": N_("Fil"),
    "organisation": N_("Organisation"),
    "acting_for": N_("för {name}"),
    "verdict": N_("Resultat"),
    "need_trust": N_(
        "Organisationens CA-certifikat behövs för att kontrollera attesterna: ange det med "
        "--trust keys/<ORG>-ca.pem (det kan laddas ner från sidan Verifiera)."
    ),
    "bad_trust": N_("CA-certifikatet {path} kunde inte läsas: {detail}"),
    "bad_crl": N_("Spärrlistan {path} kunde inte läsas: {detail}"),
    "missing_file": N_("Filen {path} kunde inte läsas: {detail}"),
    "unusable": N_("Kan inte kontrolleras"),
    "summary": N_("{valid} av {total} filer giltiga."),
}

# Every check message: key -> (Swedish, English). Placeholders are filled by the core.
TEXTS: Mapping[str, str] = {
    # -- the file ---------------------------------------------------------------------
    "file_is_pdf.ok": N_("Filen är en läsbar PDF."),
    "file_is_pdf.empty": N_("Filen är tom."),
    "file_is_pdf.not_pdf": N_("Filen är inte en PDF (den börjar inte med %PDF-)."),
    "file_is_pdf.unreadable": N_(
        "Filen kunde inte läsas som PDF; den är trasig eller avkortad (teknisk orsak: " "{detail})."
    ),
    "file_is_pdf.encrypted": N_(
        "Filen är krypterad. En attesterad PDF är aldrig krypterad, och en krypterad fil "
        "kan inte kontrolleras."
    ),
    "file_intact.ok": N_("Filen börjar med %PDF och är hel."),
    "file_intact.before": N_(
        "Före %PDF i filen finns {count} byte som inte hör till dokumentet: filen har "
        "ändrats efter att den attesterades."
    ),
    "file_intact.damaged": N_(
        "Filen är en signerad PDF men trasig eller avkortad och kan inte läsas (teknisk "
        "orsak: {detail}). Den är inte den fil som attesterades."
    ),
    "within_limits.ok": N_(
        "Filen har {signatures} signaturer och {revisions} revisioner (gränsen är {limit})."
    ),
    "within_limits.exceeded": N_(
        "Filen har {signatures} signaturer och {revisions} revisioner, fler än gränsen "
        "{limit}: den kontrolleras inte. Ett attesterat tjänsteutlåtande har långt färre."
    ),
    "not_checked.unusable": N_("Inte kontrollerat: filen kunde inte läsas som PDF."),
    "not_checked.damaged": N_("Inte kontrollerat: filen är trasig."),
    "not_checked.refused": N_(
        "Inte kontrollerat: filen har fler signaturer eller revisioner än gränsen."
    ),
    "not_checked.unsigned": N_("Inte kontrollerat: dokumentet har inga signaturer."),
    # -- signatures at all ------------------------------------------------------------
    "has_signatures.ok": N_("Dokumentet innehåller {count} signaturer."),
    "has_signatures.none": N_(
        "Dokumentet innehåller inga signaturer: det har aldrig fastställts eller attesterats."
    ),
    "has_signatures.unreadable": N_("Signaturerna i dokumentet kunde inte läsas ({detail})."),
    # -- the system seal's certification ---------------------------------------------
    "certification_first.ok": N_(
        "Den första signaturen är systemsigillets certifiering ({signer}, {organisation}, "
        "{time}); den tillåter bara att signaturfälten fylls i."
    ),
    "certification_first.missing": N_(
        "Systemsigillets certifiering (fältet attest-sigill) saknas: dokumentet har inte "
        "fastställts av attest."
    ),
    "certification_first.not_first": N_(
        "Den första signaturen är {field}, inte systemsigillets certifiering attest-sigill."
    ),
    "certification_first.not_certification": N_(
        "Signaturen i attest-sigill är ingen certifiering (DocMDP) av dokumentet."
    ),
    "certification_first.permissions": N_(
        "Certifieringen tillåter mer än att fylla i signaturfält ({permission})."
    ),
    "certification_first.not_seal": N_(
        "Certifieringen är gjord av {signer}, inte av attest-systemets sigill."
    ),
    "certification_first.untrusted": N_(
        "Certifieringen godtas inte: signaturen i attest-sigill är inte intakt, korrekt och "
        "gjord med ett certifikat från organisationens CA (se kontrollerna för attest-sigill)."
    ),
    "certification_first.unknown_organisation": N_(
        "Dokumentet är förseglat av {signer}, men det CA som utfärdat sigillet ({issuer}) "
        "är inte bland de betrodda CA-certifikaten: vilken organisations tjänsteutlåtande det "
        "är kan inte avgöras. Ange den organisationens CA-certifikat."
    ),
    "certification_first.not_validated": N_(
        "Inte kontrollerat: signaturerna kunde inte valideras (se nedan)."
    ),
    "certification_first.several": N_(
        "Dokumentet har flera certifieringssignaturer ({fields}); bara en är tillåten."
    ),
    # -- each signature ---------------------------------------------------------------
    # -- the sealed route ----------------------------------------------------------------
    "route_sealed.ok": N_(
        "Rutten är förseglad i dokumentet av systemsigillet: {count} rader för {dnr} version "
        "{version}, {organisation} ({org_code})."
    ),
    "route_sealed.older_format": N_(
        "Dokumentet har ingen förseglad rutt: det fastställdes i ett äldre format. Vem som "
        "skulle attestera varje rad, och med vilken behörighet, kan därför inte avgöras ur "
        "filen; jämför med attests register."
    ),
    "route_sealed.not_certified": N_(
        "Inte kontrollerat: dokumentet är inte certifierat av systemsigillet."
    ),
    "route_sealed.unreadable": N_("Rutten i dokumentet kan inte läsas (teknisk orsak: {detail})."),
    "route_sealed.other_ca": N_(
        "Rutten anger en annan CA för {organisation} än den ({ca}) som utfärdade " "systemsigillet."
    ),
    "route_sealed.unknown_organisation": N_(
        "Inte kontrollerat: rutten är förseglad av {organisation} ({org_code}), vars CA inte är "
        "bland de betrodda."
    ),
    "intact.ok": N_("Signaturen i {field} är intakt: de signerade byten är oförändrade."),
    "intact.failed": N_(
        "Signaturen i {field} är inte intakt: de signerade byten har ändrats efter "
        "signeringen, eller signaturen hör till ett annat dokument."
    ),
    "intact.unreadable": N_("Signaturen i {field} kunde inte läsas eller kontrolleras ({detail})."),
    "intact.not_validated": N_(
        "Inte kontrollerat: en annan signatur i filen kan inte läsas, och då kontrolleras "
        "ingen av signaturerna."
    ),
    "valid.ok": N_("Signaturvärdet i {field} är kryptografiskt korrekt ({algorithm})."),
    "valid.failed": N_("Signaturvärdet i {field} är kryptografiskt felaktigt."),
    "valid.weak": N_(
        "Signaturen i {field} använder hashalgoritmen {algorithm}, som inte längre är säker; "
        "bara SHA-256 eller starkare godtas."
    ),
    "valid.not_intact": N_("Inte kontrollerat: signaturen i {field} är inte intakt."),
    "trusted.ok": N_(
        "Certifikatet för {who} är utfärdat av organisationens CA ({ca}) och giltigt."
    ),
    "trusted.service_ok": N_(
        "Certifikatet för {who} är utfärdat av underskriftstjänstens CA ({ca}), som den "
        "förseglade rutten anger för raden, och giltigt."
    ),
    "trusted.other_organisation": N_(
        "Certifikatet för {who} är utfärdat av en annan organisations CA ({ca}), inte av "
        "{organisation} som förseglade dokumentet."
    ),
    "trusted.unknown_organisation": N_(
        "Inte kontrollerat: dokumentet är förseglat av en organisation vars CA inte är bland "
        "de betrodda, så certifikatet för {who} kan inte bedömas."
    ),
    "trusted.ok_at_timestamp": N_(
        "Certifikatet för {who} är utfärdat av organisationens CA ({ca}). Det har gått ut "
        "sedan dess, men tidsstämpeln visar att signaturen gjordes {time}, när det gällde."
    ),
    "trusted.not_intact": N_("Inte kontrollerat: signaturen i {field} är inte intakt."),
    "trusted.foreign": N_(
        "Certifikatet för {who} är inte utfärdat av organisationens CA: kedjan till det "
        "angivna CA-certifikatet kunde inte verifieras (t.ex. ett egentillverkat CA med "
        "samma namn)."
    ),
    "trusted.not_valid_then": N_(
        "Certifikatet för {who} gällde inte när signaturen gjordes, {time} (giltigt "
        "{not_before} – {not_after})."
    ),
    "trusted.other": N_(
        "Certifikatet för {who} godtas inte (t.ex. fel nyckelanvändning eller en ogiltig " "kedja)."
    ),
    "not_revoked.ok": N_(
        "Certifikatet för {who} finns inte på organisationens spärrlista från {time}, som "
        "gäller tiden för signaturen."
    ),
    "not_revoked.no_crl": N_(
        "Inte kontrollerat: varken dokumentet eller den som kontrollerar har en spärrlista "
        "(CRL) från organisationens CA, så det är inte kontrollerat om certifikatet för {who} "
        "har återkallats."
    ),
    "not_revoked.revoked": N_(
        "Certifikatet för {who} har återkallats{when}{where}, före signaturen."
    ),
    "not_revoked.revoked_later": N_(
        "Certifikatet för {who} återkallades {when}, efter att signaturen tidsstämplades "
        "{time}: signaturen gjordes medan det gällde."
    ),
    "not_revoked.unknown": N_(
        "Det gick inte att avgöra om certifikatet för {who} var återkallat när signaturen "
        "gjordes: den nyaste spärrlistan från organisationens CA är från {time}, före "
        "signaturen."
    ),
    "not_revoked.not_trusted": N_(
        "Inte kontrollerat: certifikatet för {who} är inte utfärdat av organisationens CA."
    ),
    "timestamp.ok": N_(
        "Signaturen i {field} har en tidsstämpel från {tsa} ({time}) som gäller just den "
        "signaturen."
    ),
    "timestamp.missing": N_(
        "Signaturen i {field} saknar tidsstämpel, så tiden för signeringen är obestyrkt."
    ),
    "timestamp.mismatch": N_(
        "Tidsstämpeln på signaturen i {field} gäller andra data än den signaturen."
    ),
    "timestamp.untrusted": N_(
        "Tidsstämpeln på signaturen i {field} kommer från en tidsstämpeltjänst ({tsa}) "
        "vars certifikat inte är utfärdat av organisationens CA."
    ),
    "timestamp.unknown_organisation": N_(
        "Inte kontrollerat: tidsstämpeln kommer från {tsa}, vars CA inte är bland de betrodda."
    ),
    "timestamp.invalid": N_("Tidsstämpeln på signaturen i {field} är ogiltig."),
    "time_within_validity.ok": N_(
        "{what} i {field} gjordes {time}, inom certifikatets giltighetstid "
        "({not_before} – {not_after}) och inte senare än kontrolltidpunkten."
    ),
    "time_within_validity.outside": N_(
        "{what} i {field} gjordes {time}, utanför certifikatets giltighetstid "
        "({not_before} – {not_after})."
    ),
    "time_within_validity.future": N_(
        "{what} i {field} anger tiden {time}, som ligger efter kontrolltidpunkten {now}."
    ),
    "time_within_validity.claim_mismatch": N_(
        "Signeringstiden som anges i {field} ({claimed}) ligger efter tidsstämpelns tid "
        "({time})."
    ),
    "time_within_validity.no_time": N_(
        "Signaturen i {field} har ingen tidpunkt som kan kontrolleras."
    ),
    "changes_allowed.ok": N_(
        "Efter signaturen i {field} har bara tillåtna ändringar gjorts ({level})."
    ),
    "changes_allowed.failed": N_(
        "Efter signaturen i {field} har dokumentet ändrats på ett sätt som inte är tillåtet: "
        "{level}. Tillåtet är bara att fylla i nästa signaturfält, dokumenttidsstämpel och "
        "valideringsdata."
    ),
    "changes_allowed.docmdp": N_(
        "Ändringarna efter signaturen i {field} bryter mot vad certifieringen tillåter."
    ),
    "changes_allowed.unknown": N_("Ändringarna efter signaturen i {field} kunde inte analyseras."),
    # -- the route --------------------------------------------------------------------
    # -- authority ------------------------------------------------------------------------
    "authority.ok": N_(
        "{who} ({person}) är den person som den förseglade rutten anger för {field}, och "
        "certifikatet ger titeln {role}."
    ),
    "authority.service_ok": N_(
        "{who} ({person}) är den person som den förseglade rutten anger för {field} som "
        "{role}; certifikatet från underskriftstjänsten ({ca}) anger personens identitet."
    ),
    "authority.service_other_person": N_(
        "{field} ska enligt den förseglade rutten attesteras av {expected} som {role}, men "
        "underskriftstjänstens certifikat anger {who}."
    ),
    "authority.acting_ok": N_(
        "{who} attesterade {field} som t.f. {role} för {expected}, med ett t.f.-certifikat "
        "från organisationens CA för rollen, giltigt {not_before} – {not_after}."
    ),
    "authority.other_person": N_(
        "{field} ska enligt den förseglade rutten attesteras av {expected} som {role}, men "
        "signaturen är gjord av {who}."
    ),
    "authority.no_title": N_(
        "Certifikatet för {who} ger inte titeln {role}, som steget {field} kräver."
    ),
    "authority.no_person": N_(
        "Certifikatet för {who} i {field} anger ingen personidentitet: det är inget "
        "personligt attestcertifikat från attest."
    ),
    "authority.acting_other_role": N_(
        "{who} har ett t.f.-certifikat ({titles}) som inte gäller rollen {role} i {field}."
    ),
    "authority.acting_other_person": N_(
        "{who} har ett t.f.-certifikat för {role}, men för en annan person än {expected}, "
        "som rutten anger för {field}."
    ),
    "authority.not_in_route": N_(
        "{field} finns inte i den förseglade rutten; {who} har ingen behörighet för den."
    ),
    "authority.older_format": N_(
        "Inte kontrollerat: dokumentet är i ett äldre format utan förseglad rutt, så vem som "
        "skulle attestera {field} kan inte avgöras ur filen."
    ),
    "authority.no_route": N_(
        "Inte kontrollerat: utan en läsbar rutt förseglad av en känd organisation kan "
        "behörigheten för {field} inte avgöras."
    ),
    "appearance.ok": N_(
        "Raden {field} visar det som certifikatet säger och inget annat: ”{shown}”."
    ),
    "appearance.different": N_(
        "Raden visar något annat än certifikatet: {field} skulle visa ”{expected}” så som "
        "attest ritar det, men visar något annat (annan text, en bild eller annat "
        "innehåll)."
    ),
    "appearance.absent": N_(
        "Raden {field} visar ingenting, fast den är signerad; den skulle visa ”{expected}”."
    ),
    "appearance.unreadable": N_("Raden {field} kan inte läsas (teknisk orsak: {detail})."),
    "appearance.no_title": N_(
        "Inte kontrollerat: certifikatet ger ingen titel för radens roll i {field}."
    ),
    "appearance.older_format": N_(
        "Inte kontrollerat: i det äldre formatet jämförs inte raden {field} med certifikatet."
    ),
    "appearance.no_route": N_(
        "Inte kontrollerat: utan en läsbar rutt förseglad av en känd organisation kan raden "
        "{field} inte jämföras."
    ),
    "route_order.ok": N_(
        "{count} attester gjordes i ordning, var och en i sin egen rad i tabellen "
        "Attesterat av, av olika personer."
    ),
    "route_order.none": N_("Inte kontrollerat: dokumentet har inga attester ännu."),
    "route_order.broken": N_("Inte kontrollerat: en av attesterna kan inte läsas."),
    "route_order.order": N_(
        "Attesterna är inte gjorda i ordning: {field} signerades före {earlier}."
    ),
    "route_order.unexpected_field": N_(
        "Signaturen i fältet {field} hör inte till tabellen Attesterat av."
    ),
    "route_order.extra_field": N_(
        "Dokumentet har ett signaturfält som inte hör till attesteringen: {field}."
    ),
    "route_order.same_person": N_(
        "{who} har attesterat flera steg ({fields}); varje steg ska attesteras av en egen "
        "person."
    ),
    "complete.ok": N_("Alla {count} rader i tabellen Attesterat av är signerade."),
    "complete.missing": N_(
        "Attesteringen är inte fullständig: {missing} saknar signatur ({signed} av {count} "
        "steg signerade)."
    ),
    "complete.expected": N_("Dokumentet har {count} attesteringssteg, men {expected} förväntades."),
    "complete.gap": N_("Tabellens signaturfält är inte numrerade i följd: {fields}."),
    "complete.route_mismatch": N_(
        "Tabellens signaturfält ({fields}) är inte de som den förseglade rutten anger " "({route})."
    ),
    "complete.no_rows": N_(
        "Dokumentet har ingen tabell Attesterat av med signaturfält (attest-steg-1 …)."
    ),
    # -- the archive ------------------------------------------------------------------
    # -- the closing seal ---------------------------------------------------------------
    "closing_seal.ok": N_(
        "Slutsigillet ({signer}, {time}) signerade efter den sista raden, och efter det har "
        "bara valideringsdata och dokumenttidsstämplar lagts till."
    ),
    "closing_seal.older_format": N_(
        "Inte kontrollerat: dokumentet är i ett äldre format utan slutsigill."
    ),
    "closing_seal.missing": N_(
        "Slutsigillet (fältet attest-slutsigill) saknas: attesteringen har inte avslutats av "
        "attest, och vad som lagts till efter den sista raden är inte förseglat."
    ),
    "closing_seal.not_approval": N_(
        "Signaturen i attest-slutsigill är inget slutsigill (den är en certifiering eller "
        "en tidsstämpel)."
    ),
    "closing_seal.not_seal": N_(
        "Slutsigillet är gjort av {signer}, inte av systemsigillet från samma organisations "
        "CA som förseglade dokumentet."
    ),
    "closing_seal.before_last": N_(
        "Slutsigillet kommer före attesten i {last}: raden lades till efter att attesteringen "
        "avslutats."
    ),
    "closing_seal.untrusted": N_(
        "Slutsigillet godtas inte: signaturen i attest-slutsigill är inte intakt, korrekt "
        "och betrodd (se kontrollerna för attest-slutsigill)."
    ),
    "closing_seal.unknown_organisation": N_(
        "Inte kontrollerat: slutsigillets certifikat kan inte bedömas, eftersom organisationens "
        "CA inte är bland de betrodda (inget har dock ändrats efter det)."
    ),
    "closing_seal.not_validated": N_(
        "Inte kontrollerat: slutsigillet kunde inte valideras (se nedan)."
    ),
    "closing_seal.signed_after": N_(
        "Efter slutsigillet har dokumentet signerats igen ({field}); bara "
        "dokumenttidsstämplar får följa."
    ),
    "closing_seal.changed_after": N_(
        "Dokumentet har ändrats efter slutsigillet: {changes}. Efter det får bara "
        "valideringsdata och dokumenttidsstämplar läggas till."
    ),
    "archive_timestamp.ok": N_(
        "Dokumenttidsstämpeln {field} ({time}) kommer efter den sista attesten, och "
        "valideringsdata (certifikat och spärrlista) finns i dokumentet."
    ),
    "archive_timestamp.missing": N_(
        "Dokumenttidsstämpeln (attest-arkivstampel) saknas: dokumentet har inte arkiverats "
        "efter den sista attesten."
    ),
    "archive_timestamp.before_last": N_(
        "Dokumenttidsstämpeln {field} kommer före attesten i {last}."
    ),
    "archive_timestamp.before_closing": N_(
        "Dokumenttidsstämpeln {field} kommer före slutsigillet."
    ),
    "archive_timestamp.wrong_field": N_(
        "Den sista signaturen ({field}) är ingen dokumenttidsstämpel i attest-arkivstampel."
    ),
    "archive_timestamp.unknown_organisation": N_(
        "Inte kontrollerat: om valideringsdata kommer från organisationens CA kan inte avgöras, "
        "eftersom dess CA inte är bland de betrodda."
    ),
    "archive_timestamp.no_dss": N_("Valideringsdata (DSS) saknas i dokumentet."),
    "archive_timestamp.dss_incomplete": N_(
        "Valideringsdata i dokumentet är ofullständiga: {missing}."
    ),
    "nothing_after.ok": N_(
        "Inget har lagts till efter den sista signaturen; den täcker hela filen."
    ),
    "nothing_after.trailing": N_(
        "Efter den sista signaturen ({field}) följer {count} byte som ingen signatur täcker "
        "({revisions})."
    ),
    "records.not_checked": N_(
        "Inte kontrollerat: dokumentet har inte jämförts med attests register över "
        "attester och med granskningsloggen (kontrollen gjordes utan databas)."
    ),
}


@dataclass(frozen=True)
class Msg:
    """A text said in each language: its Swedish msgid and the values of its placeholders."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, msgid: str, **params: Any) -> "Msg":
        return cls(msgid, params)

    def render(self, lang: str) -> str:
        values = {k: render(v, lang) for k, v in self.params.items()}
        return gettext(lang, self.msgid).format(**values)


@dataclass(frozen=True)
class Joined:
    """Texts said one after the other, each in the language asked for."""

    parts: tuple[Any, ...]
    separator: str = "; "

    def render(self, lang: str) -> str:
        return self.separator.join(render(p, lang) for p in self.parts)


def render(value: Any, lang: str) -> Any:
    """A placeholder's value in lang: a Msg or Joined translated, anything else as it is."""
    return value.render(lang) if isinstance(value, (Msg, Joined)) else value


def text(key: str, lang: str, **params: object) -> str:
    """The message key in lang ("sv" or "en"), with its placeholders filled."""
    return Msg(TEXTS[key], params).render(lang)


def label(key: str, lang: str, **params: object) -> str:
    return Msg(LABELS[key], params).render(lang)


def check_title(code: str, lang: str) -> str:
    """The short name of a check, for headings and tables."""
    return gettext(lang, CHECK_TITLES[code]) if code in CHECK_TITLES else code


def verdict_title(verdict: str, lang: str) -> str:
    """The verdict as users read it: Giltig / Ogiltig / Kan inte avgöras."""
    return gettext(lang, VERDICT_TITLES[verdict])


def format_time(moment: dt.datetime | None) -> str:
    """A time as users read it: Europe/Stockholm, YYYY-MM-DD HH:MM."""
    if moment is None:
        return ""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")

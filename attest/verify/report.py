"""What a verification report says, in Swedish and English: one place for every text.

The core (attest.verify.core) builds each check's message from these templates; the web
page and the CLI print the messages as they are, so both show the same reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping
from zoneinfo import ZoneInfo

__all__ = [
    "Both",
    "CHECK_TITLES",
    "LABELS",
    "LANGUAGES",
    "MODIFICATION_LEVELS",
    "STATUS_SYMBOLS",
    "TEXTS",
    "VERDICT_TITLES",
    "format_time",
    "label",
    "text",
]

LANGUAGES = ("sv", "en")
STOCKHOLM = ZoneInfo("Europe/Stockholm")

VERDICT_TITLES: Mapping[str, tuple[str, str]] = {
    "valid": ("Giltig", "Valid"),
    "invalid": ("Ogiltig", "Invalid"),
    "undecidable": ("Kan inte avgöras", "Undecidable"),
}

STATUS_SYMBOLS: Mapping[str, str] = {"ok": "✓", "failed": "✗", "not_checked": "–"}

# Short names of the checks, for headings and tables.
CHECK_TITLES: Mapping[str, tuple[str, str]] = {
    "file_is_pdf": ("Filen är en PDF", "The file is a PDF"),
    "has_signatures": ("Dokumentet är signerat", "The document is signed"),
    "certification_first": ("Systemsigillets certifiering först", "System seal certifies first"),
    "intact": ("Signerade byte oförändrade", "Signed bytes unchanged"),
    "valid": ("Signaturen är kryptografiskt korrekt", "Signature is cryptographically valid"),
    "trusted": ("Certifikatet är utfärdat av organisationens CA", "Certificate issued by the CA"),
    "not_revoked": ("Certifikatet är inte återkallat", "Certificate not revoked"),
    "timestamp": ("Tidsstämpel från betrodd tjänst", "Timestamp from a trusted TSA"),
    "time_within_validity": ("Tidpunkt inom certifikatets giltighet", "Time within validity"),
    "changes_allowed": ("Bara tillåtna ändringar efteråt", "Only allowed changes after"),
    "route_order": ("Attesterna i rätt ordning och rad", "Attestations in route order"),
    "complete": ("Alla rader attesterade", "All rows attested"),
    "archive_timestamp": ("Dokumenttidsstämpel och valideringsdata", "Archive timestamp and data"),
    "nothing_after": ("Inget efter sista signaturen", "Nothing after the last signature"),
    "records": ("Jämförd med register och logg", "Compared with records and log"),
}

# pyHanko's modification levels in words.
MODIFICATION_LEVELS: Mapping[str, tuple[str, str]] = {
    "NONE": ("inga ändringar", "no changes"),
    "LTA_UPDATES": (
        "bara valideringsdata och dokumenttidsstämpel",
        "only validation data and a document timestamp",
    ),
    "FORM_FILLING": ("bara ifyllda signaturfält", "only filled-in signature fields"),
    "ANNOTATIONS": ("kommentarer eller anteckningar", "comments or annotations"),
    "OTHER": (
        "andra ändringar, t.ex. nytt eller ändrat sidinnehåll, sidor eller borttagna fält",
        "other changes, e.g. new or altered page content, pages or removed fields",
    ),
}

# Labels the CLI (and the web page) print around the checks.
LABELS: Mapping[str, tuple[str, str]] = {
    "attested_by": ("Attesterat av", "Attested by"),
    "no_attestations": ("Inga attester.", "No attestations."),
    "checks": ("Kontroller", "Checks"),
    "document": ("Hela dokumentet", "The whole document"),
    "step": ("steg", "step"),
    "timestamped": ("tidsstämplad", "timestamped"),
    "signed": ("signerad", "signed"),
    "certificate": ("certifikat", "certificate"),
    "file": ("Fil", "File"),
    "verdict": ("Resultat", "Verdict"),
    "need_trust": (
        "Organisationens CA-certifikat behövs för att kontrollera attesterna: ange det med "
        "--trust keys/<ORG>-ca.pem (det kan laddas ner från sidan Verifiera).",
        "The organisation's CA certificate is needed to check the attestations: give it "
        "with --trust keys/<ORG>-ca.pem (it can be downloaded from the Verify page).",
    ),
    "bad_trust": (
        "CA-certifikatet {path} kunde inte läsas: {detail}",
        "The CA certificate {path} could not be read: {detail}",
    ),
    "bad_crl": (
        "Spärrlistan {path} kunde inte läsas: {detail}",
        "The CRL {path} could not be read: {detail}",
    ),
    "missing_file": ("Filen {path} kunde inte läsas: {detail}", "Could not read {path}: {detail}"),
    "unusable": ("Kan inte kontrolleras", "Cannot be checked"),
    "summary": (
        "{valid} av {total} filer giltiga.",
        "{valid} of {total} files valid.",
    ),
}

# Every check message: key -> (Swedish, English). Placeholders are filled by the core.
TEXTS: Mapping[str, tuple[str, str]] = {
    # -- the file ---------------------------------------------------------------------
    "file_is_pdf.ok": ("Filen är en läsbar PDF.", "The file is a readable PDF."),
    "file_is_pdf.empty": ("Filen är tom.", "The file is empty."),
    "file_is_pdf.not_pdf": (
        "Filen är inte en PDF (den börjar inte med %PDF-).",
        "The file is not a PDF (it does not start with %PDF-).",
    ),
    "file_is_pdf.unreadable": (
        "Filen kunde inte läsas som PDF; den är trasig eller avkortad (teknisk orsak: "
        "{detail}).",
        "The file could not be read as a PDF; it is damaged or truncated (technical cause: "
        "{detail}).",
    ),
    "file_is_pdf.encrypted": (
        "Filen är krypterad. En attesterad PDF är aldrig krypterad, och en krypterad fil "
        "kan inte kontrolleras.",
        "The file is encrypted. An attested PDF is never encrypted, and an encrypted file "
        "cannot be checked.",
    ),
    "not_checked.unusable": (
        "Inte kontrollerat: filen kunde inte läsas som PDF.",
        "Not checked: the file could not be read as a PDF.",
    ),
    "not_checked.unsigned": (
        "Inte kontrollerat: dokumentet har inga signaturer.",
        "Not checked: the document has no signatures.",
    ),
    # -- signatures at all ------------------------------------------------------------
    "has_signatures.ok": (
        "Dokumentet innehåller {count} signaturer.",
        "The document contains {count} signatures.",
    ),
    "has_signatures.none": (
        "Dokumentet innehåller inga signaturer: det har aldrig fastställts eller attesterats.",
        "The document contains no signatures: it was never frozen or attested.",
    ),
    "has_signatures.unreadable": (
        "Signaturerna i dokumentet kunde inte läsas ({detail}).",
        "The document's signatures could not be read ({detail}).",
    ),
    # -- the system seal's certification ---------------------------------------------
    "certification_first.ok": (
        "Den första signaturen är systemsigillets certifiering ({signer}, {time}); den "
        "tillåter bara att signaturfälten fylls i.",
        "The first signature is the system seal's certification ({signer}, {time}); it "
        "allows only filling in the signature fields.",
    ),
    "certification_first.missing": (
        "Systemsigillets certifiering (fältet attest-sigill) saknas: dokumentet har inte "
        "fastställts av attest.",
        "The system seal's certification (field attest-sigill) is missing: the document "
        "was not frozen by attest.",
    ),
    "certification_first.not_first": (
        "Den första signaturen är {field}, inte systemsigillets certifiering attest-sigill.",
        "The first signature is {field}, not the system seal's certification attest-sigill.",
    ),
    "certification_first.not_certification": (
        "Signaturen i attest-sigill är ingen certifiering (DocMDP) av dokumentet.",
        "The signature in attest-sigill is not a certification (DocMDP) of the document.",
    ),
    "certification_first.permissions": (
        "Certifieringen tillåter mer än att fylla i signaturfält ({permission}).",
        "The certification allows more than filling in signature fields ({permission}).",
    ),
    "certification_first.not_seal": (
        "Certifieringen är gjord av {signer}, inte av attest-systemets sigill.",
        "The certification was made by {signer}, not by the attest system's seal.",
    ),
    "certification_first.untrusted": (
        "Certifieringen godtas inte: signaturen i attest-sigill är inte intakt, korrekt och "
        "gjord med ett certifikat från organisationens CA (se kontrollerna för attest-sigill).",
        "The certification is not accepted: the signature in attest-sigill is not intact, "
        "correct and made with a certificate from the organisation's CA (see the checks of "
        "attest-sigill).",
    ),
    "certification_first.not_validated": (
        "Inte kontrollerat: signaturerna kunde inte valideras (se nedan).",
        "Not checked: the signatures could not be validated (see below).",
    ),
    "certification_first.several": (
        "Dokumentet har flera certifieringssignaturer ({fields}); bara en är tillåten.",
        "The document has several certification signatures ({fields}); only one is allowed.",
    ),
    # -- each signature ---------------------------------------------------------------
    "intact.ok": (
        "Signaturen i {field} är intakt: de signerade byten är oförändrade.",
        "The signature in {field} is intact: the signed bytes are unchanged.",
    ),
    "intact.failed": (
        "Signaturen i {field} är inte intakt: de signerade byten har ändrats efter "
        "signeringen, eller signaturen hör till ett annat dokument.",
        "The signature in {field} is not intact: the signed bytes were changed after "
        "signing, or the signature belongs to another document.",
    ),
    "intact.unreadable": (
        "Signaturen i {field} kunde inte läsas eller kontrolleras ({detail}).",
        "The signature in {field} could not be read or checked ({detail}).",
    ),
    "intact.not_validated": (
        "Inte kontrollerat: en annan signatur i filen kan inte läsas, och då kontrolleras "
        "ingen av signaturerna.",
        "Not checked: another signature in the file cannot be read, and then none of the "
        "signatures is checked.",
    ),
    "valid.ok": (
        "Signaturvärdet i {field} är kryptografiskt korrekt ({algorithm}).",
        "The signature value in {field} is cryptographically correct ({algorithm}).",
    ),
    "valid.failed": (
        "Signaturvärdet i {field} är kryptografiskt felaktigt.",
        "The signature value in {field} is cryptographically incorrect.",
    ),
    "valid.weak": (
        "Signaturen i {field} använder hashalgoritmen {algorithm}, som inte längre är säker; "
        "bara SHA-256 eller starkare godtas.",
        "The signature in {field} uses the hash algorithm {algorithm}, which is no longer "
        "secure; only SHA-256 or stronger is accepted.",
    ),
    "valid.not_intact": (
        "Inte kontrollerat: signaturen i {field} är inte intakt.",
        "Not checked: the signature in {field} is not intact.",
    ),
    "trusted.ok": (
        "Certifikatet för {who} är utfärdat av organisationens CA ({ca}) och giltigt.",
        "The certificate of {who} is issued by the organisation's CA ({ca}) and valid.",
    ),
    "trusted.ok_at_timestamp": (
        "Certifikatet för {who} är utfärdat av organisationens CA ({ca}). Det har gått ut "
        "sedan dess, men tidsstämpeln visar att signaturen gjordes {time}, när det gällde.",
        "The certificate of {who} is issued by the organisation's CA ({ca}). It has expired "
        "since, but the timestamp shows the signature was made at {time}, while it was valid.",
    ),
    "trusted.not_intact": (
        "Inte kontrollerat: signaturen i {field} är inte intakt.",
        "Not checked: the signature in {field} is not intact.",
    ),
    "trusted.revoked": (
        "Certifikatet för {who} är utfärdat av organisationens CA ({ca}), men återkallat "
        "(se återkallelsekontrollen).",
        "The certificate of {who} is issued by the organisation's CA ({ca}), but revoked "
        "(see the revocation check).",
    ),
    "trusted.foreign": (
        "Certifikatet för {who} är inte utfärdat av organisationens CA: kedjan till det "
        "angivna CA-certifikatet kunde inte verifieras (t.ex. ett egentillverkat CA med "
        "samma namn).",
        "The certificate of {who} is not issued by the organisation's CA: the chain to the "
        "given CA certificate could not be verified (e.g. a self-made CA with the same name).",
    ),
    "trusted.not_valid_then": (
        "Certifikatet för {who} gällde inte när signaturen gjordes, {time} (giltigt "
        "{not_before} – {not_after}).",
        "The certificate of {who} was not valid when the signature was made, at {time} "
        "(valid {not_before} – {not_after}).",
    ),
    "trusted.other": (
        "Certifikatet för {who} godtas inte (t.ex. fel nyckelanvändning eller en ogiltig "
        "kedja).",
        "The certificate of {who} is not accepted (e.g. wrong key usage or an invalid chain).",
    ),
    "not_revoked.ok": (
        "Certifikatet för {who} finns inte på den angivna spärrlistan från organisationens CA.",
        "The certificate of {who} is not on the given CRL of the organisation's CA.",
    ),
    "not_revoked.no_crl": (
        "Inte kontrollerat: ingen spärrlista (CRL) angavs, så det är inte kontrollerat om "
        "certifikatet för {who} har återkallats.",
        "Not checked: no certificate revocation list (CRL) was given, so whether the "
        "certificate of {who} was revoked is not checked.",
    ),
    "not_revoked.revoked": (
        "Certifikatet för {who} har återkallats{when}.",
        "The certificate of {who} has been revoked{when}.",
    ),
    "not_revoked.revoked_later": (
        "Certifikatet för {who} återkallades {when}, efter att signaturen tidsstämplades "
        "{time}: signaturen gjordes medan det gällde.",
        "The certificate of {who} was revoked at {when}, after the signature was "
        "timestamped at {time}: the signature was made while it was valid.",
    ),
    "not_revoked.unknown": (
        "Det gick inte att avgöra om certifikatet för {who} har återkallats: ingen av de "
        "angivna spärrlistorna är aktuell och utfärdad av organisationens CA.",
        "Whether the certificate of {who} was revoked could not be decided: none of the "
        "given CRLs is current and issued by the organisation's CA.",
    ),
    "not_revoked.not_trusted": (
        "Inte kontrollerat: certifikatet för {who} är inte utfärdat av organisationens CA.",
        "Not checked: the certificate of {who} is not issued by the organisation's CA.",
    ),
    "timestamp.ok": (
        "Signaturen i {field} har en tidsstämpel från {tsa} ({time}) som gäller just den "
        "signaturen.",
        "The signature in {field} has a timestamp from {tsa} ({time}) for exactly that "
        "signature.",
    ),
    "timestamp.missing": (
        "Signaturen i {field} saknar tidsstämpel, så tiden för signeringen är obestyrkt.",
        "The signature in {field} has no timestamp, so its time is unattested.",
    ),
    "timestamp.mismatch": (
        "Tidsstämpeln på signaturen i {field} gäller andra data än den signaturen.",
        "The timestamp on the signature in {field} is for other data than that signature.",
    ),
    "timestamp.untrusted": (
        "Tidsstämpeln på signaturen i {field} kommer från en tidsstämpeltjänst ({tsa}) "
        "vars certifikat inte är utfärdat av organisationens CA.",
        "The timestamp on the signature in {field} comes from a timestamp authority ({tsa}) "
        "whose certificate is not issued by the organisation's CA.",
    ),
    "timestamp.invalid": (
        "Tidsstämpeln på signaturen i {field} är ogiltig.",
        "The timestamp on the signature in {field} is invalid.",
    ),
    "time_within_validity.ok": (
        "{what} i {field} gjordes {time}, inom certifikatets giltighetstid "
        "({not_before} – {not_after}) och inte senare än kontrolltidpunkten.",
        "The {what} in {field} was made at {time}, within the certificate's validity "
        "({not_before} – {not_after}) and not after the time of checking.",
    ),
    "time_within_validity.outside": (
        "{what} i {field} gjordes {time}, utanför certifikatets giltighetstid "
        "({not_before} – {not_after}).",
        "The {what} in {field} was made at {time}, outside the certificate's validity "
        "({not_before} – {not_after}).",
    ),
    "time_within_validity.future": (
        "{what} i {field} anger tiden {time}, som ligger efter kontrolltidpunkten {now}.",
        "The {what} in {field} states the time {time}, which is after the time of "
        "checking, {now}.",
    ),
    "time_within_validity.claim_mismatch": (
        "Signeringstiden som anges i {field} ({claimed}) ligger efter tidsstämpelns tid "
        "({time}).",
        "The signing time stated in {field} ({claimed}) is later than the timestamp's time "
        "({time}).",
    ),
    "time_within_validity.no_time": (
        "Signaturen i {field} har ingen tidpunkt som kan kontrolleras.",
        "The signature in {field} has no time that can be checked.",
    ),
    "changes_allowed.ok": (
        "Efter signaturen i {field} har bara tillåtna ändringar gjorts ({level}).",
        "After the signature in {field} only allowed changes were made ({level}).",
    ),
    "changes_allowed.failed": (
        "Efter signaturen i {field} har dokumentet ändrats på ett sätt som inte är tillåtet: "
        "{level}. Tillåtet är bara att fylla i nästa signaturfält, dokumenttidsstämpel och "
        "valideringsdata.",
        "After the signature in {field} the document was changed in a way that is not "
        "allowed: {level}. Only filling in the next signature field, a document timestamp "
        "and validation data are allowed.",
    ),
    "changes_allowed.docmdp": (
        "Ändringarna efter signaturen i {field} bryter mot vad certifieringen tillåter.",
        "The changes after the signature in {field} break what the certification allows.",
    ),
    "changes_allowed.unknown": (
        "Ändringarna efter signaturen i {field} kunde inte analyseras.",
        "The changes after the signature in {field} could not be analysed.",
    ),
    # -- the route --------------------------------------------------------------------
    "route_order.ok": (
        "{count} attester gjordes i ordning, var och en i sin egen rad i tabellen "
        "Attesterat av, av olika personer; varje rad visar namn och titel ur signerarens "
        "certifikat från organisationen.",
        "{count} attestations were made in order, each in its own row of the Attested by "
        "table, by different people; each row shows the name and title from the signer's "
        "certificate of the organisation.",
    ),
    "route_order.none": (
        "Inte kontrollerat: dokumentet har inga attester ännu.",
        "Not checked: the document has no attestations yet.",
    ),
    "route_order.broken": (
        "Inte kontrollerat: en av attesterna kan inte läsas.",
        "Not checked: one of the attestations cannot be read.",
    ),
    "route_order.order": (
        "Attesterna är inte gjorda i ordning: {field} signerades före {earlier}.",
        "The attestations are out of order: {field} was signed before {earlier}.",
    ),
    "route_order.unexpected_field": (
        "Signaturen i fältet {field} hör inte till tabellen Attesterat av.",
        "The signature in the field {field} does not belong to the Attested by table.",
    ),
    "route_order.extra_field": (
        "Dokumentet har ett signaturfält som inte hör till attesteringen: {field}.",
        "The document has a signature field that is not part of the attestation: {field}.",
    ),
    "route_order.row_blank": (
        "Raden för {field} i tabellen Attesterat av visar inget namn, fast {who} har signerat "
        "den.",
        "The row of {field} in the Attested by table shows no name, although {who} signed it.",
    ),
    "route_order.row_other_name": (
        "Raden för {field} visar ”{row}”, men signaturen är gjord av {who}.",
        "The row of {field} shows “{row}”, but the signature was made by {who}.",
    ),
    "route_order.row_other_title": (
        "Raden för {field} visar ”{row}”, men certifikatet för {who} anger titeln {title}.",
        "The row of {field} shows “{row}”, but the certificate of {who} names the title "
        "{title}.",
    ),
    "route_order.same_person": (
        "{who} har attesterat flera steg ({fields}); varje steg ska attesteras av en egen "
        "person.",
        "{who} attested several steps ({fields}); each step must be attested by its own " "person.",
    ),
    "route_order.no_title": (
        "Certifikatet för {who} i {field} anger ingen titel: det är inget personligt "
        "attestcertifikat.",
        "The certificate of {who} in {field} names no title: it is not a personal "
        "attestation certificate.",
    ),
    "route_order.org_mismatch": (
        "Certifikatet för {who} i {field} anger organisationen {org}, inte {ca_org}.",
        "The certificate of {who} in {field} names the organisation {org}, not {ca_org}.",
    ),
    "complete.ok": (
        "Alla {count} rader i tabellen Attesterat av är signerade.",
        "All {count} rows of the Attested by table are signed.",
    ),
    "complete.missing": (
        "Attesteringen är inte fullständig: {missing} saknar signatur ({signed} av {count} "
        "steg signerade).",
        "The attestation is incomplete: {missing} not signed ({signed} of {count} steps "
        "signed).",
    ),
    "complete.expected": (
        "Dokumentet har {count} attesteringssteg, men {expected} förväntades.",
        "The document has {count} attestation steps, but {expected} were expected.",
    ),
    "complete.gap": (
        "Tabellens signaturfält är inte numrerade i följd: {fields}.",
        "The table's signature fields are not numbered consecutively: {fields}.",
    ),
    "complete.no_rows": (
        "Dokumentet har ingen tabell Attesterat av med signaturfält (attest-steg-1 …).",
        "The document has no Attested by table with signature fields (attest-steg-1 …).",
    ),
    # -- the archive ------------------------------------------------------------------
    "archive_timestamp.ok": (
        "Dokumenttidsstämpeln {field} ({time}) kommer efter den sista attesten, och "
        "valideringsdata (certifikat och spärrlista) finns i dokumentet.",
        "The document timestamp {field} ({time}) follows the last attestation, and the "
        "validation data (certificates and CRL) are in the document.",
    ),
    "archive_timestamp.missing": (
        "Dokumenttidsstämpeln (attest-arkivstampel) saknas: dokumentet har inte arkiverats "
        "efter den sista attesten.",
        "The document timestamp (attest-arkivstampel) is missing: the document was not "
        "archived after the last attestation.",
    ),
    "archive_timestamp.before_last": (
        "Dokumenttidsstämpeln {field} kommer före attesten i {last}.",
        "The document timestamp {field} comes before the attestation in {last}.",
    ),
    "archive_timestamp.wrong_field": (
        "Den sista signaturen ({field}) är ingen dokumenttidsstämpel i attest-arkivstampel.",
        "The last signature ({field}) is not a document timestamp in attest-arkivstampel.",
    ),
    "archive_timestamp.no_dss": (
        "Valideringsdata (DSS) saknas i dokumentet.",
        "The validation data (DSS) are missing from the document.",
    ),
    "archive_timestamp.dss_incomplete": (
        "Valideringsdata i dokumentet är ofullständiga: {missing}.",
        "The validation data in the document are incomplete: {missing}.",
    ),
    "nothing_after.ok": (
        "Inget har lagts till efter den sista signaturen; den täcker hela filen.",
        "Nothing was added after the last signature; it covers the whole file.",
    ),
    "nothing_after.trailing": (
        "Efter den sista signaturen ({field}) följer {count} byte som ingen signatur täcker "
        "({revisions}).",
        "After the last signature ({field}) follow {count} bytes that no signature covers "
        "({revisions}).",
    ),
    "records.not_checked": (
        "Inte kontrollerat: dokumentet har inte jämförts med attests register över "
        "attester och med granskningsloggen (kontrollen gjordes utan databas).",
        "Not checked: the document was not compared with attest's records of "
        "attestations and with the audit log (the check ran without the database).",
    ),
}


class Both(tuple):
    """A placeholder value that differs by language: Both(("Swedish", "English"))."""

    def __new__(cls, sv: str, en: str) -> "Both":
        return super().__new__(cls, (sv, en))


def text(key: str, lang: str, **params: object) -> str:
    """The message key in lang ("sv" or "en"), with its placeholders filled.

    A Both value gives each language its own word; anything else is the same in both.
    """
    index = LANGUAGES.index(lang)
    values = {k: v[index] if isinstance(v, Both) else v for k, v in params.items()}
    return TEXTS[key][index].format(**values)


def label(key: str, lang: str, **params: object) -> str:
    return LABELS[key][LANGUAGES.index(lang)].format(**params)


def format_time(moment: dt.datetime | None) -> str:
    """A time as users read it: Europe/Stockholm, YYYY-MM-DD HH:MM."""
    if moment is None:
        return ""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")

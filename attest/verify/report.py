"""What a verification report says, in Swedish and English: one place for every text.

The checks (attest.verify.checks, .document, .route) build each message from these
templates; the web page and the CLI print the messages as they are, so both show the
same reasons.
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
    "file_intact": ("Filen är hel", "The file is whole"),
    "within_limits": ("Inom gränsen för signaturer", "Within the signature limit"),
    "has_signatures": ("Dokumentet är signerat", "The document is signed"),
    "certification_first": ("Systemsigillets certifiering först", "System seal certifies first"),
    "route_sealed": ("Rutten är förseglad i dokumentet", "The route is sealed in the document"),
    "intact": ("Signerade byte oförändrade", "Signed bytes unchanged"),
    "valid": ("Signaturen är kryptografiskt korrekt", "Signature is cryptographically valid"),
    "trusted": ("Certifikatet är utfärdat av organisationens CA", "Certificate issued by the CA"),
    "not_revoked": ("Certifikatet är inte återkallat", "Certificate not revoked"),
    "timestamp": ("Tidsstämpel från betrodd tjänst", "Timestamp from a trusted TSA"),
    "time_within_validity": ("Tidpunkt inom certifikatets giltighet", "Time within validity"),
    "changes_allowed": ("Bara tillåtna ändringar efteråt", "Only allowed changes after"),
    "authority": ("Rätt person med behörighet", "The right person, with authority"),
    "appearance": ("Raden visar certifikatet", "The row shows the certificate"),
    "route_order": ("Attesterna i rätt ordning", "Attestations in route order"),
    "complete": ("Alla rader attesterade", "All rows attested"),
    "closing_seal": ("Slutsigillet och inget efter det", "The closing seal, nothing after it"),
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
    "organisation": ("Organisation", "Organisation"),
    "acting_for": ("för {name}", "for {name}"),
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
    "file_intact.ok": (
        "Filen börjar med %PDF och är hel.",
        "The file starts with %PDF and is whole.",
    ),
    "file_intact.before": (
        "Före %PDF i filen finns {count} byte som inte hör till dokumentet: filen har "
        "ändrats efter att den attesterades.",
        "Before %PDF the file has {count} bytes that are not part of the document: the file "
        "was changed after it was attested.",
    ),
    "file_intact.damaged": (
        "Filen är en signerad PDF men trasig eller avkortad och kan inte läsas (teknisk "
        "orsak: {detail}). Den är inte den fil som attesterades.",
        "The file is a signed PDF but damaged or cut short and cannot be read (technical "
        "cause: {detail}). It is not the file that was attested.",
    ),
    "within_limits.ok": (
        "Filen har {signatures} signaturer och {revisions} revisioner (gränsen är {limit}).",
        "The file has {signatures} signatures and {revisions} revisions (the limit is {limit}).",
    ),
    "within_limits.exceeded": (
        "Filen har {signatures} signaturer och {revisions} revisioner, fler än gränsen "
        "{limit}: den kontrolleras inte. Ett attesterat tjänsteutlåtande har långt färre.",
        "The file has {signatures} signatures and {revisions} revisions, more than the limit "
        "{limit}: it is not checked. An attested memo has far fewer.",
    ),
    "not_checked.unusable": (
        "Inte kontrollerat: filen kunde inte läsas som PDF.",
        "Not checked: the file could not be read as a PDF.",
    ),
    "not_checked.damaged": (
        "Inte kontrollerat: filen är trasig.",
        "Not checked: the file is damaged.",
    ),
    "not_checked.refused": (
        "Inte kontrollerat: filen har fler signaturer eller revisioner än gränsen.",
        "Not checked: the file has more signatures or revisions than the limit.",
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
        "Den första signaturen är systemsigillets certifiering ({signer}, {organisation}, "
        "{time}); den tillåter bara att signaturfälten fylls i.",
        "The first signature is the system seal's certification ({signer}, {organisation}, "
        "{time}); it allows only filling in the signature fields.",
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
    "certification_first.unknown_organisation": (
        "Dokumentet är förseglat av {signer}, men det CA som utfärdat sigillet ({issuer}) "
        "är inte bland de betrodda CA-certifikaten: vilken organisations tjänsteutlåtande det "
        "är kan inte avgöras. Ange den organisationens CA-certifikat.",
        "The document is sealed by {signer}, but the CA that issued the seal ({issuer}) is "
        "not among the trusted CA certificates: whose memo it is cannot be decided. Give "
        "that organisation's CA certificate.",
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
    # -- the sealed route ----------------------------------------------------------------
    "route_sealed.ok": (
        "Rutten är förseglad i dokumentet av systemsigillet: {count} rader för {dnr} version "
        "{version}, {organisation} ({org_code}).",
        "The route is sealed into the document by the system seal: {count} rows for {dnr} "
        "version {version}, {organisation} ({org_code}).",
    ),
    "route_sealed.older_format": (
        "Dokumentet har ingen förseglad rutt: det fastställdes i ett äldre format. Vem som "
        "skulle attestera varje rad, och med vilken behörighet, kan därför inte avgöras ur "
        "filen; jämför med attests register.",
        "The document has no sealed route: it was frozen in an older format. Who was to "
        "attest each row, and with what authority, therefore cannot be decided from the "
        "file; compare with attest's records.",
    ),
    "route_sealed.not_certified": (
        "Inte kontrollerat: dokumentet är inte certifierat av systemsigillet.",
        "Not checked: the document is not certified by the system seal.",
    ),
    "route_sealed.unreadable": (
        "Rutten i dokumentet kan inte läsas (teknisk orsak: {detail}).",
        "The route in the document cannot be read (technical cause: {detail}).",
    ),
    "route_sealed.other_ca": (
        "Rutten anger en annan CA för {organisation} än den ({ca}) som utfärdade "
        "systemsigillet.",
        "The route names another CA for {organisation} than the one ({ca}) that issued the "
        "system seal.",
    ),
    "route_sealed.unknown_organisation": (
        "Inte kontrollerat: rutten är förseglad av {organisation} ({org_code}), vars CA inte är "
        "bland de betrodda.",
        "Not checked: the route is sealed by {organisation} ({org_code}), whose CA is not among "
        "the trusted ones.",
    ),
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
    "trusted.service_ok": (
        "Certifikatet för {who} är utfärdat av underskriftstjänstens CA ({ca}), som den "
        "förseglade rutten anger för raden, och giltigt.",
        "The certificate of {who} is issued by the signature service's CA ({ca}), which the "
        "sealed route names for the row, and valid.",
    ),
    "trusted.other_organisation": (
        "Certifikatet för {who} är utfärdat av en annan organisations CA ({ca}), inte av "
        "{organisation} som förseglade dokumentet.",
        "The certificate of {who} is issued by another organisation's CA ({ca}), not by "
        "{organisation}, which sealed the document.",
    ),
    "trusted.unknown_organisation": (
        "Inte kontrollerat: dokumentet är förseglat av en organisation vars CA inte är bland "
        "de betrodda, så certifikatet för {who} kan inte bedömas.",
        "Not checked: the document is sealed by an organisation whose CA is not among the "
        "trusted ones, so the certificate of {who} cannot be judged.",
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
        "Certifikatet för {who} finns inte på organisationens spärrlista från {time}, som "
        "gäller tiden för signaturen.",
        "The certificate of {who} is not on the organisation's CRL of {time}, which covers "
        "the time of the signature.",
    ),
    "not_revoked.no_crl": (
        "Inte kontrollerat: varken dokumentet eller den som kontrollerar har en spärrlista "
        "(CRL) från organisationens CA, så det är inte kontrollerat om certifikatet för {who} "
        "har återkallats.",
        "Not checked: neither the document nor the checker has a certificate revocation list "
        "(CRL) from the organisation's CA, so whether the certificate of {who} was revoked "
        "is not checked.",
    ),
    "not_revoked.revoked": (
        "Certifikatet för {who} har återkallats{when}{where}, före signaturen.",
        "The certificate of {who} has been revoked{when}{where}, before the signature.",
    ),
    "not_revoked.revoked_later": (
        "Certifikatet för {who} återkallades {when}, efter att signaturen tidsstämplades "
        "{time}: signaturen gjordes medan det gällde.",
        "The certificate of {who} was revoked at {when}, after the signature was "
        "timestamped at {time}: the signature was made while it was valid.",
    ),
    "not_revoked.unknown": (
        "Det gick inte att avgöra om certifikatet för {who} var återkallat när signaturen "
        "gjordes: den nyaste spärrlistan från organisationens CA är från {time}, före "
        "signaturen.",
        "Whether the certificate of {who} was revoked when the signature was made could not "
        "be decided: the newest CRL of the organisation's CA is from {time}, before the "
        "signature.",
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
    "timestamp.unknown_organisation": (
        "Inte kontrollerat: tidsstämpeln kommer från {tsa}, vars CA inte är bland de betrodda.",
        "Not checked: the timestamp comes from {tsa}, whose CA is not among the trusted ones.",
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
    # -- authority ------------------------------------------------------------------------
    "authority.ok": (
        "{who} ({person}) är den person som den förseglade rutten anger för {field}, och "
        "certifikatet ger titeln {role}.",
        "{who} ({person}) is the person the sealed route names for {field}, and the "
        "certificate gives the title {role}.",
    ),
    "authority.service_ok": (
        "{who} ({person}) är den person som den förseglade rutten anger för {field} som "
        "{role}; certifikatet från underskriftstjänsten ({ca}) anger personens identitet.",
        "{who} ({person}) is the person the sealed route names for {field} as {role}; the "
        "signature service's certificate ({ca}) names the person's identifier.",
    ),
    "authority.service_other_person": (
        "{field} ska enligt den förseglade rutten attesteras av {expected} som {role}, men "
        "underskriftstjänstens certifikat anger {who}.",
        "By the sealed route {field} is to be attested by {expected} as {role}, but the "
        "signature service's certificate names {who}.",
    ),
    "authority.acting_ok": (
        "{who} attesterade {field} som t.f. {role} för {expected}, med ett t.f.-certifikat "
        "från organisationens CA för rollen, giltigt {not_before} – {not_after}.",
        "{who} attested {field} as acting {role} for {expected}, with an acting certificate "
        "from the organisation's CA for the role, valid {not_before} – {not_after}.",
    ),
    "authority.other_person": (
        "{field} ska enligt den förseglade rutten attesteras av {expected} som {role}, men "
        "signaturen är gjord av {who}.",
        "By the sealed route {field} is to be attested by {expected} as {role}, but the "
        "signature was made by {who}.",
    ),
    "authority.no_title": (
        "Certifikatet för {who} ger inte titeln {role}, som steget {field} kräver.",
        "The certificate of {who} does not give the title {role}, which the step {field} "
        "requires.",
    ),
    "authority.no_person": (
        "Certifikatet för {who} i {field} anger ingen personidentitet: det är inget "
        "personligt attestcertifikat från attest.",
        "The certificate of {who} in {field} names no person identifier: it is not a "
        "personal attestation certificate from attest.",
    ),
    "authority.acting_other_role": (
        "{who} har ett t.f.-certifikat ({titles}) som inte gäller rollen {role} i {field}.",
        "{who} has an acting certificate ({titles}) that does not cover the role {role} in "
        "{field}.",
    ),
    "authority.acting_other_person": (
        "{who} har ett t.f.-certifikat för {role}, men för en annan person än {expected}, "
        "som rutten anger för {field}.",
        "{who} has an acting certificate for {role}, but for another person than "
        "{expected}, whom the route names for {field}.",
    ),
    "authority.not_in_route": (
        "{field} finns inte i den förseglade rutten; {who} har ingen behörighet för den.",
        "{field} is not in the sealed route; {who} has no authority for it.",
    ),
    "authority.older_format": (
        "Inte kontrollerat: dokumentet är i ett äldre format utan förseglad rutt, så vem som "
        "skulle attestera {field} kan inte avgöras ur filen.",
        "Not checked: the document is in an older format without a sealed route, so who was "
        "to attest {field} cannot be decided from the file.",
    ),
    "authority.no_route": (
        "Inte kontrollerat: utan en läsbar rutt förseglad av en känd organisation kan "
        "behörigheten för {field} inte avgöras.",
        "Not checked: without a readable route sealed by a known organisation the authority "
        "for {field} cannot be decided.",
    ),
    "appearance.ok": (
        "Raden {field} visar det som certifikatet säger och inget annat: ”{shown}”.",
        "The row {field} shows what the certificate says and nothing else: “{shown}”.",
    ),
    "appearance.different": (
        "Raden visar något annat än certifikatet: {field} skulle visa ”{expected}” så som "
        "attest ritar det, men visar något annat (annan text, en bild eller annat "
        "innehåll).",
        "The row shows something else than the certificate: {field} should show "
        "“{expected}” as attest draws it, but shows something else (other text, an image or "
        "other content).",
    ),
    "appearance.absent": (
        "Raden {field} visar ingenting, fast den är signerad; den skulle visa ”{expected}”.",
        "The row {field} shows nothing although it is signed; it should show “{expected}”.",
    ),
    "appearance.unreadable": (
        "Raden {field} kan inte läsas (teknisk orsak: {detail}).",
        "The row {field} cannot be read (technical cause: {detail}).",
    ),
    "appearance.no_title": (
        "Inte kontrollerat: certifikatet ger ingen titel för radens roll i {field}.",
        "Not checked: the certificate gives no title for the role of the row {field}.",
    ),
    "appearance.older_format": (
        "Inte kontrollerat: i det äldre formatet jämförs inte raden {field} med certifikatet.",
        "Not checked: in the older format the row {field} is not compared with the certificate.",
    ),
    "appearance.no_route": (
        "Inte kontrollerat: utan en läsbar rutt förseglad av en känd organisation kan raden "
        "{field} inte jämföras.",
        "Not checked: without a readable route sealed by a known organisation the row {field} "
        "cannot be compared.",
    ),
    "route_order.ok": (
        "{count} attester gjordes i ordning, var och en i sin egen rad i tabellen "
        "Attesterat av, av olika personer.",
        "{count} attestations were made in order, each in its own row of the Attested by "
        "table, by different people.",
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
    "route_order.same_person": (
        "{who} har attesterat flera steg ({fields}); varje steg ska attesteras av en egen "
        "person.",
        "{who} attested several steps ({fields}); each step must be attested by its own person.",
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
    "complete.route_mismatch": (
        "Tabellens signaturfält ({fields}) är inte de som den förseglade rutten anger "
        "({route}).",
        "The table's signature fields ({fields}) are not the ones the sealed route names "
        "({route}).",
    ),
    "complete.no_rows": (
        "Dokumentet har ingen tabell Attesterat av med signaturfält (attest-steg-1 …).",
        "The document has no Attested by table with signature fields (attest-steg-1 …).",
    ),
    # -- the archive ------------------------------------------------------------------
    # -- the closing seal ---------------------------------------------------------------
    "closing_seal.ok": (
        "Slutsigillet ({signer}, {time}) signerade efter den sista raden, och efter det har "
        "bara valideringsdata och dokumenttidsstämplar lagts till.",
        "The closing seal ({signer}, {time}) signed after the last row, and after it only "
        "validation data and document timestamps were added.",
    ),
    "closing_seal.older_format": (
        "Inte kontrollerat: dokumentet är i ett äldre format utan slutsigill.",
        "Not checked: the document is in an older format without a closing seal.",
    ),
    "closing_seal.missing": (
        "Slutsigillet (fältet attest-slutsigill) saknas: attesteringen har inte avslutats av "
        "attest, och vad som lagts till efter den sista raden är inte förseglat.",
        "The closing seal (field attest-slutsigill) is missing: the attestation was not "
        "closed by attest, and what was added after the last row is not sealed.",
    ),
    "closing_seal.not_approval": (
        "Signaturen i attest-slutsigill är inget slutsigill (den är en certifiering eller "
        "en tidsstämpel).",
        "The signature in attest-slutsigill is not a closing seal (it is a certification or "
        "a timestamp).",
    ),
    "closing_seal.not_seal": (
        "Slutsigillet är gjort av {signer}, inte av systemsigillet från samma organisations "
        "CA som förseglade dokumentet.",
        "The closing seal was made by {signer}, not by the system seal from the CA of the "
        "organisation that sealed the document.",
    ),
    "closing_seal.before_last": (
        "Slutsigillet kommer före attesten i {last}: raden lades till efter att attesteringen "
        "avslutats.",
        "The closing seal comes before the attestation in {last}: the row was added after "
        "the attestation was closed.",
    ),
    "closing_seal.untrusted": (
        "Slutsigillet godtas inte: signaturen i attest-slutsigill är inte intakt, korrekt "
        "och betrodd (se kontrollerna för attest-slutsigill).",
        "The closing seal is not accepted: the signature in attest-slutsigill is not intact, "
        "correct and trusted (see the checks of attest-slutsigill).",
    ),
    "closing_seal.unknown_organisation": (
        "Inte kontrollerat: slutsigillets certifikat kan inte bedömas, eftersom organisationens "
        "CA inte är bland de betrodda (inget har dock ändrats efter det).",
        "Not checked: the closing seal's certificate cannot be judged, as the organisation's CA "
        "is not among the trusted ones (nothing was changed after it, though).",
    ),
    "closing_seal.not_validated": (
        "Inte kontrollerat: slutsigillet kunde inte valideras (se nedan).",
        "Not checked: the closing seal could not be validated (see below).",
    ),
    "closing_seal.signed_after": (
        "Efter slutsigillet har dokumentet signerats igen ({field}); bara "
        "dokumenttidsstämplar får följa.",
        "After the closing seal the document was signed again ({field}); only document "
        "timestamps may follow.",
    ),
    "closing_seal.changed_after": (
        "Dokumentet har ändrats efter slutsigillet: {changes}. Efter det får bara "
        "valideringsdata och dokumenttidsstämplar läggas till.",
        "The document was changed after the closing seal: {changes}. After it only "
        "validation data and document timestamps may be added.",
    ),
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
    "archive_timestamp.before_closing": (
        "Dokumenttidsstämpeln {field} kommer före slutsigillet.",
        "The document timestamp {field} comes before the closing seal.",
    ),
    "archive_timestamp.wrong_field": (
        "Den sista signaturen ({field}) är ingen dokumenttidsstämpel i attest-arkivstampel.",
        "The last signature ({field}) is not a document timestamp in attest-arkivstampel.",
    ),
    "archive_timestamp.unknown_organisation": (
        "Inte kontrollerat: om valideringsdata kommer från organisationens CA kan inte avgöras, "
        "eftersom dess CA inte är bland de betrodda.",
        "Not checked: whether the validation data come from the organisation's CA cannot be "
        "decided, as its CA is not among the trusted ones.",
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

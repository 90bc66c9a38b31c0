"""The reference tjänsteutlåtande and its bilaga (shared/reference/), as data for the demo."""

from __future__ import annotations

import datetime

from attest.pdf.document import Organisation
from attest.pdf.report import render_report

# Texts copied word for word from the reference PDFs (including their typos); paragraphs
# are separated by a blank line, lines wrapped by the PDF are joined.
REFERENCE_MEMO: dict = {
    "rubrik": "Idéburet offentligt partnerskap (IOP) med föreningen Drömstort",
    "underrubrik": "Slutrapport i samband med upphörande av IOP",
    "forslag_till_beslut": (
        "Enskede-Årsta-Vantörs stadsdelsnämnd godkänner och lägger slutrapporten till "
        "handlingarna."
    ),
    "sammanfattning": (
        "Enskede-Årsta-Vantörs stadsdelsnämnd och den ideella föreningen Drömstort ingick "
        "ett idéburet offentligt partnerskap (IOP) den 1 september 2022. Överenskommelsen "
        "upphörde att gälla den 1 juni 2024.\n\n"
        "Slutrapporten summerar verksamheten som har drivits inom ramen för partnerskapet "
        "samt redogör för måluppfyllnad och lärdomar.\n\n"
        "Förvaltningen föreslår att Enskede-Årsta-Vantörs stadsdelsnämnd godkänner och "
        "lägger slutrapporten till handlingarna."
    ),
    "bakgrund": (
        "Enskede-Årsta-Vantörs stadsdelsnämnd och den ideella föreningen Drömstort ingick "
        "ett idéburet offentligt partnerskap (IOP) den 1 september 2022. Överenskommelsen "
        "upphörde att gälla den 1 juni 2024.\n\n"
        "Skolframgång anses vara en av de mest avgörande faktorerna för barn och unga att "
        "utvecklas i en positiv riktning. Enligt Stockholms stads skolprogram ska staden "
        "arbeta med det omgivande samhällets engagemang och samarbeta med organisationer som "
        "vill bidra till barns och ungdomars utveckling och lärande.\n\n"
        "Stadsdelsförvaltningen och föreningen ansåg att vuxenledd läsläsning i en "
        "inbjudande miljö kunde bidra till att fler barn och unga i Rågsved når skolframgång "
        "och får en gynnsam utveckling."
    ),
    "arendet": (
        "Enskede-Årsta-Vantörs stadsdelsnämnd och den ideella föreningen Drömstort ingick "
        "ett idéburet offentligt partnerskap (IOP) den 1 september 2022. Överenskommelsen "
        "upphörde att gälla den 1 juni 2024.\n\n"
        "Slutrapporten summerar läxhjälp- och cv-skrivningsverksamheten som har drivits av "
        "föreningen inom ramen för partnerskapet. Slutrapporten redogör även för "
        "måluppfyllnad, tidsplan och budget samt avslutas med ett stycke om lärdomar som "
        "framkom under den aktuella perioden för partnerskapet."
    ),
    "arendets_beredning": "Ärendet har beretts inom Avdelning HR och utveckling.",
    "synpunkter": "",
    "synpunkter_subsections": [
        (
            "Jämställdhetsanalys och barnrättsperspektiv",
            (
                "Det är av stor vikt att barn får stöd för att lyckas med sin skolgång som "
                "är en viktig skyddsfaktor för att säkra en gynnsam utveckling. I "
                "slutrapporten har föreningen observerat skillnader i vad som motiverade "
                "unga att delta i läxhjälpverksamheten. Föreningen anpassade verksamheten "
                "för att nå fler deltagare och har även noterat att ett viktigt inslag har "
                "varit att erbjuda en lugn plats för att erbjuda studiero. Förvaltningen har "
                "tagit del av de lärdomar som överenskommelsens parter har lämnat ifrån sig "
                "och tar med dem inför framtida planering.\n\n"
                "Förvaltningen föreslår att Enskede-Årsta-Vantörs stadsdelsnämnd godkänner "
                "och lägger slutrapporten till handlingarna."
            ),
        ),
    ],
    "meeting_date": datetime.date(2024, 8, 22),
}

REFERENCE_BILAGA_TITLE = "Slutrapport i samband med upphörande av IOP"
REFERENCE_BILAGA_UNIT = "HR och utveckling"

REFERENCE_BILAGA_SECTIONS: list[tuple[str, str]] = [
    (
        "Beskrivning av verksamheten",
        (
            "Enskede-Årsta-Vantörs stadsdelsnämnd och föreningen Drömstort ingick i en "
            "överenskommelse om idéburet offentligt partnerskap (IOP) kring läxhjälp.\n\n"
            "Parterna var överens om att vuxenledd läxläsning i en inbjudande miljö skulle "
            "kunna bidra till att fler barn och unga i Rågsved når skolframgång och får en "
            "gynnsam utveckling.\n\n"
            "Överenskommelse gällde från och med den 1 september 2022 till och med den 1 "
            "juni 2024."
        ),
    ),
    (
        "Måluppfyllnad",
        (
            "I den ursprungliga överenskommelsen fastställdes att båda parter bedömde att "
            "vuxenledd läxhjälp i en inbjudande miljö skulle bidra till större skolframgång "
            "för Rågsveds unga.\n\n"
            "Överenskommelsens mål om att erbjuda de ovan nämnda förutsättningarna har nåtts."
        ),
    ),
    (
        "Uppfyllnad av villkor i överenskommelsen",
        (
            "Stadsdelsnämnden har bidragit med medel och föreningen har bidragit med "
            "personal och lokal till läxläsning och Cv-workshops i enlighet med "
            "överenskommelsen. Båda parters åtaganden är uppfyllda.\n\n"
            "Styrgrupp och arbetsgrupp har haft regelbundna möten och arbetat fram nya "
            "kontaktvägar för att nå målgruppen bättre och nå ut med information om olika "
            "stödtillfällen."
        ),
    ),
    (
        "Tidsplan och budget",
        "Det har inte varit några avvikelser kring tidsplan och budget.",
    ),
    (
        "Lärdomar",
        (
            "Föreningen har lärt sig att skolbesök är väldigt värdefulla för att nå ut med "
            "information. Föreningen lyfter vikten av att erbjuda en lugn plats för "
            "läxläsning, flera deltagare kom till läxhjälpslokalen för att arbeta "
            "självständigt. Matematik och naturorienterande ämnen var de ämnena som flest "
            "deltagare behövde hjälp med.\n\n"
            "Föreningen har observerat att det för många ungdomar varit avgörande att skapa "
            "olika incitament i form av priser eller kringaktiviteter för att få deltagare "
            "att komma. Fysiska aktiviteter som exempelvis paintball och gocart lockade "
            "killar medan tjejer deltog i större utsträckning när det erbjöds presentkort "
            "och konsertbiljetter som belöning för återkommande deltagande.\n\n"
            "Samarbete med en extern part i näringslivet visade sig vara ett framgångsrikt "
            "grepp för att locka deltagare som inte velat delta på plats i den ordinarie "
            "lokalen. Det upplevdes som en ny och lyxig erfarenhet att få åka till en fräsch "
            "kontorslokal och få input direkt från professionella i finansbranschen. Det "
            "skapade ett skifte i motivation och engagemang bland vissa som tidigare "
            "närvarat men som inte varit så aktiva. I samband med föreläsningar och "
            "coachning av de bankanställda var de mer motiverade och förberedda att ta "
            "tillfällena i akt och läsa läxor tillsammans.\n\n"
            "Stadsdelsnämnden har tagit med sig lärdomar som föreningen har lämnat över om "
            "ungdomars motivation. Därtill att det är alltid viktigt att tydliggöra olika "
            "förväntningar på vilka roller och vilka uppdrag som ska ingå i en "
            "IOP-överenskommelse och dess organisation."
        ),
    ),
    (
        "Övrigt",
        (
            "Utöver IOP-överenskommelsen har förvaltningen och föreningen haft en "
            "kontinuerlig kontakt och samverkat kring andra frågor vilket har underlättat "
            "kontaktvägar och informationsdelning."
        ),
    ),
]


def reference_bilaga_pdf(organisation: Organisation, dnr: str, date: datetime.date) -> bytes:
    """The reference bilaga ("Slutrapport ...") rendered as a Rapport of organisation."""
    return render_report(
        organisation=organisation,
        unit=REFERENCE_BILAGA_UNIT,
        dnr=dnr,
        date=date,
        title=REFERENCE_BILAGA_TITLE,
        sections=REFERENCE_BILAGA_SECTIONS,
    )


def reference_document(
    organisation: Organisation,
    *,
    dnr: str,
    date: datetime.date,
    attachments: tuple = (),
    steps: tuple | None = None,
    signatories: tuple | None = None,
    verification_url: str = "",
):
    """The reference memo as a MemoDocument (demo, tests and benchmarks build it here)."""
    from attest.pdf.document import AttestationStep, MemoDocument, Signatory, Subsection

    memo = REFERENCE_MEMO
    return MemoDocument(
        organisation=organisation,
        unit="Avdelning HR och utveckling",
        dnr=dnr,
        date=date,
        handlaggare="Evelyn Garate Ormazabal",
        telefon="08-50814997",
        meeting_date=memo["meeting_date"],
        rubrik=memo["rubrik"],
        underrubrik=memo["underrubrik"],
        forslag_till_beslut=memo["forslag_till_beslut"],
        sammanfattning=memo["sammanfattning"],
        bakgrund=memo["bakgrund"],
        arendet=memo["arendet"],
        arendets_beredning=memo["arendets_beredning"],
        synpunkter=memo["synpunkter"],
        synpunkter_subsections=tuple(
            Subsection(title, text) for title, text in memo["synpunkter_subsections"]
        ),
        signatories=signatories
        or (
            Signatory("Anders Carstorp", "Stadsdelsdirektör"),
            Signatory("Jenny Johansson", "Avdelningschef"),
        ),
        attachments=attachments,
        steps=steps or (AttestationStep("Avdelningschef"), AttestationStep("Stadsdelsdirektör")),
        verification_url=verification_url,
    )

"""The words of the team's pages (the worklist and a contact's page) in Finnish, Swedish
and English: :data:`TEAM_TEXTS` (keys a template writes as ``t("key")``) and
:data:`EVENT_NAMES` (the ledger's events as a professional names them)."""

from __future__ import annotations

from types import MappingProxyType

from ._pages import Texts

__all__ = ["EVENT_NAMES", "TEAM_TEXTS"]


def _w(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


#: The ledger's events as a professional names them.
EVENT_NAMES: Texts = MappingProxyType(
    {
        "contact_received": _w("Yhteydenotto saapui", "Kontakten kom in", "Contact received"),
        "contact_answered": _w("Yhteydenottoon vastattu", "Kontakten besvarad", "Contact answered"),
        "need_assessed": _w("Hoidon tarve arvioitu", "Vårdbehovet bedömt", "Need assessed"),
        "referral_received": _w("Lähete saapui", "Remissen kom in", "Referral received"),
        "decision_made": _w("Päätös tehty", "Beslut fattat", "Decision made"),
        "care_offered": _w("Aikaa tarjottu", "Tid erbjuden", "Care offered"),
        "offer_declined": _w(
            "Asiakas kieltäytyi tarjotusta ajasta",
            "Klienten tackade nej till tiden",
            "Offer declined",
        ),
        "care_started": _w("Hoito alkoi", "Vården började", "Care started"),
        "service_started": _w("Palvelu alkoi", "Servicen började", "Service started"),
        "assessment_completed": _w(
            "Palvelutarpeen arvio valmis", "Servicebehovet utrett", "Assessment completed"
        ),
        "withdrawn": _w(
            "Asiakas perui yhteydenoton", "Klienten tog tillbaka kontakten", "Withdrawn"
        ),
        "suggestion_accepted": _w("Ehdotus hyväksytty", "Förslaget godkänt", "Suggestion accepted"),
        "suggestion_overridden": _w(
            "Ehdotus ohitettu", "Förslaget åsidosatt", "Suggestion overridden"
        ),
    }
)

#: The words of the worklist and the contact page.
TEAM_TEXTS: Texts = MappingProxyType(
    {
        "worklist_title": _w("Tiimin työlista", "Teamets arbetslista", "The team's worklist"),
        "worklist_intro": _w(
            "Määräajat, jotka ovat ylittyneet tai umpeutumassa. Myöhässä olevat ovat "
            "ensin, eniten myöhässä oleva ylimpänä.",
            "Tidsfrister som har överskridits eller snart går ut. De försenade kommer "
            "först, den mest försenade överst.",
            "Time limits past due or due soon. Past due first, the most days over at the top.",
        ),
        "filters": _w("Rajaa listaa", "Avgränsa listan", "Filter the list"),
        "f_unit": _w("Yksikkö (tiimi)", "Enhet (team)", "Unit (team)"),
        "f_service": _w("Palvelu", "Tjänst", "Service"),
        "f_municipality": _w("Kunta", "Kommun", "Municipality"),
        "f_urgency": _w("Kiireellisyys", "Brådskande grad", "Urgency"),
        "f_clock": _w("Määräaika", "Tidsfrist", "Time limit"),
        "f_status": _w("Tila", "Status", "Status"),
        "within": _w(
            "Näytä myös arkipäivien kuluessa umpeutuvat",
            "Visa också de som går ut inom vardagar",
            "Also show those due within weekdays",
        ),
        "within_hint": _w(
            "Arkipäivien määrä 0-200.", "Antal vardagar 0-200.", "A number of weekdays, 0-200."
        ),
        "any": _w("Kaikki", "Alla", "All"),
        "show": _w("Näytä", "Visa", "Show"),
        "caption": _w("Määräajat", "Tidsfrister", "Time limits"),
        "page_of": _w("Sivu {n} / {m}", "Sida {n} av {m}", "Page {n} of {m}"),
        "total": _w("yhteensä {n}", "totalt {n}", "{n} in all"),
        "previous": _w("Edellinen sivu", "Föregående sida", "Previous page"),
        "next": _w("Seuraava sivu", "Nästa sida", "Next page"),
        "paging": _w("Sivut", "Sidor", "Pages"),
        "contact": _w("Yhteydenotto", "Kontakt", "Contact"),
        "due_date": _w("Eräpäivä", "Förfallodag", "Due date"),
        "record": _w("Kirjaa", "Registrera", "Record"),
        "open_contact": _w("Avaa", "Öppna", "Open"),
        "empty": _w(
            "Ei määräaikoja näillä rajauksilla. Kaikki on ajallaan.",
            "Inga tidsfrister med de här avgränsningarna. Allt är i tid.",
            "No time limits with these filters. Everything is on time.",
        ),
        "days_over": _w("Myöhässä {n} päivää", "{n} dagar försenad", "{n} days over"),
        "on_time": _w("ajallaan", "i tid", "on time"),
        "stopped": _w("Päättyi {at}", "Avslutades {at}", "Stopped {at}"),
        "fix_filters": _w(
            "Tarkista rajaukset.", "Kontrollera avgränsningarna.", "Check the filters."
        ),
        "bad_value": _w(
            "Tätä arvoa ei tunneta. Valitse listasta.",
            "Värdet är okänt. Välj i listan.",
            "This value is not known. Choose from the list.",
        ),
        "did_you_mean": _w("Tarkoititko: {x}?", "Menade du: {x}?", "Did you mean: {x}?"),
        "bad_number": _w(
            "Anna kokonaisluku sallitulta väliltä.",
            "Ange ett heltal inom det tillåtna intervallet.",
            "Give a whole number within the allowed range.",
        ),
        "bad_time": _w(
            "Anna aika muodossa vvvv-kk-ppThh:mm.",
            "Ange tiden som åååå-mm-ddThh:mm.",
            "Give the time as yyyy-mm-ddThh:mm.",
        ),
        "contact_title": _w("Yhteydenotto {id}", "Kontakt {id}", "Contact {id}"),
        "back": _w("Takaisin työlistaan", "Tillbaka till arbetslistan", "Back to the worklist"),
        "decision": _w("Päätös", "Beslut", "Decision"),
        "received": _w("Saapui", "Kom in", "Received"),
        "services": _w("Palvelut", "Tjänster", "Services"),
        "units": _w("Yksiköt", "Enheter", "Units"),
        "none": _w("ei mitään", "inga", "none"),
        "not_given": _w("ei kerrottu", "inte angiven", "not given"),
        "clocks": _w("Määräajat", "Tidsfrister", "Time limits"),
        "limit": _w("Enimmäisaika", "Längsta tid", "Limit"),
        "basis": _w("Oikeusperuste", "Rättslig grund", "Legal basis"),
        "no_due": _w("ei eräpäivää", "ingen förfallodag", "no due date"),
        "events": _w("Tapahtumat", "Händelser", "Events"),
        "when": _w("Aika", "Tid", "When"),
        "event": _w("Tapahtuma", "Händelse", "Event"),
        "suggestions": _w("Sääntöjen ehdotukset", "Reglernas förslag", "What the rules suggested"),
        "suggestions_intro": _w(
            "Säännöt vain ehdottavat. Hoidon tarpeen arvioi ammattilainen. Hyväksy ehdotus "
            "tai ohita se syyn kanssa: vastaukset kertovat sääntöjen laatijoille, mikä sääntö "
            "osui oikeaan.",
            "Reglerna föreslår bara. Vårdbehovet bedöms av en yrkesperson. Godkänn ett förslag "
            "eller åsidosätt det med en orsak: svaren visar regelförfattarna vilken regel som "
            "träffade rätt.",
            "The rules only suggest. A professional assesses the need. Accept a suggestion or "
            "override it with a reason: the answers tell the rule authors which rules were right.",
        ),
        "suggestion": _w("Ehdotus", "Förslag", "Suggestion"),
        "answer": _w("Vastaus", "Svar", "Answer"),
        "accept": _w("Hyväksy", "Godkänn", "Accept"),
        "answered_accepted": _w("Hyväksytty {at}", "Godkänt {at}", "Accepted {at}"),
        "answered_overridden": _w("Ohitettu {at}", "Åsidosatt {at}", "Overridden {at}"),
        "rules": _w("Säännöt", "Regler", "Rules"),
        "default_rule": _w(
            "oletus (mikään sääntö ei ehdottanut)",
            "standard (ingen regel föreslog)",
            "the default (no rule suggested it)",
        ),
        "no_suggestions": _w(
            "Ehdotuksia ei ole tallennettu.",
            "Inga förslag har sparats.",
            "No suggestions are stored.",
        ),
        "record_event": _w("Kirjaa tapahtuma", "Registrera en händelse", "Record an event"),
        "at": _w(
            "Aika (jätä tyhjäksi, jos nyt)", "Tid (lämna tom för nu)", "Time (leave empty for now)"
        ),
        "at_hint": _w(
            "Suomen aikaa, esimerkiksi 2026-03-02T14:30.",
            "Finsk tid, till exempel 2026-03-02T14:30.",
            "Finnish time, for example 2026-03-02T14:30.",
        ),
        "override": _w("Ohita ehdotus", "Åsidosätt ett förslag", "Override a suggestion"),
        "override_hint": _w(
            "Valitse syy listasta. Älä kirjoita tähän potilastietoja.",
            "Välj orsaken i listan. Skriv inga patientuppgifter här.",
            "Choose the reason from the list. No patient details are written here.",
        ),
        "reason": _w("Syy", "Orsak", "Reason"),
        "choose": _w("Valitse", "Välj", "Choose"),
        "recorded": _w("Kirjaus tallennettu.", "Registreringen har sparats.", "Recorded."),
        "already": _w(
            "Tämä oli jo kirjattu. Mitään ei tallennettu kahdesti.",
            "Det här var redan registrerat. Inget sparades två gånger.",
            "This was already recorded. Nothing was stored twice.",
        ),
        "not_recorded": _w(
            "Mitään ei tallennettu. Korjaa merkityt kohdat.",
            "Inget sparades. Rätta de markerade fälten.",
            "Nothing was recorded. Correct the marked fields.",
        ),
        "choose_event": _w(
            "Valitse tapahtuma listasta.",
            "Välj en händelse i listan.",
            "Choose an event from the list.",
        ),
        "choose_suggestion": _w(
            "Valitse ehdotus listasta.",
            "Välj ett förslag i listan.",
            "Choose a suggestion from the list.",
        ),
        "choose_reason": _w(
            "Valitse syy listasta.", "Välj en orsak i listan.", "Choose a reason from the list."
        ),
        "before_contact": _w(
            "Aika on ennen yhteydenottoa. Anna myöhäisempi aika.",
            "Tiden är före kontakten. Ange en senare tid.",
            "The time is before the contact. Give a later time.",
        ),
        "conflict": _w(
            "Lomake oli jo käytetty toiseen kirjaukseen. Lataa sivu uudelleen.",
            "Formuläret användes redan för en annan registrering. Ladda om sidan.",
            "This form was already used for another entry. Reload the page.",
        ),
        "missing_title": _w("Yhteydenottoa ei löydy", "Kontakten finns inte", "Contact not found"),
        "missing": _w(
            "Tällä tunnuksella ei ole yhteydenottoa. Palaa työlistaan ja valitse sieltä.",
            "Det finns ingen kontakt med den här koden. Gå tillbaka till arbetslistan och välj där.",
            "There is no contact with this id. Go back to the worklist and choose one there.",
        ),
        "refused_title": _w("Kirjausta ei tehty", "Inget registrerades", "Nothing recorded"),
        "refused": _w(
            "Lomake ei tullut tämän palvelun sivulta, joten mitään ei tallennettu. "
            "Avaa sivu uudelleen ja lähetä lomake sieltä.",
            "Formuläret kom inte från den här tjänstens sida, så inget sparades. "
            "Öppna sidan på nytt och skicka formuläret därifrån.",
            "The form did not come from this service's page, so nothing was recorded. "
            "Open the page again and send the form from there.",
        ),
        "unavailable_title": _w(
            "Palvelu on hetken poissa käytöstä",
            "Tjänsten är tillfälligt otillgänglig",
            "The service is briefly unavailable",
        ),
        "unavailable": _w(
            "Tietoja ei juuri nyt saada. Mitään ei tallennettu. Yritä hetken päästä uudelleen.",
            "Uppgifterna kan inte hämtas just nu. Inget sparades. Försök igen om en stund.",
            "The records cannot be reached just now. Nothing was recorded. Try again shortly.",
        ),
        "kind_urgency": _w("Kiireellisyys", "Brådskande grad", "Urgency"),
        "kind_route": _w("Palvelu", "Tjänst", "Service"),
    }
)

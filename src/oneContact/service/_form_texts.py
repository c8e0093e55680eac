"""The words of the client's contact form and its result page, in Finnish, Swedish and
English (:data:`FORM_TEXTS`), and the messages of the form's own checks.

The names of concerns, questions, choices, services, clocks and legal bases are the rule
authors' (the questionnaire, the catalogue, the policies) and the labels of the client's
facts are the FHIR questionnaire's (``CLIENT_ITEMS``); only the form's own words are here.
Finnish in the "sinä" form and Swedish in the "du" form, as a social and health centre
writes to its clients.
"""

from __future__ import annotations

from .._text import Label
from ._pages import Texts

__all__ = ["FORM_TEXTS", "MUST_ANSWER", "MUST_CHOOSE_CONCERN", "MUST_GIVE_AGE"]


def _w(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


#: The form's and the result page's words, by key (``t("key")`` in the templates);
#: ``{name}`` placeholders are filled by the page module.
FORM_TEXTS: Texts = {
    # -- the form
    "title": _w(
        "Ota yhteyttä sosiaali- ja terveyskeskukseen",
        "Kontakta social- och hälsocentralen",
        "Contact the social and health centre",
    ),
    "intro": _w(
        "Kerro, mitä asiasi koskee. Kysymme vain sen, mikä vaikuttaa siihen, miten ja kuinka "
        "pian sinua autetaan. Älä kirjoita lomakkeelle henkilötunnustasi.",
        "Berätta vad ditt ärende gäller. Vi frågar bara det som påverkar hur och hur snabbt "
        "du får hjälp. Skriv inte din personbeteckning på blanketten.",
        "Tell us what your matter is about. We ask only what affects how and how soon you "
        "are helped. Do not write your personal identity code on the form.",
    ),
    "emergency_first": _w(
        "Jos tarvitset apua heti, soita hätänumeroon 112. Älä käytä tätä lomaketta "
        "hätätilanteessa.",
        "Om du behöver hjälp genast, ring nödnumret 112. Använd inte den här blanketten i en "
        "nödsituation.",
        "If you need help right now, call the emergency number 112. Do not use this form in "
        "an emergency.",
    ),
    "about_you": _w("Tietoja sinusta", "Uppgifter om dig", "About you"),
    "age_hint": _w("Kokonaisina vuosina.", "I hela år.", "In whole years."),
    "lang.fi": _w("suomi", "finska", "Finnish"),
    "lang.sv": _w("ruotsi", "svenska", "Swedish"),
    "lang.en": _w("englanti", "engelska", "English"),
    "municipality_none": _w(
        "Muu kunta, tai en halua kertoa",
        "Annan kommun, eller vill inte säga",
        "Another municipality, or I would rather not say",
    ),
    "municipality_hint": _w(
        "Kirjoita vain kunnan nimi.",
        "Skriv bara kommunens namn.",
        "Write only the name of the municipality.",
    ),
    "situation": _w("Tilanteesi", "Din situation", "Your situation"),
    "situation_hint": _w(
        "Valitse ne, jotka pitävät paikkansa.",
        "Välj de som stämmer.",
        "Tick those that are true.",
    ),
    "flag.can_use_digital_services": _w(
        "Pystyn käyttämään digitaalisia palveluja (esimerkiksi viestit ja videovastaanotto)",
        "Jag kan använda digitala tjänster (till exempel meddelanden och videomottagning)",
        "I can use digital services (for example messages and video visits)",
    ),
    "flag.highest_care_allowance": _w(
        "Saan ylintä hoitotukea",
        "Jag får det högsta vårdbidraget",
        "I receive the highest care allowance",
    ),
    "flag.special_support_child": _w(
        "Asia koskee erityistä tukea tarvitsevaa lasta",
        "Ärendet gäller ett barn i behov av särskilt stöd",
        "This is about a child who needs special support",
    ),
    "concerns": _w("Mitä asiasi koskee?", "Vad gäller ditt ärende?", "What is your matter about?"),
    "concerns_hint": _w(
        "Valitse yksi tai useampi.", "Välj ett eller flera.", "Choose one or more."
    ),
    "questions": _w("Kysymykset", "Frågor", "Questions"),
    "questions_hint": _w(
        "Kysymykset muuttuvat vastaustesi mukaan. Kiireellisen avun merkit kysytään ensin.",
        "Frågorna ändras enligt dina svar. Tecken på behov av brådskande hjälp frågas först.",
        "The questions change as you answer. Signs of a need for urgent help come first.",
    ),
    "choose_concern_first": _w(
        "Valitse ensin, mitä asiasi koskee, ja paina ”Päivitä kysymykset”.",
        "Välj först vad ditt ärende gäller och tryck på ”Uppdatera frågorna”.",
        "First choose what your matter is about and press “Update the questions”.",
    ),
    "give_age_first": _w(
        "Kerro ikäsi, niin kysymme vain sen, mikä koskee sinua. Siihen asti näet kaikki "
        "asiasi kysymykset.",
        "Ange din ålder, så frågar vi bara det som gäller dig. Tills dess ser du alla frågor "
        "om ditt ärende.",
        "Give your age and we ask only what concerns you. Until then you see every question "
        "of your matter.",
    ),
    "no_more_questions": _w(
        "Muita kysymyksiä ei tarvita. Voit lähettää yhteydenottosi.",
        "Inga fler frågor behövs. Du kan skicka din kontakt.",
        "No more questions are needed. You can send your contact.",
    ),
    "red_flag": _w(
        "Kiireellisen avun merkki", "Tecken på brådskande hjälpbehov", "Sign of urgent need"
    ),
    "yes": _w("Kyllä", "Ja", "Yes"),
    "no": _w("Ei", "Nej", "No"),
    "dont_know": _w("En osaa sanoa", "Jag vet inte", "I don't know"),
    "number_range": _w(
        "Luku väliltä {low}–{high}.",  # noqa: RUF001 - Finnish writes a range with an en dash
        "Ett tal mellan {low} och {high}.",
        "A number from {low} to {high}.",
    ),
    "number_at_least": _w("Vähintään {low}.", "Minst {low}.", "At least {low}."),
    "number_at_most": _w("Enintään {high}.", "Högst {high}.", "At most {high}."),
    "emergency_now": _w(
        "Vastaustesi perusteella tarvitset apua heti. Soita 112 tai mene päivystykseen nyt. "
        "Voit lähettää lomakkeen myöhemmin.",
        "Utifrån dina svar behöver du hjälp genast. Ring 112 eller åk till jouren nu. Du kan "
        "skicka blanketten senare.",
        "From your answers you need help right away. Call 112 or go to the emergency "
        "department now. You can send the form later.",
    ),
    "updated": _w(
        "Kysymykset päivitettiin: {shown} näkyvissä, {added} uutta, {removed} poistui.",
        "Frågorna uppdaterades: {shown} visas, {added} nya, {removed} togs bort.",
        "The questions were updated: {shown} shown, {added} new, {removed} removed.",
    ),
    "update": _w("Päivitä kysymykset", "Uppdatera frågorna", "Update the questions"),
    "send": _w("Lähetä yhteydenotto", "Skicka kontakten", "Send your contact"),
    "send_hint": _w(
        "Voit lähettää, kun olet vastannut kysymyksiin. Sinuun otetaan tarvittaessa yhteyttä.",
        "Du kan skicka när du har svarat på frågorna. Vi kontaktar dig vid behov.",
        "You can send once you have answered the questions. We will contact you if needed.",
    ),
    "errors": _w(
        "Tarkista nämä kohdat", "Kontrollera de här punkterna", "Please check these points"
    ),
    "error": _w("Virhe", "Fel", "Error"),
    # -- the result page
    "result_title": _w(
        "Yhteydenottosi on vastaanotettu",
        "Din kontakt har tagits emot",
        "We have received your contact",
    ),
    "already_sent": _w(
        "Tämä yhteydenotto oli jo lähetetty. Tässä ovat sen tiedot.",
        "Den här kontakten var redan skickad. Här är uppgifterna.",
        "This contact had already been sent. Here is what it says.",
    ),
    "reference": _w("Yhteydenoton tunnus", "Kontaktens referens", "Contact reference"),
    "urgency": _w("Kiireellisyys", "Brådskandegrad", "Urgency"),
    "emergency_heading": _w("Soita heti 112", "Ring 112 genast", "Call 112 now"),
    "emergency_body": _w(
        "Vastaustesi perusteella tarvitset kiireellistä apua. Soita hätänumeroon 112 tai "
        "mene lähimpään päivystykseen nyt. Älä jää odottamaan yhteydenottoa.",
        "Utifrån dina svar behöver du brådskande hjälp. Ring nödnumret 112 eller åk till "
        "närmaste jour nu. Vänta inte på att vi kontaktar dig.",
        "From your answers you need help urgently. Call the emergency number 112 or go to "
        "the nearest emergency department now. Do not wait for us to contact you.",
    ),
    "call_112": _w("Soita 112", "Ring 112", "Call 112"),
    "urgent_heading": _w(
        "Sinuun otetaan yhteyttä tänään", "Vi kontaktar dig i dag", "We will contact you today"
    ),
    "urgent_body": _w(
        "Ammattilainen ottaa sinuun yhteyttä tänään ja arvioi, mitä apua tarvitset. Jos "
        "olosi huononee ennen sitä, soita 112.",
        "En yrkesperson kontaktar dig i dag och bedömer vilken hjälp du behöver. Om du mår "
        "sämre innan dess, ring 112.",
        "A professional will contact you today and assess what help you need. If you feel "
        "worse before then, call 112.",
    ),
    "non_urgent_heading": _w(
        "Mitä seuraavaksi tapahtuu", "Vad händer härnäst", "What happens next"
    ),
    "booked": _w("Sinulle on varattu aika", "Du har fått en tid", "A time has been booked for you"),
    "non_urgent_body": _w(
        "Ammattilainen ottaa sinuun yhteyttä ja arvioi, mitä hoitoa tai palvelua tarvitset. "
        "Jos olosi huononee, ota uudelleen yhteyttä.",
        "En yrkesperson kontaktar dig och bedömer vilken vård eller service du behöver. Om "
        "du mår sämre, kontakta oss igen.",
        "A professional will contact you and assess what care or service you need. If you "
        "feel worse, contact us again.",
    ),
    "self_care_heading": _w(
        "Omahoito riittää nyt", "Egenvård räcker nu", "Self-care is enough for now"
    ),
    "self_care_body": _w(
        "Vastaustesi perusteella voit hoitaa asiaa itse. Alla on ohjeita ja palveluja, "
        "joista saat tukea. Jos olosi huononee tai oireet jatkuvat, ota uudelleen yhteyttä.",
        "Utifrån dina svar kan du sköta saken själv. Nedan finns anvisningar och tjänster "
        "som stöder dig. Om du mår sämre eller symtomen fortsätter, kontakta oss igen.",
        "From your answers you can take care of this yourself. Below are instructions and "
        "services that support you. If you feel worse or the symptoms go on, contact us "
        "again.",
    ),
    "routes": _w("Mihin sinut ohjataan", "Vart du hänvisas", "Where you are directed"),
    "at_time": _w("{day} klo {time}", "{day} kl. {time}", "{day} at {time}"),
    "clocks": _w(
        "Määräajat, joihin sinulla on oikeus",
        "Tidsfrister du har rätt till",
        "The time limits you are entitled to",
    ),
    "clocks_hint": _w(
        "Laki lupaa, että asiasi etenee viimeistään näinä päivinä.",
        "Lagen lovar att ditt ärende går vidare senast de här dagarna.",
        "The law promises that your matter moves on by these days at the latest.",
    ),
    "by_date": _w("Viimeistään {date}", "Senast {date}", "By {date} at the latest"),
    "limit": _w("määräaika: {limit}", "tidsfrist: {limit}", "time limit: {limit}"),
    "no_due_date": _w(
        "Laki ei määrää tarkkaa päivää: asiasi hoidetaan viipymättä.",
        "Lagen anger ingen exakt dag: ditt ärende behandlas utan dröjsmål.",
        "The law sets no exact day: your matter is handled without delay.",
    ),
    "starts_later": _w(
        "Tämä määräaika alkaa myöhemmin, kun asiasi etenee (esimerkiksi kun tarpeesi on "
        "arvioitu). Saat silloin tiedon päivästä.",
        "Den här tidsfristen börjar senare, när ditt ärende går vidare (till exempel när "
        "ditt behov har bedömts). Då får du veta dagen.",
        "This time limit starts later, as your matter moves on (for example once your need "
        "has been assessed). You will be told the day then.",
    ),
    "target": _w(
        "Alueen oma tavoite: viimeistään {date}",
        "Regionens eget mål: senast {date}",
        "The region's own target: by {date}",
    ),
    "basis": _w("Peruste", "Grund", "Basis"),
    "new_contact": _w("Tee uusi yhteydenotto", "Gör en ny kontakt", "Make a new contact"),
    # -- when sending fails
    "unavailable_title": _w(
        "Palvelu on hetken ruuhkautunut",
        "Tjänsten är tillfälligt överbelastad",
        "The service is busy for a moment",
    ),
    "unavailable_body": _w(
        "Yhteydenottoasi ei voitu tallentaa juuri nyt. Yritä hetken kuluttua uudelleen: "
        "palaa edelliselle sivulle ja lähetä lomake uudelleen.",
        "Din kontakt kunde inte sparas just nu. Försök igen om en stund: gå tillbaka till "
        "föregående sida och skicka blanketten igen.",
        "Your contact could not be saved just now. Please try again shortly: go back to the "
        "previous page and send the form again.",
    ),
    "conflict_title": _w(
        "Tämä lomake on jo lähetetty",
        "Den här blanketten har redan skickats",
        "This form has already been sent",
    ),
    "conflict_body": _w(
        "Lomake lähetettiin jo toisin vastauksin. Jos haluat kertoa lisää, tee uusi yhteydenotto.",
        "Blanketten skickades redan med andra svar. Om du vill berätta mer, gör en ny kontakt.",
        "The form was already sent with other answers. If you want to tell us more, make a "
        "new contact.",
    ),
    "failed_title": _w("Jokin meni vikaan", "Något gick fel", "Something went wrong"),
    "failed_body": _w(
        "Yhteydenottoasi ei voitu käsitellä. Yritä hetken kuluttua uudelleen.",
        "Din kontakt kunde inte behandlas. Försök igen om en stund.",
        "Your contact could not be handled. Please try again shortly.",
    ),
}

#: The form's own checks, as a problem's ``messages`` (a ContactProblem's code stays one
#: of the library's).
MUST_ANSWER = Label(
    "Vastaa tähän kysymykseen. Voit valita myös ”En osaa sanoa”.",
    "Svara på den här frågan. Du kan också välja ”Jag vet inte”.",
    "Answer this question. You can also choose “I don't know”.",
)
MUST_CHOOSE_CONCERN = Label(
    "Valitse vähintään yksi asia.", "Välj minst ett ärende.", "Choose at least one matter."
)
MUST_GIVE_AGE = Label("Kerro ikäsi vuosina.", "Ange din ålder i år.", "Give your age in years.")

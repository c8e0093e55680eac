"""Every fixed text oneContact itself shows a person, in Finnish, Swedish and English.

Why a typed table and not gettext catalogues: the library has three languages, fixed by
law (Kielilaki 423/2003 gives Finnish and Swedish; English is for everyone else), about a
hundred short messages, and a handful of plural forms (Finnish and Swedish plurals differ
from English only in the singular for our units). A table of :class:`~oneContact._text.Label`
values in this one module is read by mypy, needs no compile step, no ``.mo`` files in the
wheel and no new dependency (Babel), and a test (``tests/test_messages.py``) proves that
every message has all three languages and the same ``{placeholders}`` in each. Rule texts
(descriptions, legal bases, notes) live in the rule files, as ``{fi, sv, en}`` mappings;
this module holds only the engine's own words.

Which language a reader gets is :func:`reading_language`: the client's language when it
is fi, sv or en, otherwise Finnish (the language of the service in a Finnish-speaking
municipality; the client's right to an interpreter is a matter of routing, not of this
text).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import time
from types import MappingProxyType
from typing import Final

from ._text import LANGUAGES, Label

__all__ = [
    "MESSAGES",
    "kind_name",
    "label",
    "limit_label",
    "number_text",
    "placeholders",
    "reading_language",
    "status_name",
    "text",
    "urgency_name",
]


def _m(fi: str, sv: str, en: str) -> Label:
    return Label(fi, sv, en)


MESSAGES: Final[Mapping[str, Label]] = MappingProxyType(
    {
        # -- headings of the text output (assess, explain)
        "contact": _m("yhteydenotto {id}", "kontakt {id}", "contact {id}"),
        "urgency": _m("kiireellisyys", "brådskandegrad", "urgency"),
        "needs": _m("tarpeet", "behov", "needs"),
        "routes": _m("ohjaus", "hänvisning", "routes"),
        "clocks": _m("määräajat", "tidsfrister", "clocks"),
        "clocks_none": _m("määräajat: ei yhtään", "tidsfrister: inga", "clocks: none"),
        "why": _m(
            "perusteet (täyttyneet säännöt)",
            "grunder (regler som uppfylldes)",
            "why (rules that fired)",
        ),
        "rule": _m("sääntö", "regel", "rule"),
        "rules_digest": _m("sääntöjen tiiviste", "reglernas kontrollsumma", "rules digest"),
        "warning": _m("varoitus", "varning", "warning"),
        "limit": _m("määräaika", "tidsfrist", "limit"),
        "legal_basis": _m("oikeusperusta", "rättslig grund", "legal basis"),
        "status": _m("tila", "status", "status"),
        "due": _m("määräpäivä {date}", "senast {date}", "due {date}"),
        "target": _m("alueellinen tavoite {date}", "regionalt mål {date}", "target {date}"),
        "for_person": _m("oikeus: {name}", "rätt: {name}", "for {name}"),
        "no_due_date": _m(
            "ei laissa säädettyä määräpäivää", "ingen lagstadgad sista dag", "no statutory due date"
        ),
        "not_started_at": _m(
            "ei alkanut (alkaa tapahtumasta {event})",
            "inte påbörjad (börjar vid händelsen {event})",
            "not started (starts at {event})",
        ),
        "unanswered": _m("ei vastattu", "obesvarad", "unanswered"),
        "not_shown": _m("(ei näytetä)", "(visas inte)", "(not shown)"),
        "yes": _m("kyllä", "ja", "true"),
        "no": _m("ei", "nej", "false"),
        # -- the basis texts the engine itself writes (the English ones are the JSON's)
        "basis_not_started": _m(
            "ei alkanut: alkaa, kun tapahtuu {event}",
            "inte påbörjad: börjar när {event} inträffar",
            "not started: starts when {event!r} happens",
        ),
        "basis_no_version": _m(
            "säännön {policy} mikään versio ei ole voimassa {day}",
            "ingen version av regeln {policy} gäller {day}",
            "no version of policy {policy!r} is in force on {day}",
        ),
        "target_capped": _m(
            "lakisääteinen määräpäivä on tässä aiempi, ja se on myös tavoite",
            "den lagstadgade sista dagen är här tidigare och är också målet",
            "the statutory due date is earlier here and is the target too",
        ),
        # -- urgency levels (the terms of Omaolo and the care-need assessment)
        "urgency.emergency": _m("hätätilanne", "nödsituation", "emergency"),
        "urgency.urgent": _m("kiireellinen", "brådskande", "urgent"),
        "urgency.non_urgent": _m("kiireetön", "icke-brådskande", "non-urgent"),
        "urgency.self_care": _m("omahoito", "egenvård", "self-care"),
        # -- clock statuses
        "status.not_started": _m("ei alkanut", "inte påbörjad", "not started"),
        "status.open": _m("avoin", "öppen", "open"),
        "status.met": _m("toteutui määräajassa", "uppfylld inom tidsfristen", "met"),
        "status.breached": _m("määräaika ylittyi", "tidsfristen överskreds", "breached"),
        "status.declined": _m(
            "asiakas kieltäytyi tarjotusta ajasta",
            "klienten tackade nej till den erbjudna tiden",
            "declined",
        ),
        # -- route kinds (the catalogue's service kinds)
        "kind.emergency": _m("päivystys", "jour", "emergency"),
        "kind.team_member": _m("ammattilainen", "yrkesperson", "team member"),
        "kind.digital_channel": _m("digitaalinen palvelu", "digital tjänst", "digital channel"),
        "kind.family_centre": _m("perhekeskus", "familjecentral", "family centre"),
        "kind.remedy": _m("korvaava palvelu", "ersättande tjänst", "remedy"),
        # -- what a directory router adds to a route
        "route.member": _m("työntekijä {id}", "anställd {id}", "member {id}"),
        "route.unit": _m("yksikkö {id}", "enhet {id}", "unit {id}"),
        "route.slot": _m("aika {at}", "tid {at}", "slot {at}"),
        "route.at_risk": _m("HOITOTAKUU VAARASSA", "VÅRDGARANTIN I FARA", "GUARANTEE AT RISK"),
        "route.case": _m("asia {id}", "ärende {id}", "case {id}"),
        # -- CDS Hooks cards (oneContact.cds_hooks): what a professional reads in the record
        "cds.urgency_summary": _m(
            "Kiireellisyys: {urgency}", "Brådskandegrad: {urgency}", "Urgency: {urgency}"
        ),
        "cds.accept_urgency": _m(
            "Hyväksy kiireellisyys: {urgency}",
            "Godkänn brådskandegraden: {urgency}",
            "Accept the urgency: {urgency}",
        ),
        "cds.route_summary": _m("Ohjaus: {service}", "Hänvisning: {service}", "Route: {service}"),
        "cds.create_request": _m(
            "Tee palvelupyyntö: {service}",
            "Skapa en tjänstebegäran: {service}",
            "Create a service request: {service}",
        ),
        "cds.asked_by": _m("ohjauksen peruste", "grund för hänvisningen", "routed by"),
        "cds.explain": _m(
            "Perusteet: säännöt ja tiedot",
            "Grunder: regler och uppgifter",
            "Why: the rules and the facts",
        ),
        "cds.rules": _m(
            "oneContact-säännöt {digest}", "oneContact-regler {digest}", "oneContact rules {digest}"
        ),
        "cds.recorded_summary": _m(
            "Kirjattu aiemmin: ehdotukset ovat yhteydenoton ensimmäisestä arviosta",
            "Registrerad tidigare: förslagen kommer från kontaktens första bedömning",
            "Recorded earlier: the proposals are those of the contact's first assessment",
        ),
        "cds.recorded_detail": _m(
            "Yhteydenotto on kirjattu {received} säännöillä `{digest}`, ja kirjaus pysyy: "
            "yhteydenotto kirjataan kerran, ja sen jälkeen tapahtunut kirjataan tapahtumina. "
            "Alla ovat kirjatun arvion ehdotukset ja määräajat.",
            "Kontakten registrerades {received} med reglerna `{digest}`, och registreringen "
            "står fast: en kontakt registreras en gång, och det som hänt sedan registreras "
            "som händelser. Nedan finns den registrerade bedömningens förslag och tidsfrister.",
            "The contact was recorded on {received} by the rules `{digest}`, and that record "
            "stands: a contact is recorded once, and what happened since is recorded as "
            "events. Below are the recorded assessment's proposals and clocks.",
        ),
        "cds.assessed_now": _m(
            "Nyt arvioituna (säännöt `{digest}`)",
            "Bedömd nu (reglerna `{digest}`)",
            "Assessed now (rules `{digest}`)",
        ),
        # -- clock limits; the singular and plural forms of each unit
        "limit.weekdays.1": _m("{n} arkipäivä", "{n} vardag", "{n} weekday"),
        "limit.weekdays": _m("{n} arkipäivää", "{n} vardagar", "{n} weekdays"),
        "limit.days.1": _m("{n} päivä", "{n} dag", "{n} day"),
        "limit.days": _m("{n} päivää", "{n} dagar", "{n} days"),
        "limit.weeks.1": _m("{n} viikko", "{n} vecka", "{n} week"),
        "limit.weeks": _m("{n} viikkoa", "{n} veckor", "{n} weeks"),
        "limit.months.1": _m("{n} kuukausi", "{n} månad", "{n} month"),
        "limit.months": _m("{n} kuukautta", "{n} månader", "{n} months"),
        "limit.same_day": _m("samana päivänä", "samma dag", "same day"),
        "limit.same_day_hours": _m(
            "samana päivänä (virka-aikana {start}–{end})",
            "samma dag (under tjänstetid {start}–{end})",
            "same day (office hours {start}-{end})",
        ),
        # -- explain and why-not
        "explain_rules": _m(
            "säännöt tiedoston järjestyksessä ([x] täyttyi, [ ] ei):",
            "reglerna i filens ordning ([x] uppfylld, [ ] inte):",
            "rules in file order ([x] matched, [ ] not):",
        ),
        "explain_line": _m("rivi", "rad", "line"),
        "explain_saw": _m("arvo", "värde", "saw"),
        "why_not_head": _m(
            "miksi ei {level}? (nyt {current})",
            "varför inte {level}? (nu {current})",
            "why not {level}? (now {current})",
        ),
        "why_not_already": _m("se on jo {level}", "den är redan {level}", "it already is {level}"),
        "why_not_impossible": _m(
            "mikään vastaus ei tee siitä tasoa {level}: {reason}",
            "inga svar kan göra den till {level}: {reason}",
            "no answers can make it {level}: {reason}",
        ),
        "why_not_none": _m(
            "enintään {max} vastauksen muutos ei tee siitä tasoa {level} ({tried} "
            "kokeiltua vastausyhdistelmää); huolenaiheita ja asiakkaan tietoja ei muuteta",
            "ingen ändring av högst {max} svar gör den till {level} ({tried} prövade "
            "svarskombinationer); ärenden och klientens uppgifter ändras inte",
            "no change of up to {max} answers makes it {level} ({tried} candidate answer "
            "sets tried); concerns and client details are not varied",
        ),
        "why_not_changes.1": _m(
            "vähintään {size} vastauksen muutos",
            "minst {size} ändrat svar",
            "{size} answer change at least",
        ),
        "why_not_changes": _m(
            "vähintään {size} vastauksen muutosta",
            "minst {size} ändrade svar",
            "{size} answer changes at least",
        ),
        "why_not_ways.1": _m("{total} tapa", "{total} sätt", "{total} way"),
        "why_not_ways": _m("{total} tapaa", "{total} sätt", "{total} ways"),
        "why_not_shown": _m(
            " (ensimmäiset {shown} näytetään)",
            " (de första {shown} visas)",
            " (first {shown} shown)",
        ),
        # -- next questions (onecontact next-questions --format text)
        "next.count.1": _m(
            "{n} kysymys voi vielä muuttaa päätöstä; kysy se:",
            "{n} fråga kan ännu ändra beslutet; ställ den:",
            "{n} question can still change the decision; ask it:",
        ),
        "next.count": _m(
            "{n} kysymystä voi vielä muuttaa päätöstä; kysy ne tässä järjestyksessä:",
            "{n} frågor kan ännu ändra beslutet; ställ dem i den här ordningen:",
            "{n} questions can still change the decision; ask them in this order:",
        ),
        "next.done": _m(
            "valmis: mikään jäljellä oleva kysymys ei voi muuttaa päätöstä",
            "klart: ingen fråga som återstår kan ändra beslutet",
            "done: nothing left can change the decision",
        ),
        "next.not_exact": _m(
            "ei tarkka: haku ylitti rajansa, joten mukana on myös kysymyksiä, joiden "
            "merkitystä se ei ehtinyt todistaa ({note})",
            "inte exakt: sökningen nådde sina gränser, så frågor vars betydelse den inte "
            "hann bevisa är också med ({note})",
            "not exact: the search reached its bounds, so questions it could not prove "
            "matter are listed too ({note})",
        ),
        "next.red_flag": _m("hälytysmerkki", "varningstecken", "red flag"),
        "next.answer": _m("vastaus", "svar", "answer"),
        "next.yes": _m("kyllä", "ja", "yes"),
        "next.no": _m("ei", "nej", "no"),
        "next.number": _m("luku", "ett tal", "a number"),
        "next.whole": _m("kokonaisluku", "ett heltal", "a whole number"),
        "next.between": _m(
            "{kind} {low}–{high}", "{kind} {low}–{high}", "{kind} from {low} to {high}"
        ),
        "next.at_least": _m(
            "{kind}, vähintään {low}", "{kind}, minst {low}", "{kind}, at least {low}"
        ),
        "next.at_most": _m(
            "{kind}, enintään {high}", "{kind}, högst {high}", "{kind}, at most {high}"
        ),
        "next.why": _m("voi muuttaa", "kan ändra", "can change"),
        "next.urgency_up_to": _m(
            "kiireellisyys (kiireellisimmillään: {level})",
            "brådskandegrad (som mest: {level})",
            "urgency (up to {level})",
        ),
        "next.unknown": _m(
            "ei selvitetty (haku ylitti rajansa)",
            "inte utrett (sökningen nådde sina gränser)",
            "not worked out (the search reached its bounds)",
        ),
        "next.rules": _m("säännöt", "regler", "rules"),
        "next.example": _m(
            "esimerkiksi vastaukset ”{answer}” ja ”{other}” antavat eri päätöksen",
            "till exempel ger svaren ”{answer}” och ”{other}” olika beslut",
            'for example, the answers "{answer}" and "{other}" give different decisions',
        ),
        "next.example_given": _m(
            "esimerkiksi vastaukset ”{answer}” ja ”{other}” antavat eri päätöksen, kun {given}",
            "till exempel ger svaren ”{answer}” och ”{other}” olika beslut när {given}",
            'for example, the answers "{answer}" and "{other}" give different decisions '
            "when {given}",
        ),
        "next.outcome": _m(
            "päätös nyt, jos asiakas ei vastaa enempää:",
            "beslutet nu, om klienten inte svarar mer:",
            "the decision as it stands, if the client answers nothing more:",
        ),
        # -- the access report
        "report.title": _m(
            "Hoitoon pääsy: {span}", "Tillgång till vård: {span}", "Access to care: {span}"
        ),
        "report.span": _m("{start}–{end}", "{start}–{end}", "{start} to {end}"),
        "report.span_before": _m(
            "{start} – ennen {end}", "{start} – före {end}", "{start} to before {end}"
        ),
        "report.lead": _m(
            "Ajanjaksolla {span} alkaneet määräajat (Suomen aikaa) tilanteessa {as_of}. "
            "Tuottanut oneContact hoitoonpääsyn kirjanpidosta.",
            "Tidsfrister som började {span} (finsk tid), som de stod {as_of}. "
            "Gjord av oneContact ur bokföringen av tillgång till vård.",
            "Clocks that started {span} (Europe/Helsinki), as they stood at {as_of}. "
            "Made by oneContact from the time-to-care ledger.",
        ),
        "report.tile_clocks": _m(
            "ajanjaksolla alkaneet määräajat",
            "tidsfrister som började under perioden",
            "clocks started in the period",
        ),
        "report.tile_on_time": _m("lain määräajassa", "inom lagens tidsfrist", "on time by law"),
        "report.tile_target": _m(
            "alueellisessa tavoitteessa", "inom det regionala målet", "on the regional target"
        ),
        "report.tile_14": _m(
            "hoito alkoi 14 päivässä", "vården började inom 14 dagar", "care within 14 days"
        ),
        "report.tile_3mo": _m(
            "hoito alkoi 3 kuukaudessa", "vården började inom 3 månader", "care within 3 months"
        ),
        "report.days_short": _m("{n} pv", "{n} d", "{n} d"),
        "report.tile_wait": _m(
            "odotuksen mediaani / 90. persentiili",
            "median / 90:e percentilen av väntan",
            "median / 90th percentile wait",
        ),
        "report.tile_past_due": _m(
            "avoimet, määräpäivä ohi", "öppna efter sista dagen", "open clocks past due"
        ),
        "report.tile_declined": _m(
            "kieltäytyneet (lasketaan erikseen)",
            "avböjda (räknas för sig)",
            "declined (counted apart)",
        ),
        "report.h_waiting": _m(
            "Kuinka kauan asiakkaat odottivat hoitoa, palveluittain",
            "Hur länge klienterna väntade på vård, per tjänst",
            "How long clients waited for care, by service",
        ),
        "report.note_waiting": _m(
            "Kalenteripäivät hoidon tarpeen arvioinnista hoidon alkuun, yksi pylväs viikkoa "
            "kohden. Vihreät pylväät ovat 14 päivän sisällä, keltaiset noin 3 kuukauden "
            "sisällä (viiva on 91 päivän kohdalla; luvut lasketaan kalenterikuukausina), "
            "punaiset sen jälkeen. Laki sallii 14 päivää alle 23-vuotiaille ja vuodesta "
            "2025 alkaen 3 kuukautta 23 vuotta täyttäneille.",
            "Kalenderdagar från bedömningen av vårdbehovet till vårdens början, en stapel "
            "per vecka. Gröna staplar är inom 14 dagar, gula inom cirka 3 månader (linjen "
            "dras vid 91 dagar; siffrorna räknar kalendermånader), röda därefter. Lagen "
            "tillåter 14 dagar för klienter under 23 år och från 2025 3 månader för "
            "klienter som fyllt 23 år.",
            "Calendar days from the need assessment to the start of care, one bar a week. "
            "Green bars are within 14 days; amber within about 3 months (the line is drawn "
            "at 91 days; the figures count calendar months); red beyond. The law allows 14 "
            "days for clients under 23 and, from 2025, 3 months for clients aged 23 or over.",
        ),
        "report.h_month": _m(
            "Osuus määräajassa, kuukausittain",
            "Andel inom tidsfristen, per månad",
            "Share on time, by month",
        ),
        "report.note_month": _m(
            "Kunakin kuukautena alkaneista ja ratkenneista määräajoista (päättyneet tai "
            "määräpäivän ohittaneet) se osuus, joka pysyi lain määräajassa; vinoneliö "
            "merkitsee alueellisen tavoitteen osuutta, jos alue on asettanut tavoitteen. "
            "n = ratkenneet määräajat.",
            "Av de tidsfrister som började varje månad och är avgjorda (stoppade eller "
            "förbi sista dagen) den andel som höll lagens tidsfrist; en romb markerar "
            "andelen inom det regionala målet där en region har satt ett. n = avgjorda "
            "tidsfrister.",
            "Of the clocks that started in each month and are decided (stopped, or past "
            "their due date), the share that met the statutory limit; a diamond marks the "
            "share on the regional target, where a region sets one. n = decided clocks.",
        ),
        "report.h_outcome": _m(
            "Jokaisen määräajan tulos, palveluittain",
            "Utfallet av varje tidsfrist, per tjänst",
            "Outcome of every clock, by service",
        ),
        "report.h_figures": _m("Luvut: {by}", "Siffror: {by}", "Figures by {by}"),
        "report.total": _m("yhteensä", "totalt", "total"),
        "report.all": _m("kaikki", "alla", "all"),
        "report.h_breaches": _m(
            "Ylitykset: {count} ({still} yhä avoinna)",
            "Överskridanden: {count} ({still} fortfarande öppna)",
            "Breaches: {count} ({still} still open)",
        ),
        "report.note_end": _m(
            "Määritelmät: docs/reference/reports.md. Määräajat, joissa asiakas kieltäytyi "
            "määräajassa tarjotusta ajasta, lasketaan erikseen: ne eivät ole toteutuneita "
            "eivätkä ylittyneitä.",
            "Definitioner: docs/reference/reports.md. Tidsfrister där klienten tackade nej "
            "till en tid som erbjöds inom tidsfristen räknas för sig, varken uppfyllda "
            "eller överskridna.",
            "Definitions: docs/reference/reports.md. Declined clocks (the client declined a "
            "time offered within the limit) are counted apart, neither met nor breached.",
        ),
        "report.empty": _m(
            "Ei tällä ajanjaksolla: {what}.",
            "Inga under den här perioden: {what}.",
            "No {what} in this period.",
        ),
        "report.empty_care": _m("alkanut hoito", "påbörjad vård", "care started"),
        "report.empty_decided": _m(
            "ratkenneet määräajat", "avgjorda tidsfrister", "decided clocks"
        ),
        "report.empty_clocks": _m("määräajat", "tidsfrister", "clocks"),
        "report.more_breaches": _m(
            "ja {more} muuta; CSV (<code>--format csv --table breaches</code>) luettelee jokaisen.",
            "och {more} till; CSV-filen (<code>--format csv --table breaches</code>) listar varje.",
            "and {more} more; the CSV (<code>--format csv --table breaches</code>) lists "
            "every one.",
        ),
        "report.still_open": _m("yhä avoinna", "fortfarande öppen", "still open"),
        "report.days_over": _m("päivää yli", "dagar över", "days over"),
        "report.chart_waiting": _m(
            "{service}: palvelun odotuspäivät suhteessa 14 päivän ja 3 kuukauden rajaan",
            "{service}: väntedagar mot gränserna 14 dagar och 3 månader",
            "Waiting days of {service} against the 14-day and 3-month limits",
        ),
        "report.chart_waiting_head": _m(
            "{service}: {started} alkanut, mediaani {median} pv, {share} 14 pv:ssä",
            "{service}: {started} påbörjade, median {median} d, {share} inom 14 d",
            "{service}: {started} started, median {median} d, {share} within 14 d",
        ),
        "report.chart_waiting_axis": _m(
            "odotuspäivät hoidon tarpeen arvioinnista hoitoon (viikoittain)",
            "väntedagar från bedömningen av vårdbehovet till vård (per vecka)",
            "waiting days from need assessment to care (weekly bins)",
        ),
        "report.limit_14": _m("14 pv raja", "gräns 14 d", "14 d limit"),
        "report.limit_3mo": _m("3 kk raja", "gräns 3 mån", "3 mo limit"),
        "report.bin_days": _m(
            "{bin} päivää: {count}", "{bin} dagar: {count}", "{bin} days: {count}"
        ),
        "report.chart_month": _m(
            "Määräajan {clock} osuus lain määräajassa alkamiskuukauden mukaan",
            "Andelen tidsfrister {clock} inom lagens tid, per startmånad",
            "Share of {clock} clocks on time by law, by month the clock started",
        ),
        "report.month_bar": _m(
            "{month}: {share} / {decided} lain määräajassa",
            "{month}: {share} av {decided} inom lagens tid",
            "{month}: {share} of {decided} on time by law",
        ),
        "report.month_target": _m(
            "{month}: {share} alueellisessa tavoitteessa",
            "{month}: {share} inom det regionala målet",
            "{month}: {share} on the regional target",
        ),
        "report.chart_outcome": _m(
            "Jokaisen määräajan tulos lain mukaan, palveluittain",
            "Utfallet av varje tidsfrist enligt lagen, per tjänst",
            "Outcome of every clock by law, per service",
        ),
        "outcome.met": _m("toteutui", "uppfylld", "met"),
        "outcome.breached": _m("ylittyi", "överskriden", "breached"),
        "outcome.open_past_due": _m(
            "avoin, määräpäivä ohi", "öppen efter sista dagen", "open past due"
        ),
        "outcome.open": _m("avoin", "öppen", "open"),
        "outcome.declined": _m("kieltäytyi", "avböjd", "declined"),
        "outcome.no_limit": _m("ei määräaikaa", "ingen tidsfrist", "no limit"),
        # -- the overrides report (Ledger.overrides, `onecontact ledger overrides`)
        "overrides.title": _m(
            "Ammattilaisten ohitukset: missä ammattilaiset olivat eri mieltä säännöistä",
            "Yrkespersonernas avvikelser: där yrkespersonerna inte höll med reglerna",
            "Professionals' overrides: where professionals disagreed with the rules",
        ),
        "overrides.period": _m(
            "yhteydenotot vastaanotettu {since} alkaen, ennen {until}; palaute {as_of} asti",
            "kontakter mottagna från {since}, före {until}; respons till och med {as_of}",
            "contacts received from {since}, before {until}; feedback up to {as_of}",
        ),
        "overrides.contacts": _m(
            "yhteydenottoja {contacts}; niistä {without} ilman tallennettuja ehdotuksia "
            "(tallennettu ennen ehdotuksia, ei lasketa alla)",
            "kontakter {contacts}; av dem {without} utan lagrade förslag (lagrade före "
            "förslagen, räknas inte nedan)",
            "contacts {contacts}; of them {without} without stored suggestions (recorded "
            "before suggestions were kept; not counted below)",
        ),
        "overrides.total": _m(
            "ohitettu {rate} vastatuista ehdotuksista; ehdotuksia {suggested}",
            "avvikelse i {rate} av besvarade förslag; förslag {suggested}",
            "overridden {rate} of the answered suggestions; {suggested} suggested",
        ),
        "overrides.h_rule": _m("Säännöittäin", "Per regel", "By rule"),
        "overrides.h_urgency": _m(
            "Kiireellisyyden mukaan", "Per brådskandegrad", "By urgency level"
        ),
        "overrides.h_kind": _m("Ehdotuksen lajin mukaan", "Per typ av förslag", "By kind"),
        "overrides.h_reasons": _m("Ohitusten syyt", "Orsaker till avvikelser", "Override reasons"),
        "overrides.h_contacts": _m(
            "Yhteydenotot, joissa ohitettiin eniten ({count})",
            "Kontakter med flest avvikelser ({count})",
            "Contacts where professionals most often disagreed ({count})",
        ),
        "overrides.h_section": _m(
            "Ammattilaisten ohitukset", "Yrkespersonernas avvikelser", "Overrides"
        ),
        "overrides.quiet_rules": _m(
            "ja {count} muuta sääntöä, joiden ehdotuksiin ei ole vastattu (JSON ja CSV "
            "luettelevat kaikki)",
            "och {count} andra regler vars förslag inte har besvarats (JSON och CSV listar alla)",
            "and {count} more rules with no answered suggestion (JSON and CSV list every rule)",
        ),
        "overrides.col.rule": _m("sääntö", "regel", "rule"),
        "overrides.col.urgency": _m("kiireellisyys", "brådskandegrad", "urgency"),
        "overrides.col.kind": _m("laji", "typ", "kind"),
        "overrides.col.contact": _m("yhteydenotto", "kontakt", "contact"),
        "overrides.col.suggested": _m("ehdotettu", "föreslagna", "suggested"),
        "overrides.col.accepted": _m("hyväksytty", "godkända", "accepted"),
        "overrides.col.overridden": _m("ohitettu", "avvikelser", "overridden"),
        "overrides.col.unanswered": _m("ei vastausta", "obesvarade", "unanswered"),
        "overrides.col.rate": _m("ohitusosuus", "andel avvikelser", "override rate"),
        "overrides.col.rules": _m("säännöt", "regler", "rules"),
        "overrides.kind.urgency": _m("kiireellisyys", "brådskandegrad", "urgency"),
        "overrides.kind.route": _m("ohjaus", "hänvisning", "route"),
        "overrides.default": _m(
            "(oletus, ei sääntöä)", "(standard, ingen regel)", "(default, no rule)"
        ),
        "overrides.unspecified": _m("Syytä ei annettu", "Ingen orsak angiven", "No reason given"),
        "overrides.none": _m("  ei yhtään", "  inga", "  none"),
        "overrides.note": _m(
            "Kukin ehdotus lasketaan kerran, viimeisimmän palautteen mukaan. Ohitusosuus on "
            "ohitetut / vastatut ehdotukset. Palaute, joka ei nimeä ehdotusta, koskee koko "
            "arviota ja jokaista sen taustalla olevaa sääntöä. "
            "Määritelmät: docs/reference/reports.md.",
            "Varje förslag räknas en gång, enligt den senaste responsen. Andelen avvikelser "
            "är avvikande / besvarade förslag. Respons som inte nämner ett förslag gäller "
            "hela bedömningen och varje regel bakom den. "
            "Definitioner: docs/reference/reports.md.",
            "Each suggestion counts once, by its latest feedback. The override rate is "
            "overridden / answered suggestions. Feedback that names no suggestion answers "
            "the whole assessment and every rule behind it. "
            "Definitions: docs/reference/reports.md.",
        ),
        # report dimensions and columns: (short, long)
        "dim.service": _m("palvelu", "tjänst", "service"),
        "dim.age_group": _m("ikäryhmä", "åldersgrupp", "age_group"),
        "dim.clock": _m("määräaika", "tidsfrist", "clock"),
        "dim.month": _m("kuukausi", "månad", "month"),
        "dim.unit": _m("yksikkö", "enhet", "unit"),
        "dim.municipality": _m("kunta", "kommun", "municipality"),
        "place.none": _m("ei tiedossa", "uppgift saknas", "not given"),
        "place.other": _m("muu kunta", "annan kommun", "another municipality"),
        "report.hidden": _m("ei näytetä", "visas inte", "not shown"),
        "report.note_small": _m(
            "Yksikkö- ja kuntakohtaisia lukuja ei näytetä riviltä, jolla on alle {min} "
            "yhteydenottoa, eikä riviltä, josta sellaisen luvut voisi laskea muista. Näin "
            "pienestä joukosta ei voi tunnistaa ihmistä. Yhteydenotto lasketaan sen "
            "palvelun yksikköön ja kuntaan, jonka asiakas ilmoitti. Kaikki yhteensä "
            "-rivi näytetään aina.",
            "Siffror per enhet och kommun visas inte på en rad med färre än {min} "
            "kontakter, och inte heller på en rad som skulle avslöja en sådan rad. Då kan "
            "ingen känna igen en person i en liten grupp. En kontakt räknas till tjänstens "
            "enhet och till kommunen som klienten uppgav. Raden för alla visas alltid.",
            "Figures by unit and municipality are not shown for a row of fewer than {min} "
            "contacts, nor for a row that would reveal one, so that nobody in a small group "
            "can be singled out. A contact counts in its service's unit and in the "
            "municipality the client gave. The row of all is always shown.",
        ),
        "col.contact": _m("yhteydenotto", "kontakt", "contact"),
        "col.age_group": _m("ikäryhmä", "åldersgrupp", "age group"),
        "col.started": _m("alkoi", "började", "started"),
        "col.due": _m("määräpäivä", "sista dag", "due"),
        "col.stopped": _m("päättyi", "stoppad", "stopped"),
        "col.clocks": _m("määräajat", "tidsfrister", "clocks"),
        "col.met": _m("toteutui", "uppfyllda", "met"),
        "col.breached": _m("ylittyi", "överskridna", "breached"),
        "col.past_due": _m("myöhässä", "försenade", "past due"),
        "col.past_due.long": _m(
            "avoinna, määräpäivä ohi", "öppna efter sista dagen", "open past due"
        ),
        "col.open": _m("avoimet", "öppna", "open"),
        "col.declined": _m("kieltäytyi", "avböjda", "declined"),
        "col.on_time": _m("ajallaan", "i tid", "on time"),
        "col.on_time.long": _m("lain määräajassa", "inom lagens tidsfrist", "on time by law"),
        "col.on_target": _m("tavoitteessa", "inom målet", "on target"),
        "col.on_target.long": _m(
            "alueellisessa tavoitteessa", "inom det regionala målet", "on the regional target"
        ),
        "col.na_on_time": _m("arviot ajallaan", "bedömn. i tid", "NA on time"),
        "col.na_on_time.long": _m(
            "hoidon tarpeen arvioinnit ajallaan",
            "bedömningar av vårdbehovet i tid",
            "need assessments on time",
        ),
        "col.care": _m("hoito", "vård", "care"),
        "col.care.long": _m(
            "hoito alkoi (yhteydenotot)", "vården påbörjad (kontakter)", "care started (contacts)"
        ),
        "col.within_14": _m("<=14 pv", "<=14 d", "<=14 d"),
        "col.within_14.long": _m("hoito 14 päivässä", "vård inom 14 dagar", "care within 14 days"),
        "col.within_3mo": _m("<=3 kk", "<=3 mån", "<=3 mo"),
        "col.within_3mo.long": _m(
            "hoito 3 kuukaudessa", "vård inom 3 månader", "care within 3 months"
        ),
        "col.median": _m("mediaani pv", "median d", "median d"),
        "col.median.long": _m(
            "odotuspäivien mediaani", "median av väntedagar", "median waiting days"
        ),
        "col.p90": _m("p90 pv", "p90 d", "p90 d"),
        "col.p90.long": _m(
            "odotuspäivien 90. persentiili",
            "90:e percentilen av väntedagar",
            "90th percentile waiting days",
        ),
    }
)


def reading_language(language: str | None) -> str:
    """The language a text is shown in for a client whose language is *language*: the
    same when it is fi, sv or en, else Finnish."""
    return language if language in LANGUAGES else "fi"


def label(key: str, **values: object) -> Label:
    """Message *key* in every language, its ``{placeholders}`` filled from *values*."""
    found = MESSAGES[key]
    return Label(*(getattr(found, lang).format(**values) for lang in LANGUAGES))


def text(key: str, language: str, **values: object) -> str:
    """Message *key* in *language* (Finnish for a language not one of the three)."""
    return MESSAGES[key].get(reading_language(language)).format(**values)


def urgency_name(level: str, language: str) -> str:
    """The name of an urgency level in *language* (the id itself when unknown)."""
    found = MESSAGES.get(f"urgency.{level}")
    return found.get(reading_language(language)) if found else level


def status_name(status: str, language: str) -> str:
    """The name of a clock status in *language* (the id itself when unknown)."""
    found = MESSAGES.get(f"status.{status}")
    return found.get(reading_language(language)) if found else status


def kind_name(kind: str, language: str) -> str:
    """The name of a route kind in *language* (the id itself when unknown)."""
    found = MESSAGES.get(f"kind.{kind}")
    return found.get(reading_language(language)) if found else kind


def limit_label(
    kind: str, amount: int = 0, office_hours: tuple[time, time] | None = None
) -> Label | None:
    """A clock limit in words, e.g. "7 arkipäivää / 7 vardagar / 7 weekdays"; None for a
    limit of kind ``none``. The English text is the ``limit`` of the JSON contract."""
    if kind == "none":
        return None
    if kind == "same_day":
        if office_hours is None:
            return label("limit.same_day")
        start, end = office_hours
        # Finnish and Finland-Swedish write 8.00–16.00; the English text keeps 08:00-16:00.
        nordic = {
            "start": f"{start.hour}.{start.minute:02d}",
            "end": f"{end.hour}.{end.minute:02d}",
        }
        found = MESSAGES["limit.same_day_hours"]
        return Label(
            found.fi.format(**nordic),
            found.sv.format(**nordic),
            found.en.format(start=f"{start:%H:%M}", end=f"{end:%H:%M}"),
        )
    return label(f"limit.{kind}.1" if amount == 1 else f"limit.{kind}", n=amount)


def number_text(value: float, language: str) -> str:
    """A number of the form (a bound, never client input) as *language* writes it: in
    Finnish and Swedish a space between thousands and a decimal comma."""
    shown = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    if reading_language(language) == "en":
        return shown
    return shown.replace(",", " ").replace(".", ",")


def placeholders(message: str) -> frozenset[str]:
    """The ``{names}`` of a message (for the test that every language has the same)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)

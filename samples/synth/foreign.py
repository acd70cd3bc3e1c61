"""Documents from abroad: invoices in English, Spanish, Italian and German (hotel, garage,
tow / roadside, clinic, car rental), long or short; till receipts in the same languages; and
English claim letters and medical certificates.

A travel-assistance mailroom receives these from beneficiaries who fell ill or broke down
outside France. They carry their own label words (Invoice / Factura / Fattura / Rechnung),
their own tax (VAT, IVA, MwSt, sales tax) and currency, and no SIRET. Only generated when
asked for (``generate.py --foreign N``): the default set does not change.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from samples.synth import fmt, ids
from samples.synth.common import Built, hr, light, logo, new_sheet, pick_color, signature
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import Dossier, Person, ascii_slug

FOREIGN_LANGUAGES: tuple[str, ...] = ("en", "es", "it", "de")
FOREIGN_KINDS: tuple[str, ...] = ("hotel", "garage", "tow", "clinic", "rental")


@dataclass(frozen=True)
class Country:
    code: str
    lang: str
    currency: str
    amount_styles: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, postcode or state + zip)
    streets: tuple[str, ...]  # with {n} for the number
    std_rate: Decimal
    low_rate: Decimal  # hotels and, where they are taxed, transport
    tax_word: str  # how the tax is named on the totals line
    tax_id_label: str


COUNTRIES: dict[str, tuple[Country, ...]] = {
    "en": (
        Country(
            "GB",
            "en",
            "GBP",
            ("en", "en", "en_plain"),
            (
                ("London", "SW1V 1QT"),
                ("Manchester", "M1 4BT"),
                ("Edinburgh", "EH1 1YZ"),
                ("Bristol", "BS1 5TR"),
                ("Dover", "CT16 1JA"),
            ),
            ("{n} High Street", "{n} Station Road", "Unit {n}, Riverside Park", "{n} Queen's Road"),
            Decimal("20"),
            Decimal("20"),
            "VAT",
            "VAT Reg. No.",
        ),
        Country(
            "US",
            "en",
            "USD",
            ("en", "en_plain"),
            (
                ("Miami, FL", "33139"),
                ("New York, NY", "10019"),
                ("Orlando, FL", "32819"),
                ("Boston, MA", "02116"),
                ("San Diego, CA", "92101"),
            ),
            ("{n} Ocean Drive", "{n} W 57th Street", "{n} International Drive", "{n} Main Street"),
            Decimal("7"),
            Decimal("6.5"),
            "Sales tax",
            "Tax ID (EIN)",
        ),
    ),
    "es": (
        Country(
            "ES",
            "es",
            "EUR",
            ("de", "de", "fr_code"),
            (
                ("Madrid", "28013"),
                ("Barcelona", "08002"),
                ("Valencia", "46002"),
                ("Málaga", "29005"),
                ("Sevilla", "41004"),
                ("Girona", "17001"),
            ),
            (
                "Calle Mayor, {n}",
                "Avda. de la Constitución, {n}",
                "Paseo Marítimo, {n}",
                "C/ San Vicente, {n}",
            ),
            Decimal("21"),
            Decimal("10"),
            "IVA",
            "CIF",
        ),
    ),
    "it": (
        Country(
            "IT",
            "it",
            "EUR",
            ("de", "code_first", "fr_code"),
            (
                ("Roma", "00187"),
                ("Milano", "20121"),
                ("Firenze", "50123"),
                ("Napoli", "80133"),
                ("Torino", "10121"),
                ("Aosta", "11100"),
            ),
            (
                "Via Roma {n}",
                "Corso Vittorio Emanuele II, {n}",
                "Via Garibaldi {n}",
                "Piazza della Repubblica {n}",
            ),
            Decimal("22"),
            Decimal("10"),
            "IVA",
            "P.IVA",
        ),
    ),
    "de": (
        Country(
            "DE",
            "de",
            "EUR",
            ("de", "de", "fr_code"),
            (
                ("München", "80331"),
                ("Berlin", "10117"),
                ("Hamburg", "20095"),
                ("Köln", "50667"),
                ("Frankfurt am Main", "60311"),
                ("Freiburg im Breisgau", "79098"),
            ),
            ("Hauptstraße {n}", "Bahnhofstraße {n}", "Industriestraße {n}", "Am Markt {n}"),
            Decimal("19"),
            Decimal("7"),
            "MwSt.",
            "USt-IdNr.",
        ),
    ),
}

SURNAMES = {
    "en": ["Smith", "Taylor", "Brown", "Wilson", "Johnson", "Walker", "Wright", "Hughes"],
    "es": ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro", "Torres"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner"],
}
FIRST = {
    "en": ["James", "Emily", "Oliver", "Sarah", "David", "Laura"],
    "es": ["Javier", "Lucía", "Carmen", "Pablo", "Marta", "Diego"],
    "it": ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Andrea"],
    "de": ["Anna", "Lukas", "Katrin", "Jonas", "Sabine", "Stefan"],
}
NICE = {
    "en": ["Royal", "Grand", "Harbour View", "Kingsway", "Parkside", "Meridian"],
    "es": ["Sol", "Miramar", "Los Olivos", "Costa Azul", "Alhambra", "San Marcos"],
    "it": ["Bellavista", "Belvedere", "Il Giardino", "Miramare", "Europa", "San Giorgio"],
    "de": ["Zur Post", "Am See", "Adler", "Bergblick", "Krone", "Lindenhof"],
}
NAME_TEMPLATES = {
    "hotel": {
        "en": ["The {nice} Hotel", "{city} {nice} Hotel", "{nice} Inn & Suites"],
        "es": ["Hotel {nice}", "Hostal {nice}", "Gran Hotel {city}"],
        "it": ["Hotel {nice}", "Albergo {nice}", "Grand Hotel {city}"],
        "de": ["Hotel {nice}", "Gasthof {nice}", "Parkhotel {city}"],
    },
    "garage": {
        "en": ["{surname} Motors Ltd", "{city} Auto Repairs", "{surname} & Sons Garage"],
        "es": ["Talleres {surname} S.L.", "Taller Mecánico {nice}", "Auto Servicio {surname}"],
        "it": [
            "Autofficina {surname} S.r.l.",
            "Officina Meccanica {surname}",
            "Autoriparazioni {nice}",
        ],
        "de": ["Autohaus {surname} GmbH", "Kfz-Werkstatt {surname}", "Auto {surname} KG"],
    },
    "tow": {
        "en": [
            "{city} Recovery Services",
            "{surname} Towing & Recovery",
            "24/7 Roadside Rescue Ltd",
        ],
        "es": ["Grúas {surname} S.L.", "Auxilio en Carretera {nice}", "Grúas y Asistencia {city}"],
        "it": [
            "Soccorso Stradale {surname}",
            "Carro Attrezzi {surname} S.r.l.",
            "ACI Soccorso {city}",
        ],
        "de": ["Abschleppdienst {surname} GmbH", "Pannenhilfe {city}", "{surname} Bergungsdienst"],
    },
    "clinic": {
        "en": ["{city} Medical Centre", "St {first}'s Hospital", "{nice} Urgent Care Clinic"],
        "es": ["Clínica {nice}", "Hospital {nice}", "Centro Médico {city}"],
        "it": ["Clinica {nice}", "Ospedale {nice}", "Poliambulatorio {city}"],
        "de": ["Klinikum {city}", "Praxis Dr. med. {surname}", "Krankenhaus {nice}"],
    },
    "rental": {
        "en": ["{nice} Car Rental", "{city} Car & Van Hire", "Drive{nice} Rentals Inc."],
        "es": ["Alquiler de Coches {nice}", "Rent a Car {city}", "Autos {surname} Alquiler S.L."],
        "it": ["Autonoleggio {nice}", "Noleggio Auto {city}", "{surname} Rent S.r.l."],
        "de": ["{surname} Autovermietung GmbH", "Mietwagen {city}", "{nice} Car Rental GmbH"],
    },
}

# (label, low price, high price, low qty, high qty, taxed at the low rate, exempt)
_Item = tuple[str, int, int, int, int, bool, bool]
ITEMS: dict[str, dict[str, list[_Item]]] = {
    "hotel": {
        "en": [
            ("Double room, per night", 85, 190, 1, 4, True, False),
            ("Breakfast", 9, 22, 1, 6, True, False),
            ("Dinner", 18, 45, 1, 2, True, False),
            ("Minibar", 4, 18, 1, 3, False, False),
            ("Car park", 10, 25, 1, 3, False, False),
            ("Laundry service", 8, 20, 1, 1, False, False),
        ],
        "es": [
            ("Habitación doble, noche", 60, 140, 1, 4, True, False),
            ("Desayuno", 8, 16, 1, 6, True, False),
            ("Cena", 16, 35, 1, 2, True, False),
            ("Minibar", 3, 12, 1, 3, False, False),
            ("Parking", 12, 22, 1, 3, False, False),
            ("Tasa turística", 1, 3, 1, 6, True, True),
        ],
        "it": [
            ("Camera doppia, pernottamento", 70, 160, 1, 4, True, False),
            ("Prima colazione", 8, 18, 1, 6, True, False),
            ("Cena", 20, 40, 1, 2, True, False),
            ("Frigobar", 3, 12, 1, 3, False, False),
            ("Garage", 15, 30, 1, 3, False, False),
            ("Imposta di soggiorno", 2, 6, 1, 6, True, True),
        ],
        "de": [
            ("Doppelzimmer, Übernachtung", 75, 150, 1, 4, True, False),
            ("Frühstück", 10, 19, 1, 6, False, False),
            ("Abendessen", 18, 38, 1, 2, False, False),
            ("Minibar", 3, 14, 1, 3, False, False),
            ("Tiefgarage", 12, 24, 1, 3, False, False),
            ("Kurtaxe", 2, 4, 1, 6, True, True),
        ],
    },
    "garage": {
        "en": [
            ("Labour", 60, 120, 1, 5, False, False),
            ("Diagnostic check", 45, 90, 1, 1, False, False),
            ("Brake pads (front)", 40, 95, 1, 1, False, False),
            ("Alternator", 180, 420, 1, 1, False, False),
            ("Engine oil 5W-30", 8, 14, 4, 5, False, False),
            ("Tyre 205/55 R16", 70, 140, 1, 2, False, False),
        ],
        "es": [
            ("Mano de obra", 40, 70, 1, 5, False, False),
            ("Diagnosis electrónica", 35, 70, 1, 1, False, False),
            ("Pastillas de freno", 35, 80, 1, 1, False, False),
            ("Alternador", 160, 380, 1, 1, False, False),
            ("Aceite motor 5W30", 7, 13, 4, 5, False, False),
            ("Neumático 205/55 R16", 60, 120, 1, 2, False, False),
        ],
        "it": [
            ("Manodopera", 40, 75, 1, 5, False, False),
            ("Diagnosi elettronica", 35, 70, 1, 1, False, False),
            ("Pastiglie freno anteriori", 35, 85, 1, 1, False, False),
            ("Alternatore", 170, 390, 1, 1, False, False),
            ("Olio motore 5W30", 8, 14, 4, 5, False, False),
            ("Pneumatico 205/55 R16", 65, 130, 1, 2, False, False),
        ],
        "de": [
            ("Arbeitslohn", 70, 130, 1, 5, False, False),
            ("Fehlerdiagnose", 50, 95, 1, 1, False, False),
            ("Bremsbeläge vorne", 45, 99, 1, 1, False, False),
            ("Lichtmaschine", 190, 450, 1, 1, False, False),
            ("Motoröl 5W-30", 9, 16, 4, 5, False, False),
            ("Reifen 205/55 R16", 70, 150, 1, 2, False, False),
        ],
    },
    "tow": {
        "en": [
            ("Roadside call-out", 90, 180, 1, 1, False, False),
            ("Recovery to garage", 120, 260, 1, 1, False, False),
            ("Mileage", 1, 3, 10, 80, False, False),
            ("Out of hours supplement", 40, 90, 1, 1, False, False),
            ("Vehicle storage, per day", 15, 30, 1, 4, False, False),
        ],
        "es": [
            ("Asistencia en carretera", 80, 150, 1, 1, False, False),
            ("Remolque con grúa", 110, 230, 1, 1, False, False),
            ("Kilómetros", 1, 3, 10, 80, False, False),
            ("Suplemento nocturno", 35, 80, 1, 1, False, False),
            ("Depósito del vehículo, día", 12, 25, 1, 4, False, False),
        ],
        "it": [
            ("Intervento soccorso stradale", 85, 160, 1, 1, False, False),
            ("Traino con carro attrezzi", 110, 240, 1, 1, False, False),
            ("Chilometri", 1, 3, 10, 80, False, False),
            ("Supplemento notturno/festivo", 35, 85, 1, 1, False, False),
            ("Custodia veicolo, giorno", 12, 28, 1, 4, False, False),
        ],
        "de": [
            ("Pannenhilfe vor Ort", 95, 170, 1, 1, False, False),
            ("Abschleppen in Werkstatt", 130, 260, 1, 1, False, False),
            ("Anfahrt km", 1, 3, 10, 80, False, False),
            ("Nacht-/Wochenendzuschlag", 40, 90, 1, 1, False, False),
            ("Standgebühr pro Tag", 15, 30, 1, 4, False, False),
        ],
    },
    "clinic": {
        "en": [
            ("Emergency consultation", 120, 350, 1, 1, False, True),
            ("X-ray, ankle", 90, 260, 1, 1, False, True),
            ("Blood test panel", 60, 180, 1, 1, False, True),
            ("Dressing and suture", 80, 220, 1, 1, False, True),
            ("Crutches", 25, 60, 1, 1, False, False),
            ("Prescribed medication", 12, 70, 1, 2, False, True),
        ],
        "es": [
            ("Consulta de urgencias", 90, 250, 1, 1, False, True),
            ("Radiografía de tobillo", 60, 150, 1, 1, False, True),
            ("Análisis de sangre", 40, 120, 1, 1, False, True),
            ("Cura y sutura", 60, 160, 1, 1, False, True),
            ("Muletas", 20, 45, 1, 1, False, False),
            ("Medicación", 8, 45, 1, 2, False, True),
        ],
        "it": [
            ("Visita di pronto soccorso", 90, 260, 1, 1, False, True),
            ("Radiografia caviglia", 60, 160, 1, 1, False, True),
            ("Esami del sangue", 40, 120, 1, 1, False, True),
            ("Medicazione e sutura", 60, 170, 1, 1, False, True),
            ("Stampelle", 20, 50, 1, 1, False, False),
            ("Farmaci", 8, 45, 1, 2, False, True),
        ],
        "de": [
            ("Notfallbehandlung", 100, 280, 1, 1, False, True),
            ("Röntgen Sprunggelenk", 70, 180, 1, 1, False, True),
            ("Blutuntersuchung", 45, 130, 1, 1, False, True),
            ("Wundversorgung und Naht", 70, 190, 1, 1, False, True),
            ("Unterarmgehstützen", 25, 55, 1, 1, False, False),
            ("Medikamente", 10, 50, 1, 2, False, True),
        ],
    },
    "rental": {
        "en": [
            ("Compact car hire, per day", 35, 80, 1, 7, False, False),
            ("Collision damage waiver", 10, 25, 1, 7, False, False),
            ("Additional driver", 8, 15, 1, 7, False, False),
            ("One-way fee", 50, 150, 1, 1, False, False),
            ("Fuel refill", 2, 3, 10, 40, False, False),
        ],
        "es": [
            ("Alquiler turismo, día", 30, 70, 1, 7, False, False),
            ("Seguro a todo riesgo", 9, 22, 1, 7, False, False),
            ("Conductor adicional", 6, 12, 1, 7, False, False),
            ("Recargo devolución en otra oficina", 40, 120, 1, 1, False, False),
            ("Repostaje de combustible", 2, 3, 10, 40, False, False),
        ],
        "it": [
            ("Noleggio auto, giornaliero", 35, 75, 1, 7, False, False),
            ("Copertura Kasko", 10, 24, 1, 7, False, False),
            ("Guidatore aggiuntivo", 7, 14, 1, 7, False, False),
            ("Supplemento riconsegna altra sede", 45, 130, 1, 1, False, False),
            ("Rifornimento carburante", 2, 3, 10, 40, False, False),
        ],
        "de": [
            ("Mietwagen Kompaktklasse, pro Tag", 40, 85, 1, 7, False, False),
            ("Vollkasko ohne Selbstbeteiligung", 12, 26, 1, 7, False, False),
            ("Zusatzfahrer", 8, 15, 1, 7, False, False),
            ("Einwegmiete", 50, 150, 1, 1, False, False),
            ("Nachtanken", 2, 3, 10, 40, False, False),
        ],
    },
}

# The printed labels of one language.
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": (
            "INVOICE",
            "Invoice",
            "TAX INVOICE",
            "Invoice / Receipt",
            "Guest Folio / Invoice",
        ),
        "number": ("Invoice No.", "Invoice #", "Invoice number"),
        "date": ("Invoice date", "Date", "Date issued"),
        "due": ("Due date", "Payment due"),
        "customer": ("Bill to", "Invoice to", "Customer"),
        "ref": ("Your ref.", "Claim / case ref.", "Insurance ref."),
        "head": ("Description", "Qty", "Unit price", "Amount"),
        "subtotal": ("Subtotal", "Net amount", "Total excl. VAT"),
        "total": ("Total due", "TOTAL", "Amount due", "Balance due", "Total incl. VAT"),
        "exempt": ("VAT exempt", "Exempt medical services"),
        "pay": (
            "Payment terms: 30 days.",
            "Please pay by bank transfer quoting the invoice number.",
            "Paid by credit card - thank you.",
            "Payment due on receipt.",
        ),
        "thanks": ("Thank you for your business.", "We wish you a safe journey."),
        "bank": ("Bank", "Account details"),
        "page": ("Page",),
        "service": ("Date of service", "Service date"),
        "arrival": ("Arrival", "Departure", "Room"),
        "vehicle": ("Vehicle", "Reg."),
        "patient": ("Patient",),
    },
    "es": {
        "title": ("FACTURA", "Factura", "Factura n.º"),
        "number": ("N.º factura", "Número de factura", "Factura n.º"),
        "date": ("Fecha", "Fecha de emisión", "Fecha factura"),
        "due": ("Vencimiento", "Fecha de vencimiento"),
        "customer": ("Cliente", "Facturar a", "Datos del cliente"),
        "ref": ("Su referencia", "Ref. expediente", "N.º siniestro"),
        "head": ("Concepto", "Cant.", "Precio unit.", "Importe"),
        "subtotal": ("Base imponible", "Subtotal", "Importe neto"),
        "total": ("Importe total", "TOTAL FACTURA", "Total a pagar", "Total"),
        "exempt": ("Exento de IVA (art. 20 LIVA)", "Operación exenta de IVA"),
        "pay": (
            "Forma de pago: transferencia bancaria.",
            "Pagado con tarjeta.",
            "Condiciones de pago: 30 días fecha factura.",
            "Pago al contado.",
        ),
        "thanks": ("Gracias por su confianza.", "Le deseamos buen viaje."),
        "bank": ("Banco", "Datos bancarios"),
        "page": ("Página",),
        "service": ("Fecha del servicio", "Fecha de prestación"),
        "arrival": ("Llegada", "Salida", "Habitación"),
        "vehicle": ("Vehículo", "Matrícula"),
        "patient": ("Paciente",),
    },
    "it": {
        "title": ("FATTURA", "Fattura", "FATTURA N.", "Fattura / Ricevuta fiscale"),
        "number": ("Fattura n.", "Numero fattura", "N. documento"),
        "date": ("Data", "Data fattura", "Data emissione"),
        "due": ("Scadenza", "Data scadenza"),
        "customer": ("Cliente", "Intestata a", "Spett.le"),
        "ref": ("Vs. riferimento", "Rif. pratica", "N. sinistro"),
        "head": ("Descrizione", "Q.tà", "Prezzo unit.", "Importo"),
        "subtotal": ("Imponibile", "Totale imponibile", "Subtotale"),
        "total": ("Totale", "TOTALE FATTURA", "Totale da pagare", "Totale documento"),
        "exempt": ("Esente IVA art. 10 DPR 633/72", "Operazione esente IVA"),
        "pay": (
            "Pagamento: bonifico bancario.",
            "Pagato con carta di credito.",
            "Condizioni di pagamento: 30 gg d.f.",
            "Pagamento in contanti.",
        ),
        "thanks": ("Grazie per la preferenza.", "Buon viaggio!"),
        "bank": ("Banca", "Coordinate bancarie"),
        "page": ("Pagina",),
        "service": ("Data prestazione", "Data intervento"),
        "arrival": ("Arrivo", "Partenza", "Camera"),
        "vehicle": ("Veicolo", "Targa"),
        "patient": ("Paziente",),
    },
    "de": {
        "title": ("RECHNUNG", "Rechnung", "Rechnung Nr.", "Hotelrechnung"),
        "number": ("Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr."),
        "date": ("Rechnungsdatum", "Datum", "Ausstellungsdatum"),
        "due": ("Fällig am", "Zahlbar bis"),
        "customer": ("Rechnungsempfänger", "Kunde", "An"),
        "ref": ("Ihr Zeichen", "Schaden-Nr.", "Vorgangsnummer"),
        "head": ("Bezeichnung", "Menge", "Einzelpreis", "Betrag"),
        "subtotal": ("Nettobetrag", "Zwischensumme", "Summe netto"),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Zu zahlen", "Endbetrag", "Summe brutto"),
        "exempt": ("Umsatzsteuerfrei gem. § 4 Nr. 14 UStG", "Steuerfreie Heilbehandlung"),
        "pay": (
            "Zahlbar innerhalb von 14 Tagen ohne Abzug.",
            "Betrag dankend erhalten (EC-Karte).",
            "Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer.",
            "Bar bezahlt.",
        ),
        "thanks": ("Vielen Dank für Ihren Auftrag.", "Wir wünschen Ihnen eine gute Weiterreise."),
        "bank": ("Bank", "Bankverbindung"),
        "page": ("Seite",),
        "service": ("Leistungsdatum", "Datum der Leistung"),
        "arrival": ("Anreise", "Abreise", "Zimmer"),
        "vehicle": ("Fahrzeug", "Kennzeichen"),
        "patient": ("Patient",),
    },
}

DE_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def fdate(d: date, lang: str, rng: random.Random, country: str = "") -> str:
    """A date as printed in ``lang`` (US documents write month first)."""
    if lang == "de":
        return rng.choice([d.strftime("%d.%m.%Y"), f"{d.day}. {DE_MONTHS[d.month - 1]} {d.year}"])
    if country == "US":
        return rng.choice([d.strftime("%m/%d/%Y"), fmt.fmt_date(d, "en_long", "en")])
    return fmt.fmt_date(d, fmt.pick_date_style(rng, lang), lang)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _iban(rng: random.Random, country: str) -> str | None:
    if country == "GB":
        return ids.iban_from_bban(
            "GB", rng.choice(["NWBK", "BARC", "LOYD", "HBUK"]) + _digits(rng, 14)
        )
    if country == "ES":
        return ids.iban_from_bban("ES", _digits(rng, 20))
    if country == "IT":
        return ids.iban_from_bban("IT", rng.choice(string.ascii_uppercase) + _digits(rng, 22))
    if country == "DE":
        return ids.iban_from_bban("DE", _digits(rng, 18))
    return None


def _tax_id(rng: random.Random, country: str) -> str:
    if country == "GB":
        return f"GB {_digits(rng, 3)} {_digits(rng, 4)} {_digits(rng, 2)}"
    if country == "US":
        return f"{_digits(rng, 2)}-{_digits(rng, 7)}"
    if country == "ES":
        return rng.choice("ABB") + _digits(rng, 8)
    if country == "IT":
        return _digits(rng, 11)
    return "DE" + _digits(rng, 9)


@dataclass(frozen=True)
class Supplier:
    name: str
    street: str
    city: str
    postcode: str
    phone: str
    email: str
    tax_id: str
    iban: str | None
    bic: str | None


def make_supplier(rng: random.Random, kind: str, country: Country) -> Supplier:
    lang = country.lang
    city, postcode = rng.choice(country.cities)
    name = rng.choice(NAME_TEMPLATES[kind][lang]).format(
        nice=rng.choice(NICE[lang]),
        surname=rng.choice(SURNAMES[lang]),
        city=city.split(",")[0],
        first=rng.choice(["Mary", "John", "Thomas", "George"]),
    )
    street = rng.choice(country.streets).format(n=rng.randint(1, 240))
    phone = {
        "GB": f"+44 {_digits(rng, 2)} {_digits(rng, 4)} {_digits(rng, 4)}",
        "US": f"({_digits(rng, 3)}) {_digits(rng, 3)}-{_digits(rng, 4)}",
        "ES": f"+34 9{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}",
        "IT": f"+39 0{_digits(rng, 2)} {_digits(rng, 7)}",
        "DE": f"+49 {_digits(rng, 3)} {_digits(rng, 6)}",
    }[country.code]
    domain = "".join(c for c in ascii_slug(name) if c.isalnum())[:18] or "info"
    tld = {"GB": "co.uk", "US": "com", "ES": "es", "IT": "it", "DE": "de"}[country.code]
    iban = _iban(rng, country.code)
    bic = (
        "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + country.code + "2X"
        if iban
        else None
    )
    return Supplier(
        name,
        street,
        city,
        postcode,
        phone,
        f"info@{domain}.{tld}",
        _tax_id(rng, country.code),
        iban,
        bic,
    )


@dataclass(frozen=True)
class Line:
    label: str
    qty: int
    unit_price: Decimal
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        return fmt.money(self.unit_price * self.qty)


def _lines(rng: random.Random, kind: str, country: Country, count: int) -> list[Line]:
    pool = ITEMS[kind][country.lang]
    chosen = [pool[0], *rng.sample(pool[1:], k=min(len(pool) - 1, count - 1))]
    out = []
    for label, lo, hi, qlo, qhi, low, exempt in chosen:
        price = fmt.money(Decimal(rng.randint(lo * 100, hi * 100 + 99)) / 100)
        rate = Decimal(0) if exempt else (country.low_rate if low else country.std_rate)
        if country.code == "US" and kind == "clinic":
            rate = Decimal(0)
        out.append(Line(label, rng.randint(qlo, qhi), price, rate))
    return out


def _rate(r: Decimal, lang: str) -> str:
    s = f"{r:f}".rstrip("0").rstrip(".") if "." in f"{r:f}" else f"{r:f}"
    return s if lang == "en" else s.replace(".", ",")


def _number(rng: random.Random, country: Country, d: date) -> str:
    n = rng.randint(10, 99999)
    return rng.choice(
        {
            "en": [f"INV-{n:05d}", f"{d.year}-{n:04d}", f"INV{d.year % 100}{n:05d}", f"{n:06d}"],
            "es": [
                f"{d.year}/A{n:05d}",
                f"FRA-{d.year}-{n:04d}",
                f"F{n:06d}",
                f"{n:05d}/{d.year % 100}",
            ],
            "it": [f"{n}/{d.year}", f"FT {n:04d}/{d.year % 100}", f"{d.year}/{n:05d}/E"],
            "de": [f"RE-{d.year}-{n:05d}", f"R{d.year % 100}{n:05d}", f"{d.year}{n:06d}"],
        }[country.lang]
    )


def build_foreign_invoice(
    rng: random.Random,
    families: list[FontFamily],
    lang: str,
    kind: str,
    customer: Person,
    dossier: Dossier | None,
    *,
    short: bool,
) -> Built:
    """An invoice from abroad in ``lang``; ``short``: a 6-10 line slip (totals, no table)."""
    country = rng.choice(COUNTRIES[lang])
    supplier = make_supplier(rng, kind, country)
    L = LABELS[lang]
    family = rng.choice(families)
    accent = pick_color(rng)
    astyle = rng.choice(country.amount_styles)
    currency = country.currency
    event = (
        dossier.event_date if dossier else date(2026, 2, 1) + timedelta(days=rng.randint(0, 250))
    )
    inv_date = event + timedelta(days=rng.randint(0, 6))
    number = _number(rng, country, inv_date)
    lines = _lines(rng, kind, country, rng.randint(1, 2) if short else rng.randint(3, 6))
    by_rate: dict[Decimal, Decimal] = {}
    for ln in lines:
        by_rate[ln.rate] = by_rate.get(ln.rate, Decimal(0)) + ln.amount
    vat = {r: fmt.money(base * r / 100) for r, base in sorted(by_rate.items())}
    net = fmt.money(sum((ln.amount for ln in lines), Decimal(0)))
    tax = fmt.money(sum(vat.values(), Decimal(0)))
    total = net + tax

    def amt(v: Decimal, sign: bool = True) -> str:
        return fmt.fmt_amount(v, astyle, currency, sign=sign)

    customer_name = (
        customer.full_name if rng.random() < 0.7 else f"{customer.last_name} {customer.first_name}"
    )
    fields: dict[str, str] = {
        "supplier_name": fmt.fold(supplier.name),
        "invoice_number": number,
        "invoice_date": inv_date.isoformat(),
        "total_excl_tax": fmt.norm_amount(net),
        "vat_amount": fmt.norm_amount(tax),
        "total_incl_tax": fmt.norm_amount(total),
        "currency": currency,
        "customer_name": fmt.fold(customer_name),
    }
    show_iban = supplier.iban is not None and not short and rng.random() < 0.6
    if show_iban and supplier.iban:
        fields["iban"] = supplier.iban
    ref = None
    if dossier is not None and rng.random() < 0.5:
        ref = dossier.dossier_id
        fields["dossier_reference"] = ref

    W, H = A4
    s = new_sheet(family, A4)
    sheets = [s]
    left = rng.choice([40.0, 50.0, 60.0])
    right = W - left
    base = rng.choice([8.5, 9.0, 9.5, 10.0])
    y = 55.0
    title = rng.choice(
        [t for t in L["title"] if kind == "hotel" or not ("Folio" in t or "Hotel" in t)]
    )
    if short:
        # A slip: name, address, the title and number, a date, one or two lines, the total.
        s.text(left, y, supplier.name, base + 3, bold=True)
        y += base + 6
        s.text(left, y, f"{supplier.street}, {supplier.postcode} {supplier.city}", base - 0.5)
        y += base + 4
        if rng.random() < 0.6:
            s.text(left, y, f"{country.tax_id_label} {supplier.tax_id}", base - 1)
            y += base + 4
        y += 8
        s.text(left, y, f"{title} {number}", base + 2, bold=True)
        y += base + 6
        s.text(
            left, y, f"{rng.choice(L['date'])}: {fdate(inv_date, lang, rng, country.code)}", base
        )
        y += base + 4
        if rng.random() < 0.5:
            s.text(left, y, f"{rng.choice(L['customer'])}: {customer_name}", base)
            y += base + 4
        else:
            fields.pop("customer_name")
        for ln in lines:
            s.text(left, y, ln.label if ln.qty == 1 else f"{ln.qty} x {ln.label}", base)
            s.text(right, y, amt(ln.amount, sign=False), base, align="right")
            y += base + 4
        if tax:
            rates = [r for r in vat if r]
            s.text(
                left,
                y,
                f"{country.tax_word} {_rate(rates[0], lang)}%"
                if len(rates) == 1
                else country.tax_word,
                base,
            )
            s.text(right, y, amt(tax), base, align="right")
            y += base + 4
        s.text(left, y, rng.choice(L["total"]), base + 1, bold=True)
        s.text(right, y, amt(total), base + 1, bold=True, align="right")
        if ref is not None:
            y += base + 6
            s.text(left, y, f"{rng.choice(L['ref'])}: {ref}", base - 0.5)
        if not tax:
            y += base + 6
            s.text(left, y, rng.choice(L["exempt"]), base - 1, italic=True)
        # A slip prints the tax and the total, not the net amount.
        fields.pop("total_excl_tax")
        if not tax:
            fields.pop("vat_amount")
        return Built(
            "invoice",
            kind,
            lang,
            sheets,
            fields,
            dossier.dossier_id if dossier else None,
            title=f"{title} {number}",
            author=supplier.name,
        )

    # A full page.
    logo(s, left, y - 15, 40, rng, accent)
    s.text(left + 52, y, supplier.name, base + 6, bold=True, color=accent)
    yy = y + base + 8
    for t in (
        supplier.street,
        f"{supplier.postcode} {supplier.city}",
        f"Tel. {supplier.phone}  ·  {supplier.email}",
        f"{country.tax_id_label}: {supplier.tax_id}",
    ):
        s.text(left + 52, yy, t, base - 0.5)
        yy += base + 3
    y = yy + 20
    s.text(left, y, title, base + 10, bold=True, color=accent)
    y += 30
    cust = [customer_name, *customer.address.lines(), "France"]
    bx = right - 200
    s.rect(
        bx, y - 12, 200, 16 + 13 * (len(cust) + 1), stroke=(0.5, 0.5, 0.5), fill=light(accent, 0.93)
    )
    s.text(bx + 8, y, rng.choice(L["customer"]), base - 1, bold=True)
    for i, t in enumerate(cust):
        s.text(bx + 8, y + 13 * (i + 1), t, base, bold=i == 0)
    meta = [
        (rng.choice(L["number"]), number),
        (rng.choice(L["date"]), fdate(inv_date, lang, rng, country.code)),
    ]
    if rng.random() < 0.6:
        meta.append(
            (
                rng.choice(L["due"]),
                fdate(inv_date + timedelta(days=rng.choice([14, 30])), lang, rng, country.code),
            )
        )
    if kind == "hotel":
        nights = max(1, lines[0].qty)
        arrival, departure, room = L["arrival"]
        meta += [
            (arrival, fdate(event, lang, rng, country.code)),
            (departure, fdate(event + timedelta(days=nights), lang, rng, country.code)),
            (room, str(rng.randint(101, 640))),
        ]
    else:
        meta.append((rng.choice(L["service"]), fdate(event, lang, rng, country.code)))
    if kind in ("garage", "tow", "rental") and dossier is not None and dossier.vehicle_registration:
        meta.append((rng.choice(L["vehicle"]), dossier.vehicle_registration))
        fields["vehicle_registration"] = dossier.vehicle_registration
    if kind == "clinic":
        meta.append((L["patient"][0], customer.full_name))
    if ref is not None:
        meta.append((rng.choice(L["ref"]), ref))
    my = y
    for label, value in meta:
        s.text(left, my, f"{label}:", base - 0.5, bold=True)
        s.text(left + 105, my, value, base - 0.5)
        my += base + 4
    y = max(my, y + 13 * (len(cust) + 1) + 16) + 18
    cols = [left, right - 200, right - 130, right]
    head = L["head"]
    s.rect(left, y - base - 4, right - left, base + 8, stroke=None, fill=accent)
    s.text(cols[0] + 4, y, head[0], base, bold=True, color=(1, 1, 1))
    for i, h in enumerate(head[1:], start=1):
        s.text(
            cols[i] + (60 if i < 3 else -4), y, h, base, bold=True, color=(1, 1, 1), align="right"
        )
    y += base + 10
    for ln in lines:
        s.text(cols[0] + 4, y, ln.label, base)
        s.text(cols[1] + 60, y, str(ln.qty), base, align="right")
        s.text(cols[2] + 60, y, amt(ln.unit_price, sign=False), base, align="right")
        s.text(cols[3] - 4, y, amt(ln.amount, sign=False), base, align="right")
        hr(s, left, right, y + 5, color=(0.8, 0.8, 0.8), width=0.4)
        y += base + 8
    y += 14
    tx = right - 220
    rows: list[tuple[str, str, bool]] = [(rng.choice(L["subtotal"]), amt(net), False)]
    for r, v in vat.items():
        if r:
            rows.append(
                (
                    f"{country.tax_word} {_rate(r, lang)}% ({amt(by_rate[r], sign=False)})",
                    amt(v),
                    False,
                )
            )
    rows.append((rng.choice(L["total"]), amt(total), True))
    for label, value, strong in rows:
        s.text(tx, y, label, base, bold=strong)
        s.text(right - 4, y, value, base + (1 if strong else 0), bold=strong, align="right")
        y += base + 7
    if 0 in vat:
        s.text(left, y + 4, rng.choice(L["exempt"]), base - 1, italic=True)
        y += base + 6
    y += 18
    s.text(left, y, rng.choice(L["pay"]), base - 0.5)
    y += base + 5
    if show_iban and supplier.iban:
        shown = ids.group4(supplier.iban) if rng.random() < 0.7 else supplier.iban
        s.text(left, y, f"{rng.choice(L['bank'])}: IBAN {shown}  BIC {supplier.bic}", base - 0.5)
        y += base + 5
    elif country.code == "US" and rng.random() < 0.5:
        s.text(left, y, f"ABA routing {_digits(rng, 9)}  Account {_digits(rng, 10)}", base - 0.5)
        y += base + 5
    if rng.random() < 0.6:
        s.text(left, y + 6, rng.choice(L["thanks"]), base, italic=True)
    fy = H - 45
    hr(s, 40, W - 40, fy - 12, color=(0.6, 0.6, 0.6), width=0.4)
    s.text(
        W / 2,
        fy,
        f"{supplier.name} · {supplier.street} · {supplier.postcode} {supplier.city} · "
        f"{country.tax_id_label} {supplier.tax_id}",
        6.5,
        align="center",
        color=(0.3, 0.3, 0.3),
    )
    s.text(W - 40, H - 22, f"{L['page'][0]} 1/1", 7, align="right")
    return Built(
        "invoice",
        kind,
        lang,
        sheets,
        fields,
        dossier.dossier_id if dossier else None,
        title=f"{title} {number}",
        author=supplier.name,
    )


# --------------------------------------------------------------------------- English letters


def _money_en(v: Decimal, rng: random.Random) -> str:
    return rng.choice(
        [
            f"€{fmt.fmt_number(v, 'en')}",
            f"EUR {fmt.fmt_number(v, 'en')}",
            f"{fmt.fmt_number(v, 'en')} euros",
        ]
    )


def build_english_claim_letter(
    rng: random.Random, families: list[FontFamily], person: Person, dossier: Dossier | None
) -> Built:
    """A beneficiary's letter in English asking the insurer to pay back what they advanced."""
    family = rng.choice(families)
    s = new_sheet(family, A4)
    W, _ = A4
    left, base = 60.0, rng.choice([10.0, 10.5, 11.0])
    sent = (dossier.event_date if dossier else date(2026, 4, 2)) + timedelta(
        days=rng.randint(4, 25)
    )
    amount = fmt.money(Decimal(rng.randint(6000, 180000)) / 100)
    fields = {"sender_name": person.full_name, "requested_amount": fmt.norm_amount(amount)}
    y = 60.0
    for t in [person.full_name, *person.address.lines(), person.email]:
        s.text(left, y, t, base)
        y += base + 3
    y += 14
    for t in ["Claims Department", "Assistance Service", "Paris, France"]:
        s.text(W - 230, y, t, base)
        y += base + 3
    y += 14
    s.text(W - 230, y, fmt.fmt_date(sent, rng.choice(["en_long", "en_short"]), "en"), base)
    y += 30
    subject = rng.choice(
        [
            "Reimbursement request",
            "Claim for reimbursement of expenses",
            "Request for refund of costs incurred abroad",
        ]
    )
    refs = []
    if dossier is not None:
        if rng.random() < 0.8:
            refs.append(f"case {dossier.dossier_id}")
            fields["dossier_reference"] = dossier.dossier_id
        if rng.random() < 0.6:
            refs.append(f"policy {dossier.policy_number}")
            fields["policy_number"] = dossier.policy_number
    s.text(left, y, f"Re: {subject}" + (f" - {', '.join(refs)}" if refs else ""), base, bold=True)
    y += 28
    what = rng.choice(
        [
            "my car broke down on the motorway and had to be towed to a garage",
            "I fell ill during my stay and was treated at the local hospital",
            "my flight home was cancelled and I had to stay two more nights at a hotel",
            "I had an accident with the hire car and needed medical care",
        ]
    )
    where = rng.choice(["Spain", "Italy", "Germany", "the United Kingdom", "Portugal", "Austria"])
    paras = [
        rng.choice(["Dear Sir or Madam,", "Dear Sirs,", "To whom it may concern,"]),
        f"While travelling in {where}, {what}. I paid the costs myself at the time, as your "
        "assistance service advised me on the phone.",
        f"I am therefore writing to ask you to reimburse the sum of {_money_en(amount, rng)}, "
        "which corresponds to the enclosed invoices and receipts.",
        "Please find enclosed copies of the invoices, the receipts and my bank details. I would be "
        "grateful if you could transfer the amount to my account at your earliest convenience.",
        rng.choice(["Yours faithfully,", "Kind regards,", "Yours sincerely,"]),
    ]
    for p in paras:
        y = s.wrap(left, y, W - 2 * left, p, base, leading=base + 4) + 10
    signature(s, left, y + 12, rng)
    s.text(left, y + 36, person.full_name, base)
    if rng.random() < 0.5:
        s.text(left, y + 60, "Enclosures: invoices, receipts, bank details", base - 1, italic=True)
    return Built(
        "claim_letter",
        "letter",
        "en",
        [s],
        fields,
        dossier.dossier_id if dossier else None,
        title=subject,
        author=person.full_name,
    )


def build_english_medical(
    rng: random.Random, families: list[FontFamily], person: Person, dossier: Dossier | None
) -> Built:
    """A medical certificate written by a doctor abroad, in English (no RPPS number)."""
    family = rng.choice(families)
    accent = pick_color(rng)
    s = new_sheet(family, A4)
    W, _ = A4
    left, base = 60.0, rng.choice([10.0, 10.5])
    country = rng.choice(COUNTRIES[rng.choice(FOREIGN_LANGUAGES)])
    city, postcode = rng.choice(country.cities)
    doctor = f"{rng.choice(FIRST[country.lang])} {rng.choice(SURNAMES[country.lang])}"
    issue = (dossier.event_date if dossier else date(2026, 5, 4)) + timedelta(
        days=rng.randint(0, 3)
    )
    start = issue
    end = start + timedelta(days=rng.randint(3, 21))
    fields = {
        "practitioner_name": doctor,
        "patient_name": person.full_name,
        "issue_date": issue.isoformat(),
    }
    logo(s, left, 40, 34, rng, accent)
    y = 55.0
    s.text(left + 46, y, f"Dr {doctor}", base + 3, bold=True, color=accent)
    y += base + 5
    for t in [
        rng.choice(
            [
                "General Practitioner",
                "Emergency Medicine",
                "Orthopaedic Surgeon",
                "MD, Internal Medicine",
            ]
        ),
        f"{rng.choice(country.streets).format(n=rng.randint(1, 90))}, {postcode} {city}",
        rng.choice(
            [
                f"GMC No. {_digits(rng, 7)}",
                f"Licence No. {_digits(rng, 8)}",
                f"Reg. {_digits(rng, 6)}",
            ]
        ),
    ]:
        s.text(left + 46, y, t, base - 1)
        y += base + 3
    y += 30
    s.text(
        W / 2,
        y,
        rng.choice(
            ["MEDICAL CERTIFICATE", "Medical Certificate", "SICK NOTE / MEDICAL CERTIFICATE"]
        ),
        base + 6,
        bold=True,
        align="center",
    )
    y += 34
    diagnosis = rng.choice(
        [
            "a sprained right ankle with marked swelling",
            "acute gastroenteritis with dehydration",
            "a fractured left wrist, immobilised in a cast",
            "concussion following a road traffic accident",
            "acute lower back pain",
        ]
    )
    paras = [
        f"I, the undersigned, Dr {doctor}, certify that I examined {person.full_name} on "
        f"{fmt.fmt_date(issue, 'en_long', 'en')} and found {diagnosis}.",
    ]
    if rng.random() < 0.8:
        paras.append(
            "The patient is unfit for work and unable to travel from "
            f"{fmt.fmt_date(start, 'en_long', 'en')} to {fmt.fmt_date(end, 'en_long', 'en')} "
            "inclusive."
        )
        fields["incapacity_start"] = start.isoformat()
        fields["incapacity_end"] = end.isoformat()
    paras.append("This certificate is issued at the patient's request for insurance purposes.")
    if dossier is not None and rng.random() < 0.4:
        paras.append(f"Insurance case reference: {dossier.dossier_id}")
        fields["dossier_reference"] = dossier.dossier_id
    for p in paras:
        y = s.wrap(left, y, W - 2 * left, p, base, leading=base + 4) + 10
    y += 20
    s.text(left, y, f"{city}, {fmt.fmt_date(issue, 'en_short', 'en')}", base)
    signature(s, W - 220, y + 20, rng)
    s.text(W - 220, y + 46, "Signature and stamp", base - 2, italic=True)
    return Built(
        "medical_certificate",
        "certificate",
        "en",
        [s],
        fields,
        dossier.dossier_id if dossier else None,
        title="Medical certificate",
        author=f"Dr {doctor}",
    )


# --------------------------------------------------------------------------- till receipts

# The shops of a traveller abroad and what they sell: (label, low, high price), low VAT rate?
SHOPS: dict[str, dict[str, tuple[tuple[str, ...], list[tuple[str, int, int, bool]]]]] = {
    "en": {
        "supermarket": (
            ("{city} Food Store", "Fresh Market", "Corner Shop Express"),
            [
                ("Bottled water 1.5L", 1, 2, True),
                ("Sandwich", 3, 6, True),
                ("Crisps", 1, 3, True),
                ("Sun cream SPF50", 8, 15, False),
                ("Batteries AA x4", 4, 8, False),
            ],
        ),
        "pharmacy": (
            ("{city} Pharmacy", "Chemist & Co", "HealthPlus Pharmacy"),
            [
                ("Paracetamol 500mg", 2, 5, False),
                ("Plasters", 3, 6, False),
                ("Antiseptic spray", 4, 8, False),
                ("Ankle support", 10, 25, False),
            ],
        ),
        "cafe": (
            ("The {city} Café", "Station Coffee House", "Harbour Tea Room"),
            [
                ("Cappuccino", 3, 5, False),
                ("Scone", 2, 4, True),
                ("Full breakfast", 8, 14, False),
                ("Orange juice", 2, 4, False),
            ],
        ),
        "fuel": (
            ("{city} Service Station", "Motorway Services", "Express Fuel"),
            [
                ("Unleaded 95", 30, 90, False),
                ("Screen wash", 3, 6, False),
                ("Car wash", 6, 12, False),
            ],
        ),
    },
    "es": {
        "supermarket": (
            ("Supermercado {city}", "Alimentación El Sol", "Mercado Central"),
            [
                ("Agua mineral 1,5L", 1, 2, True),
                ("Bocadillo", 3, 6, True),
                ("Fruta", 2, 5, True),
                ("Crema solar", 8, 16, False),
            ],
        ),
        "pharmacy": (
            ("Farmacia {city}", "Farmacia Ldo. Ruiz", "Farmacia del Puerto"),
            [
                ("Ibuprofeno 400mg", 2, 5, True),
                ("Tiritas", 2, 5, True),
                ("Venda elástica", 3, 8, True),
                ("Tobillera", 10, 22, True),
            ],
        ),
        "cafe": (
            ("Cafetería {city}", "Bar Restaurante El Puerto", "Churrería La Plaza"),
            [
                ("Café con leche", 1, 3, True),
                ("Tostada", 2, 4, True),
                ("Menú del día", 10, 15, True),
                ("Zumo de naranja", 2, 4, True),
            ],
        ),
        "fuel": (
            ("Estación de Servicio {city}", "Gasolinera Autovía", "Carburantes del Sur"),
            [("Gasolina 95", 30, 90, False), ("Lavado", 5, 10, False)],
        ),
    },
    "it": {
        "supermarket": (
            ("Supermercato {city}", "Alimentari da Gino", "Minimarket Centrale"),
            [
                ("Acqua naturale 1,5L", 1, 2, True),
                ("Panino", 3, 6, True),
                ("Frutta", 2, 5, True),
                ("Crema solare", 8, 16, False),
            ],
        ),
        "pharmacy": (
            ("Farmacia {city}", "Farmacia Dott. Conti", "Farmacia della Stazione"),
            [
                ("Paracetamolo 500mg", 3, 6, True),
                ("Cerotti", 2, 5, False),
                ("Disinfettante", 3, 7, False),
                ("Cavigliera", 12, 25, False),
            ],
        ),
        "cafe": (
            ("Bar {city}", "Caffè Centrale", "Pasticceria Dolce Vita"),
            [
                ("Caffè", 1, 2, True),
                ("Cornetto", 1, 2, True),
                ("Cappuccino", 1, 3, True),
                ("Tramezzino", 3, 5, True),
            ],
        ),
        "fuel": (
            ("Stazione di servizio {city}", "Distributore Autostrada", "Carburanti Nord"),
            [("Benzina 95", 30, 90, False), ("Lavaggio", 6, 12, False)],
        ),
    },
    "de": {
        "supermarket": (
            ("Markt {city}", "Frischemarkt am Bahnhof", "Kiosk Express"),
            [
                ("Mineralwasser 1,5L", 1, 2, True),
                ("Belegtes Brötchen", 2, 5, True),
                ("Obst", 2, 5, True),
                ("Sonnencreme", 7, 15, False),
            ],
        ),
        "pharmacy": (
            ("{city} Apotheke", "Stadt-Apotheke", "Bahnhof-Apotheke"),
            [
                ("Ibuprofen 400", 3, 7, False),
                ("Pflaster", 2, 5, False),
                ("Wunddesinfektion", 4, 8, False),
                ("Sprunggelenkbandage", 12, 28, False),
            ],
        ),
        "cafe": (
            ("Café {city}", "Bäckerei Schmitt", "Raststätte Café"),
            [
                ("Kaffee", 2, 4, False),
                ("Laugenbrezel", 1, 2, True),
                ("Frühstück", 8, 14, False),
                ("Apfelschorle", 2, 4, False),
            ],
        ),
        "fuel": (
            ("Tankstelle {city}", "Autohof Tankstelle", "Freie Tankstelle"),
            [("Super E10", 30, 90, False), ("Autowäsche", 8, 14, False)],
        ),
    },
}
TILL: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "head": (
            "VAT RECEIPT",
            "RECEIPT",
            "SALES RECEIPT",
            "SIMPLIFIED VAT INVOICE",
            "CUSTOMER COPY",
        ),
        "no": ("Receipt No", "Trans", "Ticket"),
        "cashier": ("Cashier", "Served by", "Operator", "Till"),
        "subtotal": ("SUBTOTAL", "Sub-total"),
        "total": ("TOTAL", "TOTAL TO PAY", "AMOUNT DUE", "BALANCE"),
        "cash": ("CASH", "Cash tendered"),
        "change": ("CHANGE", "Change due"),
        "card": ("CARD PAYMENT", "VISA CONTACTLESS", "MASTERCARD", "DEBIT CARD"),
        "vat": ("VAT", "Incl. VAT"),
        "bye": (
            "Thank you for shopping with us",
            "Please come again",
            "Please keep your receipt",
            "No refund without receipt",
        ),
        "items": ("Items", "No. of items"),
    },
    "es": {
        "head": ("FACTURA SIMPLIFICADA", "TICKET", "TIQUE DE COMPRA", "TICKET DE VENTA"),
        "no": ("Nº ticket", "Fra. simpl.", "Ticket nº"),
        "cashier": ("Cajero", "Le atendió", "Caja"),
        "subtotal": ("SUBTOTAL", "Base"),
        "total": ("TOTAL", "TOTAL A PAGAR", "TOTAL EUR"),
        "cash": ("EFECTIVO", "Entregado"),
        "change": ("CAMBIO", "Devolución"),
        "card": ("TARJETA", "PAGO CON TARJETA", "VISA"),
        "vat": ("IVA", "IVA incluido"),
        "bye": (
            "Gracias por su visita",
            "Conserve el ticket",
            "No se admiten devoluciones sin ticket",
        ),
        "items": ("Artículos", "Nº art."),
    },
    "it": {
        "head": (
            "DOCUMENTO COMMERCIALE",
            "SCONTRINO",
            "DOCUMENTO COMMERCIALE di vendita o prestazione",
            "RICEVUTA",
        ),
        "no": ("DOC. N.", "Scontrino n.", "N."),
        "cashier": ("Cassiere", "Operatore", "Cassa"),
        "subtotal": ("SUBTOTALE", "Parziale"),
        "total": ("TOTALE COMPLESSIVO", "TOTALE", "TOTALE EURO"),
        "cash": ("CONTANTI", "Pagamento contante"),
        "change": ("RESTO", "Resto"),
        "card": ("PAGAMENTO ELETTRONICO", "CARTA", "BANCOMAT"),
        "vat": ("di cui IVA", "IVA"),
        "bye": ("Grazie e arrivederci", "Conservare lo scontrino", "Arrivederci"),
        "items": ("Articoli", "N. pezzi"),
    },
    "de": {
        "head": ("KASSENBON", "Beleg", "Kleinbetragsrechnung", "Quittung", "Bon"),
        "no": ("Bon-Nr.", "Beleg-Nr.", "Bon"),
        "cashier": ("Kasse", "Es bediente Sie", "Bediener"),
        "subtotal": ("Zwischensumme", "ZW-SUMME"),
        "total": ("SUMME", "SUMME EUR", "Zu zahlen", "GESAMT"),
        "cash": ("BAR", "Gegeben"),
        "change": ("Rückgeld", "Zurück"),
        "card": ("EC-Karte", "Girocard kontaktlos", "Kartenzahlung"),
        "vat": ("MwSt", "enth. MwSt"),
        "bye": ("Vielen Dank für Ihren Einkauf", "Bitte Bon aufbewahren", "Auf Wiedersehen"),
        "items": ("Anzahl Artikel", "Pos."),
    },
}


def build_till_receipt(rng: random.Random, monos: list[FontFamily], lang: str) -> Built:
    """A till ticket from abroad: items, tax summary, cash and change or a card slip, the
    cashier. Some call themselves a simplified invoice (as the VAT rules of the EU allow under
    a small amount): a receipt all the same."""
    country = rng.choice(COUNTRIES[lang])
    city, postcode = rng.choice(country.cities)
    shop = rng.choice(sorted(SHOPS[lang]))
    names, pool = SHOPS[lang][shop]
    merchant = rng.choice(names).format(city=city.split(",")[0])
    T = TILL[lang]
    mono = rng.choice(monos)
    astyle = rng.choice(country.amount_styles)
    currency = country.currency
    day = date(2026, 2, 1) + timedelta(days=rng.randint(0, 250))
    chosen = rng.sample(
        pool, k=1 if shop == "fuel" and rng.random() < 0.7 else rng.randint(1, min(4, len(pool)))
    )
    lines = []
    for label, lo, hi, low in chosen:
        qty = 1 if shop == "fuel" else rng.randint(1, 3)
        price = fmt.money(Decimal(rng.randint(lo * 100, hi * 100 + 99)) / 100)
        lines.append((label, qty, price, country.low_rate if low else country.std_rate))
    total = fmt.money(sum((p * q for _, q, p, _ in lines), Decimal(0)))  # prices include tax
    by_rate: dict[Decimal, Decimal] = {}
    for _, q, p, r in lines:
        by_rate[r] = by_rate.get(r, Decimal(0)) + p * q
    taxes = {r: fmt.money(g * r / (100 + r)) for r, g in sorted(by_rate.items())}

    def amt(v: Decimal, sign: bool = False) -> str:
        return fmt.fmt_amount(v, astyle, currency, sign=sign)

    width = rng.choice([204.0, 216.0, 226.0])
    size = rng.choice([7.5, 8.0, 8.5])
    lead = size * 1.45
    sheet = Sheet(width, 60 + (26 + 2 * len(lines)) * lead, mono)
    f, fb = mono.regular, mono.bold
    x0, x1 = 10.0, width - 10
    y = 24.0
    sheet.text(
        width / 2,
        y,
        merchant.upper() if rng.random() < 0.6 else merchant,
        size + 2,
        align="center",
        font=fb,
    )
    y += lead + 2
    for t in (rng.choice(country.streets).format(n=rng.randint(1, 200)), f"{postcode} {city}"):
        sheet.text(width / 2, y, t, size, align="center", font=f)
        y += lead
    if rng.random() < 0.7:
        sheet.text(
            width / 2,
            y,
            f"{country.tax_id_label} {_tax_id(rng, country.code)}",
            size - 0.5,
            align="center",
            font=f,
        )
        y += lead
    y += 4
    sheet.text(width / 2, y, rng.choice(T["head"]), size + 1, align="center", font=fb)
    y += lead + 2
    number = f"{rng.randint(1, 9999):04d}"
    sheet.text(
        x0,
        y,
        f"{fdate(day, lang, rng, country.code)} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
        size,
        font=f,
    )
    sheet.text(x1, y, f"{rng.choice(T['no'])} {number}", size, align="right", font=f)
    y += lead
    if rng.random() < 0.7:
        sheet.text(x0, y, f"{rng.choice(T['cashier'])}: {rng.choice(FIRST[lang])}", size, font=f)
        sheet.text(x1, y, f"#{rng.randint(1, 12)}", size, align="right", font=f)
        y += lead
    hr(sheet, x0, x1, y - lead / 2, dash=(2, 2))
    y += 4
    for label, q, p, r in lines:
        text = label if q == 1 else f"{q} x {label}"
        sheet.text(x0, y, text[:28], size, font=f)
        mark = "" if len(taxes) == 1 else (" A" if r == country.std_rate else " B")
        sheet.text(x1, y, amt(p * q) + mark, size, align="right", font=f)
        y += lead
        if q > 1 and rng.random() < 0.5:
            sheet.text(x0 + 12, y, f"{q} x {amt(p)}", size - 0.5, font=f)
            y += lead
    hr(sheet, x0, x1, y - lead / 2, dash=(2, 2))
    y += 4
    if rng.random() < 0.5:
        sheet.text(
            x0, y, f"{rng.choice(T['items'])}: {sum(q for _, q, _, _ in lines)}", size, font=f
        )
        y += lead
    sheet.text(x0, y, rng.choice(T["total"]), size + 1.5, font=fb)
    sheet.text(x1, y, amt(total, sign=True), size + 1.5, align="right", font=fb)
    y += lead + 3
    cash = rng.random() < 0.5
    if cash:
        given = fmt.money((total // 5 + 1) * 5 if total > 5 else Decimal(10))
        sheet.text(x0, y, rng.choice(T["cash"]), size, font=f)
        sheet.text(x1, y, amt(given), size, align="right", font=f)
        y += lead
        sheet.text(x0, y, rng.choice(T["change"]), size, font=f)
        sheet.text(x1, y, amt(given - total), size, align="right", font=f)
        y += lead
        payment = "cash"
    else:
        sheet.text(x0, y, rng.choice(T["card"]), size, font=f)
        sheet.text(x1, y, amt(total), size, align="right", font=f)
        y += lead
        sheet.text(x0, y, f"**** **** **** {rng.randint(1000, 9999)}", size, font=f)
        y += lead
        if rng.random() < 0.6:
            sheet.text(
                x0,
                y,
                f"AUTH {rng.randint(100000, 999999)}  TID {rng.randint(10000000, 99999999)}",
                size - 0.5,
                font=f,
            )
            y += lead
        payment = "card"
    y += 3
    for r, v in taxes.items():
        mark = "" if len(taxes) == 1 else ("A " if r == country.std_rate else "B ")
        sheet.text(x0, y, f"{mark}{rng.choice(T['vat'])} {_rate(r, lang)}%", size - 0.5, font=f)
        sheet.text(x1, y, amt(v), size - 0.5, align="right", font=f)
        y += lead
    y += 4
    sheet.text(width / 2, y, rng.choice(T["bye"]), size, align="center", font=f)
    y += lead
    sheet.height = max(sheet.height, y + 14)
    fields = {
        "merchant_name": fmt.fold(merchant),
        "receipt_date": day.isoformat(),
        "total_incl_tax": fmt.norm_amount(total),
        "currency": currency,
        "payment_method": payment,
    }
    return Built("receipt", shop, lang, [sheet], fields, None, title=merchant, author=merchant)
